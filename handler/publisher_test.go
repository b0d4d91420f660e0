package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// The findings queue: the workers hand their findings to a standard SQS queue and import
// nothing; the publisher, the same function fed by that queue's event source mapping, imports
// the changed ones 100 to a call.

const findingsQueue = "corsguard-findings"

// newPublisherFixture is a function with the work queue, Security Hub on and the findings
// queue, over n S3 buckets of which every other one has drifted.
func newPublisherFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := newFixture(t, map[string]string{config.QueueURL: workQueue, config.FindingsQueueURL: findingsQueue, config.Targets: "s3",
		config.Mode: "audit", config.Rate: "1000", config.SecurityHub: "true"})
	must(t, f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""))
	for i := range n {
		cors := want
		if i%2 == 0 {
			cors = loose
		}
		must(t, f.emu.SeedBucket(fmt.Sprintf("media-%04d", i), "", cors, nil))
	}
	return f
}

// findingsBatch receives every visible findings message (up to limit) as one batch, as the
// findings queue's event source mapping gathers them within its window.
func (f *fixture) findingsBatch(t *testing.T, limit int) events.SQSEvent {
	t.Helper()
	var ev events.SQSEvent
	for len(ev.Records) < limit {
		out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(f.findingsURL), MaxNumberOfMessages: int32(min(10, limit-len(ev.Records))),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
				Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:012345678912:" + findingsQueue})
		}
	}
	return ev
}

// publish hands ev to the function and, as the mapping does, deletes the records it did not
// report as failed; it returns the failed ones and the function's summary line.
func (f *fixture) publish(t *testing.T, ev events.SQSEvent) []string {
	t.Helper()
	payload, _ := json.Marshal(ev)
	var resp events.SQSEventResponse
	if err := f.invoke(t, invocation(), payload, &resp); err != nil {
		t.Fatalf("the publisher failed the whole batch: %v", err)
	}
	var failed []string
	for _, r := range resp.BatchItemFailures {
		failed = append(failed, r.ItemIdentifier)
	}
	for _, r := range ev.Records {
		if slices.Contains(failed, r.MessageId) || r.EventSourceARN != "arn:aws:sqs:us-east-1:012345678912:"+findingsQueue {
			continue
		}
		if _, err := f.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(f.findingsURL), ReceiptHandle: aws.String(r.ReceiptHandle)}); err != nil {
			t.Fatal(err)
		}
	}
	return failed
}

// lastSummary returns the function's last "run finished" line.
func (f *fixture) lastSummary(t *testing.T) map[string]any {
	t.Helper()
	var last map[string]any
	for _, l := range lines(t, &f.logs) {
		if l["msg"] == "run finished" {
			last = l
		}
	}
	return last
}

func TestWorkersHandFindingsToTheQueueAndThePublisherImportsThemByTheHundred(t *testing.T) {
	const n = 230
	f := newPublisherFixture(t, n)
	var res Result
	must(t, f.invoke(t, invocation(), sweep("sweep-1"), &res))
	f.emu.ResetCalls() // the router's archive step reads findings; the workers must not
	batches := f.drain(t)
	if calls := f.emu.CallCount("BatchImportFindings") + f.emu.CallCount("GetFindings"); calls != 0 {
		t.Fatalf("the workers called Security Hub %d times; they must hand their findings over", calls)
	}
	if v, _, _, _ := f.emu.QueueDepth(findingsQueue); v != batches {
		t.Errorf("%d findings messages for %d worker batches, want one each", v, batches)
	}

	ev := f.findingsBatch(t, 100)
	if failed := f.publish(t, ev); len(failed) != 0 {
		t.Fatalf("the publisher gave back %v", failed)
	}
	if got, want := f.emu.CallCount("BatchImportFindings"), (n+99)/100; got != want {
		t.Errorf("%d BatchImportFindings calls for %d findings, want %d", got, n, want)
	}
	// The sweep's listing read the previous findings (none) and stamped every message: the
	// publisher reads nothing back.
	if got := f.emu.CallCount("GetFindings"); got != 0 {
		t.Errorf("%d GetFindings calls for %d findings the listing stamped, want 0", got, n)
	}
	states := map[string]int{}
	for _, d := range f.emu.Findings() {
		states[d["Compliance"].(map[string]any)["Status"].(string)]++
	}
	if states["FAILED"] != n/2 || states["PASSED"] != n/2 {
		t.Errorf("findings by status %v, want %d FAILED and %d PASSED", states, n/2, n/2)
	}
	if s := f.lastSummary(t); s["event"] != string(FindingsBatch) || s["succeeded"] != true {
		t.Errorf("the publisher's summary: event %v, succeeded %v", s["event"], s["succeeded"])
	}

	// A second sweep of the unchanged estate: the listing reads the findings 100 to a call,
	// the workers hand over nothing, and nothing is imported.
	f.emu.ResetCalls()
	must(t, f.invoke(t, invocation(), sweep("sweep-2"), &res))
	f.drain(t)
	if v, _, _, _ := f.emu.QueueDepth(findingsQueue); v != 0 {
		t.Errorf("the second sweep of an unchanged estate handed %d findings messages, want 0", v)
	}
	for ev := f.findingsBatch(t, 100); len(ev.Records) > 0; ev = f.findingsBatch(t, 100) {
		f.publish(t, ev)
	}
	if got := f.emu.CallCount("BatchImportFindings"); got != 0 {
		t.Errorf("the second sweep of an unchanged estate made %d BatchImportFindings calls, want 0", got)
	}
	// The listing's pages of 100, and the router's archive step's one read.
	if got, want := f.emu.CallCount("GetFindings"), (n+99)/100+1; got != want {
		t.Errorf("the second sweep made %d GetFindings calls for %d findings, want %d (100 to a page, and the archive step's)", got, n, want)
	}
}

// Messages without the previous finding (an event's, or an older corsguard's): the publisher
// reads their findings back by Id, 20 to a GetFindings call, and imports the changed ones.
func TestThePublisherReadsBackByIdWhatNoListingStamped(t *testing.T) {
	const n = 50
	f := newPublisherFixture(t, n)
	var msgs []workqueue.Message
	for i := range n {
		msgs = append(msgs, workqueue.Reconcile(policy.S3, fmt.Sprintf("media-%04d", i), enforce.ModeAudit, "test", "event-1"))
	}
	must(t, workqueue.New(f.sqs, f.queueURL).Send(context.Background(), msgs))
	f.emu.ResetCalls()
	f.drain(t)
	for ev := f.findingsBatch(t, 100); len(ev.Records) > 0; ev = f.findingsBatch(t, 100) {
		f.publish(t, ev)
	}
	if got, want := f.emu.CallCount("GetFindings"), (n+19)/20; got != want {
		t.Errorf("%d GetFindings calls for %d unstamped findings, want %d (20 Ids to a filter)", got, n, want)
	}
	if got := len(f.emu.Findings()); got != n {
		t.Errorf("%d findings imported, want %d", got, n)
	}
	// Again, unchanged: read back, and none imported.
	must(t, workqueue.New(f.sqs, f.queueURL).Send(context.Background(), func() []workqueue.Message {
		for i := range msgs {
			msgs[i].Request = "event-2"
		}
		return msgs
	}()))
	f.emu.ResetCalls()
	f.drain(t)
	for ev := f.findingsBatch(t, 100); len(ev.Records) > 0; ev = f.findingsBatch(t, 100) {
		f.publish(t, ev)
	}
	if got := f.emu.CallCount("BatchImportFindings"); got != 0 {
		t.Errorf("unchanged unstamped findings: %d BatchImportFindings calls, want 0", got)
	}
}

func TestAPublisherBatchThatFailsRetryablyIsGivenBack(t *testing.T) {
	f := newPublisherFixture(t, 30)
	var res Result
	must(t, f.invoke(t, invocation(), sweep("sweep-1"), &res))
	f.drain(t)
	ev := f.findingsBatch(t, 100)
	// Throttled past the SDK's retries.
	f.emu.Script("BatchImportFindings", "", sdkAttempts, "ThrottlingException")
	failed := f.publish(t, ev)
	if len(failed) != len(ev.Records) || len(ev.Records) == 0 {
		t.Fatalf("given back %d of %d records, want all", len(failed), len(ev.Records))
	}
	if n := len(f.emu.Findings()); n != 0 {
		t.Errorf("%d findings imported", n)
	}
	for _, m := range lines(t, &f.metrics) {
		if v, ok := m[MetricTerminalFailures].(float64); ok && v != 0 {
			t.Errorf("a retryable failure raised TerminalFailures %v", v)
		}
	}
	// Delivered again (the mapping leaves them on the queue): imported this time.
	f.emu.ClearFaults()
	f.sqsVisibleAgain(t, ev)
	if failed := f.publish(t, f.findingsBatch(t, 100)); len(failed) != 0 {
		t.Fatalf("second delivery gave back %v", failed)
	}
	if n := len(f.emu.Findings()); n != 30 {
		t.Errorf("%d findings after the second delivery, want 30", n)
	}
}

// sqsVisibleAgain makes the given-back records visible at once, as their visibility timeout
// ending would.
func (f *fixture) sqsVisibleAgain(t *testing.T, ev events.SQSEvent) {
	t.Helper()
	for _, r := range ev.Records {
		if _, err := f.sqs.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(f.findingsURL),
			ReceiptHandle: aws.String(r.ReceiptHandle), VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAMalformedFindingsMessageIsTerminalAndReported(t *testing.T) {
	f := newPublisherFixture(t, 4)
	var res Result
	must(t, f.invoke(t, invocation(), sweep("sweep-1"), &res))
	f.drain(t)
	for _, body := range []string{"not a findings message", `{"corsguard_findings":1,"account":"012345678912","region":"us-east-1","findings":[{"Id":"x"}]}`} {
		if _, err := f.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(f.findingsURL), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	ev := f.findingsBatch(t, 100)
	if failed := f.publish(t, ev); len(failed) != 0 {
		t.Fatalf("gave back %v: a malformed message is terminal, never retried", failed)
	}
	if n := len(f.emu.Findings()); n != 4 {
		t.Errorf("%d findings imported, want the 4 of the good message", n)
	}
	s := f.lastSummary(t)
	if s["terminal_failures"] != float64(2) || s["level"] != "ERROR" {
		t.Errorf("summary: terminal_failures %v, level %v; want 2 reported at ERROR", s["terminal_failures"], s["level"])
	}
	var alarmed float64
	for _, m := range lines(t, &f.metrics) {
		if v, ok := m[MetricTerminalFailures].(float64); ok {
			alarmed = v
		}
	}
	if alarmed != 2 {
		t.Errorf("TerminalFailures metric %v, want 2 (alarmed)", alarmed)
	}
	if v, inFlight, _, _ := f.emu.QueueDepth(findingsQueue); v+inFlight != 0 {
		t.Errorf("%d messages left on the findings queue", v+inFlight)
	}
}

func TestThePublisherIgnoresRecordsOfAnotherQueue(t *testing.T) {
	f := newPublisherFixture(t, 2)
	var res Result
	must(t, f.invoke(t, invocation(), sweep("sweep-1"), &res))
	f.drain(t)
	ev := f.findingsBatch(t, 100)
	// A record of another queue, carrying a valid findings message, in the same batch.
	stray := ev.Records[0]
	stray.MessageId, stray.EventSourceARN = "stray", "arn:aws:sqs:us-east-1:012345678912:someone-elses-queue"
	ev.Records = append(ev.Records, stray)
	failed := f.publish(t, ev)
	if slices.Contains(failed, "stray") {
		t.Error("the other queue's record was given back; it must be ignored")
	}
	s := f.lastSummary(t)
	queue, _ := s["queue"].(map[string]any)
	if queue["foreign"] != float64(1) {
		t.Errorf("queue summary %v, want foreign 1", queue)
	}
	var foreign float64
	for _, m := range lines(t, &f.metrics) {
		if v, ok := m[MetricForeignRecords].(float64); ok {
			foreign = v
		}
	}
	if foreign != 1 {
		t.Errorf("ForeignRecords metric %v, want 1", foreign)
	}
}

// With the workers' MaximumConcurrency at 50, the two publishers (the findings queue's
// MaximumConcurrency) together stay within corsguard's share of BatchImportFindings: the
// emulator's quota is set to the share itself (6 calls a second, burst 2), and a thousand
// findings handed over as fifty worker batches would are imported without one throttle. Each
// publisher is its own instance (its own token bucket), wired as cmd/enforcer wires one, except
// that GetFindings is unpaced here (its share is TestThePublishersShareOfSecurityHubDoesNotDependOnTheWorkers's
// and the e2e test's) so that the imports are what the quota sees.
func TestTwoPublishersStayWithinTheImportShareWhateverTheWorkersConcurrency(t *testing.T) {
	f := newPublisherFixture(t, 0)
	const share = 6
	f.emu.SetQuotas([]emulator.Quota{{Service: "securityhub", Ops: []string{"BatchImportFindings"}, Rate: share, Burst: 2, Per: emulator.PerAccount}})
	env := map[string]string{config.BaselineParameter: baseline, "AWS_REGION": "us-east-1", config.Targets: "s3",
		config.QueueURL: f.queueURL, config.FindingsQueueURL: f.findingsURL, config.SecurityHub: "true",
		config.SecurityHubRate: fmt.Sprint(share), config.MaxConcurrency: "50"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	must(t, err)
	publishers := make(chan *Handler, config.PublisherConcurrency)
	for range config.PublisherConcurrency {
		engine, err := enforce.New(cfg.Invocation(), ssm.NewFromConfig(f.cfg), enforce.S3(s3.NewFromConfig(f.cfg), "us-east-1"))
		must(t, err)
		pub := findings.NewPublisher(securityhub.NewFromConfig(f.cfg), findings.WithImportRate(cfg.FindingsRate()),
			findings.WithReadRate(1000), findings.WithRefresh(cfg.SecurityHubRefresh))
		publishers <- New(cfg.Engine, engine, WithRegion(cfg.Region), WithLogger(slog.New(slog.DiscardHandler)), WithMetrics(io.Discard),
			WithQueue(workqueue.New(sqs.NewFromConfig(f.cfg), cfg.QueueURL), engine), WithFindings(pub),
			WithFindingsQueue(findings.NewOutbox(sqs.NewFromConfig(f.cfg), cfg.FindingsQueueURL)))
	}

	// A thousand findings, handed over ten to a message as the workers do.
	scope := findings.Scope{Account: "012345678912", Region: "us-east-1"}
	outbox := findings.NewOutbox(f.sqs, f.findingsURL)
	for b := range 100 {
		rep := &enforce.Report{Mode: enforce.ModeAudit}
		for i := range 10 {
			rep.Entries = append(rep.Entries, enforce.Entry{Kind: policy.S3, Name: fmt.Sprintf("media-%04d", b*10+i), Outcome: enforce.Compliant})
		}
		if _, err := outbox.Hand(context.Background(), scope, findings.Build(scope, rep, stamp, nil), nil); err != nil {
			t.Fatal(err)
		}
	}
	// The window closes a batch before it holds 20 messages when the pollers find fewer, so
	// the imports are counted from the batches as they came: one per 100 findings of each.
	var mu sync.Mutex
	want := 0
	m := &esm.Mapping{Client: f.sqs, QueueURL: f.findingsURL, QueueARN: "arn:aws:sqs:us-east-1:012345678912:" + findingsQueue,
		BatchSize: 20, MaximumBatchingWindow: time.Millisecond, MaximumConcurrency: config.PublisherConcurrency, ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			h := <-publishers
			defer func() { publishers <- h }()
			mu.Lock()
			want += (10*len(ev.Records) + findings.MaxBatch - 1) / findings.MaxBatch
			mu.Unlock()
			resp, _ := h.Work(invocationOf(ctx), ev)
			return resp, nil
		}}
	stats, err := m.Run(context.Background())
	must(t, err)
	if stats.Failed != 0 || stats.Deleted != 100 {
		t.Fatalf("mapping: %+v", stats)
	}
	if n := len(f.emu.Findings()); n != 1000 {
		t.Errorf("%d findings, want 1000", n)
	}
	if n := f.emu.CallCount("BatchImportFindings"); n != want {
		t.Errorf("%d BatchImportFindings calls, want %d (one per 100 findings of each of %d publisher batches, not one per message)", n, want, stats.Invocations)
	}
	if th := f.emu.Throttled()["BatchImportFindings"]; th != 0 {
		t.Errorf("BatchImportFindings throttled %d times at the share's quota: the publishers together exceeded %d/s", th, share)
	}
}

// invocationOf adds the function's invocation context to ctx, as the Lambda runtime does.
func invocationOf(ctx context.Context) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID: "test-request", InvokedFunctionArn: "arn:aws:lambda:us-east-1:012345678912:function:corsguard"})
}

// Issue 29 through the work queue: a sweep of 1,050 buckets (two ListBuckets pages) with
// Security Hub on reads the previous findings 100 to a GetFindings call beside its listing, not
// 20 Ids to a call in the publishers; the first sweep imports every finding once, the second
// (an unchanged estate) hands over and imports nothing.
func TestAQueueSweepReadsThePreviousFindingsAHundredToACall(t *testing.T) {
	const n = 1050
	f := newPublisherFixture(t, n)
	sweepAndPublish := func(id string) (getFindings, imports int) {
		f.emu.ResetCalls()
		var res Result
		must(t, f.invoke(t, invocation(), sweep(id), &res))
		f.drain(t)
		for ev := f.findingsBatch(t, 100); len(ev.Records) > 0; ev = f.findingsBatch(t, 100) {
			if failed := f.publish(t, ev); len(failed) != 0 {
				t.Fatalf("the publisher gave back %v", failed)
			}
		}
		return f.emu.CallCount("GetFindings"), f.emu.CallCount("BatchImportFindings")
	}
	reads, imports := sweepAndPublish("sweep-1")
	// The listing's one read (no findings yet) and the router's archive step's.
	if reads != 2 {
		t.Errorf("first sweep: %d GetFindings calls, want 2 (the listing finds none; the archive step)", reads)
	}
	if want := (n + 99) / 100; imports != want {
		t.Errorf("first sweep: %d BatchImportFindings calls, want %d", imports, want)
	}
	if got := len(f.emu.Findings()); got != n {
		t.Fatalf("first sweep: %d findings, want %d", got, n)
	}
	reads, imports = sweepAndPublish("sweep-2")
	if want := (n+99)/100 + 1; reads < want || reads > want+1 {
		t.Errorf("second sweep: %d GetFindings calls, want %d (⌈%d ÷ 100⌉ and the archive step's; ⌈%d ÷ 20⌉ = %d by Id)", reads, want, n, n, (n+19)/20)
	}
	if imports != 0 {
		t.Errorf("second sweep of an unchanged estate: %d BatchImportFindings calls, want 0", imports)
	}
}

// findingOf returns the stored finding of one bucket.
func (f *fixture) findingOf(t *testing.T, bucket string) shtypes.AwsSecurityFinding {
	t.Helper()
	id := findings.ID(findings.Scope{Account: "012345678912", Region: "us-east-1"}, policy.S3, bucket)
	out, err := f.hub.GetFindings(context.Background(), &securityhub.GetFindingsInput{Filters: &shtypes.AwsSecurityFindingFilters{
		Id: []shtypes.StringFilter{{Value: aws.String(id), Comparison: shtypes.StringFilterComparisonEquals}}}})
	if err != nil || len(out.Findings) != 1 {
		t.Fatalf("the finding of %s: %v, %d found", bucket, err, len(out.Findings))
	}
	return out.Findings[0]
}

// reimport imports x again, changed by change, with UpdatedAt now: what another run (an
// event's publisher, a delete event's archive) would have imported.
func (f *fixture) reimport(t *testing.T, x shtypes.AwsSecurityFinding, change func(*shtypes.AwsSecurityFinding)) {
	t.Helper()
	change(&x)
	x.UpdatedAt = aws.String(findings.Timestamp(time.Now()))
	out, err := f.hub.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{x}})
	if err != nil || aws.ToInt32(out.SuccessCount) != 1 {
		t.Fatalf("import: %v %+v", err, out)
	}
}

// What the stamp cannot see: the listing reads the previous findings before the workers decide.
// An archived finding is reactivated, keeping its CreatedAt. A finding that another run imports
// between the listing's read and the worker's decision, in a state the resource no longer has,
// stays until the next sweep, whose listing reads it and whose worker imports the resource's
// state over it (docs/RELIABILITY.md, "Security Hub").
func TestWhatAnotherRunImportsBetweenTheListingAndTheWorkerLastsOneSweep(t *testing.T) {
	f := newPublisherFixture(t, 20) // odd buckets hold the baseline: PASSED
	sweepAndPublish := func(id string, between func()) int {
		f.emu.ResetCalls()
		var res Result
		must(t, f.invoke(t, invocation(), sweep(id), &res))
		if between != nil {
			between()
		}
		f.drain(t)
		for ev := f.findingsBatch(t, 100); len(ev.Records) > 0; ev = f.findingsBatch(t, 100) {
			f.publish(t, ev)
		}
		return f.emu.CallCount("BatchImportFindings")
	}
	sweepAndPublish("sweep-1", nil)
	archived := f.findingOf(t, "media-0001")
	f.reimport(t, archived, func(x *shtypes.AwsSecurityFinding) { x.RecordState = shtypes.RecordStateArchived })
	imports := sweepAndPublish("sweep-2", func() {
		// After the listing's read, before the worker decides: another run says media-0003
		// failed, in a state media-0003 does not have.
		f.reimport(t, f.findingOf(t, "media-0003"), func(x *shtypes.AwsSecurityFinding) {
			x.Compliance = &shtypes.Compliance{Status: shtypes.ComplianceStatusFailed}
			x.ProductFields = maps.Clone(x.ProductFields)
			x.ProductFields[findings.StateField] = "0123456789abcdef01234567"
		})
	})
	if got := f.findingOf(t, "media-0001"); got.RecordState != shtypes.RecordStateActive || aws.ToString(got.CreatedAt) != aws.ToString(archived.CreatedAt) {
		t.Errorf("the archived finding after the sweep: %s, CreatedAt %s; want ACTIVE, CreatedAt %s kept", got.RecordState, aws.ToString(got.CreatedAt), aws.ToString(archived.CreatedAt))
	}
	if imports != 2 {
		t.Errorf("second sweep: %d BatchImportFindings calls, want 2 (the other run's, and the reactivated finding)", imports)
	}
	if got := f.findingOf(t, "media-0003"); got.Compliance.Status != shtypes.ComplianceStatusFailed {
		t.Errorf("media-0003 after the second sweep: %s; the worker compared it with the listing's stamp (PASSED) and left it", got.Compliance.Status)
	}
	sweepAndPublish("sweep-3", nil)
	if got := f.findingOf(t, "media-0003"); got.Compliance.Status != shtypes.ComplianceStatusPassed {
		t.Errorf("media-0003 after the third sweep: %s, want PASSED: the next sweep's listing reads FAILED and its worker imports PASSED", got.Compliance.Status)
	}
}

// A listing message that carries a findings cursor, delivered to a function that no longer has
// Security Hub on (turned off while the sweep's listing went on): the listing goes on and reads
// no findings; every bucket is reconciled.
func TestAListingCursorReachingAFunctionWithoutFindingsIsIgnored(t *testing.T) {
	f := queueFixture(t)
	names := f.seedBuckets(t, 3, loose)
	list := workqueue.List(policy.S3, "", enforce.ModeEnforce, "sweep", "sweep-1")
	list.Findings = &workqueue.FindingsCursor{Token: "next-page"}
	f.send(t, list)
	f.emu.ResetCalls()
	f.drain(t)
	if got := f.emu.CallCount("GetFindings"); got != 0 {
		t.Errorf("%d GetFindings calls with findings off, want 0", got)
	}
	if got := f.emu.CallCount("PutBucketCors"); got != len(names) {
		t.Errorf("%d PutBucketCors calls, want %d: the listing must go on", got, len(names))
	}
}
