package e2e

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

// The work queue end to end: the real bootstrap in both roles under aws-lambda-rie, the
// emulator's SQS FIFO queue with its dead-letter queue as template.yaml makes them, and
// emulator/esm playing Lambda's event source mapping (batches of at most ten, delete on
// success, leave the batch item failures for redelivery).

const (
	workQueue = "corsguard-work.fifo"
	workDLQ   = "corsguard-work-dlq.fifo"
)

// queued is an account with the work queue and functions that use it.
type queued struct {
	*account
	queueURL string
	sqs      *sqs.Client
	router   *function   // takes EventBridge events and schedules
	workers  []*function // take the queue's batches, one invocation each at a time
}

// newQueued makes the queues as the template does (FIFO; the dead-letter queue after 150
// receives) and starts the router and workers cold, with env added to fastEnv and, for the
// router only, routerEnv on top.
// onPath starts the function with env added to the fast environment: in-process, or (queue) as
// the work queue's router with one worker. drain then plays the worker until the queue is empty
// and checks that nothing is left in the queue or its dead-letter queue; in-process it does
// nothing. The event tests run every case on both paths through it.
func onPath(t *testing.T, a *account, queue bool, env map[string]string) (fn *function, drain func(*testing.T)) {
	t.Helper()
	if !queue {
		e := fastEnv(a)
		maps.Copy(e, env)
		return startFunction(t, e), func(*testing.T) {}
	}
	q := newQueued(t, a, 1, env, nil)
	return q.router, func(t *testing.T) {
		t.Helper()
		m, _ := q.mapping(nil)
		if _, err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
			t.Errorf("%d messages left in the queues", d)
		}
	}
}

func newQueued(t *testing.T, a *account, workers int, env, routerEnv map[string]string) *queued {
	t.Helper()
	if err := a.SeedQueue(workDLQ, map[string]string{"FifoQueue": "true"}); err != nil {
		t.Fatal(err)
	}
	if err := a.SeedQueue(workQueue, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330",
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"150"}`, a.QueueARN(workDLQ))}); err != nil {
		t.Fatal(err)
	}
	q := &queued{account: a, queueURL: a.QueueURL(a.url, workQueue), sqs: sqs.NewFromConfig(a.aws(t))}
	e := fastEnv(a)
	e["CORSGUARD_QUEUE_URL"] = q.queueURL
	e["CORSGUARD_MAX_CONCURRENCY"] = fmt.Sprint(max(workers, 2))
	for k, v := range env {
		e[k] = v
	}
	for range workers {
		q.workers = append(q.workers, startFunction(t, e))
	}
	for k, v := range routerEnv {
		e[k] = v
	}
	q.router = startFunction(t, e)
	return q
}

// mapping is the event source mapping of the work queue onto the workers: each worker
// process takes one batch at a time, as one Lambda execution environment does. idle, when set,
// is called when no message is deliverable (see esm.Mapping.Idle).
func (q *queued) mapping(idle func(context.Context) bool) (*esm.Mapping, *invocations) {
	free := make(chan *function, len(q.workers))
	for _, w := range q.workers {
		free <- w
	}
	inv := &invocations{}
	return &esm.Mapping{
		Client: q.sqs, QueueURL: q.queueURL, QueueARN: q.QueueARN(workQueue), Region: region,
		BatchSize: 10, MaximumConcurrency: len(q.workers), ReportBatchItemFailures: true,
		Idle: idle,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			w := <-free
			defer func() { free <- w }()
			start := time.Now()
			resp, err := esm.HTTPFunction(nil, w.invokeURL)(ctx, ev)
			inv.add(len(ev.Records), time.Since(start))
			return resp, err
		},
	}, inv
}

// invocations counts the workers' invocations and the time they took.
type invocations struct {
	mu      sync.Mutex
	n       int
	records int
	took    time.Duration
}

func (i *invocations) add(records int, d time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.n++
	i.records += records
	i.took += d
}

func (q *queued) depth(t *testing.T, name string) int {
	t.Helper()
	v, inFlight, delayed, ok := q.QueueDepth(name)
	if !ok {
		t.Fatalf("no queue %s", name)
	}
	return v + inFlight + delayed
}

func scheduled(id string) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":%q,"detail-type":"Scheduled Event","source":"aws.events","account":"012345678912",
		"time":"2025-03-14T06:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:012345678912:rule/corsguard-sweep"],"detail":{}}`, id)
}

func (a *account) bucketPolicy(t *testing.T, name string) policy.Policy {
	t.Helper()
	b, ok := a.Bucket(name)
	if !ok {
		t.Fatalf("bucket %s does not exist", name)
	}
	return corscases.Emulated(t, b.CorsPolicy)
}

// A sweep of 2,500 buckets (three ListBuckets pages) at 200 requests/s per operation per
// worker takes more than 6 s of GetBucketCors alone; the function's timeout is 3 s, so no one
// invocation could read them all. Through the queue every bucket converges, the listing carried
// on by a continuation message and never started again from the top.
func TestASweepLargerThanOneInvocationConvergesThroughTheQueue(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	const n = 2500
	for i := range n {
		cors := baseline
		if i%5 == 0 {
			cors = drifted
		}
		if err := a.SeedBucket(fmt.Sprintf("media-%04d", i), "", cors, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := newQueued(t, a, 2, map[string]string{
		"CORSGUARD_TARGETS": "s3", "CORSGUARD_RATE": "400", // 200/s per worker
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "3", "CORSGUARD_DEADLINE_MARGIN": "1s",
	}, map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "6"})

	// A slow listing (2 s a page, 5 s of budget): the router lists one page, then hands the
	// listing on rather than start a second page it may not finish.
	a.SetLatency("ListBuckets", 2*time.Second)
	inv := q.router.invoke(t, scheduled("sweep-e2e-1"))
	a.SetLatency("ListBuckets", 0)
	if inv.failed() || inv.Result.Queue == nil {
		t.Fatalf("router: %s", inv)
	}
	if got := inv.Result.Queue; got.Enqueued != 1000 || len(got.Continued) != 1 || got.Continued[0] != policy.S3 {
		t.Errorf("router: enqueued %d, continued %v; want the first page of 1000 and the listing handed on", got.Enqueued, got.Continued)
	}
	if got := a.Calls()["GetBucketCors"]; got != 0 {
		t.Errorf("the router read %d bucket policies; the workers do", got)
	}

	m, invs := q.mapping(nil)
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.FunctionErrors != 0 {
		t.Errorf("%d function errors: a worker failed a whole batch", stats.FunctionErrors)
	}
	for i := range n {
		name := fmt.Sprintf("media-%04d", i)
		if got := a.bucketPolicy(t, name); !policy.Equal(got, baseline) {
			t.Fatalf("%s was not converged: %v (the sweep starved it)", name, got)
		}
	}
	// Each page is listed once: the listing was carried on, never started again from the top.
	if got := a.Calls()["ListBuckets"]; got != 3 {
		t.Errorf("%d ListBuckets calls, want 3 (one per page)", got)
	}
	if got := a.Calls()["GetBucketCors"]; got != n {
		t.Errorf("%d GetBucketCors calls, want %d (each bucket read once)", got, n)
	}
	if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
		t.Errorf("%d messages left in the queues", d)
	}
	t.Logf("%d worker invocations for %d records (%d receives); %d ListBuckets", invs.n, invs.records, stats.Receives, a.Calls()["ListBuckets"])
}

// A container CREATING for four (emulated) minutes: each worker invocation finds it busy and
// gives its message back with a delay, costing no function time while it waits; once it is
// ACTIVE it gets the baseline.
func TestACreatingContainerWaitsOnTheQueueNotInTheFunction(t *testing.T) {
	t.Parallel()
	clock := clock.NewManual(time.Now())
	const creatingFor = 4 * time.Minute
	a := newAccount(t, string(baseline.JSON()), emulator.WithClock(clock), emulator.WithCreatingDuration(creatingFor))
	q := newQueued(t, a, 2, nil, nil)
	if _, err := a.mediastore(t).CreateContainer(context.Background(), &mediastore.CreateContainerInput{ContainerName: aws.String("live-news")}); err != nil {
		t.Fatal(err)
	}
	if inv := q.router.invoke(t, sample(t, "mediastore-container-created.json")); inv.failed() || inv.Result.Queue.Enqueued != 1 {
		t.Fatalf("router: %s", inv)
	}

	// When nothing is deliverable, time passes on the emulator's clock: the message's delay
	// runs out, and the container's creation goes on.
	var waited time.Duration
	m, invs := q.mapping(func(context.Context) bool {
		if c, ok := a.Container("live-news"); ok && c.Status == "ACTIVE" && policy.Equal(corscases.Emulated(t, c.CorsPolicy), baseline) {
			return false
		}
		if waited > 2*creatingFor {
			t.Error("the container never converged")
			return false
		}
		clock.Advance(5 * time.Second)
		waited += 5 * time.Second
		return true
	})
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy(t, a, "live-news", baseline)
	if stats.Failed < 2 {
		t.Errorf("%d records given back; the container was busy for %v of emulated time", stats.Failed, creatingFor)
	}
	if stats.FunctionErrors != 0 {
		t.Errorf("%d function errors", stats.FunctionErrors)
	}
	if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
		t.Errorf("%d messages left in the queues", d)
	}
	// No invocation waited for the container: each one described it once and returned.
	if got, want := a.Calls()["DescribeContainer"], invs.n; got != want {
		t.Errorf("%d DescribeContainer calls in %d invocations, want one each", got, want)
	}
	t.Logf("%d invocations over %v of emulated CREATING, %v of function time", invs.n, waited, invs.took)
}

// A failure that no retry can fix is reported and its message deleted, not redelivered.
func TestATerminalFailureOnTheQueueIsDeletedNotRetried(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	for _, name := range []string{"media-ok", "media-denied"} {
		if err := a.SeedBucket(name, "", drifted, nil); err != nil {
			t.Fatal(err)
		}
	}
	a.Script("GetBucketCors", "media-denied", 1, "AccessDenied")
	q := newQueued(t, a, 2, map[string]string{"CORSGUARD_TARGETS": "s3"}, nil)
	if inv := q.router.invoke(t, scheduled("sweep-e2e-terminal")); inv.failed() || inv.Result.Queue.Enqueued != 2 {
		t.Fatalf("router: %s", inv)
	}
	m, _ := q.mapping(nil)
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := a.bucketPolicy(t, "media-ok"); !policy.Equal(got, baseline) {
		t.Errorf("media-ok: %v", got)
	}
	if got := a.ResourceCalls("GetBucketCors", "media-denied"); got != 1 {
		t.Errorf("the denied bucket was read %d times; a terminal failure is not retried", got)
	}
	if stats.Failed != 0 || stats.Deleted != 2 {
		t.Errorf("stats %+v: want both records deleted, none given back", stats)
	}
	if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
		t.Errorf("%d messages left in the queues", d)
	}
	var terminal bool
	for _, w := range q.workers {
		for _, l := range w.out.logs("run finished") {
			if n, _ := l["terminal_failures"].(float64); n > 0 && strings.Contains(fmt.Sprint(l["notable"]), "media-denied") {
				terminal = true
			}
		}
	}
	if !terminal {
		t.Error("no worker reported the terminal failure of media-denied")
	}
}
