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

// CloudFront requires Items beside Quantity in its three required lists, even when a list is
// empty (the SDK refuses the request without it); corsconv sends an empty Items.
func TestToCloudFrontSendsItemsOfAnEmptyRequiredList(t *testing.T) {
	c, err := policy.ParseCorsConfig([]byte(`{"AccessControlAllowOrigins":{"Quantity":1,"Items":["*"]},"AccessControlAllowHeaders":{"Quantity":0},
		"AccessControlAllowMethods":{"Quantity":1,"Items":["GET"]},"AccessControlAllowCredentials":false,"OriginOverride":true}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ToCloudFront(c.Policy())
	if err != nil {
		t.Fatal(err)
	}
	if h := out.AccessControlAllowHeaders; h == nil || h.Items == nil || *h.Quantity != 0 {
		t.Errorf("AccessControlAllowHeaders %+v: want Quantity 0 and an empty, present Items", h)
	}
	if out.AccessControlExposeHeaders != nil {
		t.Errorf("an absent optional list came back as %+v", out.AccessControlExposeHeaders)
	}
	if back := FromCloudFront(out); !policy.Equal(back, c.Policy()) {
		t.Errorf("round trip: %v", policy.Diff(back, c.Policy()))
	}
}
