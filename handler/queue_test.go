package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

const workQueue = "work.fifo"

// queueFixture is a handler with a work queue on S3 buckets (and containers).
func queueFixture(t *testing.T, emuOpts ...emulator.Option) *fixture {
	t.Helper()
	// The rate is high so that the tests do not wait for tokens (each worker gets half).
	f := newFixtureOf(t, map[string]string{config.QueueURL: workQueue, config.Targets: "mediastore,s3", config.Rate: "1000"}, emuOpts...)
	if err := f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	return f
}

// event is an EventBridge event with the given id, source, detail type and detail.
func event(id, source, detailType, detail string) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":%q,"source":%q,"detail-type":%q,"account":"012345678912","region":"us-east-1",
		"time":"2025-03-14T06:00:00Z","resources":["arn:aws:events:us-east-1:012345678912:rule/corsguard-sweep"],"detail":%s}`,
		id, source, detailType, detail)
}

func sweep(id string) []byte { return event(id, "aws.events", "Scheduled Event", "{}") }

// invoke calls the function as Lambda does, with the raw payload, and decodes its answer into v.
func (f *fixture) invoke(t *testing.T, ctx context.Context, payload []byte, v any) error {
	t.Helper()
	// The invocation context Lambda gives the function: its ARN names the account of the events.
	if _, ok := lambdacontext.FromContext(ctx); !ok {
		ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
			AwsRequestID: "test-request", InvokedFunctionArn: "arn:aws:lambda:us-east-1:012345678912:function:corsguard"})
	}
	out, err := f.h.Lambda().Invoke(ctx, payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return nil
}

// depth returns the work queue's visible, in-flight and delayed messages.
func (f *fixture) depth(t *testing.T) (visible, inFlight, delayed int) {
	t.Helper()
	visible, inFlight, delayed, ok := f.emu.QueueDepth(workQueue)
	if !ok {
		t.Fatal("no work queue")
	}
	return visible, inFlight, delayed
}

// receive takes up to ten messages off the queue, as Lambda's event source mapping does, and
// returns them as the event it sends the function.
func (f *fixture) receive(t *testing.T) events.SQSEvent {
	t.Helper()
	out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(f.queueURL), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:012345678912:" + workQueue})
	}
	return ev
}

// deliver hands a batch to the function and, as the event source mapping does, deletes every
// record it did not report as failed.
func (f *fixture) deliver(t *testing.T, ev events.SQSEvent) events.SQSEventResponse {
	t.Helper()
	payload, _ := json.Marshal(ev)
	var resp events.SQSEventResponse
	if err := f.invoke(t, invocation(), payload, &resp); err != nil {
		t.Fatalf("the worker failed the whole batch: %v", err)
	}
	failed := map[string]bool{}
	for _, r := range resp.BatchItemFailures {
		failed[r.ItemIdentifier] = true
	}
	for _, r := range ev.Records {
		if failed[r.MessageId] {
			continue
		}
		if _, err := f.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(f.queueURL), ReceiptHandle: aws.String(r.ReceiptHandle)}); err != nil {
			t.Fatal(err)
		}
	}
	return resp
}

// drain delivers batches until no message is visible, and returns how many it delivered.
func (f *fixture) drain(t *testing.T) int {
	t.Helper()
	n := 0
	for {
		ev := f.receive(t)
		if len(ev.Records) == 0 {
			return n
		}
		if len(ev.Records) > 10 {
			t.Fatalf("a batch of %d records", len(ev.Records))
		}
		f.deliver(t, ev)
		n++
	}
}

func (f *fixture) seedBuckets(t *testing.T, n int, cors policy.Policy) []string {
	t.Helper()
	var names []string
	for i := range n {
		name := fmt.Sprintf("media-%03d", i)
		if err := f.emu.SeedBucket(name, "", cors, nil); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

func TestASweepEnqueuesOneMessagePerResourceAndTheWorkersConvergeThem(t *testing.T) {
	f := queueFixture(t)
	names := f.seedBuckets(t, 25, loose)
	if err := f.emu.SeedContainer("live", "ACTIVE", loose, nil); err != nil {
		t.Fatal(err)
	}

	var res Result
	if err := f.invoke(t, invocation(), sweep("sweep-1"), &res); err != nil {
		t.Fatal(err)
	}
	if res.Queue == nil || res.Queue.Enqueued != 26 {
		t.Fatalf("queue result %+v, want 26 messages enqueued", res.Queue)
	}
	if n := f.emu.Calls()["GetBucketCors"]; n != 0 {
		t.Errorf("the router read %d bucket policies; the workers do", n)
	}
	if res.Queue.Calls[workqueue.ActionSendMessage] != 4 {
		t.Errorf("SQS calls %v, want 4 SendMessageBatch (the container; the buckets 10 + 10 + 5)", res.Queue.Calls)
	}
	if v, _, _ := f.depth(t); v != 26 {
		t.Fatalf("%d messages visible, want 26", v)
	}

	if batches := f.drain(t); batches < 3 {
		t.Errorf("%d batches for 26 messages", batches)
	}
	for _, name := range names {
		if got := f.bucketCors(t, name); !policy.Equal(got, want) {
			t.Errorf("bucket %s has %v, want the baseline", name, got)
		}
	}
	if got := f.containerCors(t, "live"); !policy.Equal(got, want) {
		t.Errorf("container live has %v", got)
	}
	if v, inFlight, delayed := f.depth(t); v+inFlight+delayed != 0 {
		t.Errorf("queue left with %d visible, %d in flight, %d delayed", v, inFlight, delayed)
	}
}

func TestDeduplicationDropsARetriedEventButNotALaterOne(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 5, loose)
	for _, id := range []string{"sweep-1", "sweep-1", "sweep-2"} { // Lambda's retry of sweep-1, then the next sweep
		var res Result
		if err := f.invoke(t, invocation(), sweep(id), &res); err != nil {
			t.Fatal(err)
		}
	}
	// Five buckets, one container-less store: per sweep 5 messages; the retry is dropped.
	if v, _, _ := f.depth(t); v != 10 {
		t.Errorf("%d messages on the queue, want 10 (sweep-1 once, sweep-2 once)", v)
	}
}

func TestAnInvalidBaselineEnqueuesNothingAndIsTerminal(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 3, loose)
	if err := f.emu.SeedParameter(baseline, "String", `[{"AllowedOrigin":["*"]}]`, ""); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := f.invoke(t, invocation(), sweep("sweep-1"), &res); err != nil {
		t.Fatalf("a terminal failure failed the invocation: %v", err)
	}
	if res.Baseline.Valid || res.Queue.Enqueued != 0 {
		t.Errorf("baseline valid %v, enqueued %d; want invalid and nothing enqueued", res.Baseline.Valid, res.Queue.Enqueued)
	}
	if v, _, _ := f.depth(t); v != 0 {
		t.Errorf("%d messages enqueued under an invalid baseline", v)
	}
	if !strings.Contains(f.metrics.String(), `"TerminalFailures":2`) {
		t.Errorf("metrics %s: want TerminalFailures 2 (the baseline is invalid for both kinds)", f.metrics.String())
	}
}

// A router whose deadline is already inside the margin makes no AWS call: every call runs
// before the deadline less the margin. It fails retryably (Lambda retries the event) and still
// writes its summary and metrics. (The listing carried on through the queue when the deadline
// comes between pages is e2e's TestASweepLargerThanOneInvocationConvergesThroughTheQueue.)
func TestARouterInsideItsMarginCallsNothingAndStillReports(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 3, loose)
	ctx, cancel := context.WithTimeout(invocation(), 5*time.Second) // the margin is 10 s
	defer cancel()
	var res Result
	err := f.invoke(t, ctx, sweep("sweep-1"), &res)
	var runErr *RunError
	if !errors.As(err, &runErr) {
		t.Fatalf("error %v, want a RunError (a retry can fix a deadline)", err)
	}
	if n := f.emu.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls inside the margin: %v", n, f.emu.Calls())
	}
	if !strings.Contains(f.logs.String(), `"msg":"run finished"`) || !strings.Contains(f.metrics.String(), `"RunFailed":1`) {
		t.Errorf("no summary line or no RunFailed metric:\n%s\n%s", f.logs.String(), f.metrics.String())
	}
}

func TestABusyResourceGoesBackWithADelayAndHoldsOnlyItsOwnGroup(t *testing.T) {
	f := queueFixture(t)
	if err := f.emu.SeedContainer("fresh", "ACTIVE", loose, nil); err != nil {
		t.Fatal(err)
	}
	f.seedBuckets(t, 2, loose)
	// Two events about "fresh" (same group, in order), one about each bucket.
	for i, payload := range [][]byte{
		event("e1", "aws.mediastore", "AWS API Call via CloudTrail", `{"eventName":"PutCorsPolicy","requestParameters":{"containerName":"fresh"}}`),
		event("e2", "aws.mediastore", "AWS API Call via CloudTrail", `{"eventName":"DeleteCorsPolicy","requestParameters":{"containerName":"fresh"}}`),
		event("e3", "aws.s3", "AWS API Call via CloudTrail", `{"eventName":"PutBucketCors","requestParameters":{"bucketName":"media-000"}}`),
		event("e4", "aws.s3", "AWS API Call via CloudTrail", `{"eventName":"PutBucketCors","requestParameters":{"bucketName":"media-001"}}`),
	} {
		var res Result
		if err := f.invoke(t, invocation(), payload, &res); err != nil || res.Queue.Enqueued != 1 {
			t.Fatalf("event %d: %v, %+v", i, err, res.Queue)
		}
	}
	f.emu.Script("GetCorsPolicy", "fresh", 1, "ContainerInUseException")

	ev := f.receive(t)
	if len(ev.Records) != 4 {
		t.Fatalf("a batch of %d, want all 4", len(ev.Records))
	}
	resp := f.deliver(t, ev)
	var failed []string
	for _, r := range resp.BatchItemFailures {
		failed = append(failed, r.ItemIdentifier)
	}
	wantFailed := []string{ev.Records[0].MessageId, ev.Records[1].MessageId}
	if !slices.Equal(failed, wantFailed) {
		t.Errorf("batch item failures %v, want the busy container's record and its group's later one %v", failed, wantFailed)
	}
	for _, name := range []string{"media-000", "media-001"} {
		if !policy.Equal(f.bucketCors(t, name), want) {
			t.Errorf("%s was not reconciled: another group's failure held it back", name)
		}
	}
	// The busy record waits out its delay (at least the 5 s floor), invisible; the skipped one
	// is back at once but its group is locked behind the delayed head.
	v, inFlight, delayed := f.depth(t)
	if v+inFlight+delayed != 2 {
		t.Errorf("queue: %d visible, %d in flight, %d delayed; want the container's 2 messages", v, inFlight, delayed)
	}
	if again := f.receive(t); len(again.Records) != 0 {
		t.Errorf("received %d records of a group whose head is delayed", len(again.Records))
	}
	if n := f.emu.ResourceCalls("PutCorsPolicy", "fresh"); n != 0 {
		t.Errorf("the busy container was written %d times", n)
	}
}

func TestATerminalFailureIsReportedAndDeletedNotRetried(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 2, loose)
	f.emu.Script("GetBucketCors", "media-000", 1, "AccessDenied")
	var res Result
	if err := f.invoke(t, invocation(), sweep("sweep-1"), &res); err != nil {
		t.Fatal(err)
	}
	resp := f.deliver(t, f.receive(t))
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("batch item failures %v: a denied call cannot be fixed by a retry", resp.BatchItemFailures)
	}
	if v, inFlight, delayed := f.depth(t); v+inFlight+delayed != 0 {
		t.Errorf("queue left with %d visible, %d in flight, %d delayed", v, inFlight, delayed)
	}
	if !strings.Contains(f.metrics.String(), `"TerminalFailures":1`) {
		t.Errorf("metrics: want TerminalFailures 1 in %s", f.metrics.String())
	}
}

func TestADirectAuditStaysInProcessWithAQueue(t *testing.T) {
	f := queueFixture(t)
	f.seedBuckets(t, 2, loose)
	var res Result
	if err := f.invoke(t, invocation(), []byte(`{"action":"audit"}`), &res); err != nil {
		t.Fatal(err)
	}
	if res.Queue != nil || len(res.Entries) != 2 || res.Totals["drifted"] != 2 {
		t.Errorf("queue %+v, %d entries, totals %v; want an in-process audit of both buckets", res.Queue, len(res.Entries), res.Totals)
	}
	if v, _, _ := f.depth(t); v != 0 {
		t.Errorf("%d messages enqueued by a direct invocation", v)
	}
}

func TestALongContainerNameIsItsOwnHashedGroup(t *testing.T) {
	f := queueFixture(t)
	long := strings.Repeat("a", 200) + "-live"
	if err := f.emu.SeedContainer(long, "ACTIVE", loose, nil); err != nil {
		t.Fatal(err)
	}
	var res Result
	detail := fmt.Sprintf(`{"eventName":"PutCorsPolicy","requestParameters":{"containerName":%q}}`, long)
	if err := f.invoke(t, invocation(), event("e1", "aws.mediastore", "AWS API Call via CloudTrail", detail), &res); err != nil {
		t.Fatal(err)
	}
	if res.Queue.Enqueued != 1 {
		t.Fatalf("queue result %+v", res.Queue)
	}
	f.drain(t)
	if !policy.Equal(f.containerCors(t, long), want) {
		t.Error("the container with a long name was not converged")
	}
}

func (f *fixture) bucketCors(t *testing.T, name string) policy.Policy {
	t.Helper()
	b, ok := f.emu.Bucket(name)
	if !ok {
		t.Fatalf("no bucket %s", name)
	}
	return parseCors(t, b.CorsPolicy)
}

func (f *fixture) containerCors(t *testing.T, name string) policy.Policy {
	t.Helper()
	c, ok := f.emu.Container(name)
	if !ok {
		t.Fatalf("no container %s", name)
	}
	return parseCors(t, c.CorsPolicy)
}

func parseCors(t *testing.T, raw []byte) policy.Policy {
	t.Helper()
	if raw == nil {
		return nil
	}
	p, err := policy.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A CloudTrail record of a hand-made change to a response headers policy goes through the
// work queue like a container's or a bucket's: one message, and the worker repairs the policy
// with every other field kept.
func TestAResponseHeadersPolicyEventGoesThroughTheQueue(t *testing.T) {
	f := newFixture(t, map[string]string{config.QueueURL: workQueue, config.Targets: "cloudfront", config.Rate: "1000",
		config.CloudFrontParameter: "/corsguard/cloudfront"})
	if err := f.emu.SeedParameter("/corsguard/cloudfront", "String", `{"CorsConfig": {
		"AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://player.example.com"]},
		"AccessControlAllowHeaders": {"Quantity": 0},
		"AccessControlAllowMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
		"AccessControlAllowCredentials": false, "OriginOverride": true}}`, ""); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	created, err := f.cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: &cftypes.ResponseHeadersPolicyConfig{
		Name: aws.String("media-cors"), Comment: aws.String("kept"),
		CorsConfig: &cftypes.ResponseHeadersPolicyCorsConfig{
			AccessControlAllowOrigins:     &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: []string{"*"}},
			AccessControlAllowHeaders:     &cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(0), Items: []string{}},
			AccessControlAllowMethods:     &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(1), Items: []cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues{"ALL"}},
			AccessControlAllowCredentials: aws.Bool(false), OriginOverride: aws.Bool(false)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile("../events/cloudtrail-update-response-headers-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := f.invoke(t, ctx, sample, &res); err != nil {
		t.Fatal(err)
	}
	if res.Queue == nil || res.Queue.Enqueued != 1 {
		t.Fatalf("queue result %+v, want one message", res.Queue)
	}
	f.drain(t)
	got, err := f.cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: created.ResponseHeadersPolicy.Id})
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.ResponseHeadersPolicy.ResponseHeadersPolicyConfig
	if items := cfg.CorsConfig.AccessControlAllowOrigins.Items; len(items) != 1 || items[0] != "https://player.example.com" || aws.ToString(cfg.Comment) != "kept" {
		t.Errorf("policy after the worker: %+v", cfg)
	}
	if v, inFlight, delayed := f.depth(t); v+inFlight+delayed != 0 {
		t.Errorf("queue left with %d visible, %d in flight, %d delayed", v, inFlight, delayed)
	}
}
