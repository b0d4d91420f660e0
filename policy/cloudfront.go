package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// CloudFront is an Amazon CloudFront response headers policy: its CorsConfig
// (UpdateResponseHeadersPolicy). A CorsConfig is one rule; in a Policy it is a Policy of one
// Rule whose CloudFront field is set (see CorsConfig.Policy).
const CloudFront Kind = "cloudfront"

// The CloudFront limits that Validate enforces.
const (
	// MaxCloudFrontOriginChars caps each origin of a CorsConfig. CloudFront's quotas page
	// (Developer Guide, Quotas, response headers policies) lists 1,783 characters for "a CORS
	// (Access-Control-Allow-Origin) header value", beside the same figure for a custom header's
	// value and for the Content-Security-Policy value. That header carries one origin, the one
	// that matched, or *: never the list. No AWS error, SDK or CLI test, moto model or answer
	// shows a bound on all origins joined (botocore's model has TooLongCSPInResponseHeadersPolicy
	// for the CSP and nothing for CORS), so an origin longer than this is refused and nothing
	// more; should AWS refuse a write anyway, the engine reports it as a terminal failure. The
	// 10,240 characters of the same page bound CustomHeadersConfig, which corsguard never writes.
	MaxCloudFrontOriginChars = 1783
)

// cloudFrontMethods are the values of AccessControlAllowMethods (botocore's
// ResponseHeadersPolicyAccessControlAllowMethodsValues), in the model's order. ALL stands for
// the seven others.
var cloudFrontMethods = []string{"GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD", "ALL"}

// CloudFrontRule holds the fields only a CloudFront CorsConfig has. Each is a pointer so that
// an absent field is told from a false or zero one: the first two are required by the API,
// and an absent AccessControlMaxAgeSec means CloudFront sends no Access-Control-Max-Age at all.
type CloudFrontRule struct {
	AllowCredentials *bool  `json:"AccessControlAllowCredentials,omitempty"`
	OriginOverride   *bool  `json:"OriginOverride,omitempty"`
	MaxAgeSec        *int64 `json:"AccessControlMaxAgeSec,omitempty"`
}

// CloudFrontList is CloudFront's list shape: {"Quantity": N, "Items": [...]}.
type CloudFrontList struct {
	Quantity *int     `json:"Quantity"`
	Items    []string `json:"Items,omitempty"`
}

// CorsConfig is a response headers policy's CorsConfig with CloudFront's field names and list
// shape, as `aws cloudfront get-response-headers-policy` prints it.
type CorsConfig struct {
	AccessControlAllowOrigins     *CloudFrontList `json:"AccessControlAllowOrigins,omitempty"`
	AccessControlAllowHeaders     *CloudFrontList `json:"AccessControlAllowHeaders,omitempty"`
	AccessControlAllowMethods     *CloudFrontList `json:"AccessControlAllowMethods,omitempty"`
	AccessControlAllowCredentials *bool           `json:"AccessControlAllowCredentials,omitempty"`
	AccessControlExposeHeaders    *CloudFrontList `json:"AccessControlExposeHeaders,omitempty"`
	AccessControlMaxAgeSec        *int64          `json:"AccessControlMaxAgeSec,omitempty"`
	OriginOverride                *bool           `json:"OriginOverride,omitempty"`
}

// ParseCorsConfig decodes a CloudFront CorsConfig given in any of the shapes the aws CLI
// prints, so a good one can be copied as it is:
//
//   - the CorsConfig object alone: {"AccessControlAllowOrigins": {...}, ...};
//   - wrapped: {"CorsConfig": {...}};
//   - the whole output of `aws cloudfront get-response-headers-policy`
//     ({"ETag", "ResponseHeadersPolicy": {"ResponseHeadersPolicyConfig": {"CorsConfig": ...}}})
//     or of get-response-headers-policy-config ({"ETag", "ResponseHeadersPolicyConfig": ...}).
//
// Unknown fields inside the CorsConfig and its lists are an error (a typo must not drop a
// field); the other fields of the wrappers (Name, SecurityHeadersConfig, ETag, ...) are
// CloudFront's and are ignored. A list's Quantity may be omitted; when given it must equal the
// number of Items (CloudFront's InconsistentQuantities). A key given twice in one object, at
// any depth (wrappers included), is an error naming its path; a UTF-8 byte order mark is
// ignored. ParseCorsConfig does not check the
// rest of CloudFront's rules: Validate(c.Policy(), CloudFront) does.
func ParseCorsConfig(data []byte) (CorsConfig, error) {
	trimmed, err := object(data, "cors config", errNotCorsConfig)
	if err != nil {
		return CorsConfig{}, err
	}
	inner, err := unwrapCorsConfig(trimmed)
	if err != nil {
		return CorsConfig{}, err
	}
	var c CorsConfig
	if err := decodeStrict(inner, &c); err != nil {
		return CorsConfig{}, err
	}
	for _, l := range []struct {
		name string
		list *CloudFrontList
	}{
		{"AccessControlAllowOrigins", c.AccessControlAllowOrigins},
		{"AccessControlAllowHeaders", c.AccessControlAllowHeaders},
		{"AccessControlAllowMethods", c.AccessControlAllowMethods},
		{"AccessControlExposeHeaders", c.AccessControlExposeHeaders},
	} {
		if l.list != nil && l.list.Quantity != nil && *l.list.Quantity != len(l.list.Items) {
			return CorsConfig{}, fmt.Errorf("CorsConfig.%s: Quantity is %d but there are %d Items", l.name, *l.list.Quantity, len(l.list.Items))
		}
	}
	return c, nil
}

// errNotCorsConfig is the error for a rule list (MediaStore's or S3's shape) given as a CloudFront
// baseline: the likely mistake is a cloudfront target reading the containers' baseline.
var errNotCorsConfig = errors.New(`this is a rule list (MediaStore's or S3's shape), not a CloudFront CorsConfig: give the cloudfront target a baseline of its own (--cloudfront-baseline-parameter, CORSGUARD_CLOUDFRONT_BASELINE_PARAMETER) holding the CorsConfig, alone, as {"CorsConfig": {...}} or as aws cloudfront get-response-headers-policy prints it`)

// unwrapCorsConfig returns the CorsConfig object inside one of the wrappers ParseCorsConfig
// accepts, or data itself when it is the CorsConfig.
func unwrapCorsConfig(data []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("parse cors config: %w", err)
	}
	if top == nil {
		return nil, errors.New("cors config is null")
	}
	if _, ok := top["CorsPolicy"]; ok {
		return nil, errNotCorsConfig
	}
	path := []string{"ResponseHeadersPolicy", "ResponseHeadersPolicyConfig", "CorsConfig"}
	for i, key := range path {
		if _, ok := top[key]; !ok {
			continue
		}
		cur := top
		for _, k := range path[i:] {
			raw, ok := cur[k]
			if !ok {
				return nil, fmt.Errorf("cors config: %s has no %q field", strings.Join(path[i:slices.Index(path, k)], "."), k)
			}
			if k == "CorsConfig" {
				if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
					return nil, errors.New("cors config: CorsConfig is null")
				}
				return raw, nil
			}
			cur = nil
			if err := json.Unmarshal(raw, &cur); err != nil || cur == nil {
				return nil, fmt.Errorf("cors config: %s is not an object", k)
			}
		}
	}
	return data, nil
}

// Policy returns c as a Policy of one Rule, the form the engine compares and hashes: origins,
// headers, methods and expose headers in the Rule's lists (absent lists stay nil), the
// CloudFront-only fields in Rule.CloudFront.
func (c CorsConfig) Policy() Policy {
	items := func(l *CloudFrontList) []string {
		if l == nil {
			return nil
		}
		if l.Items == nil {
			return []string{}
		}
		return slices.Clone(l.Items)
	}
	r := Rule{
		AllowedOrigins: items(c.AccessControlAllowOrigins),
		AllowedMethods: items(c.AccessControlAllowMethods),
		AllowedHeaders: items(c.AccessControlAllowHeaders),
		ExposeHeaders:  items(c.AccessControlExposeHeaders),
		CloudFront: &CloudFrontRule{
			AllowCredentials: clonePtr(c.AccessControlAllowCredentials),
			OriginOverride:   clonePtr(c.OriginOverride),
			MaxAgeSec:        clonePtr(c.AccessControlMaxAgeSec),
		},
	}
	return Policy{r}
}

// CorsConfigOf returns the CorsConfig p holds; p must be one Rule with CloudFront set (what
// CorsConfig.Policy returns). Quantity is set from the Items.
func CorsConfigOf(p Policy) (CorsConfig, error) {
	if len(p) != 1 || p[0].CloudFront == nil {
		return CorsConfig{}, errors.New("not a CloudFront CorsConfig: want one rule with CloudFront fields")
	}
	r := p[0]
	list := func(items []string) *CloudFrontList {
		if items == nil {
			return nil
		}
		n := len(items)
		out := &CloudFrontList{Quantity: &n}
		if n > 0 {
			out.Items = slices.Clone(items)
		}
		return out
	}
	return CorsConfig{
		AccessControlAllowOrigins:     list(r.AllowedOrigins),
		AccessControlAllowHeaders:     list(r.AllowedHeaders),
		AccessControlAllowMethods:     list(r.AllowedMethods),
		AccessControlAllowCredentials: clonePtr(r.CloudFront.AllowCredentials),
		AccessControlExposeHeaders:    list(r.ExposeHeaders),
		AccessControlMaxAgeSec:        clonePtr(r.CloudFront.MaxAgeSec),
		OriginOverride:                clonePtr(r.CloudFront.OriginOverride),
	}, nil
}

// JSON returns c indented, in the shape ParseCorsConfig reads back.
func (c CorsConfig) JSON() []byte {
	return indented(c)
}

// ParseKind parses a baseline for kind: a CorsConfig (ParseCorsConfig) for CloudFront, a Cors
// object (ParseCors) for LambdaURL and HTTPAPI, a policy (Parse) for the others.
func ParseKind(kind Kind, data []byte) (Policy, error) {
	if kind == LambdaURL || kind == HTTPAPI {
		c, err := ParseCors(data)
		if err != nil {
			return nil, err
		}
		return c.Policy(kind), nil
	}
	if kind == CloudFront {
		c, err := ParseCorsConfig(data)
		if err != nil {
			return nil, err
		}
		return c.Policy(), nil
	}
	return Parse(data)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// validateCloudFront checks a Policy in CorsConfig form by CloudFront's rules (botocore's
// ResponseHeadersPolicyCorsConfig and the CloudFront Developer Guide):
//
//   - AccessControlAllowOrigins, AccessControlAllowHeaders, AccessControlAllowMethods,
//     AccessControlAllowCredentials and OriginOverride are required (the model's "required");
//   - at least one origin and one method; methods from GET POST OPTIONS PUT DELETE PATCH HEAD
//     ALL, each once; origins and header names non-empty, without control characters;
//   - each origin at most 1,783 characters (an Access-Control-Allow-Origin value: one origin;
//     see MaxCloudFrontOriginChars for why the origins joined are not bounded);
//   - AccessControlMaxAgeSec not negative;
//   - corsguard's own rule, stricter than the API model: AccessControlAllowCredentials true
//     with a "*" origin is refused, because browsers refuse that answer (Fetch standard: no
//     wildcard with credentials), so such a baseline could only break players.
func (v *validator) cloudFront(p Policy) {
	if len(p) != 1 {
		v.add("CorsConfig", fmt.Sprintf("has %d rules; a CloudFront CorsConfig is exactly one", len(p)))
		return
	}
	r := p[0]
	if r.ID != "" {
		v.add("CorsConfig.ID", "rule IDs are not supported by cloudfront")
	}
	if r.MaxAgeSeconds != 0 {
		v.add("CorsConfig.MaxAgeSeconds", "is not a CloudFront field; use AccessControlMaxAgeSec")
	}
	if r.Cors != nil {
		v.add("CorsConfig.Cors", "Cors fields (AllowCredentials, MaxAge) are not CloudFront's")
	}
	cf := r.CloudFront
	if cf == nil {
		v.add("CorsConfig", "has none of the CloudFront fields (AccessControlAllowCredentials, OriginOverride)")
		cf = &CloudFrontRule{}
	}
	required := func(name string, present bool) {
		if !present {
			v.add("CorsConfig."+name, "is required")
		}
	}
	required("AccessControlAllowOrigins", r.AllowedOrigins != nil)
	required("AccessControlAllowHeaders", r.AllowedHeaders != nil)
	required("AccessControlAllowMethods", r.AllowedMethods != nil)
	required("AccessControlAllowCredentials", cf.AllowCredentials != nil)
	required("OriginOverride", cf.OriginOverride != nil)

	origins := "CorsConfig.AccessControlAllowOrigins"
	if r.AllowedOrigins != nil && len(r.AllowedOrigins) == 0 {
		v.add(origins, "has no Items; at least one origin is required")
	}
	v.cfItems(origins, r.AllowedOrigins)
	for i, o := range r.AllowedOrigins {
		if n := utf8.RuneCountInString(o); n > MaxCloudFrontOriginChars {
			v.add(fmt.Sprintf("%s.Items[%d]", origins, i), fmt.Sprintf("is %d characters; an Access-Control-Allow-Origin value may be at most %d", n, MaxCloudFrontOriginChars))
		}
	}
	v.cfItems("CorsConfig.AccessControlAllowHeaders", r.AllowedHeaders)
	v.cfItems("CorsConfig.AccessControlExposeHeaders", r.ExposeHeaders)

	methods := "CorsConfig.AccessControlAllowMethods"
	if r.AllowedMethods != nil && len(r.AllowedMethods) == 0 {
		v.add(methods, "has no Items; at least one method is required")
	}
	for i, m := range r.AllowedMethods {
		item := fmt.Sprintf("%s.Items[%d]", methods, i)
		switch {
		case !slices.Contains(cloudFrontMethods, m):
			v.add(item, fmt.Sprintf("method %q is not one of %s", m, strings.Join(cloudFrontMethods, ", ")))
		case slices.Index(r.AllowedMethods, m) < i:
			v.add(item, fmt.Sprintf("method %q is listed twice", m))
		}
	}

	if cf.MaxAgeSec != nil && (*cf.MaxAgeSec < 0 || *cf.MaxAgeSec > MaxAgeSecondsMax) {
		v.add("CorsConfig.AccessControlMaxAgeSec", fmt.Sprintf("is %d; it must be 0 to %d", *cf.MaxAgeSec, MaxAgeSecondsMax))
	}
	if cf.AllowCredentials != nil && *cf.AllowCredentials && slices.Contains(r.AllowedOrigins, "*") {
		v.add("CorsConfig.AccessControlAllowCredentials",
			`is true with the origin "*": browsers refuse credentials with a wildcard origin (corsguard's rule, stricter than CloudFront's API)`)
	}
}

// cfItems checks the items of a CloudFront list: each non-empty, without control characters.
func (v *validator) cfItems(path string, items []string) {
	for i, s := range items {
		item := fmt.Sprintf("%s.Items[%d]", path, i)
		if s == "" {
			v.add(item, "is empty")
		}
		for _, c := range s {
			if c < 0x20 || c == 0x7f {
				v.add(item, fmt.Sprintf("control character %U is not allowed", c))
				break
			}
		}
	}
}

// canonicalCloudFront is the canonical form of a CloudFront rule: lists as sets, header names
// in lower case (HTTP header names are case-insensitive), ALL expanded to the seven methods it
// stands for, and AccessControlMaxAgeSec kept as given (absent is not 0: absent sends no
// Access-Control-Max-Age header, 0 sends "0").
func canonicalCloudFront(r Rule) Rule {
	methods := slices.Clone(r.AllowedMethods)
	if slices.Contains(methods, "ALL") {
		methods = append(slices.DeleteFunc(methods, func(m string) bool { return m == "ALL" }), cloudFrontMethods[:7]...)
	}
	cf := CloudFrontRule{}
	if r.CloudFront != nil {
		cf = CloudFrontRule{
			AllowCredentials: clonePtr(r.CloudFront.AllowCredentials),
			OriginOverride:   clonePtr(r.CloudFront.OriginOverride),
			MaxAgeSec:        clonePtr(r.CloudFront.MaxAgeSec),
		}
	}
	return Rule{
		ID:             r.ID,
		AllowedOrigins: set(r.AllowedOrigins),
		AllowedMethods: set(methods),
		AllowedHeaders: headerSet(r.AllowedHeaders),
		ExposeHeaders:  headerSet(r.ExposeHeaders),
		MaxAgeSeconds:  r.MaxAgeSeconds,
		CloudFront:     &cf,
	}
}

func cloudFrontEqual(a, b *CloudFrontRule) bool {
	if a == nil || b == nil {
		return a == b
	}
	return ptrEqual(a.AllowCredentials, b.AllowCredentials) &&
		ptrEqual(a.OriginOverride, b.OriginOverride) &&
		ptrEqual(a.MaxAgeSec, b.MaxAgeSec)
}

func ptrEqual[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "(absent)"
	}
	return fmt.Sprint(*p)
}

// diffCloudFront lists the changes between two CloudFront rules in CloudFront's field names:
// "CorsConfig.AccessControlAllowOrigins: +https://b -https://a". A nil actual is a response
// headers policy without a CorsConfig.
func diffCloudFront(actual Policy, want Rule) []Change {
	w := canonicalCloudFront(want)
	if len(actual) == 0 {
		return []Change{{Path: "CorsConfig", Op: "add", To: compact(want)}}
	}
	a := canonicalCloudFront(actual[0])
	var out []Change
	out = append(out, listChanges("CorsConfig.",
		listDiff{"AccessControlAllowOrigins", a.AllowedOrigins, w.AllowedOrigins},
		listDiff{"AccessControlAllowHeaders", a.AllowedHeaders, w.AllowedHeaders},
		listDiff{"AccessControlAllowMethods", a.AllowedMethods, w.AllowedMethods},
		listDiff{"AccessControlExposeHeaders", a.ExposeHeaders, w.ExposeHeaders})...)
	scalar := func(name string, eq bool, from, to string) {
		if !eq {
			out = append(out, Change{Path: "CorsConfig." + name, Op: "change", From: from, To: to})
		}
	}
	scalar("AccessControlAllowCredentials", ptrEqual(a.CloudFront.AllowCredentials, w.CloudFront.AllowCredentials),
		ptrString(a.CloudFront.AllowCredentials), ptrString(w.CloudFront.AllowCredentials))
	scalar("AccessControlMaxAgeSec", ptrEqual(a.CloudFront.MaxAgeSec, w.CloudFront.MaxAgeSec),
		ptrString(a.CloudFront.MaxAgeSec), ptrString(w.CloudFront.MaxAgeSec))
	scalar("OriginOverride", ptrEqual(a.CloudFront.OriginOverride, w.CloudFront.OriginOverride),
		ptrString(a.CloudFront.OriginOverride), ptrString(w.CloudFront.OriginOverride))
	return out
}
