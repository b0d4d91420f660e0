package enforce

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/mediastore/types"

	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/policy"
)

// MediaStoreAPI is the part of the MediaStore API the engine calls; *mediastore.Client
// satisfies it.
type MediaStoreAPI interface {
	ListContainers(ctx context.Context, in *mediastore.ListContainersInput, optFns ...func(*mediastore.Options)) (*mediastore.ListContainersOutput, error)
	DescribeContainer(ctx context.Context, in *mediastore.DescribeContainerInput, optFns ...func(*mediastore.Options)) (*mediastore.DescribeContainerOutput, error)
	GetCorsPolicy(ctx context.Context, in *mediastore.GetCorsPolicyInput, optFns ...func(*mediastore.Options)) (*mediastore.GetCorsPolicyOutput, error)
	PutCorsPolicy(ctx context.Context, in *mediastore.PutCorsPolicyInput, optFns ...func(*mediastore.Options)) (*mediastore.PutCorsPolicyOutput, error)
	ListTagsForResource(ctx context.Context, in *mediastore.ListTagsForResourceInput, optFns ...func(*mediastore.Options)) (*mediastore.ListTagsForResourceOutput, error)
}

var _ MediaStoreAPI = (*mediastore.Client)(nil)

// The IAM actions of the MediaStore calls, also the keys of Report.APICalls.
const (
	opListContainers      = "mediastore:ListContainers"
	opDescribeContainer   = "mediastore:DescribeContainer"
	opGetCorsPolicy       = "mediastore:GetCorsPolicy"
	opPutCorsPolicy       = "mediastore:PutCorsPolicy"
	opListTagsForResource = "mediastore:ListTagsForResource"
)

// MediaStore returns the Store of AWS Elemental MediaStore containers reached through c.
func MediaStore(c MediaStoreAPI) Store {
	return mediaStore{c: c}
}

type mediaStore struct {
	c MediaStoreAPI
}

var _ Store = mediaStore{}

func (mediaStore) Kind() policy.Kind { return policy.MediaStore }

// msOpt applies the meter's per-attempt rate limit for op to one MediaStore call.
func msOpt(m *meter, op string) func(*mediastore.Options) {
	stackFn := m.apiOption(op)
	return func(o *mediastore.Options) { o.APIOptions = append(o.APIOptions, stackFn) }
}

func (s mediaStore) listPage(ctx context.Context, m *meter, token string) ([]resource, string, error) {
	in := &mediastore.ListContainersInput{MaxResults: aws.Int32(100)}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	page, err := s.c.ListContainers(ctx, in, msOpt(m, opListContainers))
	if err != nil {
		return nil, "", fmt.Errorf("list containers: %w", err)
	}
	out := make([]resource, 0, len(page.Containers))
	for _, c := range page.Containers {
		out = append(out, containerResource(c))
	}
	return out, aws.ToString(page.NextToken), nil
}

func (s mediaStore) describe(ctx context.Context, m *meter, name string) (resource, error) {
	out, err := s.c.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: aws.String(name)},
		msOpt(m, opDescribeContainer))
	if err != nil {
		return resource{}, fmt.Errorf("describe container: %w", classify(err))
	}
	if out.Container == nil {
		return resource{}, errors.New("describe container: answer without a container")
	}
	return containerResource(*out.Container), nil
}

func (s mediaStore) tags(ctx context.Context, m *meter, r resource) (map[string]string, error) {
	out, err := s.c.ListTagsForResource(ctx, &mediastore.ListTagsForResourceInput{Resource: aws.String(r.id)},
		msOpt(m, opListTagsForResource))
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", classify(err))
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

func (s mediaStore) getPolicy(ctx context.Context, m *meter, r resource) (policy.Policy, error) {
	out, err := s.c.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: aws.String(r.name)},
		msOpt(m, opGetCorsPolicy))
	var none *types.CorsPolicyNotFoundException
	if errors.As(err, &none) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get cors policy: %w", classify(err))
	}
	return corsconv.FromMediaStore(out.CorsPolicy), nil
}

func (s mediaStore) putPolicy(ctx context.Context, m *meter, r resource, p policy.Policy) error {
	_, err := s.c.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String(r.name), CorsPolicy: corsconv.ToMediaStore(p)},
		msOpt(m, opPutCorsPolicy))
	if err != nil {
		return fmt.Errorf("put cors policy: %w", classify(err))
	}
	return nil
}

// classify marks the MediaStore errors the engine acts on: a container in use is busy, a
// missing one is gone. Throttling and server errors were already retried by the SDK.
func classify(err error) error {
	var inUse *types.ContainerInUseException
	var notFound *types.ContainerNotFoundException
	switch {
	case errors.As(err, &inUse):
		return fmt.Errorf("%w: %w", errBusy, err)
	case errors.As(err, &notFound):
		return fmt.Errorf("%w: %w", errGone, err)
	}
	return err
}

func containerResource(c types.Container) resource {
	r := resource{name: aws.ToString(c.Name), id: aws.ToString(c.ARN), raw: string(c.Status)}
	switch c.Status {
	case types.ContainerStatusActive:
		r.status = statusReady
	case types.ContainerStatusCreating:
		r.status = statusCreating
	case types.ContainerStatusDeleting:
		r.status = statusDeleting
	default:
		r.status = statusUnknown
	}
	return r
}
