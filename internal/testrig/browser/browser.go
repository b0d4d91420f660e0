// Package browser runs headless Chromium to see what a browser does with an answer: a page
// served at an exact origin (https://a.example.com) fetches a URL, and the test learns whether
// the fetch resolved or threw. Every page gets a fresh profile (--user-data-dir) with its HTTP
// cache off, so no page's outcome is decided by another's cache (a.example.com and
// b.example.com are same-site: a shared partitioned cache could otherwise decide alone);
// --host-resolver-rules maps each HOST:443 to a local address, and
// --ignore-certificate-errors-spki-list trusts the local certificates' keys.
package browser

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultPath is where Debian's chromium package installs the browser.
const DefaultPath = "/usr/bin/chromium"

// InstallHint is the command that installs it, for failure messages.
const InstallHint = "apt-get update && apt-get install -y chromium"

// Path returns the Chromium to run ($CHROMIUM, else DefaultPath). It fails the test, never
// skips it, when there is none: a claim about what a browser does needs a browser.
func Path(t testing.TB) string {
	t.Helper()
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = DefaultPath
	}
	if _, err := exec.LookPath(p); err != nil {
		t.Fatalf("headless Chromium is required (%s: %v); install it: %s (.ci/run does)", p, err, InstallHint)
	}
	return p
}

// Fetch is one page's fetch.
type Fetch struct {
	Origin string // the page's origin, https://HOST (port 443)
	URL    string // what the page fetches
	// Header, when set, makes the request carry these request headers (a custom one makes it
	// non-simple: the browser sends a preflight first).
	Header map[string]string
}

// Result is what the page saw.
type Result struct {
	Resolved bool   // the fetch's promise resolved (the answer passed the CORS check)
	Status   int    // the answer's status, when it resolved
	Error    string // the exception's text, when it threw
}

// Browser runs pages. Hosts maps every host name a page reaches (its own origin's and the
// fetched URL's) to the local address that serves it on 443; Page serves the pages with a
// certificate for any name (GetCertificate); SPKI lists the base64 SHA-256 public key hashes of
// every certificate the pages meet.
type Browser struct {
	Path           string
	Hosts          map[string]string // HOST -> 127.0.0.1:PORT
	SPKI           []string
	GetCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// Timeout bounds one page (default 90 s): a page that reports nothing by then fails.
	Timeout time.Duration

	once    sync.Once
	srv     *http.Server
	addr    string
	mu      sync.Mutex
	waiting map[string]chan Result
	fetches map[string]Fetch // by page id
	seq     int
	err     error
}

// pageTemplate fetches {{.URL}} and posts the outcome back to the page's own origin.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><title>corsguard browser check</title></head><body><script>
const report = (r) => fetch("/result?id={{.ID}}", {method: "POST", body: JSON.stringify(r)});
fetch({{.URL}}, {mode: "cors", cache: "no-store", credentials: "omit", headers: {{.Header}}})
  .then(async (resp) => { await resp.arrayBuffer(); return report({resolved: true, status: resp.status}); })
  .catch((e) => report({resolved: false, error: String(e)}));
</script></body></html>`))

// start serves pages over TLS on a loopback port.
func (b *Browser) start() error {
	b.once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.err = err
			return
		}
		b.addr = ln.Addr().String()
		b.waiting, b.fetches = map[string]chan Result{}, map[string]Fetch{}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
			b.mu.Lock()
			f, ok := b.fetches[r.URL.Query().Get("id")]
			b.mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			header := f.Header
			if header == nil {
				header = map[string]string{}
			}
			hj, _ := json.Marshal(header)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = pageTemplate.Execute(w, map[string]any{"ID": r.URL.Query().Get("id"), "URL": f.URL, "Header": template.JS(hj)})
		})
		mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
			var res Result
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
			_ = json.Unmarshal(body, &res)
			b.mu.Lock()
			ch := b.waiting[r.URL.Query().Get("id")]
			b.mu.Unlock()
			if ch != nil {
				select {
				case ch <- res:
				default:
				}
			}
			w.WriteHeader(http.StatusNoContent)
		})
		mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			TLSConfig: &tls.Config{GetCertificate: b.GetCertificate, MinVersion: tls.VersionTLS12}}
		go func() { _ = b.srv.ServeTLS(ln, "", "") }()
	})
	return b.err
}

// Close stops the page server.
func (b *Browser) Close() {
	if b.srv != nil {
		_ = b.srv.Close()
	}
}

// Run opens one page at f.Origin in a fresh headless Chromium and returns what its fetch did.
func (b *Browser) Run(ctx context.Context, dir string, f Fetch) (Result, error) {
	if err := b.start(); err != nil {
		return Result{}, err
	}
	host := strings.TrimPrefix(f.Origin, "https://")
	if host == f.Origin || strings.ContainsAny(host, ":/") {
		return Result{}, fmt.Errorf("page origin %q: want https://HOST (port 443)", f.Origin)
	}
	b.mu.Lock()
	b.seq++
	id := strconv.Itoa(b.seq)
	ch := make(chan Result, 1)
	b.waiting[id] = ch
	b.fetches[id] = f
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.waiting, id)
		delete(b.fetches, id)
		b.mu.Unlock()
	}()

	rules := []string{"MAP " + host + ":443 " + b.addr}
	for h, addr := range b.Hosts {
		rules = append(rules, "MAP "+h+":443 "+addr)
	}
	rules = append(rules, "EXCLUDE localhost")
	profile, err := os.MkdirTemp(dir, "profile-")
	if err != nil {
		return Result{}, err
	}
	timeout := b.Timeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := []string{
		"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--disk-cache-dir=" + profile + "/cache", "--disk-cache-size=1", "--media-cache-size=1",
		"--host-resolver-rules=" + strings.Join(rules, ", "),
		"--ignore-certificate-errors-spki-list=" + strings.Join(b.SPKI, ","),
		f.Origin + "/page?id=" + id,
	}
	cmd := exec.CommandContext(runCtx, b.Path, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start %s: %w", b.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case res := <-ch:
		cancel() // the page has answered: stop the browser
		<-exited
		return res, nil
	case err := <-exited:
		select {
		case res := <-ch:
			return res, nil
		default:
		}
		if runCtx.Err() != nil {
			return Result{}, fmt.Errorf("the page at %s reported nothing within %s (%v); chromium said:\n%s", f.Origin, timeout, runCtx.Err(), tail(out.String()))
		}
		return Result{}, fmt.Errorf("chromium exited (%v) before the page at %s reported; it said:\n%s", err, f.Origin, tail(out.String()))
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
