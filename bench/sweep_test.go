package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/smithy-go"

	"github.com/corsguard/corsguard/emulator"
)

// TestRunSweepCountsASmallFleet runs the sweep harness on three containers (one drifted) and
// checks what it counts, not how long it took.
func TestRunSweepCountsASmallFleet(t *testing.T) {
	res, err := RunSweep(context.Background(), SweepSpec{N: 3, Rate: 1000, Throttle: 1000, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drifted != 1 {
		t.Errorf("drifted = %d, want 1 of 3", res.Drifted)
	}
	want := map[string]int{"ListContainers": 1, "GetCorsPolicy": 3, "ListTagsForResource": 3, "PutCorsPolicy": 1, "GetParameter": 2}
	for op, n := range want {
		if res.Calls[op] != n {
			t.Errorf("%s calls = %d, want %d (all: %v)", op, res.Calls[op], n, res.Calls)
		}
	}
	if res.MediaStoreCalls() != res.MinimumWithTags() || res.Minimum() != 5 || res.MinimumWithTags() != 8 {
		t.Errorf("MediaStore calls %d, minimum %d, with tags %d; want 8, 5, 8", res.MediaStoreCalls(), res.Minimum(), res.MinimumWithTags())
	}
	if res.PutsOnCompliant != 0 || res.Throttled != 0 {
		t.Errorf("puts on compliant %d, throttled %d; want 0 and 0", res.PutsOnCompliant, res.Throttled)
	}
	if res.Out.Totals["remediated"] != 1 || res.Out.Totals["compliant"] != 2 {
		t.Errorf("totals %v, want 1 remediated and 2 compliant", res.Out.Totals)
	}
}

// TestRunSweepCountsSmallBuckets runs the sweep harness on three S3 buckets (one drifted) and
// checks what it counts, not how long it took.
func TestRunSweepCountsSmallBuckets(t *testing.T) {
	res, err := RunSweep(context.Background(), SweepSpec{N: 3, Targets: "s3", Rate: 1000, Throttle: 1000, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drifted != 1 {
		t.Errorf("drifted = %d, want 1 of 3", res.Drifted)
	}
	want := map[string]int{"ListBuckets": 1, "GetBucketCors": 3, "GetBucketTagging": 1, "PutBucketCors": 1, "GetParameter": 2,
		"GetResources": 1, "ListContainers": 0, "GetCorsPolicy": 0}
	for op, n := range want {
		if res.Calls[op] != n {
			t.Errorf("%s calls = %d, want %d (all: %v)", op, res.Calls[op], n, res.Calls)
		}
	}
	if res.S3Calls() != 7 || res.MediaStoreCalls() != 0 || res.TargetCalls() != res.MinimumWithTags() || res.Minimum() != 5 {
		t.Errorf("S3 calls %d, MediaStore calls %d, minimum %d, with tags %d; want 7, 0, 5, 7",
			res.S3Calls(), res.MediaStoreCalls(), res.Minimum(), res.MinimumWithTags())
	}
	if res.PutsOnCompliant != 0 || res.Throttled != 0 {
		t.Errorf("puts on compliant %d, throttled %d; want 0 and 0", res.PutsOnCompliant, res.Throttled)
	}
	if res.Out.Totals["remediated"] != 1 || res.Out.Totals["compliant"] != 2 {
		t.Errorf("totals %v, want 1 remediated and 2 compliant", res.Out.Totals)
	}
}

// TestRunSweepCountsAMixedEstate sweeps three containers and three buckets in one run.
func TestRunSweepCountsAMixedEstate(t *testing.T) {
	res, err := RunSweep(context.Background(), SweepSpec{N: 3, Targets: "mediastore,s3", Rate: 1000, Throttle: 1000, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drifted != 2 || res.Minimum() != 10 || res.MinimumWithTags() != 15 {
		t.Errorf("drifted %d, minimum %d, with tags %d; want 2, 10, 15", res.Drifted, res.Minimum(), res.MinimumWithTags())
	}
	if res.MediaStoreCalls() != 8 || res.S3Calls() != 7 || res.TargetCalls() != res.MinimumWithTags() {
		t.Errorf("MediaStore calls %d, S3 calls %d; want 8 and 7 (all: %v)", res.MediaStoreCalls(), res.S3Calls(), res.Calls)
	}
	if res.PutsOnCompliant != 0 || res.Throttled != 0 {
		t.Errorf("puts on compliant %d, throttled %d; want 0 and 0", res.PutsOnCompliant, res.Throttled)
	}
	if res.Out.Totals["remediated"] != 2 || res.Out.Totals["compliant"] != 4 {
		t.Errorf("totals %v, want 2 remediated and 4 compliant", res.Out.Totals)
	}
}

// TestAccountCountsS3SlowDown checks that the emulator's throttling of an S3 operation comes
// back to the S3 client as SlowDown and that the throttle count sees it.
func TestAccountCountsS3SlowDown(t *testing.T) {
	a, err := StartAccount()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c := a.S3Client()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media")}); err != nil {
		t.Fatal(err)
	}
	a.ResetCalls()
	// One call per 1000 s, burst 1: the first call passes, the next two are throttled.
	a.SetThrottle("GetBucketCors", 0.001)
	noRetry := func(o *s3.Options) { o.RetryMaxAttempts = 1 }
	for i := range 3 {
		_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("media")}, noRetry)
		if want := map[bool]string{true: "NoSuchCORSConfiguration", false: "SlowDown"}[i == 0]; !errorCode(err, want) {
			t.Errorf("call %d: err = %v, want %s", i, err, want)
		}
	}
	if got := a.Throttled(); got != 2 {
		t.Errorf("throttled = %d after 1 NoSuchCORSConfiguration and 2 SlowDown answers; want 2", got)
	}
}

// TestAccountCountsThrottles checks that the throttle count sees the emulator's
// ThrottlingException answers and nothing else.
func TestAccountCountsThrottles(t *testing.T) {
	a, err := StartAccount()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ms, _ := a.Clients()
	a.Script("ListContainers", "", 2, "ThrottlingException")
	a.Script("ListContainers", "", 1, "InternalServerError")
	noRetry := func(o *mediastore.Options) { o.RetryMaxAttempts = 1 }
	for range 4 {
		_, _ = ms.ListContainers(context.Background(), &mediastore.ListContainersInput{}, noRetry)
	}
	if got := a.Throttled(); got != 2 {
		t.Errorf("throttled = %d after 2 throttles, 1 server error and 1 success; want 2", got)
	}
	a.ResetCalls()
	if got := a.Throttled(); got != 0 {
		t.Errorf("throttled = %d after ResetCalls, want 0", got)
	}
}

// errorCode reports whether err is an API error with code.
func errorCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// TestTheBenchRunsAtAWSQuotas: the bench's account applies AWS's published request quotas, and
// counts a quota's throttle in every service's words (here Security Hub's, which the old
// answer sniffer missed).
func TestTheBenchRunsAtAWSQuotas(t *testing.T) {
	a, err := StartAccount()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got, want := len(a.Quotas()), len(emulator.AWSQuotas()); got != want || got == 0 {
		t.Fatalf("the bench's account applies %d quotas, want AWS's %d", got, want)
	}
	a.Script("GetFindings", "", 1, "LimitExceededException")
	hub := securityhub.New(securityhub.Options{Region: Region, BaseEndpoint: aws.String(a.URL), HTTPClient: emulator.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""), RetryMaxAttempts: 1})
	_, _ = hub.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	if got := a.Throttled(); got != 1 {
		t.Errorf("throttled = %d after one LimitExceededException, want 1", got)
	}
}
