package emulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
)

// S3 User Guide, "General purpose bucket naming rules": prefixes and suffixes S3 keeps for
// access point aliases, Object Lambda, Multi-Region Access Points, directory and table buckets.
func TestS3RefusesReservedBucketNames(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	for _, name := range []string{"xn--media", "sthree-media", "amzn-s3-demo-bucket", "media-s3alias", "media--ol-s3",
		"media.mrap", "media--use1-az4--x-s3", "media--table-s3"} {
		// Raw requests: the SDK takes a --x-s3 name for a directory bucket and asks S3 Express
		// for a session first.
		if status, code := rawS3(t, f.url, http.MethodPut, "/"+name, nil, nil); status != 400 || code != "InvalidBucketName" {
			t.Errorf("create %s: %d %s", name, status, code)
		}
		if err := f.emu.SeedBucket(name, "", nil, nil); err == nil {
			t.Errorf("seeding %s was accepted", name)
		}
	}
	for _, name := range []string{"media-xn--a", "my-sthree-bucket", "media-s3alias-logs"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("create %s: %v", name, err)
		}
	}
}

// The model's CreateBucketConfiguration has Tags (a TagSet): the bucket starts with them.
func TestCreateBucketTakesTags(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tagged"), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
		Tags: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("video")}}}}); err != nil {
		t.Fatal(err)
	}
	got := must[*s3.GetBucketTaggingOutput](t)(c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged")}))
	if len(got.TagSet) != 1 || aws.ToString(got.TagSet[0].Key) != "team" || aws.ToString(got.TagSet[0].Value) != "video" {
		t.Errorf("tags of the created bucket: %+v", got.TagSet)
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("system-tagged"), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
		Tags: []s3types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("me")}}}})
	wantCode(t, err, "InvalidTag")
	if _, ok := f.emu.Bucket("system-tagged"); ok {
		t.Error("a refused CreateBucket created the bucket")
	}
}

// The CloudTrail record of PutBucketCors spells the configuration as S3's XML does
// (CORSConfiguration.CORSRule[].AllowedOrigin, ...), as in the recorded sample in events/.
func TestPutBucketCorsIsRecordedInS3sOwnShape(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	var rec recorder
	defer f.emu.Subscribe(rec.add)()
	must[*s3.CreateBucketOutput](t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media-assets")}))
	must[*s3.PutBucketCorsOutput](t)(c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("media-assets"),
		CORSConfiguration: &s3types.CORSConfiguration{CORSRules: []s3types.CORSRule{{AllowedMethods: []string{"GET", "PUT", "POST", "DELETE"},
			AllowedOrigins: []string{"*"}, AllowedHeaders: []string{"*"}}}}}))
	var sample struct {
		Detail struct {
			RequestParameters map[string]any `json:"requestParameters"`
		} `json:"detail"`
	}
	data, err := os.ReadFile("../events/cloudtrail-s3-put-bucket-cors.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sample); err != nil {
		t.Fatal(err)
	}
	evs := rec.take()
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	got := evs[1]["detail"].(map[string]any)["requestParameters"].(map[string]any)
	want := sample.Detail.RequestParameters
	delete(got, "Host") // the endpoint the request went to
	delete(want, "Host")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PutBucketCors requestParameters (-sample +emulator):\n%s", diff)
	}
}
