package probe

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Verdict is the probe's judgement of what one origin gets from one URL.
type Verdict string

// The verdicts, as docs/probe.md explains them with their requests and answers.
const (
	// OK: an allowed origin is allowed, or an outside origin refused.
	OK Verdict = "ok"
	// Blocked: an allowed origin is refused by the CORS check.
	Blocked Verdict = "blocked"
	// Leak: an origin outside the baseline passes the CORS check (or its preflight).
	Leak Verdict = "leak"
	// CachedCrossOrigin: the answer was cached for another origin (its
	// Access-Control-Allow-Origin names another origin, or a cache hit has none at all).
	CachedCrossOrigin Verdict = "cached_cross_origin"
	// MissingVary: Access-Control-Allow-Origin names a specific origin and Vary lacks Origin,
	// so a shared cache may serve that answer to another origin.
	MissingVary Verdict = "missing_vary"
	// PreflightBlocked: the CORS-preflight fetch of an allowed origin fails.
	PreflightBlocked Verdict = "preflight_blocked"
	// CredentialsWithWildcard: credentials are intended, but the answer's
	// Access-Control-Allow-Origin is *, which the CORS check refuses for a credentialed request.
	CredentialsWithWildcard Verdict = "credentials_with_wildcard"
	// Error: no answer could be judged (a timeout, a refused connection, a hostile answer).
	Error Verdict = "error"
)

// Verdicts lists every verdict, in the order reports count them.
func Verdicts() []Verdict {
	return []Verdict{OK, Blocked, Leak, CachedCrossOrigin, MissingVary, PreflightBlocked, CredentialsWithWildcard, Error}
}

// Credentials modes of the Fetch standard that the probe judges in.
const (
	Omit    = "omit"
	Include = "include"
)

// Request is a request exactly as the probe sent it.
type Request struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header"`
}

// Response is an answer as the probe read it: the status and every header, and the start of
// the body (at most MaxBody bytes are read; the rest is never read).
type Response struct {
	Status        int         `json:"status"`
	Proto         string      `json:"proto,omitempty"`
	Header        http.Header `json:"header"`
	BodyBytes     int64       `json:"body_bytes"`
	BodyTruncated bool        `json:"body_truncated,omitempty"` // the body is longer than MaxBody
	Body          string      `json:"body,omitempty"`           // its first bytes, when they are text
	Redirects     []Hop       `json:"redirects,omitempty"`      // the redirects followed to this answer
}

// Hop is a redirect the probe followed (to the same scheme, host and port only).
type Hop struct {
	Status   int    `json:"status"`
	Location string `json:"location"`
}

// Exchange is one request and its answer, or the error that stopped it.
type Exchange struct {
	Step     Step      `json:"step"`
	Request  Request   `json:"request"`
	Response *Response `json:"response,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Result is one verdict for one origin on one URL, in one credentials mode, with the
// exchanges that prove it (the request judged first).
type Result struct {
	URL          string     `json:"url"`
	Distribution string     `json:"distribution,omitempty"`
	Baseline     string     `json:"baseline"`
	Origin       string     `json:"origin"`
	Allowed      bool       `json:"allowed"` // the baseline allows the origin
	Credentials  string     `json:"credentials"`
	Verdict      Verdict    `json:"verdict"`
	Detail       string     `json:"detail"`
	Evidence     []Exchange `json:"evidence"`
}

// Judge judges the exchanges of one URL's plan (ex[i] answers steps[i]) as a browser would,
// with in as the intent: one Result per origin and credentials mode and distinct verdict, or
// one ok Result when nothing is wrong. Credentials mode include is judged only for allowed
// origins, and only when the intent allows credentials.
func Judge(in Intent, ex []Exchange) []Result {
	var origins []string
	for _, e := range ex {
		if e.Step.Kind != NoOrigin && !slices.Contains(origins, e.Step.Origin) {
			origins = append(origins, e.Step.Origin)
		}
	}
	var out []Result
	for _, o := range origins {
		allowed := in.AllowsOrigin(o)
		modes := []string{Omit}
		if allowed && in.Credentials {
			modes = append(modes, Include)
		}
		for _, mode := range modes {
			out = append(out, judgeOrigin(ex, o, allowed, mode)...)
		}
	}
	return out
}

type finding struct {
	verdict  Verdict
	detail   string
	evidence []Exchange
}

// judgeOrigin returns the results of one origin in one credentials mode.
func judgeOrigin(ex []Exchange, origin string, allowed bool, mode string) []Result {
	include := mode == Include
	var found []finding
	var seen []Exchange
	for i, e := range ex {
		if e.Step.Kind == NoOrigin || e.Step.Origin != origin {
			continue
		}
		seen = append(seen, e)
		if e.Error != "" || e.Response == nil {
			found = append(found, finding{Error, "no answer to judge: " + e.Error, []Exchange{e}})
			continue
		}
		var f *finding
		if e.Step.Kind == Preflight {
			f = judgePreflight(e, allowed, include)
		} else {
			f = judgeSimple(ex[:i], e, allowed, include)
		}
		if f != nil {
			found = append(found, *f)
		}
	}
	base := Result{Origin: origin, Allowed: allowed, Credentials: mode}
	if len(seen) > 0 {
		base.URL = seen[0].Request.URL
	}
	if len(found) == 0 {
		r := base
		r.Verdict, r.Evidence = OK, seen
		r.Detail = "an origin outside the baseline is refused"
		if allowed {
			r.Detail = "the baseline's origin is allowed"
		}
		return []Result{r}
	}
	var out []Result
	for _, f := range found {
		if slices.ContainsFunc(out, func(r Result) bool { return r.Verdict == f.verdict }) {
			continue
		}
		r := base
		r.Verdict, r.Detail, r.Evidence = f.verdict, f.detail, f.evidence
		out = append(out, r)
	}
	return out
}

// judgeSimple judges the answer to a GET or HEAD with Origin; before holds the exchanges sent
// to the URL earlier, for an answer cached for one of them.
func judgeSimple(before []Exchange, e Exchange, allowed, include bool) *finding {
	h := e.Response.Header
	origin := e.Step.Origin
	ok, why := CORSCheck(origin, include, h)
	acao := allowOrigin(h)
	hit := cacheHit(h)
	cachedFor := func(detail string, other Exchange, found bool) *finding {
		ev := []Exchange{e}
		if found {
			ev = append(ev, other)
		}
		return &finding{CachedCrossOrigin, detail, ev}
	}
	if acao != "" && acao != "*" && acao != origin && !ok {
		other, found := lastFrom(before, func(x Exchange) bool { return x.Step.Origin == acao })
		return cachedFor(fmt.Sprintf("the answer to %s carries Access-Control-Allow-Origin: %s, another origin's answer%s", origin, acao, cacheNote(h)), other, found)
	}
	if allowed && !ok && acao == "" && hit {
		other, found := lastFrom(before, func(Exchange) bool { return true })
		return cachedFor(fmt.Sprintf("a cache hit (%s) without Access-Control-Allow-Origin: an answer cached for a request without Origin or for another origin", cacheHeaders(h)), other, found)
	}
	switch {
	case allowed && !ok && include && acao == "*":
		return &finding{CredentialsWithWildcard, "credentials are intended, but Access-Control-Allow-Origin is *: the CORS check refuses it for a credentialed request", []Exchange{e}}
	case allowed && !ok:
		return &finding{Blocked, "the baseline allows this origin but the CORS check fails: " + why, []Exchange{e}}
	case !allowed && ok:
		return &finding{Leak, "an origin outside the baseline passes the CORS check: Access-Control-Allow-Origin: " + acao, []Exchange{e}}
	case ok && acao != "*" && !varyOrigin(h) && !include:
		return &finding{MissingVary, fmt.Sprintf("Access-Control-Allow-Origin names %s but Vary does not name Origin (Vary: %q): a shared cache may serve this answer to another origin", acao, strings.Join(h.Values("Vary"), ", ")), []Exchange{e}}
	}
	return nil
}

// judgePreflight judges the answer to an OPTIONS preflight with the CORS-preflight fetch's
// checks.
func judgePreflight(e Exchange, allowed, include bool) *finding {
	ok, why := PreflightCheck(e.Step, include, e.Response.Status, e.Response.Header)
	switch {
	case e.Step.Allowed && !ok && include && allowOrigin(e.Response.Header) == "*":
		return &finding{CredentialsWithWildcard, "credentials are intended, but the preflight's Access-Control-Allow-Origin is *: the CORS check refuses it for a credentialed request", []Exchange{e}}
	case e.Step.Allowed && !ok:
		return &finding{PreflightBlocked, fmt.Sprintf("the baseline allows %s with these headers from this origin, but the preflight fails: %s", e.Step.RequestMethod, why), []Exchange{e}}
	case !allowed && ok:
		return &finding{Leak, fmt.Sprintf("an origin outside the baseline passes the preflight for %s", e.Step.RequestMethod), []Exchange{e}}
	}
	return nil
}

// lastFrom returns the last exchange of ex that match accepts.
func lastFrom(ex []Exchange, match func(Exchange) bool) (Exchange, bool) {
	for i := len(ex) - 1; i >= 0; i-- {
		if match(ex[i]) {
			return ex[i], true
		}
	}
	return Exchange{}, false
}

// CORSCheck is the Fetch standard's CORS check (fetch.spec.whatwg.org, "CORS check") of an
// answer with header h to a request from origin in credentials mode include or omit. why says
// what failed.
func CORSCheck(origin string, include bool, h http.Header) (ok bool, why string) {
	values := h.Values("Access-Control-Allow-Origin")
	if len(values) == 0 {
		return false, "no Access-Control-Allow-Origin"
	}
	// Getting a header joins its values with ", ": two of them never match an origin.
	acao := strings.Join(values, ", ")
	if !include && acao == "*" {
		return true, ""
	}
	if acao != origin {
		return false, fmt.Sprintf("Access-Control-Allow-Origin is %q, not the request's origin %q", acao, origin)
	}
	if !include {
		return true, ""
	}
	if strings.Join(h.Values("Access-Control-Allow-Credentials"), ", ") == "true" {
		return true, ""
	}
	return false, "credentials mode include, and Access-Control-Allow-Credentials is not true"
}

// PreflightCheck is the Fetch standard's CORS-preflight fetch (fetch.spec.whatwg.org,
// "CORS-preflight fetch", step 7) judging the answer (status, header h) to the preflight of
// step, for a request in credentials mode include or omit. The requested headers count as
// CORS-unsafe: the probe asks about them because a page sends them.
func PreflightCheck(step Step, include bool, status int, h http.Header) (ok bool, why string) {
	if ok, why := CORSCheck(step.Origin, include, h); !ok {
		return false, why
	}
	if status < 200 || status > 299 {
		return false, fmt.Sprintf("status %d is not an ok status", status)
	}
	ms, ok := extractValues(h.Values("Access-Control-Allow-Methods"))
	if !ok {
		return false, fmt.Sprintf("Access-Control-Allow-Methods %q does not parse", h.Values("Access-Control-Allow-Methods"))
	}
	names, ok := extractValues(h.Values("Access-Control-Allow-Headers"))
	if !ok {
		return false, fmt.Sprintf("Access-Control-Allow-Headers %q does not parse", h.Values("Access-Control-Allow-Headers"))
	}
	m := step.RequestMethod
	if !slices.Contains(ms, m) && !slices.Contains([]string{"GET", "HEAD", "POST"}, m) &&
		(include || !slices.Contains(ms, "*")) {
		return false, fmt.Sprintf("method %s is not in Access-Control-Allow-Methods %q", m, strings.Join(ms, ", "))
	}
	for _, name := range step.RequestHeaders {
		listed := slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
		if listed {
			continue
		}
		// Authorization is never covered by a wildcard.
		if name == "authorization" || include || !slices.Contains(names, "*") {
			return false, fmt.Sprintf("request header %s is not in Access-Control-Allow-Headers %q", name, strings.Join(names, ", "))
		}
	}
	return true, ""
}

// extractValues is the Fetch standard's "extract header list values" for a list of tokens:
// the values split on commas, white space trimmed, empty elements ignored; failure when an
// element is not a token.
func extractValues(values []string) ([]string, bool) {
	var out []string
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.Trim(item, " \t")
			if item == "" {
				continue
			}
			if !token(item) {
				return nil, false
			}
			out = append(out, item)
		}
	}
	return out, true
}

// allowOrigin is the answer's Access-Control-Allow-Origin as the CORS check reads it.
func allowOrigin(h http.Header) string {
	return strings.Join(h.Values("Access-Control-Allow-Origin"), ", ")
}

// varyOrigin reports whether Vary names Origin (or is *).
func varyOrigin(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "*" || strings.EqualFold(item, "Origin") {
				return true
			}
		}
	}
	return false
}

// cacheHit reports whether the answer says a cache served it: X-Cache Hit or RefreshHit
// (CloudFront's "Hit from cloudfront"), or an Age above 0.
func cacheHit(h http.Header) bool {
	x := strings.ToLower(h.Get("X-Cache"))
	if strings.HasPrefix(x, "hit") || strings.HasPrefix(x, "refreshhit") {
		return true
	}
	age := strings.TrimSpace(h.Get("Age"))
	return age != "" && strings.Trim(age, "0") != "" && strings.Trim(age, "0123456789") == ""
}

// cacheHeaders is "X-Cache: …, Age: …" for the answer's cache headers.
func cacheHeaders(h http.Header) string {
	var parts []string
	for _, k := range []string{"X-Cache", "Age"} {
		if v := h.Get(k); v != "" {
			parts = append(parts, k+": "+v)
		}
	}
	return strings.Join(parts, ", ")
}

// cacheNote is " (X-Cache: …, Age: …)", or "" without cache headers.
func cacheNote(h http.Header) string {
	if c := cacheHeaders(h); c != "" {
		return " (" + c + ")"
	}
	return ""
}
