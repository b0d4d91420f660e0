package emulator

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// This file is the emulator's own reading of the CORS rules of MediaStore and S3. It is written
// from the services' models (botocore's mediastore/2017-09-01 and s3/2006-03-01 service-2.json)
// and their API references, and deliberately shares no code with corsguard's policy package: the
// emulator is the witness that package is tested against (testdata/cors-cases.json at the
// repository root holds the cases both are held to, each with its source).

// corsRule is one CORS rule as the emulator stores it, for either service. The JSON names are
// MediaStore's; S3's XML names differ only in the singular (AllowedOrigin for AllowedOrigins).
type corsRule struct {
	ID             string   `json:"ID,omitempty"`
	AllowedOrigins []string `json:"AllowedOrigins"`
	AllowedMethods []string `json:"AllowedMethods"`
	AllowedHeaders []string `json:"AllowedHeaders"` // null in an S3 rule without any
	ExposeHeaders  []string `json:"ExposeHeaders,omitempty"`
	MaxAgeSeconds  *int64   `json:"MaxAgeSeconds,omitempty"`
}

// MediaStore's CORS limits (PutCorsPolicy).
const (
	// msMaxPolicyChars is from the PutCorsPolicy reference: "The policy can contain up to
	// 398,000 characters."
	msMaxPolicyChars = 398000
	msMaxRules       = 100        // shape CorsPolicy: max 100
	msMaxListItems   = 100        // shapes AllowedOrigins, AllowedHeaders, ExposeHeaders: max 100
	msMaxOrigin      = 2048       // shape Origin: max 2048
	msMaxHeader      = 8192       // shape Header: max 8192
	msMaxMethods     = 4          // shape AllowedMethods: max 4
	msMaxAge         = 2147483647 // shape MaxAgeSeconds: max 2147483647
	// msTextPattern is the pattern of the shapes Origin and Header.
	msTextPattern = `[\u0009\u000A\u000D\u0020-\u00FF]+`
)

// S3's CORS limits (PutBucketCors).
const (
	s3MaxRules   = 100       // S3 User Guide, "CORS configuration": up to 100 rules
	s3MaxCORSXML = 64 * 1024 // PutBucketCors reference: "The document is limited to 64 KB in size."
	s3MaxRuleID  = 255       // shape CORSRule member ID: "cannot be longer than 255 characters"
)

var (
	msMethods = []string{"PUT", "GET", "DELETE", "HEAD"}         // shape MethodName
	s3Methods = []string{"GET", "PUT", "HEAD", "POST", "DELETE"} // CORSRule member AllowedMethods
)

// violations collects the constraint failures of one request the way AWS's JSON services
// report them: "2 validation errors detected: Value ... at 'path' failed to satisfy
// constraint: ...; Value ...".
type violations []string

func (v *violations) add(value any, path, constraint string) {
	var shown string
	switch x := value.(type) {
	case nil:
		*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: %s", path, constraint))
		return
	case []string:
		shown = "[" + strings.Join(x, ", ") + "]"
	default:
		shown = fmt.Sprint(x)
	}
	if len(shown) > 200 {
		shown = shown[:200] + "..."
	}
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", shown, path, constraint))
}

func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errf("ValidationException", "1 validation error detected: %s", v[0])
	}
	return errf("ValidationException", "%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}

// length checks a string's or list's length against the model's min and max.
func (v *violations) length(value any, n int, path string, lo, hi int) {
	switch {
	case n < lo:
		v.add(value, path, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case hi > 0 && n > hi:
		v.add(value, path, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
}

// msText reports whether s matches the pattern of MediaStore's Origin and Header shapes.
func msText(s string) bool {
	for _, r := range s {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xFF) {
			return false
		}
	}
	return s != ""
}

// msRuleIn is a MediaStore CorsRule as a request carries it: pointers tell absent from empty.
type msRuleIn struct {
	AllowedOrigins *[]string `json:"AllowedOrigins"`
	AllowedMethods *[]string `json:"AllowedMethods"`
	AllowedHeaders *[]string `json:"AllowedHeaders"`
	ExposeHeaders  *[]string `json:"ExposeHeaders"`
	MaxAgeSeconds  *int64    `json:"MaxAgeSeconds"`
}

// mediaStoreCORS reads the CorsPolicy member of a PutCorsPolicy request and checks it as
// MediaStore does: the model's constraints (ValidationException listing each), then the rules
// its reference states in prose (one wildcard per origin and allowed header, a method in every
// rule, 398,000 characters). Unknown members are ignored, as the service's JSON reader does.
func mediaStoreCORS(raw json.RawMessage) ([]corsRule, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'corsPolicy' failed to satisfy constraint: Member must not be null")
	}
	var in []msRuleIn
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, errf("SerializationException", "cannot read CorsPolicy: %v", err)
	}
	var v violations
	v.length(fmt.Sprintf("%d rules", len(in)), len(in), "corsPolicy", 1, msMaxRules)
	rules := make([]corsRule, len(in))
	for i, r := range in {
		path := fmt.Sprintf("corsPolicy.%d.member", i+1)
		list := func(l *[]string, name string, required bool, lo, maxChars int) []string {
			p := path + "." + name
			if l == nil {
				if required {
					v.add(nil, p, "Member must not be null")
				}
				return nil
			}
			v.length(*l, len(*l), p, lo, msMaxListItems)
			for j, s := range *l {
				ip := fmt.Sprintf("%s.%d.member", p, j+1)
				v.length(s, utf8.RuneCountInString(s), ip, 1, maxChars)
				if s != "" && !msText(s) {
					v.add(s, ip, "Member must satisfy regular expression pattern: "+msTextPattern)
				}
			}
			return *l
		}
		rules[i].AllowedOrigins = list(r.AllowedOrigins, "allowedOrigins", true, 1, msMaxOrigin)
		rules[i].AllowedHeaders = list(r.AllowedHeaders, "allowedHeaders", true, 0, msMaxHeader)
		if rules[i].AllowedHeaders == nil && r.AllowedHeaders != nil {
			rules[i].AllowedHeaders = []string{}
		}
		rules[i].ExposeHeaders = list(r.ExposeHeaders, "exposeHeaders", false, 0, msMaxHeader)
		if r.AllowedMethods != nil {
			m := *r.AllowedMethods
			v.length(m, len(m), path+".allowedMethods", 1, msMaxMethods)
			for _, s := range m {
				if !slices.Contains(msMethods, s) {
					v.add(m, path+".allowedMethods", "Member must satisfy constraint: [Member must satisfy enum value set: ["+strings.Join(msMethods, ", ")+"]]")
					break
				}
			}
			rules[i].AllowedMethods = m
		}
		if a := r.MaxAgeSeconds; a != nil {
			if *a < 0 {
				v.add(*a, path+".maxAgeSeconds", "Member must have value greater than or equal to 0")
			} else if *a > msMaxAge {
				v.add(*a, path+".maxAgeSeconds", fmt.Sprintf("Member must have value less than or equal to %d", msMaxAge))
			}
			rules[i].MaxAgeSeconds = a
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	// The rules the reference states in prose; the service's wording for them is not documented.
	if n := utf8.RuneCount(raw); n > msMaxPolicyChars {
		return nil, errf("ValidationException", "The CORS policy is %d characters; a policy can contain up to %d characters", n, msMaxPolicyChars)
	}
	for i, r := range rules {
		if len(r.AllowedMethods) == 0 {
			return nil, errf("ValidationException", "CORS rule %d has no AllowedMethods: each CORS rule must contain at least one AllowedMethods and one AllowedOrigins element", i+1)
		}
		if err := oneWildcardf(r, "ValidationException", "CORS rule %d: %s %q can contain only one wildcard character (*)", i+1); err != nil {
			return nil, err
		}
	}
	return rules, nil
}

// oneWildcard refuses an origin or an allowed header with more than one "*", a rule both
// services state; format takes the extra leading args, the element name and the value.
func oneWildcardf(r corsRule, code, format string, args ...any) error {
	for _, l := range []struct {
		name  string
		items []string
	}{{"AllowedOrigin", r.AllowedOrigins}, {"AllowedHeader", r.AllowedHeaders}} {
		for _, s := range l.items {
			if strings.Count(s, "*") > 1 {
				return errf(code, format, append(args, l.name, s)...)
			}
		}
	}
	return nil
}

// s3CORS checks a CORS configuration as S3 does once its XML has been read against the schema
// (which already demands at least one rule, and an origin and a method in each): at most 100
// rules, the methods S3 names, one wildcard per origin and allowed header, rule IDs of at most
// 255 characters, and a document of at most 64 KB. S3 sets no limit on the number or length
// of the items of a rule.
func s3CORS(rules []corsRule, docBytes int) error {
	if docBytes > s3MaxCORSXML {
		return errf("MaxMessageLengthExceeded", "Your request was too big.")
	}
	if len(rules) > s3MaxRules { // a schema violation, MalformedXML, as moto answers
		return errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	for _, r := range rules {
		for _, m := range r.AllowedMethods {
			if !slices.Contains(s3Methods, m) {
				return errf("InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		if err := oneWildcardf(r, "InvalidRequest", `%s "%s" can not have more than one wildcard.`); err != nil {
			return err
		}
		if utf8.RuneCountInString(r.ID) > s3MaxRuleID {
			return errf("InvalidRequest", "The ID of a CORS rule cannot be longer than %d characters.", s3MaxRuleID)
		}
	}
	return nil
}

// corsRuleXML is a CORSRule element; the same shape is read and written.
type corsRuleXML struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int64   `xml:"MaxAgeSeconds"`
	Extra          extra    `xml:",any"`
}

func (r corsRule) xml() corsRuleXML {
	return corsRuleXML{ID: r.ID, AllowedHeaders: r.AllowedHeaders, AllowedMethods: r.AllowedMethods,
		AllowedOrigins: r.AllowedOrigins, ExposeHeaders: r.ExposeHeaders, MaxAgeSeconds: r.MaxAgeSeconds}
}

// corsConfigurationIn is the PutBucketCors document, in any namespace.
type corsConfigurationIn struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	Rules   []corsRuleXML `xml:"CORSRule"`
	Extra   extra         `xml:",any"`
}

// corsConfigurationOut is the GetBucketCors document.
type corsConfigurationOut struct {
	XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CORSConfiguration"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

// parseS3CORS reads a PutBucketCors document and checks it as S3 does: MalformedXML for a
// document that breaks the schema (not well-formed, unknown elements, no rule, a rule without
// an origin or a method), then s3CORS's rules.
func parseS3CORS(body []byte) ([]corsRule, error) {
	if len(body) > s3MaxCORSXML {
		return nil, errf("MaxMessageLengthExceeded", "Your request was too big.")
	}
	var in corsConfigurationIn
	if err := decodeXML(body, &in); err != nil {
		return nil, err
	}
	malformed := errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	if len(in.Extra) > 0 || len(in.Rules) == 0 {
		return nil, malformed
	}
	rules := make([]corsRule, len(in.Rules))
	for i, r := range in.Rules {
		if len(r.Extra) > 0 || len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return nil, malformed
		}
		rules[i] = corsRule{ID: r.ID, AllowedOrigins: r.AllowedOrigins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposeHeaders, MaxAgeSeconds: r.MaxAgeSeconds}
	}
	return rules, s3CORS(rules, len(body))
}

// s3CORSDocument is the PutBucketCors document of rules, as a client would send it.
func s3CORSDocument(rules []corsRule) []byte {
	out := corsConfigurationOut{}
	for _, r := range rules {
		out.Rules = append(out.Rules, r.xml())
	}
	data, err := xml.Marshal(out)
	if err != nil { // only strings and integers
		panic(err)
	}
	return data
}

// seedRules reads the CORS policy of a seeded container or bucket: any value that encodes to
// JSON as a rule array or as {"CorsPolicy": [...]}. nil, or a JSON null, is no policy.
func seedRules(cors any) (json.RawMessage, bool, error) {
	if cors == nil {
		return nil, false, nil
	}
	raw, err := json.Marshal(cors)
	if err != nil {
		return nil, false, fmt.Errorf("encode CORS policy: %w", err)
	}
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, false, nil
	}
	if len(raw) > 0 && raw[0] == '{' {
		var doc struct {
			CorsPolicy json.RawMessage `json:"CorsPolicy"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil || doc.CorsPolicy == nil {
			return nil, false, fmt.Errorf(`CORS policy must be a rule array or {"CorsPolicy": [...]}`)
		}
		raw = doc.CorsPolicy
	}
	return raw, true, nil
}

// rulesJSON is the rule array as GetCorsPolicy answers it (nil for none).
func rulesJSON(rules []corsRule) json.RawMessage {
	if rules == nil {
		return nil
	}
	data, err := json.Marshal(rules)
	if err != nil {
		panic(err)
	}
	return data
}
