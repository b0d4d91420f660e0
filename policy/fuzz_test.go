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
