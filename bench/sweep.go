package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
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

// Sweep builds the engine from getenv exactly as the Lambda does (config.Load,
// awsclient.FromEnvironment with its retryer), except that requests use the emulator's loopback HTTP
// client, and runs one enforce sweep of every resource of the configured kinds
// (CORSGUARD_TARGETS).
func Sweep(ctx context.Context, getenv func(string) string) (SweepOutput, error) {
	engine, err := engineFromEnv(getenv)
	if err != nil {
		return SweepOutput{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, SweepTimeout)
	defer cancel()
	rep := engine.Run(ctx, enforce.Work{Mode: enforce.ModeEnforce, Reason: "benchmark sweep"})
	return SweepOutput{Duration: rep.Duration, APICalls: rep.APICalls, Totals: rep.Totals, Succeeded: rep.Succeeded,
		Error: rep.Error, PeakRSS: peakRSS()}, nil
}

// engineFromEnv builds the engine from getenv exactly as the Lambda does (config.Load,
// awsclient.FromEnvironment with its retryer), except that requests use the emulator's loopback
// HTTP client.
func engineFromEnv(getenv func(string) string) (*enforce.Engine, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.FromEnvironment(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg.HTTPClient = emulator.HTTPClient()
	return enforce.New(cfg.Engine, ssm.NewFromConfig(awsCfg), awsclient.Stores(awsCfg, cfg.Engine.Targets)...)
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

// The emulator's names of the operations the engine calls, per kind of target.
var (
	mediaStoreOps = []string{"ListContainers", "DescribeContainer", "GetCorsPolicy", "ListTagsForResource", "PutCorsPolicy"}
	s3Ops         = []string{"ListBuckets", "GetBucketCors", "GetBucketTagging", "PutBucketCors", "GetResources"}
)

// Operations returns the API operations the engine calls, the ones a sweep's emulator throttles:
// MediaStore's, S3's and SSM's GetParameter.
func Operations() []string {
	return append(append(slices.Clone(mediaStoreOps), s3Ops...), "GetParameter")
}

// SweepSpec is one sweep benchmark.
type SweepSpec struct {
	// N is the number of resources of each kind swept, DriftedFraction of them drifted.
	N int
	// Targets is the kinds swept, as CORSGUARD_TARGETS spells them ("mediastore", "s3",
	// "mediastore,s3"); "" is MediaStore containers only, the engine's default.
	Targets string
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

// Kinds returns the kinds of resource the spec sweeps, containers first.
func (s SweepSpec) Kinds() []policy.Kind {
	if s.Targets == "" {
		return []policy.Kind{policy.MediaStore}
	}
	var out []policy.Kind
	for t := range strings.SplitSeq(s.Targets, ",") {
		if k := policy.Kind(strings.TrimSpace(t)); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// SweepResult is what one sweep benchmark measured. Calls are counted by the emulator, so
// they include the SDK's retries.
type SweepResult struct {
	Spec    SweepSpec
	Rate    float64        // the engine's effective rate
	Drifted int            // drifted resources, all kinds together
	Calls   map[string]int // emulator's count per operation
	// Throttled counts throttling answers: ThrottlingException and S3's SlowDown.
	Throttled int
	// PutsOnCompliant counts PutCorsPolicy and PutBucketCors calls on resources that already
	// held the baseline.
	PutsOnCompliant int
	// PeakRSS is the sweep process's peak resident memory in bytes; 0 when run in this process.
	PeakRSS int64
	Out     SweepOutput
}

// Wall is the sweep's duration as the engine measured it.
func (r SweepResult) Wall() time.Duration { return r.Out.Duration }

// Bound is the least time the sweep can take: the busiest operation at the rate, plus one
// latency. The engine and the emulator both limit each operation on its own, so in a mixed
// sweep GetCorsPolicy and GetBucketCors (one per container, one per bucket) run side by side
// and the busiest operation still makes N calls, not 2N.
func (r SweepResult) Bound() time.Duration {
	return time.Duration(float64(r.Spec.N)/r.Rate*float64(time.Second)) + r.Spec.Latency
}

// S3PageSize is the number of buckets the engine asks for per ListBuckets page (MaxBuckets).
const S3PageSize = 1000

// Listings is the least number of listing calls: one ListContainers page per 100 containers,
// one ListBuckets page per S3PageSize buckets.
func (r SweepResult) Listings() int {
	n := 0
	for _, k := range r.Spec.Kinds() {
		switch k {
		case policy.MediaStore:
			n += max(1, (r.Spec.N+99)/100)
		case policy.S3:
			n += max(1, (r.Spec.N+S3PageSize-1)/S3PageSize)
		}
	}
	return n
}

// Minimum is the least number of target calls: the listings, one policy read per
// resource (GetCorsPolicy, GetBucketCors) and one policy write per drifted one.
func (r SweepResult) Minimum() int {
	return r.Listings() + r.Spec.N*len(r.Spec.Kinds()) + r.Drifted
}

// MinimumWithTags adds the tag reads (docs/profiles.md): a resource's tags may name its
// profile, so a container's are read before its policy (one ListTagsForResource each); a
// sweep learns which buckets carry the profile tag in bulk (one GetResources per 100 such
// buckets, at least one call; the bench tags none), and reads a drifted bucket's own tags
// before it is written, for the exemption check.
func (r SweepResult) MinimumWithTags() int {
	n := r.Minimum()
	perKind := r.Drifted / len(r.Spec.Kinds()) // every kind is seeded alike
	for _, k := range r.Spec.Kinds() {
		switch k {
		case policy.MediaStore:
			n += r.Spec.N
		case policy.S3:
			n += perKind + 1
		}
	}
	return n
}

// MediaStoreCalls is the number of MediaStore calls the emulator received.
func (r SweepResult) MediaStoreCalls() int { return r.sum(mediaStoreOps) }

// S3Calls is the number of S3 calls the emulator received.
func (r SweepResult) S3Calls() int { return r.sum(s3Ops) }

// TargetCalls is the number of MediaStore and S3 calls together: every call but SSM's.
func (r SweepResult) TargetCalls() int { return r.MediaStoreCalls() + r.S3Calls() }

func (r SweepResult) sum(ops []string) int {
	n := 0
	for _, op := range ops {
		n += r.Calls[op]
	}
	return n
}

// RunSweep populates a fresh emulator with spec.N resources of each of spec's kinds, sets its
// latency and throttle, and runs one sweep against it.
func RunSweep(ctx context.Context, spec SweepSpec) (SweepResult, error) {
	a, err := StartAccount(emulator.WithCreatingDuration(0), emulator.WithContainerQuota(max(spec.N, emulator.DefaultContainerQuota)))
	if err != nil {
		return SweepResult{}, err
	}
	defer a.Close()
	// The policy write of each kind, and the resources that must not get one.
	compliant := map[string][]string{}
	drifted := 0
	for _, k := range spec.Kinds() {
		var fleet Fleet
		switch k {
		case policy.MediaStore:
			fleet, err = Populate(ctx, a, spec.N)
			compliant["PutCorsPolicy"] = fleet.Compliant
		case policy.S3:
			fleet, err = PopulateBuckets(ctx, a, spec.N)
			compliant["PutBucketCors"] = fleet.Compliant
		default:
			err = fmt.Errorf("sweep spec: unknown target kind %q", k)
		}
		if err != nil {
			return SweepResult{}, err
		}
		drifted += len(fleet.Drifted)
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
	if spec.Targets != "" {
		env[config.Targets] = spec.Targets
	}
	res := SweepResult{Spec: spec, Rate: enforce.DefaultRate, Drifted: drifted}
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
	for op, names := range compliant {
		for _, name := range names {
			res.PutsOnCompliant += a.ResourceCalls(op, name)
		}
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
