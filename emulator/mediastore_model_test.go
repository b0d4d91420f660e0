package emulator_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	mstypes "github.com/aws/aws-sdk-go-v2/service/mediastore/types"
)

// The checks below come from botocore's mediastore/2017-09-01 service-2.json: TagList 1-200,
// TagKey and TagValue [\p{L}\p{Z}\p{N}_.:/=+\-@]*, ContainerARN's pattern, PaginationToken
// [0-9A-Za-z=/+]+.
func TestMediaStoreRefusesWhatItsModelRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ct := f.createActive(t, "movies")
	tags := func(kv ...string) []mstypes.Tag {
		out := []mstypes.Tag{}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, mstypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"CreateContainer with an empty tag list", func() error {
			_, err := f.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String("x"), Tags: tags()})
			return err
		}, "ValidationException"},
		{"TagResource with an empty tag list", func() error {
			_, err := f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: ct.ARN, Tags: tags()})
			return err
		}, "ValidationException"},
		{"a tag key outside the pattern", func() error {
			_, err := f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: ct.ARN, Tags: tags("team#1", "video")})
			return err
		}, "ValidationException"},
		{"a tag value outside the pattern", func() error {
			_, err := f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: ct.ARN, Tags: tags("team", "video!")})
			return err
		}, "ValidationException"},
		{"a malformed ARN to ListTagsForResource", func() error {
			_, err := f.ms.ListTagsForResource(ctx, &mediastore.ListTagsForResourceInput{Resource: aws.String("movies")})
			return err
		}, "ValidationException"},
		{"a malformed ARN to TagResource", func() error {
			_, err := f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: aws.String("arn:aws:mediastore:us-east-1:1234:container/movies"), Tags: tags("a", "b")})
			return err
		}, "ValidationException"},
		{"a malformed ARN to UntagResource", func() error {
			_, err := f.ms.UntagResource(ctx, &mediastore.UntagResourceInput{Resource: aws.String("arn:aws:s3:::movies"), TagKeys: []string{"a"}})
			return err
		}, "ValidationException"},
		{"a well-formed ARN of no container", func() error {
			_, err := f.ms.ListTagsForResource(ctx, &mediastore.ListTagsForResourceInput{Resource: aws.String("arn:aws:mediastore:us-east-1:" + f.emu.Account() + ":container/nope")})
			return err
		}, "ContainerNotFoundException"},
		{"a NextToken outside the pattern", func() error {
			_, err := f.ms.ListContainers(ctx, &mediastore.ListContainersInput{NextToken: aws.String("a-b_c")})
			return err
		}, "ValidationException"},
		{"a container name outside the pattern", func() error {
			_, err := f.ms.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: aws.String("my.movies")})
			return err
		}, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code) })
	}
	// Letters, separators and the symbols the pattern allows are fine, in any script.
	if _, err := f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: ct.ARN, Tags: tags("équipe vidéo", "a_b.c:d/e=f+g-h@i")}); err != nil {
		t.Error(err)
	}
}

func TestMediaStoreNextTokensMatchTheModel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		f.createActive(t, n)
	}
	token := regexp.MustCompile(`^[0-9A-Za-z=/+]+$`)
	var names []string
	in := &mediastore.ListContainersInput{MaxResults: aws.Int32(2)}
	for {
		out := must[*mediastore.ListContainersOutput](t)(f.ms.ListContainers(ctx, in))
		for _, c := range out.Containers {
			names = append(names, aws.ToString(c.Name))
		}
		if out.NextToken == nil {
			break
		}
		if !token.MatchString(*out.NextToken) || len(*out.NextToken) > 1024 {
			t.Errorf("NextToken %q does not match the model's pattern", *out.NextToken)
		}
		in.NextToken = out.NextToken
	}
	if len(names) != 5 {
		t.Errorf("paged through %v", names)
	}
}
