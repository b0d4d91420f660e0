package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
)

// sqsFixture is an emulator on a manual clock behind a real HTTP server, with a real SQS
// client that does not retry.
type sqsFixture struct {
	emu   *emulator.Emulator
	clock *clock.Manual
	url   string
	sqs   *sqs.Client
}

func newSQSFixture(t testing.TB, opts ...emulator.Option) *sqsFixture {
	t.Helper()
	clock := clock.NewManual(epoch)
	emu := emulator.New(append([]emulator.Option{emulator.WithClock(clock), emulator.WithoutQuotas()}, opts...)...)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); srv.Close() })
	return &sqsFixture{emu: emu, clock: clock, url: srv.URL, sqs: sqsClient(srv.URL)}
}

func sqsClient(url string) *sqs.Client {
	return sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

// queue creates a queue through the API and returns its URL.
func (f *sqsFixture) queue(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := f.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func (f *sqsFixture) send(t *testing.T, url, body, group, dedup string) *sqs.SendMessageOutput {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}
	if group != "" {
		in.MessageGroupId = aws.String(group)
	}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := f.sqs.SendMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("send %q: %v", body, err)
	}
	return out
}

// receive takes up to max messages without waiting and returns them.
func (f *sqsFixture) receive(t *testing.T, url string, max int32) []sqstypes.Message {
	t.Helper()
	out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: max,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

func bodies(ms []sqstypes.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

func (f *sqsFixture) del(t *testing.T, url string, m sqstypes.Message) {
	t.Helper()
	if _, err := f.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("delete %s: %v", aws.ToString(m.Body), err)
	}
}

func (f *sqsFixture) depth(t *testing.T, url string) [2]int {
	t.Helper()
	out, err := f.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	nv, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return [2]int{v, nv}
}

var fifo = map[string]string{"FifoQueue": "true"}

func TestSQSFIFOGroupsDeliverInOrderAndOneAtATime(t *testing.T) {
	f := newSQSFixture(t)
	url := f.queue(t, "work.fifo", fifo)
	for i, m := range []struct{ body, group string }{{"a1", "a"}, {"b1", "b"}, {"a2", "a"}, {"a3", "a"}, {"b2", "b"}} {
		f.send(t, url, m.body, m.group, fmt.Sprint(i))
	}
	first := f.receive(t, url, 1)
	if diff := cmp.Diff([]string{"a1"}, bodies(first)); diff != "" {
		t.Fatalf("first receive (-want +got):\n%s", diff)
	}
	// Group a has a message in flight: only group b delivers, both of its messages, in order.
	if diff := cmp.Diff([]string{"b1", "b2"}, bodies(f.receive(t, url, 10))); diff != "" {
		t.Fatalf("second receive (-want +got):\n%s", diff)
	}
	if got := f.receive(t, url, 10); len(got) != 0 {
		t.Fatalf("every group is in flight, yet received %v", bodies(got))
	}
	f.del(t, url, first[0])
	if diff := cmp.Diff([]string{"a2", "a3"}, bodies(f.receive(t, url, 10))); diff != "" {
		t.Fatalf("after deleting a1 (-want +got):\n%s", diff)
	}
	if got := f.depth(t, url); got != [2]int{0, 4} {
		t.Fatalf("visible, in flight = %v, want [0 4]", got)
	}
}

func TestSQSFIFOAttributes(t *testing.T) {
	f := newSQSFixture(t)
	url := f.queue(t, "work.fifo", fifo)
	sent := f.send(t, url, "hello", "g1", "d1")
	f.clock.Advance(3 * time.Second)
	m := f.receive(t, url, 1)[0]
	want := map[string]string{
		"SenderId":                         "AKIDEXAMPLE",
		"SentTimestamp":                    strconv.FormatInt(epoch.UnixMilli(), 10),
		"ApproximateReceiveCount":          "1",
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(epoch.Add(3*time.Second).UnixMilli(), 10),
		"MessageGroupId":                   "g1",
		"MessageDeduplicationId":           "d1",
		"SequenceNumber":                   aws.ToString(sent.SequenceNumber),
	}
	if diff := cmp.Diff(want, m.Attributes); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "hello" {
		t.Errorf("got message %s %q, want %s \"hello\"", aws.ToString(m.MessageId), aws.ToString(m.Body), aws.ToString(sent.MessageId))
	}
	if len(aws.ToString(sent.SequenceNumber)) != 20 {
		t.Errorf("SequenceNumber %q, want 20 digits", aws.ToString(sent.SequenceNumber))
	}
	second := f.send(t, url, "again", "g1", "d2")
	if aws.ToString(second.SequenceNumber) <= aws.ToString(sent.SequenceNumber) {
		t.Errorf("sequence numbers do not grow: %s then %s", aws.ToString(sent.SequenceNumber), aws.ToString(second.SequenceNumber))
	}

	// Only the names asked for come back.
	f.clock.Advance(30 * time.Second)
	out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"ApproximateReceiveCount": "2"}, out.Messages[0].Attributes); diff != "" {
		t.Errorf("attributes asked by name (-want +got):\n%s", diff)
	}
}

func TestSQSDeduplication(t *testing.T) {
	f := newSQSFixture(t)
	url := f.queue(t, "work.fifo", fifo)
	first := f.send(t, url, "one", "g", "same")
	dup := f.send(t, url, "two", "g", "same")
	if aws.ToString(dup.MessageId) != aws.ToString(first.MessageId) {
		t.Errorf("duplicate got MessageId %s, want the original's %s", aws.ToString(dup.MessageId), aws.ToString(first.MessageId))
	}
	if got := f.depth(t, url); got != [2]int{1, 0} {
		t.Fatalf("after a duplicate, visible and in flight = %v, want [1 0]", got)
	}
	// A distinct id is a distinct message; after five minutes the same id is new again.
	f.send(t, url, "three", "g", "other")
	f.clock.Advance(5*time.Minute - time.Second)
	f.send(t, url, "four", "g", "same")
	if got := f.depth(t, url); got != [2]int{2, 0} {
		t.Fatalf("inside the window, visible = %v, want [2 0]", got)
	}
	f.clock.Advance(time.Second)
	again := f.send(t, url, "five", "g", "same")
	if aws.ToString(again.MessageId) == aws.ToString(first.MessageId) {
		t.Error("after five minutes the deduplication id still returned the original message")
	}
	if diff := cmp.Diff([]string{"one", "three", "five"}, bodies(f.receive(t, url, 10))); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}

	// Content-based deduplication hashes the body.
	cb := f.queue(t, "content.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	a := f.send(t, cb, "body", "g", "")
	b := f.send(t, cb, "body", "g", "")
	f.send(t, cb, "other body", "g", "")
	if aws.ToString(a.MessageId) != aws.ToString(b.MessageId) {
		t.Error("the same body under content-based deduplication made two messages")
	}
	if got := f.depth(t, cb); got != [2]int{2, 0} {
		t.Errorf("content-based queue depth %v, want [2 0]", got)
	}
	// Deduplication scope messageGroup: the same id in two groups is two messages.
	sc := f.queue(t, "scoped.fifo", map[string]string{"FifoQueue": "true", "DeduplicationScope": "messageGroup"})
	f.send(t, sc, "x", "g1", "id")
	f.send(t, sc, "x", "g2", "id")
	if got := f.depth(t, sc); got != [2]int{2, 0} {
		t.Errorf("messageGroup-scoped queue depth %v, want [2 0]", got)
	}
}

func TestSQSVisibilityTimeoutAndReceiptHandles(t *testing.T) {
	f := newSQSFixture(t)
	url := f.queue(t, "work.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"})
	f.send(t, url, "m", "g", "1")
	ctx := context.Background()
	r1 := f.receive(t, url, 1)[0]
	f.clock.Advance(29 * time.Second)
	if got := f.receive(t, url, 1); len(got) != 0 {
		t.Fatalf("received %v before the visibility timeout ended", bodies(got))
	}
	f.clock.Advance(time.Second)
	// Visible again but not received: the handle still works, the message is not in flight.
	_, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r1.ReceiptHandle, VisibilityTimeout: 10})
	var notInflight *sqstypes.MessageNotInflight
	if !errors.As(err, &notInflight) {
		t.Fatalf("ChangeMessageVisibility on a visible message: got %v, want MessageNotInflight", err)
	}
	wantCode(t, err, "AWS.SimpleQueueService.MessageNotInflight")

	r2 := f.receive(t, url, 1)[0]
	if r2.Attributes["ApproximateReceiveCount"] != "2" || r2.Attributes["ApproximateFirstReceiveTimestamp"] != r1.Attributes["ApproximateFirstReceiveTimestamp"] {
		t.Errorf("second receive attributes %v", r2.Attributes)
	}
	if aws.ToString(r2.ReceiptHandle) == aws.ToString(r1.ReceiptHandle) {
		t.Error("two receives gave the same receipt handle")
	}
	// The first receive's handle is stale: changing visibility with it fails, deleting with
	// it succeeds and deletes nothing.
	_, err = f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r1.ReceiptHandle, VisibilityTimeout: 10})
	wantCode(t, err, "InvalidParameterValue")
	f.del(t, url, r1)
	if got := f.depth(t, url); got != [2]int{0, 1} {
		t.Fatalf("a stale handle deleted the message: depth %v", got)
	}
	// Hand the message back at once (visibility 0), as a worker does with records it did not
	// process; then delay it, as a worker does with a busy resource.
	if _, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r2.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	r3 := f.receive(t, url, 1)[0]
	if _, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r3.ReceiptHandle, VisibilityTimeout: 600}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(599 * time.Second)
	if got := f.receive(t, url, 1); len(got) != 0 {
		t.Fatalf("received %v before the changed visibility ended", bodies(got))
	}
	f.clock.Advance(time.Second)
	r4 := f.receive(t, url, 1)[0]
	// At most 12 hours of invisibility per receive, counted from the receive.
	_, err = f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r4.ReceiptHandle, VisibilityTimeout: 43201})
	wantCode(t, err, "InvalidParameterValue")
	if _, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r4.ReceiptHandle, VisibilityTimeout: 7200}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	_, err = f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r4.ReceiptHandle, VisibilityTimeout: 43200})
	wantCode(t, err, "InvalidParameterValue")
	if _, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r4.ReceiptHandle, VisibilityTimeout: 39600}); err != nil {
		t.Fatalf("11 h after a 1 h wait: %v", err)
	}
	// A handle that is not one is ReceiptHandleIsInvalid, for both calls.
	_, err = f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 1})
	var invalid *sqstypes.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Fatalf("garbage handle: got %v, want ReceiptHandleIsInvalid", err)
	}
	_, err = f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	f.del(t, url, r4)
	f.del(t, url, r4) // deleting twice is harmless
	_, err = f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: r4.ReceiptHandle, VisibilityTimeout: 1})
	wantCode(t, err, "InvalidParameterValue")
}

func TestSQSRedriveToTheDeadLetterQueue(t *testing.T) {
	f := newSQSFixture(t)
	dlq := f.queue(t, "work-dlq.fifo", fifo)
	policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":2}`, f.emu.QueueARN("work-dlq.fifo"))
	url := f.queue(t, "work.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "10", "RedrivePolicy": policy})
	f.send(t, url, "poison", "g", "1")
	f.send(t, url, "next", "g", "2")
	for i := range 2 {
		got := f.receive(t, url, 1)
		if diff := cmp.Diff([]string{"poison"}, bodies(got)); diff != "" {
			t.Fatalf("receive %d (-want +got):\n%s", i+1, diff)
		}
		f.clock.Advance(10 * time.Second)
	}
	// The third receive moves the message, and the group goes on with the next one.
	if diff := cmp.Diff([]string{"next"}, bodies(f.receive(t, url, 10))); diff != "" {
		t.Fatalf("after maxReceiveCount (-want +got):\n%s", diff)
	}
	dead := f.receive(t, dlq, 10)
	if diff := cmp.Diff([]string{"poison"}, bodies(dead)); diff != "" {
		t.Fatalf("dead-letter queue (-want +got):\n%s", diff)
	}
	if a := dead[0].Attributes; a["MessageGroupId"] != "g" || a["ApproximateReceiveCount"] != "3" || a["DeadLetterQueueSourceArn"] != f.emu.QueueARN("work.fifo") {
		t.Errorf("dead-lettered message attributes %v", a)
	}
	attrs, err := f.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"RedrivePolicy", "QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"RedrivePolicy": policy, "QueueArn": f.emu.QueueARN("work.fifo")}, attrs.Attributes); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
}

func TestSQSRequestsAreValidated(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	std := f.queue(t, "standard", nil)
	url := f.queue(t, "work.fifo", fifo)
	f.queue(t, "dlq", nil)
	redrive := func(target string, n int) string {
		return fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":%d}`, f.emu.QueueARN(target), n)
	}
	long := strings.Repeat("g", 129)
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"a FIFO queue's name ends in .fifo", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work"), Attributes: fifo})
			return err
		}, "InvalidParameterValue"},
		{"a standard queue's name has no .fifo", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("std.fifo")})
			return err
		}, "InvalidParameterValue"},
		{"a queue name has at most 80 characters", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(strings.Repeat("q", 81))})
			return err
		}, "InvalidParameterValue"},
		{"a FIFO queue's dead-letter queue is FIFO", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w2.fifo"), Attributes: map[string]string{"FifoQueue": "true", "RedrivePolicy": redrive("dlq", 3)}})
			return err
		}, "InvalidParameterValue"},
		{"a dead-letter queue exists", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w3"), Attributes: map[string]string{"RedrivePolicy": redrive("missing", 3)}})
			return err
		}, "InvalidParameterValue"},
		{"maxReceiveCount is at most 1000", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w4"), Attributes: map[string]string{"RedrivePolicy": redrive("dlq", 1001)}})
			return err
		}, "InvalidParameterValue"},
		{"the visibility timeout is at most 12 hours", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w5"), Attributes: map[string]string{"VisibilityTimeout": "43201"}})
			return err
		}, "InvalidAttributeValue"},
		{"content-based deduplication is for FIFO queues", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w6"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}})
			return err
		}, "InvalidAttributeName"},
		{"a queue of the same name with other attributes exists", func() error {
			_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work.fifo"), Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "99"}})
			return err
		}, "QueueAlreadyExists"},
		{"a FIFO message has a group", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
			return err
		}, "MissingParameter"},
		{"a group id has at most 128 characters", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String(long), MessageDeduplicationId: aws.String("d")})
			return err
		}, "InvalidParameterValue"},
		{"a group id has no spaces", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("a b"), MessageDeduplicationId: aws.String("d")})
			return err
		}, "InvalidParameterValue"},
		{"a FIFO message without content-based deduplication has a deduplication id", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
			return err
		}, "InvalidParameterValue"},
		{"a FIFO message has no delay of its own", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 5})
			return err
		}, "InvalidParameterValue"},
		{"a standard message has no deduplication id", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(std), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
			return err
		}, "InvalidParameterValue"},
		{"a body has only XML characters", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(std), MessageBody: aws.String("bell\x07")})
			return err
		}, "InvalidMessageContents"},
		{"a receive takes at most 10 messages", func() error {
			_, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
			return err
		}, "InvalidParameterValue"},
		{"a long poll waits at most 20 s", func() error {
			_, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21})
			return err
		}, "InvalidParameterValue"},
		{"a batch has at most 10 entries", func() error {
			var es []sqstypes.SendMessageBatchRequestEntry
			for i := range 11 {
				es = append(es, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String("x")})
			}
			_, err := f.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(std), Entries: es})
			return err
		}, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{"batch entry ids are distinct", func() error {
			_, err := f.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(std), Entries: []sqstypes.DeleteMessageBatchRequestEntry{
				{Id: aws.String("a"), ReceiptHandle: aws.String("x")}, {Id: aws.String("a"), ReceiptHandle: aws.String("y")}}})
			return err
		}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{"a queue that does not exist", func() error {
			_, err := f.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue"},
		{"a queue of another account", func() error {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(f.url + "/999999999999/standard"), MessageBody: aws.String("x")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue"},
		{"an attribute that does not exist", func() error {
			_, err := f.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(std), AttributeNames: []sqstypes.QueueAttributeName{"Colour"}})
			return err
		}, "InvalidAttributeName"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), c.code) })
	}
	// Modelled errors are typed.
	_, err := f.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Errorf("got %T %v, want *types.QueueDoesNotExist", err, err)
	}
}

func TestSQSErrorsAreQueryCompatibleOnTheWire(t *testing.T) {
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(`{"QueueName":"nope"}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueUrl")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := []string{fmt.Sprint(resp.StatusCode), resp.Header.Get("Content-Type"), resp.Header.Get("X-Amzn-Query-Error"), string(body)}
	want := []string{"400", "application/x-amz-json-1.0", "AWS.SimpleQueueService.NonExistentQueue;Sender",
		`{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}

func TestSQSBatches(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	url := f.queue(t, "work.fifo", fifo)
	out, err := f.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("ok1"), MessageBody: aws.String("one"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("1")},
		{Id: aws.String("bad"), MessageBody: aws.String("two"), MessageGroupId: aws.String(strings.Repeat("x", 129)), MessageDeduplicationId: aws.String("2")},
		{Id: aws.String("ok2"), MessageBody: aws.String("three"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("3")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var okIDs []string
	for _, s := range out.Successful {
		okIDs = append(okIDs, aws.ToString(s.Id))
	}
	if diff := cmp.Diff([]string{"ok1", "ok2"}, okIDs); diff != "" {
		t.Errorf("successful entries (-want +got):\n%s", diff)
	}
	if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "bad" || aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" || !out.Failed[0].SenderFault {
		t.Errorf("failed entries %+v", out.Failed)
	}
	got := f.receive(t, url, 10)
	if diff := cmp.Diff([]string{"one", "three"}, bodies(got)); diff != "" {
		t.Fatalf("received (-want +got):\n%s", diff)
	}
	vis, err := f.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: got[1].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("b"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vis.Successful) != 1 || len(vis.Failed) != 1 || aws.ToString(vis.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("ChangeMessageVisibilityBatch: %+v %+v", vis.Successful, vis.Failed)
	}
	del, err := f.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: got[0].ReceiptHandle},
		{Id: aws.String("b"), ReceiptHandle: aws.String("garbage")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Successful) != 1 || len(del.Failed) != 1 {
		t.Errorf("DeleteMessageBatch: %+v %+v", del.Successful, del.Failed)
	}
	if diff := cmp.Diff([]string{"three"}, bodies(f.receive(t, url, 10))); diff != "" {
		t.Errorf("after the batches (-want +got):\n%s", diff)
	}
}

func TestSQSStandardQueueDelaysPurgeAndListing(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	url := f.queue(t, "plain", map[string]string{"DelaySeconds": "5", "MessageRetentionPeriod": "60"})
	f.queue(t, "plain-2", nil)
	f.queue(t, "other", nil)
	f.send(t, url, "queue delay", "", "")
	if _, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("own delay"), DelaySeconds: 20}); err != nil {
		t.Fatal(err)
	}
	if got := f.receive(t, url, 10); len(got) != 0 {
		t.Fatalf("received delayed messages %v", bodies(got))
	}
	f.clock.Advance(5 * time.Second)
	if diff := cmp.Diff([]string{"queue delay"}, bodies(f.receive(t, url, 10))); diff != "" {
		t.Fatalf("after 5 s (-want +got):\n%s", diff)
	}
	f.clock.Advance(15 * time.Second)
	if diff := cmp.Diff([]string{"own delay"}, bodies(f.receive(t, url, 10))); diff != "" {
		t.Fatalf("after 20 s (-want +got):\n%s", diff)
	}
	// Retention: a minute after sending, both messages are gone.
	f.clock.Advance(40 * time.Second)
	if got := f.depth(t, url); got != [2]int{0, 0} {
		t.Errorf("after the retention period, depth %v", got)
	}

	f.send(t, url, "purged", "", "")
	if _, err := f.sqs.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err := f.sqs.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	var busy *sqstypes.PurgeQueueInProgress
	if !errors.As(err, &busy) {
		t.Errorf("second purge within 60 s: got %v, want PurgeQueueInProgress", err)
	}
	if got := f.depth(t, url); got != [2]int{0, 0} {
		t.Errorf("after a purge, depth %v", got)
	}

	list, err := f.sqs.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{f.url + "/" + emulator.DefaultAccount + "/plain", f.url + "/" + emulator.DefaultAccount + "/plain-2"}, list.QueueUrls); diff != "" {
		t.Errorf("ListQueues (-want +got):\n%s", diff)
	}
	page, err := f.sqs.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	rest, err := f.sqs.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(2), NextToken: page.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if got := append(page.QueueUrls, rest.QueueUrls...); len(got) != 3 || rest.NextToken != nil {
		t.Errorf("two pages of ListQueues: %v, %v", got, rest.NextToken)
	}
	byName, err := f.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("plain")})
	if err != nil || aws.ToString(byName.QueueUrl) != url {
		t.Errorf("GetQueueUrl = %v, %v; want %s", aws.ToString(byName.QueueUrl), err, url)
	}
	if _, err := f.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "120"}}); err != nil {
		t.Fatal(err)
	}
	attrs, err := f.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["VisibilityTimeout"] != "120" || attrs.Attributes["QueueArn"] != f.emu.QueueARN("plain") || attrs.Attributes["FifoQueue"] != "" {
		t.Errorf("attributes after SetQueueAttributes: %v", attrs.Attributes)
	}
}

func TestSQSLongPollReturnsWhenAMessageArrives(t *testing.T) {
	f := newSQSFixture(t)
	url := f.queue(t, "work.fifo", fifo)
	got := make(chan []string, 1)
	poll := func() {
		out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20, MaxNumberOfMessages: 10})
		if err != nil {
			t.Error(err)
		}
		got <- bodies(out.Messages)
	}
	go poll()
	f.send(t, url, "wake up", "g", "1")
	if diff := cmp.Diff([]string{"wake up"}, <-got); diff != "" {
		t.Errorf("long poll (-want +got):\n%s", diff)
	}

	// A message whose visibility ends on the emulator's clock wakes a waiting poll too.
	go poll()
	f.clock.Advance(30 * time.Second)
	if diff := cmp.Diff([]string{"wake up"}, <-got); diff != "" {
		t.Errorf("long poll after the visibility timeout (-want +got):\n%s", diff)
	}
}

func TestSQSLongPollEndsWhenTheEmulatorCloses(t *testing.T) {
	f := newSQSFixture(t)
	url := f.queue(t, "work.fifo", fifo)
	done := make(chan error, 1)
	go func() {
		out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		if err == nil && len(out.Messages) != 0 {
			err = fmt.Errorf("received %v", bodies(out.Messages))
		}
		done <- err
	}()
	// Wait until the poll has been counted, then close: the poll answers with no messages.
	for f.emu.CallCount("ReceiveMessage") == 0 {
		time.Sleep(time.Millisecond)
	}
	f.emu.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Start's stop function ends long polls the same way instead of waiting for them.
	emu := emulator.New(emulator.WithoutQuotas())
	base, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.SeedQueue("q", nil); err != nil {
		t.Fatal(err)
	}
	client := sqsClient(base)
	go func() {
		_, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(emu.QueueURL(base, "q")), WaitTimeSeconds: 20})
		done <- err
	}()
	for emu.CallCount("ReceiveMessage") == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("long poll during stop: %v", err)
	}
}

func TestSQSCallsAreCountedAndFaultsApply(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	url := f.queue(t, "work.fifo", fifo)
	f.send(t, url, "a", "g", "1")
	f.receive(t, url, 10)
	if got := f.emu.CallCount("SendMessage"); got != 1 {
		t.Errorf("SendMessage calls = %d, want 1", got)
	}
	if got := f.emu.ResourceCalls("ReceiveMessage", "work.fifo"); got != 1 {
		t.Errorf("ReceiveMessage calls on work.fifo = %d, want 1", got)
	}
	f.emu.SetThrottle("SendMessage", 1)
	f.send(t, url, "b", "g", "2")
	_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("c"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("3")})
	var throttled *sqstypes.RequestThrottled
	if !errors.As(err, &throttled) {
		t.Fatalf("over the rate: got %v, want RequestThrottled", err)
	}
	f.emu.Script("DeleteMessage", "work.fifo", 1, "InternalServerError")
	_, err = f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("x")})
	wantCode(t, err, "InternalError")
}

func TestSQSSeededQueues(t *testing.T) {
	f := newSQSFixture(t)
	err := f.emu.Seed(emulator.State{Queues: []emulator.SeedQueue{
		{Name: "dlq.fifo", Attributes: fifo},
		{Name: "work.fifo", Attributes: map[string]string{"FifoQueue": "true",
			"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"5"}`, f.emu.QueueARN("dlq.fifo"))}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	url := f.emu.QueueURL(f.url, "work.fifo")
	f.send(t, url, "seeded", "g", "1")
	if v, inFlight, delayed, ok := f.emu.QueueDepth("work.fifo"); !ok || v != 1 || inFlight != 0 || delayed != 0 {
		t.Errorf("QueueDepth = %d %d %d %v", v, inFlight, delayed, ok)
	}
	if f.emu.TotalCalls() != 1 {
		t.Errorf("seeding counted calls: %v", f.emu.Calls())
	}
	if err := f.emu.SeedQueue("bad", fifo); err == nil {
		t.Error("SeedQueue accepted a FIFO queue without the .fifo suffix")
	}
	// The standalone emulator's --state file takes queues too.
	state := `{"queues": [{"name": "from-file.fifo", "attributes": {"FifoQueue": "true", "VisibilityTimeout": "300"}}]}`
	if err := f.emu.LoadState(strings.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	attrs, err := f.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(f.emu.QueueURL(f.url, "from-file.fifo")), AttributeNames: []sqstypes.QueueAttributeName{"VisibilityTimeout", "FifoQueue"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"VisibilityTimeout": "300", "FifoQueue": "true"}, attrs.Attributes); diff != "" {
		t.Errorf("queue from a state file (-want +got):\n%s", diff)
	}
}

// The reference aws CLI v1 (botocore speaks SQS's JSON protocol since 1.31) drives a FIFO
// queue through the emulator: create, send twice with one deduplication id, receive with the
// system attributes, change visibility, delete, and read a query-compatible error.
func TestTheAWSCLIDrivesAFIFOQueue(t *testing.T) {
	t.Parallel() // the CLI's start-up dominates; let the other tests run meanwhile
	f := newSQSFixture(t)
	cli := awsCLI(t, f.url)
	must := func(out map[string]any, err error) map[string]any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	created := must(cli("sqs", "create-queue", "--queue-name", "work.fifo", "--attributes", "FifoQueue=true,VisibilityTimeout=60"))
	url, _ := created["QueueUrl"].(string)
	if url != f.url+"/012345678912/work.fifo" {
		t.Fatalf("QueueUrl %q", url)
	}
	first := must(cli("sqs", "send-message", "--queue-url", url, "--message-body", "hello", "--message-group-id", "container/movies", "--message-deduplication-id", "d1"))
	dup := must(cli("sqs", "send-message", "--queue-url", url, "--message-body", "hello", "--message-group-id", "container/movies", "--message-deduplication-id", "d1"))
	if first["MessageId"] != dup["MessageId"] || first["MD5OfMessageBody"] != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("sends: %v then %v", first, dup)
	}
	attrs := must(cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages", "FifoQueue"))
	if diff := cmp.Diff(map[string]any{"ApproximateNumberOfMessages": "1", "FifoQueue": "true"}, attrs["Attributes"]); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	got := must(cli("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10", "--message-system-attribute-names", "All"))
	msgs, _ := got["Messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("received %v", got)
	}
	m := msgs[0].(map[string]any)
	a := m["Attributes"].(map[string]any)
	if m["Body"] != "hello" || a["MessageGroupId"] != "container/movies" || a["ApproximateReceiveCount"] != "1" || a["MessageDeduplicationId"] != "d1" {
		t.Errorf("message %v", m)
	}
	handle := m["ReceiptHandle"].(string)
	must(cli("sqs", "change-message-visibility", "--queue-url", url, "--receipt-handle", handle, "--visibility-timeout", "0"))
	must(cli("sqs", "delete-message", "--queue-url", url, "--receipt-handle", handle))
	if _, err := cli("sqs", "get-queue-url", "--queue-name", "missing"); err == nil || !strings.Contains(err.Error(), "AWS.SimpleQueueService.NonExistentQueue") {
		t.Errorf("get-queue-url of a missing queue: %v", err)
	}
	if _, err := cli("sqs", "send-message", "--queue-url", url, "--message-body", "x", "--message-deduplication-id", "d2"); err == nil || !strings.Contains(err.Error(), "MissingParameter") {
		t.Errorf("send without a group: %v", err)
	}
}

func TestSQSMessageAttributes(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	url := f.queue(t, "plain", nil)
	attrs := map[string]sqstypes.MessageAttributeValue{
		"kind":     {DataType: aws.String("String"), StringValue: aws.String("bucket")},
		"attempt":  {DataType: aws.String("Number"), StringValue: aws.String("3")},
		"trace.id": {DataType: aws.String("String"), StringValue: aws.String("t-1")},
		"raw":      {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
	}
	sent, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("m"), MessageAttributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(sent.MD5OfMessageAttributes) == "" {
		t.Error("no MD5OfMessageAttributes")
	}
	receive := func(names ...string) *sqs.ReceiveMessageOutput {
		t.Helper()
		out, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: names})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("receive: %v %v", out, err)
		}
		f.clock.Advance(30 * time.Second) // visible again for the next receive
		return out
	}
	all := receive("All").Messages[0]
	if diff := cmp.Diff(attrs, all.MessageAttributes, cmp.AllowUnexported(sqstypes.MessageAttributeValue{})); diff != "" {
		t.Errorf("all attributes (-want +got):\n%s", diff)
	}
	if aws.ToString(all.MD5OfMessageAttributes) != aws.ToString(sent.MD5OfMessageAttributes) {
		t.Errorf("MD5 of every attribute %s on receive, %s on send", aws.ToString(all.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageAttributes))
	}
	some := receive("kind", "trace.*").Messages[0]
	var names []string
	for n := range some.MessageAttributes {
		names = append(names, n)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"kind", "trace.id"}, names); diff != "" {
		t.Errorf("selected attributes (-want +got):\n%s", diff)
	}
	if none := receive().Messages[0]; none.MessageAttributes != nil || none.MD5OfMessageAttributes != nil {
		t.Errorf("attributes nobody asked for: %v", none.MessageAttributes)
	}

	for name, bad := range map[string]map[string]sqstypes.MessageAttributeValue{
		"a reserved prefix":      {"AWS.trace": {DataType: aws.String("String"), StringValue: aws.String("x")}},
		"an unknown data type":   {"k": {DataType: aws.String("Text"), StringValue: aws.String("x")}},
		"a string without value": {"k": {DataType: aws.String("String")}},
		"eleven attributes": func() map[string]sqstypes.MessageAttributeValue {
			m := map[string]sqstypes.MessageAttributeValue{}
			for i := range 11 {
				m[fmt.Sprint("a", i)] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("x")}
			}
			return m
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("m"), MessageAttributes: bad})
			wantCode(t, err, "InvalidParameterValue")
		})
	}
}
