package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// The requester's limits.
const (
	// MaxBody is the most of a body the probe reads before it closes the connection: a large
	// canary object costs no more than this.
	MaxBody = 64 << 10
	// MaxHeaderBytes caps an answer's status line and headers; more is a hostile answer.
	MaxHeaderBytes = 64 << 10
	// MaxRedirects is how many redirects (to the same scheme, host and port) a GET follows.
	MaxRedirects = 5
	// DefaultTimeout bounds one request, from dialling to the last byte of body read.
	DefaultTimeout = 10 * time.Second
	// DefaultRate is the requests per second a probe sends, across every URL.
	DefaultRate = 5
	// UserAgent names corsguard to the servers it probes and to their logs.
	UserAgent = "corsguard-probe/1 (+https://github.com/corsguard/corsguard; CORS check of a canary object)"
	// bodySnippet is how much of a text body the evidence keeps (S3's and CloudFront's error
	// texts fit).
	bodySnippet = 512
)

// Options configure a Prober. The zero value probes with the system's roots, DefaultTimeout
// and DefaultRate.
type Options struct {
	// Resolve sends connections for a host (any port) to another address, as curl's
	// --connect-to does: Host and TLS server name stay the URL's host. Keys are host names in
	// lower case, values ADDR:PORT (see ParseResolve).
	Resolve map[string]string
	// RootCAs are the certificate authorities trusted for https (nil: the system's).
	RootCAs *x509.CertPool
	// Timeout bounds each request, its body included (0: DefaultTimeout).
	Timeout time.Duration
	// Rate is the requests per second across the run (0: DefaultRate).
	Rate float64
	// MaxRequests caps the requests per URL (0: MaxRequestsPerURL).
	MaxRequests int
}

// Prober sends a plan's requests and judges their answers.
type Prober struct {
	transport *http.Transport
	limiter   *rate.Limiter
	timeout   time.Duration
	max       int
	sent      int
}

// New returns a Prober with opts.
func New(opts Options) *Prober {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Rate <= 0 {
		opts.Rate = DefaultRate
	}
	if opts.MaxRequests <= 0 {
		opts.MaxRequests = MaxRequestsPerURL
	}
	dialer := &net.Dialer{Timeout: opts.Timeout}
	resolve := opts.Resolve
	return &Prober{
		transport: &http.Transport{
			// No proxy: --resolve and the exact answer of the chain are the point.
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if host, _, err := net.SplitHostPort(addr); err == nil {
					if to, ok := resolve[strings.ToLower(host)]; ok {
						addr = to
					}
				}
				return dialer.DialContext(ctx, network, addr)
			},
			TLSClientConfig:        &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    opts.Timeout,
			ResponseHeaderTimeout:  opts.Timeout,
			MaxResponseHeaderBytes: MaxHeaderBytes,
			DisableCompression:     true, // the answer as it came, without an Accept-Encoding of ours
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        30 * time.Second,
		},
		limiter: rate.NewLimiter(rate.Limit(opts.Rate), 1),
		timeout: opts.Timeout,
		max:     opts.MaxRequests,
	}
}

// Close closes the idle connections the Prober keeps.
func (p *Prober) Close() { p.transport.CloseIdleConnections() }

// Sent returns how many requests the Prober has sent.
func (p *Prober) Sent() int { return p.sent }

// Target is one URL to probe and the intent to judge its answers by.
type Target struct {
	URL          string
	Distribution string // the CloudFront distribution the URL belongs to, if any
	Intent       Intent
}

// Probe sends the plan for t's intent to t.URL, one request after the other at the Prober's
// rate, and judges the answers. Notes say what the plan left out. A cancelled ctx ends the
// probe: the requests not sent are errors.
func (p *Prober) Probe(ctx context.Context, t Target) ([]Result, []string) {
	steps, notes := Plan(t.Intent, p.max)
	ex := make([]Exchange, len(steps))
	failed := ""
	for i, s := range steps {
		if failed != "" {
			// A URL that hangs or refuses once is not asked again: a hostile server costs one
			// timeout, not one per step.
			ex[i] = Exchange{Step: s, Request: Request{Method: s.Method, URL: t.URL}, Error: "not sent: an earlier request to this URL failed: " + failed}
			continue
		}
		ex[i] = p.exchange(ctx, t.URL, s)
		failed = ex[i].Error
	}
	results := Judge(t.Intent, ex)
	for i := range results {
		results[i].Distribution = t.Distribution
		results[i].Baseline = t.Intent.Name
	}
	return results, notes
}

// exchange sends one step's request to u and reads its answer.
func (p *Prober) exchange(ctx context.Context, u string, s Step) Exchange {
	e := Exchange{Step: s, Request: Request{Method: s.Method, URL: u, Header: http.Header{}}}
	h := e.Request.Header
	h.Set("User-Agent", UserAgent)
	h.Set("Accept", "*/*")
	if s.Origin != "" {
		h.Set("Origin", s.Origin)
	}
	if s.Kind == Preflight {
		h.Set("Access-Control-Request-Method", s.RequestMethod)
		if len(s.RequestHeaders) > 0 {
			h.Set("Access-Control-Request-Headers", strings.Join(s.RequestHeaders, ","))
		}
	}
	if err := p.limiter.Wait(ctx); err != nil {
		e.Error = "not sent: " + err.Error()
		return e
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, s.Method, u, nil)
	if err != nil {
		e.Error = err.Error()
		return e
	}
	req.Header = h.Clone()
	var hops []Hop
	client := &http.Client{Transport: p.transport, CheckRedirect: func(next *http.Request, via []*http.Request) error {
		if r := next.Response; r != nil {
			hops = append(hops, Hop{Status: r.StatusCode, Location: r.Header.Get("Location")})
		}
		switch {
		case s.Kind == Preflight:
			// A browser never follows a preflight's redirect: the 3xx is the answer judged.
			return http.ErrUseLastResponse
		case next.URL.Scheme != via[0].URL.Scheme || next.URL.Host != via[0].URL.Host:
			return fmt.Errorf("redirect to another host (%s): not followed", next.URL.Redacted())
		case len(via) > MaxRedirects:
			return fmt.Errorf("stopped after %d redirects", MaxRedirects)
		}
		return nil
	}}
	p.sent++
	resp, err := client.Do(req)
	if err != nil {
		e.Error = describe(err, p.timeout)
		if len(hops) > 0 {
			e.Response = &Response{Redirects: hops}
		}
		return e
	}
	defer resp.Body.Close()
	r := &Response{Status: resp.StatusCode, Proto: resp.Proto, Header: resp.Header, Redirects: hops}
	if s.Kind == Preflight {
		r.Redirects = nil // the 3xx itself is the answer
	}
	e.Response = r
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	r.BodyBytes = int64(len(body))
	if len(body) > MaxBody {
		r.BodyBytes, r.BodyTruncated, body = MaxBody, true, body[:MaxBody]
	}
	if snip := body[:min(len(body), bodySnippet)]; utf8.Valid(snip) {
		r.Body = string(snip)
	}
	if err != nil {
		e.Error = "read body: " + describe(err, p.timeout)
	}
	return e
}

// describe words a request's error for the evidence: what happened, not Go's wrapping.
func describe(err error, timeout time.Duration) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return fmt.Sprintf("no complete answer within %s (timeout)", timeout)
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// ParseResolve reads HOST=ADDR:PORT (the value of --resolve): connections to HOST, on any port,
// go to ADDR:PORT. HOST is returned in lower case; ADDR may be a name, an IPv4 address or an
// IPv6 address in brackets.
func ParseResolve(s string) (host, addr string, err error) {
	host, addr, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("--resolve %q: want HOST=ADDR:PORT", s)
	}
	host = strings.ToLower(strings.TrimSpace(host))
	if host == "" || strings.ContainsAny(host, "/:@ \t[]") {
		return "", "", fmt.Errorf("--resolve %q: %q is not a host name", s, host)
	}
	a, port, err := net.SplitHostPort(strings.TrimSpace(addr))
	if err != nil || a == "" || strings.ContainsAny(a, "/@ \t") {
		return "", "", fmt.Errorf("--resolve %q: want HOST=ADDR:PORT, %q is not ADDR:PORT", s, addr)
	}
	if n, perr := parsePort(port); perr != nil || n == 0 {
		return "", "", fmt.Errorf("--resolve %q: port %q is not 1-65535", s, port)
	}
	return host, net.JoinHostPort(a, port), nil
}

func parsePort(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, errors.New("bad port")
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("bad port")
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, errors.New("bad port")
	}
	return n, nil
}

// CAPool returns the system's roots with the certificates of a PEM bundle added (the value of
// --ca-bundle). A bundle without a certificate is an error.
func CAPool(pem []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in the bundle")
	}
	return pool, nil
}
