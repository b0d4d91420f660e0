package enforce

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/corsguard/corsguard/emulator"
)

// The S3 store maps the tags of every bucket carrying the profile key in one GetResources
// call per 100 such buckets (the real SDK client over HTTP against the emulator), and makes no
// bucket call to do so.
func TestS3StoreMapsTaggedBucketsInBulk(t *testing.T) {
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	defer srv.Close()
	for i := range 230 {
		tags := map[string]string{"corsguard:profile": "uploads", "team": "media"}
		if i%10 == 0 {
			tags = map[string]string{"team": "media"}
		}
		if err := emu.SeedBucket(fmt.Sprintf("bucket-%03d", i), emu.Region(), nil, tags); err != nil {
			t.Fatal(err)
		}
	}
	_ = emu.SeedBucket("untagged", emu.Region(), nil, nil)
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
	})
	tg := rgt.New(rgt.Options{Region: emu.Region(), BaseEndpoint: aws.String(srv.URL), HTTPClient: emulator.HTTPClient(), Credentials: creds})
	client := s3.New(s3.Options{Region: emu.Region(), BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		HTTPClient: emulator.HTTPClient(), Credentials: creds})
	m := newMeter(newLimiters(rate.Inf))

	got, ok, err := S3(client, emu.Region(), WithTagging(tg)).(bulkTagger).taggedWith(context.Background(), m, "corsguard:profile")
	if err != nil || !ok {
		t.Fatalf("taggedWith: %v, %v", ok, err)
	}
	if len(got) != 207 {
		t.Errorf("%d buckets; want the 207 with the profile key", len(got))
	}
	if diff := cmp.Diff(map[string]string{"corsguard:profile": "uploads", "team": "media"}, got["bucket-001"]); diff != "" {
		t.Errorf("bucket-001's tags (-want +got):\n%s", diff)
	}
	if _, listed := got["bucket-000"]; listed {
		t.Error("a bucket without the key was mapped")
	}
	if calls := m.counts(); calls[opGetResources] != 3 || emu.CallCount("GetResources") != 3 || emu.TotalCalls() != 3 {
		t.Errorf("calls %v (emulator: %v); want 3 GetResources for 207 tagged buckets and nothing else", calls, emu.Calls())
	}

	if _, ok, err := S3(client, emu.Region()).(bulkTagger).taggedWith(context.Background(), m, "corsguard:profile"); ok || err != nil {
		t.Errorf("without the Tagging API: ok %v, %v; want not ok, so that tags are read bucket by bucket", ok, err)
	}
}

func TestBucketOfARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:s3:::media":           "media",
		"arn:aws-cn:s3:::media.cn":     "media.cn",
		"arn:aws:s3:::media/object":    "",
		"arn:aws:s3:us-east-1::media":  "",
		"arn:aws:sqs:::media":          "",
		"arn:aws:s3:::":                "",
		"media":                        "",
		"arn:aws:s3:::accesspoint/x-y": "",
	} {
		got, ok := bucketOfARN(arn)
		if got != want || ok != (want != "") {
			t.Errorf("bucketOfARN(%q) = %q, %v; want %q", arn, got, ok, want)
		}
	}
}
