package controller_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/controller"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/testrig/pipenet"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// The order of stamps within a resource's message group (enforce.StampFreshness: Rule A and
// Rule B). These tests run inside a testing/synctest bubble: the emulator serves the real SDK
// clients over an in-memory network, so routers wait, calls are slowed and deadlines pass on
// the bubble's fake clock, with no real waiting.

const (
	baselineParam = "/corsguard/baseline"
	workQueue     = "work.fifo"
)

var (
	v1 = policy.Policy{{AllowedOrigins: []string{"https://v1.example.com"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"*"}}}
	v2 = policy.Policy{{AllowedOrigins: []string{"https://v2.example.com"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"*"}}}
)

// world is an emulated account inside a bubble: a work queue, buckets and the baseline at
// version 1 (seeded, so made an hour before: settled).
type world struct {
	emu      *emulator.Emulator
	cfg      aws.Config
	sqs      *sqs.Client
	queueURL string
}

// newWorld must run inside the bubble.
func newWorld(t *testing.T, buckets int, opts ...emulator.Option) *world {
	t.Helper()
	emu := emulator.New(append([]emulator.Option{emulator.WithoutQuotas(), emulator.WithCreatingDuration(0)}, opts...)...)
	l := pipenet.Listen()
	srv := &http.Server{Handler: emu}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	cfg := emulator.SDKConfig("http://emulator", "us-east-1")
	cfg.HTTPClient = emulator.HTTPClientVia(l.Dial)
	cfg.Retryer = func() aws.Retryer { return awsclient.NewRetryer(3, 10*time.Millisecond) }
	if err := emu.SeedQueue(workQueue, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330"}); err != nil {
		t.Fatal(err)
	}
	if err := emu.SeedParameter(baselineParam, "String", string(v1.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	for i := range buckets {
		if err := emu.SeedBucket(fmt.Sprintf("media-%03d", i), "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	return &world{emu: emu, cfg: cfg, sqs: sqs.NewFromConfig(cfg), queueURL: emu.QueueURL("http://emulator", workQueue)}
}

// instance is one function instance (its own engine and cache) as router or worker; ssmRate
// is its share of Parameter Store (reads per second).
func (w *world) instance(t *testing.T, ssmRate float64) *controller.Controller {
	t.Helper()
	inf := math.Inf(1)
	eng, err := enforce.New(enforce.Config{Parameter: baselineParam, Rate: inf, SSMRate: ssmRate, LambdaRate: inf, APIGatewayRate: inf},
		ssm.NewFromConfig(w.cfg), enforce.S3(s3.NewFromConfig(w.cfg, func(o *s3.Options) { o.UsePathStyle = true }), "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	return controller.New(eng, controller.Config{Queue: workqueue.New(w.sqs, w.queueURL), Worker: eng})
}

// change writes the baseline's next version, as an operator does, at the bubble's now.
func (w *world) change(t *testing.T, p policy.Policy) {
	t.Helper()
	if _, err := ssm.NewFromConfig(w.cfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(baselineParam), Value: aws.String(string(p.JSON())), Type: "String", Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
}

// work hands worker a batch of the one message m, delivered once as id, from the work queue.
func (w *world) work(t *testing.T, worker *controller.Controller, m workqueue.Message, id string) ([]string, *controller.Result) {
	t.Helper()
	home, err := controller.QueueHome(w.queueURL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return worker.Work(context.Background(), home, controller.Batch{Deliveries: []controller.Delivery{{
		ID: id, Receipt: "r-" + id, Group: m.GroupID(), Source: w.emu.QueueARN(workQueue), Receives: 1, Body: m.Body()}}})
}

// received takes every message off the queue, in the order SQS hands them out (a group's in
// its enqueue order).
func (w *world) received(t *testing.T) []workqueue.Message {
	t.Helper()
	var out []workqueue.Message
	for {
		got, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			return out
		}
		for _, m := range got.Messages {
			msg, err := workqueue.Decode(aws.ToString(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, msg)
			if _, err := w.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(w.queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// event is what a router gets for a CloudTrail record naming one bucket.
func event(id string, buckets ...string) controller.Request {
	return controller.Request{Work: enforce.Work{Buckets: buckets, Mode: enforce.ModeEnforce, Reason: "PutBucketCors " + id}, ID: id}
}

// Two routers handle events of the same bucket. Router b reads version 1, and its send is
// slowed (3 s in the emulator); meanwhile the baseline changes to version 2 and router a reads
// it. Router a waits until version 2 has settled (Rule B), so b's message, stamped 1, is
// accepted first, and the group's stamps never decrease. Before, a sent at once and the
// bucket's group held 2, then 1: a worker would apply the older baseline last.
func TestTwoRoutersOfOneResourceNeverEnqueueAnOlderStampAfterANewerOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 1)
		a, b := w.instance(t, 10), w.instance(t, 10)
		w.emu.SetLatency("SendMessageBatch", 3*time.Second)
		var wg sync.WaitGroup
		var slow *controller.Result
		wg.Go(func() { slow = b.Serve(context.Background(), event("ev-b", "media-000")) })
		synctest.Wait() // b has read version 1, and its SendMessageBatch is in the emulator
		w.emu.SetLatency("SendMessageBatch", 0)
		time.Sleep(100 * time.Millisecond)
		changed := time.Now()
		w.change(t, v2)
		time.Sleep(100 * time.Millisecond)
		fast := a.Serve(context.Background(), event("ev-a", "media-000"))
		wg.Wait()

		if slow.Err != nil || fast.Err != nil {
			t.Fatalf("errors: %v, %v", slow.Err, fast.Err)
		}
		if got := fast.Report.Stamps[policy.S3][baselineParam]; got != 2 {
			t.Errorf("router a stamped %d, want 2", got)
		}
		if sent := changed.Add(enforce.StampSettle); time.Now().Before(sent) {
			t.Errorf("router a was done at %v, before version 2 settled at %v", time.Now(), sent)
		}
		msgs := w.received(t)
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want 2", len(msgs))
		}
		if s0, s1 := msgs[0].Baselines[baselineParam], msgs[1].Baselines[baselineParam]; s1 > 0 && s0 > s1 {
			t.Errorf("the bucket's group holds stamps %d then %d: an older baseline after a newer one", s0, s1)
		}
	})
}

// A router that reads a version made less than StampSettle ago waits until it has settled,
// then reads it again (its read is then older than the freshness bound) and stamps it; one
// that reads an older version waits for nothing and reads once. A wait that the invocation's
// budget cannot hold is not made: the messages go unstamped (each worker reads the latest).
func TestARouterRightAfterAChangeWaitsUntilTheVersionHasSettled(t *testing.T) {
	for _, tc := range []struct {
		name string
		// after is the time from the change to the router's read; budget the invocation's.
		after, budget time.Duration
		wait          time.Duration
		reads         int
		stamp         int64
	}{
		{"1 s after the change", time.Second, 0, enforce.StampSettle - time.Second, 2, 2},
		{"just settled", enforce.StampSettle, 0, 0, 1, 2},
		{"a minute after", time.Minute, 0, 0, 1, 2},
		{"1 s after, in a 5 s budget", time.Second, 5 * time.Second, 0, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 1)
				router := w.instance(t, 10)
				changed := time.Now()
				w.change(t, v2)
				time.Sleep(tc.after)
				ctx := context.Background()
				if tc.budget > 0 {
					var cancel func()
					ctx, cancel = context.WithTimeout(ctx, tc.budget+enforce.DefaultMargin)
					defer cancel()
				}
				before := w.emu.ResourceCalls("GetParameter", baselineParam)
				res := router.Serve(ctx, event("ev", "media-000"))
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				if res.Queue.StampWait != tc.wait {
					t.Errorf("waited %v, want %v", res.Queue.StampWait, tc.wait)
				}
				if got := w.emu.ResourceCalls("GetParameter", baselineParam) - before; got != tc.reads || res.Queue.StampRereads != tc.reads-1 {
					t.Errorf("%d reads, %d of a version held already; want %d", got, res.Queue.StampRereads, tc.reads)
				}
				msgs := w.received(t)
				if len(msgs) != 1 || msgs[0].Baselines[baselineParam] != tc.stamp {
					t.Fatalf("enqueued %+v, want one message stamped %d", msgs, tc.stamp)
				}
				if tc.stamp > 0 && time.Now().Before(changed.Add(enforce.StampSettle)) {
					t.Errorf("stamped version 2 sent at %v, before it settled", time.Since(changed))
				}
			})
		})
	}
}

// ahead is the bubble's clock plus a fixed time: Parameter Store's clock, far ahead of the
// function's.
type ahead time.Duration

func (a ahead) Now() time.Time                                 { return time.Now().Add(time.Duration(a)) }
func (ahead) Sleep(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, d) }

// A LastModifiedDate an hour ahead of the router's clock (a clock gone wrong) does not make
// the router wait an hour: the version existed when the router read it, so StampSettle after
// that read is enough.
func TestTheWaitIsBoundedByStampSettleAfterTheRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Seeded an hour before the emulator's clock: an hour ahead of the router's.
		w := newWorld(t, 1, emulator.WithClock(ahead(2*time.Hour)))
		start := time.Now()
		res := w.instance(t, 10).Serve(context.Background(), event("ev", "media-000"))
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if res.Queue.StampWait != enforce.StampSettle {
			t.Errorf("waited %v, want StampSettle (%v) after the read", res.Queue.StampWait, enforce.StampSettle)
		}
		if took := time.Since(start); took > enforce.StampSettle+time.Second {
			t.Errorf("the router took %v", took)
		}
		if msgs := w.received(t); len(msgs) != 1 || msgs[0].Baselines[baselineParam] != 1 {
			t.Errorf("enqueued %+v, want one message stamped 1", msgs)
		}
	})
}

// A stamped SendMessageBatch that SQS has not accepted by StampSendMargin before the read +
// StampFreshness (here: 20 s in the emulator) is cut off by its deadline, whatever the SDK's
// retries would do, and sent again unstamped: the bucket gets one message, and no stamp past
// the bound.
func TestAStampedSendThatOutlivesItsDeadlineIsNotAcceptedStamped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 1)
		router := w.instance(t, 10)
		w.emu.SetLatency("SendMessageBatch", 20*time.Second)
		var wg sync.WaitGroup
		var res *controller.Result
		start := time.Now()
		wg.Go(func() { res = router.Serve(context.Background(), event("ev", "media-000")) })
		synctest.Wait()
		w.emu.SetLatency("SendMessageBatch", 0)
		wg.Wait()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if took, bound := time.Since(start), enforce.StampFreshness-enforce.StampSendMargin; took < bound || took > bound+time.Second {
			t.Errorf("the send took %v; want it cut off at %v", took, bound)
		}
		msgs := w.received(t)
		if len(msgs) != 1 || len(msgs[0].Baselines) != 0 {
			t.Errorf("enqueued %+v, want one message, unstamped", msgs)
		}
		if n := w.emu.CallCount("SendMessageBatch"); n != 2 {
			t.Errorf("%d SendMessageBatch calls, want 2 (stamped, cut off; unstamped)", n)
		}
	})
}

// A listing planned before a change and carried on past the freshness bound reads its stamps
// again: its first batches (sent within the bound) carry version 1, the batch sent later
// carries version 2, made after the listing's read. Before, the whole listing carried version
// 1 for as long as it ran, and could follow the change's own messages in a group. A router
// whose Parameter Store share has no token for the read again sends that batch unstamped.
func TestAListingCarriedPastTheFreshnessBoundReadsItsStampsAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ssmRate float64
		// later is the third batch's stamp (0: none); reads the baseline's GetParameter calls.
		later int64
		reads int
	}{
		{"with a token", 10, 2, 2},
		{"without a token", 0.001, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 30)
				router := w.instance(t, tc.ssmRate)
				w.emu.SetLatency("SendMessageBatch", 4*time.Second) // 3 batches: at 0 s, 4 s and 8 s
				var wg sync.WaitGroup
				var res *controller.Result
				wg.Go(func() {
					res = router.Serve(context.Background(), controller.Request{Work: enforce.Work{Mode: enforce.ModeEnforce, Reason: "sweep"}, ID: "sweep-1"})
				})
				time.Sleep(time.Second)
				w.change(t, v2) // settled at 1 s + StampSettle
				wg.Wait()
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				msgs := w.received(t)
				if len(msgs) != 30 {
					t.Fatalf("%d messages, want 30", len(msgs))
				}
				count := map[int64]int{}
				for _, m := range msgs {
					count[m.Baselines[baselineParam]]++
				}
				if count[1] != 20 || count[tc.later] != 10 {
					t.Errorf("stamps %v; want 20 messages stamped 1 (sent within the bound), 10 stamped %d", count, tc.later)
				}
				if n := w.emu.ResourceCalls("GetParameter", baselineParam); n != tc.reads || res.Queue.StampRereads != 0 {
					t.Errorf("%d reads, %d of a version held already; want %d (version 2 is new)", n, res.Queue.StampRereads, tc.reads)
				}
			})
		})
	}
}

// A worker that carries a listing on does not know when the listing's stamps were read: it
// takes them as old, and stamps the pages' messages with the latest version (read now, or
// read by this instance within the freshness bound). Before, the listing's version 1 went on
// to every page, however long after the change to version 2.
func TestAWorkerCarryingAListingOnStampsTheLatestVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		worker := w.instance(t, 10)
		w.change(t, v2)
		time.Sleep(time.Minute)
		listing := workqueue.List(policy.S3, "", enforce.ModeEnforce, "sweep", "sweep-1")
		listing.Baselines = enforce.Stamps{baselineParam: 1}
		failures, res := w.work(t, worker, listing, "m-1")
		if len(failures) != 0 {
			t.Fatalf("failures %v, report %+v", failures, res.Report)
		}
		msgs := w.received(t)
		if len(msgs) != 3 {
			t.Fatalf("%d messages, want 3", len(msgs))
		}
		for _, m := range msgs {
			if got := m.Baselines[baselineParam]; got != 2 {
				t.Errorf("%s stamped %d, want 2 (the latest)", m.Name, got)
			}
		}
		if n := w.emu.ResourceCalls("GetParameter", baselineParam); n != 1 || res.Queue.StampWait != 0 {
			t.Errorf("%d reads, waited %v; want 1 read, no wait (version 2 has settled)", n, res.Queue.StampWait)
		}
	})
}

// Only a read of the latest version can stamp (Rule A's proof needs "v was the latest at the
// read"): a version this instance read by its selector (NAME:1, for a message stamped 1) just
// before does not count as fresh, so the worker that then carries a listing on reads the
// latest (version 2, made a minute before) instead of stamping the 1 it holds.
func TestAVersionReadByItsSelectorIsNotAFreshStamp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 2)
		worker := w.instance(t, 10)
		w.change(t, v2)
		time.Sleep(time.Minute)
		deliver := func(m workqueue.Message, id string) *controller.Result {
			failures, res := w.work(t, worker, m, id)
			if len(failures) != 0 {
				t.Fatalf("failures %v, report %+v", failures, res.Report)
			}
			return res
		}
		old := workqueue.Reconcile(policy.S3, "media-000", enforce.ModeEnforce, "an old event", "ev-0")
		old.Baselines = enforce.Stamps{baselineParam: 1}
		deliver(old, "m-0") // reads /corsguard/baseline:1 and caches it
		listing := workqueue.List(policy.S3, "", enforce.ModeEnforce, "sweep", "sweep-1")
		listing.Baselines = enforce.Stamps{baselineParam: 1}
		deliver(listing, "m-1")
		msgs := w.received(t)
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want 2", len(msgs))
		}
		for _, m := range msgs {
			if got := m.Baselines[baselineParam]; got != 2 {
				t.Errorf("%s stamped %d, want 2: version 1 was read by its selector, not as the latest", m.Name, got)
			}
		}
	})
}

// A worker carrying on a listing whose baseline it cannot read now (Parameter Store throttling
// past the SDK's retries) goes on with the listing, its messages unstamped (each worker reads
// the latest): the router validated the baseline, and a stamp it cannot renew would be stale.
// A listing that came unstamped fails instead and is retried: nothing validated its baseline.
func TestAListingCarriedOnWithoutAReadGoesOnUnstamped(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stamps   enforce.Stamps
		enqueued int
		failures int
	}{
		{"stamped by its router", enforce.Stamps{baselineParam: 1}, 2, 0},
		{"unstamped", nil, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 2)
				worker := w.instance(t, 10)
				w.emu.Script("GetParameter", baselineParam, 10, "ThrottlingException")
				listing := workqueue.List(policy.S3, "", enforce.ModeEnforce, "sweep", "sweep-1")
				listing.Baselines = tc.stamps
				failures, res := w.work(t, worker, listing, "m-1")
				w.emu.ClearFaults()
				if len(failures) != tc.failures || res.Queue.Enqueued != tc.enqueued {
					t.Fatalf("failures %v, enqueued %d; want %d, %d", failures, res.Queue.Enqueued, tc.failures, tc.enqueued)
				}
				for _, m := range w.received(t) {
					if m.Op == workqueue.OpReconcile && len(m.Baselines) != 0 {
						t.Errorf("%s stamped %v, want unstamped", m.Name, m.Baselines)
					}
				}
			})
		})
	}
}

// A change's sweep whose router has no token to read the new version sends unstamped, but no
// earlier than the change's time (to the second, as EventBridge gives it) + 1 s + StampSettle:
// router b's message stamped 1 (read before the change, its send slowed 3 s) comes first in
// the bucket's group, and the sweep's unstamped message, which applies the latest version,
// last. Before, the sweep sent at once and b's older stamp followed it.
func TestAChangesSweepWithoutATokenFollowsEveryOlderStamp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 2)
		a, b := w.instance(t, 0.001), w.instance(t, 10)
		// a's share is spent by a sweep before (0.001/s refills nothing in this test).
		if res := a.Serve(context.Background(), controller.Request{Work: enforce.Work{Mode: enforce.ModeEnforce, Reason: "sweep"}, ID: "warm"}); res.Err != nil {
			t.Fatal(res.Err)
		}
		w.received(t)
		w.emu.SetLatency("SendMessageBatch", 3*time.Second)
		var wg sync.WaitGroup
		var slow *controller.Result
		wg.Go(func() { slow = b.Serve(context.Background(), event("ev-b", "media-000")) })
		synctest.Wait()
		w.emu.SetLatency("SendMessageBatch", 0)
		time.Sleep(100 * time.Millisecond)
		changed := time.Now()
		w.change(t, v2)
		time.Sleep(100 * time.Millisecond)
		sweep := a.Serve(context.Background(), controller.Request{Work: enforce.Work{Mode: enforce.ModeEnforce, Reason: "SSM Update " + baselineParam},
			ID: "change-1", Changed: changed.Truncate(time.Second)})
		wg.Wait()
		if slow.Err != nil || sweep.Err != nil {
			t.Fatalf("errors: %v, %v", slow.Err, sweep.Err)
		}
		if len(sweep.Report.Stamps) != 0 || sweep.Report.APICalls["ssm:GetParameter"] != 0 {
			t.Errorf("the sweep stamped %v, read %v; its router had no token", sweep.Report.Stamps, sweep.Report.APICalls)
		}
		if sent := changed.Truncate(time.Second).Add(time.Second + enforce.StampSettle); time.Now().Before(sent) {
			t.Errorf("the sweep was done at %v, before %v", time.Now(), sent)
		}
		var group []workqueue.Message
		for _, m := range w.received(t) {
			if m.Name == "media-000" {
				group = append(group, m)
			}
		}
		if len(group) != 2 || group[0].Request != "ev-b" || group[1].Request != "change-1" {
			t.Errorf("the bucket's group holds %+v; want b's message (stamped 1), then the sweep's", group)
		}
	})
}

// A change's sweep whose work budget cannot hold the wait until the event's time + 1 s +
// StampSettle sends nothing, stamped or not: the invocation fails retryably (Lambda retries the
// event), and the retry, a minute later, sends. Before, a router without stamps (no token of
// its share), or whose stamps it dropped as unsettled, went past the wait and sent at once.
func TestAChangesSweepThatCannotWaitSendsNothingAndIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ssmRate float64
	}{
		{"stamped", 10},
		{"without a token of the share", 0.001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 2)
				router := w.instance(t, tc.ssmRate)
				if tc.ssmRate < 1 { // the share's one token spent by a sweep before
					if res := router.Serve(context.Background(), controller.Request{Work: enforce.Work{Mode: enforce.ModeEnforce, Reason: "sweep"}, ID: "warm"}); res.Err != nil {
						t.Fatal(res.Err)
					}
					w.received(t)
				}
				changed := time.Now().Truncate(time.Second)
				w.change(t, v2)
				w.emu.ResetCalls()
				req := controller.Request{Work: enforce.Work{Mode: enforce.ModeEnforce, Reason: "SSM Update " + baselineParam}, ID: "change-1", Changed: changed}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second+enforce.DefaultMargin)
				res := router.Serve(ctx, req)
				cancel()
				var run *controller.RunError
				if !errors.As(res.Err, &run) || res.Queue.Enqueued != 0 || w.emu.CallCount("SendMessageBatch") != 0 {
					t.Fatalf("error %v, enqueued %d, %d SendMessageBatch; want a retryable error and nothing sent", res.Err, res.Queue.Enqueued, w.emu.CallCount("SendMessageBatch"))
				}
				time.Sleep(time.Minute) // Lambda's first retry of the event
				ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second+enforce.DefaultMargin)
				defer cancel()
				if res := router.Serve(ctx, req); res.Err != nil || res.Queue.Enqueued != 2 {
					t.Fatalf("the retry: error %v, enqueued %d; want both buckets", res.Err, res.Queue.Enqueued)
				}
			})
		})
	}
}

// A worker that carries on a change's listing (its OpList message carries the change's
// not_before) sends nothing before it: it waits when its budget holds the wait; otherwise it
// reads nothing, gives the message back until then (the queue hides it that long) and the
// listing goes on when it comes back.
func TestAWorkerCarryingAChangesListingOnSendsNothingBeforeItsNotBefore(t *testing.T) {
	for _, tc := range []struct {
		name     string
		budget   time.Duration
		failures int
	}{
		{"a budget that holds the wait", time.Minute, 0},
		{"a budget that does not", 5 * time.Second, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 2)
				worker := w.instance(t, 10)
				notBefore := time.Now().Add(12 * time.Second)
				listing := workqueue.List(policy.S3, "", enforce.ModeEnforce, "SSM Update", "change-1")
				listing.Baselines = enforce.Stamps{baselineParam: 1}
				listing.NotBefore = notBefore
				if err := workqueue.New(w.sqs, w.queueURL).Send(context.Background(), []workqueue.Message{listing}); err != nil {
					t.Fatal(err)
				}
				got, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL)})
				if err != nil || len(got.Messages) != 1 {
					t.Fatalf("receive: %v, %d messages", err, len(got.Messages))
				}
				m := got.Messages[0]
				home, err := controller.QueueHome(w.queueURL, "us-east-1")
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), tc.budget+enforce.DefaultMargin)
				defer cancel()
				failures, res := worker.Work(ctx, home, controller.Batch{Deliveries: []controller.Delivery{{ID: aws.ToString(m.MessageId),
					Receipt: aws.ToString(m.ReceiptHandle), Group: listing.GroupID(), Source: w.emu.QueueARN(workQueue), Receives: 1, Body: aws.ToString(m.Body)}}})
				if len(failures) != tc.failures {
					t.Fatalf("failures %v, want %d; report %+v", failures, tc.failures, res.Report)
				}
				if tc.failures == 0 {
					if res.Queue.Enqueued != 2 || time.Now().Before(notBefore) {
						t.Errorf("enqueued %d, done at %v; want 2, no earlier than %v", res.Queue.Enqueued, time.Now(), notBefore)
					}
					return
				}
				if res.Queue.Enqueued != 0 || w.emu.CallCount("GetParameter") != 0 || len(res.Report.KindErrors) != 0 {
					t.Errorf("enqueued %d, %d GetParameter, kind errors %v; want nothing sent, nothing read, no failure", res.Queue.Enqueued,
						w.emu.CallCount("GetParameter"), res.Report.KindErrors)
				}
				time.Sleep(time.Until(notBefore) - time.Second)
				if msgs := w.received(t); len(msgs) != 0 {
					t.Errorf("before its not_before the queue hands out %+v; want nothing", msgs)
				}
				time.Sleep(time.Minute)
				if msgs := w.received(t); len(msgs) != 1 || msgs[0].Op != workqueue.OpList || !msgs[0].NotBefore.Equal(notBefore) {
					t.Errorf("after its not_before the queue hands out %+v; want the listing back, its not_before kept", msgs)
				}
			})
		})
	}
}
