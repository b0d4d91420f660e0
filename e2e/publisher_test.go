package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
)

// The findings queue end to end (docs/security-hub.md, "The publisher"): the real bootstrap as
// router, workers and publishers under aws-lambda-rie; the emulator's SQS standard findings
// queue as template.yaml makes it; emulator/esm playing both event source mappings, the
// findings queue's with the template's batch of 100, a window and MaximumConcurrency 2; AWS's
// default quotas on, Security Hub's included.

const findingsQueue = "corsguard-findings"

func TestFindingsGoFromTheWorkersThroughTheFindingsQueueToThePublisher(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount), emulator.WithQuotas(emulator.AWSQuotas()))
	const n = 120
	for i := range n {
		cors := baseline
		if i%2 == 0 {
			cors = drifted
		}
		if err := a.SeedBucket(fmt.Sprintf("media-%03d", i), "", cors, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SeedQueue(findingsQueue, map[string]string{"VisibilityTimeout": "330"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"CORSGUARD_TARGETS": "s3", "CORSGUARD_MODE": "audit", "CORSGUARD_SECURITY_HUB": "true",
		"CORSGUARD_FINDINGS_QUEUE_URL": a.QueueURL(a.url, findingsQueue),
		// The workers' MaximumConcurrency: it must not move the publishers' share.
		"CORSGUARD_MAX_CONCURRENCY": "50",
	}
	q := newQueued(t, a, 3, env, nil)
	pubEnv := fastEnv(a)
	pubEnv["CORSGUARD_QUEUE_URL"] = q.queueURL
	for k, v := range env {
		pubEnv[k] = v
	}
	publishers := make(chan *function, 2)
	for range 2 {
		publishers <- startFunction(t, pubEnv)
	}
	publish := &esm.Mapping{
		Client: q.sqs, QueueURL: a.QueueURL(a.url, findingsQueue), QueueARN: a.QueueARN(findingsQueue), Region: region,
		BatchSize: 100, MaximumBatchingWindow: time.Second, MaximumConcurrency: 2, ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			p := <-publishers
			defer func() { publishers <- p }()
			return esm.HTTPFunction(nil, p.invokeURL)(ctx, ev)
		},
	}

	sweep := func(id string, handed bool) esm.Stats {
		t.Helper()
		if inv := q.router.invoke(t, scheduled(id)); inv.failed() || inv.Result.Queue == nil || inv.Result.Queue.Enqueued != n {
			t.Fatalf("router: %s", inv)
		}
		a.ResetCalls()
		q.drain(t)
		if calls := a.CallCount("BatchImportFindings") + a.CallCount("GetFindings"); calls != 0 {
			t.Fatalf("the workers called Security Hub %d times; they hand their findings to the queue", calls)
		}
		if v, _, _, _ := a.QueueDepth(findingsQueue); (v > 0) != handed {
			t.Fatalf("the workers handed %d findings messages over; want some: %v", v, handed)
		}
		stats, err := publish.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if stats.FunctionErrors != 0 || stats.Failed != 0 {
			t.Errorf("publisher: %+v", stats)
		}
		return stats
	}

	stats := sweep("sweep-1", true)
	states := map[string]int{}
	for _, d := range a.Findings() {
		states[d["Compliance"].(map[string]any)["Status"].(string)]++
	}
	if states["FAILED"] != n/2 || states["PASSED"] != n/2 {
		t.Errorf("findings by status %v, want %d FAILED and %d PASSED", states, n/2, n/2)
	}
	// 12 worker batches' findings: one import per publisher batch of up to 100 findings,
	// never one per worker batch.
	imports := a.CallCount("BatchImportFindings")
	if imports > stats.Invocations+n/100 || imports >= n/10 {
		t.Errorf("%d BatchImportFindings calls for %d findings in %d publisher invocations", imports, n, stats.Invocations)
	}
	throttled := a.Throttled()
	if throttled["BatchImportFindings"]+throttled["GetFindings"] != 0 {
		t.Errorf("Security Hub throttled %v: the publishers must stay within the quotas", throttled)
	}
	if lines := q.workerLines("security hub findings handed to the findings queue"); len(lines) == 0 {
		t.Error("no worker said it handed its findings over")
	}

	// A second sweep of the unchanged estate: its listing reads the previous findings, the
	// workers hand nothing over, and nothing is imported.
	sweep("sweep-2", false)
	if got := a.CallCount("BatchImportFindings"); got != 0 {
		t.Errorf("the second sweep made %d BatchImportFindings calls, want 0", got)
	}
}
