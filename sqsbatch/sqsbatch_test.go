package sqsbatch_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/sqsbatch"
)

// TestRefusedEntriesAreSentAgainAndNamed: SQS refuses an entry of a batch on its own (here a
// body with a character SQS does not allow) and takes the others. Send delivers the others
// once, sends the refused one again up to Attempts calls in all, then names it in its error.
func TestRefusedEntriesAreSentAgainAndNamed(t *testing.T) {
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: emulator.HTTPClient(),
		Retryer: aws.NopRetryer{}, Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		})})
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("findings")})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	entries := []types.SendMessageBatchRequestEntry{
		{Id: aws.String("0"), MessageBody: aws.String("first")},
		{Id: aws.String("1"), MessageBody: aws.String("bad \x00 body")},
		{Id: aws.String("2"), MessageBody: aws.String("third")},
	}
	calls := 0
	err = sqsbatch.Send(ctx, c, url, entries, func() { calls++ }, func(id string) string { return "entry " + id })
	if err == nil || !strings.Contains(err.Error(), "1 refused") || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("Send: %v, want the refused entry 1 named", err)
	}
	if calls != sqsbatch.Attempts {
		t.Errorf("%d calls, want %d (the refused entry sent again until the attempts run out)", calls, sqsbatch.Attempts)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range got.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	if len(bodies) != 2 || !strings.Contains(strings.Join(bodies, ","), "first") || !strings.Contains(strings.Join(bodies, ","), "third") {
		t.Errorf("queue holds %q, want first and third once each", bodies)
	}
	if err := sqsbatch.Send(ctx, c, url, entries[:1], nil, nil); err != nil {
		t.Errorf("a batch SQS takes whole: %v", err)
	}
}
