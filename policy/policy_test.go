package policy

import (
	"encoding/json"
	"fmt"
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
		{"input over the read limit", "[" + strings.Repeat(" ", MaxInputBytes) + "]", "more than the 4194304 read"},
		{"UTF-16 input", "\xff\xfe[\x00]\x00", "is UTF-16"},
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

// A key given twice in one object is an error naming its path, at any depth and in either
// shape; Go's decoder would keep the last value without a word.
func TestParseRefusesDuplicateKeys(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"in a rule of a bare array", `[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]},
			{"AllowedOrigins":["https://a.example"],"AllowedMethods":["GET"],"AllowedOrigins":["*"],"AllowedHeaders":[]}]`,
			"parse policy: CorsPolicy[1].AllowedOrigins: key given twice: the last would silently win"},
		{"in a rule of CorsPolicy", `{"CorsPolicy":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[],"MaxAgeSeconds":1,"MaxAgeSeconds":2}]}`,
			"parse policy: CorsPolicy[0].MaxAgeSeconds: key given twice"},
		{"CorsPolicy itself", `{"CorsPolicy":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}],"CorsPolicy":[]}`,
			"parse policy: CorsPolicy: key given twice"},
		{"in another case", `[{"AllowedOrigins":["https://a.example"],"allowedorigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`,
			`parse policy: CorsPolicy[0].allowedorigins: key given twice (first as "AllowedOrigins")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, %v; want an error containing %q", p, err, tt.want)
			}
		})
	}
	// The same key in two objects is no duplicate.
	if _, err := Parse([]byte(`[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]},{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`)); err != nil {
		t.Errorf("two rules: %v", err)
	}
}

// A UTF-8 byte order mark, which some editors write, is ignored.
func TestParseIgnoresAUTF8ByteOrderMark(t *testing.T) {
	p, err := Parse(append([]byte("\xef\xbb\xbf"), DefaultJSON()...))
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(p, Default()) {
		t.Errorf("Parse with a BOM = %v, want the default policy", p)
	}
}

// MediaStore's 398,000 characters are the compact JSON the SDK sends, not the file's white
// space: a pretty-printed baseline larger than that whose compact form fits is valid.
func TestSizeIsMeasuredOnWhatTheServiceReceives(t *testing.T) {
	// One rule of 100 origins of 1,900 characters: about 190,500 characters compact.
	r := Rule{AllowedOrigins: items(100, func(i int) string { return fmt.Sprintf("https://%04d%s", i, strings.Repeat("o", 1888)) }),
		AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}}
	pretty, err := json.MarshalIndent(Policy{r, r}, strings.Repeat(" ", 2000), "\t")
	if err != nil {
		t.Fatal(err)
	}
	compact := MediaStoreDocument(Policy{r, r})
	if len([]rune(string(pretty))) <= MaxChars || len([]rune(string(compact))) > MaxChars {
		t.Fatalf("want the file over and the policy under %d characters: %d and %d", MaxChars, len(pretty), len(compact))
	}
	p, err := Parse(pretty)
	if err == nil {
		err = Validate(p, MediaStore)
	}
	if err != nil {
		t.Errorf("a file of %d characters holding a policy of %d: %v", len(pretty), len(compact), err)
	}
	// Three such rules are too many characters, whatever the white space; the error says how many.
	three := Policy{r, r, r}
	want := fmt.Sprintf("CorsPolicy: is %d characters as PutCorsPolicy sends it (compact JSON); at most 398000 are allowed", len(MediaStoreDocument(three)))
	if got := problems(t, Validate(three, MediaStore)); len(got) != 1 || got[0] != want {
		t.Errorf("three rules: %q, want %q", got, want)
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
