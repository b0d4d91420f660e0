package emulator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
)

func taggingClient(url string) *rgt.Client {
	return rgt.New(rgt.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

// allResources pages through GetResources with the SDK's paginator and returns each bucket's
// tags by ARN, and the number of calls it took.
func allResources(t *testing.T, c *rgt.Client, in *rgt.GetResourcesInput) (map[string]map[string]string, int) {
	t.Helper()
	out := map[string]map[string]string{}
	calls := 0
	for p := rgt.NewGetResourcesPaginator(c, in); p.HasMorePages(); {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, m := range page.ResourceTagMappingList {
			arn := aws.ToString(m.ResourceARN)
			if _, dup := out[arn]; dup {
				t.Errorf("%s on two pages", arn)
			}
			out[arn] = map[string]string{}
			for _, tag := range m.Tags {
				out[arn][aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
		}
	}
	return out, calls
}

func TestGetResourcesListsTaggedBucketsByTagKeyInPagesOf100(t *testing.T) {
	f := newFixture(t)
	for i := range 250 {
		tags := map[string]string{"corsguard:profile": []string{"players", "uploads", "partners"}[i%3], "team": "media"}
		if i%5 == 0 {
			tags = map[string]string{"team": "media"} // tagged, but not with a profile
		}
		if err := f.emu.SeedBucket(fmt.Sprintf("b-%03d", i), "us-east-1", nil, tags); err != nil {
			t.Fatal(err)
		}
	}
	_ = f.emu.SeedBucket("untagged", "us-east-1", nil, nil)
	_ = f.emu.SeedBucket("eu-tagged", "eu-west-1", nil, map[string]string{"corsguard:profile": "players"})
	c := taggingClient(f.url)

	got, calls := allResources(t, c, &rgt.GetResourcesInput{ResourcesPerPage: aws.Int32(100),
		ResourceTypeFilters: []string{"s3:bucket"}, TagFilters: []rgttypes.TagFilter{{Key: aws.String("corsguard:profile")}}})
	if len(got) != 200 || calls != 2 {
		t.Errorf("%d buckets in %d calls; want the 200 with the profile key in 2", len(got), calls)
	}
	if diff := cmp.Diff(map[string]string{"corsguard:profile": "uploads", "team": "media"}, got["arn:aws:s3:::b-001"]); diff != "" {
		t.Errorf("b-001's tags (-want +got): every tag of the resource, not only the filter's\n%s", diff)
	}
	if _, ok := got["arn:aws:s3:::eu-tagged"]; ok {
		t.Error("a bucket of another Region was listed")
	}
	if f.emu.CallCount("GetResources") != 2 {
		t.Errorf("the emulator counted %d GetResources calls, want 2", f.emu.CallCount("GetResources"))
	}

	all, _ := allResources(t, c, &rgt.GetResourcesInput{})
	if len(all) != 250 {
		t.Errorf("%d buckets without filters; want every tagged one of the Region (250), none untagged", len(all))
	}
	two, _ := allResources(t, c, &rgt.GetResourcesInput{TagFilters: []rgttypes.TagFilter{
		{Key: aws.String("corsguard:profile"), Values: []string{"players", "partners"}}, {Key: aws.String("team"), Values: []string{"media"}}}})
	if len(two) != 133 {
		t.Errorf("%d buckets with profile players or partners and team=media; want 133", len(two))
	}
	none, _ := allResources(t, c, &rgt.GetResourcesInput{ResourceTypeFilters: []string{"ec2:instance"}})
	if len(none) != 0 {
		t.Errorf("ec2:instance listed %d buckets", len(none))
	}
}

func TestGetResourcesRefusesWhatTheModelRefuses(t *testing.T) {
	f := newFixture(t)
	c := taggingClient(f.url)
	ctx := context.Background()
	manyFilters := make([]rgttypes.TagFilter, 51)
	for i := range manyFilters {
		manyFilters[i] = rgttypes.TagFilter{Key: aws.String(fmt.Sprint("k", i))}
	}
	for _, tc := range []struct {
		name string
		in   *rgt.GetResourcesInput
		code string
	}{
		{"101 resources per page", &rgt.GetResourcesInput{ResourcesPerPage: aws.Int32(101)}, "InvalidParameterException"},
		{"0 resources per page", &rgt.GetResourcesInput{ResourcesPerPage: aws.Int32(0)}, "InvalidParameterException"},
		{"99 tags per page", &rgt.GetResourcesInput{TagsPerPage: aws.Int32(99)}, "InvalidParameterException"},
		{"51 tag filters", &rgt.GetResourcesInput{TagFilters: manyFilters}, "InvalidParameterException"},
		{"a filter without a key", &rgt.GetResourcesInput{TagFilters: []rgttypes.TagFilter{{Values: []string{"x"}}}}, "InvalidParameterException"},
		{"ARNs with tag filters", &rgt.GetResourcesInput{ResourceARNList: []string{"arn:aws:s3:::b"},
			TagFilters: []rgttypes.TagFilter{{Key: aws.String("k")}}}, "InvalidParameterException"},
		{"a forged token", &rgt.GetResourcesInput{PaginationToken: aws.String("not-a-token")}, "PaginationTokenExpiredException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetResources(ctx, tc.in)
			wantCode(t, err, tc.code)
		})
	}
}

// With a tagging lag, GetResources answers a bucket's tags as they were before a tag call
// until the lag has passed, while GetBucketTagging answers the new ones at once: what an
// event-driven reconcile must not trust just after a tag call.
func TestGetResourcesLagsATagCallByTheTaggingLag(t *testing.T) {
	f := newFixture(t, emulator.WithTaggingLag(time.Minute))
	if err := f.emu.SeedBucket("media-inbox", "us-east-1", nil, map[string]string{"corsguard:profile": "players"}); err != nil {
		t.Fatal(err)
	}
	s3c, tg := s3Client(f.url), taggingClient(f.url)
	arn := "arn:aws:s3:::media-inbox"
	profileOf := func() (bulk, own string) {
		t.Helper()
		got, _ := allResources(t, tg, &rgt.GetResourcesInput{ResourceARNList: []string{arn}})
		out, err := s3c.GetBucketTagging(context.Background(), &s3.GetBucketTaggingInput{Bucket: aws.String("media-inbox")})
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range out.TagSet {
			if aws.ToString(tag.Key) == "corsguard:profile" {
				own = aws.ToString(tag.Value)
			}
		}
		return got[arn]["corsguard:profile"], own
	}
	if bulk, own := profileOf(); bulk != "players" || own != "players" {
		t.Fatalf("seeded: bulk %q, own %q; want players twice (seeded tags are indexed at once)", bulk, own)
	}
	if _, err := s3c.PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{Bucket: aws.String("media-inbox"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("corsguard:profile"), Value: aws.String("uploads")}}}}); err != nil {
		t.Fatal(err)
	}
	if bulk, own := profileOf(); bulk != "players" || own != "uploads" {
		t.Errorf("just after the tag call: bulk %q, own %q; want players (lagging) and uploads", bulk, own)
	}
	f.clock.Advance(time.Minute)
	if bulk, own := profileOf(); bulk != "uploads" || own != "uploads" {
		t.Errorf("a minute later: bulk %q, own %q; want uploads twice", bulk, own)
	}
}
