package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/testrig/rie"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// WorkerRSSResult is what one worker process measured.
type WorkerRSSResult struct {
	N           int   // buckets, one message each
	Converged   int   // buckets holding the baseline at the end
	Invocations int   // the worker's invocations (batches of ten)
	PeakRSS     int64 // the bootstrap process's VmHWM, in bytes
}

// WorkerRSS runs bootstrap under the runtime emulator rieBin as the work queue's only worker,
// hands it one message per bucket for n buckets (30 % drifted) through emulator/esm in batches
// of ten, and reads the bootstrap process's peak resident memory (VmHWM) before stopping it.
func WorkerRSS(ctx context.Context, rieBin, bootstrap string, n int) (WorkerRSSResult, error) {
	rieBin, err := filepath.Abs(rieBin)
	if err != nil {
		return WorkerRSSResult{}, err
	}
	bootstrap, err = filepath.Abs(bootstrap)
	if err != nil {
		return WorkerRSSResult{}, err
	}
	a, err := startWithBaseline(ctx, emulator.WithCreatingDuration(0))
	if err != nil {
		return WorkerRSSResult{}, err
	}
	defer a.Close()
	if err := a.SeedQueue(benchQueue, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330"}); err != nil {
		return WorkerRSSResult{}, err
	}
	url := a.QueueURL(a.URL, benchQueue)
	var names []string
	var msgs []workqueue.Message
	for i := range n {
		name := fmt.Sprintf("bench-%06d", i)
		_, p := drifted(i)
		if err := a.SeedBucket(name, "", p, nil); err != nil {
			return WorkerRSSResult{}, err
		}
		names = append(names, name)
		msgs = append(msgs, workqueue.Reconcile(policy.S3, name, enforce.ModeEnforce, "bench", "bench-rss"))
	}
	client := sqs.NewFromConfig(a.config())
	if err := workqueue.New(client, url).Send(ctx, msgs); err != nil {
		return WorkerRSSResult{}, err
	}

	home, err := os.MkdirTemp("", "corsguard-worker-")
	if err != nil {
		return WorkerRSSResult{}, err
	}
	defer os.RemoveAll(home)
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "LOG_LEVEL=warn",
		"CORSGUARD_BASELINE_PARAMETER=" + BaselineParam, "CORSGUARD_TARGETS=s3", "CORSGUARD_RATE=1000",
		"CORSGUARD_MAX_CONCURRENCY=2" /* the least it accepts */, "CORSGUARD_QUEUE_URL=" + url,
		"AWS_REGION=" + Region, "AWS_ENDPOINT_URL=" + a.URL, "AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey}
	fn, err := rie.Start(rieBin, bootstrap, environ)
	if err != nil {
		return WorkerRSSResult{}, err
	}
	defer fn.Stop()
	m := &esm.Mapping{Client: client, QueueURL: url, QueueARN: a.QueueARN(benchQueue), BatchSize: 10,
		MaximumConcurrency: 1, ReportBatchItemFailures: true, Function: esm.HTTPFunction(nil, fn.InvokeURL)}
	stats, err := m.Run(ctx)
	if err != nil {
		return WorkerRSSResult{}, fmt.Errorf("%w\n%s", err, fn.Output)
	}
	if stats.FunctionErrors > 0 {
		return WorkerRSSResult{}, fmt.Errorf("%d function errors (%+v)\n%s", stats.FunctionErrors, stats, fn.Output)
	}
	res := WorkerRSSResult{N: n, Invocations: stats.Invocations}
	if res.PeakRSS, err = childPeakRSS(fn.Pid()); err != nil {
		return WorkerRSSResult{}, fmt.Errorf("%w (stats %+v)\n%s", err, stats, fn.Output)
	}
	want := baseline()
	for _, name := range names {
		if b, ok := a.Bucket(name); ok {
			if p, err := policy.Parse(b.CorsPolicy); err == nil && policy.Equal(p, want) {
				res.Converged++
			}
		}
	}
	return res, nil
}

// childPeakRSS returns the VmHWM, in bytes, of the child process of the runtime emulator parent:
// the bootstrap, its only child.
func childPeakRSS(parent int) (int64, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
		i := strings.LastIndexByte(string(data), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(parent) {
			continue
		}
		status, err := os.ReadFile(filepath.Join(filepath.Dir(path), "status"))
		if err != nil {
			return 0, err
		}
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err != nil {
					return 0, fmt.Errorf("VmHWM %q: %w", v, err)
				}
				return kb * 1024, nil
			}
		}
	}
	return 0, fmt.Errorf("no child process of the runtime emulator (pid %d): the bootstrap exited", parent)
}
