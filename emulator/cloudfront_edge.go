package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is CloudFront's data plane: what a distribution's domain (dXXXX.cloudfront.net)
// answers. Sources (CloudFront Developer Guide, https://docs.aws.amazon.com/AmazonCloudFront/
// latest/DeveloperGuide/), cited where each rule is applied:
//   - [PATH] "Cache behavior settings: Path pattern": behaviours are matched in order, the
//     default (*) last; "*" matches any run of characters, "?" exactly one; case-sensitive.
//   - [METH] "Cache behavior settings: Allowed HTTP methods": GET, HEAD; GET, HEAD, OPTIONS;
//     or all seven. A method outside them is refused by CloudFront with 403.
//   - [KEY] "Understand cache policies": "The values included in the cache key are
//     automatically included in requests that CloudFront sends to the origin"; the key holds
//     the URL path and what the policy lists (headers, cookies, query strings), and the
//     normalized Accept-Encoding when EnableAcceptEncodingGzip/Brotli is on. Nothing else
//     splits the cache: CloudFront does not honour the origin's Vary beyond Accept-Encoding
//     ("Control the cache key with a policy"; "Caching content based on request headers":
//     "CloudFront caches based on the values of the headers you specify"), so an answer
//     cached for one Origin is served to every other.
//   - [ORP] "Understand origin request policies": the headers, cookies and query strings it
//     lists are forwarded to the origin, and are not in the cache key.
//   - [TTL] "Manage how long content stays in the cache (expiration)": the origin's
//     Cache-Control max-age, bounded by the policy's MinTTL and MaxTTL; DefaultTTL without
//     one; errors (4xx, 5xx) are cached for 10 seconds by default ("Error caching minimum
//     TTL").
//   - [RHP] "Understand response headers policies: CORS headers": the policy's CORS headers
//     are added to responses to CORS requests (those with an Origin the policy allows);
//     OriginOverride decides whether they replace the origin's own. They are added to every
//     response CloudFront sends, from the cache or not.
//   - [HDR] "Adding, removing, or replacing headers" and "HTTP headers CloudFront adds":
//     X-Cache ("Hit from cloudfront", "Miss from cloudfront", "Error from cloudfront"), Age
//     on answers from the cache, Via, X-Amz-Cf-Pop, X-Amz-Cf-Id; the origin's other headers,
//     Vary among them, pass through.
// moto has no CloudFront data plane; nothing here is held to it.

// cfSeedAllowed and cfSeedCached are the methods of a seeded behaviour (AddDistribution) that
// names none; one created through the API always has its own. cfMethodSets are the three sets
// CloudFront accepts [METH].
var (
	cfSeedAllowed = []string{"HEAD", "GET", "OPTIONS"}
	cfSeedCached  = []string{"HEAD", "GET"}
	cfMethodSets  = [][]string{
		{"GET", "HEAD"},
		{"GET", "HEAD", "OPTIONS"},
		{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"},
	}
)

// cfErrorTTL is how long CloudFront caches an error answer by default [TTL].
const cfErrorTTL = 10 * time.Second

// edgeEntry is one cached answer.
type edgeEntry struct {
	status  int
	header  http.Header
	body    []byte
	stored  time.Time
	expires time.Time
}

// originRequestPolicy is a managed origin request policy: the viewer headers it forwards.
type originRequestPolicy struct {
	id, name  string
	allViewer bool     // every viewer header
	except    []string // with allViewer: every viewer header but these (lower case)
	headers   []string // lower case
	queryAll  bool     // query strings are forwarded (S3 origins ignore them)
	custom    bool
	etag      string
}

// managedOriginRequestPolicies are AWS's managed origin request policies with their IDs
// ("Use managed origin request policies"). They are fixed: a table, not state.
var managedOriginRequestPolicies = map[string]originRequestPolicy{
	ManagedAllViewer:                     {id: ManagedAllViewer, name: "Managed-AllViewer", allViewer: true, queryAll: true},
	ManagedAllViewerAndCloudFrontHeaders: {id: ManagedAllViewerAndCloudFrontHeaders, name: "Managed-AllViewerAndCloudFrontHeaders-2022-06", allViewer: true, queryAll: true},
	ManagedAllViewerExceptHostHeader:     {id: ManagedAllViewerExceptHostHeader, name: "Managed-AllViewerExceptHostHeader", allViewer: true, except: []string{"host"}, queryAll: true},
	ManagedCORSCustomOrigin:              {id: ManagedCORSCustomOrigin, name: "Managed-CORS-CustomOrigin", headers: []string{"origin"}},
	ManagedCORSS3Origin:                  {id: ManagedCORSS3Origin, name: "Managed-CORS-S3Origin", headers: []string{"origin", "access-control-request-headers", "access-control-request-method"}},
	ManagedMediaTailorPersonalized: {id: ManagedMediaTailorPersonalized, name: "Managed-Elemental-MediaTailor-PersonalizedManifests",
		headers: []string{"origin", "access-control-request-headers", "x-forwarded-for", "access-control-request-method", "user-agent"}, queryAll: true},
	ManagedHostHeaderOnly:          {id: ManagedHostHeaderOnly, name: "Managed-HostHeaderOnly", headers: []string{"host"}},
	ManagedUserAgentRefererHeaders: {id: ManagedUserAgentRefererHeaders, name: "Managed-UserAgentRefererHeaders", headers: []string{"user-agent", "referer"}},
}

// IDs of AWS's managed origin request policies and of the managed cache and response headers
// policies cloudfront_dist.go does not name ("Use managed cache policies", "Use managed
// origin request policies", "Use managed response headers policies").
const (
	ManagedAllViewer                       = "216adef6-5c7f-47e4-b989-5492eafa07d3"
	ManagedAllViewerAndCloudFrontHeaders   = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
	ManagedAllViewerExceptHostHeader       = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	ManagedCORSCustomOrigin                = "59781a5b-3903-41f3-afcb-af62929ccde1"
	ManagedCORSS3Origin                    = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"
	ManagedMediaTailorPersonalized         = "775133bc-15f2-49f9-abea-afb2e0bf67d2"
	ManagedHostHeaderOnly                  = "bf0718e1-ba1e-49d1-88b1-f726733018ae"
	ManagedUserAgentRefererHeaders         = "acba4595-bd28-49b8-b9fe-13317c0390fa"
	ManagedAmplify                         = "2e54312d-136d-493c-8eb9-b001f22f67d2"
	ManagedCachingOptimizedUncompressed    = "b2884449-e4de-46a7-ac36-70bc7f1ddd6d"
	ManagedUseOriginCacheControlHeaders    = "83da9c7e-98b4-4e11-a168-04f0df8e2c65"
	ManagedUseOriginCacheControlHeadersQS  = "4cc15a8a-d715-48a4-82b8-cc0b614638fe"
	ManagedCORSWithPreflightAndSecurityHdr = "eaab4381-ed33-4a86-88ca-d9558dc6cd63"
)

// distributionForHostLocked returns the distribution whose domain name or alternate domain
// name (CNAME, Aliases) is host, or nil.
func (e *Emulator) distributionForHostLocked(host string) *Distribution {
	for _, d := range e.distributions {
		if strings.EqualFold(d.DomainName, host) || slices.ContainsFunc(d.Aliases, func(a string) bool { return strings.EqualFold(a, host) }) {
			return d
		}
	}
	return nil
}

// behaviorFor picks the behaviour whose path pattern matches p, the default last [PATH].
func (d *Distribution) behaviorFor(p string) Behavior {
	for _, b := range d.Behaviors {
		pattern := b.PathPattern
		if !strings.HasPrefix(pattern, "/") {
			pattern = "/" + pattern
		}
		// path.Match's "*" stops at "/"; CloudFront's does not: match with "/" made ordinary.
		if ok, _ := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(p, "/", "\x00")); ok {
			return b
		}
	}
	return d.DefaultBehavior
}

// allowedMethods and cachedMethods are a behaviour's, with the API's defaults.
func (b Behavior) allowedMethods() []string {
	if len(b.AllowedMethods) == 0 {
		return cfSeedAllowed
	}
	return b.AllowedMethods
}

func (b Behavior) cachedMethods() []string {
	if len(b.CachedMethods) == 0 {
		return cfSeedCached
	}
	return b.CachedMethods
}

// origin returns the origin a behaviour targets.
func (d *Distribution) origin(id string) (Origin, bool) {
	for _, o := range d.Origins {
		if o.ID == id {
			return o, true
		}
	}
	if len(d.Origins) == 0 && d.OriginDomain != "" {
		return Origin{ID: id, DomainName: d.OriginDomain}, true
	}
	return Origin{}, false
}

// serveEdge answers a viewer request to a distribution's domain.
func (e *Emulator) serveEdge(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(hostOnly(r.Host))
	cfID := e.edgeRequestID()
	now := e.clock.Now()

	e.mu.Lock()
	d := e.distributionForHostLocked(host)
	if d == nil || d.disabled {
		e.mu.Unlock()
		writeEdgeError(w, cfID, http.StatusForbidden, "Bad request.", "We can't connect to the server for this app or website at this time.")
		return
	}
	e.calls.add("EdgeRequest", d.ID)
	b := d.behaviorFor(r.URL.Path)
	if !slices.Contains(b.allowedMethods(), r.Method) { // [METH]
		e.mu.Unlock()
		writeEdgeError(w, cfID, http.StatusForbidden, "Bad request.",
			"This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.")
		return
	}
	cp := e.cachePolicies[b.CachePolicyID] // nil: legacy ForwardedValues
	orp, hasORP := e.originRequestPolicyLocked(b.OriginRequestPolicyID)
	var rhp *cfCorsConfig
	if p, ok := e.rhPolicies[b.ResponseHeadersPolicyID]; ok {
		rhp = p.config.CorsConfig
	}
	o, ok := d.origin(b.TargetOriginID)
	keyHeaders, forward := edgeHeaders(cp, b, orp, hasORP)
	key := edgeKey(r, cp, keyHeaders)
	cacheable := slices.Contains(b.cachedMethods(), r.Method) && (cp == nil || cp.maxTTL > 0)
	if d.cache == nil {
		d.cache = map[string]*edgeEntry{}
	}
	entry, hit := d.cache[key]
	if hit && !now.Before(entry.expires) {
		delete(d.cache, key)
		hit = false
	}
	e.mu.Unlock()

	if !ok {
		writeEdgeError(w, cfID, http.StatusBadGateway, "Bad gateway.", "CloudFront wasn't able to connect to the origin.")
		return
	}
	xcache := "Hit from cloudfront"
	if !hit || !cacheable {
		xcache = "Miss from cloudfront"
		entry = e.fetchOrigin(r.Context(), r, o, forward, hasORP && orp.queryAll || cp != nil && cp.queryAll)
		entry.stored = now
		if ttl := edgeTTL(cp, entry); cacheable && ttl > 0 {
			entry.expires = now.Add(ttl)
			e.mu.Lock()
			if d.cache == nil {
				d.cache = map[string]*edgeEntry{}
			}
			d.cache[key] = entry
			e.mu.Unlock()
		}
		hit = false
	}
	h := w.Header()
	for k, v := range entry.header {
		h[k] = slices.Clone(v)
	}
	if hit { // [HDR]
		h.Set("Age", strconv.Itoa(int(now.Sub(entry.stored)/time.Second)))
	}
	applyResponseHeadersCORS(h, rhp, r) // [RHP]: every answer, cached or not
	h.Set("X-Cache", xcache)
	h.Set("Via", "1.1 "+edgeVia(cfID)+".cloudfront.net (CloudFront)")
	h.Set("X-Amz-Cf-Pop", "EMU50-C1")
	h.Set("X-Amz-Cf-Id", cfID)
	if r.Method != http.MethodHead || h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(entry.body)))
	}
	w.WriteHeader(entry.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(entry.body)
	}
}

// edgeHeaders returns the viewer headers in the cache key (lower case) and a function telling
// whether a viewer header is forwarded to the origin: the key's [KEY] and the origin request
// policy's [ORP]; a behaviour without a cache policy forwards, and keys on, its legacy
// ForwardedValues headers.
func edgeHeaders(cp *cachePolicy, b Behavior, orp originRequestPolicy, hasORP bool) ([]string, func(string) bool) {
	var key []string
	if cp != nil {
		for _, h := range cp.headers {
			key = append(key, strings.ToLower(h))
		}
	} else {
		for _, h := range b.ForwardedHeaders {
			key = append(key, strings.ToLower(h))
		}
	}
	return key, func(name string) bool {
		name = strings.ToLower(name)
		if slices.Contains(key, name) {
			return true
		}
		if !hasORP {
			return false
		}
		if orp.allViewer {
			return !slices.Contains(orp.except, name)
		}
		return slices.Contains(orp.headers, name)
	}
}

// edgeKey is the cache key of a request [KEY]: the method (GET, HEAD and OPTIONS answers are
// not interchangeable; the guide is silent on how it keeps them apart), the path, the query
// string when the policy keys on it, the key headers' values, and the normalized
// Accept-Encoding when the policy enables compression.
func edgeKey(r *http.Request, cp *cachePolicy, headers []string) string {
	var k strings.Builder
	k.WriteString(r.Method + " " + r.URL.Path)
	if cp != nil {
		q := r.URL.Query()
		for name := range q {
			if !cp.queryAll && slices.Contains(cp.queryNames, name) == cp.queryExcept {
				delete(q, name)
			}
		}
		k.WriteString("?" + q.Encode())
	}
	for _, h := range headers {
		fmt.Fprintf(&k, "\n%s: %s", h, strings.Join(r.Header.Values(h), ","))
	}
	if cp != nil && (cp.gzip || cp.brotli) {
		ae := strings.ToLower(r.Header.Get("Accept-Encoding"))
		norm := ""
		if cp.brotli && strings.Contains(ae, "br") {
			norm = "br"
		}
		if cp.gzip && strings.Contains(ae, "gzip") {
			norm += ",gzip"
		}
		k.WriteString("\naccept-encoding: " + norm)
	}
	return k.String()
}

// edgeTTL is how long an answer stays cached [TTL].
func edgeTTL(cp *cachePolicy, a *edgeEntry) time.Duration {
	if a.status >= 400 {
		return cfErrorTTL
	}
	minTTL, defTTL, maxTTL := int64(0), int64(86400), int64(31536000) // legacy settings' defaults
	if cp != nil {
		minTTL, defTTL, maxTTL = cp.minTTL, cp.defaultTTL, cp.maxTTL
	}
	ttl := defTTL
	for d := range strings.SplitSeq(a.header.Get("Cache-Control"), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(strings.ToLower(d)), "max-age="); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				ttl = n
			}
		}
	}
	ttl = max(minTTL, min(ttl, maxTTL))
	return time.Duration(ttl) * time.Second
}

// fetchOrigin sends the origin request: the viewer's method and path under the origin's
// path, the forwarded viewer headers, and the query string when forwarded. An S3 origin of
// the emulator answers in-process, as its data plane (dataplane.go) answers a viewer.
func (e *Emulator) fetchOrigin(ctx context.Context, viewer *http.Request, o Origin, forward func(string) bool, query bool) *edgeEntry {
	target := "http://" + o.DomainName + o.OriginPath + viewer.URL.EscapedPath()
	if query && viewer.URL.RawQuery != "" {
		target += "?" + viewer.URL.RawQuery
	}
	req, err := http.NewRequestWithContext(ctx, viewer.Method, target, nil)
	if err != nil {
		return edgeErrorEntry(http.StatusBadGateway, "Bad gateway.", "CloudFront wasn't able to connect to the origin.")
	}
	for name, values := range viewer.Header {
		if forward(name) && !strings.EqualFold(name, "Host") {
			req.Header[name] = slices.Clone(values)
		}
	}
	if _, isS3 := parseS3Host(o.DomainName); !isS3 {
		return edgeErrorEntry(http.StatusBadGateway, "Bad gateway.", "CloudFront wasn't able to connect to the origin (the emulator serves S3 origins only).")
	}
	rec := &recorder{header: http.Header{}}
	h, _ := parseS3Host(o.DomainName)
	e.serveS3DataPlane(rec, req, h)
	return &edgeEntry{status: rec.status, header: rec.header, body: rec.body.Bytes()}
}

// applyResponseHeadersCORS adds a response headers policy's CORS headers to an answer to a
// request whose Origin the policy allows [RHP]. With OriginOverride false, a header the origin
// sent is kept; with true, the policy's replaces it. A preflight (OPTIONS with
// Access-Control-Request-Method) gets the methods, headers and max age; other answers get the
// exposed headers. The guide is silent on what happens to the origin's CORS headers when the
// viewer's Origin is not in the policy: they pass through unchanged here.
func applyResponseHeadersCORS(h http.Header, c *cfCorsConfig, r *http.Request) {
	origin := r.Header.Get("Origin")
	if c == nil || origin == "" {
		return
	}
	allow := ""
	for _, o := range c.AccessControlAllowOrigins.values() {
		if o == "*" {
			allow = "*"
			break
		}
		if wildcardMatch(o, origin, false) {
			allow = origin
			break
		}
	}
	if allow == "" {
		return
	}
	override := c.OriginOverride != nil && *c.OriginOverride
	set := func(k, v string) {
		if override || h.Get(k) == "" {
			h.Set(k, v)
		}
	}
	set("Access-Control-Allow-Origin", allow)
	if c.AccessControlAllowCredentials != nil && *c.AccessControlAllowCredentials {
		set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		methods := c.AccessControlAllowMethods.values()
		if slices.Contains(methods, "ALL") {
			methods = cfMethodSets[2]
		}
		set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
		if hs := c.AccessControlAllowHeaders.values(); len(hs) > 0 {
			set("Access-Control-Allow-Headers", strings.Join(hs, ", "))
		}
		if c.AccessControlMaxAgeSec != nil {
			set("Access-Control-Max-Age", strconv.FormatInt(*c.AccessControlMaxAgeSec, 10))
		}
		return
	}
	if hs := c.AccessControlExposeHeaders.values(); len(hs) > 0 {
		set("Access-Control-Expose-Headers", strings.Join(hs, ", "))
	}
}

// edgeErrorEntry is an answer CloudFront makes itself: its HTML error page.
func edgeErrorEntry(status int, title, detail string) *edgeEntry {
	body := fmt.Sprintf("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n"+
		"<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n"+
		"<H1>%d ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n%s\n%s\n<BR clear=\"all\">\n<HR noshade size=\"1px\">\n<PRE>\nGenerated by cloudfront (CloudFront)\n</PRE>\n</BODY></HTML>",
		status, title, detail)
	h := http.Header{}
	h.Set("Content-Type", "text/html")
	h.Set("Server", "CloudFront")
	return &edgeEntry{status: status, header: h, body: []byte(body)}
}

func writeEdgeError(w http.ResponseWriter, cfID string, status int, title, detail string) {
	a := edgeErrorEntry(status, title, detail)
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Cache", "Error from cloudfront")
	w.Header().Set("Via", "1.1 "+edgeVia(cfID)+".cloudfront.net (CloudFront)")
	w.Header().Set("X-Amz-Cf-Pop", "EMU50-C1")
	w.Header().Set("X-Amz-Cf-Id", cfID)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(status)
	_, _ = w.Write(a.body)
}

// edgeRequestID is an X-Amz-Cf-Id: 56 characters of URL-safe base64, as CloudFront's.
func (e *Emulator) edgeRequestID() string {
	var b [42]byte
	for i := 0; i < len(b); i += 8 {
		v := e.id()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.URLEncoding.EncodeToString(b[:])
}

// edgeVia is the 32 hex characters of a Via header's host, from the request's id.
func edgeVia(cfID string) string {
	return fmt.Sprintf("%x", []byte(cfID))[:32]
}

// recorder is an in-memory http.ResponseWriter for origin requests served in-process.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
