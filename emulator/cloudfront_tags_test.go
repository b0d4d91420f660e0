package emulator_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
)

func TestCloudFrontTagsDistributionsOverTheSDK(t *testing.T) {
	f := newFixture(t)
	f.emu.AddDistribution(emulator.Distribution{ID: "E1", OriginDomain: "media.s3.amazonaws.com",
		DefaultBehavior: emulator.Behavior{TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized}})
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	arn := aws.String("arn:aws:cloudfront::" + f.emu.Account() + ":distribution/E1")
	tags := func() map[string]string {
		t.Helper()
		out, err := cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: arn})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range out.Tags.Items {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	if got := tags(); len(got) != 0 {
		t.Errorf("a new distribution has tags %v", got)
	}
	_, err := cf.TagResource(ctx, &cloudfront.TagResourceInput{Resource: arn, Tags: &cftypes.Tags{Items: []cftypes.Tag{
		{Key: aws.String("corsguard:probe-path"), Value: aws.String("/corsguard/canary.txt")}, {Key: aws.String("team"), Value: aws.String("media")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"corsguard:probe-path": "/corsguard/canary.txt", "team": "media"}, tags()); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if _, err := cf.UntagResource(ctx, &cloudfront.UntagResourceInput{Resource: arn, TagKeys: &cftypes.TagKeys{Items: []string{"team"}}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"corsguard:probe-path": "/corsguard/canary.txt"}, tags()); diff != "" {
		t.Errorf("after untag (-want +got):\n%s", diff)
	}

	var missing *cftypes.NoSuchResource
	_, err = cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: aws.String("arn:aws:cloudfront::" + f.emu.Account() + ":distribution/ENOPE")})
	if !errors.As(err, &missing) {
		t.Errorf("tags of a missing distribution: %v, want NoSuchResource", err)
	}
	_, err = cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: aws.String("arn:aws:cloudfront::999999999999:distribution/E1")})
	if !errors.As(err, &missing) {
		t.Errorf("tags of another account's distribution: %v, want NoSuchResource", err)
	}
	var invalid *cftypes.InvalidTagging
	_, err = cf.TagResource(ctx, &cloudfront.TagResourceInput{Resource: arn, Tags: &cftypes.Tags{Items: []cftypes.Tag{{Key: aws.String("bad<key>"), Value: aws.String("x")}}}})
	if !errors.As(err, &invalid) {
		t.Errorf("a key with <: %v, want InvalidTagging", err)
	}
	if diff := cmp.Diff(map[string]string{"corsguard:probe-path": "/corsguard/canary.txt"}, tags()); diff != "" {
		t.Errorf("a refused tag changed the tags (-want +got):\n%s", diff)
	}
}
