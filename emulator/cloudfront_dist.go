package emulator

import (
	"encoding/xml"
	"slices"
	"strings"
)

// This file holds the read side of CloudFront distributions and cache policies that a
// delivery-chain check needs (ListDistributions' summaries, List/GetCachePolicy), the AWS
// managed policies every account sees, and Go methods to seed distributions and custom cache
// policies: creating a distribution through the API takes a document of some hundred fields
// that nothing in corsguard writes.

// Behavior is one cache behaviour of a seeded distribution. PathPattern is empty for the
// default behaviour. ForwardedHeaders is the legacy ForwardedValues header list, used by a
// behaviour without a cache policy.
type Behavior struct {
	PathPattern             string   `json:"pathPattern,omitempty"`
	TargetOriginID          string   `json:"targetOriginId"`
	CachePolicyID           string   `json:"cachePolicyId,omitempty"`
	ResponseHeadersPolicyID string   `json:"responseHeadersPolicyId,omitempty"`
	ForwardedHeaders        []string `json:"forwardedHeaders,omitempty"`
	OriginRequestPolicyID   string   `json:"originRequestPolicyId,omitempty"`
	// AllowedMethods and CachedMethods default to HEAD, GET, OPTIONS and HEAD, GET.
	AllowedMethods []string `json:"allowedMethods,omitempty"`
	CachedMethods  []string `json:"cachedMethods,omitempty"`
}

// Origin is one origin of a distribution: its ID, domain name and optional path.
type Origin struct {
	ID         string `json:"id"`
	DomainName string `json:"domainName"`
	OriginPath string `json:"originPath,omitempty"`
}

// Distribution is a seeded CloudFront distribution: its ID, domain name, origin domain and
// cache behaviours.
type Distribution struct {
	ID              string     `json:"id"`
	DomainName      string     `json:"domainName,omitempty"`
	OriginDomain    string     `json:"originDomain,omitempty"`
	Comment         string     `json:"comment,omitempty"`
	DefaultBehavior Behavior   `json:"defaultCacheBehavior"`
	Behaviors       []Behavior `json:"cacheBehaviors,omitempty"`
	// Origins lists the origins; when empty, the one origin is OriginDomain.
	Origins []Origin `json:"origins,omitempty"`
	// Aliases are alternate domain names (CNAMEs) the data plane also answers for.
	Aliases []string `json:"aliases,omitempty"`

	api      *cfDistributionState  // set when created through the API (cloudfront_create.go)
	disabled bool                  // Enabled false: the domain answers nothing
	cache    map[string]*edgeEntry // the edge cache by key (cloudfront_edge.go), under e.mu
	tags     map[string]string     // its resource tags (cloudfront_tags.go)
}

// CachePolicy is a seeded custom cache policy: the headers it puts in the cache key.
type CachePolicy struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Headers []string `json:"headers,omitempty"`
}

// AWS managed policies, with the IDs the CloudFront Developer Guide gives them.
const (
	ManagedCachingOptimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	ManagedCachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	ManagedElementalMediaPackage     = "08627262-05a9-4f76-9ded-b50ca2e3a84f"
	ManagedSimpleCORS                = "60669652-455b-4ae9-85a4-c4c02393f86c"
	ManagedCORSWithPreflight         = "5cc3b908-e619-4b99-88e5-2cf7f45965bd"
	ManagedSecurityHeadersPolicy     = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	managedCORSAndSecurityHeadersPol = "e61eb60c-9c35-4d20-a928-2b84e02af89c"
)

type cachePolicy struct {
	id      string
	name    string
	managed bool
	headers []string
	// TTLs in seconds, whether Accept-Encoding is normalized into the key, whether the key
	// holds every query string (cloudfront_edge.go).
	minTTL, defaultTTL, maxTTL int64
	gzip, brotli, queryAll     bool
	queryNames                 []string // the whitelist, or with queryExcept the names left out
	queryExcept                bool
	comment                    string
	etag                       string // a custom policy made through the API
}

// seedManagedLocked adds the AWS managed response headers and cache policies.
func (e *Emulator) seedManagedLocked() {
	yes, no := true, false
	cors := func(origins, headers, methods, expose []string, override bool) *cfCorsConfig {
		c := &cfCorsConfig{
			AccessControlAllowOrigins:     newCFStrings("Origin", origins),
			AccessControlAllowHeaders:     newCFStrings("Header", headers),
			AccessControlAllowMethods:     newCFStrings("Method", methods),
			AccessControlAllowCredentials: &no,
			OriginOverride:                &override,
		}
		if expose != nil {
			c.AccessControlExposeHeaders = newCFStrings("Header", expose)
		}
		return c
	}
	hsts := int64(31536000)
	frame, referrer := "SAMEORIGIN", "strict-origin-when-cross-origin"
	security := &cfSecurityHeadersConfig{
		ContentTypeOptions:      &cfContentTypeOptions{Override: &no},
		FrameOptions:            &cfFrameOptions{Override: &no, FrameOption: &frame},
		ReferrerPolicy:          &cfReferrerPolicy{Override: &no, ReferrerPolicy: &referrer},
		StrictTransportSecurity: &cfStrictTransportSecurity{Override: &no, AccessControlMaxAgeSec: &hsts},
		XSSProtection:           &cfXSSProtection{Override: &no, Protection: &yes, ModeBlock: &yes},
	}
	managed := []struct {
		id, name string
		cors     *cfCorsConfig
		security *cfSecurityHeadersConfig
	}{
		{ManagedSimpleCORS, "Managed-SimpleCORS", cors([]string{"*"}, []string{"*"}, []string{"GET", "HEAD"}, nil, false), nil},
		{ManagedCORSWithPreflight, "Managed-CORS-With-Preflight", cors([]string{"*"}, []string{"*"}, []string{"ALL"}, []string{"*"}, false), nil},
		{ManagedSecurityHeadersPolicy, "Managed-SecurityHeadersPolicy", nil, security},
		{managedCORSAndSecurityHeadersPol, "Managed-CORS-and-SecurityHeadersPolicy", cors([]string{"*"}, []string{"*"}, []string{"GET", "HEAD"}, nil, false), security},
	}
	for _, m := range managed {
		comment := "AWS managed policy"
		e.rhPolicies[m.id] = &responseHeadersPolicy{id: m.id, managed: true, etag: "E" + strings.ToUpper(strings.ReplaceAll(m.id, "-", "")[:13]), modified: e.clock.Now(),
			config: cfPolicyConfig{XMLName: xml.Name{Local: "ResponseHeadersPolicyConfig"}, Name: m.name, Comment: &comment,
				CorsConfig: m.cors, SecurityHeadersConfig: m.security}}
	}
	for _, c := range managedCachePolicies() {
		e.cachePolicies[c.id] = &c
	}
	e.seedManagedEdgeLocked()
}

// AddCachePolicy adds a custom cache policy whose cache key holds headers.
func (e *Emulator) AddCachePolicy(p CachePolicy) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cachePolicies[p.ID] = &cachePolicy{id: p.ID, name: p.Name, headers: slices.Clone(p.Headers), defaultTTL: 86400, maxTTL: 31536000, gzip: true}
}

// AddDistribution adds (or replaces) a distribution. Its domain name defaults to
// ID.cloudfront.net.
func (e *Emulator) AddDistribution(d Distribution) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d.DomainName == "" {
		d.DomainName = strings.ToLower(d.ID) + ".cloudfront.net"
	}
	d.Behaviors = slices.Clone(d.Behaviors)
	d.Origins = slices.Clone(d.Origins)
	d.api, d.cache = nil, nil
	e.distributions[d.ID] = &d
}

// ---- ListDistributions ----

type cfHeaders struct {
	Quantity int      `xml:"Quantity"`
	Items    []string `xml:"Items>Name,omitempty"`
}

type cfBehaviorDoc struct {
	PathPattern    string `xml:"PathPattern,omitempty"`
	TargetOriginID string `xml:"TargetOriginId"`
	TrustedSigners struct {
		Enabled  bool `xml:"Enabled"`
		Quantity int  `xml:"Quantity"`
	} `xml:"TrustedSigners"`
	ViewerProtocolPolicy string `xml:"ViewerProtocolPolicy"`
	AllowedMethods       struct {
		Quantity int      `xml:"Quantity"`
		Items    []string `xml:"Items>Method"`
		Cached   struct {
			Quantity int      `xml:"Quantity"`
			Items    []string `xml:"Items>Method"`
		} `xml:"CachedMethods"`
	} `xml:"AllowedMethods"`
	Compress                bool   `xml:"Compress"`
	CachePolicyID           string `xml:"CachePolicyId,omitempty"`
	OriginRequestPolicyID   string `xml:"OriginRequestPolicyId,omitempty"`
	ResponseHeadersPolicyID string `xml:"ResponseHeadersPolicyId,omitempty"`
	ForwardedValues         *struct {
		QueryString bool `xml:"QueryString"`
		Cookies     struct {
			Forward string `xml:"Forward"`
		} `xml:"Cookies"`
		Headers cfHeaders `xml:"Headers"`
	} `xml:"ForwardedValues,omitempty"`
}

func behaviorDoc(b Behavior) cfBehaviorDoc {
	d := cfBehaviorDoc{PathPattern: b.PathPattern, TargetOriginID: b.TargetOriginID, ViewerProtocolPolicy: "redirect-to-https",
		Compress: true, CachePolicyID: b.CachePolicyID, ResponseHeadersPolicyID: b.ResponseHeadersPolicyID}
	d.AllowedMethods.Items, d.AllowedMethods.Cached.Items = b.allowedMethods(), b.cachedMethods()
	d.AllowedMethods.Quantity, d.AllowedMethods.Cached.Quantity = len(d.AllowedMethods.Items), len(d.AllowedMethods.Cached.Items)
	d.OriginRequestPolicyID = b.OriginRequestPolicyID
	if b.CachePolicyID == "" {
		d.ForwardedValues = &struct {
			QueryString bool `xml:"QueryString"`
			Cookies     struct {
				Forward string `xml:"Forward"`
			} `xml:"Cookies"`
			Headers cfHeaders `xml:"Headers"`
		}{}
		d.ForwardedValues.Cookies.Forward = "none"
		d.ForwardedValues.Headers = cfHeaders{Quantity: len(b.ForwardedHeaders), Items: b.ForwardedHeaders}
	}
	return d
}

type cfDistributionSummary struct {
	ID               string `xml:"Id"`
	ARN              string `xml:"ARN"`
	Status           string `xml:"Status"`
	LastModifiedTime string `xml:"LastModifiedTime"`
	DomainName       string `xml:"DomainName"`
	Aliases          struct {
		Quantity int `xml:"Quantity"`
	} `xml:"Aliases"`
	Origins struct {
		Quantity int `xml:"Quantity"`
		Items    []struct {
			ID         string `xml:"Id"`
			DomainName string `xml:"DomainName"`
		} `xml:"Items>Origin"`
	} `xml:"Origins"`
	DefaultCacheBehavior cfBehaviorDoc `xml:"DefaultCacheBehavior"`
	CacheBehaviors       struct {
		Quantity int             `xml:"Quantity"`
		Items    []cfBehaviorDoc `xml:"Items>CacheBehavior,omitempty"`
	} `xml:"CacheBehaviors"`
	CustomErrorResponses struct {
		Quantity int `xml:"Quantity"`
	} `xml:"CustomErrorResponses"`
	Comment      string `xml:"Comment"`
	PriceClass   string `xml:"PriceClass"`
	Enabled      bool   `xml:"Enabled"`
	Restrictions struct {
		GeoRestriction struct {
			RestrictionType string `xml:"RestrictionType"`
			Quantity        int    `xml:"Quantity"`
		} `xml:"GeoRestriction"`
	} `xml:"Restrictions"`
	WebACLID      string `xml:"WebACLId"`
	HTTPVersion   string `xml:"HttpVersion"`
	IsIPV6Enabled bool   `xml:"IsIPV6Enabled"`
	Staging       bool   `xml:"Staging"`
}

type cfDistributionList struct {
	XMLName     xml.Name                `xml:"DistributionList"`
	Xmlns       string                  `xml:"xmlns,attr"`
	Marker      string                  `xml:"Marker"`
	NextMarker  string                  `xml:"NextMarker,omitempty"`
	MaxItems    int                     `xml:"MaxItems"`
	IsTruncated bool                    `xml:"IsTruncated"`
	Quantity    int                     `xml:"Quantity"`
	Items       []cfDistributionSummary `xml:"Items>DistributionSummary,omitempty"`
}

func (e *Emulator) listDistributions(c *call, req cfRequest) (any, error) {
	n, err := maxItems(req)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		ids := slices.Sorted(mapsKeys(e.distributions))
		marker := req.first("Marker")
		ids, next := page(ids, marker, n)
		out := cfDistributionList{Xmlns: cfNamespace, Marker: marker, MaxItems: n, Quantity: len(ids),
			NextMarker: next, IsTruncated: next != ""}
		for _, id := range ids {
			d := e.distributions[id]
			s := cfDistributionSummary{ID: d.ID, ARN: "arn:aws:cloudfront::" + e.account + ":distribution/" + d.ID,
				Status: "Deployed", LastModifiedTime: c.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
				DomainName: d.DomainName, Comment: d.Comment, PriceClass: "PriceClass_All", Enabled: !d.disabled,
				HTTPVersion: "http2", IsIPV6Enabled: true, DefaultCacheBehavior: behaviorDoc(d.DefaultBehavior)}
			origins := d.Origins
			if len(origins) == 0 {
				origins = []Origin{{ID: d.DefaultBehavior.TargetOriginID, DomainName: d.OriginDomain}}
			}
			s.Origins.Quantity = len(origins)
			for _, o := range origins {
				s.Origins.Items = append(s.Origins.Items, struct {
					ID         string `xml:"Id"`
					DomainName string `xml:"DomainName"`
				}{o.ID, o.DomainName})
			}
			s.CacheBehaviors.Quantity = len(d.Behaviors)
			for _, b := range d.Behaviors {
				s.CacheBehaviors.Items = append(s.CacheBehaviors.Items, behaviorDoc(b))
			}
			s.Restrictions.GeoRestriction.RestrictionType = "none"
			out.Items = append(out.Items, s)
		}
		return out, nil
	})
}

// ---- cache policies ----

type cfCachePolicyDoc struct {
	XMLName          xml.Name `xml:"CachePolicy"`
	Xmlns            string   `xml:"xmlns,attr,omitempty"`
	ID               string   `xml:"Id"`
	LastModifiedTime string   `xml:"LastModifiedTime"`
	Config           struct {
		Comment    string `xml:"Comment,omitempty"`
		Name       string `xml:"Name"`
		DefaultTTL int64  `xml:"DefaultTTL"`
		MaxTTL     int64  `xml:"MaxTTL"`
		MinTTL     int64  `xml:"MinTTL"`
		Parameters struct {
			EnableAcceptEncodingGzip   bool `xml:"EnableAcceptEncodingGzip"`
			EnableAcceptEncodingBrotli bool `xml:"EnableAcceptEncodingBrotli"`
			HeadersConfig              struct {
				HeaderBehavior string     `xml:"HeaderBehavior"`
				Headers        *cfHeaders `xml:"Headers,omitempty"`
			} `xml:"HeadersConfig"`
			CookiesConfig struct {
				CookieBehavior string `xml:"CookieBehavior"`
			} `xml:"CookiesConfig"`
			QueryStringsConfig struct {
				QueryStringBehavior string     `xml:"QueryStringBehavior"`
				QueryStrings        *cfHeaders `xml:"QueryStrings,omitempty"`
			} `xml:"QueryStringsConfig"`
		} `xml:"ParametersInCacheKeyAndForwardedToOrigin"`
	} `xml:"CachePolicyConfig"`
}

func (e *Emulator) cachePolicyDoc(p *cachePolicy, xmlns bool) cfCachePolicyDoc {
	var d cfCachePolicyDoc
	if xmlns {
		d.Xmlns = cfNamespace
	}
	d.ID, d.LastModifiedTime = p.id, "2020-08-31T00:00:00.000Z"
	d.Config.Name, d.Config.MinTTL, d.Config.DefaultTTL, d.Config.MaxTTL = p.name, p.minTTL, p.defaultTTL, p.maxTTL
	d.Config.Parameters.EnableAcceptEncodingGzip = p.gzip
	d.Config.Parameters.EnableAcceptEncodingBrotli = p.brotli
	d.Config.Parameters.CookiesConfig.CookieBehavior = "none"
	d.Config.Parameters.QueryStringsConfig.QueryStringBehavior = "none"
	switch {
	case p.queryAll:
		d.Config.Parameters.QueryStringsConfig.QueryStringBehavior = "all"
	case len(p.queryNames) > 0 && p.queryExcept:
		d.Config.Parameters.QueryStringsConfig.QueryStringBehavior = "allExcept"
	case len(p.queryNames) > 0:
		d.Config.Parameters.QueryStringsConfig.QueryStringBehavior = "whitelist"
	}
	if len(p.queryNames) > 0 {
		d.Config.Parameters.QueryStringsConfig.QueryStrings = &cfHeaders{Quantity: len(p.queryNames), Items: p.queryNames}
	}
	d.Config.Comment = p.comment
	d.Config.Parameters.HeadersConfig.HeaderBehavior = "none"
	if len(p.headers) > 0 {
		d.Config.Parameters.HeadersConfig.HeaderBehavior = "whitelist"
		d.Config.Parameters.HeadersConfig.Headers = &cfHeaders{Quantity: len(p.headers), Items: p.headers}
	}
	return d
}

func (e *Emulator) getCachePolicy(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		p, ok := e.cachePolicies[req.id]
		if !ok {
			return nil, errf("NoSuchCachePolicy", "The cache policy does not exist.")
		}
		return xmlAnswer{header: map[string]string{"ETag": "E" + strings.ToUpper(p.id[:8])}, body: e.cachePolicyDoc(p, true)}, nil
	})
}

type cfCachePolicyList struct {
	XMLName    xml.Name `xml:"CachePolicyList"`
	Xmlns      string   `xml:"xmlns,attr"`
	NextMarker string   `xml:"NextMarker,omitempty"`
	MaxItems   int      `xml:"MaxItems"`
	Quantity   int      `xml:"Quantity"`
	Items      []struct {
		Type   string           `xml:"Type"`
		Policy cfCachePolicyDoc `xml:"CachePolicy"`
	} `xml:"Items>CachePolicySummary,omitempty"`
}

func (e *Emulator) listCachePolicies(c *call, req cfRequest) (any, error) {
	typ, n, err := listTypeAndSize(req)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		ids, next := typedPage(e.cachePolicies, func(p *cachePolicy) bool { return p.managed }, typ, req.first("Marker"), n)
		out := cfCachePolicyList{Xmlns: cfNamespace, MaxItems: n, Quantity: len(ids), NextMarker: next}
		for _, id := range ids {
			p := e.cachePolicies[id]
			out.Items = append(out.Items, struct {
				Type   string           `xml:"Type"`
				Policy cfCachePolicyDoc `xml:"CachePolicy"`
			}{typeName(p.managed), e.cachePolicyDoc(p, false)})
		}
		return out, nil
	})
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// responseHeadersPolicyInUseLocked reports whether a cache behaviour of some distribution uses
// the response headers policy id (DeleteResponseHeadersPolicy then answers
// ResponseHeadersPolicyInUse). The caller holds e.mu.
func (e *Emulator) responseHeadersPolicyInUseLocked(id string) bool {
	for _, d := range e.distributions {
		if d.DefaultBehavior.ResponseHeadersPolicyID == id {
			return true
		}
		for _, b := range d.Behaviors {
			if b.ResponseHeadersPolicyID == id {
				return true
			}
		}
	}
	return false
}
