package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// cfBaselineJSON is the CloudFront baseline as it sits in SSM: the CorsConfig printed by
// aws cloudfront get-response-headers-policy.
const cfBaselineJSON = `{"CorsConfig":{
  "AccessControlAllowOrigins": {"Quantity": 2, "Items": ["https://player.example.com", "https://www.example.com"]},
  "AccessControlAllowHeaders": {"Quantity": 2, "Items": ["Range", "Content-Type"]},
  "AccessControlAllowMethods": {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"]},
  "AccessControlAllowCredentials": false,
  "AccessControlExposeHeaders": {"Quantity": 1, "Items": ["ETag"]},
  "AccessControlMaxAgeSec": 3000,
  "OriginOverride": true}}`

// A compliant policy with every list reordered (and header names in another case), plus
// security headers corsguard must not touch.
const cfCompliant = `{"Name":"media-compliant","Comment":"lists reordered",
 "CorsConfig":{
  "AccessControlAllowOrigins": {"Quantity": 2, "Items": ["https://www.example.com", "https://player.example.com"]},
  "AccessControlAllowHeaders": {"Quantity": 2, "Items": ["content-type", "range"]},
  "AccessControlAllowMethods": {"Quantity": 3, "Items": ["OPTIONS", "HEAD", "GET"]},
  "AccessControlAllowCredentials": false,
  "AccessControlExposeHeaders": {"Quantity": 1, "Items": ["etag"]},
  "AccessControlMaxAgeSec": 3000,
  "OriginOverride": true},
 "SecurityHeadersConfig":{"ContentTypeOptions":{"Override":true}}}`

// A drifted policy with security, custom, server-timing and remove-headers configs.
const cfDrifted = `{"Name":"%s","Comment":"players, hand-edited",
 "CorsConfig":{
  "AccessControlAllowOrigins": {"Quantity": 1, "Items": ["*"]},
  "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["*"]},
  "AccessControlAllowMethods": {"Quantity": 1, "Items": ["ALL"]},
  "AccessControlAllowCredentials": false,
  "OriginOverride": false},
 "SecurityHeadersConfig":{
  "StrictTransportSecurity":{"Override":true,"IncludeSubdomains":true,"Preload":true,"AccessControlMaxAgeSec":63072000},
  "FrameOptions":{"Override":true,"FrameOption":"DENY"},
  "ReferrerPolicy":{"Override":false,"ReferrerPolicy":"strict-origin-when-cross-origin"},
  "XSSProtection":{"Override":true,"Protection":true,"ModeBlock":true},
  "ContentSecurityPolicy":{"Override":true,"ContentSecurityPolicy":"default-src 'self'"}},
 "CustomHeadersConfig":{"Quantity":1,"Items":[{"Header":"X-Team","Value":"media","Override":true}]},
 "ServerTimingHeadersConfig":{"Enabled":true,"SamplingRate":12.5},
 "RemoveHeadersConfig":{"Quantity":1,"Items":[{"Header":"Server"}]}}`

// TestCloudFrontPoliciesMadeWithTheAWSCLI: response headers policies created with the aws
// CLI (one compliant with its lists reordered, drifted ones with security headers, one
// excluded by pattern) are audited (exit 3), repaired (exit 0) and audited again (exit 0);
// the CORS is the baseline's, every other field is kept, and the compliant and excluded
// policies are never written (their ETags do not move).
func TestCloudFrontPoliciesMadeWithTheAWSCLI(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-west-1") // the CLI reaches CloudFront's global API from any Region
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	url := startEmulator(t)
	aws := awsCLI(t, url, "3")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(content), 0o600))
		return "file://" + p
	}

	aws.ok("ssm", "put-parameter", "--name", "/corsguard/cloudfront", "--type", "String", "--value", cfBaselineJSON)
	ids := map[string]string{}
	for name, cfg := range map[string]string{
		"media-compliant": cfCompliant,
		"media-drifted":   strings.Replace(cfDrifted, "%s", "media-drifted", 1),
		"live-drifted":    strings.Replace(cfDrifted, "%s", "live-drifted", 1),
		"legacy-excluded": strings.Replace(cfDrifted, "%s", "legacy-excluded", 1),
	} {
		out := aws.ok("cloudfront", "create-response-headers-policy", "--response-headers-policy-config", write(name+".json", cfg))
		ids[name] = out["ResponseHeadersPolicy"].(map[string]any)["Id"].(string)
	}
	get := func(name string) (config map[string]any, etag string) {
		out := aws.ok("cloudfront", "get-response-headers-policy", "--id", ids[name])
		return out["ResponseHeadersPolicy"].(map[string]any)["ResponseHeadersPolicyConfig"].(map[string]any), out["ETag"].(string)
	}
	before, etags := map[string]map[string]any{}, map[string]string{}
	for name := range ids {
		before[name], etags[name] = get(name)
	}

	args := []string{"--target", "cloudfront", "--endpoint-url", url, "-f", "json",
		"--cloudfront-baseline-parameter", "/corsguard/cloudfront", "--cloudfront-exclude", "legacy-*"}
	audit := corsguard(t, "", append([]string{"audit"}, args...)...)
	if audit.code != exitDrifted {
		t.Fatalf("first audit exit %d, want %d\n%s%s", audit.code, exitDrifted, audit.stdout, audit.stderr)
	}
	wantAudit := map[string]string{"media-compliant": "compliant", "media-drifted": "drifted", "live-drifted": "drifted", "legacy-excluded": "excluded"}
	if diff := cmp.Diff(wantAudit, outcomes(parseReport(t, audit))); diff != "" {
		t.Errorf("audit outcomes (-want +got):\n%s", diff)
	}
	for _, e := range parseReport(t, audit).Entries {
		if e.Kind != policy.CloudFront {
			t.Errorf("entry %s of kind %s", e.Name, e.Kind)
		}
		for _, c := range e.Diff {
			if !strings.HasPrefix(c.Path, "CorsConfig.Access") && !strings.HasPrefix(c.Path, "CorsConfig.Origin") {
				t.Errorf("%s: diff path %q does not name a CloudFront field", e.Name, c.Path)
			}
		}
	}

	apply := corsguard(t, "", append([]string{"apply"}, args...)...)
	if apply.code != 0 {
		t.Fatalf("apply exit %d, want 0\n%s%s", apply.code, apply.stdout, apply.stderr)
	}
	if got := outcomes(parseReport(t, apply)); got["media-drifted"] != string(enforce.Remediated) || got["live-drifted"] != string(enforce.Remediated) {
		t.Errorf("apply outcomes %v", got)
	}
	again := corsguard(t, "", append([]string{"audit"}, args...)...)
	if again.code != 0 {
		t.Fatalf("audit after apply exit %d, want 0\n%s%s", again.code, again.stdout, again.stderr)
	}

	want, err := policy.ParseCorsConfig([]byte(cfBaselineJSON))
	must(t, err)
	for name := range ids {
		after, etag := get(name)
		switch name {
		case "media-compliant", "legacy-excluded":
			if etag != etags[name] {
				t.Errorf("%s was written: ETag %s -> %s", name, etags[name], etag)
			}
			if diff := cmp.Diff(before[name], after); diff != "" {
				t.Errorf("%s changed (-before +after):\n%s", name, diff)
			}
			continue
		}
		if etag == etags[name] {
			t.Errorf("%s: ETag unchanged after the repair", name)
		}
		data, err := json.Marshal(after["CorsConfig"])
		must(t, err)
		got, err := policy.ParseCorsConfig(data)
		must(t, err)
		if !policy.Equal(got.Policy(), want.Policy()) {
			t.Errorf("%s CORS after apply: %v", name, policy.Diff(got.Policy(), want.Policy()))
		}
		b, a := before[name], after
		delete(b, "CorsConfig")
		delete(a, "CorsConfig")
		if diff := cmp.Diff(b, a); diff != "" {
			t.Errorf("%s: fields corsguard does not own changed (-before +after):\n%s", name, diff)
		}
	}

	// diff names the policy; validate judges a CorsConfig by CloudFront's rules.
	d := corsguard(t, "", "diff", "--target", "cloudfront", "media-drifted", "--endpoint-url", url, "--cloudfront-baseline-parameter", "/corsguard/cloudfront")
	if d.code != 0 || !strings.Contains(d.stdout, "complies") {
		t.Errorf("diff exit %d:\n%s%s", d.code, d.stdout, d.stderr)
	}
	v := corsguard(t, "", "validate", "--target", "cloudfront", strings.TrimPrefix(write("baseline.json", cfBaselineJSON), "file://"))
	if v.code != 0 || !strings.Contains(v.stdout, "valid cloudfront CorsConfig") {
		t.Errorf("validate exit %d:\n%s%s", v.code, v.stdout, v.stderr)
	}
	bad := corsguard(t, `{"AccessControlAllowOrigins":{"Quantity":1,"Items":["*"]},"AccessControlAllowHeaders":{"Quantity":0},
		"AccessControlAllowMethods":{"Quantity":1,"Items":["TRACE"]},"AccessControlAllowCredentials":true,"OriginOverride":true}`,
		"validate", "--target", "cloudfront", "-")
	if bad.code != exitInvalid || !strings.Contains(bad.stdout, "CorsConfig.AccessControlAllowMethods.Items[0]") ||
		!strings.Contains(bad.stdout, "CorsConfig.AccessControlAllowCredentials") {
		t.Errorf("validate of a bad CorsConfig exit %d:\n%s%s", bad.code, bad.stdout, bad.stderr)
	}
}

func TestCloudFrontDiffBeforeARepair(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	url := startEmulator(t)
	aws := awsCLI(t, url, "3")
	file := filepath.Join(t.TempDir(), "p.json")
	must(t, os.WriteFile(file, []byte(strings.Replace(cfDrifted, "%s", "media-cors", 1)), 0o600))
	aws.ok("cloudfront", "create-response-headers-policy", "--response-headers-policy-config", "file://"+file)
	baseline := filepath.Join(t.TempDir(), "b.json")
	must(t, os.WriteFile(baseline, []byte(cfBaselineJSON), 0o600))

	d := corsguard(t, "", "diff", "--target", "cloudfront", "media-cors", "--endpoint-url", url, "--baseline-file", baseline)
	if d.code != exitDrifted || !strings.Contains(d.stdout, `"AccessControlAllowOrigins"`) ||
		!strings.Contains(d.stdout, "CorsConfig.AccessControlAllowOrigins: +https://player.example.com +https://www.example.com -*") {
		t.Errorf("diff exit %d:\n%s%s", d.code, d.stdout, d.stderr)
	}
	// Without a baseline of its own, cloudfront reads --baseline-parameter (as s3 does): a
	// CorsConfig there works; the containers' rule list is refused, naming the flag to use.
	aws.ok("ssm", "put-parameter", "--name", "/corsguard/baseline", "--type", "String", "--value", string(policy.DefaultJSON()))
	if r := corsguard(t, "", "audit", "--target", "cloudfront", "--endpoint-url", url); r.code != exitError {
		t.Errorf("audit --target cloudfront on a rule list: exit %d", r.code)
	} else if !strings.Contains(r.stderr, "not a CloudFront CorsConfig") || !strings.Contains(r.stderr, "--cloudfront-baseline-parameter") {
		t.Errorf("stderr %q does not say the baseline is a rule list nor name --cloudfront-baseline-parameter", r.stderr)
	}
	aws.ok("ssm", "put-parameter", "--name", "/corsguard/cors-config", "--type", "String", "--value", cfBaselineJSON)
	if r := corsguard(t, "", "audit", "--target", "cloudfront", "--baseline-parameter", "/corsguard/cors-config", "--endpoint-url", url); r.code != exitDrifted {
		t.Errorf("audit --target cloudfront --baseline-parameter holding a CorsConfig: exit %d, %s", r.code, r.stderr)
	}
	if r := corsguard(t, "", "audit", "--target", "s3", "--cloudfront-exclude", "x", "--endpoint-url", url); r.code == 0 || !strings.Contains(r.stderr, "--cloudfront-exclude applies to cloudfront") {
		t.Errorf("--cloudfront-exclude without the target: exit %d, %q", r.code, r.stderr)
	}
}

// TestAuditReportsTheDeliveryChain: audit --target cloudfront adds the delivery-chain section
// (advisory: the exit status is the policies'), and apply never touches distributions.
func TestAuditReportsTheDeliveryChain(t *testing.T) {
	a := newAccount(t) // the environment and an emulator; its containers are not audited here
	aws := awsCLI(t, a.url, "3")
	file := filepath.Join(t.TempDir(), "p.json")
	must(t, os.WriteFile(file, []byte(cfCompliant), 0o600))
	id := aws.ok("cloudfront", "create-response-headers-policy", "--response-headers-policy-config", "file://"+file)["ResponseHeadersPolicy"].(map[string]any)["Id"].(string)
	must(t, a.emu.SeedParameter("/corsguard/cloudfront", "", cfBaselineJSON, ""))
	a.emu.AddDistribution(emulator.Distribution{ID: "E2VIDEO", DomainName: "d111111abcdef8.cloudfront.net", OriginDomain: "media.s3.us-east-1.amazonaws.com",
		DefaultBehavior: emulator.Behavior{TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized, ResponseHeadersPolicyID: id},
		Behaviors: []emulator.Behavior{
			{PathPattern: "/hls/*", TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized},
			{PathPattern: "/public/*", TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized, ResponseHeadersPolicyID: emulator.ManagedSimpleCORS},
		}})
	args := []string{"--target", "cloudfront", "--endpoint-url", a.url, "--cloudfront-baseline-parameter", "/corsguard/cloudfront"}
	r := corsguard(t, "", append([]string{"audit", "-f", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("audit exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := parseReport(t, r)
	if rep.DeliveryChain == nil || len(rep.DeliveryChain.Findings) != 2 ||
		rep.DeliveryChain.Findings[0].Problem != enforce.OriginNotInCacheKey || rep.DeliveryChain.Findings[1].Problem != enforce.PolicyOutsideBaseline {
		t.Fatalf("delivery chain: %+v", rep.DeliveryChain)
	}
	table := corsguard(t, "", append([]string{"audit", "-f", "table"}, args...)...)
	for _, line := range []string{"chain     1 distribution, 3 cache behaviours checked: 2 findings",
		"E2VIDEO /hls/*: origin_not_in_cache_key", "E2VIDEO /public/*: policy_outside_baseline"} {
		if !strings.Contains(table.stdout, line) {
			t.Errorf("table lacks %q:\n%s", line, table.stdout)
		}
	}
	if os.Getenv("CORSGUARD_PRINT_CHAIN") != "" {
		t.Log("\n" + table.stdout)
	}
	if r := corsguard(t, "", append([]string{"apply", "-f", "json"}, args...)...); r.code != 0 || parseReport(t, r).DeliveryChain != nil {
		t.Errorf("apply: exit %d, chain %+v", r.code, parseReport(t, r).DeliveryChain)
	}
}

// TestInvalidCloudFrontBaselinesChangeNothing: thirteen CloudFront baselines that CloudFront or
// corsguard refuses, each in the baseline parameter of an account with a drifted policy. apply
// exits 1 naming the problem and writes nothing; validate exits 2.
func TestInvalidCloudFrontBaselinesChangeNothing(t *testing.T) {
	a := newAccount(t) // the environment and an emulator; its containers are not touched here
	aws := awsCLI(t, a.url, "3")
	file := filepath.Join(t.TempDir(), "p.json")
	must(t, os.WriteFile(file, []byte(strings.Replace(cfDrifted, "%s", "media-cors", 1)), 0o600))
	id := aws.ok("cloudfront", "create-response-headers-policy", "--response-headers-policy-config", "file://"+file)["ResponseHeadersPolicy"].(map[string]any)["Id"].(string)
	etag := aws.ok("cloudfront", "get-response-headers-policy", "--id", id)["ETag"]

	valid := func(change func(c map[string]any)) string {
		var c map[string]any
		must(t, json.Unmarshal([]byte(`{
			"AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://player.example.com"]},
			"AccessControlAllowHeaders": {"Quantity": 0},
			"AccessControlAllowMethods": {"Quantity": 1, "Items": ["GET"]},
			"AccessControlAllowCredentials": false,
			"OriginOverride": true}`), &c))
		change(c)
		out, err := json.Marshal(map[string]any{"CorsConfig": c})
		must(t, err)
		return string(out)
	}
	list := func(items ...any) map[string]any { return map[string]any{"Quantity": len(items), "Items": items} }
	for _, tc := range []struct{ name, baseline, says string }{
		{"a typo in a field", valid(func(c map[string]any) {
			c["AccessControlAllowOrigin"] = c["AccessControlAllowOrigins"]
			delete(c, "AccessControlAllowOrigins")
		}), "AccessControlAllowOrigin"},
		{"a typo inside a list", valid(func(c map[string]any) {
			c["AccessControlAllowMethods"] = map[string]any{"Quantity": 1, "Item": []any{"GET"}}
		}), "Item"},
		{"a Quantity that is not the length", valid(func(c map[string]any) { c["AccessControlAllowOrigins"].(map[string]any)["Quantity"] = 2 }), "Quantity"},
		{"the containers' rule list", string(policy.DefaultJSON()), "not a CloudFront CorsConfig"},
		{"a policy without CorsConfig", `{"ResponseHeadersPolicy":{"ResponseHeadersPolicyConfig":{"Name":"x"}}}`, "CorsConfig"},
		{"a null CorsConfig", `{"CorsConfig":null}`, "CorsConfig"},
		{"trailing data", valid(func(map[string]any) {}) + ` {}`, "after"},
		{"a key given twice", `{"CorsConfig":{"OriginOverride":true,"AccessControlAllowCredentials":false,"OriginOverride":false}}`, "key given twice"},
		{"TRACE", valid(func(c map[string]any) { c["AccessControlAllowMethods"] = list("GET", "TRACE") }), "AccessControlAllowMethods.Items[1]"},
		{"a method listed twice", valid(func(c map[string]any) { c["AccessControlAllowMethods"] = list("GET", "GET") }), "AccessControlAllowMethods.Items[1]"},
		{"credentials with a * origin", valid(func(c map[string]any) {
			c["AccessControlAllowOrigins"], c["AccessControlAllowCredentials"] = list("*"), true
		}), "AccessControlAllowCredentials"},
		{"a negative max age", valid(func(c map[string]any) { c["AccessControlMaxAgeSec"] = -1 }), "AccessControlMaxAgeSec"},
		{"no AllowHeaders", valid(func(c map[string]any) { delete(c, "AccessControlAllowHeaders") }), "AccessControlAllowHeaders"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			must(t, a.emu.SeedParameter("/corsguard/cloudfront", "", tc.baseline, ""))
			r := corsguard(t, "", "apply", "--target", "cloudfront", "--endpoint-url", a.url, "-f", "json", "--cloudfront-baseline-parameter", "/corsguard/cloudfront")
			if r.code != exitError || !strings.Contains(r.stderr, tc.says) {
				t.Errorf("apply: exit %d, stderr %q; want %d naming %q", r.code, r.stderr, exitError, tc.says)
			}
			if n := a.emu.CallCount("UpdateResponseHeadersPolicy"); n != 0 {
				t.Fatalf("%d updates under an invalid baseline", n)
			}
			if v := corsguard(t, tc.baseline, "validate", "--target", "cloudfront", "-"); v.code != exitInvalid || !strings.Contains(v.stdout, tc.says) {
				t.Errorf("validate: exit %d, stdout %q; want %d naming %q", v.code, v.stdout, exitInvalid, tc.says)
			}
		})
	}
	if now := aws.ok("cloudfront", "get-response-headers-policy", "--id", id)["ETag"]; now != etag {
		t.Errorf("the policy was written: ETag %v -> %v", etag, now)
	}
}
