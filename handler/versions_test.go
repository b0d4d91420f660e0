package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// Baseline versions through the work queue: the router stamps the version it read into each
// message, each worker instance reads a version once and caches it, and applies the newer of
// the stamp and its cache. Every test counts the GetParameter calls the emulator received.

// behind is the wall clock less a fixed time.
type behind time.Duration

func (b behind) Now() time.Time                                 { return time.Now().Add(-time.Duration(b)) }
func (behind) Sleep(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, d) }

// settledChanges makes the emulator's clock run enforce.StampSettle and a second behind the
// wall clock: a parameter the test changes has settled (Rule B) by the time a router reads
// it, which then stamps it without waiting. The controller's tests wait for young versions.
func settledChanges() emulator.Option {
	return emulator.WithClock(behind(enforce.StampSettle + time.Second))
}

// second is the baseline's next version in these tests.
var second = policy.Policy{{AllowedOrigins: []string{"https://v2.example.com"}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"*"}}}

// reads counts the GetParameter calls of the baseline parameter (by name, ARN or selector).
func (f *fixture) reads() int { return f.emu.ResourceCalls("GetParameter", baseline) }

// putBaseline writes the baseline's next version, as an operator does, and returns it.
func (f *fixture) putBaseline(t *testing.T, p policy.Policy) int64 {
	t.Helper()
	out, err := ssm.NewFromConfig(f.cfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(baseline), Value: aws.String(string(p.JSON())), Type: "String", Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Version
}

// deliverTo hands a batch to the instance h and deletes what it did not report as failed.
func (f *fixture) deliverTo(t *testing.T, h *Handler, ev events.SQSEvent) events.SQSEventResponse {
	t.Helper()
	saved := f.h
	f.h = h
	defer func() { f.h = saved }()
	return f.deliver(t, ev)
}

// drainOn delivers batches round-robin to the instances until no message is visible.
func (f *fixture) drainOn(t *testing.T, instances ...*Handler) (batches int) {
	t.Helper()
	for {
		ev := f.receive(t)
		if len(ev.Records) == 0 {
			return batches
		}
		f.deliverTo(t, instances[batches%len(instances)], ev)
		batches++
	}
}

// enqueued returns the messages on the queue without taking them (received, then made
// visible again).
func (f *fixture) enqueued(t *testing.T) []workqueue.Message {
	t.Helper()
	var out []workqueue.Message
	var receipts []string
	for {
		ev := f.receive(t)
		if len(ev.Records) == 0 {
			break
		}
		for _, r := range ev.Records {
			m, err := workqueue.Decode(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			receipts = append(receipts, r.ReceiptHandle)
		}
	}
	for _, r := range receipts {
		if _, err := f.sqs.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(f.queueURL), ReceiptHandle: aws.String(r), VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// send puts messages on the work queue as a router would.
func (f *fixture) send(t *testing.T, msgs ...workqueue.Message) {
	t.Helper()
	if err := workqueue.New(f.sqs, f.queueURL).Send(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) sweepOn(t *testing.T, h *Handler, id string) Result {
	t.Helper()
	saved := f.h
	f.h = h
	defer func() { f.h = saved }()
	var res Result
	if err := f.invoke(t, invocation(), sweep(id), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// A sweep of 1,000 buckets through the queue reads the baseline once in the router and at
// most once per worker instance, not once per batch of ten (101 reads before stamps).
func TestAQueueSweepReadsTheBaselineOncePerWorkerInstanceNotOncePerBatch(t *testing.T) {
	f := queueFixture(t)
	names := f.seedBuckets(t, 1000, loose)
	router := f.h
	workers := []*Handler{f.instance(t), f.instance(t), f.instance(t)}

	res := f.sweepOn(t, router, "sweep-1")
	if res.Queue == nil || res.Queue.Enqueued != 1000 {
		t.Fatalf("queue result %+v, want 1,000 messages", res.Queue)
	}
	if got := f.reads(); got != 1 {
		t.Errorf("the router read the baseline %d times, want 1", got)
	}
	if batches := f.drainOn(t, workers...); batches != 100 {
		t.Errorf("%d batches, want 100", batches)
	}
	// The minimum: one router read, and one read per worker instance of the version stamped.
	if got, most := f.reads(), 1+len(workers); got > most {
		t.Errorf("%d GetParameter calls of the baseline for 100 batches on %d instances; want at most %d", got, len(workers), most)
	}
	// No profile exists: no pattern names one and no bucket is tagged with one, so nothing is
	// read under the profiles path (TestAQueueSweepWithoutProfilesReadsNothingUnderTheProfilesPath).
	calls := f.emu.Calls()
	if calls["GetParametersByPath"] != 0 || calls["GetParameter"] != f.reads() {
		t.Errorf("SSM calls %v: want GetParameter of the baseline only", calls)
	}
	for _, name := range names[:50] {
		if got := f.bucketCors(t, name); !policy.Equal(got, want) {
			t.Fatalf("bucket %s has %v, want the baseline", name, got)
		}
	}
}

// A baseline change in the middle of a queue sweep: the messages of the first sweep carry
// version 1, the change's sweep version 2, each instance caches what it read, and every bucket
// ends at version 2, whichever instance worked its last message.
func TestABaselineChangeInTheMiddleOfASweepLeavesNoBucketAtTheOlderVersion(t *testing.T) {
	f := queueFixture(t, settledChanges())
	names := f.seedBuckets(t, 60, loose)
	a, b := f.instance(t), f.instance(t)
	f.sweepOn(t, f.h, "sweep-1")
	for range 2 { // instance a works (and caches) version 1
		f.deliverTo(t, a, f.receive(t))
	}
	v2 := f.putBaseline(t, second)
	// The change event reaches another instance (the router's token of the first sweep's
	// instance may not be back yet: that router would stamp nothing, which is right too).
	saved := f.h
	f.h = f.instance(t)
	var res Result
	change := event("change-1", "aws.ssm", "Parameter Store Change", fmt.Sprintf(`{"operation":"Update","name":%q}`, baseline))
	if err := f.invoke(t, invocation(), change, &res); err != nil {
		t.Fatal(err)
	}
	f.h = saved
	if got := res.Report.Stamps[policy.S3][baseline]; got != v2 {
		t.Fatalf("the change's router stamped version %d, want %d", got, v2)
	}
	// The rest of the first sweep (stamped 1) and the whole second (stamped 2), on both
	// instances in turn: a, which caches version 1, works messages of both sweeps.
	f.drainOn(t, a, b)
	for _, name := range names {
		if got := f.bucketCors(t, name); !policy.Equal(got, second) {
			t.Errorf("bucket %s has %v, want version %d", name, got, v2)
		}
	}
}

// A message stamped with an older version than the instance has cached applies the cached
// one, and reads nothing.
func TestAMessageStampedOlderThanTheCacheAppliesTheCache(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 2, loose)
	v2 := f.putBaseline(t, second)
	w := f.instance(t)
	stamped := func(name string, v int64) workqueue.Message {
		m := workqueue.Reconcile(policy.S3, name, enforce.ModeEnforce, "test", "req-"+name)
		m.Baselines = enforce.Stamps{baseline: v}
		return m
	}
	f.send(t, stamped("media-000", v2))
	f.deliverTo(t, w, f.receive(t))
	if got := f.reads(); got != 1 {
		t.Fatalf("%d reads for a message stamped %d on an empty cache, want 1 (%s:%d)", got, v2, baseline, v2)
	}
	f.send(t, stamped("media-001", 1))
	f.deliverTo(t, w, f.receive(t))
	if got := f.bucketCors(t, "media-001"); !policy.Equal(got, second) {
		t.Errorf("a message stamped 1 on an instance holding %d applied %v, want version %d", v2, got, v2)
	}
	if got := f.reads(); got != 1 {
		t.Errorf("%d reads; the cached version was newer than the stamp and needed none", got)
	}
}

// A message without stamps (a router without a token, or a message of an older corsguard
// whose body has no "baselines") makes the batch read the latest version: never stale, even on
// an instance that cached an older one.
func TestUnstampedMessagesReadTheLatestVersion(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 2, loose)
	w := f.instance(t)
	old := `{"op":"reconcile","kind":"s3","name":"media-000","mode":"enforce","why":"old router","request":"r0"}`
	if _, err := f.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(f.queueURL), MessageBody: aws.String(old),
		MessageGroupId: aws.String("s3/media-000"), MessageDeduplicationId: aws.String("r0")}); err != nil {
		t.Fatal(err)
	}
	f.deliverTo(t, w, f.receive(t))
	if got := f.bucketCors(t, "media-000"); !policy.Equal(got, want) {
		t.Errorf("a message without baselines: bucket has %v, want version 1", got)
	}
	v2 := f.putBaseline(t, second)
	f.send(t, workqueue.Reconcile(policy.S3, "media-001", enforce.ModeEnforce, "test", "r1"))
	f.deliverTo(t, w, f.receive(t))
	if got := f.bucketCors(t, "media-001"); !policy.Equal(got, second) {
		t.Errorf("an unstamped message on an instance holding version 1 applied %v, want version %d", got, v2)
	}
	if got := f.reads(); got != 2 {
		t.Errorf("%d reads for two unstamped batches, want 2 (one latest read each)", got)
	}
}

// A stamped version that no longer exists (the parameter was deleted and created again, so
// its versions started again at 1; or Parameter Store dropped it past its 100 versions):
// ParameterVersionNotFound makes the worker read the latest version, which is the baseline
// now, and apply it. Terminal would leave the resource unrepaired although a valid baseline
// exists, and the latest version is never older than what the router meant.
func TestAStampedVersionThatNoLongerExistsReadsTheLatest(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 1, loose)
	w := f.instance(t)
	m := workqueue.Reconcile(policy.S3, "media-000", enforce.ModeEnforce, "test", "r")
	m.Baselines = enforce.Stamps{baseline: 7}
	f.send(t, m)
	resp := f.deliverTo(t, w, f.receive(t))
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	if got := f.bucketCors(t, "media-000"); !policy.Equal(got, want) {
		t.Errorf("bucket has %v, want the latest version (1)", got)
	}
	if got := f.reads(); got != 2 {
		t.Errorf("%d reads, want 2: %s:7 (ParameterVersionNotFound), then %s", got, baseline, baseline)
	}
	if n := f.emu.Calls()["GetParameter"]; n != 2 {
		t.Errorf("%d GetParameter calls", n)
	}
}

// A storm of 1,000 events on one instance is not 1,000 reads: the router reads only with a
// token of its Parameter Store share at once, and otherwise stamps nothing. With a share of
// one read per 100 s, the storm makes as many reads as the share's burst (2: what a sweep's
// router reads, the baseline and one listing of the buckets' profiles), and the unstamped
// messages are still reconciled with the latest baseline by a worker.
func TestAStormOfEventsReadsTheBaselineWithinTheRoutersShare(t *testing.T) {
	f := newFixture(t, map[string]string{config.QueueURL: workQueue, config.Targets: "s3", config.Rate: "1000", config.SSMRate: "0.01"})
	if err := f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	names := f.seedBuckets(t, 1000, loose)
	for i, name := range names {
		ev := event(fmt.Sprintf("ct-%d", i), "aws.s3", "AWS API Call via CloudTrail", fmt.Sprintf(
			`{"eventSource":"s3.amazonaws.com","eventName":"PutBucketCors","awsRegion":"us-east-1","recipientAccountId":"012345678912","requestParameters":{"bucketName":%q}}`, name))
		var res Result
		if err := f.invoke(t, invocation(), ev, &res); err != nil {
			t.Fatal(err)
		}
		if res.Queue == nil || res.Queue.Enqueued != 1 {
			t.Fatalf("event %d: queue %+v, report %+v", i, res.Queue, res.Report)
		}
	}
	const burst = 2
	if got := f.reads(); got != burst {
		t.Errorf("1,000 events read the baseline %d times; the share allows %d", got, burst)
	}
	msgs := f.enqueued(t)
	stamped := 0
	for _, m := range msgs {
		if len(m.Baselines) > 0 {
			stamped++
		}
	}
	if len(msgs) != 1000 || stamped != burst {
		t.Errorf("%d messages, %d stamped; want 1,000, %d stamped", len(msgs), stamped, burst)
	}
	// A worker with its own share (another instance in a real account) repairs them all.
	f.conf.Engine.SSMRate = math.Inf(1)
	f.drainOn(t, f.instance(t))
	for _, name := range names {
		if got := f.bucketCors(t, name); !policy.Equal(got, want) {
			t.Fatalf("bucket %s has %v after the storm", name, got)
		}
	}
}

// lookingClock moves step forward at every look.
type lookingClock struct {
	*clock.Manual
	step time.Duration
}

func (c lookingClock) Now() time.Time {
	c.Advance(c.step)
	return c.Manual.Now()
}

// A router slow between its read and its send (here: a clock that moves StampFreshness at each
// look) stamps nothing: its messages could otherwise follow a newer stamp in their group. The
// same event on a router that is not slow stamps the version it read.
func TestARouterSlowBetweenItsReadAndItsSendStampsNothing(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 1, loose)
	slow := f.instance(t, withClock(lookingClock{clock.NewManual(time.Now()), enforce.StampFreshness}))
	for _, tc := range []struct {
		name   string
		router *Handler
		want   enforce.Stamps
	}{
		{"a router on time", f.instance(t), enforce.Stamps{baseline: 1}},
		{"a slow router", slow, nil},
	} {
		ev := event("ct-"+tc.name, "aws.s3", "AWS API Call via CloudTrail", `{"eventName":"PutBucketCors","requestParameters":{"bucketName":"media-000"}}`)
		saved := f.h
		f.h = tc.router
		var res Result
		if err := f.invoke(t, invocation(), ev, &res); err != nil {
			t.Fatal(err)
		}
		f.h = saved
		msgs := f.enqueued(t)
		if len(msgs) != 1 || !maps.Equal(msgs[0].Baselines, tc.want) {
			t.Errorf("%s: enqueued %+v, want one message stamped %v", tc.name, msgs, tc.want)
		}
		f.drain(t)
	}
}

// The report of a worker's batch names the versions it applied; a router's, what it stamped.
func TestTheRouterReportsWhatItStamped(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 1, loose)
	res := f.sweepOn(t, f.h, "sweep-1")
	raw, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"stamps":{"mediastore":{"/corsguard/baseline":1},"s3":{"/corsguard/baseline":1}}`) {
		t.Errorf("router report %s; want the stamps per kind", raw)
	}
}

// Every summary line names its execution environment (Lambda's log stream, one per
// environment), so that reads ÷ instances can be computed from the logs.
func TestTheSummaryLineNamesTheInstance(t *testing.T) {
	saved := lambdacontext.LogStreamName
	lambdacontext.LogStreamName = "2026/12/07/[$LATEST]0123456789abcdef"
	defer func() { lambdacontext.LogStreamName = saved }()
	f := queueFixture(t)
	f.seedBuckets(t, 1, loose)
	f.sweepOn(t, f.h, "sweep-1")
	f.drain(t)
	ls := lines(t, &f.logs)
	if len(ls) < 2 {
		t.Fatalf("%d log lines", len(ls))
	}
	for _, l := range ls {
		if l["instance"] != lambdacontext.LogStreamName {
			t.Errorf("a line without the instance: %v", l)
		}
	}
}

// uploads is the profile parameter of the uploads profile for buckets.
const uploads = "/corsguard/profiles/s3/uploads"

// Profile parameters follow the baseline's rules: the router stamps the version of every
// profile its patterns give, each worker instance reads it once, and a change of the profile's
// parameter converges its buckets with a version the router stamped, read once more per
// instance. Before stamps every batch read it.
func TestProfileParametersAreStampedAndReadOncePerInstance(t *testing.T) {
	f := newFixtureOf(t, map[string]string{config.QueueURL: workQueue, config.Targets: "s3", config.Rate: "1000",
		config.ProfilePatterns: "uploads=upload-*"}, settledChanges())
	for name, p := range map[string]policy.Policy{baseline: want, uploads: loose} {
		if err := f.emu.SeedParameter(name, "String", string(p.JSON()), ""); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for i := range 100 {
		name := fmt.Sprintf("upload-%03d", i)
		if err := f.emu.SeedBucket(name, "", want, nil); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	workers := []*Handler{f.instance(t), f.instance(t)}
	profileReads := func() int { return f.emu.ResourceCalls("GetParameter", uploads) }

	res := f.sweepOn(t, f.h, "sweep-1")
	if got := res.Report.Stamps[policy.S3][uploads]; got != 1 {
		t.Fatalf("the router stamped %s version %d, want 1 (stamps %v)", uploads, got, res.Report.Stamps)
	}
	f.drainOn(t, workers...)
	if got := profileReads(); got > 1+len(workers) {
		t.Errorf("%d reads of %s for 10 batches on %d instances, want at most %d", got, uploads, len(workers), 1+len(workers))
	}
	for _, name := range names {
		if got := f.bucketCors(t, name); !policy.Equal(got, loose) {
			t.Fatalf("bucket %s has %v, want the uploads profile", name, got)
		}
	}

	// The profile changes: its own event, another router instance, the same two workers.
	before := profileReads()
	out, err := ssm.NewFromConfig(f.cfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(uploads), Value: aws.String(string(second.JSON())), Type: "String", Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	saved := f.h
	f.h = f.instance(t)
	change := event("change-uploads", "aws.ssm", "Parameter Store Change", fmt.Sprintf(`{"operation":"Update","name":%q}`, uploads))
	if err := f.invoke(t, invocation(), change, &res); err != nil {
		t.Fatal(err)
	}
	f.h = saved
	if got := res.Report.Stamps[policy.S3][uploads]; got != out.Version {
		t.Fatalf("the change's router stamped version %d, want %d (stamps %v)", got, out.Version, res.Report.Stamps)
	}
	f.drainOn(t, workers...)
	if got := profileReads() - before; got > 1+len(workers) {
		t.Errorf("%d reads of %s after its change, want at most %d", got, uploads, 1+len(workers))
	}
	for _, name := range names {
		if got := f.bucketCors(t, name); !policy.Equal(got, second) {
			t.Fatalf("bucket %s has %v, want the uploads profile's version %d", name, got, out.Version)
		}
	}
}

// A listing that reaches a worker without stamps (its router had no token) is stamped there:
// the worker reads the baseline once, and the reconcile messages of its pages carry that
// version, so the batches that follow read it once per instance, not once each.
func TestAnUnstampedListingIsStampedByTheWorkerThatCarriesItOn(t *testing.T) {
	f := newFixture(t, map[string]string{config.QueueURL: workQueue, config.Targets: "s3", config.Rate: "1000"})
	if err := f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	f.seedBuckets(t, 100, loose)
	lister, workers := f.instance(t), []*Handler{f.instance(t), f.instance(t)}
	f.send(t, workqueue.List(policy.S3, "", enforce.ModeEnforce, "sweep without stamps", "req-1"))
	f.deliverTo(t, lister, f.receive(t))
	if got := f.reads(); got != 1 {
		t.Errorf("the worker carrying the listing on read the baseline %d times, want 1", got)
	}
	msgs := f.enqueued(t)
	for _, m := range msgs {
		if m.Baselines[baseline] != 1 {
			t.Fatalf("a page's message stamped %v, want version 1", m.Baselines)
		}
	}
	if len(msgs) != 100 {
		t.Fatalf("%d messages, want 100", len(msgs))
	}
	f.drainOn(t, workers...)
	if got := f.reads(); got > 1+len(workers) {
		t.Errorf("%d reads for 10 batches on %d instances, want at most %d", got, len(workers), 1+len(workers))
	}
}

// A baseline deleted and created again starts at version 1 again: an unstamped message (the
// router's event after the creation, when it had no token) reads the latest, and the new
// version 1 replaces the old one in the cache, although the numbers are the same.
func TestABaselineCreatedAgainReplacesTheCachedVersionOfTheSameNumber(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 2, loose)
	w := f.instance(t)
	f.send(t, workqueue.Reconcile(policy.S3, "media-000", enforce.ModeEnforce, "test", "r0"))
	f.deliverTo(t, w, f.receive(t))
	if _, err := ssm.NewFromConfig(f.cfg).DeleteParameter(context.Background(), &ssm.DeleteParameterInput{Name: aws.String(baseline)}); err != nil {
		t.Fatal(err)
	}
	if v := f.putBaseline(t, second); v != 1 {
		t.Fatalf("created again at version %d, want 1", v)
	}
	f.send(t, workqueue.Reconcile(policy.S3, "media-001", enforce.ModeEnforce, "test", "r1"))
	f.deliverTo(t, w, f.receive(t))
	if got := f.bucketCors(t, "media-001"); !policy.Equal(got, second) {
		t.Errorf("bucket has %v, want the new parameter's version 1", got)
	}
	m := workqueue.Reconcile(policy.S3, "media-000", enforce.ModeEnforce, "test", "r2")
	m.Baselines = enforce.Stamps{baseline: 1}
	f.send(t, m)
	f.deliverTo(t, w, f.receive(t))
	if got := f.bucketCors(t, "media-000"); !policy.Equal(got, second) {
		t.Errorf("a message stamped 1 applied %v, want the new parameter's version 1 (cached)", got)
	}
}

// Profiles given by a tag alone: a sweep's router lists the profile parameters of the kind
// (GetParametersByPath on /corsguard/profiles/s3, one call for up to 10) and stamps every one,
// so that buckets tagged corsguard:profile=players, which no pattern gives, read their profile
// at most once per worker instance and version, as the kind's baseline is read (one read per
// batch of 10 before: 10 for 100 buckets).
func TestTaggedProfilesAreStampedAndReadOncePerInstance(t *testing.T) {
	const players = "/corsguard/profiles/s3/players"
	f := newFixtureOf(t, map[string]string{config.QueueURL: workQueue, config.Targets: "s3", config.Rate: "1000"}, settledChanges())
	for name, p := range map[string]policy.Policy{baseline: want, players: loose} {
		if err := f.emu.SeedParameter(name, "String", string(p.JSON()), ""); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for i := range 100 {
		name := fmt.Sprintf("media-%03d", i)
		if err := f.emu.SeedBucket(name, "", want, map[string]string{"corsguard:profile": "players"}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	workers := []*Handler{f.instance(t), f.instance(t)}
	// Every SSM read of the profile: by name or version selector, and the router's listing.
	reads := func() int {
		return f.emu.ResourceCalls("GetParameter", players) + f.emu.ResourceCalls("GetParametersByPath", "/corsguard/profiles/s3")
	}

	res := f.sweepOn(t, f.h, "sweep-1")
	if got := res.Report.Stamps[policy.S3][players]; got != 1 {
		t.Errorf("the router stamped %s version %d, want 1 (stamps %v)", players, got, res.Report.Stamps)
	}
	if got := f.emu.ResourceCalls("GetParametersByPath", "/corsguard/profiles/s3"); got != 1 {
		t.Errorf("the router listed the profiles %d times, want once", got)
	}
	if batches := f.drainOn(t, workers...); batches < 10 {
		t.Fatalf("%d batches, want at least 10", batches)
	}
	if got := reads(); got > 1+len(workers) {
		t.Errorf("%d reads of %s for 10 batches on %d instances, want at most %d", got, players, len(workers), 1+len(workers))
	}
	for _, name := range names {
		if got := f.bucketCors(t, name); !policy.Equal(got, loose) {
			t.Fatalf("bucket %s has %v, want the players profile", name, got)
		}
	}

	// The profile changes: its own event on another router instance, the same two workers.
	before := reads()
	out, err := ssm.NewFromConfig(f.cfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(players), Value: aws.String(string(second.JSON())), Type: "String", Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	saved := f.h
	f.h = f.instance(t)
	change := event("change-players", "aws.ssm", "Parameter Store Change", fmt.Sprintf(`{"operation":"Update","name":%q}`, players))
	if err := f.invoke(t, invocation(), change, &res); err != nil {
		t.Fatal(err)
	}
	f.h = saved
	if got := res.Report.Stamps[policy.S3][players]; got != out.Version {
		t.Fatalf("the change's router stamped version %d, want %d (stamps %v)", got, out.Version, res.Report.Stamps)
	}
	f.drainOn(t, workers...)
	if got := reads() - before; got > 1+len(workers) {
		t.Errorf("%d reads of %s after its change, want at most %d", got, players, 1+len(workers))
	}
	for _, name := range names {
		if got := f.bucketCors(t, name); !policy.Equal(got, second) {
			t.Fatalf("bucket %s has %v, want the players profile's version %d", name, got, out.Version)
		}
	}
}

// A baseline's change event reaches the controller with its time: the change's sweep sends
// nothing before the event's time + 1 s + StampSettle, even when the version it reads was made
// longer ago (here: the emulator's clock runs behind) or it reads none. The router's clock is
// a manual one, so the wait is not real.
func TestAChangeEventsSweepWaitsFromTheEventsTime(t *testing.T) {
	f := queueFixture(t, settledChanges())
	f.seedBuckets(t, 1, loose)
	now := time.Now()
	router := f.instance(t, withClock(clock.NewManual(now)))
	change := fmt.Appendf(nil, `{"version":"0","id":"change-1","source":"aws.ssm","detail-type":"Parameter Store Change","account":"012345678912",`+
		`"region":"us-east-1","time":%q,"resources":[],"detail":{"operation":"Update","name":%q}}`, now.UTC().Format(time.RFC3339), baseline)
	saved := f.h
	f.h = router
	var res Result
	err := f.invoke(t, invocation(), change, &res)
	f.h = saved
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Truncate(time.Second).Add(time.Second + enforce.StampSettle).Sub(now); res.Queue == nil || res.Queue.StampWait != want {
		t.Errorf("queue %+v; want a wait of %v (until the event's time + 1 s + StampSettle)", res.Queue, want)
	}
}
