package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// StormSpec is a CloudTrail storm: Events buckets, all compliant, each drifted once by
// somebody else's PutBucketCors, evenly over Over; every PutBucketCors CloudTrail event the
// emulator emits invokes a router of its own, as EventBridge invokes the function once per
// event, while Concurrency workers drain the work queue. The emulator applies AWS's default
// quotas.
type StormSpec struct {
	Events      int
	Over        time.Duration
	Rate        float64 // CORSGUARD_RATE
	Concurrency int     // MaximumConcurrency
	Latency     time.Duration
	SecurityHub bool
	// Limit stops the storm after this long, measured as far as it went (TimedOut); 0 never.
	Limit time.Duration
}

// StormResult is what a storm measured.
type StormResult struct {
	Spec StormSpec
	// LastRepair is from the first drifting write to the last PutBucketCors corsguard made;
	// AfterLastEvent from the last drifting write to it.
	LastRepair, AfterLastEvent time.Duration
	Wall                       time.Duration // from the first drifting write to an empty queue
	Routed                     int           // router invocations (one per event)
	// RouterFailures counts the router invocations that failed (Lambda would invoke them
	// again after a minute, then two: its asynchronous retries); RouterError is the first.
	RouterFailures            int
	RouterError               string
	RouterInstances           int // execution environments the routers needed
	WorkerInstances           int
	Repairs                   int // PutBucketCors calls of corsguard's
	Converged                 int // buckets holding the baseline at the end
	Calls                     map[string]int
	Throttled, Reported       int
	ThrottledOps              map[string]int
	Findings, FindingsPresent int
	TimedOut                  bool // stopped at Spec.Limit
}

// SSMReads counts the answered calls that share Parameter Store's throughput.
func (r StormResult) SSMReads() int { return answered(r.Calls, r.ThrottledOps, ssmReadOps...) }

// SSMThrottled counts the throttled answers among them.
func (r StormResult) SSMThrottled() int {
	n := 0
	for _, op := range ssmReadOps {
		n += r.ThrottledOps[op]
	}
	return n
}

// Answered is op's calls that were answered, not throttled.
func (r StormResult) Answered(op string) int { return answered(r.Calls, r.ThrottledOps, op) }

// stormKey is the access key of the storm's writer: CloudTrail names it in each event, and the
// harness routes only its events (the template's rules leave out the function's own writes).
const stormKey = "AKIDCORSGUARDSTORMER"

// RunStorm seeds spec.Events compliant buckets, drifts each once through S3's API while the
// routers and workers run, and measures how long until corsguard repaired the last one.
func RunStorm(ctx context.Context, spec StormSpec) (StormResult, error) {
	a, err := startWithBaseline(ctx, emulator.WithCreatingDuration(0))
	if err != nil {
		return StormResult{}, err
	}
	defer a.Close()
	var names []string
	for i := range spec.Events {
		name := fmt.Sprintf("storm-%05d", i)
		if err := a.SeedBucket(name, "", baseline(), nil); err != nil {
			return StormResult{}, err
		}
		names = append(names, name)
	}
	a.SetLatency(emulator.AnyOp, spec.Latency)
	a.ResetCalls()

	// CloudTrail's PutBucketCors events: the storm's go to the routers, corsguard's own are
	// its repairs.
	var mu sync.Mutex
	var lastRepair time.Time
	repairs := 0
	trail := make(chan []byte, spec.Events)
	cancel := a.Subscribe(func(ev []byte) {
		var e struct {
			DetailType string `json:"detail-type"`
			Detail     struct {
				EventName    string `json:"eventName"`
				UserIdentity struct {
					AccessKeyID string `json:"accessKeyId"`
				} `json:"userIdentity"`
			} `json:"detail"`
		}
		if json.Unmarshal(ev, &e) != nil || e.DetailType != "AWS API Call via CloudTrail" || e.Detail.EventName != "PutBucketCors" {
			return
		}
		switch e.Detail.UserIdentity.AccessKeyID {
		case stormKey:
			trail <- ev
		case AccessKey:
			mu.Lock()
			lastRepair, repairs = time.Now(), repairs+1
			mu.Unlock()
		}
	})
	defer cancel()

	cfg := a.config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(stormKey, "storm-secret", "")
	writer := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	env := map[string]string{
		config.BaselineParameter: BaselineParam, config.Targets: "s3",
		config.Rate: strconv.FormatFloat(spec.Rate, 'f', -1, 64),
	}
	if spec.SecurityHub {
		env[config.SecurityHub] = "true"
	}
	var first, last time.Time
	routed, failed, firstErr := 0, 0, ""
	storm := func(ctx context.Context, invoke invokeFunc) error {
		// The writes, evenly spaced; each answers after its event is on the channel.
		wrote := make(chan error, 1)
		go func() {
			defer close(trail)
			first = time.Now()
			step := spec.Over / time.Duration(max(spec.Events, 1))
			for i, name := range names {
				if d := time.Until(first.Add(time.Duration(i) * step)); d > 0 {
					time.Sleep(d)
				}
				if _, err := writer.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(name),
					CORSConfiguration: &s3types.CORSConfiguration{CORSRules: corsconv.ToS3(other())}}); err != nil {
					wrote <- fmt.Errorf("drift %s: %w", name, err)
					return
				}
			}
			last = time.Now()
			wrote <- nil
		}()
		var wg sync.WaitGroup
		for ev := range trail {
			routed++
			wg.Go(func() {
				out, err := invoke(ctx, ev)
				if err == nil && (out.Queue == nil || out.Queue.Enqueued != 1) {
					err = fmt.Errorf("the router did not enqueue its bucket: %s", out.Note)
				}
				if err != nil {
					mu.Lock()
					if failed++; firstErr == "" {
						firstErr = err.Error()
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return <-wrote
	}
	d, err := drainSweep(ctx, a, env, spec.Concurrency, spec.Limit, storm)
	if err != nil {
		return StormResult{}, err
	}
	mu.Lock()
	defer mu.Unlock()
	res := StormResult{Spec: spec, TimedOut: d.timedOut, Wall: d.wall, Routed: routed, RouterInstances: d.routerInstances, WorkerInstances: d.workerInstances,
		Repairs: repairs, RouterFailures: failed, RouterError: firstErr, Reported: d.reported, Calls: a.Calls(), Throttled: a.Throttled(), ThrottledOps: a.Emulator.Throttled()}
	if repairs > 0 {
		res.LastRepair = lastRepair.Sub(first)
		if !last.IsZero() {
			res.AfterLastEvent = lastRepair.Sub(last)
		}
	}
	res.Converged = converged(a, names)
	if spec.SecurityHub {
		res.Findings, res.FindingsPresent = passedFindings(a, names)
	}
	return res, nil
}

// StormFullSpec is issue 23's storm: 1,000 PutBucketCors events in 10 s, Security Hub on, the
// queue rows' rate, workers and latency.
var StormFullSpec = StormSpec{Events: 1000, Over: 10 * time.Second, Rate: 1000, Concurrency: 16, Latency: 2 * time.Millisecond, SecurityHub: true,
	Limit: 5 * time.Minute}
