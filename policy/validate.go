package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Kind names a kind of resource that carries a CORS policy. The kinds differ in what a valid
// policy is, so validation takes one.
type Kind string

const (
	// MediaStore is an AWS Elemental MediaStore container (PutCorsPolicy).
	MediaStore Kind = "mediastore"
	// S3 is an Amazon S3 bucket (PutBucketCors).
	S3 Kind = "s3"
)

// The service limits that Validate enforces.
const (
	MaxRules         = 100
	MaxListItems     = 100
	MaxOriginChars   = 2048
	MaxHeaderChars   = 8192
	MaxAgeSecondsMax = 2147483647
	MaxS3IDChars     = 255
	MaxS3PolicyBytes = 64 * 1024
)

// Problem is one way in which a policy breaks the rules, at a path such as
// "CorsPolicy[2].AllowedOrigins[0]".
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String renders the problem as "PATH: MESSAGE".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem Validate found, not only the first.
type ValidationError struct {
	Kind     Kind
	Problems []Problem
}

// Error names the kind and lists every problem: "invalid KIND CORS policy: P1; P2".
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("invalid %s CORS policy: %s", e.Kind, strings.Join(lines, "; "))
}

// Validate checks p against the rules of the service behind kind and returns a
// *ValidationError listing every problem, or nil. For MediaStore these are the PutCorsPolicy
// rules: 1-100 rules; AllowedOrigins 1-100 items of 1-2048 characters with at most one "*";
// AllowedMethods 1-4 distinct of PUT, GET, DELETE, HEAD; AllowedHeaders required, 0-100 items of
// 1-8192 characters with at most one "*"; ExposeHeaders 0-100 items of 1-8192 characters;
// MaxAgeSeconds 0-2147483647; origins and headers only tab, LF, CR and U+0020-U+00FF. S3 also
// allows POST and a rule ID, and AllowedHeaders may be absent. CloudFront's rules are at
// validateCloudFront.
func Validate(p Policy, kind Kind) error {
	v := validator{kind: kind}
	switch kind {
	case MediaStore, S3:
	case CloudFront:
		v.cloudFront(p)
		return v.err()
	default:
		v.add("kind", fmt.Sprintf("unknown target kind %q", kind))
		return v.err()
	}
	if len(p) < 1 || len(p) > MaxRules {
		v.add("CorsPolicy", fmt.Sprintf("has %d rules; 1 to %d are allowed", len(p), MaxRules))
	}
	for i, r := range p {
		v.rule(fmt.Sprintf("CorsPolicy[%d]", i), r)
	}
	if compact, err := json.Marshal(p); err == nil {
		switch {
		case kind == MediaStore && utf8.RuneCount(compact) > MaxChars:
			v.add("CorsPolicy", fmt.Sprintf("is %d characters; at most %d are allowed", utf8.RuneCount(compact), MaxChars))
		case kind == S3 && len(compact) > MaxS3PolicyBytes:
			v.add("CorsPolicy", fmt.Sprintf("is %d bytes; at most %d are allowed", len(compact), MaxS3PolicyBytes))
		}
	}
	return v.err()
}

type validator struct {
	kind     Kind
	problems []Problem
}

func (v *validator) add(path, msg string) {
	v.problems = append(v.problems, Problem{Path: path, Message: msg})
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Kind: v.kind, Problems: v.problems}
}

// methods returns the HTTP methods the kind allows, in the order the API documents them.
func (v *validator) methods() []string {
	if v.kind == S3 {
		return []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	}
	return []string{"PUT", "GET", "DELETE", "HEAD"}
}

func (v *validator) rule(path string, r Rule) {
	if r.CloudFront != nil {
		v.add(path+".CloudFront", fmt.Sprintf("CloudFront fields are not supported by %s", v.kind))
	}
	if r.ID != "" {
		if v.kind != S3 {
			v.add(path+".ID", fmt.Sprintf("rule IDs are not supported by %s", v.kind))
		} else if n := utf8.RuneCountInString(r.ID); n > MaxS3IDChars {
			v.add(path+".ID", fmt.Sprintf("is %d characters; at most %d are allowed", n, MaxS3IDChars))
		}
	}

	v.list(path+".AllowedOrigins", r.AllowedOrigins, 1, MaxOriginChars, true)

	allowed := v.methods()
	methods := path + ".AllowedMethods"
	if len(r.AllowedMethods) < 1 || len(r.AllowedMethods) > len(allowed) {
		v.add(methods, fmt.Sprintf("has %d items; 1 to %d are allowed", len(r.AllowedMethods), len(allowed)))
	}
	for i, m := range r.AllowedMethods {
		item := fmt.Sprintf("%s[%d]", methods, i)
		switch {
		case !slices.Contains(allowed, m):
			v.add(item, fmt.Sprintf("method %q is not one of %s", m, strings.Join(allowed, ", ")))
		case slices.Index(r.AllowedMethods, m) < i:
			v.add(item, fmt.Sprintf("method %q is listed twice", m))
		}
	}

	headers := path + ".AllowedHeaders"
	if r.AllowedHeaders == nil && v.kind == MediaStore {
		v.add(headers, "is required (it may be an empty list)")
	}
	v.list(headers, r.AllowedHeaders, 0, MaxHeaderChars, true)
	v.list(path+".ExposeHeaders", r.ExposeHeaders, 0, MaxHeaderChars, false)

	if r.MaxAgeSeconds < 0 || r.MaxAgeSeconds > MaxAgeSecondsMax {
		v.add(path+".MaxAgeSeconds", fmt.Sprintf("is %d; it must be 0 to %d", r.MaxAgeSeconds, MaxAgeSecondsMax))
	}
}

// list checks a list of origins or headers: its length, each item's length and characters, and
// (where oneWildcard) at most one "*" in each item.
func (v *validator) list(path string, items []string, minItems, maxChars int, oneWildcard bool) {
	if len(items) < minItems || len(items) > MaxListItems {
		v.add(path, fmt.Sprintf("has %d items; %d to %d are allowed", len(items), minItems, MaxListItems))
	}
	for i, s := range items {
		item := fmt.Sprintf("%s[%d]", path, i)
		if n := utf8.RuneCountInString(s); n < 1 || n > maxChars {
			v.add(item, fmt.Sprintf("is %d characters; 1 to %d are allowed", n, maxChars))
		}
		if oneWildcard && strings.Count(s, "*") > 1 {
			v.add(item, "more than one wildcard")
		}
		if r, ok := badChar(s); ok {
			v.add(item, fmt.Sprintf("character %U is not allowed (only tab, LF, CR and U+0020 to U+00FF)", r))
		}
	}
}

// badChar returns the first character outside the API model's pattern [\t\n\r\x{0020}-\x{00FF}].
func badChar(s string) (rune, bool) {
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF) {
			continue
		}
		return r, true
	}
	return 0, false
}
