package emulator

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
)

// This file is CreateCachePolicy and CreateOriginRequestPolicy (CloudFront API Reference;
// botocore's cloudfront model), so that a chain whose cache key holds Origin can be built with
// the aws CLI as with the SDK. The quotas are CloudFront's defaults ("Quotas on policies"): 20
// custom cache policies and 20 custom origin request policies per account, 10 headers and 10
// query strings in each.

const (
	cfCustomPolicyQuota = 20
	cfPolicyListQuota   = 10
)

// originRequestPolicyLocked returns a managed or custom origin request policy.
func (e *Emulator) originRequestPolicyLocked(id string) (originRequestPolicy, bool) {
	if p, ok := managedOriginRequestPolicies[id]; ok {
		return p, true
	}
	if p, ok := e.customORPs[id]; ok {
		return *p, true
	}
	return originRequestPolicy{}, false
}

// cfNames is a {Quantity, Items{Name}} list of the policy documents.
type cfNames struct {
	Quantity *int     `xml:"Quantity"`
	Items    []string `xml:"Items>Name"`
}

func (l *cfNames) check(path string, limit int, tooMany string) ([]string, error) {
	if l == nil {
		return nil, nil
	}
	if l.Quantity == nil || *l.Quantity != len(l.Items) {
		return nil, errf("InconsistentQuantities", "The parameter %s.Quantity does not match the number of items.", path)
	}
	if len(l.Items) > limit {
		return nil, errf(tooMany, "The number of items in %s is more than the maximum allowed (%d).", path, limit)
	}
	out := make([]string, len(l.Items))
	for i, v := range l.Items {
		if v == "" {
			return nil, errf("InvalidArgument", "The parameter %s contains an empty name.", path)
		}
		out[i] = v
	}
	return out, nil
}

type cfCachePolicyConfigIn struct {
	XMLName    xml.Name `xml:"CachePolicyConfig"`
	Comment    string   `xml:"Comment"`
	Name       string   `xml:"Name"`
	DefaultTTL *int64   `xml:"DefaultTTL"`
	MaxTTL     *int64   `xml:"MaxTTL"`
	MinTTL     *int64   `xml:"MinTTL"`
	Parameters *struct {
		Gzip    *bool `xml:"EnableAcceptEncodingGzip"`
		Brotli  bool  `xml:"EnableAcceptEncodingBrotli"`
		Headers *struct {
			Behavior string   `xml:"HeaderBehavior"`
			Headers  *cfNames `xml:"Headers"`
		} `xml:"HeadersConfig"`
		Cookies *struct {
			Behavior string `xml:"CookieBehavior"`
		} `xml:"CookiesConfig"`
		Query *struct {
			Behavior string   `xml:"QueryStringBehavior"`
			Names    *cfNames `xml:"QueryStrings"`
		} `xml:"QueryStringsConfig"`
	} `xml:"ParametersInCacheKeyAndForwardedToOrigin"`
}

func (e *Emulator) createCachePolicy(c *call, req cfRequest) (any, error) {
	var in cfCachePolicyConfigIn
	if err := decodeXML(req.body, &in); err != nil {
		return nil, errf("MalformedInput", "The XML document you provided was invalid.")
	}
	p := cachePolicy{id: "", name: in.Name, comment: in.Comment, defaultTTL: 86400, maxTTL: 31536000}
	switch {
	case in.Name == "":
		return nil, errf("InvalidArgument", "The parameter Name is required.")
	case in.MinTTL == nil:
		return nil, errf("InvalidArgument", "The parameter MinTTL is required.")
	case in.Parameters == nil || in.Parameters.Gzip == nil || in.Parameters.Headers == nil || in.Parameters.Cookies == nil || in.Parameters.Query == nil:
		return nil, errf("InvalidArgument", "The parameter ParametersInCacheKeyAndForwardedToOrigin and its EnableAcceptEncodingGzip, HeadersConfig, CookiesConfig and QueryStringsConfig are required.")
	}
	p.minTTL = *in.MinTTL
	if in.DefaultTTL != nil {
		p.defaultTTL = *in.DefaultTTL
	}
	if in.MaxTTL != nil {
		p.maxTTL = *in.MaxTTL
	}
	if p.minTTL < 0 || p.minTTL > p.defaultTTL || p.defaultTTL > p.maxTTL {
		return nil, errf("InvalidArgument", "The TTLs must satisfy 0 <= MinTTL <= DefaultTTL <= MaxTTL.")
	}
	params := in.Parameters
	p.gzip, p.brotli = *params.Gzip, params.Brotli
	var err error
	switch params.Headers.Behavior {
	case "none":
	case "whitelist":
		if p.headers, err = params.Headers.Headers.check("HeadersConfig.Headers", cfPolicyListQuota, "TooManyHeadersInCachePolicy"); err != nil {
			return nil, err
		}
		if len(p.headers) == 0 {
			return nil, errf("InvalidArgument", "The parameter HeadersConfig.Headers must name at least one header with HeaderBehavior whitelist.")
		}
	default:
		return nil, errf("InvalidArgument", "The parameter HeaderBehavior must be none or whitelist, not %q.", params.Headers.Behavior)
	}
	switch params.Query.Behavior {
	case "none":
	case "all":
		p.queryAll = true
	case "whitelist", "allExcept":
		if p.queryNames, err = params.Query.Names.check("QueryStringsConfig.QueryStrings", cfPolicyListQuota, "TooManyQueryStringsInCachePolicy"); err != nil {
			return nil, err
		}
		p.queryExcept = params.Query.Behavior == "allExcept"
	default:
		return nil, errf("InvalidArgument", "The parameter QueryStringBehavior must be none, whitelist, allExcept or all, not %q.", params.Query.Behavior)
	}
	if p.defaultTTL == 0 && p.maxTTL == 0 && (len(p.headers) > 0 || p.queryAll || len(p.queryNames) > 0 || p.gzip || p.brotli) {
		return nil, errf("InvalidArgument", "A cache policy whose TTLs are all 0 cannot put headers, query strings or compression in the cache key.")
	}
	return e.locked(c, func() (any, error) {
		custom := 0
		for _, x := range e.cachePolicies {
			if x.name == p.name {
				return nil, errf("CachePolicyAlreadyExists", "A cache policy with this name already exists.")
			}
			if !x.managed {
				custom++
			}
		}
		if custom >= cfCustomPolicyQuota {
			return nil, errf("TooManyCachePolicies", "You have reached the maximum number of cache policies for this AWS account.")
		}
		p.id, p.etag = uuid(e.id(), e.id()), e.newETag()
		e.cachePolicies[p.id] = &p
		return xmlAnswer{status: http.StatusCreated, header: map[string]string{"ETag": p.etag,
			"Location": "https://cloudfront.amazonaws.com/2020-05-31/cache-policy/" + p.id}, body: e.cachePolicyDoc(&p, true)}, nil
	})
}

type cfOriginRequestPolicyConfigIn struct {
	XMLName xml.Name `xml:"OriginRequestPolicyConfig"`
	Comment string   `xml:"Comment"`
	Name    string   `xml:"Name"`
	Headers *struct {
		Behavior string   `xml:"HeaderBehavior"`
		Headers  *cfNames `xml:"Headers"`
	} `xml:"HeadersConfig"`
	Cookies *struct {
		Behavior string `xml:"CookieBehavior"`
	} `xml:"CookiesConfig"`
	Query *struct {
		Behavior string   `xml:"QueryStringBehavior"`
		Names    *cfNames `xml:"QueryStrings"`
	} `xml:"QueryStringsConfig"`
}

func (e *Emulator) createOriginRequestPolicy(c *call, req cfRequest) (any, error) {
	var in cfOriginRequestPolicyConfigIn
	if err := decodeXML(req.body, &in); err != nil {
		return nil, errf("MalformedInput", "The XML document you provided was invalid.")
	}
	if in.Name == "" || in.Headers == nil || in.Cookies == nil || in.Query == nil {
		return nil, errf("InvalidArgument", "The parameters Name, HeadersConfig, CookiesConfig and QueryStringsConfig are required.")
	}
	p := originRequestPolicy{name: in.Name, custom: true}
	names, err := in.Headers.Headers.check("HeadersConfig.Headers", cfPolicyListQuota, "TooManyHeadersInOriginRequestPolicy")
	if err != nil {
		return nil, err
	}
	lower := make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(n)
	}
	switch in.Headers.Behavior {
	case "none":
	case "whitelist", "allViewerAndWhitelistCloudFront":
		// CloudFront-* headers are CloudFront's own: a viewer does not send them.
		if in.Headers.Behavior == "allViewerAndWhitelistCloudFront" {
			p.allViewer = true
		}
		p.headers = lower
	case "allViewer":
		p.allViewer = true
	case "allExcept":
		p.allViewer, p.except = true, lower
	default:
		return nil, errf("InvalidArgument", "The parameter HeaderBehavior must be none, whitelist, allViewer, allViewerAndWhitelistCloudFront or allExcept, not %q.", in.Headers.Behavior)
	}
	switch in.Query.Behavior {
	case "none":
	case "all", "whitelist", "allExcept":
		if _, err := in.Query.Names.check("QueryStringsConfig.QueryStrings", cfPolicyListQuota, "TooManyQueryStringsInOriginRequestPolicy"); err != nil {
			return nil, err
		}
		p.queryAll = true // forwarded whole: the emulator's S3 origins ignore query strings
	default:
		return nil, errf("InvalidArgument", "The parameter QueryStringBehavior must be none, whitelist, all or allExcept, not %q.", in.Query.Behavior)
	}
	return e.locked(c, func() (any, error) {
		for _, x := range e.customORPs {
			if x.name == p.name {
				return nil, errf("OriginRequestPolicyAlreadyExists", "An origin request policy with this name already exists.")
			}
		}
		if slices.ContainsFunc(slices.Collect(mapsValues(managedOriginRequestPolicies)), func(x originRequestPolicy) bool { return x.name == p.name }) {
			return nil, errf("OriginRequestPolicyAlreadyExists", "An origin request policy with this name already exists.")
		}
		if len(e.customORPs) >= cfCustomPolicyQuota {
			return nil, errf("TooManyOriginRequestPolicies", "You have reached the maximum number of origin request policies for this AWS account.")
		}
		if e.customORPs == nil {
			e.customORPs = map[string]*originRequestPolicy{}
		}
		p.id, p.etag = uuid(e.id(), e.id()), e.newETag()
		e.customORPs[p.id] = &p
		return xmlAnswer{status: http.StatusCreated, header: map[string]string{"ETag": p.etag,
			"Location": "https://cloudfront.amazonaws.com/2020-05-31/origin-request-policy/" + p.id}, body: originRequestPolicyDoc(p, true)}, nil
	})
}

func mapsValues[V any](m map[string]V) func(func(V) bool) {
	return func(yield func(V) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}
