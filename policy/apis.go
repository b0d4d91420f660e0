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

// The two kinds whose CORS is one Cors object with the same field names (AllowCredentials,
// AllowHeaders, AllowMethods, AllowOrigins, ExposeHeaders, MaxAge).
const (
	// LambdaURL is an AWS Lambda function URL: a function and its qualifier
	// (UpdateFunctionUrlConfig's Cors).
	LambdaURL Kind = "lambda-url"
	// HTTPAPI is an Amazon API Gateway HTTP API (UpdateApi's CorsConfiguration); WebSocket
	// APIs have no CORS.
	HTTPAPI Kind = "http-api"
)

// The limits Validate enforces for the Cors kinds.
const (
	// MaxLambdaMethods caps Lambda's AllowMethods (botocore lambda AllowMethodsList: max 6).
	MaxLambdaMethods = 6
	// MaxLambdaItems caps Lambda's AllowOrigins, AllowHeaders and ExposeHeaders (max 100).
	MaxLambdaItems = 100
	// MaxLambdaOriginChars caps one Lambda origin (shape Origin: 1-253 characters).
	MaxLambdaOriginChars = 253
	// MaxLambdaHeaderChars caps one Lambda header name (shape Header: 0-1024 characters).
	MaxLambdaHeaderChars = 1024
	// MaxCorsMaxAge is both services' largest MaxAge (Lambda MaxAge 0-86400; API Gateway
	// IntegerWithLengthBetweenMinus1And86400).
	MaxCorsMaxAge = 86400
)

// lambdaMethods are the values Lambda's AllowMethods takes, from the Lambda developer guide
// and the AWS::Lambda::Url Cors reference ("Allowed values: GET | PUT | HEAD | POST | PATCH |
// DELETE | *"). The model caps a method at 6 characters, which leaves OPTIONS out: a
// function URL answers preflights itself.
var lambdaMethods = []string{"GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"}

// httpAPIMethods are the methods corsguard accepts in an HTTP API baseline. API Gateway's model
// (CorsMethodList of StringWithLengthBetween1And64) has no enum, so this list is corsguard's
// own guard against typos: the HTTP methods a browser can send cross-origin, and "*".
var httpAPIMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"}

// Cors is the CORS object of a Lambda function URL (Cors) and of an API Gateway HTTP API
// (CorsConfiguration), in their field names, as `aws lambda get-function-url-config` and
// `aws apigatewayv2 get-api` print it. Lists are nil when absent; AllowCredentials and
// MaxAge are pointers so that an absent field is told from false or 0.
type Cors struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int64   `json:"MaxAge,omitempty"`
}

// CorsRule holds the fields only a Cors object has, in a Rule. Service is the kind whose
// reading of absent fields was applied (see Cors.Policy); it names the fields in Diff and is
// not part of the policy's meaning.
type CorsRule struct {
	AllowCredentials *bool  `json:"AllowCredentials,omitempty"`
	MaxAge           *int64 `json:"MaxAge,omitempty"`
	Service          Kind   `json:"-"`
}

// ParseCors decodes a Cors object given in any of the shapes the aws CLI prints, so a good
// one can be copied as it is:
//
//   - the object alone: {"AllowOrigins": [...], ...};
//   - wrapped: {"Cors": {...}} or {"CorsConfiguration": {...}};
//   - the whole output of `aws lambda get-function-url-config` ({"FunctionUrl", "AuthType",
//     "Cors": {...}, ...}) or of `aws apigatewayv2 get-api` ({"ApiId", "CorsConfiguration":
//     {...}, ...}).
//
// Unknown fields inside the Cors object are an error (a typo must not drop a field); the other
// fields of the wrappers are the services' and are ignored. A key given twice in one object,
// at any depth, is an error naming its path; a UTF-8 byte order mark is ignored. ParseCors
// does not check the services' rules: Validate(c.Policy(kind), kind) does.
func ParseCors(data []byte) (Cors, error) {
	trimmed, err := object(data, "cors", errNotCors)
	if err != nil {
		return Cors{}, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return Cors{}, fmt.Errorf("parse cors: %w", err)
	}
	if top == nil {
		return Cors{}, errors.New("cors is null")
	}
	if _, ok := top["CorsPolicy"]; ok {
		return Cors{}, errNotCors
	}
	inner := trimmed
	_, hasCors := top["Cors"]
	_, hasConfig := top["CorsConfiguration"]
	for _, key := range []string{"FunctionUrl", "ApiId"} {
		if _, ok := top[key]; ok && !hasCors && !hasConfig {
			return Cors{}, fmt.Errorf("cors: this output has %s but no Cors or CorsConfiguration: the resource has no CORS configuration to copy", key)
		}
	}
	for _, key := range []string{"Cors", "CorsConfiguration"} {
		raw, ok := top[key]
		if !ok {
			continue
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return Cors{}, fmt.Errorf("cors: %s is null", key)
		}
		inner = raw
		break
	}
	var c Cors
	if err := decodeStrict(inner, &c); err != nil {
		return Cors{}, err
	}
	return c, nil
}

// errNotCors is the error for a rule list given as a lambda-url or http-api baseline.
var errNotCors = errors.New(`this is a rule list (MediaStore's or S3's shape), not a Cors object: give lambda-url and http-api their own baseline (--api-baseline-parameter, CORSGUARD_API_BASELINE_PARAMETER) holding the Cors object as aws lambda get-function-url-config prints it`)

// Policy returns c as a Policy of one Rule for kind (LambdaURL or HTTPAPI), with absent
// fields read as the service reads them back:
//
//   - Lambda: AllowCredentials absent is false and MaxAge absent is 0 (API reference, Cors:
//     "The default is false"; "By default, this is set to 0, which means that the browser
//     doesn't cache results");
//   - API Gateway: AllowCredentials absent is false (no Access-Control-Allow-Credentials is
//     sent unless it is true); MaxAge absent stays absent: API Gateway then sends no
//     Access-Control-Max-Age, which is not the same as 0 (no caching) or -1.
//
// Absent lists are empty ones for both: the header is not sent either way.
func (c Cors) Policy(kind Kind) Policy {
	f := false
	var zero int64
	cr := &CorsRule{AllowCredentials: clonePtr(c.AllowCredentials), MaxAge: clonePtr(c.MaxAge), Service: kind}
	if cr.AllowCredentials == nil {
		cr.AllowCredentials = &f
	}
	if kind == LambdaURL && cr.MaxAge == nil {
		cr.MaxAge = &zero
	}
	list := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return slices.Clone(l)
	}
	return Policy{{
		AllowedOrigins: list(c.AllowOrigins),
		AllowedMethods: list(c.AllowMethods),
		AllowedHeaders: list(c.AllowHeaders),
		ExposeHeaders:  list(c.ExposeHeaders),
		Cors:           cr,
	}}
}

// CorsOf returns the Cors object p holds; p must be one Rule with Cors set (what Cors.Policy
// returns). Empty lists are left out, as the services print them.
func CorsOf(p Policy) (Cors, error) {
	if len(p) != 1 || p[0].Cors == nil {
		return Cors{}, errors.New("not a Cors object: want one rule with Cors fields")
	}
	r := p[0]
	list := func(l []string) []string {
		if len(l) == 0 {
			return nil
		}
		return slices.Clone(l)
	}
	return Cors{
		AllowCredentials: clonePtr(r.Cors.AllowCredentials),
		AllowHeaders:     list(r.AllowedHeaders),
		AllowMethods:     list(r.AllowedMethods),
		AllowOrigins:     list(r.AllowedOrigins),
		ExposeHeaders:    list(r.ExposeHeaders),
		MaxAge:           clonePtr(r.Cors.MaxAge),
	}, nil
}

// JSON returns c indented, in the shape ParseCors reads back.
func (c Cors) JSON() []byte {
	return indented(c)
}

// corsRules are the per-kind rules of a Cors object.
type corsRules struct {
	root    string // the service's name for the object: Cors or CorsConfiguration
	methods []string
	// maxMethods caps AllowMethods; maxItems caps the other lists; 0 sets no cap.
	maxMethods, maxItems int
	// maxOrigin and maxHeader cap an item's characters; 0 sets no cap.
	maxOrigin, maxHeader int
	minMaxAge            int64
	// credentialsWildcard is the message for AllowCredentials true with a "*" origin.
	credentialsWildcard string
}

// lambdaURLRules are UpdateFunctionUrlConfig's, from botocore's lambda/2015-03-31
// service-2.json: Cors; AllowMethodsList (max 6) of Method (max 6 characters);
// AllowOriginsList (max 100) of Origin (1-253 characters); HeadersList (max 100) of Header
// (0-1024 characters); MaxAge (0-86400). The method values are the documentation's
// (lambdaMethods). An empty header name is corsguard's own refusal (it names no header).
var lambdaURLRules = corsRules{
	root:       "Cors",
	methods:    lambdaMethods,
	maxMethods: MaxLambdaMethods,
	maxItems:   MaxLambdaItems,
	maxOrigin:  MaxLambdaOriginChars,
	maxHeader:  MaxLambdaHeaderChars,
	minMaxAge:  0,
	credentialsWildcard: `is true with the origin "*": browsers refuse credentials with a wildcard origin ` +
		`(corsguard's rule, stricter than Lambda's API model)`,
}

// httpAPIRules are UpdateApi's, from botocore's apigatewayv2/2018-11-29 service-2.json: Cors;
// lists of strings without caps; MaxAge IntegerWithLengthBetweenMinus1And86400. API Gateway
// itself refuses allowCredentials with the origin "*" (BadRequestException "allow-credentials
// is not supported if 'allow-origin' is *", aws/aws-cdk#9076). The method list and non-empty
// items are corsguard's own (httpAPIMethods).
var httpAPIRules = corsRules{
	root:                "CorsConfiguration",
	methods:             httpAPIMethods,
	minMaxAge:           -1,
	credentialsWildcard: `is true with the origin "*": API Gateway refuses it ("allow-credentials is not supported if 'allow-origin' is *")`,
}

// corsRoot is the service's name of the Cors object for kind, for paths.
func corsRoot(kind Kind) string {
	if kind == HTTPAPI {
		return httpAPIRules.root
	}
	return lambdaURLRules.root
}

// cors checks a Policy in Cors form by the rules of kind (lambdaURLRules, httpAPIRules).
func (v *validator) cors(p Policy, k corsRules) {
	if len(p) != 1 {
		v.add(k.root, fmt.Sprintf("has %d rules; a %s is exactly one", len(p), k.root))
		return
	}
	r := p[0]
	if r.ID != "" {
		v.add(k.root+".ID", fmt.Sprintf("rule IDs are not supported by %s", v.kind))
	}
	if r.MaxAgeSeconds != 0 {
		v.add(k.root+".MaxAgeSeconds", "is not a field of "+k.root+"; use MaxAge")
	}
	if r.CloudFront != nil {
		v.add(k.root+".CloudFront", fmt.Sprintf("CloudFront fields are not supported by %s", v.kind))
	}
	cr := r.Cors
	if cr == nil {
		v.add(k.root, "has none of the Cors fields (give the baseline as a Cors object)")
		cr = &CorsRule{}
	}
	v.corsList(k.root+".AllowOrigins", r.AllowedOrigins, k.maxItems, k.maxOrigin)
	v.corsList(k.root+".AllowHeaders", r.AllowedHeaders, k.maxItems, k.maxHeader)
	v.corsList(k.root+".ExposeHeaders", r.ExposeHeaders, k.maxItems, k.maxHeader)

	methods := k.root + ".AllowMethods"
	if k.maxMethods > 0 && len(r.AllowedMethods) > k.maxMethods {
		v.add(methods, fmt.Sprintf("has %d items; at most %d are allowed", len(r.AllowedMethods), k.maxMethods))
	}
	for i, m := range r.AllowedMethods {
		if !slices.Contains(k.methods, m) {
			v.add(fmt.Sprintf("%s[%d]", methods, i), fmt.Sprintf("method %q is not one of %s", m, strings.Join(k.methods, ", ")))
		}
	}
	if cr.MaxAge != nil && (*cr.MaxAge < k.minMaxAge || *cr.MaxAge > MaxCorsMaxAge) {
		v.add(k.root+".MaxAge", fmt.Sprintf("is %d; it must be %d to %d", *cr.MaxAge, k.minMaxAge, MaxCorsMaxAge))
	}
	if cr.AllowCredentials != nil && *cr.AllowCredentials && slices.Contains(r.AllowedOrigins, "*") {
		v.add(k.root+".AllowCredentials", k.credentialsWildcard)
	}
}

// corsList checks a Cors list: its length (maxItems, when set) and each item's: not empty
// (the services' shapes allow an empty header name; it names nothing, so corsguard refuses
// it), at most maxChars characters (when set), no control characters (they cannot be sent in
// an HTTP header value).
func (v *validator) corsList(path string, items []string, maxItems, maxChars int) {
	if maxItems > 0 && len(items) > maxItems {
		v.add(path, fmt.Sprintf("has %d items; at most %d are allowed", len(items), maxItems))
	}
	for i, s := range items {
		item := fmt.Sprintf("%s[%d]", path, i)
		n := utf8.RuneCountInString(s)
		switch {
		case n == 0:
			v.add(item, "is empty")
		case maxChars > 0 && n > maxChars:
			v.add(item, fmt.Sprintf("is %d characters; at most %d are allowed", n, maxChars))
		}
		for _, c := range s {
			if c < 0x20 || c == 0x7f {
				v.add(item, fmt.Sprintf("control character %U is not allowed", c))
				break
			}
		}
	}
}

// canonicalCors is the canonical form of a Cors rule: lists as sets, header names in lower
// case (both services store and return them in lower case), methods and origins as given
// (the services return them verbatim), AllowCredentials and MaxAge as Cors.Policy read them.
func canonicalCors(r Rule) Rule {
	cr := &CorsRule{AllowCredentials: clonePtr(r.Cors.AllowCredentials), MaxAge: clonePtr(r.Cors.MaxAge), Service: r.Cors.Service}
	return Rule{
		ID:             r.ID,
		AllowedOrigins: set(r.AllowedOrigins),
		AllowedMethods: set(r.AllowedMethods),
		AllowedHeaders: headerSet(r.AllowedHeaders),
		ExposeHeaders:  headerSet(r.ExposeHeaders),
		MaxAgeSeconds:  r.MaxAgeSeconds,
		Cors:           cr,
	}
}

func corsEqual(a, b *CorsRule) bool {
	if a == nil || b == nil {
		return a == b
	}
	return ptrEqual(a.AllowCredentials, b.AllowCredentials) && ptrEqual(a.MaxAge, b.MaxAge)
}

// diffCors lists the changes between two Cors rules in the service's field names:
// "Cors.AllowOrigins: +https://b -https://a" (Lambda) or "CorsConfiguration.MaxAge: 0 -> 300"
// (API Gateway). A nil actual is a function URL or an API without a CORS configuration.
func diffCors(actual Policy, want Rule) []Change {
	w := canonicalCors(want)
	root := corsRoot(w.Cors.Service)
	if len(actual) == 0 {
		return []Change{{Path: root, Op: "add", To: compactCors(want)}}
	}
	a := canonicalCors(actual[0])
	var out []Change
	out = append(out, listChanges(root+".",
		listDiff{"AllowOrigins", a.AllowedOrigins, w.AllowedOrigins},
		listDiff{"AllowMethods", a.AllowedMethods, w.AllowedMethods},
		listDiff{"AllowHeaders", a.AllowedHeaders, w.AllowedHeaders},
		listDiff{"ExposeHeaders", a.ExposeHeaders, w.ExposeHeaders})...)
	if !ptrEqual(a.Cors.AllowCredentials, w.Cors.AllowCredentials) {
		out = append(out, Change{Path: root + ".AllowCredentials", Op: "change",
			From: ptrString(a.Cors.AllowCredentials), To: ptrString(w.Cors.AllowCredentials)})
	}
	if !ptrEqual(a.Cors.MaxAge, w.Cors.MaxAge) {
		out = append(out, Change{Path: root + ".MaxAge", Op: "change", From: ptrString(a.Cors.MaxAge), To: ptrString(w.Cors.MaxAge)})
	}
	return out
}

// compactCors renders a Cors rule as the service's Cors object, compact.
func compactCors(r Rule) string {
	c, err := CorsOf(Policy{r})
	if err != nil {
		return compact(r)
	}
	data, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(data)
}
