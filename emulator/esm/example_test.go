package esm_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
)

// An emulator with a FIFO queue, a real SQS client, and a mapping that hands the queue's
// messages to a function that fails one record: that record stays in the queue.
func Example() {
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	defer srv.Close()
	defer emu.Close() // ends long polls first, so srv.Close does not wait for them
	if err := emu.SeedQueue("work.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}); err != nil {
		panic(err)
	}
	client := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), HTTPClient: emulator.HTTPClient()})
	url := emu.QueueURL(srv.URL, "work.fifo")
	for _, name := range []string{"movies", "live", "archive"} {
		_, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url),
			MessageBody: aws.String(name), MessageGroupId: aws.String("container/" + name)})
		if err != nil {
			panic(err)
		}
	}

	worker := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			fmt.Println(r.EventSource, r.Attributes["MessageGroupId"], r.Body)
			if r.Body == "live" { // busy: give it back
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}
	m := &esm.Mapping{Client: client, QueueURL: url, Function: worker, ReportBatchItemFailures: true, MaximumConcurrency: 2}
	stats, err := m.Run(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Printf("deleted %d, left %d\n", stats.Deleted, stats.Failed)
	// Output:
	// aws:sqs container/movies movies
	// aws:sqs container/live live
	// aws:sqs container/archive archive
	// deleted 2, left 1
}
