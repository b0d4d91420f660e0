package workqueue_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// TestGiveBackFitsWhatIsLeftOfTwelveHours: SQS counts a message's 12 hours of visibility from
// its receive. A worker gives a message back some minutes after the event source mapping
// received it (its batching window, then the invocation), so the longest delay must still fit.
func TestGiveBackFitsWhatIsLeftOfTwelveHours(t *testing.T) {
	clock := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	emu := emulator.New(emulator.WithClock(clock), emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: emulator.HTTPClient(),
		Retryer: aws.NopRetryer{}, Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		})})
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	q := workqueue.New(c, aws.ToString(out.QueueUrl))
	if err := q.Send(ctx, []workqueue.Message{workqueue.Reconcile(policy.S3, "media", enforce.ModeEnforce, "test", "req-1")}); err != nil {
		t.Fatal(err)
	}
	// The queue's visibility outlasts the function's timeout, as the event source mapping needs.
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, VisibilityTimeout: 3600})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v %+v", err, got)
	}
	// The batching window (5 min) and a whole invocation (15 min) later.
	clock.Advance(20 * time.Minute)
	if err := q.GiveBack(ctx, aws.ToString(got.Messages[0].ReceiptHandle), 24*time.Hour); err != nil {
		t.Fatalf("GiveBack of a day, 20 min after the receive: %v", err)
	}
	clock.Advance(workqueue.MaxGiveBack - time.Second)
	if again, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl}); len(again.Messages) != 0 {
		t.Fatal("visible before the delay ended")
	}
	clock.Advance(time.Second)
	if again, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl}); len(again.Messages) != 1 {
		t.Fatal("not visible once the delay ended")
	}
}
