package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/policy"
)

// The CloudFront scenarios: the same bootstrap under aws-lambda-rie, CORSGUARD_TARGETS naming
// cloudfront, and the CloudTrail records of events/ (which name the policy media-cors).

const cfParam = "/corsguard/cloudfront"

const cfBaseline = `{"CorsConfig": {
  "AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://player.example.com"]},
  "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["Range"]},
  "AccessControlAllowMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
  "AccessControlAllowCredentials": false,
  "OriginOverride": true}}`

func cfEnv(a *account, targets string) map[string]string {
	env := fastEnv(a)
	env["CORSGUARD_TARGETS"] = targets
	env["CORSGUARD_CLOUDFRONT_BASELINE_PARAMETER"] = cfParam
	return env
}

// anyOrigin is the CorsConfig someone sets by hand.
func anyOrigin() *cftypes.ResponseHeadersPolicyCorsConfig {
	return &cftypes.ResponseHeadersPolicyCorsConfig{
		AccessControlAllowOrigins:     &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: []string{"*"}},
		AccessControlAllowHeaders:     &cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: []string{"*"}},
		AccessControlAllowMethods:     &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(1), Items: []cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues{"ALL"}},
		AccessControlAllowCredentials: aws.Bool(false),
		OriginOverride:                aws.Bool(false),
	}
}

func TestResponseHeadersPolicyEventsAreRouted(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	if err := a.SeedParameter(cfParam, "String", cfBaseline, ""); err != nil {
		t.Fatal(err)
	}
	cf := cloudfront.NewFromConfig(a.aws(t))
	ctx := context.Background()
	fn := startFunction(t, cfEnv(a, "mediastore,cloudfront"))

	// Created drifted: the CreateResponseHeadersPolicy record brings it to the baseline.
	created, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: &cftypes.ResponseHeadersPolicyConfig{
		Name: aws.String("media-cors"), Comment: aws.String("players"), CorsConfig: anyOrigin(),
		SecurityHeadersConfig: &cftypes.ResponseHeadersPolicySecurityHeadersConfig{ContentTypeOptions: &cftypes.ResponseHeadersPolicyContentTypeOptions{Override: aws.Bool(true)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ResponseHeadersPolicy.Id
	want, err := policy.ParseCorsConfig([]byte(cfBaseline))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string) {
		t.Helper()
		inv := fn.invoke(t, sample(t, name))
		wantSuccess(t, inv, handler.CorsChanged)
		wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
		if got := inv.Result.Entries; len(got) != 1 || got[0].Name != "media-cors" || got[0].Kind != policy.CloudFront {
			t.Errorf("%s: entries %+v, want only the policy media-cors", name, got)
		}
		out, err := cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		cfg := out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig
		if !policy.Equal(corsconv.FromCloudFront(cfg.CorsConfig), want.Policy()) || cfg.SecurityHeadersConfig == nil || aws.ToString(cfg.Comment) != "players" {
			t.Errorf("%s: policy after the run %+v", name, cfg)
		}
	}
	check("cloudtrail-create-response-headers-policy.json")

	// Changed by hand: the UpdateResponseHeadersPolicy record repairs it.
	got, err := cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.ResponseHeadersPolicy.ResponseHeadersPolicyConfig
	cfg.CorsConfig = anyOrigin()
	if _, err := cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: id, IfMatch: got.ETag, ResponseHeadersPolicyConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	check("cloudtrail-update-response-headers-policy.json")

	// A failed call changed nothing: ignored, no AWS call.
	before := a.TotalCalls()
	failed := strings.Replace(string(sample(t, "cloudtrail-update-response-headers-policy.json")), `"eventType"`, `"errorCode": "PreconditionFailed", "eventType"`, 1)
	inv := fn.invoke(t, []byte(failed))
	if inv.failed() || inv.Result.Event != handler.Ignored || a.TotalCalls() != before {
		t.Errorf("a failed update: %s, %d calls", inv, a.TotalCalls()-before)
	}
}

func TestTheCloudFrontTargetIsRefusedOutsideUSEast1(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	env := cfEnv(a, "mediastore,cloudfront")
	env["AWS_REGION"] = "eu-west-1"
	fn := startFunction(t, env)
	inv := fn.invoke(t, sample(t, "cloudtrail-update-response-headers-policy.json"))
	// CloudFront's events are of us-east-1: a function elsewhere ignores them as events of another
	// Region (router.Route) before its targets are asked.
	if note := inv.Result.Note; inv.failed() || inv.Result.Event != handler.Ignored ||
		!strings.Contains(note, "not among the targets") && !strings.Contains(note, "its own Region eu-west-1") {
		t.Errorf("a CloudFront event in eu-west-1: %s", inv)
	}
	if warn := fn.out.logs("target refused"); len(warn) != 1 || !strings.Contains(warn[0]["note"].(string), "refused in eu-west-1") {
		t.Errorf("start-up warnings %v, want one naming eu-west-1", warn)
	}
	if n := a.CallCount("ListResponseHeadersPolicies") + a.CallCount("GetResponseHeadersPolicy"); n != 0 {
		t.Errorf("%d CloudFront calls from a function outside us-east-1", n)
	}
}
