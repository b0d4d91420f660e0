package enforce

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/policy"
)

// CloudFrontAPI is the part of the CloudFront API the engine calls; *cloudfront.Client
// satisfies it.
type CloudFrontAPI interface {
	ListResponseHeadersPolicies(ctx context.Context, in *cloudfront.ListResponseHeadersPoliciesInput, optFns ...func(*cloudfront.Options)) (*cloudfront.ListResponseHeadersPoliciesOutput, error)
	GetResponseHeadersPolicy(ctx context.Context, in *cloudfront.GetResponseHeadersPolicyInput, optFns ...func(*cloudfront.Options)) (*cloudfront.GetResponseHeadersPolicyOutput, error)
	UpdateResponseHeadersPolicy(ctx context.Context, in *cloudfront.UpdateResponseHeadersPolicyInput, optFns ...func(*cloudfront.Options)) (*cloudfront.UpdateResponseHeadersPolicyOutput, error)
}

var _ CloudFrontAPI = (*cloudfront.Client)(nil)

// The IAM actions of the CloudFront calls, also the keys of Report.APICalls.
const (
	opListResponseHeadersPolicies = "cloudfront:ListResponseHeadersPolicies"
	opGetResponseHeadersPolicy    = "cloudfront:GetResponseHeadersPolicy"
	opUpdateResponseHeadersPolicy = "cloudfront:UpdateResponseHeadersPolicy"
)

// cfPageSize is how many policies one ListResponseHeadersPolicies page asks for.
const cfPageSize = 100

// CloudFrontOptions are the settings of the CloudFront store.
type CloudFrontOptions struct {
	// AddMissingCors makes the store add the baseline to a selected policy that has no
	// CorsConfig. Off by default: such a policy is reported exempt, with a note, and left
	// alone, because adding CORS headers to a policy that never sent any changes what every
	// distribution using it answers.
	AddMissingCors bool
}

// CloudFront returns the Store of the custom CloudFront response headers policies of the
// account, reached through c. CloudFront is global: the store has no Region, and a policy is
// named by its name, which is unique in an account. AWS-managed policies are never listed,
// read or written.
func CloudFront(c CloudFrontAPI, opts CloudFrontOptions) Store {
	return &cloudFrontStore{c: c, opts: opts, read: map[string]readPolicy{}}
}

type cloudFrontStore struct {
	c    CloudFrontAPI
	opts CloudFrontOptions

	// read holds, per policy ID, the whole config and ETag of the last GetResponseHeadersPolicy,
	// which the write that follows keeps and sends as IfMatch. One resource is reconciled by one
	// worker at a time, so the read and the write of a policy never interleave with another's.
	mu   sync.Mutex
	read map[string]readPolicy
}

type readPolicy struct {
	etag   string
	config types.ResponseHeadersPolicyConfig
}

var _ Store = (*cloudFrontStore)(nil)

func (*cloudFrontStore) Kind() policy.Kind { return policy.CloudFront }

// cfOpt applies the meter's per-attempt rate limit for op to one CloudFront call.
func cfOpt(m *meter, op string) func(*cloudfront.Options) {
	stackFn := m.apiOption(op)
	return func(o *cloudfront.Options) { o.APIOptions = append(o.APIOptions, stackFn) }
}

func (s *cloudFrontStore) listPage(ctx context.Context, m *meter, token string) ([]resource, string, error) {
	in := &cloudfront.ListResponseHeadersPoliciesInput{Type: types.ResponseHeadersPolicyTypeCustom, MaxItems: aws.Int32(cfPageSize)}
	if token != "" {
		in.Marker = aws.String(token)
	}
	out, err := s.c.ListResponseHeadersPolicies(ctx, in, cfOpt(m, opListResponseHeadersPolicies))
	if err != nil {
		return nil, "", fmt.Errorf("list response headers policies: %w", err)
	}
	l := out.ResponseHeadersPolicyList
	if l == nil {
		return nil, "", nil
	}
	res := make([]resource, 0, len(l.Items))
	for _, item := range l.Items {
		if item.Type != types.ResponseHeadersPolicyTypeCustom || item.ResponseHeadersPolicy == nil {
			continue // the filter asked for custom ones; never touch an AWS-managed policy
		}
		res = append(res, policyResource(item.ResponseHeadersPolicy))
	}
	return res, aws.ToString(l.NextMarker), nil
}

// describe finds a custom policy by name: CloudFront's calls take the ID, events and people
// the name. A name that no custom policy has is gone (AWS-managed ones included: never ours).
func (s *cloudFrontStore) describe(ctx context.Context, m *meter, name string) (resource, error) {
	token := ""
	for {
		page, next, err := s.listPage(ctx, m, token)
		if err != nil {
			return resource{}, err
		}
		for _, r := range page {
			if r.name == name {
				return r, nil
			}
		}
		if next == "" || next == token {
			return resource{}, fmt.Errorf("no custom response headers policy is named %q: %w", name, errGone)
		}
		token = next
	}
}

// tags makes no call: response headers policies carry no tags, so the name patterns are the
// way to exempt one.
func (*cloudFrontStore) tags(context.Context, *meter, resource) (map[string]string, error) {
	return map[string]string{}, nil
}

func (s *cloudFrontStore) getPolicy(ctx context.Context, m *meter, r resource) (policy.Policy, error) {
	out, err := s.c.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(r.id)},
		cfOpt(m, opGetResponseHeadersPolicy))
	if err != nil {
		return nil, fmt.Errorf("get response headers policy %s: %w", r.id, classifyCloudFront(err))
	}
	if out.ResponseHeadersPolicy == nil || out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig == nil {
		return nil, errors.New("get response headers policy: answer without a config")
	}
	cfg := *out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig
	s.mu.Lock()
	s.read[r.id] = readPolicy{etag: aws.ToString(out.ETag), config: cfg}
	s.mu.Unlock()
	if cfg.CorsConfig == nil {
		if !s.opts.AddMissingCors {
			return nil, &leftAlone{why: "the policy has no CorsConfig; corsguard adds one only when asked (--cloudfront-add-missing-cors, CORSGUARD_CLOUDFRONT_ADD_MISSING_CORS)"}
		}
		return nil, nil
	}
	return corsconv.FromCloudFront(cfg.CorsConfig), nil
}

// putPolicy writes p as the policy's CorsConfig with UpdateResponseHeadersPolicy, which
// replaces the whole config: every other field is sent back as it was just read (name,
// comment, security, custom, server-timing and remove-headers configs), with IfMatch set to
// the ETag of that read. A PreconditionFailed answer (someone changed the policy since) is
// errStale: the engine reads again and decides again, never writing over a change it has not
// seen.
func (s *cloudFrontStore) putPolicy(ctx context.Context, m *meter, r resource, p policy.Policy) error {
	s.mu.Lock()
	seen, ok := s.read[r.id]
	delete(s.read, r.id)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("update response headers policy %s: %w", r.id, errStale)
	}
	cors, err := corsconv.ToCloudFront(p)
	if err != nil {
		return Terminal(fmt.Errorf("update response headers policy %s: %w", r.id, err))
	}
	cfg := seen.config
	cfg.CorsConfig = cors
	_, err = s.c.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{
		Id: aws.String(r.id), IfMatch: aws.String(seen.etag), ResponseHeadersPolicyConfig: &cfg},
		cfOpt(m, opUpdateResponseHeadersPolicy))
	if err != nil {
		return fmt.Errorf("update response headers policy %s: %w", r.id, classifyCloudFront(err))
	}
	return nil
}

// classifyCloudFront marks the CloudFront errors the engine acts on: a deleted policy is gone,
// a stale ETag (PreconditionFailed) means read again. The errors of a request CloudFront
// refuses (InvalidArgument, InconsistentQuantities, IllegalUpdate, InvalidIfMatchVersion,
// AccessDenied) are terminal; throttling and server errors were already retried by the SDK.
func classifyCloudFront(err error) error {
	var gone *types.NoSuchResponseHeadersPolicy
	var stale *types.PreconditionFailed
	switch {
	case errors.As(err, &gone):
		return fmt.Errorf("%w: %w", errGone, err)
	case errors.As(err, &stale):
		return fmt.Errorf("%w: %w", errStale, err)
	}
	switch ErrorCode(err) {
	case "InconsistentQuantities", "IllegalUpdate", "InvalidIfMatchVersion", "TooLongCSPInResponseHeadersPolicy",
		"TooManyCustomHeadersInResponseHeadersPolicy", "TooManyRemoveHeadersInResponseHeadersPolicy",
		"ResponseHeadersPolicyAlreadyExists":
		return Terminal(err)
	}
	return err
}

func policyResource(p *types.ResponseHeadersPolicy) resource {
	name := ""
	if p.ResponseHeadersPolicyConfig != nil {
		name = aws.ToString(p.ResponseHeadersPolicyConfig.Name)
	}
	// The report's identity is the policy's name and this ID, with no Region: CloudFront is
	// global. The ID goes into the report too: the policy's ARN (its finding's resource) holds it.
	id := aws.ToString(p.Id)
	return resource{name: name, id: id, entryID: id, status: statusReady, raw: "custom"}
}
