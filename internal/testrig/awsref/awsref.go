// Package awsref finds the reference tools the emulator's tests are held to: the aws CLI v1
// and the botocore/boto3 it runs on, as pyenv installs them on the development and CI machines.
// A test that needs one fails, never skips, when it is missing or too old, and logs the
// versions it used so that a run's output says what it was checked against.
package awsref

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// minBotocore is the oldest botocore whose models the tests rely on: SQS over JSON (1.31) and
// ListBuckets paging (MaxBuckets, 1.35). Debian's awscli packages are older v1 releases or v2.
var minBotocore = [2]int{1, 35}

var versionRE = regexp.MustCompile(`^aws-cli/(\d+)\.\S+ .*botocore/(\d+)\.(\d+)\.\S+`)

// CLI returns the path of the aws CLI to drive the emulator with. It fails the test when the
// CLI is missing, is not v1, or runs on a botocore older than the models the tests need.
func CLI(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI v1 is not on PATH (%v): these tests drive the emulator with it; install it with pyenv's pip (pip install awscli) or run .ci/run, which puts pyenv's shims first", err)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	version := strings.TrimSpace(string(out))
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	m := versionRE.FindStringSubmatch(version)
	if m == nil || m[1] != "1" {
		t.Fatalf("%s is %q, not the aws CLI v1 with botocore these tests are written against (pip install awscli under pyenv)", bin, version)
	}
	major, _ := strconv.Atoi(m[2])
	minor, _ := strconv.Atoi(m[3])
	if major < minBotocore[0] || major == minBotocore[0] && minor < minBotocore[1] {
		t.Fatalf("%s runs on botocore %s.%s, older than %d.%d: it lacks SQS's JSON protocol or ListBuckets paging (pip install -U awscli under pyenv)", bin, m[2], m[3], minBotocore[0], minBotocore[1])
	}
	t.Logf("reference aws CLI: %s (%s)", version, bin)
	return bin
}

// Python returns a python3 that imports boto3, and logs the boto3 and botocore versions. It
// fails the test when there is none.
func Python(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not on PATH (%v): the boto3 parity tests need pyenv's python3 with boto3", err)
	}
	out, err := exec.Command(bin, "-c", "import boto3, botocore; print(f'boto3/{boto3.__version__} botocore/{botocore.__version__}')").CombinedOutput()
	if err != nil {
		t.Fatalf("%s cannot import boto3 (%v): pip install boto3 under pyenv\n%s", bin, err, out)
	}
	t.Logf("reference boto3: %s (%s)", strings.TrimSpace(string(out)), bin)
	return bin
}
