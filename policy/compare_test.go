package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEqual(t *testing.T) {
	base := Policy{good(), {AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}}}
	mutate := func(f func(p Policy)) Policy {
		p := Canonical(base) // a deep copy
		f(p)
		return p
	}
	tests := []struct {
		name string
		a, b Policy
		want bool
	}{
		{"a policy equals itself", base, base, true},
		{"order inside a list does not matter", base, mutate(func(p Policy) { p[0].AllowedMethods = []string{"HEAD", "GET"} }), true},
		{"duplicates inside a list do not matter", base, mutate(func(p Policy) { p[0].AllowedMethods = []string{"GET", "HEAD", "GET"} }), true},
		{"a missing max age equals 0", Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}},
			Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, MaxAgeSeconds: 0}}, true},
		{"absent and empty header lists are equal", Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}},
			Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}, ExposeHeaders: []string{}}}, true},
		{"rule order matters", base, Policy{base[1], base[0]}, false},
		{"a missing rule differs", base, base[:1], false},
		{"no policy differs from any policy", nil, base, false},
		{"header name case does not matter", base, mutate(func(p Policy) {
			p[0].AllowedHeaders = []string{"*"}
			p[0].ExposeHeaders = []string{"etag"}
		}), true},
		{"allowed header name case does not matter", Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"Content-Type", "X-Amz-Date"}}},
			Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"x-amz-date", "content-type"}}}, true},
		{"origin case matters", base, mutate(func(p Policy) { p[0].AllowedOrigins = []string{"https://Player.example.com"} }), false},
		{"method case matters", base, mutate(func(p Policy) { p[0].AllowedMethods = []string{"get", "HEAD"} }), false},
		{"an extra origin differs", base, mutate(func(p Policy) { p[0].AllowedOrigins = append(p[0].AllowedOrigins, "https://b.example") }), false},
		{"another max age differs", base, mutate(func(p Policy) { p[0].MaxAgeSeconds = 1 }), false},
		{"another expose header differs", base, mutate(func(p Policy) { p[0].ExposeHeaders = nil }), false},
		{"another allowed header differs", base, mutate(func(p Policy) { p[1].AllowedHeaders = []string{"x"} }), false},
		{"another rule ID differs", base, mutate(func(p Policy) { p[1].ID = "x" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
			if got := Equal(tt.b, tt.a); got != tt.want {
				t.Errorf("Equal reversed = %v, want %v", got, tt.want)
			}
			if got := Hash(tt.a) == Hash(tt.b); got != tt.want {
				t.Errorf("Hash equality = %v, want %v", got, tt.want)
			}
			if got := len(Diff(tt.a, tt.b)) == 0; got != tt.want {
				t.Errorf("Diff empty = %v, want %v: %v", got, tt.want, Diff(tt.a, tt.b))
			}
		})
	}
}

func TestHashIsStable(t *testing.T) {
	// The sha256 of [{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}], computed
	// with sha256sum: a change of canonical form would silently change every report's baseline id.
	got := Hash(Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}}})
	want := "sha256:81014490a74cf5b3da984351817ead90a76ac06dd78fee8a708c93dbcb08be32"
	if got != want {
		t.Logf("if the canonical form changed on purpose, update the constant to %s", got)
		t.Errorf("Hash = %s, want %s", got, want)
	}
}

func TestDiff(t *testing.T) {
	want := Policy{good(), {AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}}}
	tests := []struct {
		name   string
		actual Policy
		want   []string
	}{
		{"no policy misses every rule", nil, []string{
			`CorsPolicy[0]: missing rule, want {"AllowedOrigins":["https://player.example.com"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"ExposeHeaders":["etag"],"MaxAgeSeconds":3000}`,
			`CorsPolicy[1]: missing rule, want {"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}`,
		}},
		{"an extra rule is to be removed", append(Canonical(want), Rule{AllowedOrigins: []string{"https://evil.example"}, AllowedMethods: []string{"PUT"}}), []string{
			`CorsPolicy[2]: rule not in baseline: {"AllowedOrigins":["https://evil.example"],"AllowedMethods":["PUT"],"AllowedHeaders":[]}`,
		}},
		{"changed fields are listed one by one", Policy{{
			AllowedOrigins: []string{"https://player.example.com", "*"},
			AllowedMethods: []string{"GET", "HEAD", "DELETE"},
			AllowedHeaders: []string{"*"},
			MaxAgeSeconds:  0,
		}, want[1]}, []string{
			"CorsPolicy[0].AllowedOrigins: -*",
			"CorsPolicy[0].AllowedMethods: -DELETE",
			"CorsPolicy[0].ExposeHeaders: +etag",
			"CorsPolicy[0].MaxAgeSeconds: 0 -> 3000",
		}},
		{"an equal policy has no diff", Canonical(want), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Diff(tt.actual, want) {
				got = append(got, c.String())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Diff (-want +got):\n%s", d)
			}
		})
	}
}

func TestSelector(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		match, skip      []string
	}{
		{"no patterns take everything", nil, nil, []string{"a", "live-1"}, nil},
		{"include narrows", []string{"live-*", "vod"}, nil, []string{"live-1", "vod"}, []string{"vod-2", "test"}},
		{"exclude removes", nil, []string{"*-test"}, []string{"live"}, []string{"live-test"}},
		{"exclude wins over include", []string{"live-*"}, []string{"live-test*"}, []string{"live-1"}, []string{"live-test-2"}},
		{"character classes work", []string{"c[0-9]"}, nil, []string{"c1"}, []string{"cx", "c10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSelector(tt.include, tt.exclude)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tt.match {
				if !s.Match(n) {
					t.Errorf("Match(%q) = false, want true", n)
				}
			}
			for _, n := range tt.skip {
				if s.Match(n) {
					t.Errorf("Match(%q) = true, want false", n)
				}
			}
		})
	}
	if _, err := NewSelector([]string{"live-["}, nil); err == nil {
		t.Error("NewSelector accepted the malformed pattern live-[")
	}
	if _, err := NewSelector(nil, []string{"[z-a"}); err == nil {
		t.Error("NewSelector accepted the malformed exclude pattern [z-a")
	}
}

func TestValidContainerName(t *testing.T) {
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	for _, ok := range []string{"a", "Live_Stream-01", string(long[:255])} {
		if err := ValidContainerName(ok); err != nil {
			t.Errorf("ValidContainerName(%.20q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "has space", "dot.name", "slash/name", "é", string(long)} {
		if err := ValidContainerName(bad); err == nil {
			t.Errorf("ValidContainerName(%.20q) = nil, want an error", bad)
		}
	}
}

func TestValidBucketName(t *testing.T) {
	for _, ok := range []string{"abc", "media-uploads", "my.bucket.1", strings.Repeat("b", 63)} {
		if err := ValidBucketName(ok); err != nil {
			t.Errorf("ValidBucketName(%.20q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "ab", strings.Repeat("b", 64), "Upper", "-start", "end.", "two..dots", "192.168.1.10", "under_score"} {
		if err := ValidBucketName(bad); err == nil {
			t.Errorf("ValidBucketName(%.20q) = nil, want an error", bad)
		}
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := Validate(Default(), MediaStore); err != nil {
		t.Fatal(err)
	}
}
