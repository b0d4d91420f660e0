package corsguard_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pins reads requirements-dev.txt: package name (lower case, extras dropped) -> version.
func pins(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("requirements-dev.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, version, ok := strings.Cut(line, "==")
		if !ok {
			t.Errorf("requirements-dev.txt: %q is not pinned with ==", line)
			continue
		}
		name, _, _ = strings.Cut(name, "[")
		out[strings.ToLower(name)] = version
	}
	return out
}

// requirements-dev.txt pins what the tests run against: the versions of the tools on PATH
// (pyenv's on these machines, or .venv's) are the pinned ones.
func TestRequirementsPinTheToolsTheTestsRun(t *testing.T) {
	want := pins(t)
	path := os.Getenv("PATH")
	if _, err := os.Stat(".venv/bin"); err == nil {
		path = filepath.Join(mustAbs(t, ".venv/bin")) + string(os.PathListSeparator) + path
	}
	run := func(name string, args ...string) string {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s (make tools installs requirements-dev.txt)", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	got := map[string]string{}
	if m := regexp.MustCompile(`^aws-cli/(\S+) .* botocore/(\S+)`).FindStringSubmatch(run("aws", "--version")); m != nil {
		got["awscli"], got["botocore"] = m[1], m[2]
	}
	for name, module := range map[string]string{"boto3": "boto3", "aws-sam-translator": "samtranslator", "moto": "moto"} {
		got[name] = run("python3", "-c", "import "+module+"; print("+module+".__version__)")
	}
	got["cfn-lint"] = strings.TrimPrefix(run("cfn-lint", "--version"), "cfn-lint ")
	for name, v := range want {
		if got[name] != v {
			t.Errorf("requirements-dev.txt pins %s==%s; the tests run %s %q", name, v, name, got[name])
		}
	}
}

// Where the tools are missing, the set-up says exactly which, at which version, and the
// command that installs them (--check: without asking Python's package index).
func TestPytoolsNamesWhatIsMissingAndTheCommand(t *testing.T) {
	cmd := exec.Command(".ci/pytools", "--check")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "PYENV_ROOT=" + filepath.Join(t.TempDir(), "none")}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf(".ci/pytools --check without the tools: %v, want exit 1\n%s", err, out)
	}
	for _, want := range []string{
		"awscli==1.", "boto3==1.", "cfn-lint==1.", "aws-sam-translator==1.", "moto[server]==5.",
		"install them with: python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf(".ci/pytools --check does not say %q:\n%s", want, out)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
