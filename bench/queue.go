package bench

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// QueueSweepSpec is one sweep of S3 buckets through the work queue: the router lists and
// enqueues, Concurrency workers (each with its own engine and rate limiters, as separate Lambda
// execution environments have) drain the queue through emulator/esm. The emulator applies
// AWS's default quotas (emulator.AWSQuotas) in every case.
type QueueSweepSpec struct {
	N           int
	Rate        float64 // account-wide, per operation (CORSGUARD_RATE)
	Concurrency int     // MaximumConcurrency
	// Throttle is an extra rate limit per operation the emulator injects on top of AWS's
	// quotas; 0 means none (AWS's quotas alone).
	Throttle float64
	Latency  time.Duration
	// SecurityHub turns findings on (CORSGUARD_SECURITY_HUB); SecurityHubRate is corsguard's
	// share of BatchImportFindings' quota (CORSGUARD_SECURITY_HUB_RATE), 0 the default.
	SecurityHub     bool
	SecurityHubRate float64
	// Limit stops the sweep after this long, measured as far as it went (TimedOut); 0 never.
	Limit time.Duration
}

// QueueSweepResult is what a queue sweep measured.
type QueueSweepResult struct {
	Spec      QueueSweepSpec
	Wall      time.Duration  // from the router's invocation to empty queues
	Drifted   int            // drifted buckets
	Converged int            // buckets holding the baseline at the end
	Calls     map[string]int // the emulator's count per operation, SQS's included
	// Throttled is the emulator's throttling answers (AWS's quotas and injected throttles),
	// which the SDK retried; ThrottledOps the same per operation. Reported is the throttling
	// error codes in what the function instances wrote: the throttles that reached a report.
	Throttled    int
	ThrottledOps map[string]int
	Reported     int
	Invocations  int // router and worker invocations
	Records      int
	// WorkerInstances is how many worker instances (execution environments) ran at least
	// one batch.
	WorkerInstances int
	// StampRereads is the reads of a baseline version an instance had read already, which the
	// order of stamps asks for (controller.QueueResult.StampRereads, summed over every
	// invocation): a listing's batches sent past the freshness bound, a listing carried on.
	StampRereads int
	// Findings is the findings Security Hub holds at the end; FindingsPresent the buckets
	// with an active PASSED finding among them (every bucket ends compliant or remediated).
	Findings, FindingsPresent int
	// FunctionTime is the time the router's, the workers' and the publishers' invocations
	// took, summed; RouterTime and PublisherTime are the router's and the publishers' parts.
	FunctionTime, RouterTime, PublisherTime time.Duration
	// Ingested is the findings Security Hub accepted from BatchImportFindings (its billed
	// finding ingestion events).
	Ingested int
	// LogBytes is what the function instances wrote to their logs (JSON lines and EMF
	// documents), the bytes CloudWatch Logs would ingest besides Lambda's own lines.
	LogBytes int64
	// Quotas are the request quotas the emulator applied.
	Quotas []emulator.Quota
	// Shares are the rates corsguard was configured to use, per operation (see Shares).
	Shares map[string]Share
	// TimedOut says that the sweep was stopped at Spec.Limit: the figures are of what it did.
	TimedOut bool
	// WorkQueueCalls are the SQS calls about the FIFO work queue, per operation: its quota
	// binds them alone (Calls adds the findings queue's).
	WorkQueueCalls map[string]int
	// PublisherInvocations and FindingsMessages are the findings queue's mapping's
	// invocations and records (Security Hub on).
	PublisherInvocations, FindingsMessages int
	// EmptyReceives and FindingsEmptyReceives are the ReceiveMessage calls of the work
	// queue's and the findings queue's mappings that came back empty: the player's polling
	// (pollOp), not Lambda's long polls.
	EmptyReceives, FindingsEmptyReceives int
}

// GBSeconds is the function time at the template's MemorySize (TemplateMemoryMB).
func (r QueueSweepResult) GBSeconds() float64 {
	return r.FunctionTime.Seconds() * TemplateMemoryMB / 1024
}

// Share is the rate corsguard keeps to for one operation, all its instances together: its
// configured share, never above AWS's quota, or AWS's quota where corsguard sets no rate of
// its own. From says which.
type Share struct {
	Rate float64
	From string
}

// ssmReadOps are the operations that share Parameter Store's throughput.
var ssmReadOps = []string{"GetParameter", "GetParameters", "GetParametersByPath"}

// shares returns the rate corsguard is configured to use for each operation it may call in a
// queue sweep of spec, at most the quota that binds it account-wide (or per FIFO queue) in qs.
func shares(spec QueueSweepSpec, qs []emulator.Quota) map[string]Share {
	quota := func(op string) (emulator.Quota, bool) {
		for _, q := range qs {
			if slices.Contains(q.Ops, op) && q.Per != emulator.PerResource {
				return q, true
			}
		}
		return emulator.Quota{}, false
	}
	out := map[string]Share{}
	capped := func(op string, rate float64, from string) {
		if q, ok := quota(op); ok && q.Rate < rate {
			out[op] = Share{q.Rate, fmt.Sprintf("%s capped at AWS's quota %g/s", from, q.Rate)}
			return
		}
		out[op] = Share{rate, from}
	}
	rate := strconv.FormatFloat(spec.Rate, 'f', -1, 64)
	for _, op := range s3Ops {
		capped(op, spec.Rate, config.Rate+" "+rate+"/s")
	}
	for _, op := range ssmReadOps {
		capped(op, enforce.DefaultSSMRate, fmt.Sprintf("%s %g/s (its default)", config.SSMRate, enforce.DefaultSSMRate))
	}
	if spec.SecurityHub {
		hub := cmp0(spec.SecurityHubRate, findings.DefaultImportRate)
		capped("BatchImportFindings", hub, config.SecurityHubRate+" "+strconv.FormatFloat(hub, 'f', -1, 64)+"/s")
		capped("GetFindings", findings.DefaultReadRate, fmt.Sprintf("findings.DefaultReadRate %g/s of the account's %g/s (not a setting)",
			findings.DefaultReadRate, findings.AccountReadRate))
	}
	// What corsguard sets no account-wide rate for: AWS's quota.
	for _, q := range qs {
		if q.Per == emulator.PerResource {
			continue
		}
		for _, op := range q.Ops {
			if _, ok := out[op]; !ok && op != emulator.AllOps {
				burst := ""
				if q.Burst > int(q.Rate) {
					burst = fmt.Sprintf(" burst %d", q.Burst)
				}
				out[op] = Share{q.Rate, fmt.Sprintf("AWS's quota %g/s%s (no rate of corsguard's)", q.Rate, burst)}
			}
		}
	}
	return out
}

func cmp0(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}

// Busiest is the operation whose calls (answered, not throttled) take longest at corsguard's
// rate for it, the mappings' polling left out (pollOp): the one that sets the bound.
func (r QueueSweepResult) Busiest() (op string, calls int, s Share) {
	best := -1.0
	for _, o := range slices.Sorted(maps.Keys(r.Calls)) {
		sh, ok := r.Shares[o]
		if !ok || sh.Rate <= 0 || math.IsInf(sh.Rate, 1) || o == pollOp {
			continue
		}
		n := r.Answered(o) // a throttled answer served nothing
		if slices.Contains(sqsOps, o) && r.WorkQueueCalls != nil {
			n = r.WorkQueueCalls[o] - r.ThrottledOps[o] // only the FIFO work queue is limited
		}
		if t := float64(n) / sh.Rate; t > best {
			best, op, calls, s = t, o, n, sh
		}
	}
	return op, calls, s
}

// pollOp is the event source mappings' polling: how often emulator/esm receives, empty
// receives included, is the player's way (it does not long-poll as Lambda's pollers do), not
// corsguard's, so the bound leaves it out. The mappings' deletes (one per batch, as Lambda's)
// stay in.
const pollOp = "ReceiveMessage"

// Bound is the largest, over the operations the sweep made, of their answered calls ÷ the rate
// corsguard is configured to use for them (Shares), plus one latency: no sweep that keeps to
// its shares can be faster.
func (r QueueSweepResult) Bound() time.Duration {
	_, calls, s := r.Busiest()
	if s.Rate <= 0 {
		return r.Spec.Latency
	}
	return time.Duration(float64(calls)/s.Rate*float64(time.Second)) + r.Spec.Latency
}

// SSMReads counts the answered calls that share Parameter Store's throughput.
func (r QueueSweepResult) SSMReads() int { return answered(r.Calls, r.ThrottledOps, ssmReadOps...) }

// Answered is op's calls that were answered, not throttled.
func (r QueueSweepResult) Answered(op string) int { return answered(r.Calls, r.ThrottledOps, op) }

// SSMMinimum is the least number of SSM reads a sweep needs (issues 23 and 24): one by the
// router (the baseline; no pattern names a profile and no bucket carries the profile tag, so
// nothing is read under the profiles path), one per worker instance that ran, for the one
// baseline version, and the reads again that keep the stamps fresh (StampRereads:
// enforce.StampFreshness).
func (r QueueSweepResult) SSMMinimum() int { return 1 + r.WorkerInstances + r.StampRereads }

// MinimumImports is ⌈findings ÷ 100⌉: BatchImportFindings takes up to 100 findings a call.
func (r QueueSweepResult) MinimumImports() int {
	return (r.Findings + findings.MaxBatch - 1) / findings.MaxBatch
}

// sqsOps are the emulator's names of the SQS operations.
var sqsOps = []string{"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
	"ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "GetQueueAttributes"}

// SQSCalls counts the SQS calls.
func (r QueueSweepResult) SQSCalls() int {
	n := 0
	for _, op := range sqsOps {
		n += r.Calls[op]
	}
	return n
}

// TargetCalls counts the S3 calls.
func (r QueueSweepResult) TargetCalls() int {
	n := 0
	for _, op := range s3Ops {
		n += r.Calls[op]
	}
	return n
}

// MinimumWithTags is the least number of S3 calls: the listings, a policy read per bucket, a
// write per drifted one, the router's one GetResources filtered by the profile tag's key
// (whether any bucket carries it: none does, so it lists no profile), and the tags of each
// worker batch's buckets in one GetResources by ARN list (docs/profiles.md): a FIFO event
// source mapping hands at most 10 records to a batch, so one call per 10 buckets.
func (r QueueSweepResult) MinimumWithTags() int {
	return (r.Spec.N+S3PageSize-1)/S3PageSize + r.Spec.N + r.Drifted + 1 + (r.Spec.N+9)/10
}

// The queues' names: the FIFO work queue, and the standard findings queue the workers hand
// their findings to with Security Hub on.
const (
	benchQueue    = "corsguard-work.fifo"
	findingsQueue = "corsguard-findings"
)

// RunQueueSweep populates a fresh emulator with spec.N buckets and sweeps them through the work
// queue, in this process.
func RunQueueSweep(ctx context.Context, spec QueueSweepSpec) (QueueSweepResult, error) {
	a, fleet, err := seedQueueFleet(ctx, spec.N)
	if err != nil {
		return QueueSweepResult{}, err
	}
	defer a.Close()
	a.SetLatency(emulator.AnyOp, spec.Latency)
	if spec.Throttle > 0 {
		for _, op := range Operations() {
			a.SetThrottle(op, spec.Throttle)
		}
	}
	return a.queueSweep(ctx, spec, fleet, len(fleet.Drifted), "bench-sweep")
}

// seedQueueFleet starts an account holding the baseline and n buckets, 3 in 10 drifted
// (drifted), seeded straight into the emulator: creating 100,000 buckets through the API would
// take longer than the sweep.
func seedQueueFleet(ctx context.Context, n int) (*Account, Fleet, error) {
	a, err := startWithBaseline(ctx, emulator.WithCreatingDuration(0))
	if err != nil {
		return nil, Fleet{}, err
	}
	var f Fleet
	for i := range n {
		name := fmt.Sprintf("bench-%06d", i)
		isDrifted, p := drifted(i)
		if isDrifted {
			f.Drifted = append(f.Drifted, name)
		} else {
			f.Compliant = append(f.Compliant, name)
		}
		if err := a.SeedBucket(name, "", p, nil); err != nil {
			_ = a.Close()
			return nil, Fleet{}, err
		}
	}
	return a, f, nil
}

// queueSweep counts one scheduled sweep (its EventBridge event's id eventID; each sweep needs
// its own, as EventBridge gives) of the buckets of fleet through the work queue, by function
// instances started for it (a cold start: nothing of an earlier sweep is in memory); nDrifted
// is how many of them drifted since the last sweep. The calls are counted from zero.
func (a *Account) queueSweep(ctx context.Context, spec QueueSweepSpec, fleet Fleet, nDrifted int, eventID string) (QueueSweepResult, error) {
	a.ResetCalls()
	env := map[string]string{
		config.BaselineParameter: BaselineParam, config.Targets: "s3",
		config.Rate: strconv.FormatFloat(spec.Rate, 'f', -1, 64),
	}
	if spec.SecurityHub {
		env[config.SecurityHub] = "true"
		if spec.SecurityHubRate > 0 {
			env[config.SecurityHubRate] = strconv.FormatFloat(spec.SecurityHubRate, 'f', -1, 64)
		}
	}
	d, err := drainSweep(ctx, a, env, spec.Concurrency, spec.Limit, sweepOnce(a, eventID))
	if err != nil {
		return QueueSweepResult{}, err
	}
	res := QueueSweepResult{Spec: spec, TimedOut: d.timedOut, Drifted: nDrifted, Wall: d.wall, FunctionTime: d.functionTime,
		Invocations: d.invocations, Records: d.records, LogBytes: d.logBytes, Reported: d.reported,
		WorkerInstances: d.workerInstances, StampRereads: d.stampRereads, Quotas: a.Quotas(), RouterTime: d.routerTime, PublisherTime: d.publisherTime}
	res.Calls, res.ThrottledOps, res.Throttled = a.Calls(), a.Emulator.Throttled(), a.Throttled()
	res.Ingested = a.FindingsIngested()
	res.WorkQueueCalls = map[string]int{}
	for _, op := range sqsOps {
		res.WorkQueueCalls[op] = a.ResourceCalls(op, benchQueue)
	}
	res.PublisherInvocations, res.FindingsMessages = d.publisherInvocations, d.findingsMessages
	res.EmptyReceives, res.FindingsEmptyReceives = d.emptyReceives, d.findingsEmptyReceives
	res.Shares = shares(spec, res.Quotas)
	names := append(slices.Clone(fleet.Compliant), fleet.Drifted...)
	res.Converged = converged(a, names)
	if spec.SecurityHub {
		res.Findings, res.FindingsPresent = passedFindings(a, names)
	}
	return res, nil
}

// converged counts the buckets named that hold the baseline.
func converged(a *Account, buckets []string) int {
	n := 0
	want := baseline()
	for _, name := range buckets {
		if b, ok := a.Bucket(name); ok {
			if p, err := policy.Parse(b.CorsPolicy); err == nil && policy.Equal(p, want) {
				n++
			}
		}
	}
	return n
}

// answered counts the calls of ops that were answered, not throttled.
func answered(calls, throttled map[string]int, ops ...string) int {
	n := 0
	for _, op := range ops {
		n += calls[op] - throttled[op]
	}
	return n
}

// passedFindings returns how many findings the account's Security Hub holds, and how many of
// the buckets named have an active finding whose compliance status is PASSED.
func passedFindings(a *Account, buckets []string) (total, passed int) {
	want := map[string]bool{}
	for _, b := range buckets {
		want["arn:aws:s3:::"+b] = true
	}
	seen := map[string]bool{}
	all := a.Findings()
	for _, f := range all {
		if f["RecordState"] != findings.Active {
			continue
		}
		c, _ := f["Compliance"].(map[string]any)
		rs, _ := f["Resources"].([]any)
		if c == nil || c["Status"] != "PASSED" || len(rs) == 0 {
			continue
		}
		r, _ := rs[0].(map[string]any)
		if id, _ := r["Id"].(string); want[id] && !seen[id] {
			seen[id] = true
		}
	}
	return len(all), len(seen)
}

// sweepOnce routes one scheduled sweep, its event's id eventID: a single router invocation
// that lists and enqueues.
func sweepOnce(a *Account, eventID string) routeFunc {
	return func(ctx context.Context, invoke invokeFunc) error {
		event := fmt.Sprintf(`{"version":"0","id":%q,"source":"aws.events","detail-type":"Scheduled Event","account":%q,"region":%q,"detail":{}}`,
			eventID, a.Account(), Region)
		out, err := invoke(ctx, []byte(event))
		if err == nil && (out.Queue == nil || out.Queue.Enqueued == 0) {
			err = fmt.Errorf("the router enqueued nothing: %s", out.Note)
		}
		return err
	}
}

// drained is what drainSweep measured.
type drained struct {
	// functionTime is every invocation's time; routerTime and publisherTime the router's and
	// the publishers' parts of it.
	wall, functionTime, routerTime, publisherTime time.Duration
	invocations, records                          int
	logBytes                                      int64
	// reported counts the throttling error codes in what the function instances wrote (their
	// reports' JSON lines and EMF): the throttles that reached a report.
	reported int
	// workerInstances counts the worker instances that ran a batch; routerInstances the
	// router instances the routing needed.
	workerInstances, routerInstances int
	// stampRereads sums the invocations' controller.QueueResult.StampRereads.
	stampRereads int
	// timedOut says that the run was stopped at its limit.
	timedOut bool
	// publisherInvocations and findingsMessages are the findings queue's mapping's
	// invocations and records (Security Hub on).
	publisherInvocations, findingsMessages int
	// emptyReceives and findingsEmptyReceives are the mappings' empty ReceiveMessage calls.
	emptyReceives, findingsEmptyReceives int
}

// invokeFunc invokes a router instance with one EventBridge event, as Lambda does: a free
// instance if there is one, a new one (a cold start) if all are busy.
type invokeFunc func(ctx context.Context, event []byte) (*handler.Result, error)

// routeFunc drives a run's routing: it invokes routers through invoke and returns when it has
// routed everything.
type routeFunc func(ctx context.Context, invoke invokeFunc) error

// drainSweep runs routing (route) and the workers of the work queue of a (seeded with
// benchQueue here) at once: route invokes router instances while emulator/esm hands batches of
// ten to concurrency worker instances, each its own engine, clients and rate limiters, as
// separate Lambda execution environments have. env is the function's settings besides the
// queue's and the account's. It returns once routing is done and the queue is empty, or once
// limit (when above 0) has passed: then what was measured so far, timedOut set.
func drainSweep(ctx context.Context, a *Account, env map[string]string, concurrency int, limit time.Duration, route routeFunc) (drained, error) {
	env, hub, err := a.drainEnv(env, concurrency)
	if err != nil {
		return drained{}, err
	}
	logs := &byteCounter{}
	// One function instance: its engine, its clients, its handler (a cold start's worth), as
	// cmd/enforcer wires them.
	d := &drain{instance: func() (*handler.Handler, error) { return a.function(env, logs) },
		arn: "arn:aws:lambda:" + Region + ":" + a.Account() + ":function:corsguard"}
	free, err := d.workers(concurrency)
	if err != nil {
		return drained{}, err
	}
	// Routing goes on while the workers drain, as Lambda's mapping polls while the router
	// still sends.
	start := time.Now()
	// The limit cancels rather than sets a deadline: the invocations keep their own deadlines,
	// which the engine plans its margin by.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if limit > 0 {
		defer time.AfterFunc(limit, stop).Stop()
	}
	routed := make(chan error, 1)
	go func() { routed <- route(runCtx, d.invoke) }()
	var routerErr error
	done := false
	m := &esm.Mapping{
		Client: sqs.NewFromConfig(a.config()), QueueURL: env[config.QueueURL], QueueARN: a.QueueARN(benchQueue), BatchSize: 10,
		MaximumConcurrency: concurrency, ReportBatchItemFailures: true, Function: d.worker(free),
		// Idle before routing is done: more messages are coming.
		Idle: func(ctx context.Context) bool {
			if done {
				return false
			}
			select {
			case routerErr = <-routed:
				done = true
			case <-time.After(5 * time.Millisecond):
			case <-ctx.Done():
				return false
			}
			return true
		},
	}
	workDone := make(chan struct{})
	published, pubStats, err := d.publishers(runCtx, a, env, hub, workDone)
	if err != nil {
		return drained{}, err
	}
	stats, err := m.Run(runCtx)
	close(workDone)
	if perr := <-published; err == nil {
		err = perr
	}
	if err != nil {
		return drained{}, err
	}
	if !done {
		routerErr = <-routed // stopped by the limit: routing stops with it
	}
	res := d.res
	res.timedOut = runCtx.Err() != nil && ctx.Err() == nil
	if routerErr != nil && !res.timedOut {
		return drained{}, fmt.Errorf("router: %w", routerErr)
	}
	res.wall = time.Since(start)
	res.invocations += stats.Invocations + pubStats.Invocations
	res.records = stats.Records
	res.publisherInvocations, res.findingsMessages = pubStats.Invocations, pubStats.Records
	res.emptyReceives, res.findingsEmptyReceives = stats.EmptyReceives, pubStats.EmptyReceives
	res.logBytes, res.reported = logs.n.Load(), int(logs.throttles.Load())
	for range concurrency {
		if w := <-free; w.used {
			res.workerInstances++
		}
	}
	return res, nil
}

// drainEnv is the function's environment for drainSweep: env with the work queue (queueEnv),
// whole batches at once, and, with Security Hub on (hub), the template's findings queue: a
// standard queue whose mapping hands the publisher 100 findings messages at a time.
func (a *Account) drainEnv(env map[string]string, concurrency int) (_ map[string]string, hub bool, err error) {
	if env, err = a.queueEnv(env, concurrency); err != nil {
		return nil, false, err
	}
	env[config.Workers] = "10"
	hub = strings.EqualFold(env[config.SecurityHub], "true")
	if hub {
		if err := a.SeedQueue(findingsQueue, map[string]string{"VisibilityTimeout": "330"}); err != nil {
			return nil, false, err
		}
		env[config.FindingsQueueURL] = a.QueueURL(a.URL, findingsQueue)
	}
	return env, hub, nil
}

// drain is what one drainSweep's instances share: how to start one (a cold start), the
// function's ARN, the router instances at rest, and what the run measures so far.
type drain struct {
	instance func() (*handler.Handler, error)
	arn      string
	mu       sync.Mutex
	routers  []*handler.Handler
	res      drained
}

// drainWorker is a worker instance, and whether it ran a batch.
type drainWorker struct {
	h    *handler.Handler
	used bool
}

// workers starts the n worker instances, each its own execution environment.
func (d *drain) workers(n int) (chan *drainWorker, error) {
	free := make(chan *drainWorker, n)
	for range n {
		w, err := d.instance()
		if err != nil {
			return nil, err
		}
		free <- &drainWorker{h: w}
	}
	return free, nil
}

// worker is the work queue mapping's function: a batch on a free worker instance.
func (d *drain) worker(free chan *drainWorker) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		w := <-free
		defer func() { free <- w }()
		w.used = true
		return d.work(ctx, w.h, "bench-worker", ev), nil
	}
}

// invoke invokes a router instance with one EventBridge event, as Lambda does: a free instance
// if there is one, a new one (a cold start) if all are busy.
func (d *drain) invoke(ctx context.Context, event []byte) (*handler.Result, error) {
	d.mu.Lock()
	var r *handler.Handler
	if n := len(d.routers); n > 0 {
		r, d.routers = d.routers[n-1], d.routers[:n-1]
	}
	d.mu.Unlock()
	if r == nil {
		var err error
		if r, err = d.instance(); err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.res.routerInstances++
		d.mu.Unlock()
	}
	defer func() {
		d.mu.Lock()
		d.routers = append(d.routers, r)
		d.mu.Unlock()
	}()
	rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	// The function acts only on events of its own account and Region, which Lambda's
	// invocation context gives it.
	rctx = lambdacontext.NewContext(rctx, &lambdacontext.LambdaContext{AwsRequestID: "bench-router", InvokedFunctionArn: d.arn})
	began := time.Now()
	out, err := r.Invoke(rctx, event)
	d.mu.Lock()
	d.res.functionTime += time.Since(began)
	d.res.routerTime += time.Since(began)
	d.res.invocations++
	if out != nil && out.Queue != nil {
		d.res.stampRereads += out.Queue.StampRereads
	}
	d.mu.Unlock()
	return out, err
}

// publisherID is the request id of the publishers' invocations.
const publisherID = "bench-publisher"

// work runs one SQS batch (of either queue) on the instance h as Lambda's mapping does, and
// counts its time.
func (d *drain) work(ctx context.Context, h *handler.Handler, id string, ev events.SQSEvent) events.SQSEventResponse {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id, InvokedFunctionArn: d.arn})
	began := time.Now()
	resp, res := h.Work(ctx, ev)
	d.mu.Lock()
	d.res.functionTime += time.Since(began)
	if id == publisherID {
		d.res.publisherTime += time.Since(began)
	}
	if res != nil && res.Queue != nil {
		d.res.stampRereads += res.Queue.StampRereads
	}
	d.mu.Unlock()
	return resp
}

// publishers runs the findings queue's mapping (with Security Hub on), polling until workDone
// closes and the queue is empty; published says when it is done, and stats what it did then.
func (d *drain) publishers(ctx context.Context, a *Account, env map[string]string, hub bool, workDone <-chan struct{}) (<-chan error, *esm.Stats, error) {
	published := make(chan error, 1)
	stats := &esm.Stats{}
	if !hub {
		published <- nil
		return published, stats, nil
	}
	pubs := make(chan *handler.Handler, config.PublisherConcurrency)
	for range config.PublisherConcurrency {
		p, err := d.instance()
		if err != nil {
			return nil, nil, err
		}
		pubs <- p
	}
	fm := &esm.Mapping{
		Client: sqs.NewFromConfig(a.config()), QueueURL: env[config.FindingsQueueURL], QueueARN: a.QueueARN(findingsQueue),
		BatchSize: config.FindingsBatch, MaximumBatchingWindow: config.FindingsWindow, MaximumConcurrency: config.PublisherConcurrency,
		ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			p := <-pubs
			defer func() { pubs <- p }()
			return d.work(ctx, p, publisherID, ev), nil
		},
		Idle: func(ctx context.Context) bool {
			select {
			case <-workDone:
				return false
			case <-time.After(5 * time.Millisecond):
			case <-ctx.Done():
				return false
			}
			return true
		},
	}
	go func() {
		st, err := fm.Run(ctx)
		*stats = st
		published <- err
	}()
	return published, stats, nil
}

// byteCounter counts the bytes written to it, from any goroutine, and keeps none; it also
// counts the throttling error codes among them (each log line or EMF document is one write).
type byteCounter struct{ n, throttles atomic.Int64 }

// throttleCodes are the services' throttling error codes as a report would name them.
var throttleCodes = [][]byte{[]byte("ThrottlingException"), []byte("TooManyRequestsException"), []byte("SlowDown"),
	[]byte("RequestThrottled"), []byte("LimitExceededException"), []byte("Rate exceeded")}

func (c *byteCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	for _, code := range throttleCodes {
		c.throttles.Add(int64(bytes.Count(p, code)))
	}
	return len(p), nil
}
