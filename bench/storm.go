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
	rep := &stormRepairs{}
	trail := make(chan []byte, spec.Events)
	cancel := a.Subscribe(rep.sort(trail))
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
	st := &stormRouting{writer: writer, names: names, over: spec.Over, trail: trail}
	d, err := drainSweep(ctx, a, env, spec.Concurrency, spec.Limit, st.route)
	if err != nil {
		return StormResult{}, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	rep.mu.Lock()
	defer rep.mu.Unlock()
	repairs, lastRepair, first, last := rep.n, rep.last, st.first, st.last
	res := StormResult{Spec: spec, TimedOut: d.timedOut, Wall: d.wall, Routed: st.routed, RouterInstances: d.routerInstances, WorkerInstances: d.workerInstances,
		Repairs: repairs, RouterFailures: st.failed, RouterError: st.firstErr, Reported: d.reported, Calls: a.Calls(), Throttled: a.Throttled(), ThrottledOps: a.Emulator.Throttled()}
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

// stormRepairs counts corsguard's own PutBucketCors calls, its repairs, and when the last came.
type stormRepairs struct {
	mu   sync.Mutex
	last time.Time
	n    int
}

// sort sorts CloudTrail's PutBucketCors events: the storm's go to trail (for the routers),
// corsguard's own are its repairs.
func (r *stormRepairs) sort(trail chan<- []byte) func([]byte) {
	return func(ev []byte) {
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
			r.mu.Lock()
			r.last, r.n = time.Now(), r.n+1
			r.mu.Unlock()
		}
	}
}

// writeStorm drifts every bucket of names, the writes evenly spaced over over, and returns
// when the first and the last was made.
func writeStorm(ctx context.Context, writer *s3.Client, names []string, over time.Duration) (first, last time.Time, err error) {
	first = time.Now()
	step := over / time.Duration(max(len(names), 1))
	for i, name := range names {
		if d := time.Until(first.Add(time.Duration(i) * step)); d > 0 {
			time.Sleep(d)
		}
		if _, err := writer.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(name),
			CORSConfiguration: &s3types.CORSConfiguration{CORSRules: corsconv.ToS3(other())}}); err != nil {
			return first, time.Time{}, fmt.Errorf("drift %s: %w", name, err)
		}
	}
	return first, time.Now(), nil
}

// stormRouting is the storm's routing: the writes, and the routers invoked with each of their
// CloudTrail events as it comes; and what it counted.
type stormRouting struct {
	writer      *s3.Client
	names       []string
	over        time.Duration
	trail       chan []byte
	mu          sync.Mutex
	first, last time.Time // of the writes
	routed      int
	failed      int
	firstErr    string
}

// route drifts the buckets, evenly spaced, and invokes a router with each write's event as it
// arrives on the trail: the routeFunc of drainSweep.
func (st *stormRouting) route(ctx context.Context, invoke invokeFunc) error {
	wrote := make(chan error, 1)
	go func() {
		defer close(st.trail)
		first, last, err := writeStorm(ctx, st.writer, st.names, st.over)
		st.mu.Lock()
		st.first, st.last = first, last
		st.mu.Unlock()
		wrote <- err
	}()
	var wg sync.WaitGroup
	for ev := range st.trail {
		st.mu.Lock()
		st.routed++
		st.mu.Unlock()
		wg.Go(func() {
			out, err := invoke(ctx, ev)
			if err == nil && (out.Queue == nil || out.Queue.Enqueued != 1) {
				err = fmt.Errorf("the router did not enqueue its bucket: %s", out.Note)
			}
			if err != nil {
				st.mu.Lock()
				if st.failed++; st.firstErr == "" {
					st.firstErr = err.Error()
				}
				st.mu.Unlock()
			}
		})
	}
	wg.Wait()
	return <-wrote
}
