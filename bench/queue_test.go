package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/corsguard/corsguard/internal/wiring/config"
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
	// No pattern names a profile and no bucket carries the profile tag: nothing is read under
	// the profiles path (issue 24).
	if res.SSMReads() != res.SSMMinimum() || res.Calls["GetParametersByPath"] != 0 {
		t.Errorf("SSM reads %d, want the minimum %d and no GetParametersByPath (%v)", res.SSMReads(), res.SSMMinimum(), res.Calls)
	}
	if res.Calls["SendMessageBatch"] != 3 || res.Calls["GetBucketCors"] != 25 {
		t.Errorf("calls %v: want 3 SendMessageBatch (10 + 10 + 5) and 25 GetBucketCors", res.Calls)
	}
	if res.SQSCalls() == 0 || res.Invocations < 4 || res.Records != 25 || res.FunctionTime <= 0 {
		t.Errorf("SQS calls %d, invocations %d, records %d, function time %v", res.SQSCalls(), res.Invocations, res.Records, res.FunctionTime)
	}
}

// TestRunQueueSweepWithSecurityHubCountsFindingsAndShares runs the queue sweep with Security
// Hub on at AWS's quotas and checks what the row is computed from: every bucket's finding
// present, the shares, the busiest operation and the minimums.
func TestRunQueueSweepWithSecurityHubCountsFindingsAndShares(t *testing.T) {
	res, err := RunQueueSweep(context.Background(), QueueSweepSpec{N: 30, Rate: 1000, Concurrency: 2, Latency: time.Millisecond, SecurityHub: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged != 30 || res.FindingsPresent != 30 || res.Findings != 30 {
		t.Errorf("converged %d, findings present %d of %d; want 30 of 30", res.Converged, res.FindingsPresent, res.Findings)
	}
	if s := res.Shares["BatchImportFindings"]; s.Rate != 5 {
		t.Errorf("BatchImportFindings share %+v, want the default 5/s", s)
	}
	if s := res.Shares["GetFindings"]; s.Rate != 2 {
		t.Errorf("GetFindings share %+v, want findings.DefaultReadRate's 2/s", s)
	}
	if res.PublisherInvocations == 0 || res.FindingsMessages != res.Records/10 && res.FindingsMessages < 3 {
		t.Errorf("%d publisher invocations of %d findings messages: want the workers' findings through the findings queue", res.PublisherInvocations, res.FindingsMessages)
	}
	if s := res.Shares["GetParameter"]; s.Rate != 10 {
		t.Errorf("GetParameter share %+v, want CORSGUARD_SSM_RATE's default 10/s", s)
	}
	if s := res.Shares["SendMessageBatch"]; s.Rate != 300 {
		t.Errorf("SendMessageBatch share %+v, want the FIFO queue's 300/s", s)
	}
	if s := res.Shares["GetBucketCors"]; s.Rate != 1000 {
		t.Errorf("GetBucketCors share %+v, want CORSGUARD_RATE's 1000/s", s)
	}
	op, calls, s := res.Busiest()
	for o, n := range res.Calls {
		if sh, ok := res.Shares[o]; ok && o != pollOp && float64(n)/sh.Rate > float64(calls)/s.Rate {
			t.Errorf("busiest %s (%d at %g/s), but %s made %d at %g/s", op, calls, s.Rate, o, n, sh.Rate)
		}
	}
	if want := time.Duration(float64(calls)/s.Rate*float64(time.Second)) + time.Millisecond; res.Bound() != want {
		t.Errorf("bound %v, want %v", res.Bound(), want)
	}
	if res.MinimumImports() != 1 || res.SSMMinimum() != 1+res.WorkerInstances+res.StampRereads || res.WorkerInstances < 1 || res.WorkerInstances > 2 {
		t.Errorf("minimum imports %d (want 1), SSM minimum %d with %d worker instances", res.MinimumImports(), res.SSMMinimum(), res.WorkerInstances)
	}
	if res.Calls["BatchImportFindings"] == 0 {
		t.Errorf("no BatchImportFindings: %v", res.Calls)
	}
}

// TestRunStormRepairsEveryBucket runs a small CloudTrail storm: every drifting write's event
// invokes a router, and every bucket ends repaired.
func TestRunStormRepairsEveryBucket(t *testing.T) {
	res, err := RunStorm(context.Background(), StormSpec{Events: 20, Over: 200 * time.Millisecond, Rate: 1000, Concurrency: 2, Latency: time.Millisecond, SecurityHub: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Routed != 20 || res.Converged != 20 || res.Repairs < 20 || res.FindingsPresent != 20 {
		t.Errorf("routed %d, converged %d, repairs %d, findings present %d; want 20 each", res.Routed, res.Converged, res.Repairs, res.FindingsPresent)
	}
	if res.LastRepair <= 0 || res.RouterInstances < 1 || res.SSMReads() == 0 {
		t.Errorf("last repair %v, router instances %d, SSM reads %d", res.LastRepair, res.RouterInstances, res.SSMReads())
	}
	if res.Answered("BatchImportFindings") == 0 {
		t.Errorf("no BatchImportFindings: %v", res.Calls)
	}
}

// TestRunQueueSweepStopsAtItsLimit gives a sweep that Security Hub's shares keep busy for
// several seconds a limit of half a second: it stops soon after and says so, with what it
// counted.
func TestRunQueueSweepStopsAtItsLimit(t *testing.T) {
	// 2,000 buckets: the listing reads their previous findings 100 to a GetFindings at 1.8/s
	// (20 calls, about 11 s), the publishers import 20 calls at 2 × 2.4/s.
	res, err := RunQueueSweep(context.Background(), QueueSweepSpec{N: 2000, Rate: 1000, Concurrency: 2, Latency: time.Millisecond, SecurityHub: true, Limit: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The publishers' batching window (5 s) may hold the stop back that long.
	if !res.TimedOut || res.Wall > 20*time.Second || res.Calls["ListBuckets"] == 0 {
		t.Errorf("timed out %v after %v, calls %v; want stopped soon after 0.5 s with calls counted", res.TimedOut, res.Wall, res.Calls)
	}
}

// TestTheFindingsMappingIsTheTemplates holds the findings queue's mapping the bench plays to
// template.yaml's FindingsQueueMapping: batch size, batching window and concurrency.
func TestTheFindingsMappingIsTheTemplates(t *testing.T) {
	b, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// at walks mapping keys down from n; nil when one is missing.
	at := func(n *yaml.Node, keys ...string) *yaml.Node {
		for _, k := range keys {
			if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
				n = n.Content[0]
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return &yaml.Node{}
			}
			n = next
		}
		return n
	}
	props := at(&doc, "Resources", "FindingsQueueMapping", "Properties")
	got := fmt.Sprint(at(props, "BatchSize").Value, " ", at(props, "MaximumBatchingWindowInSeconds").Value, " ", at(props, "ScalingConfig", "MaximumConcurrency").Value)
	want := fmt.Sprint(config.FindingsBatch, " ", int(config.FindingsWindow/time.Second), " ", config.PublisherConcurrency)
	if got != want {
		t.Errorf("template's FindingsQueueMapping: BatchSize, window, concurrency %q; the bench plays %q", got, want)
	}
}
