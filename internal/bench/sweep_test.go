package bench

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"time"
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
	want := map[string]int{"ListContainers": 1, "GetCorsPolicy": 3, "ListTagsForResource": 1, "PutCorsPolicy": 1, "GetParameter": 2}
	for op, n := range want {
		if res.Calls[op] != n {
			t.Errorf("%s calls = %d, want %d (all: %v)", op, res.Calls[op], n, res.Calls)
		}
	}
	if res.MediaStoreCalls() != res.MinimumWithTags() || res.Minimum() != 5 {
		t.Errorf("MediaStore calls %d, minimum %d, with tags %d; want 6, 5, 6", res.MediaStoreCalls(), res.Minimum(), res.MinimumWithTags())
	}
	if res.PutsOnCompliant != 0 || res.Throttled != 0 {
		t.Errorf("puts on compliant %d, throttled %d; want 0 and 0", res.PutsOnCompliant, res.Throttled)
	}
	if res.Out.Totals["remediated"] != 1 || res.Out.Totals["compliant"] != 2 {
		t.Errorf("totals %v, want 1 remediated and 2 compliant", res.Out.Totals)
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
