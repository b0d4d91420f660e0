package emulator

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the Amazon CloudFront front end: CloudFront's REST-XML API (version
// 2020-05-31) for response headers policies, and the part of distributions and cache policies
// a delivery-chain check reads. It is written from botocore's cloudfront model
// (data/cloudfront/2020-05-31/service-2.json) and the CloudFront Developer Guide; moto does not
// implement response headers policies. CloudFront is global: its calls are signed for
// us-east-1 and its CloudTrail records arrive there.

// cfNamespace is the XML namespace of CloudFront's documents.
const cfNamespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"

// cfPrefix starts the path of every CloudFront call of this API version.
const cfPrefix = "/2020-05-31/"

// CloudFrontPolicyQuota is how many custom response headers policies an account may hold
// (CloudFront's default quota, adjustable).
const CloudFrontPolicyQuota = 20

// cfMethods are the values of AccessControlAllowMethods
// (ResponseHeadersPolicyAccessControlAllowMethodsValues in the model).
var cfMethods = []string{"GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD", "ALL"}

// CloudFront's limits on one response headers policy. The quotas page (CloudFront Developer
// Guide, Quotas, "Response headers policies") lists 1,783 characters three times: for a custom
// header's value, for the Content-Security-Policy value, and for "a CORS
// (Access-Control-Allow-Origin) header value". An Access-Control-Allow-Origin header carries
// one origin (the one that matched) or *, never the list, so the emulator refuses an origin
// longer than 1,783 characters and nothing more: no error code, SDK test, moto model or answer
// anywhere shows AWS bounding all origins joined (botocore's model has TooLongCSP... for the
// CSP and no such error for CORS). 10,240 characters bound the custom headers' names and
// values together (CustomHeadersConfig only).
const (
	cfMaxOrigin        = 1783  // one Access-Control-Allow-Origin value
	cfMaxCSP           = 1783  // the Content-Security-Policy value: TooLongCSPInResponseHeadersPolicy
	cfMaxCustomValue   = 1783  // one custom header's value
	cfMaxCustomTotal   = 10240 // every custom header's name and value together
	cfMaxCustomHeaders = 10    // TooManyCustomHeadersInResponseHeadersPolicy
	cfMaxRemoveHeaders = 10    // TooManyRemoveHeadersInResponseHeadersPolicy
	cfMaxComment       = 128   // the model's documentation of Comment
)

// The enums of the security headers (botocore's FrameOptionsList and ReferrerPolicyList).
var (
	cfFrameOptionValues = []string{"DENY", "SAMEORIGIN"}
	cfReferrerPolicies  = []string{"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
		"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}
)

// ---- the documents, as the model names their elements ----

// cfStrings is a {Quantity, Items} list of strings whose items are <item> elements; item is
// the element name the model gives them (Origin, Header, Method).
type cfStrings struct {
	Quantity *int `xml:"Quantity"`
	Items    *struct {
		Values []cfValue `xml:",any"`
	} `xml:"Items"`
}

type cfValue struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func newCFStrings(item string, values []string) *cfStrings {
	n := len(values)
	l := &cfStrings{Quantity: &n}
	if n > 0 {
		l.Items = &struct {
			Values []cfValue `xml:",any"`
		}{}
		for _, v := range values {
			l.Items.Values = append(l.Items.Values, cfValue{XMLName: xml.Name{Local: item}, Value: v})
		}
	}
	return l
}

func (l *cfStrings) values() []string {
	if l == nil || l.Items == nil {
		return nil
	}
	out := make([]string, len(l.Items.Values))
	for i, v := range l.Items.Values {
		out[i] = v.Value
	}
	return out
}

// check answers InconsistentQuantities when Quantity is not the number of items, and
// MalformedInput when an item has another element name than the model's.
func (l *cfStrings) check(path, item string, required bool) error {
	if l == nil {
		if required {
			return errf("InvalidArgument", "%s is required.", path)
		}
		return nil
	}
	if l.Quantity == nil {
		return errf("InvalidArgument", "%s.Quantity is required.", path)
	}
	n := 0
	if l.Items != nil {
		n = len(l.Items.Values)
		for _, v := range l.Items.Values {
			if v.XMLName.Local != item {
				return errf("MalformedInput", "Unexpected element %s in %s.Items; want %s.", v.XMLName.Local, path, item)
			}
		}
	}
	if *l.Quantity != n {
		return errf("InconsistentQuantities", "The parameter %s.Quantity does not match the number of items.", path)
	}
	return nil
}

type cfCorsConfig struct {
	AccessControlAllowOrigins     *cfStrings `xml:"AccessControlAllowOrigins"`
	AccessControlAllowHeaders     *cfStrings `xml:"AccessControlAllowHeaders"`
	AccessControlAllowMethods     *cfStrings `xml:"AccessControlAllowMethods"`
	AccessControlAllowCredentials *bool      `xml:"AccessControlAllowCredentials"`
	AccessControlExposeHeaders    *cfStrings `xml:"AccessControlExposeHeaders"`
	AccessControlMaxAgeSec        *int64     `xml:"AccessControlMaxAgeSec"`
	OriginOverride                *bool      `xml:"OriginOverride"`
	Extra                         extra      `xml:",any"`
}

type cfXSSProtection struct {
	Override   *bool   `xml:"Override"`
	Protection *bool   `xml:"Protection"`
	ModeBlock  *bool   `xml:"ModeBlock"`
	ReportURI  *string `xml:"ReportUri"`
}

type cfFrameOptions struct {
	Override    *bool   `xml:"Override"`
	FrameOption *string `xml:"FrameOption"`
}

type cfReferrerPolicy struct {
	Override       *bool   `xml:"Override"`
	ReferrerPolicy *string `xml:"ReferrerPolicy"`
}

type cfContentSecurityPolicy struct {
	Override              *bool   `xml:"Override"`
	ContentSecurityPolicy *string `xml:"ContentSecurityPolicy"`
}

type cfContentTypeOptions struct {
	Override *bool `xml:"Override"`
}

type cfStrictTransportSecurity struct {
	Override               *bool  `xml:"Override"`
	IncludeSubdomains      *bool  `xml:"IncludeSubdomains"`
	Preload                *bool  `xml:"Preload"`
	AccessControlMaxAgeSec *int64 `xml:"AccessControlMaxAgeSec"`
}

type cfSecurityHeadersConfig struct {
	XSSProtection           *cfXSSProtection           `xml:"XSSProtection"`
	FrameOptions            *cfFrameOptions            `xml:"FrameOptions"`
	ReferrerPolicy          *cfReferrerPolicy          `xml:"ReferrerPolicy"`
	ContentSecurityPolicy   *cfContentSecurityPolicy   `xml:"ContentSecurityPolicy"`
	ContentTypeOptions      *cfContentTypeOptions      `xml:"ContentTypeOptions"`
	StrictTransportSecurity *cfStrictTransportSecurity `xml:"StrictTransportSecurity"`
	Extra                   extra                      `xml:",any"`
}

type cfServerTimingHeadersConfig struct {
	Enabled      *bool    `xml:"Enabled"`
	SamplingRate *float64 `xml:"SamplingRate"`
}

type cfCustomHeader struct {
	Header   *string `xml:"Header"`
	Value    *string `xml:"Value"`
	Override *bool   `xml:"Override"`
}

type cfCustomHeadersConfig struct {
	Quantity *int             `xml:"Quantity"`
	Items    []cfCustomHeader `xml:"Items>ResponseHeadersPolicyCustomHeader"`
}

type cfRemoveHeader struct {
	Header *string `xml:"Header"`
}

type cfRemoveHeadersConfig struct {
	Quantity *int             `xml:"Quantity"`
	Items    []cfRemoveHeader `xml:"Items>ResponseHeadersPolicyRemoveHeader"`
}

// cfPolicyConfig is a ResponseHeadersPolicyConfig, every field of the model kept as sent.
type cfPolicyConfig struct {
	XMLName                   xml.Name                     `xml:"ResponseHeadersPolicyConfig"`
	Xmlns                     string                       `xml:"xmlns,attr,omitempty"`
	Comment                   *string                      `xml:"Comment"`
	Name                      string                       `xml:"Name"`
	CorsConfig                *cfCorsConfig                `xml:"CorsConfig"`
	SecurityHeadersConfig     *cfSecurityHeadersConfig     `xml:"SecurityHeadersConfig"`
	ServerTimingHeadersConfig *cfServerTimingHeadersConfig `xml:"ServerTimingHeadersConfig"`
	CustomHeadersConfig       *cfCustomHeadersConfig       `xml:"CustomHeadersConfig"`
	RemoveHeadersConfig       *cfRemoveHeadersConfig       `xml:"RemoveHeadersConfig"`
	Extra                     extra                        `xml:",any"`
}

type cfPolicyDoc struct {
	XMLName          xml.Name       `xml:"ResponseHeadersPolicy"`
	Xmlns            string         `xml:"xmlns,attr,omitempty"`
	ID               string         `xml:"Id"`
	LastModifiedTime string         `xml:"LastModifiedTime"`
	Config           cfPolicyConfig `xml:"ResponseHeadersPolicyConfig"`
}

// responseHeadersPolicy is one stored policy.
type responseHeadersPolicy struct {
	id       string
	managed  bool
	etag     string
	modified time.Time
	config   cfPolicyConfig
}

func (p *responseHeadersPolicy) doc(xmlns bool) cfPolicyDoc {
	d := cfPolicyDoc{ID: p.id, LastModifiedTime: p.modified.UTC().Format("2006-01-02T15:04:05.000Z"), Config: p.config}
	if xmlns {
		d.Xmlns = cfNamespace
	}
	return d
}

// ---- the wire: routing, answers and errors ----

type cfProtocol struct{}

func (cfProtocol) writeResult(w http.ResponseWriter, requestID string, out any) {
	writeXML(w, out, "text/xml", func() { w.Header().Set("X-Amz-Request-Id", requestID) },
		func(err *apiError) { cfProtocol{}.writeError(w, requestID, err) })
}

// writeError writes err as CloudFront does:
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>, with the
// status the model gives the code.
func (cfProtocol) writeError(w http.ResponseWriter, requestID string, err *apiError) {
	code, msg := err.Code, err.Message
	switch code {
	case "ThrottlingException":
		code = "Throttling"
	case "InternalServerError", "InternalFailure", "InternalServerException":
		code = "InternalError"
	case "MissingAuthenticationTokenException":
		code = "MissingAuthenticationToken"
	case "IncompleteSignatureException":
		code = "IncompleteSignature"
	}
	status := http.StatusBadRequest
	kind := "Sender"
	switch code {
	case "NoSuchResponseHeadersPolicy", "NoSuchDistribution", "NoSuchCachePolicy", "NoSuchResource", "NoSuchOrigin", "NoSuchOriginRequestPolicy":
		status = http.StatusNotFound
	case "PreconditionFailed":
		status = http.StatusPreconditionFailed
	case "ResponseHeadersPolicyAlreadyExists", "ResponseHeadersPolicyInUse", "DistributionAlreadyExists", "DistributionNotDisabled",
		"CachePolicyAlreadyExists", "OriginRequestPolicyAlreadyExists", "CNAMEAlreadyExists": // 409 in the model
		status = http.StatusConflict
	case "AccessDenied", "MissingAuthenticationToken":
		status = http.StatusForbidden
	case "MethodNotAllowed":
		status = http.StatusMethodNotAllowed
	case "InternalError":
		status, kind = http.StatusInternalServerError, "Receiver"
	case "ServiceUnavailable", "ServiceUnavailableException":
		status, kind = http.StatusServiceUnavailable, "Receiver"
	}
	body, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}{Xmlns: cfNamespace, Error: struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}{kind, code, msg}, RequestID: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.Header().Set("Content-Length", fmt.Sprint(len(xml.Header)+len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(body)
}

// cfRequest is what a CloudFront operation reads from its HTTP request.
type cfRequest struct {
	id     string // the {Id} of the path
	query  map[string][]string
	header http.Header
	body   []byte
}

func (r cfRequest) first(k string) string {
	if v := r.query[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// serveCloudFront routes a CloudFront request on its method and path.
func (e *Emulator) serveCloudFront(w http.ResponseWriter, r *http.Request) {
	p := cfProtocol{}
	rest, ok := strings.CutPrefix(r.URL.Path, cfPrefix)
	if !ok {
		p.writeError(w, e.requestID(), errf("InvalidArgument", "The emulator serves CloudFront API version 2020-05-31 only, not %s.", r.URL.Path))
		return
	}
	parts := strings.Split(rest, "/")
	type route struct {
		method, path string
	}
	key := route{r.Method, parts[0]}
	id := ""
	if len(parts) > 1 {
		id = parts[1]
		key.path += "/{Id}"
		if len(parts) > 2 {
			key.path += "/" + strings.Join(parts[2:], "/")
		}
	}
	type op struct {
		name string
		run  func(c *call, req cfRequest) (any, error)
	}
	ops := map[route]op{
		{http.MethodGet, "response-headers-policy"}:             {"ListResponseHeadersPolicies", e.listResponseHeadersPolicies},
		{http.MethodPost, "response-headers-policy"}:            {"CreateResponseHeadersPolicy", e.createResponseHeadersPolicy},
		{http.MethodGet, "response-headers-policy/{Id}"}:        {"GetResponseHeadersPolicy", e.getResponseHeadersPolicy},
		{http.MethodGet, "response-headers-policy/{Id}/config"}: {"GetResponseHeadersPolicyConfig", e.getResponseHeadersPolicyConfig},
		{http.MethodPut, "response-headers-policy/{Id}"}:        {"UpdateResponseHeadersPolicy", e.updateResponseHeadersPolicy},
		{http.MethodDelete, "response-headers-policy/{Id}"}:     {"DeleteResponseHeadersPolicy", e.deleteResponseHeadersPolicy},
		{http.MethodGet, "distribution"}:                        {"ListDistributions", e.listDistributions},
		{http.MethodPost, "distribution"}:                       {"CreateDistribution", e.createDistribution},
		{http.MethodGet, "distribution/{Id}"}:                   {"GetDistribution", e.getDistribution},
		{http.MethodGet, "distribution/{Id}/config"}:            {"GetDistributionConfig", e.getDistributionConfig},
		{http.MethodPut, "distribution/{Id}/config"}:            {"UpdateDistribution", e.updateDistribution},
		{http.MethodDelete, "distribution/{Id}"}:                {"DeleteDistribution", e.deleteDistribution},
		{http.MethodGet, "origin-request-policy"}:               {"ListOriginRequestPolicies", e.listOriginRequestPolicies},
		{http.MethodGet, "origin-request-policy/{Id}"}:          {"GetOriginRequestPolicy", e.getOriginRequestPolicy},
		{http.MethodPost, "cache-policy"}:                       {"CreateCachePolicy", e.createCachePolicy},
		{http.MethodPost, "origin-request-policy"}:              {"CreateOriginRequestPolicy", e.createOriginRequestPolicy},
		{http.MethodGet, "cache-policy"}:                        {"ListCachePolicies", e.listCachePolicies},
		{http.MethodGet, "cache-policy/{Id}"}:                   {"GetCachePolicy", e.getCachePolicy},
		{http.MethodGet, "tagging"}:                             {"ListTagsForResource", e.listTagsForResource},
		{http.MethodPost, "tagging"}:                            {"TagResource", e.tagging},
	}
	o, ok := ops[key]
	if !ok {
		p.writeError(w, e.requestID(), errf("NotImplemented", "The emulator does not serve %s %s.", r.Method, r.URL.Path))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		p.writeError(w, e.requestID(), errf("MalformedInput", "The request body could not be read or is too large."))
		return
	}
	req := cfRequest{id: id, query: r.URL.Query(), header: r.Header, body: body}
	c := &call{Service: "cloudfront", Op: o.name, Resource: id}
	e.handle(w, r, p, c, func(c *call) (any, error) { return o.run(c, req) })
}

// ---- response headers policies ----

// cfTrail is the CloudTrail record of a CloudFront write. CloudFront is global: its records
// carry us-east-1 whatever Region the emulator plays.
func (e *Emulator) cfTrail(c *call, request, response map[string]any) []byte {
	ev := e.cloudTrailRecord(c, "aws.cloudfront", "cloudfront.amazonaws.com", request, response)
	var m map[string]any
	if err := json.Unmarshal(ev, &m); err != nil {
		return ev
	}
	m["region"] = "us-east-1"
	if d, ok := m["detail"].(map[string]any); ok {
		d["awsRegion"] = "us-east-1"
		d["apiVersion"] = "2020_05_31"
	}
	out, err := json.Marshal(m)
	if err != nil {
		return ev
	}
	return out
}

// validateConfig checks a ResponseHeadersPolicyConfig by the model's required members and the
// CorsConfig rules CloudFront enforces, with CloudFront's error codes.
func validateConfig(cfg *cfPolicyConfig) error {
	if len(cfg.Extra) > 0 {
		return errf("MalformedInput", "Unexpected element %s in ResponseHeadersPolicyConfig.", cfg.Extra[0].XMLName.Local)
	}
	if strings.TrimSpace(cfg.Name) == "" {
		return errf("InvalidArgument", "The parameter Name is required.")
	}
	if n := utf8.RuneCountInString(cfg.Name); n > 128 {
		return errf("InvalidArgument", "The parameter Name is too long.")
	}
	if cfg.Comment != nil && utf8.RuneCountInString(*cfg.Comment) > cfMaxComment {
		return errf("InvalidArgument", "The parameter Comment is longer than %d characters.", cfMaxComment)
	}
	if err := validateSecurityHeaders(cfg.SecurityHeadersConfig); err != nil {
		return err
	}
	if st := cfg.ServerTimingHeadersConfig; st != nil {
		if st.Enabled == nil {
			return errf("InvalidArgument", "The parameter ServerTimingHeadersConfig.Enabled is required.")
		}
		if r := st.SamplingRate; r != nil && (*r < 0 || *r > 100 || math.Abs(*r*1e4-math.Round(*r*1e4)) > 1e-6) {
			return errf("InvalidArgument", "The parameter ServerTimingHeadersConfig.SamplingRate must be a number from 0 to 100 with up to four decimal places.")
		}
	}
	if err := validateCustomHeaders(cfg.CustomHeadersConfig); err != nil {
		return err
	}
	if h := cfg.RemoveHeadersConfig; h != nil {
		if h.Quantity == nil {
			return errf("InvalidArgument", "The parameter RemoveHeadersConfig.Quantity is required.")
		}
		if *h.Quantity != len(h.Items) {
			return errf("InconsistentQuantities", "The parameter RemoveHeadersConfig.Quantity does not match the number of items.")
		}
		if len(h.Items) > cfMaxRemoveHeaders {
			return errf("TooManyRemoveHeadersInResponseHeadersPolicy", "The number of headers in RemoveHeadersConfig exceeds the maximum of %d.", cfMaxRemoveHeaders)
		}
		for i, it := range h.Items {
			if it.Header == nil || *it.Header == "" {
				return errf("InvalidArgument", "The parameter RemoveHeadersConfig.Items[%d].Header is required.", i)
			}
		}
	}
	if cfg.CorsConfig == nil {
		return nil
	}
	return validateCorsConfig(cfg.CorsConfig)
}

// validateCorsConfig checks a policy's CorsConfig as CloudFront does.
func validateCorsConfig(c *cfCorsConfig) error {
	if len(c.Extra) > 0 {
		return errf("MalformedInput", "Unexpected element %s in CorsConfig.", c.Extra[0].XMLName.Local)
	}
	lists := []struct {
		path, item string
		l          *cfStrings
		required   bool
	}{
		{"CorsConfig.AccessControlAllowOrigins", "Origin", c.AccessControlAllowOrigins, true},
		{"CorsConfig.AccessControlAllowHeaders", "Header", c.AccessControlAllowHeaders, true},
		{"CorsConfig.AccessControlAllowMethods", "Method", c.AccessControlAllowMethods, true},
		{"CorsConfig.AccessControlExposeHeaders", "Header", c.AccessControlExposeHeaders, false},
	}
	for _, l := range lists {
		if err := l.l.check(l.path, l.item, l.required); err != nil {
			return err
		}
	}
	if c.AccessControlAllowCredentials == nil {
		return errf("InvalidArgument", "The parameter CorsConfig.AccessControlAllowCredentials is required.")
	}
	if c.OriginOverride == nil {
		return errf("InvalidArgument", "The parameter CorsConfig.OriginOverride is required.")
	}
	origins := c.AccessControlAllowOrigins.values()
	if len(origins) == 0 {
		return errf("InvalidArgument", "The parameter CorsConfig.AccessControlAllowOrigins must contain at least one origin.")
	}
	for i, o := range origins {
		if utf8.RuneCountInString(o) > cfMaxOrigin {
			return errf("InvalidArgument", "The parameter CorsConfig.AccessControlAllowOrigins.Items[%d] is longer than %d characters, the most an Access-Control-Allow-Origin value may have.", i, cfMaxOrigin)
		}
	}
	methods := c.AccessControlAllowMethods.values()
	if len(methods) == 0 {
		return errf("InvalidArgument", "The parameter CorsConfig.AccessControlAllowMethods must contain at least one method.")
	}
	for i, m := range methods {
		if !slices.Contains(cfMethods, m) {
			return errf("InvalidArgument", "The parameter CorsConfig.AccessControlAllowMethods contains an invalid method %s.", m)
		}
		if slices.Index(methods, m) < i {
			return errf("InvalidArgument", "The parameter CorsConfig.AccessControlAllowMethods contains a duplicate method %s.", m)
		}
	}
	if c.AccessControlMaxAgeSec != nil && *c.AccessControlMaxAgeSec < 0 {
		return errf("InvalidArgument", "The parameter CorsConfig.AccessControlMaxAgeSec must not be negative.")
	}
	return nil
}

// validateSecurityHeaders checks a SecurityHeadersConfig by the model: each header's required
// members (botocore's "required"), the enums of FrameOption and ReferrerPolicy, XSSProtection's
// ReportUri never with ModeBlock (the model's documentation of ReportUri), and the
// Content-Security-Policy value's quota.
func validateSecurityHeaders(s *cfSecurityHeadersConfig) error {
	if s == nil {
		return nil
	}
	if len(s.Extra) > 0 {
		return errf("MalformedInput", "Unexpected element %s in SecurityHeadersConfig.", s.Extra[0].XMLName.Local)
	}
	required := func(path string, present bool) error {
		if !present {
			return errf("InvalidArgument", "The parameter SecurityHeadersConfig.%s is required.", path)
		}
		return nil
	}
	var errs []error
	if x := s.XSSProtection; x != nil {
		errs = append(errs, required("XSSProtection.Override", x.Override != nil), required("XSSProtection.Protection", x.Protection != nil))
		if x.ModeBlock != nil && *x.ModeBlock && x.ReportURI != nil {
			errs = append(errs, errf("InvalidArgument", "The parameter SecurityHeadersConfig.XSSProtection.ReportUri cannot be specified when ModeBlock is true."))
		}
	}
	if f := s.FrameOptions; f != nil {
		errs = append(errs, required("FrameOptions.Override", f.Override != nil), required("FrameOptions.FrameOption", f.FrameOption != nil))
		if f.FrameOption != nil && !slices.Contains(cfFrameOptionValues, *f.FrameOption) {
			errs = append(errs, errf("InvalidArgument", "The parameter SecurityHeadersConfig.FrameOptions.FrameOption must be DENY or SAMEORIGIN, not %s.", *f.FrameOption))
		}
	}
	if r := s.ReferrerPolicy; r != nil {
		errs = append(errs, required("ReferrerPolicy.Override", r.Override != nil), required("ReferrerPolicy.ReferrerPolicy", r.ReferrerPolicy != nil))
		if r.ReferrerPolicy != nil && !slices.Contains(cfReferrerPolicies, *r.ReferrerPolicy) {
			errs = append(errs, errf("InvalidArgument", "The parameter SecurityHeadersConfig.ReferrerPolicy.ReferrerPolicy has an invalid value %s.", *r.ReferrerPolicy))
		}
	}
	if c := s.ContentSecurityPolicy; c != nil {
		errs = append(errs, required("ContentSecurityPolicy.Override", c.Override != nil),
			required("ContentSecurityPolicy.ContentSecurityPolicy", c.ContentSecurityPolicy != nil))
		if c.ContentSecurityPolicy != nil && utf8.RuneCountInString(*c.ContentSecurityPolicy) > cfMaxCSP {
			errs = append(errs, errf("TooLongCSPInResponseHeadersPolicy", "The length of the Content-Security-Policy header value exceeds the maximum of %d characters.", cfMaxCSP))
		}
	}
	if c := s.ContentTypeOptions; c != nil {
		errs = append(errs, required("ContentTypeOptions.Override", c.Override != nil))
	}
	if h := s.StrictTransportSecurity; h != nil {
		errs = append(errs, required("StrictTransportSecurity.Override", h.Override != nil),
			required("StrictTransportSecurity.AccessControlMaxAgeSec", h.AccessControlMaxAgeSec != nil))
		if h.AccessControlMaxAgeSec != nil && *h.AccessControlMaxAgeSec < 0 {
			errs = append(errs, errf("InvalidArgument", "The parameter SecurityHeadersConfig.StrictTransportSecurity.AccessControlMaxAgeSec must not be negative."))
		}
	}
	for _, err := range errs {
		if err != nil {
			return err // the first, as CloudFront answers one error
		}
	}
	return nil
}

// validateCustomHeaders checks a CustomHeadersConfig: Quantity required and equal to the items,
// each item's Header, Value and Override (the model's "required"), at most 10 headers, each
// value at most 1,783 characters and all names and values together at most 10,240 (the quotas
// page).
func validateCustomHeaders(h *cfCustomHeadersConfig) error {
	if h == nil {
		return nil
	}
	if h.Quantity == nil {
		return errf("InvalidArgument", "The parameter CustomHeadersConfig.Quantity is required.")
	}
	if *h.Quantity != len(h.Items) {
		return errf("InconsistentQuantities", "The parameter CustomHeadersConfig.Quantity does not match the number of items.")
	}
	if len(h.Items) > cfMaxCustomHeaders {
		return errf("TooManyCustomHeadersInResponseHeadersPolicy", "The number of custom headers exceeds the maximum of %d.", cfMaxCustomHeaders)
	}
	total := 0
	for i, it := range h.Items {
		switch {
		case it.Header == nil || *it.Header == "":
			return errf("InvalidArgument", "The parameter CustomHeadersConfig.Items[%d].Header is required.", i)
		case it.Value == nil:
			return errf("InvalidArgument", "The parameter CustomHeadersConfig.Items[%d].Value is required.", i)
		case it.Override == nil:
			return errf("InvalidArgument", "The parameter CustomHeadersConfig.Items[%d].Override is required.", i)
		case utf8.RuneCountInString(*it.Value) > cfMaxCustomValue:
			return errf("InvalidArgument", "The parameter CustomHeadersConfig.Items[%d].Value is longer than %d characters.", i, cfMaxCustomValue)
		}
		total += utf8.RuneCountInString(*it.Header) + utf8.RuneCountInString(*it.Value)
	}
	if total > cfMaxCustomTotal {
		return errf("InvalidArgument", "The custom headers' names and values are %d characters together; the maximum is %d.", total, cfMaxCustomTotal)
	}
	return nil
}

// decodeConfig reads the ResponseHeadersPolicyConfig document of a Create or Update.
func decodeConfig(body []byte) (cfPolicyConfig, error) {
	var cfg cfPolicyConfig
	if err := decodeXML(body, &cfg); err != nil {
		return cfg, errf("MalformedInput", "The XML document you provided was invalid.")
	}
	if cfg.XMLName.Local != "ResponseHeadersPolicyConfig" {
		return cfg, errf("MalformedInput", "The root element must be ResponseHeadersPolicyConfig.")
	}
	cfg.XMLName, cfg.Xmlns = xml.Name{Local: "ResponseHeadersPolicyConfig"}, ""
	return cfg, validateConfig(&cfg)
}

func (e *Emulator) newETag() string {
	return strings.ToUpper(strconv.FormatUint(e.id(), 36))
}

// policyLocked returns the policy with id, or NoSuchResponseHeadersPolicy.
func (e *Emulator) policyLocked(id string) (*responseHeadersPolicy, error) {
	p, ok := e.rhPolicies[id]
	if !ok {
		return nil, errf("NoSuchResponseHeadersPolicy", "The response headers policy does not exist.")
	}
	return p, nil
}

func (e *Emulator) nameTakenLocked(name, except string) bool {
	for id, p := range e.rhPolicies {
		if id != except && p.config.Name == name {
			return true
		}
	}
	return false
}

func (e *Emulator) customCountLocked() int {
	n := 0
	for _, p := range e.rhPolicies {
		if !p.managed {
			n++
		}
	}
	return n
}

type cfPolicyList struct {
	XMLName    xml.Name `xml:"ResponseHeadersPolicyList"`
	Xmlns      string   `xml:"xmlns,attr"`
	NextMarker string   `xml:"NextMarker,omitempty"`
	MaxItems   int      `xml:"MaxItems"`
	Quantity   int      `xml:"Quantity"`
	Items      []struct {
		Type   string      `xml:"Type"`
		Policy cfPolicyDoc `xml:"ResponseHeadersPolicy"`
	} `xml:"Items>ResponseHeadersPolicySummary,omitempty"`
}

// maxItems reads the MaxItems query parameter (a string in the model); CloudFront's default
// page is 100 items.
func maxItems(req cfRequest) (int, error) {
	s := req.first("MaxItems")
	if s == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, errf("InvalidArgument", "The parameter MaxItems must be a number from 1 to 1000.")
	}
	return n, nil
}

// page returns the ids of one page of a sorted list of ids, starting at the marker (an id),
// and the marker of the next page ("" when none).
func page(ids []string, marker string, n int) ([]string, string) {
	start := 0
	if marker != "" {
		start, _ = slices.BinarySearch(ids, marker)
	}
	end := min(start+n, len(ids))
	next := ""
	if end < len(ids) {
		next = ids[end]
	}
	return ids[start:end], next
}

func (e *Emulator) listResponseHeadersPolicies(c *call, req cfRequest) (any, error) {
	typ, n, err := listTypeAndSize(req)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		ids, next := typedPage(e.rhPolicies, func(p *responseHeadersPolicy) bool { return p.managed }, typ, req.first("Marker"), n)
		out := cfPolicyList{Xmlns: cfNamespace, MaxItems: n, Quantity: len(ids), NextMarker: next}
		for _, id := range ids {
			p := e.rhPolicies[id]
			out.Items = append(out.Items, struct {
				Type   string      `xml:"Type"`
				Policy cfPolicyDoc `xml:"ResponseHeadersPolicy"`
			}{typeName(p.managed), p.doc(false)})
		}
		return out, nil
	})
}

// listTypeAndSize reads a list call's Type filter (custom, managed, or both when absent) and
// MaxItems, as ListResponseHeadersPolicies and ListCachePolicies take them.
func listTypeAndSize(req cfRequest) (typ string, n int, err error) {
	typ = req.first("Type")
	if typ != "" && typ != "custom" && typ != "managed" {
		return "", 0, errf("InvalidArgument", "The parameter Type must be custom or managed.")
	}
	n, err = maxItems(req)
	return typ, n, err
}

// typedPage returns the ids of the policies of type typ ("" for both) in order, from marker on,
// at most n of them, and the marker of the next page.
func typedPage[P any](policies map[string]P, managed func(P) bool, typ, marker string, n int) ([]string, string) {
	var ids []string
	for id, p := range policies {
		if typ == "" || (typ == "managed") == managed(p) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return page(ids, marker, n)
}

// typeName is a policy's Type in a list: managed by AWS, or custom.
func typeName(managed bool) string {
	if managed {
		return "managed"
	}
	return "custom"
}

func (e *Emulator) getResponseHeadersPolicy(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		p, err := e.policyLocked(req.id)
		if err != nil {
			return nil, err
		}
		return xmlAnswer{header: map[string]string{"ETag": p.etag}, body: p.doc(true)}, nil
	})
}

func (e *Emulator) getResponseHeadersPolicyConfig(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		p, err := e.policyLocked(req.id)
		if err != nil {
			return nil, err
		}
		cfg := p.config
		cfg.Xmlns = cfNamespace
		return xmlAnswer{header: map[string]string{"ETag": p.etag}, body: cfg}, nil
	})
}

func (e *Emulator) createResponseHeadersPolicy(c *call, req cfRequest) (any, error) {
	cfg, err := decodeConfig(req.body)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		if e.nameTakenLocked(cfg.Name, "") {
			return nil, errf("ResponseHeadersPolicyAlreadyExists", "A response headers policy with this name already exists.")
		}
		if e.customCountLocked() >= CloudFrontPolicyQuota {
			return nil, errf("TooManyResponseHeadersPolicies", "You have reached the maximum number of response headers policies for this AWS account.")
		}
		p := &responseHeadersPolicy{id: uuid(e.id(), e.id()), etag: e.newETag(), modified: c.Time, config: cfg}
		e.rhPolicies[p.id] = p
		c.events = append(c.events, e.cfTrail(c,
			map[string]any{"responseHeadersPolicyConfig": map[string]any{"name": cfg.Name}},
			map[string]any{"responseHeadersPolicy": map[string]any{"id": p.id,
				"responseHeadersPolicyConfig": map[string]any{"name": cfg.Name}}, "eTag": p.etag}))
		return xmlAnswer{status: http.StatusCreated, body: p.doc(true), header: map[string]string{
			"ETag":     p.etag,
			"Location": "https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/" + p.id,
		}}, nil
	})
}

func (e *Emulator) updateResponseHeadersPolicy(c *call, req cfRequest) (any, error) {
	cfg, err := decodeConfig(req.body)
	if err != nil {
		return nil, err
	}
	ifMatch := req.header.Get("If-Match")
	return e.locked(c, func() (any, error) {
		p, err := e.policyLocked(req.id)
		if err != nil {
			return nil, err
		}
		if p.managed {
			return nil, errf("IllegalUpdate", "You cannot update a managed response headers policy.")
		}
		if ifMatch == "" {
			return nil, errf("InvalidIfMatchVersion", "The If-Match version is missing or not valid.")
		}
		if ifMatch != p.etag {
			return nil, errf("PreconditionFailed", "The request failed because it didn't meet the preconditions in one or more request-header fields.")
		}
		if e.nameTakenLocked(cfg.Name, p.id) {
			return nil, errf("ResponseHeadersPolicyAlreadyExists", "A response headers policy with this name already exists.")
		}
		p.config, p.etag, p.modified = cfg, e.newETag(), c.Time
		c.events = append(c.events, e.cfTrail(c,
			map[string]any{"id": p.id, "ifMatch": ifMatch,
				"responseHeadersPolicyConfig": map[string]any{"name": cfg.Name}},
			map[string]any{"responseHeadersPolicy": map[string]any{"id": p.id,
				"responseHeadersPolicyConfig": map[string]any{"name": cfg.Name}}, "eTag": p.etag}))
		return xmlAnswer{body: p.doc(true), header: map[string]string{"ETag": p.etag}}, nil
	})
}

func (e *Emulator) deleteResponseHeadersPolicy(c *call, req cfRequest) (any, error) {
	ifMatch := req.header.Get("If-Match")
	return e.locked(c, func() (any, error) {
		p, err := e.policyLocked(req.id)
		if err != nil {
			return nil, err
		}
		if p.managed {
			return nil, errf("AccessDenied", "You cannot delete a managed response headers policy.")
		}
		if ifMatch == "" {
			return nil, errf("InvalidIfMatchVersion", "The If-Match version is missing or not valid.")
		}
		if ifMatch != p.etag {
			return nil, errf("PreconditionFailed", "The request failed because it didn't meet the preconditions in one or more request-header fields.")
		}
		if e.responseHeadersPolicyInUseLocked(p.id) {
			return nil, errf("ResponseHeadersPolicyInUse", "Cannot delete the response headers policy because it is attached to one or more cache behaviors in a CloudFront distribution.")
		}
		delete(e.rhPolicies, p.id)
		return xmlAnswer{status: http.StatusNoContent}, nil
	})
}
