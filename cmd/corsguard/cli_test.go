package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/cmd/corsguard/report"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

// account is an emulated AWS account behind a real HTTP server, reached by the CLI through the
// standard SDK configuration: static dummy credentials in the environment, --endpoint-url.
type account struct {
	emu *emulator.Emulator
	url string
}

// drifted is a policy that differs from the default baseline: any origin, more methods.
var drifted = policy.Policy{{
	AllowedOrigins: []string{"*"},
	AllowedMethods: []string{"GET", "HEAD", "PUT"},
	AllowedHeaders: []string{"*"},
}}

// newAccount returns an account holding the default baseline at /corsguard/baseline and one
// container of each kind: compliant, drifted, without a policy, exempt (drifted, tagged), and
// one whose name the tests exclude (test-*).
func newAccount(t *testing.T) *account {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	must(t, emu.SeedParameter(DefaultBaselineParameter, "", string(policy.DefaultJSON()), "corsguard baseline"))
	must(t, emu.SeedContainer("live-news", "", policy.Default(), nil))
	must(t, emu.SeedContainer("live-sports", "", drifted, nil))
	must(t, emu.SeedContainer("vod-library", "", nil, nil))
	must(t, emu.SeedContainer("partner-feed", "", drifted, map[string]string{"corsguard:exempt": "true"}))
	must(t, emu.SeedContainer("test-scratch", "", drifted, nil))
	return &account{emu: emu, url: srv.URL}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// result is what one run of the CLI left behind.
type result struct {
	code           int
	stdout, stderr string
}

// corsguard runs the CLI in-process with args and stdin, as the binary would.
func corsguard(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	root := newRoot(cliOptions{httpClient: emulator.HTTPClient()})
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := execute(context.Background(), root, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// sweep runs audit or apply against the account with the flags every test uses.
func (a *account) sweep(t *testing.T, args ...string) result {
	t.Helper()
	return corsguard(t, "", append(args, "--endpoint-url", a.url, "--exclude", "test-*")...)
}

func parseReport(t *testing.T, r result) *enforce.Report {
	t.Helper()
	var rep enforce.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("output is not a JSON report: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return &rep
}

// outcomes maps each container of rep to its outcome, the excluded ones to "excluded".
func outcomes(rep *enforce.Report) map[string]string {
	out := map[string]string{}
	for _, e := range rep.Entries {
		out[e.Name] = string(e.Outcome)
	}
	for _, n := range rep.Excluded {
		out[n] = report.Excluded
	}
	return out
}

func TestAuditReportsDriftAndExits3(t *testing.T) {
	a := newAccount(t)
	r := a.sweep(t, "audit", "--format", "json")
	if r.code != exitDrifted {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitDrifted, r.stderr)
	}
	rep := parseReport(t, r)
	want := map[string]string{
		"live-news": "compliant", "live-sports": "drifted", "vod-library": "drifted",
		"partner-feed": "exempt", "test-scratch": "excluded",
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if rep.Mode != enforce.ModeAudit || !rep.Baseline.Valid || rep.Baseline.Version != 1 {
		t.Errorf("mode %q, baseline %+v; want audit of a valid version 1", rep.Mode, rep.Baseline)
	}
	if n := a.emu.CallCount("PutCorsPolicy"); n != 0 {
		t.Errorf("audit wrote %d policies", n)
	}
	if r.stderr != "" {
		t.Errorf("stderr off a terminal: %q", r.stderr)
	}
}

func TestDryRunWritesNothingAndApplyRepairs(t *testing.T) {
	a := newAccount(t)
	dry := a.sweep(t, "apply", "--dry-run", "-f", "json")
	if dry.code != exitDrifted {
		t.Fatalf("apply --dry-run: exit code %d, want %d; stderr:\n%s", dry.code, exitDrifted, dry.stderr)
	}
	if n := a.emu.CallCount("PutCorsPolicy"); n != 0 {
		t.Fatalf("apply --dry-run made %d PutCorsPolicy calls", n)
	}
	if got := outcomes(parseReport(t, dry))["live-sports"]; got != "drifted" {
		t.Errorf("dry run: live-sports %s, want drifted", got)
	}

	r := a.sweep(t, "apply", "-f", "json")
	if r.code != exitOK {
		t.Fatalf("apply: exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	rep := parseReport(t, r)
	want := map[string]string{
		"live-news": "compliant", "live-sports": "remediated", "vod-library": "remediated",
		"partner-feed": "exempt", "test-scratch": "excluded",
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("apply outcomes (-want +got):\n%s", diff)
	}
	if n := a.emu.CallCount("PutCorsPolicy"); n != 2 {
		t.Errorf("apply made %d PutCorsPolicy calls, want 2", n)
	}
	for name, wantPolicy := range map[string]policy.Policy{
		"live-sports": policy.Default(), "vod-library": policy.Default(),
		"partner-feed": drifted, "test-scratch": drifted,
	} {
		c, _ := a.emu.Container(name)
		if !policy.Equal(corscases.Emulated(t, c.CorsPolicy), wantPolicy) {
			t.Errorf("%s after apply: %v, want %v", name, c.CorsPolicy, wantPolicy)
		}
	}

	again := a.sweep(t, "audit", "-f", "json")
	if again.code != exitOK {
		t.Errorf("audit after apply: exit code %d, want 0\n%s", again.code, again.stdout)
	}
}

func TestEveryOutputFormatParsesBack(t *testing.T) {
	a := newAccount(t)

	csvRun := a.sweep(t, "audit", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(csvRun.stdout)).ReadAll()
	if err != nil || csvRun.code != exitDrifted {
		t.Fatalf("csv: exit %d, parse error %v\n%s", csvRun.code, err, csvRun.stdout)
	}
	if diff := cmp.Diff(report.CSVHeader(), rows[0]); diff != "" {
		t.Errorf("csv header (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		got[row[0]] = row[2]
		if row[0] == "live-sports" && !strings.Contains(row[5], "CorsPolicy[0].AllowedOrigins: +https://*.example.com -*") {
			t.Errorf("csv changes of live-sports: %q", row[5])
		}
	}
	want := map[string]string{
		"live-news": "compliant", "live-sports": "drifted", "vod-library": "drifted",
		"partner-feed": "exempt", "test-scratch": "excluded",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("csv outcomes (-want +got):\n%s", diff)
	}

	table := a.sweep(t, "audit", "--format", "table")
	if table.code != exitDrifted {
		t.Fatalf("table: exit %d", table.code)
	}
	lines := strings.Split(table.stdout, "\n")
	found := map[string]string{}
	inTable := false
	for _, l := range lines {
		fields := strings.Fields(l)
		switch {
		case len(fields) > 0 && fields[0] == "CONTAINER":
			inTable = true
		case len(fields) == 0:
			inTable = false
		case inTable && !strings.HasPrefix(l, " "):
			found[fields[0]] = fields[1]
		}
	}
	delete(want, "test-scratch")
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("table rows (-want +got):\n%s\n%s", diff, table.stdout)
	}
	if !strings.Contains(table.stdout, "excluded  test-scratch") ||
		!strings.Contains(table.stdout, "totals    1 compliant, 2 drifted, 1 exempt, 1 excluded") {
		t.Errorf("table lacks the excluded line or the totals:\n%s", table.stdout)
	}

	// --output writes the file (format from its extension) and nothing to stdout.
	file := filepath.Join(t.TempDir(), "audit.json")
	toFile := a.sweep(t, "audit", "--output", file)
	data, err := os.ReadFile(file)
	if err != nil || toFile.stdout != "" || toFile.code != exitDrifted {
		t.Fatalf("--output: exit %d, stdout %q, read error %v", toFile.code, toFile.stdout, err)
	}
	parseReport(t, result{stdout: string(data)})
}

func TestAuditWithABaselineFile(t *testing.T) {
	a := newAccount(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	must(t, os.WriteFile(good, drifted.JSON(), 0o600))

	r := a.sweep(t, "audit", "-f", "json", "--baseline-file", good)
	rep := parseReport(t, r)
	want := map[string]string{
		"live-news": "drifted", "live-sports": "compliant", "vod-library": "drifted",
		"partner-feed": "compliant", "test-scratch": "excluded",
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("outcomes against the file (-want +got):\n%s", diff)
	}
	if rep.Baseline.Parameter != good || rep.Baseline.Hash != policy.Hash(drifted) {
		t.Errorf("baseline %+v, want the file %s with hash %s", rep.Baseline, good, policy.Hash(drifted))
	}
	if n := a.emu.CallCount("GetParameter"); n != 0 {
		t.Errorf("a baseline file still made %d GetParameter calls", n)
	}

	// stdin works as well.
	stdin := corsguard(t, string(policy.DefaultJSON()), "audit", "-f", "json", "--baseline-file", "-",
		"--endpoint-url", a.url, "--include", "live-news")
	if stdin.code != exitOK {
		t.Errorf("baseline from stdin, live-news only: exit %d\n%s%s", stdin.code, stdin.stdout, stdin.stderr)
	}
}

func TestAnInvalidBaselineTouchesNothingAndExits1(t *testing.T) {
	a := newAccount(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	must(t, os.WriteFile(bad, []byte(`[{"AllowedOrigins":["https://*.*.example.com"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`), 0o600))
	for _, args := range [][]string{{"audit"}, {"apply"}} {
		r := a.sweep(t, append(args, "-f", "json", "--baseline-file", bad)...)
		if r.code != exitError {
			t.Errorf("%v: exit %d, want 1", args, r.code)
		}
		rep := parseReport(t, r)
		if rep.Baseline.Valid || len(rep.Baseline.Errors) != 1 || rep.Baseline.Errors[0].Path != "CorsPolicy[0].AllowedOrigins[0]" {
			t.Errorf("%v: baseline %+v, want invalid with the wildcard problem", args, rep.Baseline)
		}
		if !strings.Contains(r.stderr, "baseline unusable") {
			t.Errorf("%v: stderr %q does not say why", args, r.stderr)
		}
	}
	if n := a.emu.TotalCalls(); n != 0 {
		t.Errorf("an invalid baseline made %d AWS calls: %v", n, a.emu.Calls())
	}
}

func TestAMissingParameterExits1(t *testing.T) {
	a := newAccount(t)
	r := a.sweep(t, "audit", "-f", "json", "--baseline-parameter", "/no/such")
	if r.code != exitError || !strings.Contains(r.stderr, "/no/such") {
		t.Errorf("exit %d, stderr %q; want 1 naming the parameter", r.code, r.stderr)
	}
}

func TestBadFlagsExit1(t *testing.T) {
	a := newAccount(t)
	for _, args := range [][]string{
		{"audit", "--workers", "0"},
		{"audit", "--rate", "-1"},
		{"audit", "--format", "yaml"},
		{"apply", "--grace", "-5s"},
		{"audit", "--include", "[a-"},
		{"audit", "--exempt-tag", "=x"},
		{"audit", "--no-such-flag"},
		{"audit", "--baseline-file", "x.json", "--baseline-parameter", "/p"},
		{"diff"},
		{"diff", "--container", "live-news", "--bucket", "media-assets"},
		{"diff", "--bucket", "Not_A_Bucket"},
		{"diff", "live-news", "--container", "live-news"},
		{"diff", "--target", "s3", "--container", "live-news"},
		{"diff", "--target", "mediastore", "--bucket", "media-assets"},
		{"diff", "--target", "all", "live-news"},
		{"diff", "a", "b"},
		{"validate"},
		{"audit", "--target", "gcs"},
		{"audit", "--target", "s3", "--include", "media-*"},
		{"audit", "--s3-exclude", "logs-*"},
		{"audit", "--target", "all", "--s3-include", "[a-"},
		{"audit", "--s3-baseline-parameter", "/p"},
		{"audit", "--target", "s3", "--s3-baseline-parameter", "/p", "--baseline-file", "x.json"},
	} {
		r := a.sweep(t, args...)
		if r.code != exitError || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 1 with a message", args, r.code, r.stderr)
		}
	}
	if n := a.emu.TotalCalls(); n != 0 {
		t.Errorf("bad flags made %d AWS calls", n)
	}
}

// --format names every format audit and apply write, the findings' asff too.
func TestAnUnknownFormatNamesEveryFormat(t *testing.T) {
	a := newAccount(t)
	for _, cmd := range []string{"audit", "apply"} {
		r := a.sweep(t, cmd, "--format", "yaml")
		if r.code != exitError || !strings.Contains(r.stderr, `--format "yaml": want one of table, json, csv, html, ocsf, asff`) {
			t.Errorf("%s --format yaml: exit %d, stderr %q; want 1 naming table, json, csv, html, ocsf and asff", cmd, r.code, r.stderr)
		}
	}
	if n := a.emu.TotalCalls(); n != 0 {
		t.Errorf("an unknown format made %d AWS calls", n)
	}
}

// A negative --grace would cancel the calls in flight at once while promising a grace period.
func TestANegativeGraceIsRefused(t *testing.T) {
	a := newAccount(t)
	for _, cmd := range []string{"audit", "apply"} {
		r := a.sweep(t, cmd, "--grace", "-5s")
		if r.code != exitError || !strings.Contains(r.stderr, "--grace -5s: must not be negative") {
			t.Errorf("%s --grace -5s: exit %d, stderr %q; want 1 saying it must not be negative", cmd, r.code, r.stderr)
		}
	}
	if n := a.emu.TotalCalls(); n != 0 {
		t.Errorf("a negative grace made %d AWS calls", n)
	}
	if r := a.sweep(t, "audit", "--grace", "0s", "--format", "json"); r.code != exitDrifted {
		t.Errorf("audit --grace 0s: exit %d, stderr %q; want 3 (a grace of 0 is allowed)", r.code, r.stderr)
	}
}

// Files a person may hand the CLI by mistake: UTF-16 (what some Windows editors save), a file
// far past any service's limit, and a key given twice. validate says what is wrong (exit 2);
// apply with the file as its baseline writes nothing (exit 1); neither reads without bound.
func TestValidateRefusesUTF16AndHugeFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, content, 0o600))
		return p
	}
	utf16 := func(bom []byte, s string, bigEndian bool) []byte {
		out := append([]byte{}, bom...)
		for _, r := range s {
			if bigEndian {
				out = append(out, 0, byte(r))
			} else {
				out = append(out, byte(r), 0)
			}
		}
		return out
	}
	files := []struct {
		name, path, says string
	}{
		{"UTF-16 little-endian", write("le.json", utf16([]byte{0xff, 0xfe}, string(policy.DefaultJSON()), false)), "is UTF-16"},
		{"UTF-16 big-endian", write("be.json", utf16([]byte{0xfe, 0xff}, string(policy.DefaultJSON()), true)), "is UTF-16"},
		{"8 MiB of spaces (twice what is read)", write("huge.json", bytes.Repeat([]byte(" "), 8<<20)), "more than the"},
		{"a key given twice", write("twice.json", []byte(`[{"AllowedOrigins":["https://a.example"],"AllowedMethods":["GET"],"AllowedHeaders":[],"AllowedMethods":["PUT"]}]`)), "key given twice"},
	}
	for _, f := range files {
		for _, target := range []string{"mediastore", "s3", "cloudfront"} {
			t.Run("validate --target "+target+" of "+f.name, func(t *testing.T) {
				path := f.path
				if target == "cloudfront" && f.name == "a key given twice" {
					path = write("twice-cloudfront.json", []byte(`{"CorsConfig":{"OriginOverride":true,"AccessControlAllowCredentials":false,"OriginOverride":false}}`))
				}
				r := corsguard(t, "", "validate", "--target", target, path)
				if r.code != exitInvalid || !strings.Contains(r.stdout, f.says) {
					t.Errorf("exit %d, stdout %q, stderr %q; want %d saying %q", r.code, r.stdout, r.stderr, exitInvalid, f.says)
				}
			})
		}
		t.Run("apply --baseline-file of "+f.name, func(t *testing.T) {
			a := newAccount(t)
			r := a.sweep(t, "apply", "--baseline-file", f.path, "--format", "json")
			if r.code != exitError || !strings.Contains(r.stdout+r.stderr, f.says) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", r.code, r.stderr, exitError, f.says)
			}
			if n := a.emu.CallCount("PutCorsPolicy"); n != 0 {
				t.Errorf("%d policies written under an unusable baseline", n)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	a := newAccount(t)
	diff := func(name string) result {
		return corsguard(t, "", "diff", "--container", name, "--endpoint-url", a.url)
	}

	r := diff("live-news")
	if r.code != exitOK || !strings.Contains(r.stdout, "container live-news complies with the baseline /corsguard/baseline version 1") {
		t.Errorf("compliant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = diff("live-sports")
	if r.code != exitDrifted {
		t.Fatalf("drifted: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"--- container live-sports\n+++ baseline /corsguard/baseline version 1\n",
		"\n-      \"*\"\n",
		"\n+      \"https://*.example.com\"\n",
		"\n-      \"PUT\"\n",
		"\n       \"GET\",\n",
		"to apply the baseline:\n  CorsPolicy[0].AllowedOrigins: +https://*.example.com -*\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("drifted diff lacks %q:\n%s", want, r.stdout)
		}
	}

	for _, args := range [][]string{{"live-sports"}, {"--target", "mediastore", "live-sports"}} {
		byName := corsguard(t, "", append([]string{"diff", "--endpoint-url", a.url}, args...)...)
		if byName.code != exitDrifted || byName.stdout != r.stdout {
			t.Errorf("diff %v: exit %d, want the output of --container live-sports:\n%s", args, byName.code, byName.stdout)
		}
	}

	r = diff("vod-library")
	if r.code != exitDrifted || !strings.Contains(r.stdout, "--- container vod-library (no CORS policy)") ||
		!strings.Contains(r.stdout, "CorsPolicy[0]: missing rule") {
		t.Errorf("no policy: exit %d\n%s", r.code, r.stdout)
	}

	r = diff("no-such")
	if r.code != exitError || !strings.Contains(r.stderr, "ContainerNotFound") {
		t.Errorf("missing container: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := a.emu.CallCount("PutCorsPolicy"); n != 0 {
		t.Errorf("diff wrote %d policies", n)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	valid := write("valid.json", string(policy.DefaultJSON()))
	twoProblems := write("two.json", `{"CorsPolicy":[{"AllowedOrigins":["https://*.*.example.com"],"AllowedMethods":["GET","POST"],"AllowedHeaders":[]}]}`)
	typo := write("typo.json", `[{"AllowedOrigin":["https://example.com"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`)

	origins := make([]string, 101)
	for i := range origins {
		origins[i] = "https://o" + strconv.Itoa(i) + ".example.com"
	}
	list, _ := json.Marshal(origins)
	manyOrigins := write("101-origins.json", `[{"AllowedOrigins":`+string(list)+`,"AllowedMethods":["GET"],"AllowedHeaders":[]}]`)
	longOrigin := write("3000-chars.json", `[{"AllowedOrigins":["https://`+strings.Repeat("a", 2992)+`"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`)

	twice := write("twice.json", `[{"AllowedOrigins":["https://a.example"],"AllowedMethods":["GET"],"AllowedHeaders":[],"AllowedOrigins":["*"]}]`)
	bom := write("bom.json", "\ufeff"+string(policy.DefaultJSON()))

	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout []string
	}{
		{name: "a valid file", args: []string{valid}, code: exitOK,
			stdout: []string{valid + ": valid mediastore CORS policy: 1 rule, sha256:"}},
		{name: "a valid policy on stdin", stdin: string(policy.DefaultJSON()), args: []string{"-"}, code: exitOK,
			stdout: []string{"<stdin>: valid mediastore CORS policy"}},
		{name: "every problem with its path", args: []string{twoProblems}, code: exitInvalid,
			stdout: []string{
				twoProblems + ": CorsPolicy[0].AllowedOrigins[0]: more than one wildcard\n",
				twoProblems + `: CorsPolicy[0].AllowedMethods[1]: method "POST" is not one of PUT, GET, DELETE, HEAD` + "\n",
				twoProblems + ": invalid mediastore CORS policy: 2 problems\n",
			}},
		{name: "s3 allows POST", args: []string{"--kind", "s3", twoProblems}, code: exitInvalid,
			stdout: []string{"1 problem\n"}},
		{name: "s3 accepts a rule with 101 origins", args: []string{"--target", "s3", manyOrigins}, code: exitOK,
			stdout: []string{manyOrigins + ": valid s3 CORS policy: 1 rule, sha256:"}},
		{name: "mediastore refuses a rule with 101 origins", args: []string{"--target", "mediastore", manyOrigins}, code: exitInvalid,
			stdout: []string{manyOrigins + ": CorsPolicy[0].AllowedOrigins: has 101 items; 1 to 100 are allowed\n"}},
		{name: "s3 accepts an origin of 3,000 characters", args: []string{"--target", "s3", longOrigin}, code: exitOK,
			stdout: []string{longOrigin + ": valid s3 CORS policy: 1 rule, sha256:"}},
		{name: "mediastore refuses an origin of 3,000 characters", args: []string{"--target", "mediastore", longOrigin}, code: exitInvalid,
			stdout: []string{longOrigin + ": CorsPolicy[0].AllowedOrigins[0]: is 3000 characters; 1 to 2048 are allowed\n"}},
		{name: "all names the service whose rule an origin of 3,000 characters breaks", args: []string{"--target", "all", longOrigin}, code: exitInvalid,
			stdout: []string{longOrigin + ": mediastore: CorsPolicy[0].AllowedOrigins[0]: is 3000 characters", longOrigin + ": valid s3 CORS policy"}},
		{name: "a key given twice, with its path", args: []string{"--target", "all", twice}, code: exitInvalid,
			stdout: []string{twice + ": parse policy: CorsPolicy[0].AllowedOrigins: key given twice: the last would silently win\n"}},
		{name: "a UTF-8 byte order mark is ignored", args: []string{bom}, code: exitOK,
			stdout: []string{bom + ": valid mediastore CORS policy: 1 rule"}},
		{name: "a typo in a field name", args: []string{typo}, code: exitInvalid,
			stdout: []string{`unknown field "AllowedOrigin"`}},
		{name: "an empty stdin", args: []string{"-"}, code: exitInvalid, stdout: []string{"<stdin>: policy is empty"}},
		{name: "a missing file", args: []string{filepath.Join(dir, "nope.json")}, code: exitError},
		{name: "an unknown kind", args: []string{"--kind", "gcs", valid}, code: exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := corsguard(t, tt.stdin, append([]string{"validate"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}
