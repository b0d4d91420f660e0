package emulator

import (
	"encoding/xml"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// This file is CloudFront's distribution API beyond listing: CreateDistribution,
// GetDistribution, GetDistributionConfig, UpdateDistribution and DeleteDistribution, with the
// parts of DistributionConfig the data plane uses (origins, cache behaviours with their
// methods and policy IDs); every other element is kept as sent and given back. It also seeds
// the managed policies AWS lists beyond the ones cloudfront_dist.go names, and serves
// Get/ListOriginRequestPolicies for the managed origin request policies. Written from
// botocore's cloudfront model (2020-05-31) and the CloudFront API Reference. A distribution
// serves as soon as CreateDistribution returns (Status Deployed).

// cfDistributionState is what the API keeps about a distribution it created.
type cfDistributionState struct {
	callerRef string
	etag      string
	modified  time.Time
	config    []byte // the DistributionConfig's inner XML, as sent
}

// managedCachePolicies are AWS's managed cache policies with their IDs and settings ("Use
// managed cache policies").
func managedCachePolicies() []cachePolicy {
	year := int64(31536000)
	return []cachePolicy{
		{id: ManagedAmplify, name: "Managed-Amplify", managed: true, headers: []string{"Authorization", "CloudFront-Viewer-Country", "Host"},
			minTTL: 2, defaultTTL: 2, maxTTL: year, gzip: true, brotli: true, queryAll: true},
		{id: ManagedCachingDisabled, name: "Managed-CachingDisabled", managed: true},
		{id: ManagedCachingOptimized, name: "Managed-CachingOptimized", managed: true, minTTL: 1, defaultTTL: 86400, maxTTL: year, gzip: true, brotli: true},
		{id: ManagedCachingOptimizedUncompressed, name: "Managed-CachingOptimizedForUncompressedObjects", managed: true, minTTL: 1, defaultTTL: 86400, maxTTL: year},
		{id: ManagedElementalMediaPackage, name: "Managed-Elemental-MediaPackage", managed: true, headers: []string{"origin"}, defaultTTL: 86400, maxTTL: year, gzip: true},
		{id: ManagedUseOriginCacheControlHeaders, name: "Managed-UseOriginCacheControlHeaders", managed: true,
			headers: []string{"host", "origin", "x-http-method-override", "x-http-method", "x-method-override"}, maxTTL: year, gzip: true, brotli: true},
		{id: ManagedUseOriginCacheControlHeadersQS, name: "Managed-UseOriginCacheControlHeaders-QueryStrings", managed: true,
			headers: []string{"host", "origin", "x-http-method-override", "x-http-method", "x-method-override"}, maxTTL: year, gzip: true, brotli: true, queryAll: true},
	}
}

// seedManagedEdgeLocked adds the managed response headers policy cloudfront_dist.go does not
// seed: CORS-with-preflight-and-SecurityHeadersPolicy, CORS-With-Preflight's settings with
// the security headers of SecurityHeadersPolicy.
func (e *Emulator) seedManagedEdgeLocked() {
	preflight, security := e.rhPolicies[ManagedCORSWithPreflight], e.rhPolicies[ManagedSecurityHeadersPolicy]
	if preflight == nil || security == nil {
		return
	}
	p := *preflight
	p.id, p.etag = ManagedCORSWithPreflightAndSecurityHdr, "E"+strings.ToUpper(strings.ReplaceAll(ManagedCORSWithPreflightAndSecurityHdr, "-", "")[:13])
	p.config.Name = "Managed-CORS-with-preflight-and-SecurityHeadersPolicy"
	p.config.SecurityHeadersConfig = security.config.SecurityHeadersConfig
	e.rhPolicies[p.id] = &p
}

// ---- the DistributionConfig document ----

type cfMethodList struct {
	Quantity int      `xml:"Quantity"`
	Items    []string `xml:"Items>Method"`
}

type cfBehaviorIn struct {
	PathPattern          string `xml:"PathPattern"`
	TargetOriginID       string `xml:"TargetOriginId"`
	ViewerProtocolPolicy string `xml:"ViewerProtocolPolicy"`
	AllowedMethods       *struct {
		cfMethodList
		CachedMethods *cfMethodList `xml:"CachedMethods"`
	} `xml:"AllowedMethods"`
	CachePolicyID           string `xml:"CachePolicyId"`
	OriginRequestPolicyID   string `xml:"OriginRequestPolicyId"`
	ResponseHeadersPolicyID string `xml:"ResponseHeadersPolicyId"`
	ForwardedValues         *struct {
		Headers *struct {
			Quantity int      `xml:"Quantity"`
			Items    []string `xml:"Items>Name"`
		} `xml:"Headers"`
	} `xml:"ForwardedValues"`
}

type cfDistributionConfigIn struct {
	XMLName         xml.Name `xml:"DistributionConfig"`
	CallerReference *string  `xml:"CallerReference"`
	Aliases         *struct {
		Quantity int      `xml:"Quantity"`
		Items    []string `xml:"Items>CNAME"`
	} `xml:"Aliases"`
	Origins *struct {
		Quantity int `xml:"Quantity"`
		Items    []struct {
			ID                 string    `xml:"Id"`
			DomainName         string    `xml:"DomainName"`
			OriginPath         string    `xml:"OriginPath"`
			S3OriginConfig     *struct{} `xml:"S3OriginConfig"`
			CustomOriginConfig *struct{} `xml:"CustomOriginConfig"`
		} `xml:"Items>Origin"`
	} `xml:"Origins"`
	DefaultCacheBehavior *cfBehaviorIn `xml:"DefaultCacheBehavior"`
	CacheBehaviors       *struct {
		Quantity int            `xml:"Quantity"`
		Items    []cfBehaviorIn `xml:"Items>CacheBehavior"`
	} `xml:"CacheBehaviors"`
	Comment *string `xml:"Comment"`
	Enabled *bool   `xml:"Enabled"`
	Inner   []byte  `xml:",innerxml"`
}

// parseDistributionConfig reads and checks a DistributionConfig against the policies the
// account holds (called with e.mu held).
func (e *Emulator) parseDistributionConfigLocked(body []byte) (cfDistributionConfigIn, Distribution, error) {
	var in cfDistributionConfigIn
	if err := decodeXML(body, &in); err != nil || in.XMLName.Local != "DistributionConfig" {
		return in, Distribution{}, errf("MalformedInput", "The XML document you provided was invalid.")
	}
	switch {
	case in.CallerReference == nil:
		return in, Distribution{}, errf("InvalidArgument", "The parameter CallerReference is required.")
	case in.Origins == nil:
		return in, Distribution{}, errf("InvalidArgument", "The parameter Origins is required.")
	case in.DefaultCacheBehavior == nil:
		return in, Distribution{}, errf("InvalidArgument", "The parameter DefaultCacheBehavior is required.")
	case in.Comment == nil:
		return in, Distribution{}, errf("InvalidArgument", "The parameter Comment is required.")
	case in.Enabled == nil:
		return in, Distribution{}, errf("InvalidArgument", "The parameter Enabled is required.")
	case in.Origins.Quantity != len(in.Origins.Items):
		return in, Distribution{}, errf("InconsistentQuantities", "The parameter Origins.Quantity does not match the number of items.")
	case len(in.Origins.Items) == 0:
		return in, Distribution{}, errf("InvalidArgument", "The parameter Origins must contain at least one origin.")
	}
	d := Distribution{Comment: *in.Comment, disabled: !*in.Enabled}
	if a := in.Aliases; a != nil {
		if a.Quantity != len(a.Items) {
			return in, Distribution{}, errf("InconsistentQuantities", "The parameter Aliases.Quantity does not match the number of items.")
		}
		for _, name := range a.Items {
			if name == "" || strings.HasSuffix(strings.ToLower(name), ".cloudfront.net") || strings.HasSuffix(strings.ToLower(name), ".amazonaws.com") {
				return in, Distribution{}, errf("InvalidArgument", "The parameter CNAME %q is not a valid alternate domain name.", name)
			}
			d.Aliases = append(d.Aliases, strings.ToLower(name))
		}
	}
	for _, o := range in.Origins.Items {
		if o.ID == "" || o.DomainName == "" {
			return in, Distribution{}, errf("InvalidArgument", "The parameters Origin.Id and Origin.DomainName are required.")
		}
		if slices.ContainsFunc(d.Origins, func(x Origin) bool { return x.ID == o.ID }) {
			return in, Distribution{}, errf("InvalidArgument", "The parameter Origin Id must be unique (%s).", o.ID)
		}
		if o.OriginPath != "" && (!strings.HasPrefix(o.OriginPath, "/") || strings.HasSuffix(o.OriginPath, "/")) {
			return in, Distribution{}, errf("InvalidArgument", "The parameter origin path must begin with a slash and must not end with one.")
		}
		d.Origins = append(d.Origins, Origin{ID: o.ID, DomainName: strings.ToLower(o.DomainName), OriginPath: o.OriginPath})
	}
	var err error
	if d.DefaultBehavior, err = e.behaviorLocked(*in.DefaultCacheBehavior, d.Origins, true); err != nil {
		return in, Distribution{}, err
	}
	if in.CacheBehaviors != nil {
		if in.CacheBehaviors.Quantity != len(in.CacheBehaviors.Items) {
			return in, Distribution{}, errf("InconsistentQuantities", "The parameter CacheBehaviors.Quantity does not match the number of items.")
		}
		for _, bi := range in.CacheBehaviors.Items {
			b, err := e.behaviorLocked(bi, d.Origins, false)
			if err != nil {
				return in, Distribution{}, err
			}
			if slices.ContainsFunc(d.Behaviors, func(x Behavior) bool { return x.PathPattern == b.PathPattern }) {
				return in, Distribution{}, errf("InvalidArgument", "The parameter PathPattern %s is used by more than one cache behavior.", b.PathPattern)
			}
			d.Behaviors = append(d.Behaviors, b)
		}
	}
	return in, d, nil
}

// behaviorLocked checks one cache behaviour: its origin, its methods (one of the three sets
// [METH]; cached methods GET, HEAD with OPTIONS optional, within the allowed ones), and that
// the policies it names exist. A behaviour without a cache policy needs the legacy
// ForwardedValues, whose headers it forwards and keys on.
func (e *Emulator) behaviorLocked(in cfBehaviorIn, origins []Origin, isDefault bool) (Behavior, error) {
	b := Behavior{PathPattern: in.PathPattern, TargetOriginID: in.TargetOriginID, CachePolicyID: in.CachePolicyID,
		OriginRequestPolicyID: in.OriginRequestPolicyID, ResponseHeadersPolicyID: in.ResponseHeadersPolicyID}
	if !isDefault && b.PathPattern == "" {
		return b, errf("InvalidArgument", "The parameter PathPattern is required.")
	}
	if in.ViewerProtocolPolicy == "" {
		return b, errf("InvalidArgument", "The parameter ViewerProtocolPolicy is required.")
	}
	if !slices.ContainsFunc(origins, func(o Origin) bool { return o.ID == in.TargetOriginID }) {
		return b, errf("NoSuchOrigin", "One or more of your origins or origin groups do not exist.")
	}
	b.AllowedMethods, b.CachedMethods = []string{"HEAD", "GET"}, []string{"HEAD", "GET"}
	if am := in.AllowedMethods; am != nil {
		if am.Quantity != len(am.Items) || am.CachedMethods != nil && am.CachedMethods.Quantity != len(am.CachedMethods.Items) {
			return b, errf("InconsistentQuantities", "The parameter AllowedMethods.Quantity does not match the number of items.")
		}
		sorted := slices.Sorted(slices.Values(am.Items))
		if !slices.ContainsFunc(cfMethodSets, func(set []string) bool { return slices.Equal(slices.Sorted(slices.Values(set)), sorted) }) {
			return b, errf("InvalidArgument", "The parameter AllowedMethods must be GET, HEAD; GET, HEAD, OPTIONS; or GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE.")
		}
		b.AllowedMethods = slices.Clone(am.Items)
		if cm := am.CachedMethods; cm != nil {
			sortedCached := slices.Sorted(slices.Values(cm.Items))
			if !slices.Equal(sortedCached, []string{"GET", "HEAD"}) && !slices.Equal(sortedCached, []string{"GET", "HEAD", "OPTIONS"}) ||
				slices.ContainsFunc(cm.Items, func(m string) bool { return !slices.Contains(am.Items, m) }) {
				return b, errf("InvalidArgument", "The parameter CachedMethods must be GET, HEAD or GET, HEAD, OPTIONS, within AllowedMethods.")
			}
			b.CachedMethods = slices.Clone(cm.Items)
		}
	}
	if b.CachePolicyID != "" {
		if _, ok := e.cachePolicies[b.CachePolicyID]; !ok {
			return b, errf("NoSuchCachePolicy", "The cache policy does not exist.")
		}
	} else if in.ForwardedValues == nil {
		return b, errf("InvalidArgument", "The parameter ForwardedValues is required when the cache behavior has no CachePolicyId.")
	} else if h := in.ForwardedValues.Headers; h != nil {
		b.ForwardedHeaders = slices.Clone(h.Items)
	}
	if b.OriginRequestPolicyID != "" {
		if _, ok := e.originRequestPolicyLocked(b.OriginRequestPolicyID); !ok {
			return b, errf("NoSuchOriginRequestPolicy", "The origin request policy does not exist.")
		}
	}
	if b.ResponseHeadersPolicyID != "" {
		if _, ok := e.rhPolicies[b.ResponseHeadersPolicyID]; !ok {
			return b, errf("NoSuchResponseHeadersPolicy", "The response headers policy does not exist.")
		}
	}
	return b, nil
}

// ---- the answers ----

type cfRawXML struct {
	Inner []byte `xml:",innerxml"`
}

type cfDistributionDoc struct {
	XMLName                       xml.Name `xml:"Distribution"`
	Xmlns                         string   `xml:"xmlns,attr"`
	ID                            string   `xml:"Id"`
	ARN                           string   `xml:"ARN"`
	Status                        string   `xml:"Status"`
	LastModifiedTime              string   `xml:"LastModifiedTime"`
	InProgressInvalidationBatches int      `xml:"InProgressInvalidationBatches"`
	DomainName                    string   `xml:"DomainName"`
	ActiveTrustedSigners          struct {
		Enabled  bool `xml:"Enabled"`
		Quantity int  `xml:"Quantity"`
	} `xml:"ActiveTrustedSigners"`
	ActiveTrustedKeyGroups struct {
		Enabled  bool `xml:"Enabled"`
		Quantity int  `xml:"Quantity"`
	} `xml:"ActiveTrustedKeyGroups"`
	DistributionConfig cfRawXML `xml:"DistributionConfig"`
}

func (e *Emulator) distributionDoc(d *Distribution) cfDistributionDoc {
	return cfDistributionDoc{Xmlns: cfNamespace, ID: d.ID, ARN: "arn:aws:cloudfront::" + e.account + ":distribution/" + d.ID,
		Status: "Deployed", LastModifiedTime: d.api.modified.UTC().Format("2006-01-02T15:04:05.000Z"), DomainName: d.DomainName,
		DistributionConfig: cfRawXML{Inner: d.api.config}}
}

// newDistributionID returns a fresh distribution ID (E and 13 characters) and domain name.
func (e *Emulator) newDistributionID() (id, domain string) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for {
		var b strings.Builder
		v := e.id()
		for range 13 {
			b.WriteByte(alphabet[v%uint64(len(alphabet))])
			v /= uint64(len(alphabet))
			if v == 0 {
				v = e.id()
			}
		}
		id = "E" + b.String()
		if _, taken := e.distributions[id]; !taken {
			return id, "d" + strings.ToLower(b.String()) + ".cloudfront.net"
		}
	}
}

func (e *Emulator) createDistribution(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		in, d, err := e.parseDistributionConfigLocked(req.body)
		if err != nil {
			return nil, err
		}
		for _, x := range e.distributions {
			if x.api != nil && x.api.callerRef == *in.CallerReference {
				return nil, errf("DistributionAlreadyExists", "The caller reference that you are using to create a distribution is associated with another distribution. Already exists: %s", x.ID)
			}
			if err := cnameTaken(x, d.Aliases); err != nil {
				return nil, err
			}
		}
		d.ID, d.DomainName = e.newDistributionID()
		d.api = &cfDistributionState{callerRef: *in.CallerReference, etag: e.newETag(), modified: c.Time, config: in.Inner}
		e.distributions[d.ID] = &d
		c.events = append(c.events, e.cfTrail(c, map[string]any{"distributionConfig": map[string]any{"callerReference": *in.CallerReference}},
			map[string]any{"distribution": map[string]any{"id": d.ID, "domainName": d.DomainName}}))
		return xmlAnswer{status: http.StatusCreated, header: map[string]string{"ETag": d.api.etag,
			"Location": "https://cloudfront.amazonaws.com/2020-05-31/distribution/" + d.ID}, body: e.distributionDoc(&d)}, nil
	})
}

// cnameTaken answers CNAMEAlreadyExists when d already answers for one of aliases: an
// alternate domain name belongs to one distribution.
func cnameTaken(d *Distribution, aliases []string) error {
	for _, a := range aliases {
		if slices.Contains(d.Aliases, a) {
			return errf("CNAMEAlreadyExists", "One or more of the CNAMEs you provided are already associated with a different resource.")
		}
	}
	return nil
}

// apiDistributionLocked returns a distribution by ID. One seeded with AddDistribution has no
// configuration document to give back: NoSuchDistribution, as for a missing one.
func (e *Emulator) apiDistributionLocked(id string) (*Distribution, error) {
	d, ok := e.distributions[id]
	if !ok || d.api == nil {
		return nil, errf("NoSuchDistribution", "The specified distribution does not exist.")
	}
	return d, nil
}

func (e *Emulator) getDistribution(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		d, err := e.apiDistributionLocked(req.id)
		if err != nil {
			return nil, err
		}
		return xmlAnswer{header: map[string]string{"ETag": d.api.etag}, body: e.distributionDoc(d)}, nil
	})
}

func (e *Emulator) getDistributionConfig(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		d, err := e.apiDistributionLocked(req.id)
		if err != nil {
			return nil, err
		}
		return xmlAnswer{header: map[string]string{"ETag": d.api.etag}, body: struct {
			XMLName xml.Name `xml:"DistributionConfig"`
			Xmlns   string   `xml:"xmlns,attr"`
			cfRawXML
		}{Xmlns: cfNamespace, cfRawXML: cfRawXML{Inner: d.api.config}}}, nil
	})
}

// checkIfMatch answers as CloudFront does for an update or delete: If-Match is required
// (InvalidIfMatchVersion) and must be the current ETag (PreconditionFailed).
func checkIfMatch(req cfRequest, etag string) error {
	m := req.header.Get("If-Match")
	if m == "" {
		return errf("InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
	}
	if m != etag {
		return errf("PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.")
	}
	return nil
}

func (e *Emulator) updateDistribution(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		d, err := e.apiDistributionLocked(req.id)
		if err != nil {
			return nil, err
		}
		in, next, err := e.parseDistributionConfigLocked(req.body)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(req, d.api.etag); err != nil {
			return nil, err
		}
		if *in.CallerReference != d.api.callerRef {
			return nil, errf("IllegalUpdate", "Origin and CallerReference cannot be updated.")
		}
		for _, x := range e.distributions {
			if x != d {
				if err := cnameTaken(x, next.Aliases); err != nil {
					return nil, err
				}
			}
		}
		// The edge cache is kept: CloudFront does not invalidate cached answers when a
		// distribution's configuration changes (they expire, or CreateInvalidation removes them).
		next.ID, next.DomainName, next.cache = d.ID, d.DomainName, d.cache
		next.api = &cfDistributionState{callerRef: d.api.callerRef, etag: e.newETag(), modified: c.Time, config: in.Inner}
		*d = next
		c.events = append(c.events, e.cfTrail(c, map[string]any{"id": d.ID}, map[string]any{"distribution": map[string]any{"id": d.ID}}))
		return xmlAnswer{header: map[string]string{"ETag": d.api.etag}, body: e.distributionDoc(d)}, nil
	})
}

func (e *Emulator) deleteDistribution(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		d, err := e.apiDistributionLocked(req.id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(req, d.api.etag); err != nil {
			return nil, err
		}
		if !d.disabled {
			return nil, errf("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")
		}
		delete(e.distributions, d.ID)
		return xmlAnswer{status: http.StatusNoContent}, nil
	})
}

// ---- origin request policies (the managed ones) ----

type cfOriginRequestPolicyDoc struct {
	XMLName          xml.Name `xml:"OriginRequestPolicy"`
	Xmlns            string   `xml:"xmlns,attr,omitempty"`
	ID               string   `xml:"Id"`
	LastModifiedTime string   `xml:"LastModifiedTime"`
	Config           struct {
		Comment       string `xml:"Comment,omitempty"`
		Name          string `xml:"Name"`
		HeadersConfig struct {
			HeaderBehavior string     `xml:"HeaderBehavior"`
			Headers        *cfHeaders `xml:"Headers,omitempty"`
		} `xml:"HeadersConfig"`
		CookiesConfig struct {
			CookieBehavior string `xml:"CookieBehavior"`
		} `xml:"CookiesConfig"`
		QueryStringsConfig struct {
			QueryStringBehavior string `xml:"QueryStringBehavior"`
		} `xml:"QueryStringsConfig"`
	} `xml:"OriginRequestPolicyConfig"`
}

func originRequestPolicyDoc(p originRequestPolicy, xmlns bool) cfOriginRequestPolicyDoc {
	var d cfOriginRequestPolicyDoc
	if xmlns {
		d.Xmlns = cfNamespace
	}
	d.ID, d.LastModifiedTime, d.Config.Name = p.id, "2020-08-31T00:00:00.000Z", p.name
	d.Config.HeadersConfig.HeaderBehavior, d.Config.CookiesConfig.CookieBehavior, d.Config.QueryStringsConfig.QueryStringBehavior = "none", "none", "none"
	switch {
	case p.allViewer && len(p.except) > 0:
		d.Config.HeadersConfig.HeaderBehavior = "allExcept"
		d.Config.HeadersConfig.Headers = &cfHeaders{Quantity: len(p.except), Items: p.except}
	case p.allViewer:
		d.Config.HeadersConfig.HeaderBehavior = "allViewer"
	case len(p.headers) > 0:
		d.Config.HeadersConfig.HeaderBehavior = "whitelist"
		d.Config.HeadersConfig.Headers = &cfHeaders{Quantity: len(p.headers), Items: p.headers}
	}
	if p.queryAll {
		d.Config.QueryStringsConfig.QueryStringBehavior = "all"
	}
	if p.allViewer {
		d.Config.CookiesConfig.CookieBehavior = "all"
	}
	return d
}

func (e *Emulator) getOriginRequestPolicy(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		p, ok := e.originRequestPolicyLocked(req.id)
		if !ok {
			return nil, errf("NoSuchOriginRequestPolicy", "The origin request policy does not exist.")
		}
		return xmlAnswer{header: map[string]string{"ETag": "E" + strings.ToUpper(p.id[:8])}, body: originRequestPolicyDoc(p, true)}, nil
	})
}

func (e *Emulator) listOriginRequestPolicies(c *call, req cfRequest) (any, error) {
	typ, n, err := listTypeAndSize(req)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		all := maps.Clone(managedOriginRequestPolicies)
		for id, p := range e.customORPs {
			all[id] = *p
		}
		ids, next := typedPage(all, func(p originRequestPolicy) bool { return !p.custom }, typ, req.first("Marker"), n)
		type item struct {
			Type   string                   `xml:"Type"`
			Policy cfOriginRequestPolicyDoc `xml:"OriginRequestPolicy"`
		}
		out := struct {
			XMLName    xml.Name `xml:"OriginRequestPolicyList"`
			Xmlns      string   `xml:"xmlns,attr"`
			NextMarker string   `xml:"NextMarker,omitempty"`
			MaxItems   int      `xml:"MaxItems"`
			Quantity   int      `xml:"Quantity"`
			Items      []item   `xml:"Items>OriginRequestPolicySummary,omitempty"`
		}{Xmlns: cfNamespace, MaxItems: n, Quantity: len(ids), NextMarker: next}
		for _, id := range ids {
			out.Items = append(out.Items, item{typeName(!all[id].custom), originRequestPolicyDoc(all[id], false)})
		}
		return out, nil
	})
}
