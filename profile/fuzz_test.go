package profile_test

import (
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// FuzzParsePatterns: whatever the string, ParsePatterns either refuses it or returns patterns
// whose names are profile names, whose globs are well formed and hold no separator, that print
// back to a string that parses to the same patterns.
func FuzzParsePatterns(f *testing.F) {
	for _, s := range []string{"uploads=upload-*,ingest-*;partners=partner-*", "a=b", "a=[", "..=x", ";;", "a=x;a=y", " a = b , c ", "a=b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := profile.ParsePatterns(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if err := profile.ValidName(p.Name); err != nil {
				t.Fatalf("ParsePatterns(%q) returned an invalid name: %v", s, err)
			}
			for _, g := range p.Globs {
				if _, err := path.Match(g, ""); err != nil || g == "" || strings.ContainsAny(g, ",;") {
					t.Fatalf("ParsePatterns(%q) returned the glob %q", s, g)
				}
			}
		}
		again, err := profile.ParsePatterns(profile.FormatPatterns(ps))
		if err != nil {
			t.Fatalf("the printed patterns %q do not parse: %v", profile.FormatPatterns(ps), err)
		}
		if diff := cmp.Diff(ps, again); diff != "" {
			t.Fatalf("printed and parsed again (-first +again):\n%s", diff)
		}
	})
}

// FuzzResolve: a tag value is either a valid profile whose parameter is <path><kind>/<value>
// (one level below the kind, never walking out of the path) or an error, never the default.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"uploads", "", ".", "..", "a/../b", "players\n", strings.Repeat("x", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		r := profile.Rules{TagKey: profile.DefaultTagKey, Path: profile.DefaultPath}
		c := r.Resolve(policy.S3, "bucket", map[string]string{profile.DefaultTagKey: value})
		if c.Source != profile.SourceTag {
			t.Fatalf("tag %q: source %s, want tag", value, c.Source)
		}
		if c.Err != nil {
			if c.Parameter != "" {
				t.Fatalf("tag %q: an invalid profile with the parameter %q", value, c.Parameter)
			}
			return
		}
		name, kind, ok := r.Of(c.Parameter)
		if !ok || name != value || kind != policy.S3 || path.Clean(c.Parameter) != c.Parameter {
			t.Fatalf("tag %q: parameter %q is not /corsguard/profiles/s3/%s", value, c.Parameter, value)
		}
	})
}

// FuzzParsePath: an accepted path begins and ends with /, and every parameter under it is a
// clean SSM name within SSM's length.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{profile.DefaultPath, "/", "//", "/a/../b/", "/aws/", "/a b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := profile.ParsePath(s)
		if err != nil {
			return
		}
		param := profile.Parameter(p, policy.CloudFront, strings.Repeat("n", profile.MaxNameChars))
		if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || path.Clean(param) != param || len(param) > profile.MaxParameterChars {
			t.Fatalf("ParsePath(%q) accepted %q (parameter %q)", s, p, param)
		}
	})
}
