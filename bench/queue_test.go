package bench

import (
	"context"
	"testing"
	"time"
)

// TestRunQueueSweepCountsASmallFleet runs the work queue's sweep harness on 25 buckets and
// checks what it counts, not how long it took.
func TestRunQueueSweepCountsASmallFleet(t *testing.T) {
	res, err := RunQueueSweep(context.Background(), QueueSweepSpec{N: 25, Rate: 1000, Concurrency: 2, Throttle: 1000, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged != 25 {
		t.Errorf("%d of 25 buckets converged", res.Converged)
	}
	if res.Drifted != 8 { // 3 in every 10: buckets 1, 4, 7, 11, 14, 17, 21, 24
		t.Errorf("drifted = %d, want 8", res.Drifted)
	}
	if res.TargetCalls() != res.MinimumWithTags() {
		t.Errorf("S3 calls %d, want the minimum with tags %d (%v)", res.TargetCalls(), res.MinimumWithTags(), res.Calls)
	}
	if res.Calls["SendMessageBatch"] != 3 || res.Calls["GetBucketCors"] != 25 {
		t.Errorf("calls %v: want 3 SendMessageBatch (10 + 10 + 5) and 25 GetBucketCors", res.Calls)
	}
	if res.SQSCalls() == 0 || res.Invocations < 4 || res.Records != 25 || res.FunctionTime <= 0 {
		t.Errorf("SQS calls %d, invocations %d, records %d, function time %v", res.SQSCalls(), res.Invocations, res.Records, res.FunctionTime)
	}
}
