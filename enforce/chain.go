package enforce

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/policy"
)

// ChainAPI is the part of the CloudFront API the delivery-chain check calls;
// *cloudfront.Client satisfies it. The check only reads.
type ChainAPI interface {
	ListDistributions(ctx context.Context, in *cloudfront.ListDistributionsInput, optFns ...func(*cloudfront.Options)) (*cloudfront.ListDistributionsOutput, error)
	GetCachePolicy(ctx context.Context, in *cloudfront.GetCachePolicyInput, optFns ...func(*cloudfront.Options)) (*cloudfront.GetCachePolicyOutput, error)
	GetResponseHeadersPolicy(ctx context.Context, in *cloudfront.GetResponseHeadersPolicyInput, optFns ...func(*cloudfront.Options)) (*cloudfront.GetResponseHeadersPolicyOutput, error)
}

var _ ChainAPI = (*cloudfront.Client)(nil)

// The problems the delivery-chain check reports.
const (
	// OriginNotInCacheKey: the behaviour relies on the origin's CORS headers (no response
	// headers policy with a CorsConfig), but its cache key leaves out the Origin header, so
	// an answer cached for one origin, or for a request without Origin (no CORS headers), is
	// served to a CORS request from another: the browser blocks it.
	OriginNotInCacheKey = "origin_not_in_cache_key"
	// PolicyOutsideBaseline: the behaviour's response headers policy sends CORS headers that
	// are not the baseline's (an AWS-managed policy, an excluded custom one, or one that has
	// drifted and not been repaired yet).
	PolicyOutsideBaseline = "policy_outside_baseline"
)

// ChainFinding is one cache behaviour of a distribution that breaks CORS for a browser.
type ChainFinding struct {
	Distribution string `json:"distribution"`
	DomainName   string `json:"domain_name,omitempty"`
	// Behavior is the cache behaviour's path pattern, "default" for the default behaviour.
	Behavior              string          `json:"behavior"`
	Problem               string          `json:"problem"`
	Detail                string          `json:"detail"`
	CachePolicy           string          `json:"cache_policy,omitempty"`
	ResponseHeadersPolicy string          `json:"response_headers_policy,omitempty"`
	Diff                  []policy.Change `json:"diff,omitempty"`
}

// ChainReport is the delivery-chain section of an audit report.
type ChainReport struct {
	Distributions int            `json:"distributions"`
	Behaviors     int            `json:"behaviors"`
	Findings      []ChainFinding `json:"findings"`
	// Error says why the check could not finish; the findings are those made before.
	Error string `json:"error,omitempty"`
}

// CheckChain reads every distribution's cache behaviours, with their cache and response headers
// policies, and reports each behaviour that breaks CORS for a browser (see the problems above)
// against want, the CloudFront baseline. It changes nothing: distributions are never written.
func CheckChain(ctx context.Context, api ChainAPI, want policy.Policy) *ChainReport {
	c := chainCheck{api: api, want: want, cache: map[string]cacheKey{}, headers: map[string]headersPolicy{}}
	rep := &ChainReport{Findings: []ChainFinding{}}
	var marker *string
	for {
		out, err := api.ListDistributions(ctx, &cloudfront.ListDistributionsInput{Marker: marker})
		if err != nil {
			rep.Error = fmt.Sprintf("list distributions: %v", err)
			return rep
		}
		l := out.DistributionList
		if l == nil {
			break
		}
		for _, d := range l.Items {
			rep.Distributions++
			behaviors := []behavior{fromDefault(d.DefaultCacheBehavior)}
			if d.CacheBehaviors != nil {
				for _, b := range d.CacheBehaviors.Items {
					behaviors = append(behaviors, fromCacheBehavior(b))
				}
			}
			for _, b := range behaviors {
				rep.Behaviors++
				found, err := c.behavior(ctx, b)
				if err != nil {
					rep.Error = fmt.Sprintf("distribution %s behaviour %s: %v", aws.ToString(d.Id), b.path, err)
					return rep
				}
				for _, f := range found {
					f.Distribution, f.DomainName = aws.ToString(d.Id), aws.ToString(d.DomainName)
					rep.Findings = append(rep.Findings, f)
				}
			}
		}
		if !aws.ToBool(l.IsTruncated) || aws.ToString(l.NextMarker) == "" {
			break
		}
		marker = l.NextMarker
	}
	return rep
}

// behavior is what the check needs of a cache behaviour.
type behavior struct {
	path, cachePolicy, headersPolicy string
	// legacyHeaders is the ForwardedValues header list of a behaviour without a cache policy.
	legacyHeaders []string
}

func fromDefault(b *types.DefaultCacheBehavior) behavior {
	if b == nil {
		return behavior{path: "default"}
	}
	out := behavior{path: "default", cachePolicy: aws.ToString(b.CachePolicyId), headersPolicy: aws.ToString(b.ResponseHeadersPolicyId)}
	//lint:ignore SA1019 a behaviour without a cache policy still keys its cache on ForwardedValues
	if fv := b.ForwardedValues; fv != nil && fv.Headers != nil {
		out.legacyHeaders = fv.Headers.Items
	}
	return out
}

func fromCacheBehavior(b types.CacheBehavior) behavior {
	out := behavior{path: aws.ToString(b.PathPattern), cachePolicy: aws.ToString(b.CachePolicyId), headersPolicy: aws.ToString(b.ResponseHeadersPolicyId)}
	//lint:ignore SA1019 a behaviour without a cache policy still keys its cache on ForwardedValues
	if fv := b.ForwardedValues; fv != nil && fv.Headers != nil {
		out.legacyHeaders = fv.Headers.Items
	}
	return out
}

type cacheKey struct {
	name    string
	headers []string // the headers in the cache key, lower case; "*" for all
}

type headersPolicy struct {
	name    string
	managed bool
	cors    policy.Policy // nil: no CorsConfig
}

// chainCheck reads each cache and response headers policy once.
type chainCheck struct {
	api     ChainAPI
	want    policy.Policy
	cache   map[string]cacheKey
	headers map[string]headersPolicy
}

func (c *chainCheck) behavior(ctx context.Context, b behavior) ([]ChainFinding, error) {
	var hp headersPolicy
	if b.headersPolicy != "" {
		var err error
		if hp, err = c.headersPolicy(ctx, b.headersPolicy); err != nil {
			return nil, err
		}
	}
	var out []ChainFinding
	if hp.cors == nil {
		// The browser gets the origin's CORS headers, cached: Origin must be in the cache key.
		key := cacheKey{name: "legacy cache settings (ForwardedValues)", headers: lower(b.legacyHeaders)}
		if b.cachePolicy != "" {
			var err error
			if key, err = c.cachePolicy(ctx, b.cachePolicy); err != nil {
				return nil, err
			}
		}
		if !slices.Contains(key.headers, "origin") && !slices.Contains(key.headers, "*") {
			why := "no response headers policy"
			if b.headersPolicy != "" {
				why = fmt.Sprintf("response headers policy %s has no CorsConfig", hp.name)
			}
			out = append(out, ChainFinding{Behavior: b.path, Problem: OriginNotInCacheKey, CachePolicy: key.name, ResponseHeadersPolicy: hp.name,
				Detail: fmt.Sprintf("%s: CORS comes from the origin, but %s leaves Origin out of the cache key, so an answer cached without (or for another origin's) CORS headers is served to browsers", why, key.name)})
		}
		return out, nil
	}
	if !policy.Equal(hp.cors, c.want) {
		kind := "custom"
		if hp.managed {
			kind = "AWS-managed"
		}
		out = append(out, ChainFinding{Behavior: b.path, Problem: PolicyOutsideBaseline, ResponseHeadersPolicy: hp.name,
			Detail: fmt.Sprintf("the %s response headers policy %s sends CORS headers other than the baseline's", kind, hp.name),
			Diff:   policy.Diff(hp.cors, c.want)})
	}
	return out, nil
}

func (c *chainCheck) cachePolicy(ctx context.Context, id string) (cacheKey, error) {
	if k, ok := c.cache[id]; ok {
		return k, nil
	}
	out, err := c.api.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String(id)})
	if err != nil {
		return cacheKey{}, fmt.Errorf("get cache policy %s: %w", id, err)
	}
	k := cacheKey{name: id}
	if p := out.CachePolicy; p != nil && p.CachePolicyConfig != nil {
		k.name = aws.ToString(p.CachePolicyConfig.Name)
		if params := p.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin; params != nil && params.HeadersConfig != nil &&
			params.HeadersConfig.HeaderBehavior == types.CachePolicyHeaderBehaviorWhitelist && params.HeadersConfig.Headers != nil {
			k.headers = lower(params.HeadersConfig.Headers.Items)
		}
	}
	c.cache[id] = k
	return k, nil
}

func (c *chainCheck) headersPolicy(ctx context.Context, id string) (headersPolicy, error) {
	if h, ok := c.headers[id]; ok {
		return h, nil
	}
	out, err := c.api.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(id)})
	if err != nil {
		return headersPolicy{}, fmt.Errorf("get response headers policy %s: %w", id, err)
	}
	h := headersPolicy{name: id}
	if p := out.ResponseHeadersPolicy; p != nil && p.ResponseHeadersPolicyConfig != nil {
		cfg := p.ResponseHeadersPolicyConfig
		h.name = aws.ToString(cfg.Name)
		h.managed = strings.HasPrefix(h.name, "Managed-")
		h.cors = corsconv.FromCloudFront(cfg.CorsConfig)
	}
	c.headers[id] = h
	return h, nil
}

func lower(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strings.ToLower(s)
	}
	return out
}

// CheckChain runs the delivery-chain check against the engine's CloudFront baseline, read and
// validated as a run reads it. It needs a cloudfront store; it writes nothing.
func (e *Engine) CheckChain(ctx context.Context, api ChainAPI) *ChainReport {
	i := slices.IndexFunc(e.kinds, func(k *binding) bool { return k.store.Kind() == policy.CloudFront })
	if i < 0 {
		return &ChainReport{Findings: []ChainFinding{}, Error: "the engine has no cloudfront store"}
	}
	rep := &Report{}
	wants := e.loadBaselines(ctx, newMeter(e.limits), e.kinds[i:i+1], rep)
	want, ok := wants[e.kinds[i]]
	if !ok {
		return &ChainReport{Findings: []ChainFinding{}, Error: "baseline unusable: " + rep.Baseline.Error}
	}
	return CheckChain(ctx, api, want)
}
