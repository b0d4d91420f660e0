package probe

import (
	"fmt"
	"slices"
)

// MaxRequestsPerURL caps the requests the probe sends to one URL. A baseline with more origins
// than fit is probed for its first origins only, and the report says how many were left out.
const MaxRequestsPerURL = 64

// StepKind says what a step asks.
type StepKind string

// The kinds of step.
const (
	// Simple is a GET (or HEAD) with Origin, as a page's fetch() of a media object sends it.
	Simple StepKind = "simple"
	// Preflight is an OPTIONS with Origin, Access-Control-Request-Method and
	// Access-Control-Request-Headers, as a browser sends before a non-simple request.
	Preflight StepKind = "preflight"
	// NoOrigin is a GET without Origin, as a crawler, a CDN warmer or curl sends it. Its answer
	// is not judged: it is there to show what a cache serves browsers after it.
	NoOrigin StepKind = "no_origin"
)

// Step is one request of a probe.
type Step struct {
	Kind           StepKind `json:"kind"`
	Method         string   `json:"method"`                    // the method sent: GET, HEAD or OPTIONS
	Origin         string   `json:"origin,omitempty"`          // "" for NoOrigin
	Allowed        bool     `json:"allowed"`                   // the intent allows Origin (for a preflight: with its method and headers)
	RequestMethod  string   `json:"request_method,omitempty"`  // a preflight's Access-Control-Request-Method
	RequestHeaders []string `json:"request_headers,omitempty"` // a preflight's Access-Control-Request-Headers
}

// Plan returns the requests the probe sends to one URL for intent, in order, at most max of
// them, and notes on what it left out.
//
// The simple requests come first, with the origins alternating on the same URL: every allowed
// origin, the outside origin, a request without Origin, then the first allowed origin again.
// A cache that does not key on Origin then serves one origin's answer to the next, and the
// judge sees it. The preflights follow: for each origin, one per method its rules allow, with
// the headers of the rule that allows it.
func Plan(in Intent, max int) ([]Step, []string) {
	allowed, notes := in.origins()
	outside := ""
	if !in.AllowsOrigin(OutsideOrigin) {
		outside = OutsideOrigin
	} else {
		notes = append(notes, "the baseline allows every origin: no origin outside it to send")
	}
	steps := func(origins []string) []Step {
		var s []Step
		for _, o := range origins {
			if m := simpleMethod(in, o); m != "" {
				s = append(s, Step{Kind: Simple, Method: m, Origin: o, Allowed: true})
			}
		}
		if outside != "" {
			s = append(s, Step{Kind: Simple, Method: "GET", Origin: outside})
		}
		s = append(s, Step{Kind: NoOrigin, Method: "GET"})
		if len(origins) > 0 {
			if m := simpleMethod(in, origins[0]); m != "" {
				s = append(s, Step{Kind: Simple, Method: m, Origin: origins[0], Allowed: true})
			}
		}
		for _, o := range origins {
			s = append(s, preflights(in, o)...)
		}
		if outside != "" {
			s = append(s, preflights(in, outside)...)
		}
		return s
	}
	n := len(allowed)
	out := steps(allowed)
	for len(out) > max && n > 0 {
		n--
		out = steps(allowed[:n])
	}
	if n < len(allowed) {
		notes = append(notes, fmt.Sprintf("%d of the baseline's %d origins probed: at most %d requests per URL", n, len(allowed), max))
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, notes
}

// simpleMethod is the method of origin's simple request: GET when a rule allows it, else HEAD,
// else none (only preflights are sent).
func simpleMethod(in Intent, origin string) string {
	for _, m := range []string{"GET", "HEAD"} {
		if in.Allows(origin, m, nil) {
			return m
		}
	}
	return ""
}

// preflights returns one OPTIONS per method the rules matching origin allow (for the outside
// origin: every method the baseline names), each with the headers of the first rule that
// allows the origin that method.
func preflights(in Intent, origin string) []Step {
	var ms []string
	for _, r := range in.Rules {
		if origin == OutsideOrigin || matchAny(r.AllowedOrigins, origin, false) {
			ms = append(ms, methods(r)...)
		}
	}
	slices.Sort(ms)
	ms = slices.Compact(ms)
	var out []Step
	for _, m := range ms {
		var headers []string
		for _, r := range in.Rules {
			if slices.Contains(methods(r), m) && (origin == OutsideOrigin || matchAny(r.AllowedOrigins, origin, false)) {
				headers = concreteHeaders(r.AllowedHeaders)
				break
			}
		}
		out = append(out, Step{Kind: Preflight, Method: "OPTIONS", Origin: origin, RequestMethod: m,
			RequestHeaders: headers, Allowed: in.Allows(origin, m, headers)})
	}
	return out
}
