package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/awsclient"
	"github.com/corsguard/corsguard/internal/config"
	"github.com/corsguard/corsguard/internal/emulator"
)

// SweepTimeout is the deadline a sweep runs under: Lambda's longest timeout.
const SweepTimeout = 15 * time.Minute

// SweepOutput is what one sweep reports about itself (the sweep command prints it as JSON).
type SweepOutput struct {
	// Duration is the engine's own measure of the run, from reading the baseline to re-reading it.
	Duration  time.Duration           `json:"duration_ns"`
	APICalls  map[string]int          `json:"api_calls"`
	Totals    map[enforce.Outcome]int `json:"totals"`
	Succeeded bool                    `json:"succeeded"`
	Error     string                  `json:"error,omitempty"`
	// PeakRSS is the process's peak resident memory (VmHWM in /proc/self/status), in bytes; 0
	// where that file does not exist.
	PeakRSS int64 `json:"peak_rss"`
}

// Sweep builds the engine from getenv exactly as the Lambda does (config.Load, Engine(),
// awsclient.Load with its retryer), except that requests use the emulator's loopback HTTP
// client, and runs one enforce sweep of every container.
func Sweep(ctx context.Context, getenv func(string) string) (SweepOutput, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return SweepOutput{}, err
	}
	awsCfg, err := awsclient.Load(ctx,
		awsclient.WithRegion(getenv("AWS_REGION")),
		awsclient.WithEndpoint(getenv("AWS_ENDPOINT_URL")),
		awsclient.WithCredentials(credentials.NewStaticCredentialsProvider(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), "")),
		awsclient.WithHTTPClient(emulator.HTTPClient()))
	if err != nil {
		return SweepOutput{}, err
	}
	engine, err := enforce.New(cfg.Engine(), ssm.NewFromConfig(awsCfg), enforce.MediaStore(mediastore.NewFromConfig(awsCfg)))
	if err != nil {
		return SweepOutput{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, SweepTimeout)
	defer cancel()
	rep := engine.Run(ctx, enforce.Work{Mode: enforce.ModeEnforce, Reason: "benchmark sweep"})
	return SweepOutput{Duration: rep.Duration, APICalls: rep.APICalls, Totals: rep.Totals, Succeeded: rep.Succeeded,
		Error: rep.Error, PeakRSS: peakRSS()}, nil
}

// peakRSS returns this process's peak resident memory in bytes, from VmHWM in
// /proc/self/status, or 0 when it cannot be read. Not getrusage: Go starts a child with
// clone(CLONE_VM|CLONE_VFORK), so the child's ru_maxrss starts from the parent's peak, and the
// parent here is the benchmark with its emulator.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// Operations returns the API operations the engine calls, the ones a sweep's emulator throttles.
func Operations() []string {
	return []string{"ListContainers", "DescribeContainer", "GetCorsPolicy", "ListTagsForResource", "PutCorsPolicy", "GetParameter"}
}

// SweepSpec is one sweep benchmark.
type SweepSpec struct {
	// N is the number of containers, DriftedFraction of them drifted.
	N int
	// Rate is the engine's request rate per operation (CORSGUARD_RATE); 0 keeps its default.
	Rate float64
	// Throttle is the emulator's rate limit per operation; 0 means none.
	Throttle float64
	// Latency is added by the emulator to every call.
	Latency time.Duration
	// Command is the path of the sweep command to run in a child process, so that its peak
	// resident memory is the sweep's alone; "" runs the sweep in this process.
	Command string
}

// SweepResult is what one sweep benchmark measured. Calls are counted by the emulator, so
// they include the SDK's retries.
type SweepResult struct {
	Spec            SweepSpec
	Rate            float64 // the engine's effective rate
	Drifted         int
	Calls           map[string]int // emulator's count per operation
	Throttled       int
	PutsOnCompliant int
	// PeakRSS is the sweep process's peak resident memory in bytes; 0 when run in this process.
	PeakRSS int64
	Out     SweepOutput
}

// Wall is the sweep's duration as the engine measured it.
func (r SweepResult) Wall() time.Duration { return r.Out.Duration }

// Bound is the least time the sweep can take: the busiest operation (GetCorsPolicy, one per
// container) at the rate, plus one latency.
func (r SweepResult) Bound() time.Duration {
	return time.Duration(float64(r.Spec.N)/r.Rate*float64(time.Second)) + r.Spec.Latency
}

// Listings is the least number of ListContainers calls: one page per 100.
func (r SweepResult) Listings() int { return max(1, (r.Spec.N+99)/100) }

// Minimum is the least number of MediaStore calls: the listings, one GetCorsPolicy per
// container and one PutCorsPolicy per drifted one.
func (r SweepResult) Minimum() int { return r.Listings() + r.Spec.N + r.Drifted }

// MinimumWithTags adds the ListTagsForResource call a drifted container needs before it may be
// written, for the exemption check.
func (r SweepResult) MinimumWithTags() int { return r.Minimum() + r.Drifted }

// MediaStoreCalls is the number of MediaStore calls the emulator received.
func (r SweepResult) MediaStoreCalls() int {
	n := 0
	for _, op := range Operations() {
		if op != "GetParameter" {
			n += r.Calls[op]
		}
	}
	return n
}

// RunSweep populates a fresh emulator with spec.N containers, sets its latency and throttle,
// and runs one sweep against it.
func RunSweep(ctx context.Context, spec SweepSpec) (SweepResult, error) {
	a, err := StartAccount(emulator.WithCreatingDuration(0), emulator.WithContainerQuota(max(spec.N, emulator.DefaultContainerQuota)))
	if err != nil {
		return SweepResult{}, err
	}
	defer a.Close()
	fleet, err := Populate(ctx, a, spec.N)
	if err != nil {
		return SweepResult{}, err
	}
	a.SetLatency(emulator.AnyOp, spec.Latency)
	// One bucket per operation: the emulator's AnyOp setting would be one bucket shared by all.
	for _, op := range Operations() {
		a.SetThrottle(op, spec.Throttle)
	}
	a.ResetCalls()

	env := map[string]string{
		config.BaselineParameter: BaselineParam,
		"AWS_REGION":             Region,
		"AWS_ENDPOINT_URL":       a.URL,
		"AWS_ACCESS_KEY_ID":      AccessKey,
		"AWS_SECRET_ACCESS_KEY":  SecretKey,
	}
	res := SweepResult{Spec: spec, Rate: enforce.DefaultRate, Drifted: len(fleet.Drifted)}
	if spec.Rate > 0 {
		env[config.Rate] = strconv.FormatFloat(spec.Rate, 'f', -1, 64)
		res.Rate = spec.Rate
	}
	if spec.Command == "" {
		res.Out, err = Sweep(ctx, func(k string) string { return env[k] })
	} else {
		res.Out, err = sweepChild(ctx, spec.Command, env)
		res.PeakRSS = res.Out.PeakRSS
	}
	if err != nil {
		return SweepResult{}, err
	}
	if !res.Out.Succeeded {
		return SweepResult{}, fmt.Errorf("sweep of %d did not succeed: %s %v", spec.N, res.Out.Error, res.Out.Totals)
	}
	res.Calls = a.Calls()
	res.Throttled = a.Throttled()
	for _, name := range fleet.Compliant {
		res.PutsOnCompliant += a.ResourceCalls("PutCorsPolicy", name)
	}
	return res, nil
}

// sweepChild runs the sweep command with env (and nothing from this process's environment
// but PATH) and returns its output.
func sweepChild(ctx context.Context, command string, env map[string]string) (SweepOutput, error) {
	home, err := os.MkdirTemp("", "corsguard-bench-")
	if err != nil {
		return SweepOutput{}, err
	}
	defer os.RemoveAll(home)
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true"}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cmd := exec.CommandContext(ctx, command)
	var stdout, stderr bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = environ, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return SweepOutput{}, fmt.Errorf("%s: %w\n%s", command, err, stderr.Bytes())
	}
	var out SweepOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return SweepOutput{}, fmt.Errorf("%s printed %q: %w", command, stdout.Bytes(), err)
	}
	return out, nil
}
