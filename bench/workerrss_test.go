package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWorkerRSSReadsTheBootstrapsPeak runs the real bootstrap under aws-lambda-rie as the only
// worker of 25 buckets and checks that every bucket converged and a peak RSS was read.
func TestWorkerRSSReadsTheBootstrapsPeak(t *testing.T) {
	rieBin, err := filepath.Abs("../bin/aws-lambda-rie")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rieBin); err != nil {
		t.Fatalf("aws-lambda-rie is not installed (%v): make e2e installs it into bin/", err)
	}
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bootstrap, "../cmd/enforcer")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	res, err := WorkerRSS(context.Background(), rieBin, bootstrap, 25)
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged != 25 || res.Invocations < 3 || res.PeakRSS <= 0 {
		t.Errorf("%+v: want 25 buckets converged in at least 3 batches and a peak RSS", res)
	}
	t.Logf("%+v", res)
}
