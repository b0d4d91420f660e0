package probe

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corsguard/corsguard/policy"
)

// s3Like answers as S3 answers an object under the rules of baseline(): the origin echoed
// with Vary when a rule matches, nothing CORS otherwise, and a preflight refused with 403.
func s3Like(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	in := baseline()
	method := r.Method
	var headers []string
	if r.Method == http.MethodOptions {
		method = r.Header.Get("Access-Control-Request-Method")
		for h := range strings.SplitSeq(r.Header.Get("Access-Control-Request-Headers"), ",") {
			if h = strings.TrimSpace(h); h != "" {
				headers = append(headers, h)
			}
		}
	}
	if origin != "" && in.Allows(origin, method, headers) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD")
		w.Header().Set("Access-Control-Allow-Headers", "range")
		w.Header().Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	} else if r.Method == http.MethodOptions {
		http.Error(w, "CORSResponse: This CORS request is not allowed.", http.StatusForbidden)
		return
	}
	_, _ = w.Write([]byte("canary"))
}

// recorder keeps the requests a test server received.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rec *recorder) wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Clone(context.Background()))
		rec.mu.Unlock()
		h(w, r)
	}
}

func (rec *recorder) requests() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// fast is a Prober for tests: no pacing to speak of, a short timeout.
func fast(timeout time.Duration) *Prober {
	return New(Options{Rate: 1000, Timeout: timeout})
}

func verdictsOf(results []Result) map[string][]Verdict {
	out := map[string][]Verdict{}
	for _, r := range results {
		out[r.Origin] = append(out[r.Origin], r.Verdict)
	}
	return out
}

func TestAProbeOfACompliantServerIsOKAndSendsOnlyGETHEADAndOPTIONSNamingCorsguard(t *testing.T) {
	var rec recorder
	srv := httptest.NewServer(rec.wrap(s3Like))
	defer srv.Close()
	p := fast(5 * time.Second)
	defer p.Close()
	rep := p.Run(t.Context(), []Target{{URL: srv.URL + "/canary.txt", Intent: baseline()}}, nil)
	for _, r := range rep.Results {
		if r.Verdict != OK {
			t.Errorf("%s %s: %s (%s)", r.Origin, r.Credentials, r.Verdict, r.Detail)
		}
	}
	if len(rep.Results) != 3 {
		t.Errorf("%d results, want 3 (two allowed origins, the outside one)", len(rep.Results))
	}
	reqs := rec.requests()
	if len(reqs) != rep.Requests || len(reqs) > MaxRequestsPerURL {
		t.Errorf("server saw %d requests, the report says %d (cap %d)", len(reqs), rep.Requests, MaxRequestsPerURL)
	}
	for _, r := range reqs {
		if !slices.Contains([]string{"GET", "HEAD", "OPTIONS"}, r.Method) {
			t.Errorf("sent %s", r.Method)
		}
		if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "corsguard") {
			t.Errorf("User-Agent %q does not name corsguard", ua)
		}
	}
	if rep.Failed() || rep.Findings() {
		t.Errorf("Failed %v Findings %v, want neither", rep.Failed(), rep.Findings())
	}
}

func TestAProbeFindsALeakAndABlockedOrigin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Allows everyone but the player, with *: the www origin is fine, the player blocked,
		// the outside origin leaks.
		if r.Header.Get("Origin") != player {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Access-Control-Allow-Headers", "*")
		}
	}))
	defer srv.Close()
	p := fast(5 * time.Second)
	defer p.Close()
	rep := p.Run(t.Context(), []Target{{URL: srv.URL, Intent: baseline()}}, nil)
	got := verdictsOf(rep.Results)
	if !slices.Contains(got[player], Blocked) || !slices.Contains(got[player], PreflightBlocked) {
		t.Errorf("player: %v, want blocked and preflight_blocked", got[player])
	}
	if !slices.Equal(got[www], []Verdict{OK}) {
		t.Errorf("www: %v, want ok", got[www])
	}
	if !slices.Equal(got[OutsideOrigin], []Verdict{Leak}) {
		t.Errorf("outside: %v, want leak", got[OutsideOrigin])
	}
	if !rep.Findings() || rep.Failed() {
		t.Errorf("Findings %v Failed %v, want findings only", rep.Findings(), rep.Failed())
	}
}

// hostile runs a probe against handler and returns its results, which must all be errors.
func hostile(t *testing.T, handler http.HandlerFunc, timeout time.Duration, wantErr string) {
	t.Helper()
	srv := httptest.NewServer(handler)
	defer srv.Close()
	p := fast(timeout)
	defer p.Close()
	one := IntentOf("one", policy.Policy{{AllowedOrigins: []string{player}, AllowedMethods: []string{"GET"}}})
	done := make(chan *Report, 1)
	go func() { done <- p.Run(t.Context(), []Target{{URL: srv.URL + "/canary", Intent: one}}, nil) }()
	rep := <-done
	if !rep.Failed() {
		t.Fatalf("no error verdict: %+v", rep.Totals)
	}
	for _, r := range rep.Results {
		if r.Verdict != Error {
			continue
		}
		if len(r.Evidence) != 1 || !strings.Contains(r.Evidence[0].Error, wantErr) {
			t.Errorf("%s: evidence %+v, want one exchange whose error says %q", r.Origin, r.Evidence, wantErr)
		}
	}
}

func TestHugeHeadersEndInAnError(t *testing.T) {
	hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Huge", strings.Repeat("a", 2*MaxHeaderBytes))
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}, 5*time.Second, "headers exceeded")
}

// A body that never ends, and headers that never come, end in an error at the timeout: on the
// fake clock of a synctest bubble (slowInBubble), at DefaultTimeout exactly, with no real wait.
func TestASlowBodyEndsInAnErrorAtTheTimeout(t *testing.T) {
	slowInBubble(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Vary", "Origin")
		_, _ = w.Write([]byte("first bytes"))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest never comes
	})
}

func TestSlowHeadersEndInAnErrorAtTheTimeout(t *testing.T) {
	slowInBubble(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
}

func TestARedirectLoopEndsInAnError(t *testing.T) {
	hostile(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}, 5*time.Second, "stopped after 5 redirects")
}

func TestARedirectToAnotherHostIsNotFollowed(t *testing.T) {
	var elsewhere recorder
	other := httptest.NewServer(elsewhere.wrap(s3Like))
	defer other.Close()
	hostile(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/canary", http.StatusFound)
	}, 5*time.Second, "redirect to another host")
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
}

func TestASameHostRedirectIsFollowedAndRecorded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" && r.Method != http.MethodOptions {
			http.Redirect(w, r, "/canary.txt", http.StatusMovedPermanently)
			return
		}
		s3Like(w, r)
	}))
	defer srv.Close()
	p := fast(5 * time.Second)
	defer p.Close()
	results, _ := p.Probe(t.Context(), Target{URL: srv.URL + "/old", Intent: baseline()})
	for _, r := range results {
		if r.Verdict != OK {
			t.Errorf("%s: %s (%s)", r.Origin, r.Verdict, r.Detail)
		}
	}
	if ev := results[0].Evidence[0]; len(ev.Response.Redirects) != 1 || ev.Response.Redirects[0].Status != http.StatusMovedPermanently {
		t.Errorf("redirects %+v, want the one 301", ev.Response.Redirects)
	}
}

func TestALargeBodyIsReadOnlyTo64KiB(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s3Like(w, r)
		if r.Method == http.MethodGet {
			_, _ = w.Write(make([]byte, 4<<20))
		}
	}))
	defer srv.Close()
	p := fast(5 * time.Second)
	defer p.Close()
	results, _ := p.Probe(t.Context(), Target{URL: srv.URL, Intent: baseline()})
	ev := results[0].Evidence[0].Response
	if results[0].Verdict != OK || ev.BodyBytes != MaxBody || !ev.BodyTruncated {
		t.Errorf("verdict %s, body %d bytes, truncated %v; want ok, %d, true", results[0].Verdict, ev.BodyBytes, ev.BodyTruncated, MaxBody)
	}
}

func TestResolveSendsAHostToALoopbackServerKeepingHostAndSNI(t *testing.T) {
	var rec recorder
	srv := httptest.NewTLSServer(rec.wrap(s3Like))
	defer srv.Close()
	// httptest's certificate names example.com: the probe trusts it only through RootCAs and
	// reaches it only through Resolve.
	_, addr, _ := strings.Cut(srv.URL, "https://")
	host, to, err := ParseResolve("Example.COM=" + addr)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := CAPool(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	if err != nil {
		t.Fatal(err)
	}
	p := New(Options{Rate: 1000, Resolve: map[string]string{host: to}, RootCAs: pool})
	defer p.Close()
	results, _ := p.Probe(t.Context(), Target{URL: "https://example.com/canary.txt", Intent: baseline()})
	for _, r := range results {
		if r.Verdict != OK {
			t.Errorf("%s: %s (%s)", r.Origin, r.Verdict, r.Detail)
		}
	}
	for _, r := range rec.requests() {
		if r.Host != "example.com" || r.TLS == nil || r.TLS.ServerName != "example.com" {
			t.Fatalf("Host %q, SNI %v; want example.com for both", r.Host, r.TLS)
		}
	}

	// Without the CA the same probe is an error, never a verdict on an unverified answer.
	untrusted := New(Options{Rate: 1000, Resolve: map[string]string{host: to}, RootCAs: x509.NewCertPool()})
	defer untrusted.Close()
	results, _ = untrusted.Probe(t.Context(), Target{URL: "https://example.com/canary.txt", Intent: baseline()})
	for _, r := range results {
		if r.Verdict != Error {
			t.Errorf("untrusted %s: %s, want error", r.Origin, r.Verdict)
		}
	}
}

func TestParseResolveRefusesWhatIsNotHostEqualsAddrPort(t *testing.T) {
	good := map[string][2]string{
		"d1.cloudfront.net=127.0.0.1:8443": {"d1.cloudfront.net", "127.0.0.1:8443"},
		"A.example.com=[::1]:443":          {"a.example.com", "[::1]:443"},
		"x=localhost:1":                    {"x", "localhost:1"},
	}
	for in, want := range good {
		host, addr, err := ParseResolve(in)
		if err != nil || host != want[0] || addr != want[1] {
			t.Errorf("ParseResolve(%q) = %q, %q, %v; want %q, %q", in, host, addr, err, want[0], want[1])
		}
	}
	for _, bad := range []string{"", "host", "host=", "=1.2.3.4:5", "host=1.2.3.4", "host=1.2.3.4:0", "host=1.2.3.4:65536",
		"host=1.2.3.4:http", "host:443=1.2.3.4:5", "http://host=1.2.3.4:5", "host=:5"} {
		if _, _, err := ParseResolve(bad); err == nil {
			t.Errorf("ParseResolve(%q) accepted", bad)
		}
	}
}

func FuzzParseResolve(f *testing.F) {
	for _, s := range []string{"d1.cloudfront.net=127.0.0.1:8443", "a=[::1]:1", "=", "h=:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, addr, err := ParseResolve(s)
		if err != nil {
			return
		}
		if host == "" || strings.ContainsAny(host, ":/") {
			t.Errorf("host %q from %q", host, s)
		}
		// What it returns parses again to itself.
		h2, a2, err := ParseResolve(host + "=" + addr)
		if err != nil || h2 != host || a2 != addr {
			t.Errorf("%q: round trip %q %q %v", s, h2, a2, err)
		}
	})
}
