package policy

import (
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

// The service limits that Validate enforces. MaxRules holds for MediaStore and S3; the item
// and length caps are MediaStore's alone (S3's model has none).
const (
	MaxRules         = 100
	MaxListItems     = 100
	MaxOriginChars   = 2048
	MaxHeaderChars   = 8192
	MaxAgeSecondsMax = 2147483647
	MaxS3IDChars     = 255
	MaxS3PolicyBytes = 64 * 1024
)

// kindRules are the per-rule limits of one kind (MediaStore or S3).
type kindRules struct {
	methods []string
	// maxItems caps each origin and header list; 0 sets no cap.
	maxItems int
	// maxOrigin and maxHeader cap an item's characters; 0 sets no cap.
	maxOrigin, maxHeader int
	// headersRequired: AllowedHeaders must be present (it may be empty).
	headersRequired bool
	// ids: a rule may carry an ID of at most maxID characters.
	ids   bool
	maxID int
	// char reports whether an origin, header or ID may hold r; chars says which may, for errors.
	char  func(r rune) bool
	chars string
}

// mediaStoreRules are PutCorsPolicy's, from botocore's mediastore/2017-09-01 service-2.json:
// shape CorsPolicy (1-100 rules), CorsRule (AllowedOrigins and AllowedHeaders required),
// AllowedOrigins and AllowedHeaders/ExposeHeaders (max 100 items), Origin (1-2048 characters),
// Header (1-8192), both with pattern [\u0009\u000A\u000D\u0020-\u00FF]+, MethodName (PUT GET
// DELETE HEAD), AllowedMethods (1-4), MaxAgeSeconds (0-2147483647).
var mediaStoreRules = kindRules{
	methods:         []string{"PUT", "GET", "DELETE", "HEAD"},
	maxItems:        MaxListItems,
	maxOrigin:       MaxOriginChars,
	maxHeader:       MaxHeaderChars,
	headersRequired: true,
	char:            latin1,
	chars:           "only tab, LF, CR and U+0020 to U+00FF",
}

// s3Rules are PutBucketCors's. botocore's s3/2006-03-01 service-2.json (the aws CLI's on these
// machines) sets no min, max or pattern on AllowedOrigin, AllowedHeader, ExposeHeader, ID or
// their lists; its CORSRule requires AllowedMethods and AllowedOrigins only, and documents
// "ID: The value cannot be longer than 255 characters" and "AllowedMethods: Valid values are
// GET, PUT, HEAD, POST, and DELETE"; its CORSConfiguration: "You can add up to 100 rules".
// The S3 API reference (API_PutBucketCors.html) limits the XML document to 64 KB, and the S3
// User Guide (ManageCorsUsing.html) allows at most one "*" in an AllowedOrigin and in an
// AllowedHeader. So no 100-item or 2048/8192-character caps and no Latin-1 pattern.
//
// The characters allowed are XML 1.0's (the request is an XML document: the SDK would send
// U+FFFD for any other, so the bucket could never equal the baseline). An empty origin or
// header is corsguard's own rule: it matches no request and is a mistake in a baseline.
var s3Rules = kindRules{
	methods: []string{"GET", "PUT", "POST", "DELETE", "HEAD"},
	ids:     true,
	maxID:   MaxS3IDChars,
	char:    xmlChar,
	chars:   "only the characters an XML document can hold",
}

func latin1(r rune) bool { return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF) }

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
// *ValidationError listing every problem, or nil.
//
// MediaStore (PutCorsPolicy): 1-100 rules; AllowedOrigins 1-100 items of 1-2048 characters
// with at most one "*"; AllowedMethods 1-4 distinct of PUT, GET, DELETE, HEAD; AllowedHeaders
// required, 0-100 items of 1-8192 characters with at most one "*"; ExposeHeaders 0-100 items
// of 1-8192 characters; MaxAgeSeconds 0-2147483647; origins and headers only tab, LF, CR and
// U+0020-U+00FF; the CorsPolicy JSON the SDK sends at most 398,000 characters.
//
// S3 (PutBucketCors): 1-100 rules; AllowedOrigins 1 or more items with at most one "*";
// AllowedMethods 1-5 distinct of GET, PUT, POST, DELETE, HEAD; AllowedHeaders optional, items
// with at most one "*"; an ID of at most 255 characters; MaxAgeSeconds 0-2147483647; the XML
// document the SDK sends (S3Document) at most 64 KB. No cap on the number or length of items.
//
// CloudFront's rules are at validateCloudFront; Lambda function URLs' and HTTP APIs' at
// lambdaURLRules and httpAPIRules.
func Validate(p Policy, kind Kind) error {
	v := validator{kind: kind}
	switch kind {
	case MediaStore:
		v.ruleList(p, mediaStoreRules)
		if n := utf8.RuneCount(MediaStoreDocument(p)); n > MaxChars {
			v.add("CorsPolicy", fmt.Sprintf("is %d characters as PutCorsPolicy sends it (compact JSON); at most %d are allowed", n, MaxChars))
		}
	case S3:
		v.ruleList(p, s3Rules)
		if n := len(S3Document(p)); n > MaxS3PolicyBytes {
			v.add("CorsPolicy", fmt.Sprintf("is %d bytes as the XML document PutBucketCors sends; at most %d (64 KB) are allowed", n, MaxS3PolicyBytes))
		}
	case CloudFront:
		v.cloudFront(p)
	case LambdaURL:
		v.cors(p, lambdaURLRules)
	case HTTPAPI:
		v.cors(p, httpAPIRules)
	default:
		v.add("kind", fmt.Sprintf("unknown target kind %q", kind))
	}
	return v.err()
}

// ruleList checks a MediaStore or S3 rule list by the kind's rules.
func (v *validator) ruleList(p Policy, k kindRules) {
	if len(p) < 1 || len(p) > MaxRules {
		v.add("CorsPolicy", fmt.Sprintf("has %d rules; 1 to %d are allowed", len(p), MaxRules))
	}
	for i, r := range p {
		v.rule(fmt.Sprintf("CorsPolicy[%d]", i), r, k)
	}
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

func (v *validator) rule(path string, r Rule, k kindRules) {
	if r.CloudFront != nil {
		v.add(path+".CloudFront", fmt.Sprintf("CloudFront fields are not supported by %s", v.kind))
	}
	if r.Cors != nil {
		v.add(path+".Cors", fmt.Sprintf("Cors fields (AllowCredentials, MaxAge) are not supported by %s", v.kind))
	}
	if r.ID != "" {
		if !k.ids {
			v.add(path+".ID", fmt.Sprintf("rule IDs are not supported by %s", v.kind))
		} else {
			if n := utf8.RuneCountInString(r.ID); n > k.maxID {
				v.add(path+".ID", fmt.Sprintf("is %d characters; at most %d are allowed", n, k.maxID))
			}
			v.chars(path+".ID", r.ID, k)
		}
	}

	v.list(path+".AllowedOrigins", r.AllowedOrigins, 1, k.maxOrigin, true, k)

	methods := path + ".AllowedMethods"
	if len(r.AllowedMethods) < 1 || len(r.AllowedMethods) > len(k.methods) {
		v.add(methods, fmt.Sprintf("has %d items; 1 to %d are allowed", len(r.AllowedMethods), len(k.methods)))
	}
	for i, m := range r.AllowedMethods {
		item := fmt.Sprintf("%s[%d]", methods, i)
		switch {
		case !slices.Contains(k.methods, m):
			v.add(item, fmt.Sprintf("method %q is not one of %s", m, strings.Join(k.methods, ", ")))
		case slices.Index(r.AllowedMethods, m) < i:
			v.add(item, fmt.Sprintf("method %q is listed twice", m))
		}
	}

	headers := path + ".AllowedHeaders"
	if r.AllowedHeaders == nil && k.headersRequired {
		v.add(headers, "is required (it may be an empty list)")
	}
	v.list(headers, r.AllowedHeaders, 0, k.maxHeader, true, k)
	v.list(path+".ExposeHeaders", r.ExposeHeaders, 0, k.maxHeader, false, k)

	if r.MaxAgeSeconds < 0 || r.MaxAgeSeconds > MaxAgeSecondsMax {
		v.add(path+".MaxAgeSeconds", fmt.Sprintf("is %d; it must be 0 to %d", r.MaxAgeSeconds, MaxAgeSecondsMax))
	}
}

// list checks a list of origins or headers: its length (k.maxItems, when set), each item's
// length (1 to maxChars, or at least 1 when maxChars is 0) and characters, and (where
// oneWildcard) at most one "*" in each item.
func (v *validator) list(path string, items []string, minItems, maxChars int, oneWildcard bool, k kindRules) {
	switch {
	case k.maxItems > 0 && (len(items) < minItems || len(items) > k.maxItems):
		v.add(path, fmt.Sprintf("has %d items; %d to %d are allowed", len(items), minItems, k.maxItems))
	case len(items) < minItems:
		v.add(path, fmt.Sprintf("has %d items; at least %d is required", len(items), minItems))
	}
	for i, s := range items {
		item := fmt.Sprintf("%s[%d]", path, i)
		n := utf8.RuneCountInString(s)
		switch {
		case maxChars > 0 && (n < 1 || n > maxChars):
			v.add(item, fmt.Sprintf("is %d characters; 1 to %d are allowed", n, maxChars))
		case n < 1:
			v.add(item, "is empty")
		}
		if oneWildcard && strings.Count(s, "*") > 1 {
			v.add(item, "more than one wildcard")
		}
		v.chars(item, s, k)
	}
}

// chars reports the first character of s that the kind does not allow.
func (v *validator) chars(path, s string, k kindRules) {
	for _, r := range s {
		if !k.char(r) {
			v.add(path, fmt.Sprintf("character %U is not allowed (%s)", r, k.chars))
			return
		}
	}
}
