package enforce_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
)

func TestTheDeliveryChainCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	compliant := e.createPolicy(withEverything("compliant", compliantCors()))
	drifted := e.createPolicy(withEverything("drifted", driftedCors()))
	securityOnly := e.createPolicy(withEverything("security-only", nil))
	e.emu.AddCachePolicy(emulator.CachePolicy{ID: "cp-origin", Name: "with-origin", Headers: []string{"Origin", "Range"}})
	e.emu.AddDistribution(emulator.Distribution{ID: "E1MEDIA", OriginDomain: "media.s3.us-east-1.amazonaws.com",
		DefaultBehavior: emulator.Behavior{TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized}, // origin CORS, Origin not in the key
		Behaviors: []emulator.Behavior{
			{PathPattern: "/hls/*", TargetOriginID: "s3", CachePolicyID: "cp-origin"},                                                           // origin CORS, keyed on Origin: fine
			{PathPattern: "/dash/*", TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized, ResponseHeadersPolicyID: compliant}, // fine
			{PathPattern: "/old/*", TargetOriginID: "s3", ResponseHeadersPolicyID: drifted, ForwardedHeaders: []string{"Origin"}},
			{PathPattern: "/simple/*", TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized, ResponseHeadersPolicyID: emulator.ManagedSimpleCORS},
			{PathPattern: "/sec/*", TargetOriginID: "s3", ResponseHeadersPolicyID: securityOnly, ForwardedHeaders: []string{"Host"}},
			{PathPattern: "/legacy-ok/*", TargetOriginID: "s3", ForwardedHeaders: []string{"origin"}},
		}})
	eng := e.cloudFrontEngine(enforce.CloudFrontOptions{})
	rep := eng.CheckChain(context.Background(), e.cf)
	if rep.Error != "" {
		t.Fatal(rep.Error)
	}
	type got struct{ behavior, problem, policy string }
	var findings []got
	for _, f := range rep.Findings {
		if f.Distribution != "E1MEDIA" {
			t.Errorf("finding on %s", f.Distribution)
		}
		findings = append(findings, got{f.Behavior, f.Problem, f.ResponseHeadersPolicy})
	}
	want := []got{
		{"default", enforce.OriginNotInCacheKey, ""},
		{"/old/*", enforce.PolicyOutsideBaseline, "drifted"},
		{"/simple/*", enforce.PolicyOutsideBaseline, "Managed-SimpleCORS"},
		{"/sec/*", enforce.OriginNotInCacheKey, "security-only"},
	}
	if diff := cmp.Diff(want, findings, cmp.AllowUnexported(got{})); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.Distributions != 1 || rep.Behaviors != 7 {
		t.Errorf("checked %d distributions, %d behaviours", rep.Distributions, rep.Behaviors)
	}
	for _, op := range []string{"UpdateResponseHeadersPolicy", "UpdateDistribution"} {
		if n := e.emu.Calls()[op]; n != 0 {
			t.Errorf("the check called %s %d times", op, n)
		}
	}
	for _, op := range []string{"ListDistributions", "GetCachePolicy", "GetResponseHeadersPolicy"} {
		for range e.emu.Calls()[op] {
			e.ownCall(op) // not the engine's reconcile: not in enforce.Actions
		}
	}
}
