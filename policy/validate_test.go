package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// good returns a valid MediaStore rule that each case then breaks in one way.
func good() Rule {
	return Rule{
		AllowedOrigins: []string{"https://player.example.com"},
		AllowedMethods: []string{"GET", "HEAD"},
		AllowedHeaders: []string{"*"},
		ExposeHeaders:  []string{"ETag"},
		MaxAgeSeconds:  3000,
	}
}

func items(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func rules(n int) Policy {
	p := make(Policy, n)
	for i := range p {
		p[i] = good()
	}
	return p
}

func TestValidateLimits(t *testing.T) {
	origin := func(i int) string { return fmt.Sprintf("https://o%d.example.com", i) }
	header := func(i int) string { return fmt.Sprintf("x-h-%d", i) }
	with := func(f func(r *Rule)) Policy {
		r := good()
		f(&r)
		return Policy{r}
	}
	tests := []struct {
		name string
		kind Kind
		p    Policy
		want []string // problem paths and messages; nil means valid
	}{
		{"a typical rule is valid", MediaStore, Policy{good()}, nil},
		{"zero rules are refused", MediaStore, Policy{}, []string{"CorsPolicy: has 0 rules; 1 to 100 are allowed"}},
		{"one rule is the minimum", MediaStore, rules(1), nil},
		{"100 rules are the maximum", MediaStore, rules(100), nil},
		{"101 rules are refused", MediaStore, rules(101), []string{"CorsPolicy: has 101 rules; 1 to 100 are allowed"}},

		{"origins are required", MediaStore, with(func(r *Rule) { r.AllowedOrigins = nil }),
			[]string{"CorsPolicy[0].AllowedOrigins: has 0 items; 1 to 100 are allowed"}},
		{"100 origins are the maximum", MediaStore, with(func(r *Rule) { r.AllowedOrigins = items(100, origin) }), nil},
		{"101 origins are refused", MediaStore, with(func(r *Rule) { r.AllowedOrigins = items(101, origin) }),
			[]string{"CorsPolicy[0].AllowedOrigins: has 101 items; 1 to 100 are allowed"}},
		{"an origin of 1 character is the minimum", MediaStore, with(func(r *Rule) { r.AllowedOrigins = []string{"*"} }), nil},
		{"an empty origin is refused", MediaStore, with(func(r *Rule) { r.AllowedOrigins = []string{""} }),
			[]string{"CorsPolicy[0].AllowedOrigins[0]: is 0 characters; 1 to 2048 are allowed"}},
		{"an origin of 2048 characters is the maximum", MediaStore,
			with(func(r *Rule) { r.AllowedOrigins = []string{strings.Repeat("a", 2048)} }), nil},
		{"an origin of 2049 characters is refused", MediaStore,
			with(func(r *Rule) { r.AllowedOrigins = []string{strings.Repeat("a", 2049)} }),
			[]string{"CorsPolicy[0].AllowedOrigins[0]: is 2049 characters; 1 to 2048 are allowed"}},
		{"an origin with one wildcard is valid", MediaStore, with(func(r *Rule) { r.AllowedOrigins = []string{"https://*.example.com"} }), nil},
		{"an origin with two wildcards is refused", MediaStore,
			with(func(r *Rule) { r.AllowedOrigins = []string{"a", "https://*.*.example.com"} }),
			[]string{"CorsPolicy[0].AllowedOrigins[1]: more than one wildcard"}},
		{"origin characters up to U+00FF are valid", MediaStore,
			with(func(r *Rule) { r.AllowedOrigins = []string{"https://\u00ff\t\n\r .example"} }), nil},
		{"an origin character past U+00FF is refused", MediaStore,
			with(func(r *Rule) { r.AllowedOrigins = []string{"https://\u0100.example"} }),
			[]string{"CorsPolicy[0].AllowedOrigins[0]: character U+0100 is not allowed (only tab, LF, CR and U+0020 to U+00FF)"}},
		{"a control character in an origin is refused", MediaStore,
			with(func(r *Rule) { r.AllowedOrigins = []string{"a\x1fb"} }),
			[]string{"CorsPolicy[0].AllowedOrigins[0]: character U+001F is not allowed (only tab, LF, CR and U+0020 to U+00FF)"}},

		{"methods are required", MediaStore, with(func(r *Rule) { r.AllowedMethods = nil }),
			[]string{"CorsPolicy[0].AllowedMethods: has 0 items; 1 to 4 are allowed"}},
		{"all four methods are the maximum", MediaStore,
			with(func(r *Rule) { r.AllowedMethods = []string{"PUT", "GET", "DELETE", "HEAD"} }), nil},
		{"five methods are refused for MediaStore", MediaStore,
			with(func(r *Rule) { r.AllowedMethods = []string{"PUT", "GET", "DELETE", "HEAD", "GET"} }),
			[]string{"CorsPolicy[0].AllowedMethods: has 5 items; 1 to 4 are allowed",
				`CorsPolicy[0].AllowedMethods[4]: method "GET" is listed twice`}},
		{"a duplicate method is refused", MediaStore, with(func(r *Rule) { r.AllowedMethods = []string{"GET", "GET"} }),
			[]string{`CorsPolicy[0].AllowedMethods[1]: method "GET" is listed twice`}},
		{"POST is refused for MediaStore", MediaStore, with(func(r *Rule) { r.AllowedMethods = []string{"POST"} }),
			[]string{`CorsPolicy[0].AllowedMethods[0]: method "POST" is not one of PUT, GET, DELETE, HEAD`}},
		{"method names are case-sensitive", MediaStore, with(func(r *Rule) { r.AllowedMethods = []string{"get"} }),
			[]string{`CorsPolicy[0].AllowedMethods[0]: method "get" is not one of PUT, GET, DELETE, HEAD`}},

		{"allowed headers are required by MediaStore", MediaStore, with(func(r *Rule) { r.AllowedHeaders = nil }),
			[]string{"CorsPolicy[0].AllowedHeaders: is required (it may be an empty list)"}},
		{"an empty list of allowed headers is valid", MediaStore, with(func(r *Rule) { r.AllowedHeaders = []string{} }), nil},
		{"100 allowed headers are the maximum", MediaStore, with(func(r *Rule) { r.AllowedHeaders = items(100, header) }), nil},
		{"101 allowed headers are refused", MediaStore, with(func(r *Rule) { r.AllowedHeaders = items(101, header) }),
			[]string{"CorsPolicy[0].AllowedHeaders: has 101 items; 0 to 100 are allowed"}},
		{"an allowed header of 8192 characters is the maximum", MediaStore,
			with(func(r *Rule) { r.AllowedHeaders = []string{strings.Repeat("h", 8192)} }), nil},
		{"an allowed header of 8193 characters is refused", MediaStore,
			with(func(r *Rule) { r.AllowedHeaders = []string{strings.Repeat("h", 8193)} }),
			[]string{"CorsPolicy[0].AllowedHeaders[0]: is 8193 characters; 1 to 8192 are allowed"}},
		{"an empty allowed header is refused", MediaStore, with(func(r *Rule) { r.AllowedHeaders = []string{""} }),
			[]string{"CorsPolicy[0].AllowedHeaders[0]: is 0 characters; 1 to 8192 are allowed"}},
		{"an allowed header with two wildcards is refused", MediaStore,
			with(func(r *Rule) { r.AllowedHeaders = []string{"x-*-*"} }),
			[]string{"CorsPolicy[0].AllowedHeaders[0]: more than one wildcard"}},
		{"an allowed header past U+00FF is refused", MediaStore,
			with(func(r *Rule) { r.AllowedHeaders = []string{"x-\u20ac"} }),
			[]string{"CorsPolicy[0].AllowedHeaders[0]: character U+20AC is not allowed (only tab, LF, CR and U+0020 to U+00FF)"}},

		{"expose headers are optional", MediaStore, with(func(r *Rule) { r.ExposeHeaders = nil }), nil},
		{"100 expose headers are the maximum", MediaStore, with(func(r *Rule) { r.ExposeHeaders = items(100, header) }), nil},
		{"101 expose headers are refused", MediaStore, with(func(r *Rule) { r.ExposeHeaders = items(101, header) }),
			[]string{"CorsPolicy[0].ExposeHeaders: has 101 items; 0 to 100 are allowed"}},
		{"an expose header of 8192 characters is the maximum", MediaStore,
			with(func(r *Rule) { r.ExposeHeaders = []string{strings.Repeat("e", 8192)} }), nil},
		{"an expose header of 8193 characters is refused", MediaStore,
			with(func(r *Rule) { r.ExposeHeaders = []string{strings.Repeat("e", 8193)} }),
			[]string{"CorsPolicy[0].ExposeHeaders[0]: is 8193 characters; 1 to 8192 are allowed"}},
		{"an empty expose header is refused", MediaStore, with(func(r *Rule) { r.ExposeHeaders = []string{""} }),
			[]string{"CorsPolicy[0].ExposeHeaders[0]: is 0 characters; 1 to 8192 are allowed"}},
		{"an expose header may hold several wildcards", MediaStore, with(func(r *Rule) { r.ExposeHeaders = []string{"x-*-*"} }), nil},

		{"max age 0 is the minimum", MediaStore, with(func(r *Rule) { r.MaxAgeSeconds = 0 }), nil},
		{"a negative max age is refused", MediaStore, with(func(r *Rule) { r.MaxAgeSeconds = -1 }),
			[]string{"CorsPolicy[0].MaxAgeSeconds: is -1; it must be 0 to 2147483647"}},
		{"max age 2147483647 is the maximum", MediaStore, with(func(r *Rule) { r.MaxAgeSeconds = 2147483647 }), nil},
		{"max age 2147483648 is refused", MediaStore, with(func(r *Rule) { r.MaxAgeSeconds = 2147483648 }),
			[]string{"CorsPolicy[0].MaxAgeSeconds: is 2147483648; it must be 0 to 2147483647"}},

		{"a rule ID is refused for MediaStore", MediaStore, with(func(r *Rule) { r.ID = "web" }),
			[]string{"CorsPolicy[0].ID: rule IDs are not supported by mediastore"}},
		{"S3 accepts POST and a rule ID", S3, with(func(r *Rule) {
			r.ID = "web"
			r.AllowedMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
		}), nil},
		{"S3 accepts a rule without allowed headers", S3, with(func(r *Rule) { r.AllowedHeaders = nil }), nil},
		{"an S3 rule ID of 255 characters is the maximum", S3, with(func(r *Rule) { r.ID = strings.Repeat("i", 255) }), nil},
		{"an S3 rule ID of 256 characters is refused", S3, with(func(r *Rule) { r.ID = strings.Repeat("i", 256) }),
			[]string{"CorsPolicy[0].ID: is 256 characters; at most 255 are allowed"}},

		// S3's own rules (issue 12): none of MediaStore's per-item caps or its Latin-1 pattern.
		{"S3 accepts 101 origins", S3, with(func(r *Rule) { r.AllowedOrigins = items(101, origin) }), nil},
		{"S3 accepts 1,000 origins", S3, with(func(r *Rule) { r.AllowedOrigins = items(1000, origin) }), nil},
		{"S3 accepts an origin of 3,000 characters", S3,
			with(func(r *Rule) { r.AllowedOrigins = []string{"https://" + strings.Repeat("a", 2992)} }), nil},
		{"S3 accepts 101 allowed and 101 expose headers", S3, with(func(r *Rule) {
			r.AllowedHeaders = items(101, header)
			r.ExposeHeaders = items(101, header)
		}), nil},
		{"S3 accepts headers of 10,000 characters", S3, with(func(r *Rule) {
			r.AllowedHeaders = []string{strings.Repeat("h", 10000)}
			r.ExposeHeaders = []string{strings.Repeat("e", 10000)}
		}), nil},
		{"S3 accepts characters past U+00FF", S3, with(func(r *Rule) {
			r.ID = "r\u00e8gle-\u20ac"
			r.AllowedOrigins = []string{"https://\u0100.example", "https://b\u00fccher.example"}
			r.AllowedHeaders = []string{"x-\u20ac"}
		}), nil},
		{"S3 refuses a character an XML document cannot hold", S3, with(func(r *Rule) { r.AllowedOrigins = []string{"a\x01b"} }),
			[]string{"CorsPolicy[0].AllowedOrigins[0]: character U+0001 is not allowed (only the characters an XML document can hold)"}},
		{"S3 refuses a rule without origins", S3, with(func(r *Rule) { r.AllowedOrigins = nil }),
			[]string{"CorsPolicy[0].AllowedOrigins: has 0 items; at least 1 is required"}},
		{"S3 refuses an empty origin (corsguard's own rule)", S3, with(func(r *Rule) { r.AllowedOrigins = []string{""} }),
			[]string{"CorsPolicy[0].AllowedOrigins[0]: is empty"}},
		{"S3 refuses an origin with two wildcards", S3, with(func(r *Rule) { r.AllowedOrigins = []string{"https://*.*.example.com"} }),
			[]string{"CorsPolicy[0].AllowedOrigins[0]: more than one wildcard"}},
		{"S3 refuses an allowed header with two wildcards", S3, with(func(r *Rule) { r.AllowedHeaders = []string{"x-*-*"} }),
			[]string{"CorsPolicy[0].AllowedHeaders[0]: more than one wildcard"}},
		{"S3 accepts an expose header with two wildcards", S3, with(func(r *Rule) { r.ExposeHeaders = []string{"x-*-*"} }), nil},
		{"S3 refuses PATCH", S3, with(func(r *Rule) { r.AllowedMethods = []string{"GET", "PATCH"} }),
			[]string{`CorsPolicy[0].AllowedMethods[1]: method "PATCH" is not one of GET, PUT, POST, DELETE, HEAD`}},
		{"S3 refuses a rule without methods", S3, with(func(r *Rule) { r.AllowedMethods = nil }),
			[]string{"CorsPolicy[0].AllowedMethods: has 0 items; 1 to 5 are allowed"}},
		{"S3 accepts 100 rules", S3, rules(100), nil},
		{"S3 refuses 101 rules", S3, rules(101), []string{"CorsPolicy: has 101 rules; 1 to 100 are allowed"}},
		{"S3 refuses U+FFFF in an ID", S3, with(func(r *Rule) { r.ID = "a\uffffb" }),
			[]string{"CorsPolicy[0].ID: character U+FFFF is not allowed (only the characters an XML document can hold)"}},
		{"an unknown kind is refused", Kind("efs"), Policy{good()}, []string{`kind: unknown target kind "efs"`}},

		{"every problem is reported, not only the first", MediaStore, Policy{good(), {
			AllowedOrigins: []string{"**"},
			AllowedMethods: []string{"PATCH"},
			MaxAgeSeconds:  -5,
		}}, []string{
			"CorsPolicy[1].AllowedOrigins[0]: more than one wildcard",
			`CorsPolicy[1].AllowedMethods[0]: method "PATCH" is not one of PUT, GET, DELETE, HEAD`,
			"CorsPolicy[1].AllowedHeaders: is required (it may be an empty list)",
			"CorsPolicy[1].MaxAgeSeconds: is -5; it must be 0 to 2147483647",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, problems(t, Validate(tt.p, tt.kind))); diff != "" {
				t.Errorf("Validate problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePolicySize(t *testing.T) {
	// Each rule carries 100 origins of 2048 characters: about 206,000 characters a rule.
	big := func(n int) Policy {
		p := rules(n)
		for i := range p {
			p[i].AllowedOrigins = items(100, func(j int) string { return strings.Repeat("o", 2048) })
		}
		return p
	}
	if err := Validate(big(1), MediaStore); err != nil {
		t.Errorf("one rule of %d characters: %v", len(big(1).JSON()), err)
	}
	got := problems(t, Validate(big(2), MediaStore))
	if len(got) != 1 || !strings.HasPrefix(got[0], "CorsPolicy: is 41") || !strings.HasSuffix(got[0], "at most 398000 are allowed") {
		t.Errorf("two big rules: got %q, want one size problem", got)
	}
	got = problems(t, Validate(big(1), S3))
	if len(got) != 1 || !strings.HasPrefix(got[0], "CorsPolicy: is 208177 bytes as the XML document PutBucketCors sends") {
		t.Errorf("one big rule for S3: got %q, want one size problem", got)
	}
}

func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	out := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		out[i] = p.String()
	}
	return out
}

func TestValidationErrorNamesEveryPath(t *testing.T) {
	err := Validate(Policy{{AllowedOrigins: []string{"a**"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}}}, MediaStore)
	want := "invalid mediastore CORS policy: CorsPolicy[0].AllowedOrigins[0]: more than one wildcard"
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %q", err, want)
	}
}

// S3's 64 KB is the XML document PutBucketCors sends, which is several times the JSON of a
// rule list of short items: each item is wrapped in its element's tags.
func TestValidateS3MeasuresTheXMLDocument(t *testing.T) {
	// 100 rules of n origins "https://a&b.example", each <AllowedOrigin>https://a&amp;b.example</AllowedOrigin>.
	policyOf := func(n int) Policy {
		p := make(Policy, 100)
		for i := range p {
			p[i] = Rule{AllowedOrigins: items(n, func(int) string { return "https://a&b.example" }), AllowedMethods: []string{"GET"}}
		}
		return p
	}
	fits, over := policyOf(11), policyOf(12)
	if n := len(S3Document(fits)); n > MaxS3PolicyBytes {
		t.Fatalf("the fitting policy's document is %d bytes", n)
	}
	if err := Validate(fits, S3); err != nil {
		t.Errorf("a document of %d bytes: %v", len(S3Document(fits)), err)
	}
	compact, _ := json.Marshal(over)
	n := len(S3Document(over))
	if len(compact) >= MaxS3PolicyBytes || n <= MaxS3PolicyBytes {
		t.Fatalf("want JSON under and XML over 64 KB: JSON %d, XML %d bytes", len(compact), n)
	}
	want := []string{fmt.Sprintf("CorsPolicy: is %d bytes as the XML document PutBucketCors sends; at most 65536 (64 KB) are allowed", n)}
	if diff := cmp.Diff(want, problems(t, Validate(over, S3))); diff != "" {
		t.Errorf("JSON of %d bytes, XML of %d (-want +got):\n%s", len(compact), n, diff)
	}
}

// The document is the SDK's, escapes included; enforce/corsconv holds it equal to the body
// the SDK sends.
func TestS3Document(t *testing.T) {
	p := Policy{
		{ID: "up\"loads", AllowedOrigins: []string{"https://a.example?x=1&y=<2>"}, AllowedMethods: []string{"PUT", "POST"},
			AllowedHeaders: []string{"*", "it's"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 600},
		{AllowedOrigins: []string{"*\t\n\r\u0085\u2028\u00e9"}, AllowedMethods: []string{"GET"}},
	}
	want := `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<CORSRule><AllowedHeader>*</AllowedHeader><AllowedHeader>it&#39;s</AllowedHeader>` +
		`<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>` +
		`<AllowedOrigin>https://a.example?x=1&amp;y=&lt;2&gt;</AllowedOrigin><ExposeHeader>ETag</ExposeHeader>` +
		`<ID>up&#34;loads</ID><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>` +
		`<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*&#x9;&#xA;&#xD;&#x85;&#x2028;` + "\u00e9" + `</AllowedOrigin></CORSRule>` +
		`</CORSConfiguration>`
	if got := string(S3Document(p)); got != want {
		t.Errorf("S3Document:\n got %s\nwant %s", got, want)
	}
}
