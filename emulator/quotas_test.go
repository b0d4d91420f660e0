package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/emulator"
)

// status returns the HTTP status of an SDK error.
func status(t *testing.T, err error) int {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want an HTTP response error", err)
	}
	return re.HTTPStatusCode()
}

// throttledAt calls fn until it fails and returns how many calls succeeded, and the error.
func throttledAt(t *testing.T, limit int, fn func() error) (int, error) {
	t.Helper()
	for i := range limit {
		if err := fn(); err != nil {
			return i, err
		}
	}
	return limit, nil
}

func TestSSMQuotaIs40PerSecondSharedByTheGetParameterCalls(t *testing.T) {
	f := newFixture(t, emulator.WithQuotas(emulator.AWSQuotas()))
	ctx := context.Background()
	if err := f.emu.SeedParameter("/p", "String", "v", ""); err != nil {
		t.Fatal(err)
	}
	// 40 tokens at once, taken by the three operations in turn: the quota is one bucket.
	calls := []func() error{
		func() error {
			_, err := f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
			return err
		},
		func() error {
			_, err := f.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/p"}})
			return err
		},
		func() error {
			_, err := f.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/")})
			return err
		},
	}
	n, err := throttledAt(t, 100, func() error { return calls[f.emu.TotalCalls()%3]() })
	if n != 40 {
		t.Fatalf("%d calls passed before a throttle (%v), want 40", n, err)
	}
	wantCode(t, err, "ThrottlingException")
	if s := status(t, err); s != http.StatusBadRequest {
		t.Errorf("throttle status %d, want 400", s)
	}
	// A quarter of a second later, 10 more tokens: 40 per second.
	f.clock.Advance(250 * time.Millisecond)
	if n, _ := throttledAt(t, 100, calls[0]); n != 10 {
		t.Errorf("%d calls passed 250ms later, want 10", n)
	}
	if got := f.emu.Throttled(); got["GetParameter"]+got["GetParameters"] != 2 {
		t.Errorf("Throttled() = %v, want the 2 throttled calls counted", got)
	}
	// Other SSM calls have no published quota.
	for range 50 {
		if _, err := f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/q"), Value: aws.String("v"), Type: "String", Overwrite: aws.Bool(true)}); err != nil {
			t.Fatalf("PutParameter: %v", err)
		}
	}
}

func TestSecurityHubQuotasAnswerLimitExceeded429(t *testing.T) {
	f := newHubFixture(t, emulator.WithQuotas(emulator.AWSQuotas()))
	hub := securityHubClient(f.url)
	ctx := context.Background()
	// BatchImportFindings: 10 per second, burst 30.
	imp := func() error {
		_, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("f", 1)}})
		return err
	}
	n, err := throttledAt(t, 100, imp)
	if n != 30 {
		t.Fatalf("%d BatchImportFindings calls before a throttle (%v), want the burst of 30", n, err)
	}
	wantCode(t, err, "LimitExceededException")
	if s := status(t, err); s != http.StatusTooManyRequests {
		t.Errorf("throttle status %d, want 429", s)
	}
	f.clock.Advance(time.Second)
	if n, _ := throttledAt(t, 100, imp); n != 10 {
		t.Errorf("%d BatchImportFindings calls a second later, want 10", n)
	}
	// GetFindings: 3 per second, burst 6, a bucket of its own.
	n, err = throttledAt(t, 100, func() error {
		_, err := hub.GetFindings(ctx, &securityhub.GetFindingsInput{})
		return err
	})
	if n != 6 {
		t.Fatalf("%d GetFindings calls before a throttle (%v), want the burst of 6", n, err)
	}
	wantCode(t, err, "LimitExceededException")
}

func TestSQSQuotaBindsEachActionOfAFIFOQueueOnly(t *testing.T) {
	f := newSQSFixture(t, emulator.WithQuotas(emulator.AWSQuotas()))
	ctx := context.Background()
	fifo := f.queue(t, "work.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	other := f.queue(t, "other.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	fast := f.queue(t, "fast.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true",
		"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
	standard := f.queue(t, "plain", nil)
	receive := func(url string) func() error {
		return func() error {
			_, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
			return err
		}
	}
	n, err := throttledAt(t, 400, receive(fifo))
	if n != 300 {
		t.Fatalf("%d ReceiveMessage calls on a FIFO queue before a throttle (%v), want 300", n, err)
	}
	wantCode(t, err, "RequestThrottled")
	// Another action of the same queue, and the same action on another queue, have their own.
	if _, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")}); err != nil {
		t.Errorf("SendMessage on the throttled queue: %v", err)
	}
	if err := receive(other)(); err != nil {
		t.Errorf("ReceiveMessage on another FIFO queue: %v", err)
	}
	// Standard queues and high-throughput FIFO queues: no per-action quota.
	for name, url := range map[string]string{"standard": standard, "high-throughput FIFO": fast} {
		if n, err := throttledAt(t, 400, receive(url)); n != 400 {
			t.Errorf("%s queue throttled after %d calls: %v", name, n, err)
		}
	}
}

func TestS3QuotaIsPerBucketAndAnswersSlowDown503(t *testing.T) {
	quotas, err := emulator.ParseQuotas("PutBucketCors=1/2")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, emulator.WithQuotas(quotas))
	c := s3Client(f.url)
	ctx := context.Background()
	for _, b := range []string{"one", "two"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	put := func(bucket string) func() error {
		return func() error {
			_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &s3types.CORSConfiguration{
				CORSRules: []s3types.CORSRule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}}}})
			return err
		}
	}
	n, err := throttledAt(t, 10, put("one"))
	if n != 2 {
		t.Fatalf("%d PutBucketCors calls before a throttle (%v), want the burst of 2", n, err)
	}
	wantCode(t, err, "SlowDown")
	if s := status(t, err); s != http.StatusServiceUnavailable {
		t.Errorf("SlowDown status %d, want 503", s)
	}
	if err := put("two")(); err != nil {
		t.Errorf("another bucket shares the throttled bucket's quota: %v", err)
	}
}

func TestWithoutQuotasAnswersAnyRate(t *testing.T) {
	f := newFixture(t) // the fixture chooses WithoutQuotas
	if err := f.emu.SeedParameter("/p", "String", "v", ""); err != nil {
		t.Fatal(err)
	}
	if n, err := throttledAt(t, 200, func() error {
		_, err := f.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
		return err
	}); n != 200 {
		t.Fatalf("throttled after %d calls without quotas: %v", n, err)
	}
	if len(f.emu.Quotas()) != 0 {
		t.Errorf("Quotas() = %v, want none", f.emu.Quotas())
	}
}

func TestANewEmulatorAppliesAWSQuotas(t *testing.T) {
	got := map[string]emulator.Quota{}
	for _, q := range emulator.New().Quotas() {
		for _, op := range q.Ops {
			got[q.Service+":"+op] = q
		}
		if q.Source == "" {
			t.Errorf("quota %s:%v cites no source", q.Service, q.Ops)
		}
	}
	for op, want := range map[string][2]float64{
		"ssm:GetParameter": {40, 40}, "ssm:GetParameters": {40, 40}, "ssm:GetParametersByPath": {40, 40},
		"securityhub:BatchImportFindings": {10, 30}, "securityhub:GetFindings": {3, 6},
		"sqs:SendMessageBatch": {300, 300}, "sqs:ReceiveMessage": {300, 300}, "sqs:DeleteMessageBatch": {300, 300},
		"sqs:ChangeMessageVisibility": {300, 300},
		"s3:GetBucketCors":            {5500, 5500}, "s3:PutBucketCors": {3500, 3500},
	} {
		q, ok := got[op]
		if !ok || q.Rate != want[0] || float64(q.Burst) != want[1] {
			t.Errorf("%s: quota %+v, want %v/s burst %v", op, q, want[0], want[1])
		}
	}
	if ssm := got["ssm:GetParameter"]; len(ssm.Ops) != 3 {
		t.Errorf("SSM's quota is not shared by GetParameter, GetParameters and GetParametersByPath: %v", ssm.Ops)
	}
}

func TestParseQuotas(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
		check   func([]emulator.Quota) bool
	}{
		{"aws", false, func(q []emulator.Quota) bool { return len(q) == len(emulator.AWSQuotas()) }},
		{"", false, func(q []emulator.Quota) bool { return len(q) == len(emulator.AWSQuotas()) }},
		{"off", false, func(q []emulator.Quota) bool { return len(q) == 0 }},
		{"GetParameters=100", false, func(q []emulator.Quota) bool {
			return rateOf(q, "GetParameter") == 100 && burstOf(q, "GetParameter") == 100
		}},
		{"BatchImportFindings=20/60, GetFindings=0", false, func(q []emulator.Quota) bool {
			return rateOf(q, "BatchImportFindings") == 20 && burstOf(q, "BatchImportFindings") == 60 && rateOf(q, "GetFindings") == -1
		}},
		{"lambda=5/5, apigateway=0", false, func(q []emulator.Quota) bool { // whole-service quotas by service
			i := slices.IndexFunc(q, func(q emulator.Quota) bool { return q.Service == "lambda" })
			return i >= 0 && q[i].Rate == 5 && q[i].Burst == 5 && !slices.ContainsFunc(q, func(q emulator.Quota) bool { return q.Service == "apigateway" })
		}},
		{"sqs=5", true, nil},           // SQS's quotas are per action, not one for the service
		{"PutCorsPolicy=5", true, nil}, // AWS publishes no MediaStore rate: nothing to change
		{"GetParameter", true, nil},
		{"GetParameter=-1", true, nil},
		{"GetParameter=NaN", true, nil},
		{"GetParameter=10/0", true, nil},
		{"GetParameter=ten", true, nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			q, err := emulator.ParseQuotas(tc.in)
			if tc.wantErr != (err != nil) {
				t.Fatalf("ParseQuotas(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(q) {
				t.Errorf("ParseQuotas(%q) = %+v", tc.in, q)
			}
		})
	}
}

func FuzzParseQuotas(f *testing.F) {
	for _, s := range []string{"aws", "off", "GetParameter=100", "BatchImportFindings=20/60,GetFindings=0", "x=1/", "=", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		qs, err := emulator.ParseQuotas(s)
		if err != nil {
			return
		}
		for _, q := range qs {
			if q.Rate <= 0 || q.Burst < 1 || len(q.Ops) == 0 {
				t.Fatalf("ParseQuotas(%q) gave an unusable quota %+v", s, q)
			}
		}
	})
}

// rateOf returns the rate of the quota covering op, -1 when none does.
func rateOf(qs []emulator.Quota, op string) float64 {
	for _, q := range qs {
		for _, o := range q.Ops {
			if o == op {
				return q.Rate
			}
		}
	}
	return -1
}

func burstOf(qs []emulator.Quota, op string) int {
	for _, q := range qs {
		for _, o := range q.Ops {
			if o == op {
				return q.Burst
			}
		}
	}
	return -1
}
