package emulator_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/corsguard/corsguard/emulator/esm"
)

// BenchmarkSQSFIFOSweep fills a FIFO queue with b.N messages, one group each (one per
// resource, as the work queue does), in batches of ten, and drains it through the event
// source mapping with 10 concurrent invokers: the emulator's part of a queued sweep.
// go test -run '^$' -bench SQSFIFOSweep -benchtime 100000x ./emulator/
func BenchmarkSQSFIFOSweep(b *testing.B) {
	f := newSQSFixture(b)
	ctx := context.Background()
	if err := f.emu.SeedQueue("work.fifo", map[string]string{"FifoQueue": "true"}); err != nil {
		b.Fatal(err)
	}
	url := f.emu.QueueURL(f.url, "work.fifo")
	b.ResetTimer()
	for i := 0; i < b.N; i += 10 {
		var es []sqstypes.SendMessageBatchRequestEntry
		for j := i; j < min(i+10, b.N); j++ {
			id := fmt.Sprintf("bucket-%07d", j)
			es = append(es, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j - i)), MessageBody: aws.String(id),
				MessageGroupId: aws.String("bucket/" + id), MessageDeduplicationId: aws.String(id)})
		}
		if _, err := f.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es}); err != nil {
			b.Fatal(err)
		}
	}
	m := &esm.Mapping{Client: f.sqs, QueueURL: url, MaximumConcurrency: 10, ReportBatchItemFailures: true,
		Function: func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}}
	stats, err := m.Run(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if stats.Deleted != b.N {
		b.Fatalf("deleted %d of %d", stats.Deleted, b.N)
	}
}
