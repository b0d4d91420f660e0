package enforce

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/policy"
)

// S3API is the part of the Amazon S3 API the engine calls; *s3.Client satisfies it.
type S3API interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketCors(ctx context.Context, in *s3.GetBucketCorsInput, optFns ...func(*s3.Options)) (*s3.GetBucketCorsOutput, error)
	PutBucketCors(ctx context.Context, in *s3.PutBucketCorsInput, optFns ...func(*s3.Options)) (*s3.PutBucketCorsOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// The IAM actions of the S3 calls, also the keys of Report.APICalls. IAM spells CORS in
// capitals, and ListBuckets is allowed by s3:ListAllMyBuckets.
const (
	opListBuckets      = "s3:ListAllMyBuckets"
	opGetBucketCors    = "s3:GetBucketCORS"
	opPutBucketCors    = "s3:PutBucketCORS"
	opGetBucketTagging = "s3:GetBucketTagging"
)

// s3PageSize is how many buckets one ListBuckets page asks for (S3 allows 1 to 10,000).
const s3PageSize = 1000

// S3 returns the Store of the Amazon S3 general purpose buckets in region (the function's
// own), reached through c. ListBuckets is global; its BucketRegion filter keeps the buckets of
// other Regions, which this Region's endpoint could not configure, out of a sweep.
func S3(c S3API, region string, opts ...S3Option) Store {
	s := s3Store{c: c, region: region}
	for _, o := range opts {
		o(&s)
	}
	return s
}

type s3Store struct {
	c       S3API
	region  string
	tagging TaggingAPI // nil: tags are read bucket by bucket
}

var _ Store = s3Store{}

func (s3Store) Kind() policy.Kind { return policy.S3 }

// s3Opt applies the meter's per-attempt rate limit for op to one S3 call.
func s3Opt(m *meter, op string) func(*s3.Options) {
	stackFn := m.apiOption(op)
	return func(o *s3.Options) { o.APIOptions = append(o.APIOptions, stackFn) }
}

func (s s3Store) listPage(ctx context.Context, m *meter, token string) ([]resource, string, error) {
	in := &s3.ListBucketsInput{BucketRegion: aws.String(s.region), MaxBuckets: aws.Int32(s3PageSize)}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	page, err := s.c.ListBuckets(ctx, in, s3Opt(m, opListBuckets))
	if err != nil {
		return nil, "", fmt.Errorf("list buckets: %w", err)
	}
	out := make([]resource, 0, len(page.Buckets))
	for _, b := range page.Buckets {
		out = append(out, bucketResource(aws.ToString(b.Name)))
	}
	return out, aws.ToString(page.ContinuationToken), nil
}

// describe makes no call: a bucket has no lifecycle to wait for, and the policy read that
// follows finds out whether it exists.
func (s s3Store) describe(_ context.Context, _ *meter, name string) (resource, error) {
	return bucketResource(name), nil
}

func (s s3Store) tags(ctx context.Context, m *meter, r resource) (map[string]string, error) {
	out, err := s.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(r.name), ExpectedBucketOwner: expectedOwner(ctx)},
		s3Opt(m, opGetBucketTagging))
	if ErrorCode(err) == "NoSuchTagSet" {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get bucket tagging: %w", classifyS3(err))
	}
	tags := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

func (s s3Store) getPolicy(ctx context.Context, m *meter, r resource) (policy.Policy, error) {
	out, err := s.c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(r.name), ExpectedBucketOwner: expectedOwner(ctx)},
		s3Opt(m, opGetBucketCors))
	if ErrorCode(err) == "NoSuchCORSConfiguration" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get bucket cors: %w", classifyS3(err))
	}
	return corsconv.FromS3(out.CORSRules), nil
}

func (s s3Store) putPolicy(ctx context.Context, m *meter, r resource, p policy.Policy) error {
	_, err := s.c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(r.name), ExpectedBucketOwner: expectedOwner(ctx),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsconv.ToS3(p)}},
		s3Opt(m, opPutBucketCors))
	if err != nil {
		return fmt.Errorf("put bucket cors: %w", classifyS3(err))
	}
	return nil
}

// classifyS3 marks the S3 errors the engine acts on: a deleted bucket is gone; a conflicting
// operation in progress (OperationAborted, 409) is busy and backed off. Throttling (SlowDown)
// and server errors were already retried by the SDK.
func classifyS3(err error) error {
	switch ErrorCode(err) {
	case "NoSuchBucket":
		return fmt.Errorf("%w: %w", errGone, err)
	case "OperationAborted":
		return fmt.Errorf("%w: %w", errBusy, err)
	}
	return err
}

func bucketResource(name string) resource {
	return resource{name: name, id: "arn:aws:s3:::" + name, status: statusReady, raw: "exists"}
}

// accountKey is the context key of the account a run acts for.
type accountKey struct{}

// WithAccount returns ctx carrying account, the AWS account whose resources a run may touch:
// every S3 bucket call sends it as ExpectedBucketOwner, so that a bucket of the same name in
// another account (a name from an event, or a bucket policy that lets us in) is refused by S3
// with 403 AccessDenied, a terminal failure, instead of being read or written. The Lambda takes
// the account from its function ARN, the CLI from sts:GetCallerIdentity.
func WithAccount(ctx context.Context, account string) context.Context {
	return context.WithValue(ctx, accountKey{}, account)
}

// Account returns the account ctx carries (WithAccount), "" when none.
func Account(ctx context.Context) string {
	a, _ := ctx.Value(accountKey{}).(string)
	return a
}

// expectedOwner is the ExpectedBucketOwner of an S3 call under ctx: nil (not sent) when ctx
// carries no account.
func expectedOwner(ctx context.Context) *string {
	if a := Account(ctx); a != "" {
		return aws.String(a)
	}
	return nil
}
