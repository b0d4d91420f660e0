package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Canonical returns p in canonical form: rule order kept (the first matching rule wins), each
// list sorted with duplicates removed (order inside a list means nothing to the service), and
// absent lists as empty ones. A missing MaxAgeSeconds is already 0. Allowed and exposed header
// names are in lower case, for every kind: HTTP header names are case-insensitive (RFC 9110
// section 5.1), and S3 and MediaStore match Access-Control-Request-Headers without regard to
// case, so "etag" and "ETag" are not drift. Origins and method names keep their case. A
// CloudFront rule's method ALL also stands for the seven methods it names (see
// canonicalCloudFront).
func Canonical(p Policy) Policy {
	out := make(Policy, len(p))
	for i, r := range p {
		if r.CloudFront != nil {
			out[i] = canonicalCloudFront(r)
			continue
		}
		if r.Cors != nil {
			out[i] = canonicalCors(r)
			continue
		}
		out[i] = Rule{
			ID:             r.ID,
			AllowedOrigins: set(r.AllowedOrigins),
			AllowedMethods: set(r.AllowedMethods),
			AllowedHeaders: headerSet(r.AllowedHeaders),
			ExposeHeaders:  headerSet(r.ExposeHeaders),
			MaxAgeSeconds:  r.MaxAgeSeconds,
		}
	}
	return out
}

// headerSet is a set of header names in lower case.
func headerSet(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strings.ToLower(s)
	}
	return set(out)
}

func set(items []string) []string {
	out := slices.Clone(items)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Equal reports whether a and b mean the same to the service: same rules in the same order,
// each with the same sets of origins, methods and headers and the same max age.
func Equal(a, b Policy) bool {
	if len(a) != len(b) {
		return false
	}
	ca, cb := Canonical(a), Canonical(b)
	for i := range ca {
		if !ruleEqual(ca[i], cb[i]) {
			return false
		}
	}
	return true
}

func ruleEqual(a, b Rule) bool {
	return a.ID == b.ID &&
		slices.Equal(a.AllowedOrigins, b.AllowedOrigins) &&
		slices.Equal(a.AllowedMethods, b.AllowedMethods) &&
		slices.Equal(a.AllowedHeaders, b.AllowedHeaders) &&
		slices.Equal(a.ExposeHeaders, b.ExposeHeaders) &&
		a.MaxAgeSeconds == b.MaxAgeSeconds &&
		cloudFrontEqual(a.CloudFront, b.CloudFront) &&
		corsEqual(a.Cors, b.Cors)
}

// Hash identifies a policy by meaning: "sha256:" and the hex SHA-256 of its canonical JSON.
// Equal policies have equal hashes.
func Hash(p Policy) string {
	data, err := json.Marshal(Canonical(p))
	if err != nil { // a Policy holds only strings and integers
		panic(err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Change is one difference between an actual policy and the wanted one.
type Change struct {
	// Path is the rule or field that differs, such as "CorsPolicy[1].AllowedOrigins".
	Path string `json:"path"`
	// Op is "add" (a rule the actual policy lacks), "remove" (a rule the baseline lacks) or
	// "change" (a field of a rule at the same position).
	Op string `json:"op"`
	// Added and Removed hold list items to add and to remove, for a changed list field.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// From and To hold the old and new value of a changed scalar field or a whole rule, as JSON.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// String renders the change on one line: "PATH: missing rule, want RULE", "PATH: rule not in
// baseline: RULE", "PATH: FROM -> TO", or "PATH: +added -removed" for a list field.
func (c Change) String() string {
	switch c.Op {
	case "add":
		return fmt.Sprintf("%s: missing rule, want %s", c.Path, c.To)
	case "remove":
		return fmt.Sprintf("%s: rule not in baseline: %s", c.Path, c.From)
	}
	if c.From != "" || c.To != "" {
		return fmt.Sprintf("%s: %s -> %s", c.Path, c.From, c.To)
	}
	var parts []string
	for _, s := range c.Added {
		parts = append(parts, "+"+s)
	}
	for _, s := range c.Removed {
		parts = append(parts, "-"+s)
	}
	return c.Path + ": " + strings.Join(parts, " ")
}

// Diff lists what must change to turn actual into want, rule by rule in order. A nil actual is
// a container without a policy: every wanted rule is missing. Diff is empty exactly when
// Equal(actual, want).
//
// A wanted CloudFront CorsConfig (one rule with CloudFront set) is diffed in CloudFront's
// field names ("CorsConfig.AccessControlAllowOrigins"); a nil actual is then a response
// headers policy without a CorsConfig. A wanted Cors object (Lambda function URL, HTTP API) is
// diffed in that service's names ("Cors.AllowOrigins", "CorsConfiguration.MaxAge"); a nil
// actual is then a function URL or an API without CORS.
func Diff(actual, want Policy) []Change {
	if len(want) == 1 && want[0].CloudFront != nil && (len(actual) == 0 || (len(actual) == 1 && actual[0].CloudFront != nil)) {
		return diffCloudFront(actual, want[0])
	}
	if len(want) == 1 && want[0].Cors != nil && (len(actual) == 0 || (len(actual) == 1 && actual[0].Cors != nil)) {
		return diffCors(actual, want[0])
	}
	a, w := Canonical(actual), Canonical(want)
	var out []Change
	for i := 0; i < max(len(a), len(w)); i++ {
		path := fmt.Sprintf("CorsPolicy[%d]", i)
		switch {
		case i >= len(a):
			out = append(out, Change{Path: path, Op: "add", To: compact(w[i])})
		case i >= len(w):
			out = append(out, Change{Path: path, Op: "remove", From: compact(a[i])})
		default:
			out = append(out, ruleDiff(path, a[i], w[i])...)
		}
	}
	return out
}

func ruleDiff(path string, a, w Rule) []Change {
	var out []Change
	if a.ID != w.ID {
		out = append(out, Change{Path: path + ".ID", Op: "change", From: fmt.Sprintf("%q", a.ID), To: fmt.Sprintf("%q", w.ID)})
	}
	out = append(out, listChanges(path+".",
		listDiff{"AllowedOrigins", a.AllowedOrigins, w.AllowedOrigins},
		listDiff{"AllowedMethods", a.AllowedMethods, w.AllowedMethods},
		listDiff{"AllowedHeaders", a.AllowedHeaders, w.AllowedHeaders},
		listDiff{"ExposeHeaders", a.ExposeHeaders, w.ExposeHeaders})...)
	if a.MaxAgeSeconds != w.MaxAgeSeconds {
		out = append(out, Change{Path: path + ".MaxAgeSeconds", Op: "change",
			From: fmt.Sprint(a.MaxAgeSeconds), To: fmt.Sprint(w.MaxAgeSeconds)})
	}
	return out
}

// listDiff is one of a rule's lists, in one service's words: its name, and its actual and
// wanted items (sorted sets).
type listDiff struct {
	name         string
	actual, want []string
}

// listChanges returns, in the order given, a change for each list whose items differ (the
// items added and removed), its path prefix+name: the one diff of a rule's lists, for every
// service's field names.
func listChanges(prefix string, lists ...listDiff) []Change {
	var out []Change
	for _, l := range lists {
		added, removed := minus(l.want, l.actual), minus(l.actual, l.want)
		if len(added) > 0 || len(removed) > 0 {
			out = append(out, Change{Path: prefix + l.name, Op: "change", Added: added, Removed: removed})
		}
	}
	return out
}

// minus returns the items of sorted set a that are not in sorted set b.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}

func compact(r Rule) string {
	data, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return string(data)
}
