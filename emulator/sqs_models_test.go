package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestSQSBatchIsCappedAt1MiBWhateverTheQueueMaximum(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	small := f.queue(t, "small", map[string]string{"MaximumMessageSize": "1024"})
	large := f.queue(t, "large", nil) // 1 MiB per message
	entries := func(n, size int) []sqstypes.SendMessageBatchRequestEntry {
		var es []sqstypes.SendMessageBatchRequestEntry
		for i := range n {
			es = append(es, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(strings.Repeat("x", size))})
		}
		return es
	}
	// 10 messages of 1,000 bytes: each fits the queue's 1,024, the batch (10,000) fits 1 MiB.
	out, err := f.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(small), Entries: entries(10, 1000)})
	if err != nil || len(out.Successful) != 10 {
		t.Fatalf("a 10,000-byte batch of 1,000-byte messages to a queue of 1,024-byte messages: %v %+v", err, out)
	}
	// 10 messages of 110,000 bytes: each fits the queue's 1 MiB, the batch does not.
	_, err = f.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(large), Entries: entries(10, 110_000)})
	wantCode(t, err, "AWS.SimpleQueueService.BatchRequestTooLong")
	if out, err := f.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(large), Entries: entries(9, 110_000)}); err != nil || len(out.Successful) != 9 {
		t.Errorf("a batch of 990,000 bytes: %v", err)
	}
}

func TestSQSFIFOTakesADelayOfZeroAndRefusesAnyOther(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	url := f.queue(t, "delayed.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DelaySeconds": "10"})
	send := func(body string, delay int32) error {
		_, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body),
			MessageGroupId: aws.String("g"), DelaySeconds: delay})
		return err
	}
	// The SDK leaves a zero DelaySeconds out: send it on the wire as the CLI does.
	if _, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("zero"),
		MessageGroupId: aws.String("g")}, withDelaySecondsZero); err != nil {
		t.Fatalf("DelaySeconds 0 on a FIFO queue: %v", err)
	}
	err := send("five", 5)
	wantCode(t, err, "InvalidParameterValue")
	// The 0 is ignored: the queue's own delay still holds the message back.
	if got := f.receive(t, url, 10); len(got) != 0 {
		t.Fatalf("received %d messages before the queue's 10 s delay", len(got))
	}
	f.clock.Advance(10 * time.Second)
	if got := f.receive(t, url, 10); len(got) != 1 || aws.ToString(got[0].Body) != "zero" {
		t.Fatalf("after the queue's delay: %+v", got)
	}
}

// withDelaySecondsZero puts "DelaySeconds":0 into a SendMessage request body, which the SDK
// omits for a zero value.
func withDelaySecondsZero(o *sqs.Options) {
	o.HTTPClient = rewriting{next: o.HTTPClient, from: `"MessageBody"`, to: `"DelaySeconds":0,"MessageBody"`}
}

type rewriting struct {
	next     sqs.HTTPClient
	from, to string
}

func (r rewriting) Do(req *http.Request) (*http.Response, error) {
	data, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	b := strings.Replace(string(data), r.from, r.to, 1)
	req.Body = io.NopCloser(strings.NewReader(b))
	req.ContentLength = int64(len(b))
	return r.next.Do(req)
}

func TestSQSAMessageMovedToAFIFODeadLetterQueueStartsItsRetentionAgain(t *testing.T) {
	for _, fifo := range []bool{true, false} {
		t.Run(map[bool]string{true: "FIFO", false: "standard"}[fifo], func(t *testing.T) {
			f := newSQSFixture(t)
			suffix, group := "", ""
			attrs := func(more map[string]string) map[string]string {
				if fifo {
					more["FifoQueue"], more["ContentBasedDeduplication"] = "true", "true"
				}
				return more
			}
			if fifo {
				suffix, group = ".fifo", "g"
			}
			dlq := f.queue(t, "dead"+suffix, attrs(map[string]string{"MessageRetentionPeriod": "60"}))
			src := f.queue(t, "src"+suffix, attrs(map[string]string{
				"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, f.emu.QueueARN("dead"+suffix))}))
			f.send(t, src, "m", group, "")
			if got := f.receive(t, src, 1); len(got) != 1 {
				t.Fatal("first receive")
			}
			// 100 s after the send, past the DLQ's 60 s retention, the next receive moves it.
			f.clock.Advance(100 * time.Second)
			if got := f.receive(t, src, 1); len(got) != 0 {
				t.Fatal("received again past maxReceiveCount")
			}
			f.clock.Advance(30 * time.Second)
			got := f.receive(t, dlq, 1)
			switch {
			case fifo && len(got) != 1:
				t.Errorf("a FIFO DLQ dropped a message moved 30 s ago (its enqueue time must reset): %+v", got)
			case !fifo && len(got) != 0:
				t.Errorf("a standard DLQ kept a message sent 130 s ago past its 60 s retention: %+v", got)
			}
		})
	}
}

func TestSQSReceiptHandlesInvalidAndExpired(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	url := f.queue(t, "rh", nil)
	f.send(t, url, "m", "", "")
	first := f.receive(t, url, 1)[0].ReceiptHandle
	_, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("nope"), VisibilityTimeout: 5})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	if s := status(t, err); s != http.StatusNotFound {
		t.Errorf("ReceiptHandleIsInvalid status %d, want 404", s)
	}
	_, err = f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("nope")})
	wantCode(t, err, "ReceiptHandleIsInvalid")
	// Received again: the first handle has expired.
	f.clock.Advance(31 * time.Second)
	if got := f.receive(t, url, 1); len(got) != 1 {
		t.Fatal("second receive")
	}
	_, err = f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: first, VisibilityTimeout: 5})
	wantCode(t, err, "InvalidParameterValue")
	if s := status(t, err); s != http.StatusBadRequest || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired receipt handle: status %d, %v; want 400 saying it expired", s, err)
	}
}

func TestSQSPerMessageGroupThroughputNeedsMessageGroupDeduplication(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	_, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fast.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"}})
	wantCode(t, err, "InvalidAttributeValue")
	url := f.queue(t, "fast.fifo", map[string]string{"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"})
	_, err = f.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"DeduplicationScope": "queue"}})
	wantCode(t, err, "InvalidAttributeValue")
	if _, err := f.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}}); err != nil {
		t.Errorf("both back to the queue's scope: %v", err)
	}
}

func TestSQSVisibilityCannotOutlastTwelveHoursFromTheReceive(t *testing.T) {
	f := newSQSFixture(t)
	ctx := context.Background()
	url := f.queue(t, "long", nil)
	f.send(t, url, "m", "", "")
	rh := f.receive(t, url, 1)[0].ReceiptHandle
	f.clock.Advance(20 * time.Second)
	_, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: rh, VisibilityTimeout: 43200})
	wantCode(t, err, "InvalidParameterValue")
	if _, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: rh, VisibilityTimeout: 43200 - 20}); err != nil {
		t.Errorf("what is left of the 12 hours: %v", err)
	}
}
