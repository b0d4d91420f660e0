package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// The controller's rules (issue 21), each through the real bootstrap under aws-lambda-rie, the
// emulator's SQS FIFO queue and emulator/esm as Lambda's event source mapping.

// v2 is a newer baseline than baseline.
var v2 = policy.Policy{{
	AllowedOrigins: []string{"https://player.example.com", "https://v2.example.com"},
	AllowedMethods: []string{"GET", "HEAD"},
	AllowedHeaders: []string{"*"},
	MaxAgeSeconds:  600,
}}

// send puts raw message bodies on the work queue, each in its own group, as a router (or
// someone else with sqs:SendMessage) would.
func (q *queued) send(t *testing.T, bodies ...string) {
	t.Helper()
	for i, body := range bodies {
		_, err := q.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q.queueURL),
			MessageBody: aws.String(body), MessageGroupId: aws.String(fmt.Sprintf("g%d", i)),
			MessageDeduplicationId: aws.String(fmt.Sprintf("d%d-%d", i, time.Now().UnixNano()))})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// drain runs the event source mapping until nothing is deliverable.
func (q *queued) drain(t *testing.T) {
	t.Helper()
	m, _ := q.mapping(nil)
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.FunctionErrors != 0 {
		t.Errorf("%d function errors: a worker failed a whole batch", stats.FunctionErrors)
	}
}

// workerLines returns the workers' log lines with the message.
func (q *queued) workerLines(msg string) []map[string]any {
	var out []map[string]any
	for _, w := range q.workers {
		out = append(out, w.out.logs(msg)...)
	}
	return out
}

// terminalReported reports whether a worker's summary line counts a terminal failure, at ERROR.
func (q *queued) terminalReported() bool {
	return slices.ContainsFunc(q.workerLines("run finished"), func(l map[string]any) bool {
		n, _ := l["terminal_failures"].(float64)
		return n > 0 && l["level"] == "ERROR"
	})
}

// Defect 1: a direct {"action":"enforce"} with a queue enqueues its resources and writes nothing
// itself: FIFO order per resource then keeps the older baseline from overwriting the newer one.
func TestADirectEnforceWithAQueueEnqueuesAndNeverWritesInProcess(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	for i := range 6 {
		a.seed(t, fmt.Sprintf("live-%d", i), drifted, nil)
	}
	q := newQueued(t, a, 2, map[string]string{"CORSGUARD_WORKERS": "1"}, nil)
	a.SetLatency("PutCorsPolicy", 50*time.Millisecond)

	inv := q.router.invoke(t, sample(t, "direct-enforce.json"))
	if inv.failed() || inv.Result.Queue == nil || inv.Result.Queue.Enqueued != 6 {
		t.Fatalf("direct enforce: %s; want the 6 containers enqueued", inv)
	}
	if n := a.CallCount("PutCorsPolicy"); n != 0 {
		t.Fatalf("the direct invocation wrote %d policies itself", n)
	}
	// The baseline moves on while the messages wait; its SSM event enqueues again.
	if err := a.SeedParameter(baselineParam, "String", string(v2.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	if inv := q.router.invoke(t, sample(t, "ssm-baseline-update.json")); inv.failed() || inv.Result.Queue.Enqueued != 6 {
		t.Fatalf("baseline changed: %s", inv)
	}
	q.drain(t)
	for i := range 6 {
		wantPolicy(t, a, fmt.Sprintf("live-%d", i), v2)
	}

	// A direct audit answers with its report, in-process, and enqueues nothing.
	inv = q.router.invoke(t, sample(t, "direct-audit.json"))
	if inv.failed() || inv.Result.Queue != nil || len(inv.Result.Entries) != 6 {
		t.Errorf("direct audit: %s; want an in-process report of 6", inv)
	}
}

// Defect 2: a worker of a function configured to audit never writes, whatever mode its
// messages carry (they were enqueued before the switch).
func TestAWorkerInAuditNeverWritesWhateverTheMessageSays(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seed(t, "live-news", drifted, nil)
	q := newQueued(t, a, 2, map[string]string{"CORSGUARD_MODE": "audit"}, nil)
	q.send(t, workqueue.Reconcile(policy.MediaStore, "live-news", enforce.ModeEnforce, "before the switch", "r1").Body())
	q.drain(t)
	if n := a.CallCount("PutCorsPolicy"); n != 0 {
		t.Errorf("a worker in audit wrote %d policies", n)
	}
	wantPolicy(t, a, "live-news", drifted)
	if !slices.ContainsFunc(q.workerLines("run finished"), func(l map[string]any) bool {
		return strings.Contains(fmt.Sprint(l["notable"]), "drifted")
	}) {
		t.Error("no worker reported live-news drifted")
	}
}

// Defect 3: the worker acts only on records of its own queue (account and name from
// CORSGUARD_QUEUE_URL, Region from AWS_REGION); others are logged and counted, never acted on
// and never given back.
func TestAWorkerActsOnlyOnItsOwnQueue(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seed(t, "live-news", drifted, nil)
	q := newQueued(t, a, 1, nil, nil)
	body := workqueue.Reconcile(policy.MediaStore, "live-news", enforce.ModeEnforce, "forged", "r1").Body()
	own := a.QueueARN(workQueue)
	for i, source := range []string{
		"arn:aws:sqs:eu-west-1:999999999999:" + workQueue,
		strings.Replace(own, ":us-east-1:", ":eu-west-1:", 1),
		strings.Replace(own, ":"+a.Account()+":", ":999999999999:", 1),
		own + "-other",
		"not an arn",
	} {
		ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: fmt.Sprintf("m%d", i), ReceiptHandle: "r", Body: body,
			EventSource: "aws:sqs", EventSourceARN: source, AWSRegion: "eu-west-1",
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "MessageGroupId": "mediastore/live-news"}}}}
		payload, _ := json.Marshal(ev)
		inv := q.workers[0].invoke(t, payload)
		var resp events.SQSEventResponse
		if err := json.Unmarshal(inv.Body, &resp); err != nil || inv.failed() || len(resp.BatchItemFailures) != 0 {
			t.Errorf("record of %s: %s; want no failure returned", source, inv)
		}
	}
	if n := a.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls for records of other queues: %v", n, a.Calls())
	}
	if got := len(q.workerLines("record of another queue ignored")); got != 5 {
		t.Errorf("%d log lines about foreign records, want 5", got)
	}
	if !slices.ContainsFunc(q.workers[0].out.metrics(), func(m map[string]any) bool { return m["ForeignRecords"] == float64(1) }) {
		t.Error("no ForeignRecords metric")
	}
}

// Defect 4: a kind that cannot be listed for a terminal reason (MediaStore gone answers
// AccessDenied) is reported; the other kinds are swept; the invocation succeeds.
func TestAKindThatCannotBeListedDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	for i := range 3 {
		if err := a.SeedBucket(fmt.Sprintf("media-%d", i), "", drifted, nil); err != nil {
			t.Fatal(err)
		}
	}
	a.Script("ListContainers", "", 1, "AccessDeniedException")
	q := newQueued(t, a, 2, map[string]string{"CORSGUARD_TARGETS": "mediastore,s3"}, nil)
	inv := q.router.invoke(t, scheduled("sweep-denied"))
	if inv.failed() || inv.Result.Queue == nil || inv.Result.Queue.Enqueued != 3 {
		t.Fatalf("router: %s; want the 3 buckets enqueued and success", inv)
	}
	if k := inv.Result.KindErrors; len(k) != 1 || k[0].Kind != policy.MediaStore || k[0].Retryable {
		t.Errorf("kind errors %+v, want mediastore's, terminal", k)
	}
	if l := q.router.out.logs("run finished"); len(l) != 1 || l[0]["terminal_failures"] != float64(1) {
		t.Errorf("router summary %v: want terminal_failures 1", l)
	}
	q.drain(t)
	for i := range 3 {
		if got := a.bucketPolicy(t, fmt.Sprintf("media-%d", i)); !policy.Equal(got, baseline) {
			t.Errorf("media-%d: %v", i, got)
		}
	}
}

// Defect 5: one baseline valid for S3 and not for MediaStore (it allows POST) sweeps the
// buckets on the queue path too, and reports MediaStore's baseline.
func TestAnInvalidBaselineForOneKindDoesNotBlockTheOthersOnTheQueue(t *testing.T) {
	t.Parallel()
	withPost := policy.Policy{{AllowedOrigins: []string{"https://upload.example.com"}, AllowedMethods: []string{"GET", "POST"}, AllowedHeaders: []string{"*"}}}
	a := newAccount(t, string(withPost.JSON()))
	a.seed(t, "live-news", drifted, nil)
	for i := range 3 {
		if err := a.SeedBucket(fmt.Sprintf("media-%d", i), "", drifted, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := newQueued(t, a, 2, map[string]string{"CORSGUARD_TARGETS": "mediastore,s3"}, nil)
	inv := q.router.invoke(t, scheduled("sweep-post"))
	if inv.failed() || inv.Result.Queue == nil || inv.Result.Queue.Enqueued != 3 {
		t.Fatalf("router: %s; want the 3 buckets enqueued", inv)
	}
	q.drain(t)
	for i := range 3 {
		if got := a.bucketPolicy(t, fmt.Sprintf("media-%d", i)); !policy.Equal(got, withPost) {
			t.Errorf("media-%d: %v", i, got)
		}
	}
	wantPolicy(t, a, "live-news", drifted)
}

// Defect 6: a listing message that cannot go on (denied, a forged token, a kind no longer
// among the targets) is terminal: reported, alarmed and deleted, never given back until the DLQ.
func TestAListingMessageThatCannotGoOnIsTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(a *account)
		msg   workqueue.Message
	}{
		{"denied", func(a *account) { a.Script("ListBuckets", "", 1, "AccessDenied") }, workqueue.List(policy.S3, "", enforce.ModeEnforce, "sweep", "r1")},
		{"a forged token", func(*account) {}, workqueue.List(policy.S3, "forged", enforce.ModeEnforce, "sweep", "r1")},
		{"a kind no longer a target", func(*account) {}, workqueue.List(policy.MediaStore, "", enforce.ModeEnforce, "sweep", "r1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()))
			if err := a.SeedBucket("media-0", "", drifted, nil); err != nil {
				t.Fatal(err)
			}
			tc.setup(a)
			q := newQueued(t, a, 1, map[string]string{"CORSGUARD_TARGETS": "s3"}, nil)
			q.send(t, tc.msg.Body())
			q.drain(t)
			if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
				t.Errorf("%d messages left: the listing was given back", d)
			}
			if !q.terminalReported() {
				t.Errorf("no worker reported a terminal failure:\n%v", q.workerLines("run finished"))
			}
		})
	}
}

// Defect 11: message bodies are decoded as strictly as baselines, names validated per kind
// before any call: each bad body is reported terminal and deleted, and nothing is called.
func TestQueueMessagesAreDecodedStrictly(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount))
	for _, name := range []string{"home-bucket", "west-bucket"} {
		if err := a.SeedBucket(name, "", drifted, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := newQueued(t, a, 1, map[string]string{"CORSGUARD_TARGETS": "s3", "CORSGUARD_SECURITY_HUB": "true"}, nil)
	bodies := []string{
		`{"op":"reconcile","kind":"s3","name":"home-bucket/../west-bucket","mode":"enforce","why":"x","request":"r"}`,
		`{"op":"reconcile","kind":"s3","name":"arn:aws:s3:::west-bucket","mode":"enforce","why":"x","request":"r"}`,
		`{"op":"reconcile","kind":"s3","name":"home-bucket","Name":"west-bucket","mode":"enforce","why":"x","request":"r"}`,
		`{"op":"reconcile","kind":"s3","name":"` + strings.Repeat("a", 1200) + `","mode":"enforce","why":"x","request":"r"}`,
		`{"op":"reconcile","kind":"s3","name":"","mode":"enforce","why":"x","request":"r"}`,
		`{"op":"reconcile","kind":"s3","name":"west-bucket","mode":"enforce","why":"x","request":"r","extra":1}`,
		`{"op":"delete","kind":"s3","name":"west-bucket","mode":"enforce","why":"x","request":"r"}`,
		`{"op":"reconcile","kind":"lambda","name":"west-bucket","mode":"enforce","why":"x","request":"r"}`,
		`{"op":"reconcile","kind":"s3","name":"west-bucket","mode":"repair","why":"x","request":"r"}`,
		`null`,
		`not json`,
	}
	q.send(t, bodies...)
	q.drain(t)
	if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
		t.Errorf("%d messages left: a bad body was given back", d)
	}
	for _, op := range []string{"GetBucketCors", "PutBucketCors", "GetBucketTagging"} {
		if n := a.CallCount(op); n != 0 {
			t.Errorf("%d %s calls for bad bodies", n, op)
		}
	}
	if got := a.bucketPolicy(t, "west-bucket"); !policy.Equal(got, drifted) {
		t.Errorf("west-bucket was written: %v", got)
	}
	terminal := 0
	for _, l := range q.workerLines("run finished") {
		n, _ := l["terminal_failures"].(float64)
		terminal += int(n)
	}
	if terminal != len(bodies) {
		t.Errorf("%d terminal failures reported, want %d (one per body)", terminal, len(bodies))
	}
	if f := a.Findings(); len(f) != 0 {
		t.Errorf("%d Security Hub findings for bodies that name no resource: %v", len(f), f)
	}
}

// Defect 9: every AWS call of the router runs under the deadline margin: with a call ten times
// slower than the function's timeout, the invocation still ends with its summary line and EMF.
func TestEveryCallOfTheRouterKeepsTheDeadlineMargin(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"GetParameter", "SendMessageBatch", "ListBuckets", "GetFindings"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount))
			if err := a.SeedBucket("media-0", "", drifted, nil); err != nil {
				t.Fatal(err)
			}
			q := newQueued(t, a, 0, map[string]string{"CORSGUARD_TARGETS": "s3", "CORSGUARD_SECURITY_HUB": "true",
				"AWS_LAMBDA_FUNCTION_TIMEOUT": "3", "CORSGUARD_DEADLINE_MARGIN": "2s"}, nil)
			a.SetLatency(op, 10*time.Second)
			inv := q.router.invoke(t, scheduled("sweep-slow-"+op))
			if len(q.router.out.logs("run finished")) != 1 || len(q.router.out.metrics()) != 1 {
				t.Fatalf("%s: no summary line or no EMF document:\n%s", inv, q.router.out)
			}
		})
	}
}

// Defect 10: a slow Security Hub import never times out a worker batch: its records were
// settled, and the import has its own budget inside the margin.
func TestASlowSecurityHubImportNeverTimesOutAWorkerBatch(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount))
	for i := range 2 {
		if err := a.SeedBucket(fmt.Sprintf("media-%d", i), "", drifted, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := newQueued(t, a, 1, map[string]string{"CORSGUARD_TARGETS": "s3", "CORSGUARD_SECURITY_HUB": "true",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "4", "CORSGUARD_DEADLINE_MARGIN": "2s"}, nil)
	if inv := q.router.invoke(t, scheduled("sweep-hub")); inv.failed() || inv.Result.Queue.Enqueued != 2 {
		t.Fatalf("router: %s", inv)
	}
	a.SetLatency("BatchImportFindings", 10*time.Second)
	q.drain(t)
	for i := range 2 {
		if got := a.bucketPolicy(t, fmt.Sprintf("media-%d", i)); !policy.Equal(got, baseline) {
			t.Errorf("media-%d: %v", i, got)
		}
	}
	if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
		t.Errorf("%d messages left: the batch went back to the queue", d)
	}
	if !slices.ContainsFunc(q.workers[0].out.metrics(), func(m map[string]any) bool {
		n, _ := m["FindingsFailed"].(float64)
		return n > 0
	}) {
		t.Error("no FindingsFailed metric for the import that ran out of time")
	}
}

// Defect 7: findings Security Hub refuses (FailedFindings) raise the FindingsFailed metric and
// TerminalFailures (alarmed), and the summary line does not say succeeded.
func TestRefusedFindingsRaiseTheAlarm(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount))
	a.seed(t, "live-news", baseline, nil)
	scope := findings.Scope{Account: rieAccount, Region: region}
	a.ScriptFinding(findings.ID(scope, policy.MediaStore, "live-news"), 10, "InvalidInput")
	env := fastEnv(a)
	env["CORSGUARD_SECURITY_HUB"] = "true"
	fn := startFunction(t, env)
	inv := fn.invoke(t, sample(t, "direct-audit.json"))
	if inv.failed() || inv.Result.SecurityHub == nil || len(inv.Result.SecurityHub.Failed) != 1 {
		t.Fatalf("%s: want one finding refused", inv)
	}
	docs := fn.out.metrics()
	if len(docs) != 1 || docs[0]["FindingsFailed"] != float64(1) || docs[0]["TerminalFailures"] != float64(1) {
		t.Errorf("EMF %v: want FindingsFailed 1 and TerminalFailures 1", docs)
	}
	if l := fn.out.logs("run finished"); len(l) != 1 || l[0]["succeeded"] != false {
		t.Errorf("summary %v: want succeeded false", l)
	}
}

// Defect 8: the findings of resources gone are archived even when a sweep's listing goes on in
// another invocation: a sweep archives what no run updated for the refresh period plus two sweep
// intervals.
func TestFindingsOfGoneResourcesAreArchivedWhenTheListingGoesOn(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount))
	for i := range 1001 { // two ListBuckets pages
		if err := a.SeedBucket(fmt.Sprintf("media-%04d", i), "", baseline, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A bucket deleted four hours ago (past a refresh period of 1h plus two sweeps of
	// rate(1 hour)): its finding stayed.
	scope := findings.Scope{Account: rieAccount, Region: region}
	gone := &enforce.Report{Entries: []enforce.Entry{{Name: "gone-bucket", Kind: policy.S3, Outcome: enforce.Drifted}}}
	then := findings.WithClock(clock.NewManual(time.Now().Add(-4 * time.Hour)))
	if _, err := findings.NewPublisher(securityhub.NewFromConfig(a.aws(t)), then).Publish(context.Background(), scope, gone, nil); err != nil {
		t.Fatal(err)
	}
	q := newQueued(t, a, 0, map[string]string{"CORSGUARD_TARGETS": "s3", "CORSGUARD_SECURITY_HUB": "true",
		"CORSGUARD_SWEEP_SCHEDULE": "rate(1 hour)", "CORSGUARD_SECURITY_HUB_REFRESH": "1h",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "6", "CORSGUARD_DEADLINE_MARGIN": "1s"}, nil)
	// A slow listing: the router lists the first page and hands the listing on.
	a.SetLatency("ListBuckets", 2*time.Second)
	inv := q.router.invoke(t, scheduled("sweep-archive"))
	if inv.failed() || inv.Result.Queue == nil || len(inv.Result.Queue.Continued) != 1 {
		t.Fatalf("router: %s; want the listing handed on", inv)
	}
	if inv.Result.SecurityHub == nil || inv.Result.SecurityHub.Archived != 1 {
		t.Errorf("router security_hub %+v: want gone-bucket's finding archived", inv.Result.SecurityHub)
	}
	for _, d := range a.Findings() {
		if d["Id"] == findings.ID(scope, policy.S3, "gone-bucket") && d["RecordState"] != "ARCHIVED" {
			t.Errorf("gone-bucket's finding is %v", d["RecordState"])
		}
	}
}

// A second direct enforce is a distinct request (its own Lambda request id): never dropped as a
// duplicate of the first within SQS's five-minute deduplication window.
func TestASecondDirectEnforceIsNotDroppedAsADuplicate(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seed(t, "live-news", drifted, nil)
	q := newQueued(t, a, 0, nil, nil)
	for range 2 {
		if inv := q.router.invoke(t, sample(t, "direct-enforce.json")); inv.failed() || inv.Result.Queue == nil || inv.Result.Queue.Enqueued != 1 {
			t.Fatalf("direct enforce: %s", inv)
		}
	}
	if d := q.depth(t, workQueue); d != 2 {
		t.Errorf("%d messages on the queue, want 2: the second request was dropped as a duplicate", d)
	}
}

// A bucket in another Region named by a message (S3 answers PermanentRedirect) is terminal:
// reported, deleted, never written and never given back.
func TestABucketInAnotherRegionOnTheQueueIsTerminal(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	if err := a.SeedBucket("west-bucket", "eu-west-1", drifted, nil); err != nil {
		t.Fatal(err)
	}
	q := newQueued(t, a, 1, map[string]string{"CORSGUARD_TARGETS": "s3"}, nil)
	q.send(t, workqueue.Reconcile(policy.S3, "west-bucket", enforce.ModeEnforce, "event", "r1").Body())
	q.drain(t)
	if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
		t.Errorf("%d messages left: the message was given back", d)
	}
	if got := a.bucketPolicy(t, "west-bucket"); !policy.Equal(got, drifted) {
		t.Errorf("west-bucket written: %v", got)
	}
	if !q.terminalReported() {
		t.Error("no worker reported the terminal failure")
	}
}
