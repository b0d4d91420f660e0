package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKinds(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []Kind
		err  string
	}{
		{in: "mediastore", want: []Kind{MediaStore}},
		{in: "s3", want: []Kind{S3}},
		{in: "s3,mediastore", want: []Kind{MediaStore, S3}},
		{in: " S3 , MediaStore ,", want: []Kind{MediaStore, S3}},
		{in: "all", want: []Kind{MediaStore, S3}}, // cloudfront's baseline has another shape: named on its own
		{in: "s3,all,s3", want: []Kind{MediaStore, S3}},
		{in: "cloudfront,all", want: []Kind{MediaStore, S3, CloudFront}},
		{in: "CloudFront", want: []Kind{CloudFront}},
		{in: "", err: "names no target"},
		{in: " , ", err: "names no target"},
		{in: "mediastore,ec2", err: `"ec2" is not a target; want mediastore, s3, cloudfront, lambda-url, http-api or all`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseKinds(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseKinds(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseKinds(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzParseKinds(f *testing.F) {
	for _, s := range []string{"mediastore", "s3,all", " , ", "MEDIASTORE,s3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kinds, err := ParseKinds(s)
		if err != nil {
			return
		}
		if len(kinds) == 0 {
			t.Fatalf("ParseKinds(%q) = no kinds and no error", s)
		}
		// The result is a subsequence of Kinds: each kind once, in order.
		i := 0
		for _, k := range Kinds() {
			if i < len(kinds) && kinds[i] == k {
				i++
			}
		}
		if i != len(kinds) {
			t.Fatalf("ParseKinds(%q) = %v, not each kind once in the order of Kinds", s, kinds)
		}
	})
}
