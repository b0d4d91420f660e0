package enforce_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

const cfParam = "/corsguard/cloudfront-baseline"

// cfBaseline is the CloudFront baseline, in the shape the aws CLI prints.
const cfBaseline = `{"CorsConfig": {
	"AccessControlAllowOrigins": {"Quantity": 2, "Items": ["https://player.example.com", "https://www.example.com"]},
	"AccessControlAllowHeaders": {"Quantity": 1, "Items": ["Range"]},
	"AccessControlAllowMethods": {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"]},
	"AccessControlAllowCredentials": false,
	"AccessControlExposeHeaders": {"Quantity": 1, "Items": ["ETag"]},
	"AccessControlMaxAgeSec": 600,
	"OriginOverride": true}}`

func cfCors(origins []string, headers []string, methods ...string) *cftypes.ResponseHeadersPolicyCorsConfig {
	ms := make([]cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues, len(methods))
	for i, m := range methods {
		ms[i] = cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues(m)
	}
	return &cftypes.ResponseHeadersPolicyCorsConfig{
		AccessControlAllowOrigins:     &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(int32(len(origins))), Items: origins},
		AccessControlAllowHeaders:     &cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(int32(len(headers))), Items: headers},
		AccessControlAllowMethods:     &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(int32(len(ms))), Items: ms},
		AccessControlAllowCredentials: aws.Bool(false),
		AccessControlExposeHeaders:    &cftypes.ResponseHeadersPolicyAccessControlExposeHeaders{Quantity: aws.Int32(1), Items: []string{"etag"}},
		AccessControlMaxAgeSec:        aws.Int32(600),
		OriginOverride:                aws.Bool(true),
	}
}

// compliantCors equals the baseline with every list reordered and header names in other case.
func compliantCors() *cftypes.ResponseHeadersPolicyCorsConfig {
	return cfCors([]string{"https://www.example.com", "https://player.example.com"}, []string{"range"}, "OPTIONS", "HEAD", "GET")
}

func driftedCors() *cftypes.ResponseHeadersPolicyCorsConfig {
	return cfCors([]string{"*"}, []string{"*"}, "ALL")
}

// withEverything is a policy config with every field corsguard does not own.
func withEverything(name string, cors *cftypes.ResponseHeadersPolicyCorsConfig) *cftypes.ResponseHeadersPolicyConfig {
	return &cftypes.ResponseHeadersPolicyConfig{
		Name:       aws.String(name),
		Comment:    aws.String("owned by the media team"),
		CorsConfig: cors,
		SecurityHeadersConfig: &cftypes.ResponseHeadersPolicySecurityHeadersConfig{
			StrictTransportSecurity: &cftypes.ResponseHeadersPolicyStrictTransportSecurity{Override: aws.Bool(true), AccessControlMaxAgeSec: aws.Int32(63072000), Preload: aws.Bool(true)},
			ContentTypeOptions:      &cftypes.ResponseHeadersPolicyContentTypeOptions{Override: aws.Bool(true)},
			ReferrerPolicy:          &cftypes.ResponseHeadersPolicyReferrerPolicy{Override: aws.Bool(false), ReferrerPolicy: cftypes.ReferrerPolicyListNoReferrer},
		},
		CustomHeadersConfig: &cftypes.ResponseHeadersPolicyCustomHeadersConfig{Quantity: aws.Int32(1),
			Items: []cftypes.ResponseHeadersPolicyCustomHeader{{Header: aws.String("X-Team"), Value: aws.String("media"), Override: aws.Bool(true)}}},
		ServerTimingHeadersConfig: &cftypes.ResponseHeadersPolicyServerTimingHeadersConfig{Enabled: aws.Bool(true), SamplingRate: aws.Float64(10)},
		RemoveHeadersConfig: &cftypes.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(1),
			Items: []cftypes.ResponseHeadersPolicyRemoveHeader{{Header: aws.String("Server")}}},
	}
}

// createPolicy creates a response headers policy and returns its ID.
func (e *env) createPolicy(cfg *cftypes.ResponseHeadersPolicyConfig) string {
	e.t.Helper()
	e.ownCall("CreateResponseHeadersPolicy")
	out, err := e.cf.CreateResponseHeadersPolicy(context.Background(), &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: cfg})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.ResponseHeadersPolicy.Id)
}

// getPolicy returns a policy's config and ETag.
func (e *env) getPolicy(id string) (*cftypes.ResponseHeadersPolicyConfig, string) {
	e.t.Helper()
	e.ownCall("GetResponseHeadersPolicy")
	out, err := e.cf.GetResponseHeadersPolicy(context.Background(), &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(id)})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig, aws.ToString(out.ETag)
}

func (e *env) cloudFrontEngine(opts enforce.CloudFrontOptions, exclude ...string) *enforce.Engine {
	e.t.Helper()
	if err := e.emu.SeedParameter(cfParam, "String", cfBaseline, ""); err != nil {
		e.t.Fatal(err)
	}
	eng, err := enforce.New(enforce.Config{Parameter: param, Rate: inf,
		Kinds: map[policy.Kind]enforce.KindConfig{policy.CloudFront: {Parameter: cfParam, Selector: policy.Selector{Exclude: exclude}}}},
		e.ssm, enforce.CloudFront(e.cf, opts))
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

var cfIgnore = cmpopts.IgnoreUnexported(
	cftypes.ResponseHeadersPolicyConfig{}, cftypes.ResponseHeadersPolicyCorsConfig{},
	cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{}, cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{},
	cftypes.ResponseHeadersPolicyAccessControlAllowMethods{}, cftypes.ResponseHeadersPolicyAccessControlExposeHeaders{},
	cftypes.ResponseHeadersPolicySecurityHeadersConfig{}, cftypes.ResponseHeadersPolicyStrictTransportSecurity{},
	cftypes.ResponseHeadersPolicyContentTypeOptions{}, cftypes.ResponseHeadersPolicyReferrerPolicy{},
	cftypes.ResponseHeadersPolicyCustomHeadersConfig{}, cftypes.ResponseHeadersPolicyCustomHeader{},
	cftypes.ResponseHeadersPolicyServerTimingHeadersConfig{}, cftypes.ResponseHeadersPolicyRemoveHeadersConfig{},
	cftypes.ResponseHeadersPolicyRemoveHeader{})

func TestCloudFrontAuditThenEnforce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	compliant := e.createPolicy(withEverything("compliant", compliantCors()))
	drifted := e.createPolicy(withEverything("drifted", driftedCors()))
	excluded := e.createPolicy(withEverything("legacy-excluded", driftedCors()))
	noCors := e.createPolicy(withEverything("security-only", nil))
	eng := e.cloudFrontEngine(enforce.CloudFrontOptions{}, "legacy-*")

	_, compliantTag := e.getPolicy(compliant)
	_, excludedTag := e.getPolicy(excluded)
	_, noCorsTag := e.getPolicy(noCors)
	before, driftedTag := e.getPolicy(drifted)

	audit := e.run(context.Background(), eng, enforce.Work{Mode: enforce.ModeAudit})
	got := entries(audit)
	if !audit.Baseline.Valid || got["compliant"].Outcome != enforce.Compliant || got["drifted"].Outcome != enforce.Drifted ||
		got["security-only"].Outcome != enforce.Exempt || !strings.Contains(got["security-only"].Note, "no CorsConfig") ||
		len(got) != 3 || !cmp.Equal(audit.Excluded, []string{"legacy-excluded"}) {
		t.Fatalf("audit report: %+v", audit)
	}
	// The report carries each policy's Id, which its ARN (its finding's resource) holds.
	for name, id := range map[string]string{"compliant": compliant, "drifted": drifted, "security-only": noCors} {
		if got[name].ID != id {
			t.Errorf("%s's entry has ID %q, want the policy's Id %q", name, got[name].ID, id)
		}
	}
	var paths []string
	for _, c := range got["drifted"].Diff {
		paths = append(paths, c.Path)
	}
	if want := []string{"CorsConfig.AccessControlAllowOrigins", "CorsConfig.AccessControlAllowHeaders", "CorsConfig.AccessControlAllowMethods"}; !cmp.Equal(paths, want) {
		t.Errorf("drifted diff paths %v, want %v", paths, want)
	}
	if n := e.emu.Calls()["UpdateResponseHeadersPolicy"]; n != 0 {
		t.Fatalf("audit made %d updates", n)
	}

	rep := e.run(context.Background(), eng, enforce.Work{Mode: enforce.ModeEnforce})
	if got := entries(rep); !rep.Succeeded || got["drifted"].Outcome != enforce.Remediated || got["compliant"].Outcome != enforce.Compliant {
		t.Fatalf("enforce report: %+v", rep)
	}
	after, afterTag := e.getPolicy(drifted)
	if afterTag == driftedTag {
		t.Error("the drifted policy's ETag did not change")
	}
	want := withEverything("drifted", nil)
	want.CorsConfig = &cftypes.ResponseHeadersPolicyCorsConfig{
		AccessControlAllowOrigins:     &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(2), Items: []string{"https://player.example.com", "https://www.example.com"}},
		AccessControlAllowHeaders:     &cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: []string{"Range"}},
		AccessControlAllowMethods:     &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(3), Items: []cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "HEAD", "OPTIONS"}},
		AccessControlAllowCredentials: aws.Bool(false),
		AccessControlExposeHeaders:    &cftypes.ResponseHeadersPolicyAccessControlExposeHeaders{Quantity: aws.Int32(1), Items: []string{"ETag"}},
		AccessControlMaxAgeSec:        aws.Int32(600),
		OriginOverride:                aws.Bool(true),
	}
	if diff := cmp.Diff(want, after, cfIgnore); diff != "" {
		t.Errorf("the repaired policy (-want +got):\n%s", diff)
	}
	before.CorsConfig, after.CorsConfig = nil, nil
	if diff := cmp.Diff(before, after, cfIgnore); diff != "" {
		t.Errorf("fields corsguard does not own changed (-before +after):\n%s", diff)
	}
	for name, id := range map[string]string{"compliant": compliant, "excluded": excluded, "no CorsConfig": noCors} {
		_, tag := e.getPolicy(id)
		if was := map[string]string{"compliant": compliantTag, "excluded": excludedTag, "no CorsConfig": noCorsTag}[name]; tag != was {
			t.Errorf("the %s policy was written (ETag %s -> %s)", name, was, tag)
		}
	}
	if n := e.emu.Calls()["UpdateResponseHeadersPolicy"]; n != 1 {
		t.Errorf("%d updates, want 1", n)
	}
	again := e.run(context.Background(), eng, enforce.Work{Mode: enforce.ModeAudit})
	if again.Totals[enforce.Drifted] != 0 || again.Totals[enforce.Compliant] != 2 {
		t.Errorf("second audit: %+v", again.Totals)
	}
	// A policy named by an event is found by name; an AWS-managed one is never ours.
	named := e.run(context.Background(), eng, enforce.Work{Policies: []string{"drifted", "Managed-SimpleCORS"}, Mode: enforce.ModeEnforce})
	if got := entries(named); got["drifted"].Outcome != enforce.Compliant || got["drifted"].ID != drifted ||
		got["Managed-SimpleCORS"].Outcome != enforce.Gone || got["Managed-SimpleCORS"].ID != "" {
		t.Errorf("named run: %+v", named.Entries)
	}
}

func TestCloudFrontAddsAMissingCorsConfigOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	id := e.createPolicy(withEverything("security-only", nil))
	rep := e.run(context.Background(), e.cloudFrontEngine(enforce.CloudFrontOptions{AddMissingCors: true}), enforce.Work{})
	if got := entries(rep); got["security-only"].Outcome != enforce.Remediated || len(got["security-only"].Diff) != 1 || got["security-only"].Diff[0].Op != "add" {
		t.Fatalf("report: %+v", rep.Entries)
	}
	cfg, _ := e.getPolicy(id)
	if cfg.CorsConfig == nil || cfg.SecurityHeadersConfig == nil || aws.ToString(cfg.Comment) != "owned by the media team" {
		t.Errorf("after: %+v", cfg)
	}
}

// racingCloudFront changes the policy (its comment) just before the engine's first update of
// it, as a person in the console would, so that update carries a stale ETag.
type racingCloudFront struct {
	enforce.CloudFrontAPI
	e     *env
	raced atomic.Bool
	fixed bool // the racing change also repairs the CORS config
}

func (r *racingCloudFront) UpdateResponseHeadersPolicy(ctx context.Context, in *cloudfront.UpdateResponseHeadersPolicyInput, optFns ...func(*cloudfront.Options)) (*cloudfront.UpdateResponseHeadersPolicyOutput, error) {
	if !r.raced.Swap(true) {
		cfg, tag := r.e.getPolicy(aws.ToString(in.Id))
		cfg.Comment = aws.String("changed by hand meanwhile")
		if r.fixed {
			cfg.CorsConfig = compliantCors()
		}
		r.e.ownCall("UpdateResponseHeadersPolicy")
		if _, err := r.e.cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: in.Id, IfMatch: aws.String(tag), ResponseHeadersPolicyConfig: cfg}); err != nil {
			r.e.t.Fatal(err)
		}
	}
	return r.CloudFrontAPI.UpdateResponseHeadersPolicy(ctx, in, optFns...)
}

func TestCloudFrontAStaleETagIsReadAgainNeverOverwritten(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fixed   bool
		outcome enforce.Outcome
		updates int
	}{
		{"the change left CORS drifted: written over the change it now has seen", false, enforce.Remediated, 3},
		{"the change repaired CORS: nothing more to write", true, enforce.Compliant, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOption{})
			id := e.createPolicy(withEverything("drifted", driftedCors()))
			if err := e.emu.SeedParameter(cfParam, "String", cfBaseline, ""); err != nil {
				t.Fatal(err)
			}
			race := &racingCloudFront{CloudFrontAPI: e.cf, e: e, fixed: tc.fixed}
			eng, err := enforce.New(enforce.Config{Parameter: cfParam, Rate: inf}, e.ssm, enforce.CloudFront(race, enforce.CloudFrontOptions{}))
			if err != nil {
				t.Fatal(err)
			}
			rep := e.run(context.Background(), eng, enforce.Work{})
			if got := entries(rep)["drifted"]; got.Outcome != tc.outcome {
				t.Fatalf("entry %+v", got)
			}
			// The racing update, the refused stale one, and (when still drifted) the one after reading again.
			if n := e.emu.Calls()["UpdateResponseHeadersPolicy"]; n != tc.updates {
				t.Errorf("%d updates, want %d", n, tc.updates)
			}
			cfg, _ := e.getPolicy(id)
			if aws.ToString(cfg.Comment) != "changed by hand meanwhile" {
				t.Errorf("the change made meanwhile was overwritten: comment %q", aws.ToString(cfg.Comment))
			}
			if got := entries(e.run(context.Background(), eng, enforce.Work{Mode: enforce.ModeAudit}))["drifted"]; got.Outcome != enforce.Compliant {
				t.Errorf("not compliant after the run: %+v", got)
			}
		})
	}
}
