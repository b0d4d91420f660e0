package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

// behavior is a cache behaviour for CreateDistribution with an S3 origin "s3".
func behavior(path string, methods []cftypes.Method, cachePolicy, originRequestPolicy, responseHeadersPolicy string) cftypes.CacheBehavior {
	b := cftypes.CacheBehavior{PathPattern: aws.String(path), TargetOriginId: aws.String("s3"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
		AllowedMethods: &cftypes.AllowedMethods{Quantity: aws.Int32(int32(len(methods))), Items: methods,
			CachedMethods: &cftypes.CachedMethods{Quantity: aws.Int32(2), Items: []cftypes.Method{"GET", "HEAD"}}},
		CachePolicyId: aws.String(cachePolicy)}
	if originRequestPolicy != "" {
		b.OriginRequestPolicyId = aws.String(originRequestPolicy)
	}
	if responseHeadersPolicy != "" {
		b.ResponseHeadersPolicyId = aws.String(responseHeadersPolicy)
	}
	return b
}

var getHeadOptions = []cftypes.Method{"GET", "HEAD", "OPTIONS"}

func distributionConfig(ref string, behaviors ...cftypes.CacheBehavior) *cftypes.DistributionConfig {
	def := behavior("", getHeadOptions, emulator.ManagedCachingOptimized, emulator.ManagedCORSS3Origin, "")
	cfg := &cftypes.DistributionConfig{CallerReference: aws.String(ref), Comment: aws.String("media"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("s3"),
			DomainName: aws.String("media.s3.us-east-1.amazonaws.com"), S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: def.TargetOriginId, ViewerProtocolPolicy: def.ViewerProtocolPolicy,
			AllowedMethods: def.AllowedMethods, CachePolicyId: def.CachePolicyId, OriginRequestPolicyId: def.OriginRequestPolicyId},
	}
	if len(behaviors) > 0 {
		cfg.CacheBehaviors = &cftypes.CacheBehaviors{Quantity: aws.Int32(int32(len(behaviors))), Items: behaviors}
	}
	return cfg
}

func TestCloudFrontDistributionAPIOverTheSDK(t *testing.T) {
	f := newFixture(t)
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	created := must[*cloudfront.CreateDistributionOutput](t)(cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
		DistributionConfig: distributionConfig("one", behavior("/hls/*", []cftypes.Method{"GET", "HEAD"}, emulator.ManagedCachingDisabled, "", emulator.ManagedSimpleCORS))}))
	d := created.Distribution
	id := aws.ToString(d.Id)
	if len(id) != 14 || id[0] != 'E' || aws.ToString(d.DomainName) != "d"+strings.ToLower(id[1:])+".cloudfront.net" ||
		aws.ToString(d.Status) != "Deployed" || aws.ToString(created.ETag) == "" ||
		aws.ToString(d.DistributionConfig.CacheBehaviors.Items[0].ResponseHeadersPolicyId) != emulator.ManagedSimpleCORS {
		t.Errorf("created %+v", d)
	}
	got := must[*cloudfront.GetDistributionConfigOutput](t)(cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: d.Id}))
	if aws.ToString(got.ETag) != aws.ToString(created.ETag) || aws.ToString(got.DistributionConfig.CallerReference) != "one" {
		t.Errorf("config %+v", got)
	}
	cfg := got.DistributionConfig
	cfg.Comment = aws.String("changed")
	_, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: d.Id, DistributionConfig: cfg})
	wantCode(t, err, "InvalidIfMatchVersion")
	_, err = cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: d.Id, DistributionConfig: cfg, IfMatch: aws.String("STALE")})
	wantCode(t, err, "PreconditionFailed")
	updated := must[*cloudfront.UpdateDistributionOutput](t)(cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: d.Id, DistributionConfig: cfg, IfMatch: got.ETag}))
	if aws.ToString(updated.Distribution.DistributionConfig.Comment) != "changed" || aws.ToString(updated.ETag) == aws.ToString(got.ETag) {
		t.Errorf("updated %+v", updated.Distribution)
	}
	list := must[*cloudfront.ListDistributionsOutput](t)(cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{}))
	if aws.ToInt32(list.DistributionList.Quantity) != 1 || aws.ToString(list.DistributionList.Items[0].Comment) != "changed" ||
		list.DistributionList.Items[0].CacheBehaviors.Items[0].AllowedMethods.Items[0] != "GET" {
		t.Errorf("listed %+v", list.DistributionList.Items)
	}
	_, err = cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: d.Id, IfMatch: updated.ETag})
	wantCode(t, err, "DistributionNotDisabled")

	bad := func(mutate func(*cftypes.DistributionConfig)) error {
		c := distributionConfig(uuidish(t))
		mutate(c)
		_, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: c})
		return err
	}
	wantCode(t, bad(func(c *cftypes.DistributionConfig) { c.CallerReference = aws.String("one") }), "DistributionAlreadyExists")
	wantCode(t, bad(func(c *cftypes.DistributionConfig) { c.DefaultCacheBehavior.TargetOriginId = aws.String("nope") }), "NoSuchOrigin")
	wantCode(t, bad(func(c *cftypes.DistributionConfig) { c.DefaultCacheBehavior.CachePolicyId = aws.String("nope") }), "NoSuchCachePolicy")
	wantCode(t, bad(func(c *cftypes.DistributionConfig) { c.DefaultCacheBehavior.OriginRequestPolicyId = aws.String("nope") }), "NoSuchOriginRequestPolicy")
	wantCode(t, bad(func(c *cftypes.DistributionConfig) {
		c.DefaultCacheBehavior.ResponseHeadersPolicyId = aws.String("nope")
	}), "NoSuchResponseHeadersPolicy")
	wantCode(t, bad(func(c *cftypes.DistributionConfig) {
		c.DefaultCacheBehavior.AllowedMethods = &cftypes.AllowedMethods{Quantity: aws.Int32(2), Items: []cftypes.Method{"GET", "PUT"}}
	}), "InvalidArgument")
	wantCode(t, bad(func(c *cftypes.DistributionConfig) {
		c.DefaultCacheBehavior.AllowedMethods = &cftypes.AllowedMethods{Quantity: aws.Int32(3), Items: []cftypes.Method{"GET", "HEAD"}}
	}), "InconsistentQuantities")
	wantCode(t, bad(func(c *cftypes.DistributionConfig) { c.DefaultCacheBehavior.CachePolicyId = nil }), "InvalidArgument")
	if n := len(must[*cloudfront.ListDistributionsOutput](t)(cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})).DistributionList.Items); n != 1 {
		t.Errorf("refused creations left %d distributions, want 1", n)
	}
	orp := must[*cloudfront.GetOriginRequestPolicyOutput](t)(cf.GetOriginRequestPolicy(ctx, &cloudfront.GetOriginRequestPolicyInput{Id: aws.String(emulator.ManagedCORSS3Origin)}))
	if h := orp.OriginRequestPolicy.OriginRequestPolicyConfig.HeadersConfig; h.Headers == nil || len(h.Headers.Items) != 3 {
		t.Errorf("CORS-S3Origin forwards %+v", h)
	}
}

// edge sends a viewer request to a distribution's domain on the emulator's plain HTTP port.
func edge(t *testing.T, url, domain, method, path string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = domain
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}

// The data plane of a distribution: behaviours by path, a cache keyed only as the cache policy
// says (the origin's Vary passes through and splits nothing), forwarding by the origin request
// policy, X-Cache and Age, the 403 for a method the behaviour does not allow, and the response
// headers policy's CORS with OriginOverride on every answer.
func TestCloudFrontEdgeCachesAsItsPoliciesSay(t *testing.T) {
	f := newFixture(t)
	must[error](t)(nil, f.emu.SeedBucket("media", "", []map[string]any{
		{"AllowedOrigins": []string{"https://a.example.com", "https://b.example.com"}, "AllowedMethods": []string{"GET", "HEAD"}, "AllowedHeaders": []string{"*"}},
	}, nil))
	for _, k := range []string{"clip.mp4", "nocache/clip.mp4", "keyed/clip.mp4", "get-only/clip.mp4", "override/clip.mp4", "kept/clip.mp4", "noforward/clip.mp4"} {
		must[error](t)(nil, f.emu.PutObject("media", k, "video/mp4", []byte("clip")))
	}
	f.emu.AddCachePolicy(emulator.CachePolicy{ID: "cp-origin", Name: "keyed-on-origin", Headers: []string{"Origin"}})
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	policy := func(name string, origins []string, override bool) string {
		cfg := sampleConfig(name)
		cfg.CorsConfig.AccessControlAllowOrigins = &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(int32(len(origins))), Items: origins}
		cfg.CorsConfig.OriginOverride = aws.Bool(override)
		return aws.ToString(must[*cloudfront.CreateResponseHeadersPolicyOutput](t)(cf.CreateResponseHeadersPolicy(ctx,
			&cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: cfg})).ResponseHeadersPolicy.Id)
	}
	override, kept := policy("override", []string{"*"}, true), policy("kept", []string{"*"}, false)
	out := must[*cloudfront.CreateDistributionOutput](t)(cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: distributionConfig("edge",
		behavior("/nocache/*", getHeadOptions, emulator.ManagedCachingDisabled, emulator.ManagedCORSS3Origin, ""),
		behavior("/keyed/*", getHeadOptions, "cp-origin", "", ""),
		behavior("/get-only/*", []cftypes.Method{"GET", "HEAD"}, emulator.ManagedCachingDisabled, emulator.ManagedCORSS3Origin, ""),
		behavior("/override/*", getHeadOptions, emulator.ManagedCachingOptimized, emulator.ManagedCORSS3Origin, override),
		behavior("/kept/*", getHeadOptions, emulator.ManagedCachingDisabled, emulator.ManagedCORSS3Origin, kept),
		behavior("/noforward/*", getHeadOptions, emulator.ManagedCachingDisabled, "", ""),
	)}))
	domain := aws.ToString(out.Distribution.DomainName)
	A, B := map[string]string{"Origin": "https://a.example.com"}, map[string]string{"Origin": "https://b.example.com"}
	check := func(name string, resp *http.Response, status int, xcache, acao, age string) {
		t.Helper()
		if resp.StatusCode != status || resp.Header.Get("X-Cache") != xcache || resp.Header.Get("Access-Control-Allow-Origin") != acao || resp.Header.Get("Age") != age {
			t.Errorf("%s: %d %q ACAO %q Age %q, want %d %q ACAO %q Age %q", name, resp.StatusCode, resp.Header.Get("X-Cache"),
				resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Age"), status, xcache, acao, age)
		}
	}
	// CachingOptimized with CORS-S3Origin: Origin is forwarded, not keyed (Go sends Accept-Encoding:
	// gzip on every request here). A's answer is
	// cached and served to B; S3's Vary comes along and changes nothing.
	resp := edge(t, f.url, domain, "GET", "/clip.mp4", A)
	check("A, first", resp, 200, "Miss from cloudfront", "https://a.example.com", "")
	if resp.Header.Get("Vary") != vary || resp.Header.Get("Via") == "" || resp.Header.Get("X-Amz-Cf-Id") == "" {
		t.Errorf("origin's Vary and CloudFront's headers: %v", resp.Header)
	}
	f.clock.Advance(30 * time.Second)
	check("B after A: the poisoned cache", edge(t, f.url, domain, "GET", "/clip.mp4", B), 200, "Hit from cloudfront", "https://a.example.com", "30")
	check("no Origin after A", edge(t, f.url, domain, "GET", "/clip.mp4", nil), 200, "Hit from cloudfront", "https://a.example.com", "30")
	check("another Accept-Encoding is another key", edge(t, f.url, domain, "GET", "/clip.mp4", map[string]string{"Origin": "https://b.example.com", "Accept-Encoding": "br"}),
		200, "Miss from cloudfront", "https://b.example.com", "")
	if n := f.emu.ResourceCalls("GetObject", "media"); n != 2 {
		t.Errorf("%d origin GETs, want 2 (the hits went nowhere)", n)
	}
	f.clock.Advance(24 * time.Hour) // CachingOptimized's DefaultTTL: S3 sent no Cache-Control
	check("after the TTL", edge(t, f.url, domain, "GET", "/clip.mp4", B), 200, "Miss from cloudfront", "https://b.example.com", "")

	// CachingDisabled: every request goes to the origin.
	check("nocache A", edge(t, f.url, domain, "GET", "/nocache/clip.mp4", A), 200, "Miss from cloudfront", "https://a.example.com", "")
	check("nocache B", edge(t, f.url, domain, "GET", "/nocache/clip.mp4", B), 200, "Miss from cloudfront", "https://b.example.com", "")
	// A cache policy keyed on Origin keeps each origin's answer apart.
	check("keyed A", edge(t, f.url, domain, "GET", "/keyed/clip.mp4", A), 200, "Miss from cloudfront", "https://a.example.com", "")
	check("keyed B", edge(t, f.url, domain, "GET", "/keyed/clip.mp4", B), 200, "Miss from cloudfront", "https://b.example.com", "")
	check("keyed A again", edge(t, f.url, domain, "GET", "/keyed/clip.mp4", A), 200, "Hit from cloudfront", "https://a.example.com", "0")
	// Without an origin request policy (and Origin not keyed), S3 never sees Origin.
	check("noforward", edge(t, f.url, domain, "GET", "/noforward/clip.mp4", A), 200, "Miss from cloudfront", "", "")

	// A method the behaviour does not allow: CloudFront's own 403.
	preflight := map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-player"}
	resp = edge(t, f.url, domain, "OPTIONS", "/get-only/clip.mp4", preflight)
	check("OPTIONS not allowed", resp, 403, "Error from cloudfront", "", "")
	check("OPTIONS allowed", edge(t, f.url, domain, "OPTIONS", "/nocache/clip.mp4", preflight), 200, "Miss from cloudfront", "https://a.example.com", "")
	check("DELETE not allowed", edge(t, f.url, domain, "DELETE", "/nocache/clip.mp4", nil), 403, "Error from cloudfront", "", "")

	// OriginOverride: true replaces the origin's CORS headers, also on a hit; false keeps them.
	check("override, miss", edge(t, f.url, domain, "GET", "/override/clip.mp4", A), 200, "Miss from cloudfront", "*", "")
	check("override, hit", edge(t, f.url, domain, "GET", "/override/clip.mp4", B), 200, "Hit from cloudfront", "*", "0")
	check("override for an origin S3 refuses", edge(t, f.url, domain, "GET", "/override/clip.mp4", map[string]string{"Origin": "https://x.example.net"}),
		200, "Hit from cloudfront", "*", "0")
	check("kept: the origin's answer wins", edge(t, f.url, domain, "GET", "/kept/clip.mp4", A), 200, "Miss from cloudfront", "https://a.example.com", "")
	check("kept: the policy fills what the origin left out", edge(t, f.url, domain, "GET", "/kept/clip.mp4", map[string]string{"Origin": "https://x.example.net"}),
		200, "Miss from cloudfront", "*", "")

	// Errors are cached for 10 seconds.
	check("missing key", edge(t, f.url, domain, "GET", "/missing.mp4", nil), 404, "Miss from cloudfront", "", "")
	check("missing key again", edge(t, f.url, domain, "GET", "/missing.mp4", nil), 404, "Hit from cloudfront", "", "0")
	f.clock.Advance(11 * time.Second)
	check("missing key after 10 s", edge(t, f.url, domain, "GET", "/missing.mp4", nil), 404, "Miss from cloudfront", "", "")

	// An unknown distribution domain.
	check("unknown domain", edge(t, f.url, "d000000000000.cloudfront.net", "GET", "/clip.mp4", nil), 403, "Error from cloudfront", "", "")
}

// The aws CLI builds a chain as a person would: create-distribution from a JSON document,
// get-distribution-config, update-distribution with --if-match (allowing OPTIONS), and the
// --origin-domain-name shorthand.
func TestAwsCLICreatesAndUpdatesDistributions(t *testing.T) {
	bin := awsref.CLI(t)
	f := newFixture(t)
	must[error](t)(nil, f.emu.SeedBucket("media", "", []map[string]any{{"AllowedOrigins": []string{"https://a.example.com"}, "AllowedMethods": []string{"GET"}}}, nil))
	must[error](t)(nil, f.emu.PutObject("media", "clip.mp4", "video/mp4", []byte("clip")))
	dir := t.TempDir()
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", f.url, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return m
	}
	cfg := `{"CallerReference":"cli","Comment":"","Enabled":true,
	  "Origins":{"Quantity":1,"Items":[{"Id":"s3","DomainName":"media.s3.us-east-1.amazonaws.com","S3OriginConfig":{"OriginAccessIdentity":""}}]},
	  "DefaultCacheBehavior":{"TargetOriginId":"s3","ViewerProtocolPolicy":"redirect-to-https",
	    "AllowedMethods":{"Quantity":2,"Items":["GET","HEAD"],"CachedMethods":{"Quantity":2,"Items":["GET","HEAD"]}},
	    "CachePolicyId":"` + emulator.ManagedCachingDisabled + `","OriginRequestPolicyId":"` + emulator.ManagedCORSS3Origin + `"}}`
	file := filepath.Join(dir, "dist.json")
	must[error](t)(nil, os.WriteFile(file, []byte(cfg), 0o600))
	created := run("cloudfront", "create-distribution", "--distribution-config", "file://"+file)["Distribution"].(map[string]any)
	id, domain := created["Id"].(string), created["DomainName"].(string)
	preflight := map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "GET"}
	if resp := edge(t, f.url, domain, "OPTIONS", "/clip.mp4", preflight); resp.StatusCode != 403 {
		t.Errorf("OPTIONS before the update: %d, want 403", resp.StatusCode)
	}
	got := run("cloudfront", "get-distribution-config", "--id", id)
	dc := got["DistributionConfig"].(map[string]any)
	dc["DefaultCacheBehavior"].(map[string]any)["AllowedMethods"] = map[string]any{"Quantity": 3, "Items": []string{"GET", "HEAD", "OPTIONS"},
		"CachedMethods": map[string]any{"Quantity": 2, "Items": []string{"GET", "HEAD"}}}
	data, _ := json.Marshal(dc)
	must[error](t)(nil, os.WriteFile(file, data, 0o600))
	run("cloudfront", "update-distribution", "--id", id, "--if-match", got["ETag"].(string), "--distribution-config", "file://"+file)
	if resp := edge(t, f.url, domain, "OPTIONS", "/clip.mp4", preflight); resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://a.example.com" {
		t.Errorf("OPTIONS after the update: %d %v", resp.StatusCode, resp.Header)
	}
	short := run("cloudfront", "create-distribution", "--origin-domain-name", "media.s3.amazonaws.com")["Distribution"].(map[string]any)
	if resp := edge(t, f.url, short["DomainName"].(string), "GET", "/clip.mp4", nil); resp.StatusCode != 200 {
		t.Errorf("GET through the shorthand distribution: %d", resp.StatusCode)
	}
}

// Custom cache and origin request policies made through the API: a cache key with Origin keeps
// each origin's answer apart; the policies' rules and quotas are CloudFront's.
func TestCloudFrontCustomPoliciesKeyAndForward(t *testing.T) {
	f := newFixture(t)
	must[error](t)(nil, f.emu.SeedBucket("media", "", []map[string]any{
		{"AllowedOrigins": []string{"https://a.example.com", "https://b.example.com"}, "AllowedMethods": []string{"GET"}},
	}, nil))
	must[error](t)(nil, f.emu.PutObject("media", "clip.mp4", "video/mp4", []byte("clip")))
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	names := func(items ...string) *cftypes.Headers {
		return &cftypes.Headers{Quantity: aws.Int32(int32(len(items))), Items: items}
	}
	cachePolicy := func(name string, headers *cftypes.Headers, ttl int64) (*cloudfront.CreateCachePolicyOutput, error) {
		hc := &cftypes.CachePolicyHeadersConfig{HeaderBehavior: cftypes.CachePolicyHeaderBehaviorNone}
		if headers != nil {
			hc = &cftypes.CachePolicyHeadersConfig{HeaderBehavior: cftypes.CachePolicyHeaderBehaviorWhitelist, Headers: headers}
		}
		return cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: &cftypes.CachePolicyConfig{
			Name: aws.String(name), MinTTL: aws.Int64(0), DefaultTTL: aws.Int64(ttl), MaxTTL: aws.Int64(ttl),
			ParametersInCacheKeyAndForwardedToOrigin: &cftypes.ParametersInCacheKeyAndForwardedToOrigin{
				EnableAcceptEncodingGzip: aws.Bool(false), HeadersConfig: hc,
				CookiesConfig:      &cftypes.CachePolicyCookiesConfig{CookieBehavior: cftypes.CachePolicyCookieBehaviorNone},
				QueryStringsConfig: &cftypes.CachePolicyQueryStringsConfig{QueryStringBehavior: cftypes.CachePolicyQueryStringBehaviorNone}}}})
	}
	keyed := must[*cloudfront.CreateCachePolicyOutput](t)(cachePolicy("keyed-on-origin", names("Origin"), 3600))
	_, err := cachePolicy("keyed-on-origin", names("Origin"), 3600)
	wantCode(t, err, "CachePolicyAlreadyExists")
	_, err = cachePolicy("too-many", names("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"), 3600)
	wantCode(t, err, "TooManyHeadersInCachePolicy")
	_, err = cachePolicy("inconsistent", &cftypes.Headers{Quantity: aws.Int32(2), Items: []string{"Origin"}}, 3600)
	wantCode(t, err, "InconsistentQuantities")
	_, err = cachePolicy("zero-ttl-with-key", names("Origin"), 0)
	wantCode(t, err, "InvalidArgument")
	orp := must[*cloudfront.CreateOriginRequestPolicyOutput](t)(cf.CreateOriginRequestPolicy(ctx, &cloudfront.CreateOriginRequestPolicyInput{
		OriginRequestPolicyConfig: &cftypes.OriginRequestPolicyConfig{Name: aws.String("all-but-host"),
			HeadersConfig:      &cftypes.OriginRequestPolicyHeadersConfig{HeaderBehavior: cftypes.OriginRequestPolicyHeaderBehaviorAllExcept, Headers: names("Host")},
			CookiesConfig:      &cftypes.OriginRequestPolicyCookiesConfig{CookieBehavior: cftypes.OriginRequestPolicyCookieBehaviorNone},
			QueryStringsConfig: &cftypes.OriginRequestPolicyQueryStringsConfig{QueryStringBehavior: cftypes.OriginRequestPolicyQueryStringBehaviorNone}}}))
	got := must[*cloudfront.GetOriginRequestPolicyOutput](t)(cf.GetOriginRequestPolicy(ctx, &cloudfront.GetOriginRequestPolicyInput{Id: orp.OriginRequestPolicy.Id}))
	if hc := got.OriginRequestPolicy.OriginRequestPolicyConfig.HeadersConfig; hc.HeaderBehavior != cftypes.OriginRequestPolicyHeaderBehaviorAllExcept {
		t.Errorf("origin request policy headers %+v", hc)
	}
	cfg := distributionConfig("custom", behavior("/orp/*", getHeadOptions, emulator.ManagedCachingDisabled, aws.ToString(orp.OriginRequestPolicy.Id), ""))
	cfg.DefaultCacheBehavior.CachePolicyId, cfg.DefaultCacheBehavior.OriginRequestPolicyId = keyed.CachePolicy.Id, nil
	domain := aws.ToString(must[*cloudfront.CreateDistributionOutput](t)(cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: cfg})).Distribution.DomainName)
	for _, step := range []struct{ origin, xcache string }{
		{"https://a.example.com", "Miss from cloudfront"}, {"https://b.example.com", "Miss from cloudfront"}, {"https://a.example.com", "Hit from cloudfront"},
	} {
		resp := edge(t, f.url, domain, "GET", "/clip.mp4", map[string]string{"Origin": step.origin})
		if resp.Header.Get("X-Cache") != step.xcache || resp.Header.Get("Access-Control-Allow-Origin") != step.origin {
			t.Errorf("%s: %s ACAO %q, want %s and its own origin", step.origin, resp.Header.Get("X-Cache"), resp.Header.Get("Access-Control-Allow-Origin"), step.xcache)
		}
	}
	if resp := edge(t, f.url, domain, "GET", "/orp/clip.mp4", map[string]string{"Origin": "https://b.example.com"}); resp.Header.Get("Access-Control-Allow-Origin") != "https://b.example.com" {
		t.Errorf("allExcept Host forwards Origin: %v", resp.Header)
	}
	list := must[*cloudfront.ListCachePoliciesOutput](t)(cf.ListCachePolicies(ctx, &cloudfront.ListCachePoliciesInput{Type: cftypes.CachePolicyTypeCustom}))
	if aws.ToInt32(list.CachePolicyList.Quantity) != 1 {
		t.Errorf("custom cache policies: %d, want 1 (refused ones are not created)", aws.ToInt32(list.CachePolicyList.Quantity))
	}
}

// A distribution answers for its alternate domain names (Aliases) as for its own; an alias
// belongs to one distribution; an S3 website endpoint as origin is answered as the REST one.
func TestCloudFrontAliasesAndWebsiteOrigins(t *testing.T) {
	f := newFixture(t)
	must[error](t)(nil, f.emu.SeedBucket("media", "", []map[string]any{{"AllowedOrigins": []string{"https://a.example.com"}, "AllowedMethods": []string{"GET"}}}, nil))
	must[error](t)(nil, f.emu.PutObject("media", "clip.mp4", "video/mp4", []byte("clip")))
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	cfg := distributionConfig("aliased")
	cfg.Aliases = &cftypes.Aliases{Quantity: aws.Int32(1), Items: []string{"media.example.com"}}
	cfg.Origins.Items[0].DomainName = aws.String("media.s3-website-us-east-1.amazonaws.com")
	must[*cloudfront.CreateDistributionOutput](t)(cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: cfg}))
	resp := edge(t, f.url, "media.example.com", "GET", "/clip.mp4", map[string]string{"Origin": "https://a.example.com"})
	if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "Miss from cloudfront" || resp.Header.Get("Access-Control-Allow-Origin") != "https://a.example.com" {
		t.Errorf("GET by alias: %d %v", resp.StatusCode, resp.Header)
	}
	again := distributionConfig("aliased-again")
	again.Aliases = cfg.Aliases
	_, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: again})
	wantCode(t, err, "CNAMEAlreadyExists")
	bad := distributionConfig("bad-alias")
	bad.Aliases = &cftypes.Aliases{Quantity: aws.Int32(2), Items: []string{"x.example.com"}}
	_, err = cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: bad})
	wantCode(t, err, "InconsistentQuantities")
	if resp := edge(t, f.url, "other.example.com", "GET", "/clip.mp4", nil); resp.StatusCode == 200 {
		t.Errorf("a host no distribution names was served: %v", resp.Header)
	}
}
