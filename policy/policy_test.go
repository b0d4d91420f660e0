package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAcceptsBothShapes(t *testing.T) {
	want := Policy{{
		AllowedOrigins: []string{"https://a.example"},
		AllowedMethods: []string{"GET"},
		AllowedHeaders: []string{"*"},
		MaxAgeSeconds:  60,
	}}
	for name, in := range map[string]string{
		"a bare rule array":          `[{"AllowedOrigins":["https://a.example"],"AllowedMethods":["GET"],"AllowedHeaders":["*"],"MaxAgeSeconds":60}]`,
		"the get-cors-policy object": `{"CorsPolicy":[{"AllowedOrigins":["https://a.example"],"AllowedMethods":["GET"],"AllowedHeaders":["*"],"MaxAgeSeconds":60}]}`,
		"surrounding white space":    " \n\t[{\"AllowedOrigins\":[\"https://a.example\"],\"AllowedMethods\":[\"GET\"],\"AllowedHeaders\":[\"*\"],\"MaxAgeSeconds\":60}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRefusesBadInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty input", "", "policy is empty"},
		{"white space only", "  \n", "policy is empty"},
		{"a typo in a field name", `[{"AllowedOrigin":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`, `unknown field "AllowedOrigin"`},
		{"an unknown top-level field", `{"CorsPolicy":[],"Policy":[]}`, `unknown field "Policy"`},
		{"an object without CorsPolicy", `{}`, `no "CorsPolicy" field`},
		{"a null policy", `null`, "must be a JSON array"},
		{"a null CorsPolicy", `{"CorsPolicy":null}`, `no "CorsPolicy" field`},
		{"a string", `"GET"`, "must be a JSON array"},
		{"truncated JSON", `[{"AllowedOrigins":["*"]`, "parse policy"},
		{"trailing data", `[] []`, "unexpected data after the policy"},
		{"a wrong type", `[{"MaxAgeSeconds":"60"}]`, "parse policy"},
		{"a number out of range", `[{"MaxAgeSeconds":1e30}]`, "parse policy"},
		{"input over the size limit", "[" + strings.Repeat(" ", MaxChars) + "]", "more than the 398000 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%.40q) = %v, want an error containing %q", tt.in, p, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseCountsCharactersNotBytes(t *testing.T) {
	// 398,000 two-byte characters are 796,000 bytes but within the limit.
	in := `[{"AllowedOrigins":["` + strings.Repeat("é", MaxChars-80) + `"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`
	if _, err := Parse([]byte(in)); err != nil {
		t.Errorf("Parse of %d characters: %v", len([]rune(in)), err)
	}
}

func TestJSONRoundTrips(t *testing.T) {
	p := Policy{good(), {AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PUT"}, AllowedHeaders: []string{}}}
	back, err := Parse(p.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestTestdataBaselines(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata baselines: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(data)
			if err == nil {
				err = Validate(p, MediaStore)
			}
			wantValid := strings.HasPrefix(filepath.Base(f), "valid-")
			if wantValid && err != nil {
				t.Errorf("want valid, got %v", err)
			}
			if !wantValid && err == nil {
				t.Errorf("want an error, got none")
			}
		})
	}
}
