package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// QueueSweepSpec is one sweep of S3 buckets through the work queue: the router lists and
// enqueues, Concurrency workers (each with its own engine and rate limiters, as separate Lambda
// execution environments have) drain the queue through emulator/esm.
type QueueSweepSpec struct {
	N           int
	Rate        float64 // account-wide, per operation (CORSGUARD_RATE)
	Concurrency int     // MaximumConcurrency
	Throttle    float64 // the emulator's rate limit per operation; 0 means none
	Latency     time.Duration
}

// QueueSweepResult is what a queue sweep measured.
type QueueSweepResult struct {
	Spec        QueueSweepSpec
	Wall        time.Duration  // from the router's invocation to an empty queue
	Drifted     int            // drifted buckets
	Converged   int            // buckets holding the baseline at the end
	Calls       map[string]int // the emulator's count per operation, SQS's included
	Throttled   int
	Invocations int // router and worker invocations
	Records     int
	// FunctionTime is the time the router's and the workers' invocations took, summed.
	FunctionTime time.Duration
	// LogBytes is what the function instances wrote to their logs (JSON lines and EMF
	// documents), the bytes CloudWatch Logs would ingest besides Lambda's own lines.
	LogBytes int64
}

// GBSeconds is the function time at the template's 256 MB.
func (r QueueSweepResult) GBSeconds() float64 { return r.FunctionTime.Seconds() * 0.25 }

// Bound is N at the account-wide rate, plus one latency.
func (r QueueSweepResult) Bound() time.Duration {
	return time.Duration(float64(r.Spec.N)/r.Spec.Rate*float64(time.Second)) + r.Spec.Latency
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
// write per drifted one, and the tags of each worker batch's buckets in one GetResources by
// ARN list (docs/profiles.md): a FIFO event source mapping hands at most 10 records to a
// batch, so one call per 10 buckets.
func (r QueueSweepResult) MinimumWithTags() int {
	return (r.Spec.N+S3PageSize-1)/S3PageSize + r.Spec.N + r.Drifted + (r.Spec.N+9)/10
}

const benchQueue = "corsguard-work.fifo"

// RunQueueSweep populates a fresh emulator with spec.N buckets and sweeps them through the work
// queue, in this process.
func RunQueueSweep(ctx context.Context, spec QueueSweepSpec) (QueueSweepResult, error) {
	a, err := StartAccount(emulator.WithCreatingDuration(0))
	if err != nil {
		return QueueSweepResult{}, err
	}
	defer a.Close()
	// Seeded straight into the emulator: creating 100,000 buckets through the API would take
	// longer than the sweep.
	_, params := a.Clients()
	if err := putBaseline(ctx, params); err != nil {
		return QueueSweepResult{}, err
	}
	var names []string
	nDrifted := 0
	for i := range spec.N {
		name := fmt.Sprintf("bench-%06d", i)
		isDrifted, p := drifted(i)
		if isDrifted {
			nDrifted++
		}
		if err := a.SeedBucket(name, "", p, nil); err != nil {
			return QueueSweepResult{}, err
		}
		names = append(names, name)
	}
	a.SetLatency(emulator.AnyOp, spec.Latency)
	for _, op := range Operations() {
		a.SetThrottle(op, spec.Throttle)
	}
	a.ResetCalls()
	env := map[string]string{
		config.BaselineParameter: BaselineParam, config.Targets: "s3",
		config.Rate: strconv.FormatFloat(spec.Rate, 'f', -1, 64),
	}
	d, err := drainSweep(ctx, a, env, spec.Concurrency)
	if err != nil {
		return QueueSweepResult{}, err
	}
	res := QueueSweepResult{Spec: spec, Drifted: nDrifted, Wall: d.wall, FunctionTime: d.functionTime,
		Invocations: d.invocations, Records: d.records, LogBytes: d.logBytes}
	res.Calls, res.Throttled = a.Calls(), a.Throttled()
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

// drained is what drainSweep measured.
type drained struct {
	wall, functionTime   time.Duration
	invocations, records int
	logBytes             int64
	// reported counts the throttling error codes in what the function instances wrote (their
	// reports' JSON lines and EMF): the throttles that reached a report.
	reported int
}

// drainSweep runs one scheduled sweep through the work queue of a (seeded with benchQueue
// here): a router instance lists and enqueues while emulator/esm hands batches of ten to
// concurrency worker instances, each its own engine, clients and rate limiters, as separate
// Lambda execution environments have. env is the function's settings besides the queue's
// and the account's.
func drainSweep(ctx context.Context, a *Account, env map[string]string, concurrency int) (drained, error) {
	if err := a.SeedQueue(benchQueue, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330"}); err != nil {
		return drained{}, err
	}
	url := a.QueueURL(a.URL, benchQueue)
	env = maps.Clone(env)
	maps.Copy(env, map[string]string{
		config.MaxConcurrency: strconv.Itoa(concurrency), config.QueueURL: url,
		config.Workers: "10", // a whole batch at once
		"AWS_REGION":   Region, "AWS_ENDPOINT_URL": a.URL, "AWS_ACCESS_KEY_ID": AccessKey, "AWS_SECRET_ACCESS_KEY": SecretKey,
	})
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		return drained{}, err
	}
	logs := &byteCounter{}
	// One function instance: its engine, its clients, its handler (a cold start's worth).
	instance := func() (*handler.Handler, error) {
		awsCfg, err := awsclient.FromEnvironment(getenv)
		if err != nil {
			return nil, err
		}
		awsCfg.HTTPClient = emulator.HTTPClient()
		engine, err := enforce.New(cfg.Invocation(), ssm.NewFromConfig(awsCfg), awsclient.Stores(awsCfg, cfg.Engine.Targets)...)
		if err != nil {
			return nil, err
		}
		return handler.New(cfg.Engine, engine, handler.WithQueue(workqueue.New(sqs.NewFromConfig(awsCfg), url), engine), handler.WithRegion(cfg.Region),
			handler.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))), handler.WithMetrics(logs)), nil
	}
	router, err := instance()
	if err != nil {
		return drained{}, err
	}
	free := make(chan *handler.Handler, concurrency)
	for range concurrency {
		w, err := instance()
		if err != nil {
			return drained{}, err
		}
		free <- w
	}
	var res drained
	// The router lists and enqueues while the workers drain, as Lambda's mapping polls while
	// the router still sends.
	start := time.Now()
	var mu sync.Mutex
	routed := make(chan error, 1)
	go func() {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		// The function acts only on events of its own account and Region, which Lambda's
		// invocation context gives it.
		rctx = lambdacontext.NewContext(rctx, &lambdacontext.LambdaContext{AwsRequestID: "bench-router",
			InvokedFunctionArn: "arn:aws:lambda:" + Region + ":" + a.Account() + ":function:corsguard"})
		event := fmt.Sprintf(`{"version":"0","id":"bench-sweep","source":"aws.events","detail-type":"Scheduled Event","account":%q,"region":%q,"detail":{}}`,
			a.Account(), Region)
		out, err := router.Invoke(rctx, []byte(event))
		if err == nil && (out.Queue == nil || out.Queue.Enqueued == 0) {
			err = fmt.Errorf("the router enqueued nothing: %s", out.Note)
		}
		mu.Lock()
		res.functionTime += time.Since(start)
		mu.Unlock()
		routed <- err
	}()
	var routerErr error
	done := false
	m := &esm.Mapping{
		Client: sqs.NewFromConfig(a.config()), QueueURL: url, QueueARN: a.QueueARN(benchQueue), BatchSize: 10,
		MaximumConcurrency: concurrency, ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			w := <-free
			defer func() { free <- w }()
			ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			began := time.Now()
			resp, _ := w.Work(ctx, ev)
			mu.Lock()
			res.functionTime += time.Since(began)
			mu.Unlock()
			return resp, nil
		},
		// Idle before the router is done: more messages are coming.
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
	stats, err := m.Run(ctx)
	if err != nil {
		return drained{}, err
	}
	if routerErr != nil {
		return drained{}, fmt.Errorf("router: %w", routerErr)
	}
	res.wall = time.Since(start)
	res.invocations, res.records = 1+stats.Invocations, stats.Records
	res.logBytes, res.reported = logs.n.Load(), int(logs.throttles.Load())
	return res, nil
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
