package enforce

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
)

// TaggingAPI is the part of the Resource Groups Tagging API the engine calls;
// *resourcegroupstaggingapi.Client satisfies it.
type TaggingAPI interface {
	GetResources(ctx context.Context, in *rgt.GetResourcesInput, optFns ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error)
}

var _ TaggingAPI = (*rgt.Client)(nil)

// opGetResources is the IAM action of GetResources, also its key in Report.APICalls.
const opGetResources = "tag:GetResources"

// taggingPageSize is the most resources one GetResources page may hold (the API's maximum).
const taggingPageSize = 100

// S3Option sets how S3 builds the buckets' store.
type S3Option func(*s3Store)

// WithTagging gives the S3 store the Resource Groups Tagging API, through which a sweep learns
// the tags of every bucket that carries a given key (the profile tag) in one GetResources call
// per 100 such buckets, instead of one GetBucketTagging per bucket.
func WithTagging(c TaggingAPI) S3Option {
	return func(s *s3Store) { s.tagging = c }
}

// bulkTagger is a store that can read, in bulk, the tags of every resource carrying a key.
type bulkTagger interface {
	// readsInBulk reports whether the store can read tags in bulk (S3 needs the Tagging API).
	readsInBulk() bool
	// taggedWith returns, by resource name, every tag of each resource that carries key; a
	// resource not in the map does not carry key. ok is false when the store cannot tell in
	// bulk (the caller then reads each resource's tags).
	taggedWith(ctx context.Context, m *meter, key string) (tags map[string]map[string]string, ok bool, err error)
	// tagsOf returns every tag of each named resource (an empty map: none), in bulk.
	tagsOf(ctx context.Context, m *meter, names []string) (tags map[string]map[string]string, ok bool, err error)
	// taggedPage returns one page (one call) of the resources whose tag key has the value
	// value (any value when value is ""), by name with every tag each carries, from token (""
	// first) and the next page's token ("" after the last). ok is false when the store cannot
	// tell in bulk.
	taggedPage(ctx context.Context, m *meter, key, value, token string) (tags map[string]map[string]string, next string, ok bool, err error)
}

var _ bulkTagger = s3Store{}

// taggedWith pages through GetResources for the Region's buckets tagged with key. The Tagging
// API answers only for the caller's own account and the Region of its endpoint, which are the
// store's. It lists a resource with every tag it carries, not only the filter's key.
func (s s3Store) taggedWith(ctx context.Context, m *meter, key string) (map[string]map[string]string, bool, error) {
	if s.tagging == nil {
		return nil, false, nil
	}
	out := map[string]map[string]string{}
	in := &rgt.GetResourcesInput{
		ResourceTypeFilters: []string{"s3:bucket"},
		TagFilters:          []rgttypes.TagFilter{{Key: aws.String(key)}},
		ResourcesPerPage:    aws.Int32(taggingPageSize),
	}
	for p := rgt.NewGetResourcesPaginator(s.tagging, in); p.HasMorePages(); {
		stackFn := m.apiOption(opGetResources) // counts one call per page
		page, err := p.NextPage(ctx, func(o *rgt.Options) { o.APIOptions = append(o.APIOptions, stackFn) })
		if err != nil {
			return nil, false, fmt.Errorf("get resources tagged %s: %w", key, err)
		}
		addBucketTags(out, page.ResourceTagMappingList)
	}
	return out, true, nil
}

// addBucketTags adds to out each bucket's tags of a GetResources page, by bucket name; what
// is not a bucket is nothing of ours.
func addBucketTags(out map[string]map[string]string, page []rgttypes.ResourceTagMapping) {
	for _, r := range page {
		name, ok := bucketOfARN(aws.ToString(r.ResourceARN))
		if !ok {
			continue
		}
		tags := make(map[string]string, len(r.Tags))
		for _, t := range r.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		out[name] = tags
	}
}

func (s s3Store) readsInBulk() bool { return s.tagging != nil }

// taggedPage reads one GetResources page of the Region's buckets whose tag key has the value
// value: a profile's tagged buckets, 100 to a call, however many buckets the account holds.
// With value "", the buckets that carry key with any value: the router's question whether any
// bucket carries the profile tag.
func (s s3Store) taggedPage(ctx context.Context, m *meter, key, value, token string) (map[string]map[string]string, string, bool, error) {
	if s.tagging == nil {
		return nil, "", false, nil
	}
	filter := rgttypes.TagFilter{Key: aws.String(key)}
	if value != "" {
		filter.Values = []string{value}
	}
	in := &rgt.GetResourcesInput{
		ResourceTypeFilters: []string{"s3:bucket"},
		TagFilters:          []rgttypes.TagFilter{filter},
		ResourcesPerPage:    aws.Int32(taggingPageSize),
	}
	if token != "" {
		in.PaginationToken = aws.String(token)
	}
	stackFn := m.apiOption(opGetResources)
	page, err := s.tagging.GetResources(ctx, in, func(o *rgt.Options) { o.APIOptions = append(o.APIOptions, stackFn) })
	if err != nil {
		what := key
		if value != "" {
			what += "=" + value
		}
		return nil, "", false, fmt.Errorf("get resources tagged %s: %w", what, err)
	}
	out := make(map[string]map[string]string, len(page.ResourceTagMappingList))
	addBucketTags(out, page.ResourceTagMappingList)
	return out, aws.ToString(page.PaginationToken), true, nil
}

// bucketOfARN returns the bucket an S3 bucket ARN names (arn:PARTITION:s3:::NAME); objects
// and access points are not buckets.
func bucketOfARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "s3" || parts[3] != "" || parts[4] != "" ||
		parts[5] == "" || strings.Contains(parts[5], "/") {
		return "", false
	}
	return parts[5], true
}

// tagsOf returns the tags of each named bucket, from GetResources by ARN list (one call per
// 100 buckets): a bucket the API does not list carries no tag. ok is false without the Tagging
// API (the caller then reads each resource's tags).
func (s s3Store) tagsOf(ctx context.Context, m *meter, names []string) (map[string]map[string]string, bool, error) {
	if s.tagging == nil {
		return nil, false, nil
	}
	out := make(map[string]map[string]string, len(names))
	for start := 0; start < len(names); start += taggingPageSize {
		chunk := names[start:min(start+taggingPageSize, len(names))]
		arns := make([]string, len(chunk))
		for i, n := range chunk {
			arns[i] = bucketResource(n).id
			out[n] = map[string]string{}
		}
		stackFn := m.apiOption(opGetResources)
		page, err := s.tagging.GetResources(ctx, &rgt.GetResourcesInput{ResourceARNList: arns},
			func(o *rgt.Options) { o.APIOptions = append(o.APIOptions, stackFn) })
		if err != nil {
			return nil, false, fmt.Errorf("get resources of %d buckets: %w", len(arns), err)
		}
		for _, r := range page.ResourceTagMappingList {
			name, ok := bucketOfARN(aws.ToString(r.ResourceARN))
			if _, asked := out[name]; !ok || !asked {
				continue
			}
			for _, t := range r.Tags {
				out[name][aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
	}
	return out, true, nil
}
