package corsconv

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/policy"
)

func TestRoundTrips(t *testing.T) {
	ms := policy.Policy{
		{AllowedOrigins: []string{"https://a.example", "*"}, AllowedMethods: []string{"GET", "HEAD"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 3000},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}},
	}
	if diff := cmp.Diff(ms, FromMediaStore(ToMediaStore(ms))); diff != "" {
		t.Errorf("MediaStore round trip (-want +got):\n%s", diff)
	}
	s3 := append(policy.Policy{{ID: "uploads", AllowedOrigins: []string{"https://a.example"},
		AllowedMethods: []string{"POST", "PUT"}, MaxAgeSeconds: 600}}, ms...)
	if diff := cmp.Diff(s3, FromS3(ToS3(s3))); diff != "" {
		t.Errorf("S3 round trip (-want +got):\n%s", diff)
	}
	if r := ToS3(ms)[1]; r.ID != nil || r.MaxAgeSeconds != nil {
		t.Errorf("an empty ID or zero max age was sent to S3: %+v", r)
	}
	if FromMediaStore(nil) == nil || FromS3(nil) == nil {
		t.Error("an empty answer became no policy")
	}
}
