package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/cdnchain"
	"github.com/corsguard/corsguard/probe"
)

// TestProbeTargetCloudFrontJudgesTheEmulatedChains runs `corsguard probe --target cloudfront
// --distribution ID --path PATH` against issue 26's chains in the emulator: the distributions
// come from CloudFront's API, the intent from SSM (the CloudFront baseline where the behaviour
// has a response headers policy with CORS, the buckets' otherwise), the answers from the
// emulator's TLS data plane reached through --resolve and trusted through --ca-bundle. No
// browser ran before: the cache is cold, and the probe's own first request fills it.
func TestProbeTargetCloudFrontJudgesTheEmulatedChains(t *testing.T) {
	a := newAccount(t)
	ca, err := emulator.NewCA()
	must(t, err)
	tlsURL, stopTLS, err := a.emu.StartTLS("127.0.0.1:0", ca)
	must(t, err)
	t.Cleanup(func() { _ = stopTLS(context.Background()) })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(caFile, ca.PEM(), 0o600))
	chains, err := cdnchain.BuildAll(context.Background(), a.url, "us-east-1")
	must(t, err)
	must(t, a.emu.SeedParameter("/probe/buckets", "", `[{"AllowedOrigins":["`+cdnchain.OriginA+`","`+cdnchain.OriginB+`"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}]`, ""))
	must(t, a.emu.SeedParameter("/probe/cloudfront", "", `{"AccessControlAllowOrigins":{"Items":["`+cdnchain.OriginA+`","`+cdnchain.OriginB+`"]},
		"AccessControlAllowHeaders":{"Items":["*"]},"AccessControlAllowMethods":{"Items":["GET","HEAD"]},
		"AccessControlAllowCredentials":false,"OriginOverride":true}`, ""))

	// What each chain gives the baseline's origins and the one outside it, on a cold cache.
	want := map[string]map[string][]probe.Verdict{
		"compliant":      {cdnchain.OriginA: {probe.OK}, cdnchain.OriginB: {probe.OK}, probe.OutsideOrigin: {probe.OK}},
		"poisoned-cache": {cdnchain.OriginA: {probe.OK}, cdnchain.OriginB: {probe.CachedCrossOrigin}, probe.OutsideOrigin: {probe.CachedCrossOrigin}},
		"options-not-allowed": {cdnchain.OriginA: {probe.PreflightBlocked}, cdnchain.OriginB: {probe.PreflightBlocked},
			probe.OutsideOrigin: {probe.OK}},
		"origin-override": {cdnchain.OriginA: {probe.MissingVary, probe.PreflightBlocked}, cdnchain.OriginB: {probe.MissingVary, probe.PreflightBlocked},
			probe.OutsideOrigin: {probe.OK}},
		"baseline-origin-missing": {cdnchain.OriginA: {probe.OK}, cdnchain.OriginB: {probe.Blocked, probe.PreflightBlocked}, probe.OutsideOrigin: {probe.OK}},
		"leak":                    {cdnchain.OriginA: {probe.OK}, cdnchain.OriginB: {probe.OK}, probe.OutsideOrigin: {probe.Leak}},
	}
	for _, ch := range chains {
		t.Run(ch.Scenario, func(t *testing.T) {
			before := a.emu.Calls()
			r := corsguard(t, "", "probe", "--target", "cloudfront", "--distribution", ch.DistributionID, "--path", "/"+ch.Key,
				"--endpoint-url", a.url, "--baseline-parameter", "/probe/buckets", "--cloudfront-baseline-parameter", "/probe/cloudfront",
				"--resolve", ch.Domain+"="+strings.TrimPrefix(tlsURL, "https://"), "--ca-bundle", caFile, "--rate", "100", "-f", "json")
			rep := probeReport(t, r)
			got := map[string][]probe.Verdict{}
			for _, res := range rep.Results {
				if res.Credentials == probe.Omit {
					got[res.Origin] = append(got[res.Origin], res.Verdict)
				}
				if res.Distribution != ch.DistributionID || res.URL != ch.URL {
					t.Errorf("result names %s %s, want %s %s", res.Distribution, res.URL, ch.DistributionID, ch.URL)
				}
				wantBaseline := "/probe/buckets version 1"
				if ch.Scenario == "origin-override" {
					wantBaseline = "/probe/cloudfront version 1"
				}
				if res.Baseline != wantBaseline {
					t.Errorf("intent %q, want %q", res.Baseline, wantBaseline)
				}
			}
			for origin, w := range want[ch.Scenario] {
				if !slices.Equal(got[origin], w) {
					t.Errorf("%s: %v, want %v", origin, got[origin], w)
				}
			}
			wantCode := exitDrifted
			if ch.Scenario == "compliant" {
				wantCode = exitOK
			}
			if r.code != wantCode {
				t.Errorf("exit %d, want %d; stderr %s", r.code, wantCode, r.stderr)
			}
			after := a.emu.Calls()
			if after["ListTagsForResource"] != before["ListTagsForResource"] || after["ListDistributions"]-before["ListDistributions"] != 1 {
				t.Errorf("calls before %v after %v: want one ListDistributions and no tag read with --path", before, after)
			}
		})
	}
}

// TestProbeTargetCloudFrontProbesTaggedDistributionsOnly: with --target cloudfront alone, a
// distribution is probed on the path its corsguard:probe-path tag names; one without the tag,
// or whose tag is not a path, is skipped and reported, and nothing is sent to it.
func TestProbeTargetCloudFrontProbesTaggedDistributionsOnly(t *testing.T) {
	a := newAccount(t)
	ca, err := emulator.NewCA()
	must(t, err)
	tlsURL, stopTLS, err := a.emu.StartTLS("127.0.0.1:0", ca)
	must(t, err)
	t.Cleanup(func() { _ = stopTLS(context.Background()) })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(caFile, ca.PEM(), 0o600))
	ctx := context.Background()
	chains, err := cdnchain.BuildAll(ctx, a.url, "us-east-1")
	must(t, err)
	cf := cdnchain.NewClients(a.url, "us-east-1").CloudFront
	tag := func(ch cdnchain.Chain, value string) {
		t.Helper()
		_, err := cf.TagResource(ctx, &cloudfront.TagResourceInput{
			Resource: aws.String("arn:aws:cloudfront::" + a.emu.Account() + ":distribution/" + ch.DistributionID),
			Tags:     &cftypes.Tags{Items: []cftypes.Tag{{Key: aws.String(ProbePathTag), Value: aws.String(value)}}}})
		must(t, err)
	}
	byName := map[string]cdnchain.Chain{}
	for _, ch := range chains {
		byName[ch.Scenario] = ch
	}
	tag(byName["leak"], "/"+cdnchain.MediaKey)
	tag(byName["compliant"], "media/clip.mp4") // not a path: no leading /
	file := writeBaseline(t, cdnchain.OriginA, cdnchain.OriginB)
	args := []string{"probe", "--target", "cloudfront", "--endpoint-url", a.url, "--baseline-file", file,
		"--ca-bundle", caFile, "--rate", "100", "-f", "json"}
	for _, ch := range chains {
		args = append(args, "--resolve", ch.Domain+"="+strings.TrimPrefix(tlsURL, "https://"))
	}
	r := corsguard(t, "", args...)
	rep := probeReport(t, r)
	if r.code != exitDrifted {
		t.Errorf("exit %d, want 3 (the leak); stderr %s", r.code, r.stderr)
	}
	for _, res := range rep.Results {
		if res.Distribution != byName["leak"].DistributionID {
			t.Errorf("probed %s, which has no usable tag", res.Distribution)
		}
	}
	if rep.Totals[probe.Leak] != 1 {
		t.Errorf("totals %v, want one leak", rep.Totals)
	}
	skipped := map[string]string{}
	for _, s := range rep.Skipped {
		skipped[s.Distribution] = s.Reason
	}
	if len(skipped) != len(chains)-1 || !strings.Contains(skipped[byName["compliant"].DistributionID], "is not a path") ||
		!strings.Contains(skipped[byName["poisoned-cache"].DistributionID], "no corsguard:probe-path tag") {
		t.Errorf("skipped %v", skipped)
	}
	for _, ch := range chains {
		if n := a.emu.ResourceCalls("EdgeRequest", ch.DistributionID); (n > 0) != (ch.Scenario == "leak") {
			t.Errorf("%s: %d requests reached its edge", ch.Scenario, n)
		}
	}
}

// TestProbeJudgesADistributionByItsOriginBucketsProfile: the intent of an S3-origin behaviour
// is the baseline of its origin bucket's profile. The buckets' default baseline allows only
// OriginA; the uploads profile allows only the app's origin, which each upload bucket's CORS
// allows: judged by uploads (by tag, or by pattern), the app's origin is ok and nothing is a
// finding; judged by the default it would be OriginA blocked. A bucket that is exempt, or whose
// tag names a profile without a parameter, is skipped and reported.
func TestProbeJudgesADistributionByItsOriginBucketsProfile(t *testing.T) {
	const app = "https://app.example.com"
	a := newAccount(t)
	ca, err := emulator.NewCA()
	must(t, err)
	tlsURL, stopTLS, err := a.emu.StartTLS("127.0.0.1:0", ca)
	must(t, err)
	t.Cleanup(func() { _ = stopTLS(context.Background()) })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(caFile, ca.PEM(), 0o600))
	ctx := context.Background()
	c := cdnchain.NewClients(a.url, "us-east-1")
	must(t, a.emu.SeedParameter("/probe/buckets", "", `[{"AllowedOrigins":["`+cdnchain.OriginA+`"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}]`, ""))
	must(t, a.emu.SeedParameter("/corsguard/profiles/s3/uploads", "", `[{"AllowedOrigins":["`+app+`"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}]`, ""))
	chain := func(name string, tags map[string]string) cdnchain.Chain {
		t.Helper()
		ch, err := cdnchain.Build(ctx, c, cdnchain.Scenario{Name: name, Doc: name,
			Rules: []s3types.CORSRule{{AllowedOrigins: []string{app}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"*"}}},
			Behavior: cdnchain.Behavior{AllowedMethods: []cftypes.Method{cftypes.MethodGet, cftypes.MethodHead, cftypes.MethodOptions},
				CachePolicyID: emulator.ManagedCachingDisabled, OriginRequestPolicyID: emulator.ManagedCORSS3Origin}})
		must(t, err)
		if tags != nil {
			var set []s3types.Tag
			for k, v := range tags {
				set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			_, err := c.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(ch.Bucket), Tagging: &s3types.Tagging{TagSet: set}})
			must(t, err)
		}
		return ch
	}
	for _, tc := range []struct {
		name, skip string
		tags       map[string]string
		source     string
	}{
		{name: "uploads-tagged", tags: map[string]string{"corsguard:profile": "uploads"}, source: "by tag"},
		{name: "uploads-named", source: "by pattern"},
		{name: "archive-tagged", tags: map[string]string{"corsguard:profile": "archive"}, skip: "/corsguard/profiles/s3/archive"},
		{name: "uploads-exempt", tags: map[string]string{"corsguard:exempt": "true"}, skip: "is exempt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := chain(tc.name, tc.tags)
			before := a.emu.Calls()
			r := corsguard(t, "", "probe", "--target", "cloudfront", "--distribution", ch.DistributionID, "--path", "/"+ch.Key,
				"--endpoint-url", a.url, "--baseline-parameter", "/probe/buckets", "--profile-pattern", "uploads=cdnchain-uploads-*",
				"--resolve", ch.Domain+"="+strings.TrimPrefix(tlsURL, "https://"), "--ca-bundle", caFile, "--rate", "100", "-f", "json")
			rep := probeReport(t, r)
			if n := a.emu.Calls()["GetBucketTagging"] - before["GetBucketTagging"]; n != 1 {
				t.Errorf("%d GetBucketTagging; want the origin bucket's tags read once", n)
			}
			if tc.skip != "" {
				if r.code != exitOK || len(rep.Results) != 0 || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, tc.skip) {
					t.Errorf("exit %d, results %v, skipped %+v; want it skipped saying %q", r.code, rep.Results, rep.Skipped, tc.skip)
				}
				return
			}
			if r.code != exitOK {
				t.Errorf("exit %d, want 0: every answer is what uploads intends; stderr %s", r.code, r.stderr)
			}
			origins := map[string]probe.Verdict{}
			for _, res := range rep.Results {
				origins[res.Origin] = res.Verdict
				if !strings.Contains(res.Baseline, "/corsguard/profiles/s3/uploads version 1") || !strings.Contains(res.Baseline, tc.source) {
					t.Errorf("intent %q; want the uploads profile of the origin bucket, %s", res.Baseline, tc.source)
				}
			}
			if origins[app] != probe.OK || origins[probe.OutsideOrigin] != probe.OK {
				t.Errorf("verdicts %v; want the app's origin and the outside one ok", origins)
			}
			if _, probed := origins[cdnchain.OriginA]; probed {
				t.Errorf("probed %s, which only the default baseline allows", cdnchain.OriginA)
			}
		})
	}
}

// TestProbeJudgesAResponseHeadersPolicyByItsProfile: a behaviour with a response headers
// policy with CORS is held to the CloudFront baseline, that of the profile a pattern gives the
// policy's name when one does (policies carry no tags).
func TestProbeJudgesAResponseHeadersPolicyByItsProfile(t *testing.T) {
	a := newAccount(t)
	ca, err := emulator.NewCA()
	must(t, err)
	tlsURL, stopTLS, err := a.emu.StartTLS("127.0.0.1:0", ca)
	must(t, err)
	t.Cleanup(func() { _ = stopTLS(context.Background()) })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(caFile, ca.PEM(), 0o600))
	var scenario cdnchain.Scenario
	for _, s := range cdnchain.Scenarios() {
		if s.Name == "origin-override" {
			scenario = s
		}
	}
	ch, err := cdnchain.Build(context.Background(), cdnchain.NewClients(a.url, "us-east-1"), scenario)
	must(t, err)
	must(t, a.emu.SeedParameter("/probe/cloudfront", "", `{"AccessControlAllowOrigins":{"Items":["`+cdnchain.OriginOther+`"]},
		"AccessControlAllowHeaders":{"Items":["*"]},"AccessControlAllowMethods":{"Items":["GET","HEAD"]},"AccessControlAllowCredentials":false,"OriginOverride":true}`, ""))
	must(t, a.emu.SeedParameter("/corsguard/profiles/cloudfront/players", "", `{"AccessControlAllowOrigins":{"Items":["`+cdnchain.OriginA+`","`+cdnchain.OriginB+`"]},
		"AccessControlAllowHeaders":{"Items":["*"]},"AccessControlAllowMethods":{"Items":["GET","HEAD"]},"AccessControlAllowCredentials":false,"OriginOverride":true}`, ""))
	r := corsguard(t, "", "probe", "--target", "cloudfront", "--distribution", ch.DistributionID, "--path", "/"+ch.Key,
		"--endpoint-url", a.url, "--cloudfront-baseline-parameter", "/probe/cloudfront", "--profile-pattern", "players=cdnchain-origin-*",
		"--resolve", ch.Domain+"="+strings.TrimPrefix(tlsURL, "https://"), "--ca-bundle", caFile, "--rate", "100", "-f", "json")
	rep := probeReport(t, r)
	probed := map[string]bool{}
	for _, res := range rep.Results {
		probed[res.Origin] = true
		if !strings.Contains(res.Baseline, "/corsguard/profiles/cloudfront/players version 1 (profile players of response headers policy cdnchain-origin-override, by pattern)") {
			t.Errorf("intent %q; want the players profile of the policy", res.Baseline)
		}
	}
	if !probed[cdnchain.OriginA] || !probed[cdnchain.OriginB] || probed[cdnchain.OriginOther] {
		t.Errorf("origins probed %v; want the players profile's A and B, not the default's other origin", probed)
	}
	if a.emu.Calls()["GetBucketTagging"] != 0 {
		t.Error("the origin bucket's tags were read: the policy's CORS answers, not the bucket's")
	}
}
