package esm_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// account is an emulator on a manual clock with a FIFO work queue (visibility 30 s) and its
// FIFO dead-letter queue (after 3 receives), and a real SQS client.
type account struct {
	emu    *emulator.Emulator
	clock  *clock.Manual
	client *sqs.Client
	url    string // the work queue's
	dlq    string
}

const visibility = 30 * time.Second

func newAccount(t *testing.T) *account {
	t.Helper()
	clock := clock.NewManual(epoch)
	emu := emulator.New(emulator.WithClock(clock), emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); srv.Close() })
	if err := emu.SeedQueue("work-dlq.fifo", map[string]string{"FifoQueue": "true"}); err != nil {
		t.Fatal(err)
	}
	err := emu.SeedQueue("work.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30",
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, emu.QueueARN("work-dlq.fifo"))})
	if err != nil {
		t.Fatal(err)
	}
	client := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: emulator.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})})
	return &account{emu: emu, clock: clock, client: client,
		url: emu.QueueURL(srv.URL, "work.fifo"), dlq: emu.QueueURL(srv.URL, "work-dlq.fifo")}
}

// send enqueues body in group, deduplicated on the body.
func (a *account) send(t *testing.T, group, body string) {
	t.Helper()
	_, err := a.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(a.url),
		MessageBody: aws.String(body), MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(body)})
	if err != nil {
		t.Fatal(err)
	}
}

// untilEmpty is an Idle hook: while the work queue still holds messages (in flight after a
// failure), move the clock past the visibility timeout and keep polling.
func (a *account) untilEmpty(context.Context) bool {
	v, inFlight, delayed, _ := a.emu.QueueDepth("work.fifo")
	if v+inFlight+delayed == 0 {
		return false
	}
	a.clock.Advance(visibility)
	return true
}

// recorder is a function that records the batches it gets and fails the records fail says.
type recorder struct {
	mu      sync.Mutex
	batches [][]events.SQSMessage
	fail    func(r events.SQSMessage) bool
}

func (r *recorder) handle(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, ev.Records)
	var resp events.SQSEventResponse
	failedGroups := map[string]bool{}
	for _, rec := range ev.Records {
		g := rec.Attributes["MessageGroupId"]
		// A failed record takes the later records of its own group with it.
		if failedGroups[g] || r.fail != nil && r.fail(rec) {
			failedGroups[g] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// processed lists the bodies of every record handed over, by group, in order.
func (r *recorder) byGroup() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for _, b := range r.batches {
		for _, rec := range b {
			g := rec.Attributes["MessageGroupId"]
			out[g] = append(out[g], rec.Body)
		}
	}
	return out
}

func TestEveryMessageIsDeliveredInGroupOrderAndDeleted(t *testing.T) {
	a := newAccount(t)
	want := map[string][]string{}
	for i := range 25 {
		g := fmt.Sprintf("g%d", i%5)
		body := fmt.Sprintf("%s-%02d", g, i)
		a.send(t, g, body)
		want[g] = append(want[g], body)
	}
	rec := &recorder{}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: rec.handle, ReportBatchItemFailures: true, MaximumConcurrency: 3}
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, rec.byGroup()); diff != "" {
		t.Errorf("records by group (-want +got):\n%s", diff)
	}
	if stats.Records != 25 || stats.Deleted != 25 || stats.Failed != 0 || stats.FunctionErrors != 0 {
		t.Errorf("stats %+v", stats)
	}
	for _, b := range rec.batches {
		if len(b) > esm.MaxBatchSize {
			t.Errorf("a batch of %d records", len(b))
		}
	}
	if v, inFlight, delayed, _ := a.emu.QueueDepth("work.fifo"); v+inFlight+delayed != 0 {
		t.Errorf("queue still holds %d visible, %d in flight, %d delayed", v, inFlight, delayed)
	}
}

func TestRecordsLookLikeLambdas(t *testing.T) {
	a := newAccount(t)
	a.send(t, "container/movies", `{"kind":"container","name":"movies"}`)
	rec := &recorder{}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: rec.handle}
	if _, err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.batches) != 1 || len(rec.batches[0]) != 1 {
		t.Fatalf("batches %v", rec.batches)
	}
	r := rec.batches[0][0]
	ms := strconv.FormatInt(epoch.UnixMilli(), 10)
	sum := md5.Sum([]byte(r.Body))
	if r.MessageId == "" || r.ReceiptHandle == "" || r.Md5OfBody != hex.EncodeToString(sum[:]) {
		t.Errorf("record ids: %+v", r)
	}
	got := map[string]string{"body": r.Body, "eventSource": r.EventSource, "eventSourceARN": r.EventSourceARN, "awsRegion": r.AWSRegion}
	for k, v := range r.Attributes {
		if k != "SequenceNumber" {
			got["attributes."+k] = v
		}
	}
	want := map[string]string{
		"body": `{"kind":"container","name":"movies"}`, "eventSource": "aws:sqs",
		"eventSourceARN": a.emu.QueueARN("work.fifo"), "awsRegion": "us-east-1",
		"attributes.ApproximateReceiveCount":          "1",
		"attributes.ApproximateFirstReceiveTimestamp": ms,
		"attributes.SentTimestamp":                    ms,
		"attributes.SenderId":                         "AKIDEXAMPLE",
		"attributes.MessageGroupId":                   "container/movies",
		"attributes.MessageDeduplicationId":           `{"kind":"container","name":"movies"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if len(r.Attributes["SequenceNumber"]) != 20 {
		t.Errorf("SequenceNumber %q", r.Attributes["SequenceNumber"])
	}
	// The JSON Lambda sends uses the field names aws-lambda-go reads.
	raw, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{r}})
	var doc struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Records[0]["eventSource"] != "aws:sqs" || doc.Records[0]["messageId"] != r.MessageId {
		t.Errorf("event JSON %s", raw)
	}
}

func TestAFailedRecordAndTheRestOfItsGroupComeBackLater(t *testing.T) {
	a := newAccount(t)
	for _, m := range []struct{ g, body string }{{"a", "a1"}, {"b", "b1"}, {"a", "a2"}, {"b", "b2"}} {
		a.send(t, m.g, m.body)
	}
	tries := map[string]int{}
	rec := &recorder{fail: func(r events.SQSMessage) bool {
		tries[r.Body]++
		return r.Body == "a1" && tries[r.Body] == 1 // busy the first time
	}}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: rec.handle, ReportBatchItemFailures: true,
		MaximumConcurrency: 1, Idle: a.untilEmpty}
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Group a is seen twice (a1 failed and took a2 back with it), in order; group b once.
	want := map[string][]string{"a": {"a1", "a2", "a1", "a2"}, "b": {"b1", "b2"}}
	if diff := cmp.Diff(want, rec.byGroup()); diff != "" {
		t.Errorf("records by group (-want +got):\n%s", diff)
	}
	last := rec.batches[len(rec.batches)-1]
	if last[0].Body != "a1" || last[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("redelivered record %s, receive count %s", last[0].Body, last[0].Attributes["ApproximateReceiveCount"])
	}
	if stats.Deleted != 4 || stats.Failed != 2 || stats.Records != 6 {
		t.Errorf("stats %+v", stats)
	}
}

func TestAFunctionErrorLeavesTheWholeBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(n int) (events.SQSEventResponse, error)
	}{
		{"the function returns an error", func(int) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, errors.New("boom")
		}},
		{"the function reports an id that is not in the batch", func(int) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "not-a-message"}}}, nil
		}},
		{"the function reports an empty id", func(int) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ""}}}, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			a.send(t, "a", "a1")
			a.send(t, "b", "b1")
			calls := 0
			fn := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				calls++
				if calls == 1 {
					return tc.fn(len(ev.Records))
				}
				return events.SQSEventResponse{}, nil
			}
			m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: fn, ReportBatchItemFailures: true, MaximumConcurrency: 1, Idle: a.untilEmpty}
			stats, err := m.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := esm.Stats{Invocations: 2, Records: 4, Deleted: 2, Failed: 2, FunctionErrors: 1}
			got := stats
			got.Receives, got.EmptyReceives = 0, 0
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithoutReportBatchItemFailuresTheResponseIsIgnored(t *testing.T) {
	a := newAccount(t)
	a.send(t, "a", "a1")
	rec := &recorder{fail: func(events.SQSMessage) bool { return true }}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: rec.handle}
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Deleted != 1 || stats.Failed != 0 {
		t.Errorf("stats %+v", stats)
	}
}

func TestAMessageThatAlwaysFailsEndsInTheDeadLetterQueue(t *testing.T) {
	a := newAccount(t)
	a.send(t, "a", "poison")
	a.send(t, "b", "fine")
	rec := &recorder{fail: func(r events.SQSMessage) bool { return r.Body == "poison" }}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: rec.handle, ReportBatchItemFailures: true, Idle: a.untilEmpty}
	if _, err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.byGroup()["a"]; len(got) != 3 {
		t.Errorf("poison was handed over %d times, want maxReceiveCount = 3", len(got))
	}
	dead, err := a.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(a.dlq)})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead.Messages) != 1 || aws.ToString(dead.Messages[0].Body) != "poison" {
		t.Errorf("dead-letter queue holds %v", dead.Messages)
	}
}

func TestMaximumConcurrencyBoundsConcurrentInvocations(t *testing.T) {
	a := newAccount(t)
	for i := range 9 {
		a.send(t, fmt.Sprintf("g%d", i), fmt.Sprintf("m%d", i))
	}
	const limit = 3
	var (
		mu          sync.Mutex
		running, hi int
		full        = make(chan struct{})
	)
	fn := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		running++
		hi = max(hi, running)
		if running == limit {
			close(full)
		}
		mu.Unlock()
		// The first invocations wait until `limit` run at once, which proves the mapping
		// reaches its concurrency; the bound only keeps a broken mapping from hanging.
		select {
		case <-full:
		case <-time.After(10 * time.Second):
		}
		mu.Lock()
		running--
		mu.Unlock()
		return events.SQSEventResponse{}, nil
	}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: fn, BatchSize: 1, MaximumConcurrency: limit}
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-full:
	default:
		t.Errorf("never %d invocations at once", limit)
	}
	if hi > limit || stats.Deleted != 9 || stats.Invocations != 9 {
		t.Errorf("at most %d at once (limit %d); stats %+v", hi, limit, stats)
	}
}

func TestRunStopsWhenTheContextEnds(t *testing.T) {
	a := newAccount(t)
	ctx, cancel := context.WithCancel(context.Background())
	// Idle keeps polling forever; only the context ends the run.
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: (&recorder{}).handle,
		Idle: func(context.Context) bool { cancel(); return true }}
	if _, err := m.Run(ctx); err != nil {
		t.Fatalf("a cancelled run: %v", err)
	}
}

func TestMisconfiguredMappings(t *testing.T) {
	a := newAccount(t)
	fn := (&recorder{}).handle
	for _, m := range []*esm.Mapping{
		{QueueURL: a.url, Function: fn},
		{Client: a.client, QueueURL: a.url, Function: fn, BatchSize: 11},
		{Client: a.client, QueueURL: a.url, Function: fn, MaximumConcurrency: 1001},
		{Client: a.client, QueueURL: a.url, Function: fn, WaitTimeSeconds: 21},
		{Client: a.client, QueueURL: a.url + "-missing", Function: fn},
	} {
		if _, err := m.Run(context.Background()); err == nil {
			t.Errorf("%+v ran", m)
		}
	}
}

func TestHTTPFunctionSpeaksLambdasInvokeAPI(t *testing.T) {
	var got []events.SQSEvent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev events.SQSEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = append(got, ev)
		switch ev.Records[0].Body {
		case "fail":
			_, _ = w.Write([]byte(`{"errorMessage":"boom","errorType":"errorString"}`))
		default:
			_, _ = w.Write([]byte(`{"batchItemFailures":[{"itemIdentifier":"m2"}]}`))
		}
	}))
	defer srv.Close()
	fn := esm.HTTPFunction(nil, srv.URL+"/2015-03-31/functions/function/invocations")
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: "ok"}, {MessageId: "m2", Body: "x"}}}
	resp, err := fn(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "m2"}}}, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if _, err := fn(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m3", Body: "fail"}}}); err == nil {
		t.Error("a function error was not an error")
	}
	if len(got) != 2 || !slices.EqualFunc(got[0].Records, ev.Records, func(a, b events.SQSMessage) bool { return a.MessageId == b.MessageId }) {
		t.Errorf("the function got %v", got)
	}
}

func TestALongPollingMappingDrainsTheQueueToo(t *testing.T) {
	a := newAccount(t)
	for i := range 20 {
		a.send(t, fmt.Sprintf("g%d", i%5), fmt.Sprintf("m%02d", i))
	}
	rec := &recorder{}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: rec.handle, ReportBatchItemFailures: true,
		MaximumConcurrency: 4, BatchSize: 2, WaitTimeSeconds: 1}
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Deleted != 20 || stats.Records != 20 {
		t.Errorf("stats %+v", stats)
	}
}

func TestRecordsCarryMessageAttributes(t *testing.T) {
	a := newAccount(t)
	_, err := a.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(a.url),
		MessageBody: aws.String("m"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("bucket")}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	m := &esm.Mapping{Client: a.client, QueueURL: a.url, Function: rec.handle}
	if _, err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := rec.batches[0][0]
	want := map[string]events.SQSMessageAttribute{"kind": {DataType: "String", StringValue: aws.String("bucket")}}
	if diff := cmp.Diff(want, r.MessageAttributes); diff != "" || r.Md5OfMessageAttributes == "" {
		t.Errorf("message attributes (-want +got):\n%s\nmd5 %q", diff, r.Md5OfMessageAttributes)
	}
}

// standardQueue makes a standard queue in a's emulator and returns its URL.
func (a *account) standardQueue(t *testing.T, name string, n int) string {
	t.Helper()
	if err := a.emu.SeedQueue(name, map[string]string{"VisibilityTimeout": "30"}); err != nil {
		t.Fatal(err)
	}
	url := strings.Replace(a.url, "work.fifo", name, 1)
	for i := range n {
		if _, err := a.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("m%04d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	return url
}

// A standard queue's mapping gathers up to BatchSize records over its window, ten per
// ReceiveMessage, as Lambda does for BatchSize above 10.
func TestAStandardQueuesBatchesGoPastTenWithinTheWindow(t *testing.T) {
	a := newAccount(t)
	url := a.standardQueue(t, "findings", 250)
	rec := &recorder{}
	// The window's timer fires at once: the player gathers what is there, waits once for the
	// rest of the window, takes what came meanwhile, and invokes.
	fired := make(chan time.Time)
	close(fired)
	m := &esm.Mapping{Client: a.client, QueueURL: url, Function: rec.handle, ReportBatchItemFailures: true, MaximumConcurrency: 1,
		BatchSize: 100, MaximumBatchingWindow: 5 * time.Second, After: func(time.Duration) <-chan time.Time { return fired }}
	stats, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	seen := map[string]bool{}
	for _, b := range rec.batches {
		sizes = append(sizes, len(b))
		for _, r := range b {
			seen[r.Body] = true
		}
	}
	if diff := cmp.Diff([]int{100, 100, 50}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
	if len(seen) != 250 || stats.Deleted != 250 {
		t.Errorf("%d distinct records, %d deleted, want 250 each", len(seen), stats.Deleted)
	}
	if v, inFlight, _, _ := a.emu.QueueDepth("findings"); v+inFlight != 0 {
		t.Errorf("%d messages left", v+inFlight)
	}
}

// Lambda's limits: a FIFO queue's batch is at most 10 and takes no window; a standard queue's
// batch is at most 10,000, and above 10 it needs a window.
func TestBatchSizeAndWindowFollowLambdasLimits(t *testing.T) {
	a := newAccount(t)
	std := a.standardQueue(t, "findings", 0)
	fn := (&recorder{}).handle
	for _, m := range []*esm.Mapping{
		{Client: a.client, QueueURL: a.url, Function: fn, BatchSize: 11, MaximumBatchingWindow: time.Second},
		{Client: a.client, QueueURL: a.url, Function: fn, BatchSize: 10, MaximumBatchingWindow: time.Second},
		{Client: a.client, QueueURL: std, Function: fn, BatchSize: 11},
		{Client: a.client, QueueURL: std, Function: fn, BatchSize: 10001, MaximumBatchingWindow: time.Second},
		{Client: a.client, QueueURL: std, Function: fn, BatchSize: 100, MaximumBatchingWindow: 301 * time.Second},
	} {
		if _, err := m.Run(context.Background()); err == nil {
			t.Errorf("BatchSize %d, window %s on %s ran", m.BatchSize, m.MaximumBatchingWindow, m.QueueURL)
		}
	}
	ok := &esm.Mapping{Client: a.client, QueueURL: std, Function: fn, BatchSize: 10000, MaximumBatchingWindow: 300 * time.Second}
	if _, err := ok.Run(context.Background()); err != nil {
		t.Errorf("the largest batch and window Lambda allows: %v", err)
	}
}
