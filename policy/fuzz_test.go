package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that Validate never panics on what it returns, and
// that a parsed policy survives a round trip through its own JSON unchanged in meaning.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"CorsPolicy":[{"ID":"x","AllowedOrigins":["*"],"AllowedMethods":["POST"]}]}`))
	// Issue 12: duplicate keys (also in another case), a UTF-8 BOM, header names in any case.
	f.Add([]byte(`[{"AllowedOrigins":["a"],"allowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`))
	f.Add([]byte(`{"CorsPolicy":[],"CorsPolicy":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":["ETag"]}]}`))
	f.Add([]byte("\xef\xbb\xbf[{\"AllowedOrigins\":[\"*\"],\"AllowedMethods\":[\"GET\"],\"AllowedHeaders\":[\"X-Amz-Date\"],\"ExposeHeaders\":[\"etag\",\"ETag\"]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		_ = Validate(p, MediaStore)
		_ = Validate(p, S3)
		again, err := Parse(p.JSON())
		if err != nil {
			t.Fatalf("Parse(JSON(p)) of %q: %v", data, err)
		}
		if !Equal(p, again) {
			t.Fatalf("round trip changed the policy: %v became %v", Diff(again, p), again)
		}
		if Hash(p) != Hash(again) {
			t.Fatalf("round trip changed the hash")
		}
	})
}

// FuzzParseCorsConfig checks that ParseCorsConfig never panics, that Validate never panics on
// what it returns, and that a parsed CorsConfig survives a round trip through its own JSON and
// through the Policy form unchanged in meaning.
func FuzzParseCorsConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/cloudfront/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"CorsConfig":{"AccessControlAllowMethods":{"Quantity":1,"Items":["ALL"]}}}`))
	f.Add([]byte(`{"ResponseHeadersPolicy":{"ResponseHeadersPolicyConfig":{"CorsConfig":{}}}}`))
	// Issue 12: duplicate keys at several depths, a UTF-8 BOM.
	f.Add([]byte(`{"CorsConfig":{"OriginOverride":true,"originOverride":false}}`))
	f.Add([]byte(`{"AccessControlAllowHeaders":{"Quantity":1,"Items":["ETag"],"Items":["etag"]}}`))
	f.Add([]byte("\xef\xbb\xbf{\"AccessControlExposeHeaders\":{\"Quantity\":1,\"Items\":[\"ETag\"]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCorsConfig(data)
		if err != nil {
			return
		}
		p := c.Policy()
		_ = Validate(p, CloudFront)
		again, err := ParseCorsConfig(c.JSON())
		if err != nil {
			t.Fatalf("ParseCorsConfig(JSON(c)) of %q: %v", data, err)
		}
		if !Equal(p, again.Policy()) || Hash(p) != Hash(again.Policy()) {
			t.Fatalf("round trip changed the config: %v", Diff(again.Policy(), p))
		}
		back, err := CorsConfigOf(p)
		if err != nil {
			t.Fatal(err)
		}
		if !Equal(back.Policy(), p) {
			t.Fatalf("CorsConfigOf changed the config: %v", Diff(back.Policy(), p))
		}
		if len(Diff(p, p)) != 0 {
			t.Fatalf("a config differs from itself")
		}
	})
}

// FuzzParseCors checks that ParseCors never panics, that Validate never panics on what it
// returns for either kind, and that a parsed Cors object survives a round trip through its own
// JSON and through the Policy form unchanged in meaning.
func FuzzParseCors(f *testing.F) {
	files, _ := filepath.Glob("testdata/api/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"Cors":{"AllowMethods":["*"],"MaxAge":-1}}`))
	f.Add([]byte(`{"CorsConfiguration":{"AllowHeaders":["ETag","etag"]},"ApiId":"x"}`))
	f.Add([]byte(`{"Cors":{"MaxAge":1,"maxAge":2}}`))
	f.Add([]byte(`{"FunctionUrl":"u"}`))
	f.Add([]byte("\xef\xbb\xbf{\"AllowCredentials\":true,\"AllowOrigins\":[\"*\"]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCors(data)
		if err != nil {
			return
		}
		for _, kind := range []Kind{LambdaURL, HTTPAPI} {
			p := c.Policy(kind)
			_ = Validate(p, kind)
			again, err := ParseCors(c.JSON())
			if err != nil {
				t.Fatalf("ParseCors(JSON(c)) of %q: %v", data, err)
			}
			if !Equal(p, again.Policy(kind)) || Hash(p) != Hash(again.Policy(kind)) {
				t.Fatalf("%s: round trip changed the config: %v", kind, Diff(again.Policy(kind), p))
			}
			back, err := CorsOf(p)
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(back.Policy(kind), p) {
				t.Fatalf("%s: CorsOf changed the config: %v", kind, Diff(back.Policy(kind), p))
			}
			if len(Diff(p, p)) != 0 {
				t.Fatalf("%s: a config differs from itself", kind)
			}
		}
	})
}
