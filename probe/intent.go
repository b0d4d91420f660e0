package probe

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/corsguard/corsguard/policy"
)

// OutsideOrigin is the origin the probe sends as one no baseline should allow: .invalid is
// reserved (RFC 2606), so no site can ever hold it.
const OutsideOrigin = "https://corsguard-probe.invalid"

// probeLabel replaces a wildcard in an origin or header pattern to make a concrete value the
// pattern matches: https://*.example.com becomes https://corsguard-probe.example.com.
const probeLabel = "corsguard-probe"

// Intent is what the owner wants browsers to get: the baseline's rules (a rule list, or a
// CloudFront CorsConfig as a Policy of one rule), and whether credentialed requests are meant
// to work (a CorsConfig's AccessControlAllowCredentials; a rule list says nothing about
// credentials, so only credentials mode omit is judged for it).
type Intent struct {
	Name        string        // the baseline's name, for the report
	Rules       policy.Policy // first matching rule wins
	Credentials bool
}

// IntentOf returns the intent a validated baseline states.
func IntentOf(name string, p policy.Policy) Intent {
	in := Intent{Name: name, Rules: p}
	for _, r := range p {
		if r.CloudFront != nil && r.CloudFront.AllowCredentials != nil && *r.CloudFront.AllowCredentials {
			in.Credentials = true
		}
	}
	return in
}

// allMethods are the methods CloudFront's ALL stands for, less OPTIONS (a preflight is never
// asked about OPTIONS).
var allMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}

// methods returns the methods r allows, ALL expanded, OPTIONS left out.
func methods(r policy.Rule) []string {
	var out []string
	for _, m := range r.AllowedMethods {
		m = strings.ToUpper(m)
		switch {
		case m == "ALL":
			out = append(out, allMethods...)
		case m != "OPTIONS":
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Allows reports whether the intent lets origin make a request with method (and, when
// headers are given, those request headers): some rule matches all three.
func (in Intent) Allows(origin, method string, headers []string) bool {
	_, ok := in.rule(origin, method, headers)
	return ok
}

// AllowsOrigin reports whether some rule of the intent names origin.
func (in Intent) AllowsOrigin(origin string) bool {
	for _, r := range in.Rules {
		if matchAny(r.AllowedOrigins, origin, false) {
			return true
		}
	}
	return false
}

// rule returns the first rule that matches origin, method and headers, as S3 chooses the rule
// that answers.
func (in Intent) rule(origin, method string, headers []string) (policy.Rule, bool) {
	for _, r := range in.Rules {
		if !matchAny(r.AllowedOrigins, origin, false) || !slices.Contains(methods(r), method) {
			continue
		}
		if !slices.ContainsFunc(headers, func(h string) bool { return !matchAny(r.AllowedHeaders, h, true) }) {
			return r, true
		}
	}
	return policy.Rule{}, false
}

// matchAny reports whether s matches one of the patterns, where * stands for any run of
// characters (S3's and MediaStore's wildcard; a CloudFront list of "*" alone). Header names
// match without regard to case.
func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if glob(p, s) {
			return true
		}
	}
	return false
}

// glob matches s against p, whose * matches any run of characters, / included.
func glob(p, s string) bool {
	star, ss := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && p[i] == '*':
			star, ss = i, j
			i++
		case i < len(p) && p[i] == s[j]:
			i++
			j++
		case star >= 0:
			ss++
			i, j = star+1, ss
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// concreteOrigin returns an origin that pattern matches, for a request: the pattern itself
// when it has no wildcard, else the wildcard replaced by corsguard-probe (a host label) or
// 8443 (a port). A lone * becomes https://corsguard-probe.example. ok is false when no such
// origin can be made.
func concreteOrigin(pattern string) (string, bool) {
	if pattern == "*" {
		return "https://" + probeLabel + ".example", true
	}
	for _, fill := range []string{probeLabel, "8443"} {
		o := strings.ReplaceAll(pattern, "*", fill)
		if validOrigin(o) && glob(pattern, o) {
			return o, true
		}
	}
	return "", false
}

// validOrigin reports whether o is a serialized origin: scheme://host[:port], nothing else.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, ":") {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		return err == nil && n > 0 && n < 65536
	}
	return true
}

// forbidden are the Fetch standard's forbidden request-header names: a page cannot set them,
// so a browser never asks a preflight about them.
var forbidden = []string{"accept-charset", "accept-encoding", "access-control-request-headers",
	"access-control-request-method", "connection", "content-length", "cookie", "cookie2", "date",
	"dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te", "trailer",
	"transfer-encoding", "upgrade", "via"}

// concreteHeaders returns the request-header names a page may send under a rule's
// AllowedHeaders: each name in lower case, a wildcard replaced (* alone becomes
// x-corsguard-probe), the forbidden names left out, sorted and once each, as a browser lists
// them in Access-Control-Request-Headers.
func concreteHeaders(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		h := strings.ToLower(p)
		if h == "*" {
			h = "x-" + probeLabel
		} else {
			h = strings.ReplaceAll(h, "*", probeLabel)
		}
		if !token(h) || slices.Contains(forbidden, h) || strings.HasPrefix(h, "proxy-") || strings.HasPrefix(h, "sec-") {
			continue
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// token reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func token(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// origins returns the concrete allowed origins of the intent in baseline order, once each,
// and notes for the patterns no origin could be made from.
func (in Intent) origins() (allowed []string, notes []string) {
	for _, r := range in.Rules {
		for _, p := range r.AllowedOrigins {
			o, ok := concreteOrigin(p)
			if !ok {
				notes = append(notes, fmt.Sprintf("origin pattern %q: no concrete origin matches it; not probed", p))
				continue
			}
			if !slices.Contains(allowed, o) {
				allowed = append(allowed, o)
			}
		}
	}
	return allowed, notes
}
