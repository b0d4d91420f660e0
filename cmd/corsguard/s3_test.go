package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// s3Parameter holds the buckets' own baseline in the tests that give them one.
const s3Parameter = "/corsguard/s3-baseline"

// withPost is a baseline S3 accepts and MediaStore refuses: it allows POST.
var withPost = policy.Policy{{
	ID:             "uploads",
	AllowedOrigins: []string{"https://*.example.com"},
	AllowedMethods: []string{"GET", "HEAD", "POST"},
	AllowedHeaders: []string{"*"},
	MaxAgeSeconds:  600,
}}

// newMixedAccount is newAccount plus one bucket of each kind in the account's Region:
// compliant, drifted, without CORS, exempt (drifted, tagged), and one the tests exclude
// (logs-*), and a bucket in another Region, which no sweep of this Region may list.
func newMixedAccount(t *testing.T) *account {
	t.Helper()
	a := newAccount(t)
	must(t, a.emu.SeedBucket("media-assets", "", policy.Default(), nil))
	must(t, a.emu.SeedBucket("media-uploads", "", drifted, nil))
	must(t, a.emu.SeedBucket("media-vod", "", nil, nil))
	must(t, a.emu.SeedBucket("media-partner", "", drifted, map[string]string{"corsguard:exempt": "true"}))
	must(t, a.emu.SeedBucket("logs-access", "", drifted, nil))
	must(t, a.emu.SeedBucket("media-eu", "eu-west-1", drifted, nil))
	return a
}

// s3Sweep runs audit or apply on the buckets with the flags every S3 test uses.
func (a *account) s3Sweep(t *testing.T, args ...string) result {
	t.Helper()
	return corsguard(t, "", append(args, "--endpoint-url", a.url, "--target", "s3", "--s3-exclude", "logs-*")...)
}

func (a *account) bucketCors(t *testing.T, name string) policy.Policy {
	t.Helper()
	b, ok := a.emu.Bucket(name)
	if !ok {
		t.Fatalf("bucket %s does not exist", name)
	}
	return corscases.Emulated(t, b.CorsPolicy)
}

func TestS3AuditDryRunAndApply(t *testing.T) {
	a := newMixedAccount(t)
	wantDrift := map[string]string{
		"media-assets": "compliant", "media-uploads": "drifted", "media-vod": "drifted",
		"media-partner": "exempt", "logs-access": "excluded",
	}

	audit := a.s3Sweep(t, "audit", "-f", "json")
	if audit.code != exitDrifted {
		t.Fatalf("audit --target s3: exit %d, want %d\n%s", audit.code, exitDrifted, audit.stderr)
	}
	rep := parseReport(t, audit)
	if diff := cmp.Diff(wantDrift, outcomes(rep)); diff != "" {
		t.Errorf("audit outcomes (-want +got):\n%s", diff)
	}
	for _, e := range rep.Entries {
		if e.Kind != policy.S3 {
			t.Errorf("entry %s of kind %q, want s3", e.Name, e.Kind)
		}
	}
	if len(rep.Baselines) != 1 || rep.Baselines[0].Kind != policy.S3 || !rep.Baselines[0].Valid {
		t.Errorf("baselines %+v, want one valid for s3", rep.Baselines)
	}

	dry := a.s3Sweep(t, "apply", "--dry-run", "-f", "json")
	if dry.code != exitDrifted {
		t.Fatalf("apply --dry-run --target s3: exit %d, want %d\n%s", dry.code, exitDrifted, dry.stderr)
	}
	if diff := cmp.Diff(wantDrift, outcomes(parseReport(t, dry))); diff != "" {
		t.Errorf("dry-run outcomes (-want +got):\n%s", diff)
	}
	if n := a.emu.CallCount("PutBucketCors"); n != 0 {
		t.Fatalf("audit and apply --dry-run made %d PutBucketCors calls", n)
	}
	for _, op := range []string{"ListContainers", "GetCorsPolicy", "PutCorsPolicy"} {
		if n := a.emu.CallCount(op); n != 0 {
			t.Errorf("--target s3 made %d %s calls", n, op)
		}
	}

	apply := a.s3Sweep(t, "apply", "-f", "json")
	if apply.code != exitOK {
		t.Fatalf("apply --target s3: exit %d, want 0\n%s", apply.code, apply.stderr)
	}
	wantApplied := map[string]string{
		"media-assets": "compliant", "media-uploads": "remediated", "media-vod": "remediated",
		"media-partner": "exempt", "logs-access": "excluded",
	}
	if diff := cmp.Diff(wantApplied, outcomes(parseReport(t, apply))); diff != "" {
		t.Errorf("apply outcomes (-want +got):\n%s", diff)
	}
	if n := a.emu.CallCount("PutBucketCors"); n != 2 {
		t.Errorf("apply made %d PutBucketCors calls, want 2", n)
	}
	for name, want := range map[string]policy.Policy{
		"media-assets": policy.Default(), "media-uploads": policy.Default(), "media-vod": policy.Default(),
		"media-partner": drifted, "logs-access": drifted,
	} {
		if got := a.bucketCors(t, name); !policy.Equal(got, want) {
			t.Errorf("bucket %s after apply: %s, want %s", name, got.JSON(), want.JSON())
		}
	}
	if again := a.s3Sweep(t, "audit", "-f", "json"); again.code != exitOK {
		t.Errorf("audit after apply: exit %d, want 0\n%s", again.code, again.stdout)
	}
	// Containers were never a target: still as seeded.
	if c, _ := a.emu.Container("live-sports"); !policy.Equal(corscases.Emulated(t, c.CorsPolicy), drifted) {
		t.Errorf("container live-sports changed by --target s3: %v", c.CorsPolicy)
	}
}

// TestAMixedEstateInEveryFormat audits containers and buckets in one run, with the buckets
// on a baseline of their own (with POST), and reads each output format back.
func TestAMixedEstateInEveryFormat(t *testing.T) {
	a := newMixedAccount(t)
	must(t, a.emu.SeedParameter(s3Parameter, "", string(withPost.JSON()), "buckets' baseline"))
	must(t, a.emu.SeedBucket("media-post", "", withPost, nil))
	args := []string{"audit", "--endpoint-url", a.url, "--target", "mediastore,s3", "--exclude", "test-*",
		"--s3-exclude", "logs-*", "--s3-baseline-parameter", s3Parameter}
	want := map[string]string{
		"live-news": "compliant", "live-sports": "drifted", "vod-library": "drifted", "partner-feed": "exempt",
		"test-scratch": "excluded",
		"media-assets": "drifted", "media-uploads": "drifted", "media-vod": "drifted", "media-partner": "exempt",
		"media-post": "compliant", "logs-access": "excluded",
	}

	js := corsguard(t, "", append(args, "-f", "json")...)
	if js.code != exitDrifted {
		t.Fatalf("json: exit %d, want %d\n%s", js.code, exitDrifted, js.stderr)
	}
	rep := parseReport(t, js)
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("json outcomes (-want +got):\n%s", diff)
	}
	kinds := map[string]policy.Kind{}
	for _, e := range rep.Entries {
		kinds[e.Name] = e.Kind
	}
	if kinds["live-news"] != policy.MediaStore || kinds["media-post"] != policy.S3 {
		t.Errorf("entry kinds %v", kinds)
	}
	gotBaselines := map[policy.Kind]string{}
	for _, b := range rep.Baselines {
		gotBaselines[b.Kind] = b.Parameter
	}
	if diff := cmp.Diff(map[policy.Kind]string{policy.MediaStore: DefaultBaselineParameter, policy.S3: s3Parameter}, gotBaselines); diff != "" {
		t.Errorf("baselines (-want +got):\n%s", diff)
	}

	// "all" is the same as naming both.
	all := parseReport(t, corsguard(t, "", append(args, "-f", "json", "--target", "all")...))
	if diff := cmp.Diff(want, outcomes(all)); diff != "" {
		t.Errorf("--target all outcomes (-want +got):\n%s", diff)
	}

	csvRun := corsguard(t, "", append(args, "-f", "csv")...)
	rows, err := csv.NewReader(strings.NewReader(csvRun.stdout)).ReadAll()
	if err != nil || csvRun.code != exitDrifted {
		t.Fatalf("csv: exit %d, parse error %v\n%s", csvRun.code, err, csvRun.stdout)
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		got[row[0]] = row[2]
		if k := kinds[row[0]]; row[2] != "excluded" && row[1] != string(k) {
			t.Errorf("csv row %v: kind %q, want %q", row, row[1], k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("csv outcomes (-want +got):\n%s", diff)
	}

	table := corsguard(t, "", append(args, "-f", "table")...)
	found := map[string]string{}
	inTable := false
	for _, l := range strings.Split(table.stdout, "\n") {
		fields := strings.Fields(l)
		switch {
		case len(fields) > 0 && fields[0] == "NAME":
			inTable = fields[1] == "KIND"
		case len(fields) == 0:
			inTable = false
		case inTable && !strings.HasPrefix(l, " "):
			found[fields[0]] = fields[1] + " " + fields[2]
		}
	}
	wantTable := map[string]string{}
	for name, o := range want {
		if o != "excluded" {
			wantTable[name] = string(kinds[name]) + " " + o
		}
	}
	if diff := cmp.Diff(wantTable, found); diff != "" {
		t.Errorf("table rows (-want +got):\n%s\n%s", diff, table.stdout)
	}
	for _, line := range []string{
		"baseline  mediastore: /corsguard/baseline version 1",
		"baseline  s3: /corsguard/s3-baseline version 1",
		"totals    2 compliant, 5 drifted, 2 exempt, 2 excluded",
	} {
		if !strings.Contains(table.stdout, line) {
			t.Errorf("table lacks %q:\n%s", line, table.stdout)
		}
	}
	if n := a.emu.CallCount("PutBucketCors") + a.emu.CallCount("PutCorsPolicy"); n != 0 {
		t.Errorf("audits wrote %d policies", n)
	}
}

// TestOneBaselineWithPost: the one baseline allows POST, which S3 accepts and MediaStore
// refuses. An audit of both kinds checks the buckets, touches no container and exits 1.
func TestOneBaselineWithPost(t *testing.T) {
	a := newMixedAccount(t)
	file := filepath.Join(t.TempDir(), "post.json")
	must(t, os.WriteFile(file, withPost.JSON(), 0o600))

	r := corsguard(t, "", "apply", "-f", "json", "--endpoint-url", a.url, "--target", "all", "--baseline-file", file,
		"--s3-include", "media-uploads")
	if r.code != exitError || !strings.Contains(r.stderr, "nothing of its kind checked") || !strings.Contains(r.stderr, "mediastore: ") {
		t.Errorf("exit %d, stderr %q; want 1 naming the mediastore baseline", r.code, r.stderr)
	}
	rep := parseReport(t, r)
	valid := map[policy.Kind]bool{}
	for _, b := range rep.Baselines {
		valid[b.Kind] = b.Valid
	}
	if !cmp.Equal(valid, map[policy.Kind]bool{policy.MediaStore: false, policy.S3: true}) {
		t.Errorf("baselines valid %v, want mediastore false and s3 true", valid)
	}
	if got := outcomes(rep)["media-uploads"]; got != "remediated" {
		t.Errorf("media-uploads %s, want remediated", got)
	}
	if got := a.bucketCors(t, "media-uploads"); !policy.Equal(got, withPost) {
		t.Errorf("media-uploads holds %s, want the POST baseline", got.JSON())
	}
	for _, op := range []string{"ListContainers", "GetCorsPolicy", "PutCorsPolicy"} {
		if n := a.emu.CallCount(op); n != 0 {
			t.Errorf("%d %s calls with a baseline MediaStore refuses", n, op)
		}
	}
}

func TestDiffOnABucket(t *testing.T) {
	a := newMixedAccount(t)
	must(t, a.emu.SeedParameter(s3Parameter, "", string(withPost.JSON()), "buckets' baseline"))
	diff := func(args ...string) result {
		return corsguard(t, "", append([]string{"diff", "--endpoint-url", a.url}, args...)...)
	}

	r := diff("--bucket", "media-assets")
	if r.code != exitOK || !strings.Contains(r.stdout, "bucket media-assets complies with the baseline /corsguard/baseline version 1") {
		t.Errorf("compliant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = diff("--bucket", "media-uploads")
	if r.code != exitDrifted {
		t.Fatalf("drifted: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"--- bucket media-uploads\n+++ baseline /corsguard/baseline version 1\n",
		"\n-      \"*\"\n",
		"\n+      \"https://*.example.com\"\n",
		"to apply the baseline:\n  CorsPolicy[0].AllowedOrigins: +https://*.example.com -*\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("drifted diff lacks %q:\n%s", want, r.stdout)
		}
	}
	if byTarget := diff("--target", "s3", "media-uploads"); byTarget.code != exitDrifted || byTarget.stdout != r.stdout {
		t.Errorf("diff --target s3 NAME: exit %d, want the output of --bucket NAME:\n%s", byTarget.code, byTarget.stdout)
	}
	r = diff("-b", "media-vod")
	if r.code != exitDrifted || !strings.Contains(r.stdout, "--- bucket media-vod (no CORS policy)") {
		t.Errorf("no CORS: exit %d\n%s", r.code, r.stdout)
	}
	// The buckets' own baseline, with POST: S3's rules apply to it.
	r = diff("--bucket", "media-assets", "--s3-baseline-parameter", s3Parameter)
	if r.code != exitDrifted || !strings.Contains(r.stdout, "+++ baseline /corsguard/s3-baseline version 1") ||
		!strings.Contains(r.stdout, `+      "POST"`) {
		t.Errorf("against the S3 baseline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The same baseline is unusable for a container.
	file := filepath.Join(t.TempDir(), "post.json")
	must(t, os.WriteFile(file, withPost.JSON(), 0o600))
	r = diff("--container", "live-news", "--baseline-file", file)
	if r.code != exitError || !strings.Contains(r.stderr, "baseline unusable for mediastore") || !strings.Contains(r.stderr, "POST") {
		t.Errorf("POST baseline for a container: exit %d, stderr %q", r.code, r.stderr)
	}
	r = diff("--bucket", "no-such-bucket")
	if r.code != exitError || !strings.Contains(r.stderr, "NoSuchBucket") {
		t.Errorf("missing bucket: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := a.emu.CallCount("PutBucketCors"); n != 0 {
		t.Errorf("diff wrote %d bucket policies", n)
	}
}

func TestValidateTarget(t *testing.T) {
	file := filepath.Join(t.TempDir(), "post.json")
	must(t, os.WriteFile(file, withPost.JSON(), 0o600))
	for _, tc := range []struct {
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{args: []string{"--target", "s3"}, code: exitOK, stdout: []string{file + ": valid s3 CORS policy: 1 rule, sha256:"}},
		{args: []string{"-t", "mediastore"}, code: exitInvalid, stdout: []string{
			file + `: CorsPolicy[0].AllowedMethods[2]: method "POST" is not one of PUT, GET, DELETE, HEAD`,
			file + ": invalid mediastore CORS policy"}},
		{args: nil, code: exitInvalid, stdout: []string{"invalid mediastore CORS policy"}},
		{args: []string{"--target", "all"}, code: exitInvalid, stdout: []string{
			file + `: mediastore: CorsPolicy[0].AllowedMethods[2]: method "POST"`,
			file + ": invalid mediastore CORS policy: ",
			file + ": valid s3 CORS policy"}},
		{args: []string{"--kind", "s3"}, code: exitOK, stdout: []string{"valid s3 CORS policy"}, stderr: "deprecated"},
		{args: []string{"--target", "gcs"}, code: exitError},
	} {
		r := corsguard(t, "", append(append([]string{"validate"}, tc.args...), file)...)
		if r.code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, r.code, tc.code, r.stdout, r.stderr)
		}
		for _, want := range tc.stdout {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v: stdout lacks %q:\n%s", tc.args, want, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, r.stderr, tc.stderr)
		}
	}
}

// TestCLIAndLambdaAuditAMixedEstateAlike is TestCLIAndLambdaAuditsAgree with both targets:
// the CLI's --target all and the Lambda's CORSGUARD_TARGETS=mediastore,s3.
func TestCLIAndLambdaAuditAMixedEstateAlike(t *testing.T) {
	a := newMixedAccount(t)
	cli := parseReport(t, corsguard(t, "", "audit", "-f", "json", "--endpoint-url", a.url, "--target", "all",
		"--exclude", "test-*", "--s3-exclude", "logs-*"))

	lambda := lambdaAudit(t, a.url, map[string]string{config.BaselineParameter: DefaultBaselineParameter,
		config.Exclude: "test-*", config.Targets: "mediastore,s3", config.S3Exclude: "logs-*"})
	assertSameReport(t, cli, lambda)
	if len(cli.Entries) != 8 || cli.Totals[enforce.Drifted] != 4 {
		t.Errorf("the audit saw %d resources, %d drifted; want 8 and 4", len(cli.Entries), cli.Totals[enforce.Drifted])
	}
}

// The CLI learns its account with sts:GetCallerIdentity and names it as every bucket call's
// ExpectedBucketOwner; the emulator refuses a mismatch as S3 does, so a run that sent another
// account (or none where one is due) would fail or be caught here.
func TestTheCLINamesItsOwnAccountAsTheExpectedBucketOwner(t *testing.T) {
	a := newMixedAccount(t)
	r := a.s3Sweep(t, "apply")
	if r.code != exitOK {
		t.Fatalf("apply --target s3: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := a.emu.CallCount("GetCallerIdentity"); n != 1 {
		t.Errorf("%d GetCallerIdentity calls, want 1", n)
	}
	// Security Hub's findings need the same account: still one call.
	a.emu.ResetCalls()
	if r := corsguard(t, "", "audit", "--endpoint-url", a.url, "--target", "s3", "--format", "asff"); r.code == exitError {
		t.Fatalf("audit --target s3 --format asff: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := a.emu.CallCount("GetCallerIdentity"); n != 1 {
		t.Errorf("%d GetCallerIdentity calls for the bucket owner and the findings, want 1", n)
	}
	// A MediaStore-only run has no bucket to name an owner for: no STS call.
	a.emu.ResetCalls()
	if r := corsguard(t, "", "audit", "--endpoint-url", a.url, "--target", "mediastore"); r.code == exitError {
		t.Fatalf("audit --target mediastore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := a.emu.CallCount("GetCallerIdentity"); n != 0 {
		t.Errorf("%d GetCallerIdentity calls for containers only, want 0", n)
	}
	// STS refused: the CLI says why and touches no bucket.
	a.emu.ResetCalls()
	a.emu.Script("GetCallerIdentity", "", 100, "AccessDenied")
	r = a.s3Sweep(t, "apply")
	if r.code != exitError || !strings.Contains(r.stderr, "sts:GetCallerIdentity") {
		t.Errorf("apply with STS refused: exit %d, want %d naming sts:GetCallerIdentity\n%s", r.code, exitError, r.stderr)
	}
	if n := a.emu.CallCount("GetBucketCors") + a.emu.CallCount("PutBucketCors"); n != 0 {
		t.Errorf("%d bucket calls without a known account", n)
	}
}
