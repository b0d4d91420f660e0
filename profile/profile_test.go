package profile_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

func rules() profile.Rules {
	return profile.Rules{
		ExemptKey: "corsguard:exempt", ExemptValue: "true",
		TagKey: profile.DefaultTagKey,
		Patterns: []profile.Pattern{
			{Name: "uploads", Globs: []string{"upload-*", "ingest-*"}},
			{Name: "partners", Globs: []string{"partner-*"}},
			{Name: "catch", Globs: []string{"*-partner-*"}},
		},
	}
}

func TestResolveChoosesExemptionThenTagThenPatternThenDefault(t *testing.T) {
	tests := []struct {
		name     string
		kind     policy.Kind
		resource string
		tags     map[string]string
		want     profile.Choice
		wantErr  string
	}{
		{name: "the exemption tag wins over a profile tag", kind: policy.S3, resource: "upload-1",
			tags: map[string]string{"corsguard:exempt": "TRUE", profile.DefaultTagKey: "players"},
			want: profile.Choice{Source: profile.SourceExempt}},
		{name: "the exemption tag wins over a tag naming an invalid profile", kind: policy.S3, resource: "b",
			tags: map[string]string{"corsguard:exempt": "true", profile.DefaultTagKey: "../x"},
			want: profile.Choice{Source: profile.SourceExempt}},
		{name: "an exemption tag with another value does not exempt", kind: policy.S3, resource: "plain",
			tags: map[string]string{"corsguard:exempt": "false"},
			want: profile.Choice{Source: profile.SourceDefault}},
		{name: "the profile tag wins over a matching pattern", kind: policy.S3, resource: "upload-1",
			tags: map[string]string{profile.DefaultTagKey: "players"},
			want: profile.Choice{Source: profile.SourceTag, Name: "players", Parameter: "/corsguard/profiles/s3/players"}},
		{name: "the profile tag names the parameter of the resource's kind", kind: policy.MediaStore, resource: "live",
			tags: map[string]string{profile.DefaultTagKey: "players"},
			want: profile.Choice{Source: profile.SourceTag, Name: "players", Parameter: "/corsguard/profiles/mediastore/players"}},
		{name: "an empty tag value is an invalid profile, never the default", kind: policy.S3, resource: "upload-1",
			tags:    map[string]string{profile.DefaultTagKey: ""},
			want:    profile.Choice{Source: profile.SourceTag},
			wantErr: "empty"},
		{name: "a tag value .. is an invalid profile", kind: policy.S3, resource: "b",
			tags:    map[string]string{profile.DefaultTagKey: ".."},
			want:    profile.Choice{Source: profile.SourceTag, Name: ".."},
			wantErr: ". and .. are not profile names"},
		{name: "a tag value with a slash is an invalid profile", kind: policy.S3, resource: "b",
			tags:    map[string]string{profile.DefaultTagKey: "a/b"},
			want:    profile.Choice{Source: profile.SourceTag, Name: "a/b"},
			wantErr: "A-Z a-z 0-9 _ . -"},
		{name: "a 65-character tag value is an invalid profile", kind: policy.S3, resource: "b",
			tags:    map[string]string{profile.DefaultTagKey: strings.Repeat("a", 65)},
			want:    profile.Choice{Source: profile.SourceTag, Name: strings.Repeat("a", 65)},
			wantErr: "1 to 64"},
		{name: "a 64-character tag value is a profile", kind: policy.S3, resource: "b",
			tags: map[string]string{profile.DefaultTagKey: strings.Repeat("a", 64)},
			want: profile.Choice{Source: profile.SourceTag, Name: strings.Repeat("a", 64), Parameter: "/corsguard/profiles/s3/" + strings.Repeat("a", 64)}},
		{name: "tag values compare with case: Uploads is its own profile", kind: policy.S3, resource: "b",
			tags: map[string]string{profile.DefaultTagKey: "Uploads"},
			want: profile.Choice{Source: profile.SourceTag, Name: "Uploads", Parameter: "/corsguard/profiles/s3/Uploads"}},
		{name: "the first pattern's second glob matches", kind: policy.S3, resource: "ingest-eu",
			want: profile.Choice{Source: profile.SourcePattern, Name: "uploads", Parameter: "/corsguard/profiles/s3/uploads"}},
		{name: "patterns are tried in order: the first that matches wins", kind: policy.S3, resource: "partner-x-partner-y",
			want: profile.Choice{Source: profile.SourcePattern, Name: "partners", Parameter: "/corsguard/profiles/s3/partners"}},
		{name: "a later pattern matches what earlier ones do not", kind: policy.S3, resource: "big-partner-feed",
			want: profile.Choice{Source: profile.SourcePattern, Name: "catch", Parameter: "/corsguard/profiles/s3/catch"}},
		{name: "a kind without tags still gets a pattern's profile", kind: policy.CloudFront, resource: "partner-cors",
			want: profile.Choice{Source: profile.SourcePattern, Name: "partners", Parameter: "/corsguard/profiles/cloudfront/partners"}},
		{name: "tags without the profile key leave the patterns to decide", kind: policy.S3, resource: "upload-2",
			tags: map[string]string{"team": "media"},
			want: profile.Choice{Source: profile.SourcePattern, Name: "uploads", Parameter: "/corsguard/profiles/s3/uploads"}},
		{name: "nothing matches: the kind's default baseline", kind: policy.S3, resource: "player-assets",
			tags: map[string]string{},
			want: profile.Choice{Source: profile.SourceDefault}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules().Resolve(tt.kind, tt.resource, tt.tags)
			gotErr := got.Err
			got.Err = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantErr == "" && gotErr != nil:
				t.Errorf("error %v, want none", gotErr)
			case tt.wantErr != "" && (gotErr == nil || !strings.Contains(gotErr.Error(), tt.wantErr)):
				t.Errorf("error %v, want one saying %q", gotErr, tt.wantErr)
			}
		})
	}
}

func TestResolveWithAnotherTagKeyAndPath(t *testing.T) {
	r := profile.Rules{TagKey: "cors-role", Path: "/org/cors/"}
	got := r.Resolve(policy.S3, "b", map[string]string{"cors-role": "uploads", profile.DefaultTagKey: "players"})
	want := profile.Choice{Source: profile.SourceTag, Name: "uploads", Parameter: "/org/cors/s3/uploads"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
	if got := (profile.Rules{}).Resolve(policy.S3, "b", map[string]string{"": "x"}); got.Source != profile.SourceDefault {
		t.Errorf("the zero Rules chose %+v, want the default", got)
	}
}

func TestOfFindsTheProfileAndKindOfAParameter(t *testing.T) {
	r := profile.Rules{Path: "/corsguard/profiles/"}
	tests := []struct {
		parameter string
		name      string
		kind      policy.Kind
		ok        bool
	}{
		{"/corsguard/profiles/s3/uploads", "uploads", policy.S3, true},
		{"/corsguard/profiles/cloudfront/players", "players", policy.CloudFront, true},
		{"/corsguard/profiles/mediastore/a.b-c_d", "a.b-c_d", policy.MediaStore, true},
		{"/corsguard/profiles/s3/..", "", "", false},
		{"/corsguard/profiles/s3/a/b", "", "", false},
		{"/corsguard/profiles/nope/uploads", "", "", false},
		{"/corsguard/profiles/s3/", "", "", false},
		{"/corsguard/baseline", "", "", false},
		{"/other/profiles/s3/uploads", "", "", false},
	}
	for _, tt := range tests {
		name, kind, ok := r.Of(tt.parameter)
		if name != tt.name || kind != tt.kind || ok != tt.ok {
			t.Errorf("Of(%q) = %q, %q, %v; want %q, %q, %v", tt.parameter, name, kind, ok, tt.name, tt.kind, tt.ok)
		}
	}
}

func TestParsePatterns(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []profile.Pattern
		wantErr string
	}{
		{name: "the documented example", in: "uploads=upload-*,ingest-*;partners=partner-*",
			want: []profile.Pattern{{Name: "uploads", Globs: []string{"upload-*", "ingest-*"}}, {Name: "partners", Globs: []string{"partner-*"}}}},
		{name: "spaces and empty items are ignored", in: " ; uploads = upload-* , ,ingest-* ;; ",
			want: []profile.Pattern{{Name: "uploads", Globs: []string{"upload-*", "ingest-*"}}}},
		{name: "empty is no pattern", in: "", want: nil},
		{name: "a glob may hold =", in: "a=x=y", want: []profile.Pattern{{Name: "a", Globs: []string{"x=y"}}}},
		{name: "no =", in: "uploads", wantErr: "has no ="},
		{name: "no name", in: "=upload-*", wantErr: "empty"},
		{name: "no glob", in: "uploads=", wantErr: "names no glob"},
		{name: "only commas", in: "uploads=, ,", wantErr: "names no glob"},
		{name: "an invalid name", in: "up/loads=upload-*", wantErr: "A-Z a-z 0-9 _ . -"},
		{name: "the name ..", in: "..=x", wantErr: ". and .."},
		{name: "a malformed glob", in: "uploads=upload-[", wantErr: "syntax error in pattern"},
		{name: "a profile twice", in: "a=x;a=y", wantErr: "has two patterns"},
		{name: "every bad item is reported", in: "a;b=", wantErr: "names no glob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := profile.ParsePatterns(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePatterns(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePatterns(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParsePath(t *testing.T) {
	deep := "/" + strings.Repeat("a/", 14)
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "/corsguard/profiles/", want: "/corsguard/profiles/"},
		{in: " /p/ ", want: "/p/"},
		{in: "/", wantErr: "begins and ends with /"},
		{in: "", wantErr: "begins and ends with /"},
		{in: "/corsguard/profiles", wantErr: "begins and ends with /"},
		{in: "corsguard/profiles/", wantErr: "begins and ends with /"},
		{in: "/corsguard//profiles/", wantErr: "each level"},
		{in: "/cors guard/", wantErr: "each level"},
		{in: "/aws/profiles/", wantErr: "reserves"},
		{in: "/SSM-x/", wantErr: "reserves"},
		{in: "/" + strings.Repeat("a", 2000) + "/", wantErr: "characters"},
		{in: deep, wantErr: "levels"},
		{in: "/" + strings.Repeat("a/", 13), want: "/" + strings.Repeat("a/", 13)},
		{in: "/a/../b/", wantErr: "not . or .."},
		{in: "/./", wantErr: "not . or .."},
	}
	for _, tt := range tests {
		got, err := profile.ParsePath(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePath(%q) = %q, %v; want an error saying %q", clip(tt.in), got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", clip(tt.in), got, err, tt.want)
		}
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
