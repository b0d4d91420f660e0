package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corsguard/corsguard/emulator"
)

// cloudFrontClient is a real CloudFront client on the emulator, without retries.
func cloudFrontClient(url string) *cloudfront.Client {
	return cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

func strs(item ...string) []string { return item }

// sampleConfig is a response headers policy with every part corsguard must keep.
func sampleConfig(name string) *cftypes.ResponseHeadersPolicyConfig {
	return &cftypes.ResponseHeadersPolicyConfig{
		Name:    aws.String(name),
		Comment: aws.String("players"),
		CorsConfig: &cftypes.ResponseHeadersPolicyCorsConfig{
			AccessControlAllowOrigins:     &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(2), Items: strs("https://a.example.com", "https://b.example.com")},
			AccessControlAllowHeaders:     &cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: strs("*")},
			AccessControlAllowMethods:     &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(2), Items: []cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "HEAD"}},
			AccessControlAllowCredentials: aws.Bool(false),
			AccessControlExposeHeaders:    &cftypes.ResponseHeadersPolicyAccessControlExposeHeaders{Quantity: aws.Int32(1), Items: strs("ETag")},
			AccessControlMaxAgeSec:        aws.Int32(600),
			OriginOverride:                aws.Bool(true),
		},
		SecurityHeadersConfig: &cftypes.ResponseHeadersPolicySecurityHeadersConfig{
			StrictTransportSecurity: &cftypes.ResponseHeadersPolicyStrictTransportSecurity{Override: aws.Bool(true), AccessControlMaxAgeSec: aws.Int32(63072000), IncludeSubdomains: aws.Bool(true)},
			FrameOptions:            &cftypes.ResponseHeadersPolicyFrameOptions{Override: aws.Bool(true), FrameOption: cftypes.FrameOptionsListDeny},
		},
		CustomHeadersConfig: &cftypes.ResponseHeadersPolicyCustomHeadersConfig{Quantity: aws.Int32(1),
			Items: []cftypes.ResponseHeadersPolicyCustomHeader{{Header: aws.String("X-Team"), Value: aws.String("media"), Override: aws.Bool(false)}}},
		ServerTimingHeadersConfig: &cftypes.ResponseHeadersPolicyServerTimingHeadersConfig{Enabled: aws.Bool(true), SamplingRate: aws.Float64(5)},
		RemoveHeadersConfig: &cftypes.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(1),
			Items: []cftypes.ResponseHeadersPolicyRemoveHeader{{Header: aws.String("X-Powered-By")}}},
	}
}

var ignoreNoCopy = cmpopts.IgnoreUnexported(
	cftypes.ResponseHeadersPolicyConfig{}, cftypes.ResponseHeadersPolicyCorsConfig{},
	cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{}, cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{},
	cftypes.ResponseHeadersPolicyAccessControlAllowMethods{}, cftypes.ResponseHeadersPolicyAccessControlExposeHeaders{},
	cftypes.ResponseHeadersPolicySecurityHeadersConfig{}, cftypes.ResponseHeadersPolicyStrictTransportSecurity{},
	cftypes.ResponseHeadersPolicyFrameOptions{}, cftypes.ResponseHeadersPolicyCustomHeadersConfig{},
	cftypes.ResponseHeadersPolicyCustomHeader{}, cftypes.ResponseHeadersPolicyServerTimingHeadersConfig{},
	cftypes.ResponseHeadersPolicyRemoveHeadersConfig{}, cftypes.ResponseHeadersPolicyRemoveHeader{})

func TestCloudFrontResponseHeadersPoliciesOverTheSDK(t *testing.T) {
	f := newFixture(t)
	cf := cloudFrontClient(f.url)
	ctx := context.Background()

	created := must[*cloudfront.CreateResponseHeadersPolicyOutput](t)(cf.CreateResponseHeadersPolicy(ctx,
		&cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: sampleConfig("media")}))
	id := aws.ToString(created.ResponseHeadersPolicy.Id)
	if id == "" || aws.ToString(created.ETag) == "" || !strings.HasSuffix(aws.ToString(created.Location), id) {
		t.Fatalf("create answered id %q, ETag %q, Location %q", id, aws.ToString(created.ETag), aws.ToString(created.Location))
	}

	got := must[*cloudfront.GetResponseHeadersPolicyOutput](t)(cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: &id}))
	if diff := cmp.Diff(sampleConfig("media"), got.ResponseHeadersPolicy.ResponseHeadersPolicyConfig, ignoreNoCopy); diff != "" {
		t.Errorf("Get returned another config (-sent +got):\n%s", diff)
	}
	if aws.ToString(got.ETag) != aws.ToString(created.ETag) {
		t.Errorf("Get ETag %q, Create ETag %q", aws.ToString(got.ETag), aws.ToString(created.ETag))
	}
	cfg := must[*cloudfront.GetResponseHeadersPolicyConfigOutput](t)(cf.GetResponseHeadersPolicyConfig(ctx, &cloudfront.GetResponseHeadersPolicyConfigInput{Id: &id}))
	if diff := cmp.Diff(sampleConfig("media"), cfg.ResponseHeadersPolicyConfig, ignoreNoCopy); diff != "" {
		t.Errorf("GetConfig returned another config (-sent +got):\n%s", diff)
	}

	// Update needs the current ETag: none is InvalidIfMatchVersion, a stale one PreconditionFailed.
	changed := sampleConfig("media")
	changed.CorsConfig.AccessControlAllowOrigins = &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: strs("https://c.example.com")}
	_, err := cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: &id, ResponseHeadersPolicyConfig: changed})
	wantCode(t, err, "InvalidIfMatchVersion")
	_, err = cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: &id, IfMatch: aws.String("stale"), ResponseHeadersPolicyConfig: changed})
	wantCode(t, err, "PreconditionFailed")
	var pf *cftypes.PreconditionFailed
	if !errors.As(err, &pf) {
		t.Errorf("PreconditionFailed is not the SDK's typed error: %T", err)
	}
	updated := must[*cloudfront.UpdateResponseHeadersPolicyOutput](t)(cf.UpdateResponseHeadersPolicy(ctx,
		&cloudfront.UpdateResponseHeadersPolicyInput{Id: &id, IfMatch: got.ETag, ResponseHeadersPolicyConfig: changed}))
	if aws.ToString(updated.ETag) == aws.ToString(got.ETag) {
		t.Error("Update kept the ETag")
	}
	_, err = cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: &id, IfMatch: got.ETag, ResponseHeadersPolicyConfig: changed})
	wantCode(t, err, "PreconditionFailed")

	_, err = cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String("nope")})
	wantCode(t, err, "NoSuchResponseHeadersPolicy")
	var none *cftypes.NoSuchResponseHeadersPolicy
	if !errors.As(err, &none) {
		t.Errorf("NoSuchResponseHeadersPolicy is not the SDK's typed error: %T", err)
	}
	_, err = cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: sampleConfig("media")})
	wantCode(t, err, "ResponseHeadersPolicyAlreadyExists")

	// Listing: custom ones only with Type=custom; the managed ones are typed managed.
	custom := must[*cloudfront.ListResponseHeadersPoliciesOutput](t)(cf.ListResponseHeadersPolicies(ctx, &cloudfront.ListResponseHeadersPoliciesInput{Type: cftypes.ResponseHeadersPolicyTypeCustom}))
	if l := custom.ResponseHeadersPolicyList; aws.ToInt32(l.Quantity) != 1 || aws.ToString(l.Items[0].ResponseHeadersPolicy.Id) != id || l.Items[0].Type != cftypes.ResponseHeadersPolicyTypeCustom {
		t.Errorf("custom list: %+v", l)
	}
	managed := must[*cloudfront.ListResponseHeadersPoliciesOutput](t)(cf.ListResponseHeadersPolicies(ctx, &cloudfront.ListResponseHeadersPoliciesInput{Type: cftypes.ResponseHeadersPolicyTypeManaged}))
	if len(managed.ResponseHeadersPolicyList.Items) == 0 {
		t.Fatal("no managed policies")
	}
	for _, s := range managed.ResponseHeadersPolicyList.Items {
		if s.Type != cftypes.ResponseHeadersPolicyTypeManaged || !strings.HasPrefix(aws.ToString(s.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Name), "Managed-") {
			t.Errorf("managed list has %s %q", s.Type, aws.ToString(s.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Name))
		}
	}
	mid := managed.ResponseHeadersPolicyList.Items[0].ResponseHeadersPolicy.Id
	mget := must[*cloudfront.GetResponseHeadersPolicyOutput](t)(cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: mid}))
	_, err = cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: mid, IfMatch: mget.ETag, ResponseHeadersPolicyConfig: sampleConfig("x")})
	wantCode(t, err, "IllegalUpdate")
}

func TestCloudFrontListPaginates(t *testing.T) {
	f := newFixture(t)
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	for i := range 5 {
		if _, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: sampleConfig(string(rune('a' + i)))}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var marker *string
	for pages := 0; ; pages++ {
		out, err := cf.ListResponseHeadersPolicies(ctx, &cloudfront.ListResponseHeadersPoliciesInput{Type: cftypes.ResponseHeadersPolicyTypeCustom, MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.ResponseHeadersPolicyList.Items {
			seen[aws.ToString(s.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Name)] = true
		}
		if marker = out.ResponseHeadersPolicyList.NextMarker; marker == nil {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("saw %v", seen)
	}
}

func TestCloudFrontRefusesWhatTheModelForbids(t *testing.T) {
	f := newFixture(t)
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	cases := map[string]struct {
		change func(c *cftypes.ResponseHeadersPolicyConfig)
		code   string
	}{
		"an unknown method": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CorsConfig.AccessControlAllowMethods.Items = []cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "TRACE"}
		}, "InvalidArgument"},
		"a Quantity that is not the number of items": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CorsConfig.AccessControlAllowOrigins.Quantity = aws.Int32(3)
		}, "InconsistentQuantities"},
		"an origin longer than 1,783 characters": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CorsConfig.AccessControlAllowOrigins = &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: strs("https://" + strings.Repeat("a", 1776))}
		}, "InvalidArgument"},
		"FrameOptions without FrameOption": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.FrameOptions = &cftypes.ResponseHeadersPolicyFrameOptions{Override: aws.Bool(true)}
		}, "InvalidArgument"},
		"FrameOptions without Override": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.FrameOptions = &cftypes.ResponseHeadersPolicyFrameOptions{FrameOption: cftypes.FrameOptionsListDeny}
		}, "InvalidArgument"},
		"FrameOption ALLOWALL": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.FrameOptions.FrameOption = "ALLOWALL"
		}, "InvalidArgument"},
		"a ReferrerPolicy that is not one of the model's": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.ReferrerPolicy = &cftypes.ResponseHeadersPolicyReferrerPolicy{Override: aws.Bool(true), ReferrerPolicy: "everywhere"}
		}, "InvalidArgument"},
		"a Content-Security-Policy of 1,784 characters": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.ContentSecurityPolicy = &cftypes.ResponseHeadersPolicyContentSecurityPolicy{Override: aws.Bool(true), ContentSecurityPolicy: aws.String(strings.Repeat("a", 1784))}
		}, "TooLongCSPInResponseHeadersPolicy"},
		"XSSProtection without Protection": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.XSSProtection = &cftypes.ResponseHeadersPolicyXSSProtection{Override: aws.Bool(true)}
		}, "InvalidArgument"},
		"XSSProtection with ModeBlock and a ReportUri": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.XSSProtection = &cftypes.ResponseHeadersPolicyXSSProtection{Override: aws.Bool(true), Protection: aws.Bool(true), ModeBlock: aws.Bool(true), ReportUri: aws.String("https://r.example.com")}
		}, "InvalidArgument"},
		"ContentTypeOptions without Override": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.ContentTypeOptions = &cftypes.ResponseHeadersPolicyContentTypeOptions{}
		}, "InvalidArgument"},
		"StrictTransportSecurity without AccessControlMaxAgeSec": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.StrictTransportSecurity.AccessControlMaxAgeSec = nil
		}, "InvalidArgument"},
		"a custom header without Override": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CustomHeadersConfig.Items[0].Override = nil
		}, "InvalidArgument"},
		"a custom header without Value": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CustomHeadersConfig.Items[0].Value = nil
		}, "InvalidArgument"},
		"11 custom headers": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CustomHeadersConfig = customHeaders(11, 5)
		}, "TooManyCustomHeadersInResponseHeadersPolicy"},
		"a custom header value of 1,784 characters": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CustomHeadersConfig = customHeaders(1, 1784)
		}, "InvalidArgument"},
		"custom headers of 10,241 characters together": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CustomHeadersConfig = customHeaders(6, 1700) // 6 x (4 + 1700) = 10,224, then one more
			c.CustomHeadersConfig.Items[5].Header = aws.String("X-H5" + strings.Repeat("h", 17))
		}, "InvalidArgument"},
		"11 headers to remove": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.RemoveHeadersConfig = &cftypes.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(11)}
			for i := range 11 {
				c.RemoveHeadersConfig.Items = append(c.RemoveHeadersConfig.Items, cftypes.ResponseHeadersPolicyRemoveHeader{Header: aws.String(fmt.Sprintf("X-R%d", i))})
			}
		}, "TooManyRemoveHeadersInResponseHeadersPolicy"},
		"ServerTiming without Enabled": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.ServerTimingHeadersConfig.Enabled = nil
		}, "InvalidArgument"},
		"ServerTiming with SamplingRate 101": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.ServerTimingHeadersConfig.SamplingRate = aws.Float64(101)
		}, "InvalidArgument"},
		"ServerTiming with five decimal places": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.ServerTimingHeadersConfig.SamplingRate = aws.Float64(12.00001)
		}, "InvalidArgument"},
		"a Comment of 200 characters": {func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.Comment = aws.String(strings.Repeat("c", 200))
		}, "InvalidArgument"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := sampleConfig(name)
			tc.change(c)
			// The SDK checks required members itself: without that check the request reaches
			// the emulator as a client that skipped it (or the aws CLI with a hand-written
			// document) would send it.
			_, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: c}, noValidation)
			wantCode(t, err, tc.code)
		})
	}
	accepted := map[string]func(c *cftypes.ResponseHeadersPolicyConfig){
		// One origin is what Access-Control-Allow-Origin carries: 25 origins of 80 characters
		// (2,024 joined) are a valid CorsConfig.
		"25 origins of 80 characters": func(c *cftypes.ResponseHeadersPolicyConfig) {
			var origins []string
			for i := range 25 {
				origins = append(origins, fmt.Sprintf("https://%s%02d.example.com", strings.Repeat("o", 80-len("https://.example.com")-2), i))
			}
			c.CorsConfig.AccessControlAllowOrigins = &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(25), Items: origins}
		},
		"an origin of exactly 1,783 characters": func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CorsConfig.AccessControlAllowOrigins = &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: strs("https://" + strings.Repeat("a", 1775))}
		},
		"10 custom headers of 10,240 characters together": func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.CustomHeadersConfig = customHeaders(10, 1020) // 10 x (4 + 1020)
		},
		"a Content-Security-Policy of 1,783 characters and a Comment of 128": func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.ContentSecurityPolicy = &cftypes.ResponseHeadersPolicyContentSecurityPolicy{Override: aws.Bool(true), ContentSecurityPolicy: aws.String(strings.Repeat("a", 1783))}
			c.Comment = aws.String(strings.Repeat("c", 128))
		},
		"ServerTiming with SamplingRate 12.3456": func(c *cftypes.ResponseHeadersPolicyConfig) {
			c.ServerTimingHeadersConfig.SamplingRate = aws.Float64(12.3456)
		},
	}
	for name, change := range accepted {
		t.Run(name, func(t *testing.T) {
			c := sampleConfig(name)
			change(c)
			out, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: c})
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if _, err := cf.DeleteResponseHeadersPolicy(ctx, &cloudfront.DeleteResponseHeadersPolicyInput{Id: out.ResponseHeadersPolicy.Id, IfMatch: out.ETag}); err != nil {
				t.Fatal(err)
			}
		})
	}
	for range emulator.CloudFrontPolicyQuota {
		if _, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: sampleConfig(uuidish(t))}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: sampleConfig("one-too-many")})
	wantCode(t, err, "TooManyResponseHeadersPolicies")
}

// noValidation removes the SDK's own check of required members, so that a request the model
// forbids reaches the emulator, which must refuse it as CloudFront does.
func noValidation(o *cloudfront.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		_, err := s.Initialize.Remove("OperationInputValidation")
		return err
	})
}

// customHeaders returns n custom headers X-H0... with values of size characters.
func customHeaders(n, size int) *cftypes.ResponseHeadersPolicyCustomHeadersConfig {
	h := &cftypes.ResponseHeadersPolicyCustomHeadersConfig{Quantity: aws.Int32(int32(n))}
	for i := range n {
		h.Items = append(h.Items, cftypes.ResponseHeadersPolicyCustomHeader{Header: aws.String(fmt.Sprintf("X-H%d", i)),
			Value: aws.String(strings.Repeat("v", size)), Override: aws.Bool(true)})
	}
	return h
}

var uuidCounter int

func uuidish(t *testing.T) string {
	t.Helper()
	uuidCounter++
	return "p" + strings.Repeat("x", uuidCounter)
}

func TestCloudFrontWritesEmitCloudTrailRecordsInUSEast1(t *testing.T) {
	f := newFixture(t, emulator.WithRegion("eu-west-1"))
	var events []map[string]any
	f.emu.Subscribe(func(ev []byte) {
		var m map[string]any
		if err := json.Unmarshal(ev, &m); err == nil {
			events = append(events, m)
		}
	})
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	created := must[*cloudfront.CreateResponseHeadersPolicyOutput](t)(cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: sampleConfig("media")}))
	if _, err := cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: created.ResponseHeadersPolicy.Id, IfMatch: created.ETag, ResponseHeadersPolicyConfig: sampleConfig("media")}); err != nil {
		t.Fatal(err)
	}
	_, _ = cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: created.ResponseHeadersPolicy.Id, IfMatch: created.ETag, ResponseHeadersPolicyConfig: sampleConfig("media")})
	if len(events) != 2 {
		t.Fatalf("%d events, want 2 (a failed call emits none)", len(events))
	}
	for i, want := range []string{"CreateResponseHeadersPolicy", "UpdateResponseHeadersPolicy"} {
		ev := events[i]
		d := ev["detail"].(map[string]any)
		name := d["requestParameters"].(map[string]any)["responseHeadersPolicyConfig"].(map[string]any)["name"]
		if ev["source"] != "aws.cloudfront" || ev["region"] != "us-east-1" || d["eventName"] != want || d["awsRegion"] != "us-east-1" ||
			d["eventSource"] != "cloudfront.amazonaws.com" || name != "media" {
			t.Errorf("event %d: %v", i, ev)
		}
	}
}

func TestCloudFrontDistributionsAndCachePolicies(t *testing.T) {
	f := newFixture(t)
	f.emu.AddCachePolicy(emulator.CachePolicy{ID: "cp-origin", Name: "with-origin", Headers: []string{"Origin"}})
	f.emu.AddDistribution(emulator.Distribution{ID: "E1", OriginDomain: "media.s3.amazonaws.com",
		DefaultBehavior: emulator.Behavior{TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized},
		Behaviors: []emulator.Behavior{
			{PathPattern: "/hls/*", TargetOriginID: "s3", CachePolicyID: "cp-origin", ResponseHeadersPolicyID: emulator.ManagedSimpleCORS},
			{PathPattern: "/legacy/*", TargetOriginID: "s3", ForwardedHeaders: []string{"Origin"}},
		}})
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	list := must[*cloudfront.ListDistributionsOutput](t)(cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{}))
	l := list.DistributionList
	if aws.ToInt32(l.Quantity) != 1 || aws.ToBool(l.IsTruncated) {
		t.Fatalf("distribution list %+v", l)
	}
	d := l.Items[0]
	//lint:ignore SA1019 legacy behaviours without a cache policy still forward headers this way
	legacy := d.CacheBehaviors.Items[1].ForwardedValues
	if aws.ToString(d.Id) != "E1" || aws.ToString(d.DefaultCacheBehavior.CachePolicyId) != emulator.ManagedCachingOptimized ||
		aws.ToInt32(d.CacheBehaviors.Quantity) != 2 ||
		aws.ToString(d.CacheBehaviors.Items[0].ResponseHeadersPolicyId) != emulator.ManagedSimpleCORS ||
		aws.ToString(d.CacheBehaviors.Items[1].PathPattern) != "/legacy/*" ||
		!cmp.Equal(legacy.Headers.Items, []string{"Origin"}) {
		t.Errorf("distribution summary %+v", d)
	}
	cp := must[*cloudfront.GetCachePolicyOutput](t)(cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String("cp-origin")}))
	hc := cp.CachePolicy.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig
	if hc.HeaderBehavior != cftypes.CachePolicyHeaderBehaviorWhitelist || !cmp.Equal(hc.Headers.Items, []string{"Origin"}) {
		t.Errorf("cache policy headers %+v", hc)
	}
	_, err := cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String("nope")})
	wantCode(t, err, "NoSuchCachePolicy")
	cps := must[*cloudfront.ListCachePoliciesOutput](t)(cf.ListCachePolicies(ctx, &cloudfront.ListCachePoliciesInput{Type: cftypes.CachePolicyTypeCustom}))
	if aws.ToInt32(cps.CachePolicyList.Quantity) != 1 {
		t.Errorf("custom cache policies: %+v", cps.CachePolicyList)
	}
}

// A response headers policy that a cache behaviour uses cannot be deleted
// (ResponseHeadersPolicyInUse, 409 in the model); it can be updated, and deleted once no
// distribution uses it.
func TestCloudFrontRefusesToDeleteAPolicyInUse(t *testing.T) {
	f := newFixture(t)
	cf := cloudFrontClient(f.url)
	ctx := context.Background()
	created := must[*cloudfront.CreateResponseHeadersPolicyOutput](t)(cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: sampleConfig("in-use")}))
	id := aws.ToString(created.ResponseHeadersPolicy.Id)
	f.emu.AddDistribution(emulator.Distribution{ID: "E1", DefaultBehavior: emulator.Behavior{TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized},
		Behaviors: []emulator.Behavior{{PathPattern: "/hls/*", TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized, ResponseHeadersPolicyID: id}}})
	_, err := cf.DeleteResponseHeadersPolicy(ctx, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(id), IfMatch: created.ETag})
	wantCode(t, err, "ResponseHeadersPolicyInUse")
	var inUse *cftypes.ResponseHeadersPolicyInUse
	if !errors.As(err, &inUse) {
		t.Errorf("error %T, want the SDK's *types.ResponseHeadersPolicyInUse", err)
	}
	updated := must[*cloudfront.UpdateResponseHeadersPolicyOutput](t)(cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{
		Id: aws.String(id), IfMatch: created.ETag, ResponseHeadersPolicyConfig: sampleConfig("in-use")}))
	f.emu.AddDistribution(emulator.Distribution{ID: "E1", DefaultBehavior: emulator.Behavior{TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized}})
	if _, err := cf.DeleteResponseHeadersPolicy(ctx, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(id), IfMatch: updated.ETag}); err != nil {
		t.Errorf("delete once no distribution uses it: %v", err)
	}
}
