// Package cdnchain builds the delivery chains of issue 26 in an AWS emulator (an S3 bucket
// with a media object and a CORS configuration, behind a CloudFront distribution with cache,
// origin request and response headers policies) through the real SDK clients, and says what a
// browser gets from each: which page origins' fetches resolve and which throw. The emulator's
// browser test (e2e) proves those outcomes with headless Chromium; the probe's tests judge the
// same chains.
package cdnchain

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/emulator"
)

// Page origins the scenarios use. A and B are the baseline's origins (same-site, so a shared
// browser cache could decide an outcome on its own: each page gets its own profile); Other is
// an origin the baseline does not name.
const (
	OriginA     = "https://a.example.com"
	OriginB     = "https://b.example.com"
	OriginOther = "https://other.example.net"
)

// Outcome is what a page's fetch does in a browser.
type Outcome string

// The two outcomes of a fetch.
const (
	Resolves Outcome = "resolves" // the promise resolves: the page can read the answer
	Throws   Outcome = "throws"   // a TypeError: the CORS check or the preflight failed
)

// Fetch is one page's fetch of the chain's media object, in order: later fetches see the edge
// cache earlier ones filled.
type Fetch struct {
	Origin string // the page's origin
	// Preflight makes the request non-simple (a custom request header, X-Player), so the
	// browser sends an OPTIONS preflight first.
	Preflight bool
	Want      Outcome
	Why       string
}

// Chain is one built delivery chain.
type Chain struct {
	Scenario       string
	Bucket, Key    string
	BucketHost     string // BUCKET.s3.REGION.amazonaws.com
	DistributionID string
	Domain         string   // dXXXX.cloudfront.net
	URL            string   // https://Domain/Key: what the pages fetch
	Baseline       []string // the origins the baseline allows
	Fetches        []Fetch
}

// Hosts returns the host names a browser must reach for this chain (the distribution's).
func (c Chain) Hosts() []string { return []string{c.Domain} }

// Scenario is one of issue 26's six chains: the bucket's CORS rules, the distribution's
// behaviour, and the fetches with their outcomes.
type Scenario struct {
	Name     string
	Doc      string
	Rules    []s3types.CORSRule
	Behavior Behavior
	Fetches  []Fetch
}

// Behavior is the default cache behaviour of a scenario's distribution.
type Behavior struct {
	AllowedMethods        []cftypes.Method
	CachePolicyID         string
	OriginRequestPolicyID string
	// ResponseHeadersCORS, when set, is a custom response headers policy's CorsConfig.
	ResponseHeadersCORS *cftypes.ResponseHeadersPolicyCorsConfig
}

// Baseline is the origins every scenario's baseline allows.
var Baseline = []string{OriginA, OriginB}

// rule is a GET/HEAD rule for origins, any request header.
func rule(origins ...string) s3types.CORSRule {
	return s3types.CORSRule{AllowedOrigins: origins, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"*"}, MaxAgeSeconds: aws.Int32(600)}
}

var (
	getHead        = []cftypes.Method{cftypes.MethodGet, cftypes.MethodHead}
	getHeadOptions = []cftypes.Method{cftypes.MethodGet, cftypes.MethodHead, cftypes.MethodOptions}
)

// Scenarios returns the six scenarios, in issue 26's order.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name:  "compliant",
			Doc:   "the bucket allows the baseline's origins; nothing is cached across origins (CachingDisabled, CORS-S3Origin forwards Origin)",
			Rules: []s3types.CORSRule{rule(OriginA, OriginB)},
			Behavior: Behavior{AllowedMethods: getHeadOptions, CachePolicyID: emulator.ManagedCachingDisabled,
				OriginRequestPolicyID: emulator.ManagedCORSS3Origin},
			Fetches: []Fetch{
				{Origin: OriginA, Want: Resolves, Why: "S3's rule echoes A"},
				{Origin: OriginOther, Want: Throws, Why: "no rule matches: S3 sends no CORS headers"},
				{Origin: OriginB, Want: Resolves, Why: "S3's rule echoes B"},
			},
		},
		{
			Name:  "poisoned-cache",
			Doc:   "a per-origin allow-list behind CachingOptimized with CORS-S3Origin: Origin is forwarded but not in the cache key",
			Rules: []s3types.CORSRule{rule(OriginA, OriginB)},
			Behavior: Behavior{AllowedMethods: getHeadOptions, CachePolicyID: emulator.ManagedCachingOptimized,
				OriginRequestPolicyID: emulator.ManagedCORSS3Origin},
			Fetches: []Fetch{
				{Origin: OriginA, Want: Resolves, Why: "a miss: S3 answers A, and CloudFront caches that answer"},
				{Origin: OriginB, Want: Throws, Why: "a hit: the cached Access-Control-Allow-Origin names A"},
			},
		},
		{
			Name:  "options-not-allowed",
			Doc:   "a non-simple request where the behaviour allows only GET and HEAD: CloudFront refuses the preflight with 403",
			Rules: []s3types.CORSRule{rule(OriginA, OriginB)},
			Behavior: Behavior{AllowedMethods: getHead, CachePolicyID: emulator.ManagedCachingDisabled,
				OriginRequestPolicyID: emulator.ManagedCORSS3Origin},
			Fetches: []Fetch{
				{Origin: OriginA, Preflight: true, Want: Throws, Why: "OPTIONS is not an allowed method: 403 from CloudFront"},
				{Origin: OriginA, Want: Resolves, Why: "a simple GET needs no preflight"},
			},
		},
		{
			Name:  "origin-override",
			Doc:   "a response headers policy with OriginOverride true over a bucket whose rules name neither baseline origin",
			Rules: []s3types.CORSRule{rule("https://old.example.com")},
			Behavior: Behavior{AllowedMethods: getHeadOptions, CachePolicyID: emulator.ManagedCachingDisabled,
				OriginRequestPolicyID: emulator.ManagedCORSS3Origin,
				ResponseHeadersCORS: &cftypes.ResponseHeadersPolicyCorsConfig{
					AccessControlAllowOrigins:     &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(2), Items: []string{OriginA, OriginB}},
					AccessControlAllowHeaders:     &cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: []string{"*"}},
					AccessControlAllowMethods:     &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(2), Items: []cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "HEAD"}},
					AccessControlAllowCredentials: aws.Bool(false),
					OriginOverride:                aws.Bool(true),
				}},
			Fetches: []Fetch{
				{Origin: OriginA, Want: Resolves, Why: "the policy lists A and overrides the origin"},
				{Origin: OriginOther, Want: Throws, Why: "neither the policy nor the bucket allows it"},
			},
		},
		{
			Name:  "baseline-origin-missing",
			Doc:   "the bucket's rules leave out a baseline origin (B)",
			Rules: []s3types.CORSRule{rule(OriginA)},
			Behavior: Behavior{AllowedMethods: getHeadOptions, CachePolicyID: emulator.ManagedCachingDisabled,
				OriginRequestPolicyID: emulator.ManagedCORSS3Origin},
			Fetches: []Fetch{
				{Origin: OriginA, Want: Resolves, Why: "S3's rule echoes A"},
				{Origin: OriginB, Want: Throws, Why: "no rule names B"},
			},
		},
		{
			Name:  "leak",
			Doc:   "the bucket allows any origin (*): an origin outside the baseline reads the media",
			Rules: []s3types.CORSRule{rule("*")},
			Behavior: Behavior{AllowedMethods: getHeadOptions, CachePolicyID: emulator.ManagedCachingDisabled,
				OriginRequestPolicyID: emulator.ManagedCORSS3Origin},
			Fetches: []Fetch{
				{Origin: OriginA, Want: Resolves, Why: "* allows it"},
				{Origin: OriginOther, Want: Resolves, Why: "* allows it too: the leak"},
			},
		},
	}
}

// Clients are the SDK clients a chain is built with.
type Clients struct {
	S3         *s3.Client
	CloudFront *cloudfront.Client
	Region     string
}

// NewClients returns S3 and CloudFront clients for an emulator at endpoint (its plain HTTP
// URL), with static credentials and no retries.
func NewClients(endpoint, region string) Clients {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "cdnchain"}, nil
	})
	hc := emulator.HTTPClient()
	return Clients{
		S3: s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Credentials: creds,
			Retryer: aws.NopRetryer{}, HTTPClient: hc}),
		CloudFront: cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds,
			Retryer: aws.NopRetryer{}, HTTPClient: hc}),
		Region: region,
	}
}

// MediaKey is the media object every chain serves.
const MediaKey = "media/clip.mp4"

// Media is the media object's body.
var Media = []byte("\x00\x00\x00\x18ftypmp42 not really a video")

// Build makes s's chain with c: the bucket "cdnchain-<name>" with its CORS rules and the
// media object (PutObject), a response headers policy when the scenario has one, and the
// distribution (CreateDistribution) with an S3 origin.
func Build(ctx context.Context, c Clients, s Scenario) (Chain, error) {
	bucket := "cdnchain-" + s.Name
	ch := Chain{Scenario: s.Name, Bucket: bucket, Key: MediaKey, BucketHost: bucket + ".s3." + c.Region + ".amazonaws.com",
		Baseline: Baseline, Fetches: s.Fetches}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if c.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(c.Region)}
	}
	if _, err := c.S3.CreateBucket(ctx, in); err != nil {
		return ch, fmt.Errorf("%s: create bucket: %w", s.Name, err)
	}
	if _, err := c.S3.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket),
		CORSConfiguration: &s3types.CORSConfiguration{CORSRules: s.Rules}}); err != nil {
		return ch, fmt.Errorf("%s: put bucket cors: %w", s.Name, err)
	}
	if _, err := c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(MediaKey),
		Body: strings.NewReader(string(Media)), ContentType: aws.String("video/mp4")}); err != nil {
		return ch, fmt.Errorf("%s: put object: %w", s.Name, err)
	}
	b := s.Behavior
	behavior := &cftypes.DefaultCacheBehavior{
		TargetOriginId:       aws.String("s3-" + bucket),
		ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
		AllowedMethods: &cftypes.AllowedMethods{Quantity: aws.Int32(int32(len(b.AllowedMethods))), Items: b.AllowedMethods,
			CachedMethods: &cftypes.CachedMethods{Quantity: aws.Int32(2), Items: getHead}},
		CachePolicyId:         aws.String(b.CachePolicyID),
		OriginRequestPolicyId: aws.String(b.OriginRequestPolicyID),
	}
	if b.ResponseHeadersCORS != nil {
		out, err := c.CloudFront.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{
			ResponseHeadersPolicyConfig: &cftypes.ResponseHeadersPolicyConfig{Name: aws.String("cdnchain-" + s.Name), CorsConfig: b.ResponseHeadersCORS}})
		if err != nil {
			return ch, fmt.Errorf("%s: create response headers policy: %w", s.Name, err)
		}
		behavior.ResponseHeadersPolicyId = out.ResponseHeadersPolicy.Id
	}
	out, err := c.CloudFront.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("cdnchain-" + s.Name),
		Comment:         aws.String(s.Doc),
		Enabled:         aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
			Id: aws.String("s3-" + bucket), DomainName: aws.String(ch.BucketHost),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}}},
		DefaultCacheBehavior: behavior,
	}})
	if err != nil {
		return ch, fmt.Errorf("%s: create distribution: %w", s.Name, err)
	}
	ch.DistributionID, ch.Domain = aws.ToString(out.Distribution.Id), aws.ToString(out.Distribution.DomainName)
	ch.URL = "https://" + ch.Domain + "/" + MediaKey
	return ch, nil
}

// BuildAll builds every scenario's chain in the emulator at endpoint.
func BuildAll(ctx context.Context, endpoint, region string) ([]Chain, error) {
	c := NewClients(endpoint, region)
	var out []Chain
	for _, s := range Scenarios() {
		ch, err := Build(ctx, c, s)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// Request returns the request a browser sends for f over the plain HTTP data plane at
// endpoint (the emulator's URL), addressed to the chain's distribution by Host: the actual
// GET for a simple fetch, the OPTIONS preflight for a non-simple one. Tests without a browser
// use it to see the answers the browser would judge.
func (c Chain) Request(ctx context.Context, endpoint string, f Fetch) (*http.Request, error) {
	method := http.MethodGet
	if f.Preflight {
		method = http.MethodOptions
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint+"/"+c.Key, nil)
	if err != nil {
		return nil, err
	}
	req.Host = c.Domain
	req.Header.Set("Origin", f.Origin)
	if f.Preflight {
		req.Header.Set("Access-Control-Request-Method", http.MethodGet)
		req.Header.Set("Access-Control-Request-Headers", "x-player")
	}
	return req, nil
}
