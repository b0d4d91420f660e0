package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corsguard/corsguard/bench"
)

// TestRenderCreatingShowsBothDesigns renders the CREATING function-time table from a tiny run
// (T = 1 minute, one pass used as both) and checks its rows, not its figures.
func TestRenderCreatingShowsBothDesigns(t *testing.T) {
	rows, err := bench.WaitWhileCreating(context.Background(), []time.Duration{time.Minute}, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := pass{creating: rows}
	var b w
	renderCreating(&b, p, p)
	out := b.String()
	for _, want := range []string{"| 1m0s | in-process | true | 1 |", "| 1m0s | work queue | true |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no row %q in:\n%s", want, out)
		}
	}
	t.Log(out)
}

// TestRenderQueueRowsAndSplice measures the work queue's rows and storm at a tiny size, renders
// them and splices them into a document written before section 1b: the rows start with the
// issue's cells, the shares and quotas are named, and the old rows are gone.
func TestRenderQueueRowsAndSplice(t *testing.T) {
	ctx := context.Background()
	var q queueRun
	for _, sh := range []bool{false, true} {
		r, err := bench.RunQueueSweep(ctx, bench.QueueSweepSpec{N: 20, Rate: 1000, Concurrency: 2, Latency: time.Millisecond, SecurityHub: sh})
		if err != nil {
			t.Fatal(err)
		}
		q.sweeps = append(q.sweeps, r)
	}
	s, err := bench.RunStorm(ctx, bench.StormSpec{Events: 10, Over: 100 * time.Millisecond, Rate: 1000, Concurrency: 2, Latency: time.Millisecond, SecurityHub: true})
	if err != nil {
		t.Fatal(err)
	}
	q.storm = &s
	var b w
	renderQueue(&b, q)
	out := b.String()
	for _, want := range []string{"| buckets | 20 | Security Hub off | 6 | 20 | – |", "| buckets | 20 | Security Hub on | 6 | 20 | 20 of 20 |",
		"| BatchImportFindings | 5/s | CORSGUARD_SECURITY_HUB_RATE 5/s |", "| GetParameter | 10/s | CORSGUARD_SSM_RATE 10/s (its default) |",
		"| 10 | 100ms | Security Hub on |", "| ssm | GetParameter, GetParameters, GetParametersByPath | 40/s | 40 | account | AWS General Reference",
		"| securityhub | BatchImportFindings | 10/s | 30 | account |", "| securityhub | GetFindings | 3/s | 6 | account |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}

	doc := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	old := "# Benchmarks\n\nRun: then.\n\n## Summary\n\n| result | target | pass A | pass B | |\n|---|---|---|---|---|\n| sweep | ≤ 1.15 | 1.00 | 1.00 | met |\n\n" +
		"## 1. Sweep convergence\n\n| kind |\n|---|\n| buckets, work queue | 10000 |\n\n**Through the work queue** (issue 14; pass A only). Old.\n" +
		"it stops (summary table). GetParameter is one per batch: each worker invocation reads the baseline's current version.\n\n" +
		"**Function time** stays.\n\n## 2. Time to compliance\n\nstays\n"
	if err := os.WriteFile(doc, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: the second replaces what the first wrote
		if err := spliceQueue(doc, time.Now(), time.Second, q); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(got)
	for _, gone := range []string{"| buckets, work queue |", "**Through the work queue** (issue 14"} {
		if strings.Contains(text, gone) {
			t.Errorf("%q is still there:\n%s", gone, text)
		}
	}
	for _, want := range []string{"| sweep | ≤ 1.15 | 1.00 | 1.00 | met |\n| work queue, wall ÷ bound, 20 buckets, Security Hub off |",
		"**Function time** stays.\n\n" + queueSection.heading, "## 2. Time to compliance\n\nstays\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if n := strings.Count(text, queueSection.heading); n != 1 {
		t.Errorf("%d sections 1b, want 1", n)
	}
	if n := strings.Count(text, queueSection.note); n != 1 {
		t.Errorf("%d notes of the -queue run, want 1", n)
	}

	// Section 1c, measured apart, goes after 1b; -queue again keeps it; make bench carries it.
	h := hubRun{Result: q.sweeps[1], Began: time.Now(), Took: time.Minute, Commit: "abc1234", Command: "go run ./bench/cmd/report -queue-hub 20"}
	if err := spliceHub(doc, h); err != nil {
		t.Fatal(err)
	}
	if err := spliceQueue(doc, time.Now(), time.Second, q); err != nil {
		t.Fatal(err)
	}
	got, err = os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text = string(got)
	b1, c1, s2 := strings.Index(text, queueSection.heading), strings.Index(text, hubSection.heading), strings.Index(text, "## 2. Time")
	if b1 < 0 || c1 < b1 || s2 < c1 || strings.Count(text, hubSection.heading) != 1 {
		t.Errorf("sections 1b at %d, 1c at %d, 2 at %d; want them in that order, once each:\n%s", b1, c1, s2, text)
	}
	body, rows, note := carryHub(doc)
	if !strings.HasPrefix(body, hubSection.heading) || !strings.Contains(body, "| buckets | 20 | Security Hub on |") ||
		len(rows) != 1 || !strings.HasPrefix(rows[0], hubSection.prefix+"wall ÷ bound, 20 buckets, Security Hub on") ||
		!strings.Contains(note, "-queue-hub 20") {
		t.Errorf("carried section 1c:\n%s\nrows %q\nnote %q", body, rows, note)
	}
}

// TestRenderProfilesAndSplice measures the profiles' runs at a small size and splices them into
// a document twice: section 1d goes before section 2 once, with its two summary rows met and
// each run's calls ÷ minimum at 1.00; a section 1c spliced afterwards goes before it.
func TestRenderProfilesAndSplice(t *testing.T) {
	r, err := bench.RunProfiles(context.Background(), bench.ProfilesSpec{N: 60, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	old := "# Benchmarks\n\nRun: then.\n\n## Summary\n\n| result | target | pass A | pass B | |\n|---|---|---|---|---|\n| sweep | ≤ 1.15 | 1.00 | 1.00 | met |\n\n" +
		"## 1b. The work queue at AWS's quotas\n\nqueue\n\n## 2. Time to compliance\n\nstays\n"
	if err := os.WriteFile(doc, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: the second replaces what the first wrote
		if err := spliceProfiles(doc, time.Now(), time.Second, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := spliceHub(doc, hubRun{Began: time.Now(), Commit: "abc1234", Command: "hub"}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(got)
	for _, want := range []string{
		"| sweep | ≤ 1.15 | 1.00 | 1.00 | met |\n" + profilesSection.prefix + "sweep of 60 buckets (players, uploads, partners, default): calls ÷ minimum | 1.00, every bucket at its profile's baseline | 1.00 | | met: 59 of 59 converged;",
		profilesSection.prefix + "change of the uploads profile's S3 parameter: calls ÷ minimum | 1.00, exactly the upload buckets | 1.00 | | met: 20 of 20 converged, 0 CORS calls",
		"| sweep | **all** |", "| uploads change | **all** |", "`/corsguard/profiles/s3/archive` 1 (1)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	b1, c1, d1, s2 := strings.Index(text, queueSection.heading), strings.Index(text, hubSection.heading), strings.Index(text, profilesSection.heading), strings.Index(text, "## 2. Time")
	if b1 < 0 || c1 < b1 || d1 < c1 || s2 < d1 || strings.Count(text, profilesSection.heading) != 1 || strings.Count(text, profilesSection.note) != 1 {
		t.Errorf("sections 1b at %d, 1c at %d, 1d at %d, 2 at %d; want them in that order, 1d and its note once:\n%s", b1, c1, d1, s2, text)
	}
	if strings.Contains(text, "RequestID") {
		t.Errorf("the orphan's reason carries the SDK's request id, which differs run to run:\n%s", text)
	}
}

// TestSpliceCostReplacesOnlyTheCostSection rewrites the Cost section of a document, in the
// middle and at its end, and refuses a document without one.
func TestSpliceCostReplacesOnlyTheCostSection(t *testing.T) {
	sec := "## Cost\n\nnew figures\n"
	got, err := spliceCost("# B\n\n## 4. Growth\n\nkept\n\n## Cost\n\nold figures\n\n## Go benchmarks\n\nkept too\n", sec)
	if want := "# B\n\n## 4. Growth\n\nkept\n\n## Cost\n\nnew figures\n\n## Go benchmarks\n\nkept too\n"; err != nil || got != want {
		t.Errorf("in the middle: %q, %v; want %q", got, err, want)
	}
	got, err = spliceCost("# B\n\n## Cost\n\nold\n", sec)
	if want := "# B\n\n## Cost\n\nnew figures\n"; err != nil || got != want {
		t.Errorf("at the end: %q, %v; want %q", got, err, want)
	}
	if _, err := spliceCost("# B\n\n## 4. Growth\n", sec); err == nil {
		t.Error("a document without a Cost section was spliced")
	}
}

// TestCostSummaryRowsJudgeTheGoals renders the summary's cost rows from made-up counted sweeps
// of 100 buckets: the goal met, and a second sweep that imported findings is a miss.
func TestCostSummaryRowsJudgeTheGoals(t *testing.T) {
	sweep := func(drifted, ingested int) bench.SweepCounts {
		return bench.SweepCounts{N: 100, Drifted: drifted, Ingested: ingested, Invocations: 11, FunctionSeconds: 1, LogBytes: 10_000,
			Calls: map[string]int{"ListBuckets": 1, "GetBucketCors": 100, "PutBucketCors": drifted, "SendMessageBatch": 10, "ReceiveMessage": 10,
				"DeleteMessageBatch": 10, "GetParameter": 3, "GetFindings": 1}}
	}
	run := func(unchanged int) bench.CostRun {
		return bench.CostRun{Spec: bench.CostRunSpec{N: 100, Drift: 0.01}, First: sweep(30, 100), Unchanged: sweep(0, unchanged),
			Drifted: sweep(1, unchanged+1), Refresh: sweep(0, 100)}
	}
	for _, tc := range []struct {
		unchanged int
		want      string
	}{{0, "| 0 | 0 | | met |"}, {3, "| 0 | 3 | | **missed** |"}} {
		c := bench.Counted{On: run(tc.unchanged), Off: run(0)}
		rows := strings.Join(costSummaryRows(pass{cost: &c}), "\n")
		if !strings.Contains(rows, tc.want) || !strings.Contains(rows, "| ≤ $10 | $") {
			t.Errorf("unchanged sweep ingesting %d: no %q in\n%s", tc.unchanged, tc.want, rows)
		}
	}
	if rows := costSummaryRows(pass{}); rows != nil {
		t.Errorf("without counted sweeps: %q", rows)
	}
}
