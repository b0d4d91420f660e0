package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
)

// The CLI and the Lambda read a setting alike: the same estate audited by the corsguard
// binary with a flag and by the bootstrap with the variable of that setting gives the same
// outcomes.

var cli struct {
	once sync.Once
	path string
	err  error
}

// cliBinary builds cmd/corsguard once, beside the bootstrap.
func cliBinary(t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		cli.path = filepath.Join(filepath.Dir(bootstrap), "corsguard")
		build := exec.Command("go", "build", "-trimpath", "-o", cli.path, "../cmd/corsguard")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			cli.err = fmt.Errorf("build corsguard: %v\n%s", err, out)
		}
	})
	if cli.err != nil {
		t.Fatal(cli.err)
	}
	return cli.path
}

// runCLI runs the corsguard binary against the account in a clean environment, with the
// credentials and Region an operator's shell would hold, and returns its report and exit code.
func (a *account) runCLI(t *testing.T, args ...string) (*enforce.Report, int) {
	t.Helper()
	stdout, stderr, code := a.cli(t, append(args, "--format", "json")...)
	var rep enforce.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("corsguard %q: exit %d, no JSON report: %v\nstdout: %s\nstderr: %s", args, code, err, stdout, stderr)
	}
	return &rep, code
}

// cli runs the corsguard binary against the account as runCLI does, in the format args ask
// for, and returns what it wrote and its exit code.
func (a *account) cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(cliBinary(t), append(args, "--endpoint-url", a.url)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_REGION=" + region, "AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey,
	}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errs.String(), code
}

// outcomes maps KIND/NAME to the outcome of every resource of a report.
func outcomes(rep *enforce.Report) map[string]enforce.Outcome {
	out := map[string]enforce.Outcome{}
	for _, e := range rep.Entries {
		out[string(e.Kind)+"/"+e.Name] = e.Outcome
	}
	return out
}

func TestTheCLIAndTheFunctionReadTheExemptTagAlike(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	for _, r := range []struct {
		name string
		tags map[string]string
		cors bool // compliant
	}{
		{name: "media-owned", tags: map[string]string{"owner": "media"}},
		{name: "media-owned-shouting", tags: map[string]string{"owner": "MEDIA"}},
		{name: "other-owner", tags: map[string]string{"owner": "news"}},
		// The key "owner=media" is how the function read the setting before: no longer exempt.
		{name: "key-with-equals", tags: map[string]string{"owner=media": "true"}},
		{name: "default-tag", tags: map[string]string{"corsguard:exempt": "true"}},
		{name: "media-compliant", tags: map[string]string{"owner": "media"}, cors: true},
	} {
		cors := drifted
		if r.cors {
			cors = baseline
		}
		a.seed(t, r.name, cors, r.tags)
		a.seedBucket(t, r.name, cors, r.tags)
	}
	want := map[string]enforce.Outcome{}
	for _, kind := range []string{"mediastore", "s3"} {
		for name, o := range map[string]enforce.Outcome{
			"media-owned": enforce.Exempt, "media-owned-shouting": enforce.Exempt, "other-owner": enforce.Drifted,
			"key-with-equals": enforce.Drifted, "default-tag": enforce.Drifted, "media-compliant": enforce.Compliant,
		} {
			want[kind+"/"+name] = o
		}
	}

	env := s3Env(a, "all")
	env["CORSGUARD_EXEMPT_TAG"] = "owner=media"
	fn := startFunction(t, env)
	inv := fn.invoke(t, sample(t, "direct-audit.json"))
	wantSuccess(t, inv, handler.Manual)

	rep, code := a.runCLI(t, "audit", "--target", "all", "--exempt-tag", "owner=media")
	if code != 3 {
		t.Errorf("corsguard audit: exit %d, want 3 (drift found)", code)
	}
	if diff := cmp.Diff(want, outcomes(inv.Result.Report)); diff != "" {
		t.Errorf("the function's outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(outcomes(inv.Result.Report), outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-function +CLI):\n%s", diff)
	}
}
