package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/corsguard/corsguard/bench"
	"github.com/corsguard/corsguard/emulator"
)

// queueSpecs are the work queue's rows (issue 23; pass A only: the 100,000-bucket sweeps take
// minutes each): buckets at an account-wide rate of 1000 requests/s per operation (the
// configuration's maximum), 16 workers, every quota at AWS's default (emulator.AWSQuotas) and
// nothing injected; Security Hub off, then on at corsguard's default share.
var queueSpecs = []bench.QueueSweepSpec{
	{N: 10000, Rate: 1000, Concurrency: 16, Latency: queueLatency, Limit: queueLimit},
	{N: 100000, Rate: 1000, Concurrency: 16, Latency: queueLatency, Limit: queueLimit},
	{N: 100000, Rate: 1000, Concurrency: 16, Latency: queueLatency, Limit: queueLimit, SecurityHub: true},
}

// queueLimit stops a work-queue row that has not finished: the bench must end in reasonable
// time even when a row cannot keep to its bound (the row then says how far it got).
const queueLimit = 10 * time.Minute

// queueLatency is the emulator's latency in the queue sweeps: SQS calls too pay it, and the
// router sends its SendMessageBatch calls one after another.
const queueLatency = 2 * time.Millisecond

// maxQueueRatio is issue 23's target for wall ÷ bound.
const maxQueueRatio = 1.15

// queueRun is the work queue's measurements: the sweeps and the storm. reducedTo is the N the
// rows were cut to by -queue-n (0: the sizes).
type queueRun struct {
	sweeps    []bench.QueueSweepResult
	storm     *bench.StormResult
	reducedTo int
}

// measureQueue runs the queue rows and the storm; n > 0 caps every row's N at n.
func measureQueue(ctx context.Context, n int) (queueRun, error) {
	run := queueRun{reducedTo: n}
	var done []bench.QueueSweepSpec
	for _, spec := range queueSpecs {
		if n > 0 && spec.N > n {
			spec.N = n
		}
		if slices.Contains(done, spec) {
			continue // cut to the same size as a row before it
		}
		done = append(done, spec)
		logf("queue sweep N=%d rate=%v concurrency=%d security hub=%v", spec.N, spec.Rate, spec.Concurrency, spec.SecurityHub)
		began := time.Now()
		r, err := bench.RunQueueSweep(ctx, spec)
		if err != nil {
			return queueRun{}, err
		}
		logf("queue sweep N=%d security hub=%v took %v", spec.N, spec.SecurityHub, time.Since(began).Round(time.Second))
		run.sweeps = append(run.sweeps, r)
	}
	spec := bench.StormFullSpec
	logf("CloudTrail storm: %d PutBucketCors events in %v", spec.Events, spec.Over)
	r, err := bench.RunStorm(ctx, spec)
	if err != nil {
		return queueRun{}, err
	}
	run.storm = &r
	return run, nil
}

func hubLabel(on bool) string {
	if on {
		return "Security Hub on"
	}
	return "Security Hub off"
}

// queueWallRatio is a queue row's wall ÷ bound.
func queueWallRatio(r bench.QueueSweepResult) float64 { return float64(r.Wall) / float64(r.Bound()) }

// queueSummaryPrefix starts each of the summary's rows of the work queue, which -queue rewrites.
const queueSummaryPrefix = "| work queue, "

// queueSummaryRows are the summary's rows of the work queue: each sweep's wall ÷ bound, and
// the storm.
func queueSummaryRows(q queueRun) []string {
	var out []string
	for _, r := range q.sweeps {
		ok := !r.TimedOut && queueWallRatio(r) <= maxQueueRatio && r.Converged == r.Spec.N && r.Reported == 0 &&
			(!r.Spec.SecurityHub || r.FindingsPresent == r.Spec.N)
		out = append(out, fmt.Sprintf("%swall ÷ bound, %d buckets, %s | ≤ %.2f, every bucket converged%s, no throttle reported | %.2f | | %s |",
			queueSummaryPrefix, r.Spec.N, hubLabel(r.Spec.SecurityHub), maxQueueRatio, map[bool]string{true: " and its finding present"}[r.Spec.SecurityHub],
			queueWallRatio(r), verdict(ok)))
	}
	if s := q.storm; s != nil {
		out = append(out, fmt.Sprintf("%sCloudTrail storm, %d PutBucketCors in %v: last bucket repaired after | | %s | | %d of %d repaired |",
			queueSummaryPrefix, s.Spec.Events, s.Spec.Over, secs(s.LastRepair), s.Converged, s.Spec.Events))
	}
	return out
}

// queueHeading starts the work queue's section; -queue rewrites it up to the next section.
const queueHeading = "## 1b. The work queue at AWS's quotas"

// renderQueue writes the work queue's section.
func renderQueue(b *w, q queueRun) {
	if len(q.sweeps) == 0 {
		return
	}
	b.pf("%s", queueHeading)
	b.pf("")
	if q.reducedTo > 0 {
		b.pf("**Reduced run:** `-queue-n %d` cut every row to at most %d buckets; these are not the issue's sizes.", q.reducedTo, q.reducedTo)
		b.pf("")
	}
	c := q.sweeps[0].Spec
	b.pf("Issue 23. The router lists the buckets page by page and enqueues one message per bucket (SendMessageBatch by")
	b.pf("ten) while emulator/esm, playing Lambda's event source mapping, hands batches of ten to %d worker instances, each", c.Concurrency)
	b.pf("its own engine, clients and limiters at CORSGUARD_RATE %g/s ÷ %d (CORSGUARD_MAX_CONCURRENCY), wired as cmd/enforcer", c.Rate, c.Concurrency)
	b.pf("wires them. The emulator adds %v to every call, SQS's and Security Hub's included, and applies **every quota at", queueLatency)
	b.pf("AWS's default** (`emulator.AWSQuotas`, listed with their sources below); nothing else is throttled. Wall is from the")
	b.pf("router's invocation to empty queues. At the end every bucket is read back (converged: holds the baseline), and")
	b.pf("with Security Hub on every bucket must have an active finding whose compliance status is PASSED (present).")
	b.pf("")
	b.pf("- **Bound** = the largest, over every operation the sweep made, of its calls (answered, not throttled) ÷ the rate")
	b.pf("  corsguard is configured to use for it, all instances together: its share, never above AWS's quota; where")
	b.pf("  corsguard sets no rate of its own (SQS, GetFindings), AWS's quota. Plus one latency. The operation is named.")
	b.pf("- **SSM reads** are GetParameter, GetParameters and GetParametersByPath calls answered; the minimum is one read by")
	b.pf("  the router and one per worker instance that ran, for the one baseline version (issue 23).")
	b.pf("- **Imports** are BatchImportFindings calls answered ÷ ⌈findings ÷ 100⌉ (100 findings a call).")
	b.pf("- **Throttles**: in reports, the throttling error codes found in what the function instances logged; absorbed, the")
	b.pf("  emulator's throttling answers that the SDK retried, per operation.")
	b.pf("")
	b.pf("| kind | N | Security Hub | drifted | converged | findings present | wall | bound: busiest operation, calls ÷ share | wall ÷ bound | SSM reads ÷ minimum | imports ÷ ⌈findings ÷ 100⌉ | throttles in reports | throttles absorbed by the SDK |")
	b.pf("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range q.sweeps {
		op, calls, s := r.Busiest()
		present, imports := "–", "–"
		if r.Spec.SecurityHub {
			present = fmt.Sprintf("%d of %d", r.FindingsPresent, r.Spec.N)
			imports = fmt.Sprintf("%d ÷ %d = %.2f", r.Answered("BatchImportFindings"), r.MinimumImports(),
				float64(r.Answered("BatchImportFindings"))/float64(max(r.MinimumImports(), 1)))
		}
		wall := secs(r.Wall)
		if r.TimedOut {
			wall = "stopped at " + secs(r.Wall)
		}
		b.pf("| buckets | %d | %s | %d | %d | %s | %s | %s | %s: %d ÷ %g/s | **%.2f** | %d ÷ %d = %.2f | %s | %d | %s |",
			r.Spec.N, hubLabel(r.Spec.SecurityHub), r.Drifted, r.Converged, present, wall, secs(r.Bound()), op, calls, s.Rate,
			queueWallRatio(r), r.SSMReads(), r.SSMMinimum(), float64(r.SSMReads())/float64(r.SSMMinimum()), imports, r.Reported, throttleList(r.ThrottledOps))
	}
	b.pf("")
	b.pf("**Shares.** The rate corsguard keeps to for each operation the rows made, and where it comes from; the calls each")
	b.pf("row made (answered; throttled answers in brackets):")
	b.pf("")
	hdr, sep := "| operation | share | from |", "|---|---|---|"
	for _, r := range q.sweeps {
		hdr += fmt.Sprintf(" %d, %s |", r.Spec.N, hubLabel(r.Spec.SecurityHub))
		sep += "---|"
	}
	b.pf("%s", hdr)
	b.pf("%s", sep)
	ops := map[string]bool{}
	for _, r := range q.sweeps {
		for op := range r.Calls {
			ops[op] = true
		}
	}
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		var share bench.Share
		for _, r := range q.sweeps {
			if s, ok := r.Shares[op]; ok {
				share = s
			}
		}
		rate, from := "none", "no quota, no rate of corsguard's"
		if share.Rate > 0 {
			rate, from = fmt.Sprintf("%g/s", share.Rate), share.From
		}
		line := fmt.Sprintf("| %s | %s | %s |", op, rate, from)
		for _, r := range q.sweeps {
			line += " " + withThrottled(r.Answered(op), r.ThrottledOps[op]) + " |"
		}
		b.pf("%s", line)
	}
	b.pf("")
	b.pf("SQS calls, invocations and function time (router and workers, summed; GB-seconds at the template's %d MB):", bench.TemplateMemoryMB)
	b.pf("")
	b.pf("| N | Security Hub | SQS calls (Send, Receive, Delete, ChangeMessageVisibility) | worker instances | invocations per 1,000 buckets | GB-seconds per 1,000 buckets |")
	b.pf("|---|---|---|---|---|---|")
	for _, r := range q.sweeps {
		b.pf("| %d | %s | %d (%d, %d, %d, %d) | %d | %.1f | %.3f |", r.Spec.N, hubLabel(r.Spec.SecurityHub), r.SQSCalls(),
			r.Calls["SendMessageBatch"]+r.Calls["SendMessage"], r.Calls["ReceiveMessage"],
			r.Calls["DeleteMessageBatch"]+r.Calls["DeleteMessage"], r.Calls["ChangeMessageVisibility"]+r.Calls["ChangeMessageVisibilityBatch"],
			r.WorkerInstances, float64(r.Invocations)*1000/float64(r.Spec.N), r.GBSeconds()*1000/float64(r.Spec.N))
	}
	b.pf("")
	b.pf("The workers run in the benchmark's process, beside the emulator holding every bucket and message, so their")
	b.pf("memory is measured apart: the real bootstrap (`bench.WorkerRSS`) runs under aws-lambda-rie as the only worker of")
	b.pf("%d buckets' messages, handed over by emulator/esm in batches of ten, and its VmHWM is read before it stops", workerRSSBuckets)
	b.pf("(summary table).")
	b.pf("")
	for _, r := range q.sweeps {
		if why := queueMiss(r); why != "" {
			b.pf("**%d buckets, %s: %s**", r.Spec.N, hubLabel(r.Spec.SecurityHub), why)
			b.pf("")
		}
	}
	renderStorm(b, q.storm)
	renderQuotas(b)
}

// withThrottled is n, with the throttled answers in brackets when there were any.
func withThrottled(n, throttled int) string {
	if throttled > 0 {
		return fmt.Sprintf("%d (%d)", n, throttled)
	}
	return fmt.Sprintf("%d", n)
}

// throttleList is "0", or the throttles per operation.
func throttleList(ops map[string]int) string {
	var parts []string
	total := 0
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		if ops[op] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", op, ops[op]))
			total += ops[op]
		}
	}
	if total == 0 {
		return "0"
	}
	return fmt.Sprintf("%d: %s", total, strings.Join(parts, ", "))
}

// queueMiss says what a row missed of issue 23's targets, from its own figures; "" when nothing.
func queueMiss(r bench.QueueSweepResult) string {
	var out []string
	if r.TimedOut {
		out = append(out, fmt.Sprintf("stopped at the bench's limit of %v, not finished (the other figures are of what it did)", r.Spec.Limit))
	}
	if ratio := queueWallRatio(r); ratio > maxQueueRatio {
		out = append(out, fmt.Sprintf("wall ÷ bound %.2f is above %.2f", ratio, maxQueueRatio))
	}
	if r.Converged < r.Spec.N {
		out = append(out, fmt.Sprintf("%d buckets did not converge", r.Spec.N-r.Converged))
	}
	if r.Spec.SecurityHub && r.FindingsPresent < r.Spec.N {
		out = append(out, fmt.Sprintf("%d buckets have no PASSED finding", r.Spec.N-r.FindingsPresent))
	}
	if r.Reported > 0 {
		out = append(out, fmt.Sprintf("%d throttles reached the reports", r.Reported))
	}
	if r.SSMReads() > r.SSMMinimum() {
		out = append(out, fmt.Sprintf("%d SSM reads against a minimum of %d (%d worker batches: a read per batch)", r.SSMReads(), r.SSMMinimum(), r.Records/10))
	}
	if r.Spec.SecurityHub && r.Answered("BatchImportFindings") > r.MinimumImports() {
		out = append(out, fmt.Sprintf("%d BatchImportFindings calls against ⌈%d ÷ 100⌉ = %d", r.Answered("BatchImportFindings"), r.Findings, r.MinimumImports()))
	}
	if len(out) == 0 {
		return ""
	}
	return "missed: " + strings.Join(out, "; ") + "."
}

// renderStorm writes the storm's paragraph and row.
func renderStorm(b *w, s *bench.StormResult) {
	if s == nil {
		return
	}
	b.pf("**CloudTrail storm.** %d buckets, all compliant; somebody else's PutBucketCors drifts each once, evenly over %v", s.Spec.Events, s.Spec.Over)
	b.pf("(one every %v). Each CloudTrail event the emulator emits for those writes invokes a router of its own, as", s.Spec.Over/time.Duration(s.Spec.Events))
	b.pf("EventBridge invokes the function once per event (a free execution environment, or a new one when all are busy;")
	b.pf("EventBridge's own delivery delay is not modelled), while %d worker instances drain the queue; %s, the rate and", s.Spec.Concurrency, hubLabel(s.Spec.SecurityHub))
	b.pf("latency of the rows above, every quota at AWS's default. *Last repair* is from the first drifting write to")
	b.pf("corsguard's last PutBucketCors; *queues empty*, from the first drifting write to the end of the last batch. SSM and")
	b.pf("Security Hub calls are answered calls, throttled answers in brackets.")
	b.pf("")
	b.pf("| events | over | Security Hub | router instances | router failures | repaired | last repair | after the last event | queues empty | SSM reads | BatchImportFindings | GetFindings | throttles in reports |")
	b.pf("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	ans := func(op string) string { return withThrottled(s.Answered(op), s.ThrottledOps[op]) }
	ssmCell := withThrottled(s.SSMReads(), s.SSMThrottled())
	empty := secs(s.Wall)
	if s.TimedOut {
		empty = "stopped at " + empty
	}
	b.pf("| %d | %v | %s | %d | %d | %d of %d | %s | %s | %s | %s | %s | %s | %d |", s.Spec.Events, s.Spec.Over, hubLabel(s.Spec.SecurityHub),
		s.RouterInstances, s.RouterFailures, s.Converged, s.Spec.Events, secs(s.LastRepair), secs(s.AfterLastEvent), empty, ssmCell,
		ans("BatchImportFindings"), ans("GetFindings"), s.Reported)
	b.pf("")
	if s.RouterFailures > 0 {
		b.pf("The first router failure: `%s`", s.RouterError)
		b.pf("")
	}
}

// renderQuotas lists the quotas the emulator applies, each with its source.
func renderQuotas(b *w) {
	b.pf("**The quotas these rows assume** (`emulator.AWSQuotas`, AWS's published defaults; the emulator answers a call")
	b.pf("over one as the service does, `ThrottlingException` or S3's `SlowDown`). What AWS publishes no rate for is not")
	b.pf("limited: MediaStore's and CloudFront's control planes, S3's ListBuckets, STS, and a standard SQS queue (\"nearly")
	b.pf("unlimited\"; the findings queue is one). Scope *account* is per account and Region, shared with every other")
	b.pf("application of the account; *resource*, per bucket; *fifo-queue*, per FIFO queue without high throughput.")
	b.pf("")
	b.pf("| service | operations | rate | burst | per | source |")
	b.pf("|---|---|---|---|---|---|")
	qs := emulator.AWSQuotas()
	for i := 0; i < len(qs); {
		q := qs[i]
		ops := strings.Join(q.Ops, ", ")
		if ops == emulator.AllOps {
			ops = "every operation"
		}
		// Quotas alike but for their operations (SQS's, one per action) share a row.
		j := i + 1
		for ; j < len(qs) && qs[j].Service == q.Service && qs[j].Rate == q.Rate && qs[j].Burst == q.Burst && qs[j].Per == q.Per && qs[j].Source == q.Source; j++ {
			ops += ", " + strings.Join(qs[j].Ops, ", ")
		}
		if j > i+1 {
			ops += " (each its own)"
		}
		b.pf("| %s | %s | %g/s | %d | %s | %s |", q.Service, ops, q.Rate, q.Burst, q.Per, q.Source)
		i = j
	}
	b.pf("")
	b.pf("SQS FIFO's 3,000 messages per second batched is its 300 calls per second per action times the 10 entries a batch")
	b.pf("holds, so the per-action bucket bounds both.")
	b.pf("")
}

// queueNote is the line under the run line that says a -queue run measured the work queue's
// section apart from the rest.
const queueNote = "The work queue (section 1b and the summary's work-queue rows) measured apart:"

// spliceQueue rewrites the work queue's parts of the document at path with a -queue run's
// figures: the summary's work-queue rows, section 1b (inserted before section 2 when the
// document has none yet), and a note under the run line that says when and where.
func spliceQueue(path string, began time.Time, took time.Duration, q queueRun) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("-queue rewrites part of an existing document: %w", err)
	}
	doc := string(old)
	var section w
	renderQueue(&section, q)
	next := strings.Index(doc, "\n## 2. ")
	if next < 0 {
		return fmt.Errorf("%s has no section 2 to put section 1b before: run make bench", path)
	}
	if start := strings.Index(doc, queueHeading); start >= 0 && start < next {
		doc = doc[:start] + section.String() + doc[next+1:]
	} else {
		doc = doc[:next+1] + section.String() + doc[next+1:]
	}
	// Documents written before section 1b had the work queue's rows in section 1.
	doc = dropBetween(doc, "**Through the work queue** (issue 14", "each worker invocation reads the baseline's current version.\n\n")
	rows := queueSummaryRows(q)
	var lines []string
	inSummary, placed := false, false
	for line := range strings.Lines(doc) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, queueSummaryPrefix), strings.HasPrefix(line, "| buckets, work queue |"),
			strings.HasPrefix(line, queueNote):
			continue
		case strings.HasPrefix(line, "| result | target"):
			inSummary = true
		case inSummary && !placed && line == "":
			lines = append(lines, rows...)
			placed = true
		}
		lines = append(lines, line)
		if strings.HasPrefix(line, "Run: ") {
			lines = append(lines, "", fmt.Sprintf("%s `go run ./bench/cmd/report -queue%s`, %s, %s, at commit %s; load average after it %s.",
				queueNote, map[bool]string{true: fmt.Sprintf(" -queue-n %d", q.reducedTo)}[q.reducedTo > 0],
				began.UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second), commit(), loadAvg()))
		}
	}
	doc = strings.Join(lines, "\n") + "\n"
	doc = strings.ReplaceAll(doc, "\n\n\n", "\n\n")
	return os.WriteFile(path, []byte(doc), 0o644)
}

// dropBetween removes from doc the text from the first from up to and including to, when both
// are there in that order.
func dropBetween(doc, from, to string) string {
	i := strings.Index(doc, from)
	if i < 0 {
		return doc
	}
	j := strings.Index(doc[i:], to)
	if j < 0 {
		return doc
	}
	return doc[:i] + doc[i+j+len(to):]
}
