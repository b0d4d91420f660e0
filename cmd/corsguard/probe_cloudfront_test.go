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
