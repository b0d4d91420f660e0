package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
)

// sqsOps are the operations the SQS front end serves.
var sqsOps = []string{"CreateQueue", "GetQueueUrl", "GetQueueAttributes", "SetQueueAttributes", "ListQueues",
	"DeleteQueue", "PurgeQueue", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
	"DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"}

func sqsRequest(emu *emulator.Emulator, op, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://sqs.local/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00")
	w := httptest.NewRecorder()
	emu.ServeHTTP(w, req)
	return w
}

// FuzzSQSRequest sends any body to any SQS operation of an emulator holding a FIFO queue with
// a message in flight and a standard queue with a visible one. Whatever the body, the answer
// is JSON: 200, or a client error with a query-compatible error header. Never a panic or a
// 500 (which would be an emulator bug, as no fault is injected).
func FuzzSQSRequest(f *testing.F) {
	const work, plain = `"QueueUrl":"http://sqs.local/012345678912/work.fifo"`, `"QueueUrl":"http://sqs.local/012345678912/plain"`
	seeds := []struct {
		op   int
		body string
	}{
		{0, `{"QueueName":"new.fifo","Attributes":{"FifoQueue":"true","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:012345678912:work.fifo\",\"maxReceiveCount\":\"3\"}"}}`},
		{0, `{"QueueName":"x","Attributes":{"VisibilityTimeout":"-1","DelaySeconds":"abc"}}`},
		{2, `{` + work + `,"AttributeNames":["All"]}`},
		{3, `{` + plain + `,"Attributes":{"RedrivePolicy":"{\"deadLetterTargetArn\":1}"}}`},
		{4, `{"QueueNamePrefix":"w","MaxResults":1,"NextToken":"%%%"}`},
		{7, `{` + work + `,"MessageBody":"\u0000","MessageGroupId":"g","MessageDeduplicationId":"d"}`},
		{8, `{` + work + `,"Entries":[{"Id":"a","MessageBody":"x","MessageGroupId":"g","MessageDeduplicationId":"d"},{"Id":"b"}]}`},
		{9, `{` + work + `,"MaxNumberOfMessages":10,"VisibilityTimeout":43200,"AttributeNames":["All"]}`},
		{10, `{` + work + `,"ReceiptHandle":"d29yay5maWZvAHgAMQAw"}`},
		{11, `{` + plain + `,"Entries":[{"Id":"1","ReceiptHandle":"=="}]}`},
		{12, `{` + work + `,"ReceiptHandle":"","VisibilityTimeout":99999999999}`},
		{13, `{` + work + `,"Entries":[{"Id":"1","ReceiptHandle":"x","VisibilityTimeout":null}]}`},
		{7, `{` + plain + `,"MessageBody":"x","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"AA=="},"b":{"DataType":"Number.int","StringValue":"1"},"c":{"DataType":"String"}}}`},
		{9, `{` + plain + `,"MessageAttributeNames":["All","a.*",".*"]}`},
		{6, `[]`},
		{1, `{"QueueName":7}`},
	}
	for _, s := range seeds {
		f.Add(s.op, s.body)
	}
	f.Fuzz(func(t *testing.T, op int, body string) {
		emu := emulator.New(emulator.WithClock(clock.NewManual(epoch)), emulator.WithoutQuotas())
		defer emu.Close()
		if err := emu.SeedQueue("work.fifo", map[string]string{"FifoQueue": "true"}); err != nil {
			t.Fatal(err)
		}
		if err := emu.SeedQueue("plain", nil); err != nil {
			t.Fatal(err)
		}
		sqsRequest(emu, "SendMessage", `{`+work+`,"MessageBody":"m","MessageGroupId":"g","MessageDeduplicationId":"d"}`)
		sqsRequest(emu, "SendMessage", `{`+plain+`,"MessageBody":"m"}`)
		sqsRequest(emu, "ReceiveMessage", `{`+work+`}`)
		name := sqsOps[uint(op)%uint(len(sqsOps))]
		if strings.Contains(body, `"WaitTimeSeconds"`) {
			return // a long poll would wait for real
		}
		w := sqsRequest(emu, name, body)
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %s", name, body, w.Body.Bytes())
		}
		switch {
		case w.Code == http.StatusOK:
		case w.Code >= 400 && w.Code < 500:
			if q := w.Header().Get("X-Amzn-Query-Error"); !strings.HasSuffix(q, ";Sender") || doc["__type"] == nil {
				t.Fatalf("%s %s: HTTP %d with x-amzn-query-error %q: %s", name, body, w.Code, q, w.Body.Bytes())
			}
		default:
			t.Fatalf("%s %s: HTTP %d %s", name, body, w.Code, w.Body.Bytes())
		}
	})
}
