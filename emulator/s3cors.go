package emulator

import (
	"net/http"
	"strconv"
	"strings"
)

// This file is how S3's data plane answers CORS: the preflight (OPTIONS object) and the CORS
// headers of a GET or HEAD. Sources, cited where each rule is applied:
//   - [UG] S3 User Guide, "Elements of a CORS configuration" and "How does Amazon S3 evaluate
//     the CORS configuration on a bucket?"
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html): "it
//     evaluates the CORS configuration for the bucket and uses the first CORSRule rule that
//     matches the incoming browser request"; a rule matches when the Origin matches an
//     AllowedOrigin, the method (Access-Control-Request-Method on a preflight) is one of its
//     AllowedMethods, and every header of Access-Control-Request-Headers matches an
//     AllowedHeader; AllowedOrigin and AllowedHeader may hold one "*" wildcard.
//   - [OPT] S3 API Reference, "Appendix: OPTIONS object"
//     (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html): Origin and
//     Access-Control-Request-Method are required; "If cors is not enabled on the bucket, then
//     Amazon S3 returns a 403 Forbidden response"; Access-Control-Allow-Origin is left out
//     when the origin is not allowed.
//   - [CRH] S3 API Reference, "Common Response Headers"
//     (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonResponseHeaders.html): the
//     Access-Control-* headers and Vary are sent only when the CORS evaluation succeeds; an
//     origin allowed by "*" is answered "*" and then Access-Control-Allow-Credentials is
//     omitted, otherwise it is "true"; Access-Control-Allow-Headers lists the allowed
//     Access-Control-Request-Headers.
//
// Where the documents are silent, the choice follows public captures of S3's answers (AWS
// re:Post and Stack Overflow threads quoting them) and is marked "silent" below.

// s3CORSVary is S3's Vary on a successful CORS evaluation. [CRH] says Vary lists "which
// request headers the CORS evaluation result varies on" without spelling the value; captured
// S3 answers carry these three.
const s3CORSVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// corsDecision is the outcome of a CORS evaluation: the headers to add to the answer (none
// when the evaluation did not succeed, [CRH]).
type corsDecision struct {
	headers [][2]string
}

func (d corsDecision) apply(h http.Header) {
	for _, kv := range d.headers {
		h.Set(kv[0], kv[1])
	}
}

func (d corsDecision) ok() bool { return len(d.headers) > 0 }

// s3EvaluateCORS evaluates rules for a request from origin with method (for a preflight: the
// Access-Control-Request-Method) and the Access-Control-Request-Headers value requested (a
// preflight's; "" otherwise). A request without Origin is not a CORS request: no headers, as
// for one no rule matches (a GET is still answered 200: [CRH] only withholds the headers).
func s3EvaluateCORS(rules []corsRule, origin, method, requested string) corsDecision {
	if origin == "" {
		return corsDecision{}
	}
	headers := splitHeaderList(requested)
	for _, r := range rules { // [UG]: the first rule that matches answers
		allowOrigin, ok := s3MatchOrigin(r.AllowedOrigins, origin)
		if !ok || !containsExact(r.AllowedMethods, method) || !s3HeadersAllowed(r.AllowedHeaders, headers) {
			continue
		}
		d := corsDecision{}
		add := func(k, v string) { d.headers = append(d.headers, [2]string{k, v}) }
		add("Access-Control-Allow-Origin", allowOrigin)
		if allowOrigin != "*" { // [CRH]
			add("Access-Control-Allow-Credentials", "true")
		}
		// [CRH] names Access-Control-Allow-Methods as "a list that specifies which HTTP methods
		// are allowed"; silent on its value: captured answers list the rule's methods, on the
		// preflight and on the GET alike (moto does the same).
		add("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
		if len(headers) > 0 { // [CRH]: "explicitly specifies all allowed Access-Control-Request-Headers"
			add("Access-Control-Allow-Headers", strings.Join(headers, ", "))
		}
		if len(r.ExposeHeaders) > 0 {
			add("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
		}
		if r.MaxAgeSeconds != nil {
			add("Access-Control-Max-Age", strconv.FormatInt(*r.MaxAgeSeconds, 10))
		}
		add("Vary", s3CORSVary)
		return d
	}
	return corsDecision{}
}

// s3MatchOrigin reports whether origin matches one of allowed and what Access-Control-Allow-
// Origin answers: "*" when the item that matched is "*" ([CRH]), else the origin. Silent: case.
// Browsers serialize origins in lower case; S3 is taken to compare them as written.
func s3MatchOrigin(allowed []string, origin string) (string, bool) {
	for _, a := range allowed {
		if a == "*" {
			return "*", true
		}
		if wildcardMatch(a, origin, false) {
			return origin, true
		}
	}
	return "", false
}

// s3HeadersAllowed: every requested header must match an AllowedHeader ([UG]); header names
// compare without regard to case (RFC 9110 section 5.1).
func s3HeadersAllowed(allowed, requested []string) bool {
	for _, h := range requested {
		ok := false
		for _, a := range allowed {
			if wildcardMatch(a, h, true) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// wildcardMatch matches s against pattern, which holds at most one "*" standing for any run
// of characters (S3 allows one per AllowedOrigin and AllowedHeader).
func wildcardMatch(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	before, after, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

func containsExact(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// splitHeaderList splits a comma-separated header list, trimming blanks and dropping empty
// items. Names keep the case they were sent in (browsers send them in lower case).
func splitHeaderList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// s3Preflight answers OPTIONS on an object of b: the CORS headers of the first matching rule,
// or S3's refusal.
func s3Preflight(b *bucket, h http.Header) (corsDecision, *apiError) {
	origin, method := h.Get("Origin"), h.Get("Access-Control-Request-Method")
	badRequest := func(msg string) *apiError {
		return &apiError{Code: "BadRequest", Status: http.StatusBadRequest, Message: msg}
	}
	// [OPT] marks both headers required and is silent on the answer without them; captured S3
	// answers are 400 BadRequest with these messages.
	if origin == "" {
		return corsDecision{}, badRequest("Insufficient information. Origin request header needed.")
	}
	if method == "" {
		return corsDecision{}, badRequest("Invalid Access-Control-Request-Method: null")
	}
	if b.cors == nil { // [OPT]: 403; the code and message are the captured ones
		return corsDecision{}, &apiError{Code: "CORSResponse", Status: http.StatusForbidden, Message: "CORS is not enabled for this bucket."}
	}
	d := s3EvaluateCORS(b.cors, origin, method, h.Get("Access-Control-Request-Headers"))
	if !d.ok() {
		return corsDecision{}, &apiError{Code: "AccessForbidden", Status: http.StatusForbidden,
			Message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
			Fields:  [][2]string{{"Method", method}, {"ResourceType", "OBJECT"}}}
	}
	return d, nil
}
