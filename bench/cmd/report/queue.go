package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/corsguard/corsguard/bench"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// queueSpecs are the work queue's rows (issue 23; pass A only: the 100,000-bucket sweep takes
// minutes): buckets at an account-wide rate of 1000 requests/s per operation (the
// configuration's maximum), 16 workers, every quota at AWS's default (emulator.AWSQuotas) and
// nothing injected; Security Hub off, then on at corsguard's default shares.
var queueSpecs = []bench.QueueSweepSpec{
	{N: 10000, Rate: 1000, Concurrency: 16, Latency: queueLatency, Limit: queueLimit},
	{N: 100000, Rate: 1000, Concurrency: 16, Latency: queueLatency, Limit: queueLimit},
	// With Security Hub on, 10,000: a first sweep, bound by its imports (100 at corsguard's
	// 5/s); 100,000 is section 1c, measured apart by -queue-hub.
	{N: 10000, Rate: 1000, Concurrency: 16, Latency: queueLatency, Limit: queueLimit, SecurityHub: true},
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

// section is one part of the document a run measured apart rewrites: its heading (up to the
// next section), its rows in the summary (each starts with prefix) and its note under the run
// line.
type section struct {
	heading, prefix, note string
	// before are the headings it goes before, the first found, when the document has none yet.
	before []string
}

// The work queue's sections: 1b, measured by make bench and -queue; 1c, the 100,000-bucket
// sweep with Security Hub on, measured apart by -queue-hub (about four minutes).
var (
	queueSection = section{heading: "## 1b. The work queue at AWS's quotas", prefix: "| work queue, ",
		note:   "The work queue (section 1b and the summary's work-queue rows) measured apart:",
		before: []string{"\n## 1c. ", "\n## 2. "}}
	hubSection = section{heading: "## 1c. The work queue at 100,000 buckets with Security Hub on", prefix: "| work queue with Security Hub, ",
		note:   "Section 1c and the summary's row of it measured apart:",
		before: []string{"\n## 1d. ", "\n## 2. "}}
)

// queueSummaryRows are the summary's rows of the work queue (prefix first): each sweep's wall ÷
// bound, and the storm.
func queueSummaryRows(prefix string, q queueRun) []string {
	var out []string
	for _, r := range q.sweeps {
		ok := !r.TimedOut && queueWallRatio(r) <= maxQueueRatio && r.Converged == r.Spec.N && r.Reported == 0 &&
			(!r.Spec.SecurityHub || r.FindingsPresent == r.Spec.N)
		out = append(out, fmt.Sprintf("%swall ÷ bound, %d buckets, %s | ≤ %.2f, every bucket converged%s, no throttle reported | %.2f | | %s |",
			prefix, r.Spec.N, hubLabel(r.Spec.SecurityHub), maxQueueRatio, map[bool]string{true: " and its finding present"}[r.Spec.SecurityHub],
			queueWallRatio(r), verdict(ok)))
	}
	if s := q.storm; s != nil {
		out = append(out, fmt.Sprintf("%sCloudTrail storm, %d PutBucketCors in %v: last bucket repaired after | | %s | | %d of %d repaired |",
			prefix, s.Spec.Events, s.Spec.Over, secs(s.LastRepair), s.Converged, s.Spec.Events))
	}
	return out
}

// renderQueue writes the work queue's section.
func renderQueue(b *w, q queueRun) {
	if len(q.sweeps) == 0 {
		return
	}
	b.pf("%s", queueSection.heading)
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
	b.pf("With Security Hub on the workers hand their findings to the standard findings queue (CORSGUARD_FINDINGS_QUEUE_URL);")
	b.pf("its mapping, as template.yaml's FindingsQueueMapping (batches of %d messages, a %v window, MaximumConcurrency %d),", config.FindingsBatch, config.FindingsWindow, config.PublisherConcurrency)
	b.pf("hands them to the publishers, which import the changed ones 100 to a call; the wall includes them. The listing")
	b.pf("reads the previous findings beside it (GetFindings sorted by Id, 100 a call) and stamps them into the messages, so")
	b.pf("the workers hand over only what changed and the publishers read back by Id (20 Ids a call) only what no listing stamped.")
	b.pf("")
	b.pf("- **Bound** = the largest, over every operation the sweep made, of its calls (answered, not throttled) ÷ the rate")
	b.pf("  corsguard is configured to use for it, all instances together: its share, never above AWS's quota; where")
	b.pf("  corsguard sets no rate of its own (SQS's FIFO work queue), AWS's quota. Plus one latency. The operation is named.")
	b.pf("  ReceiveMessage is left out: emulator/esm's pollers receive without long polling (empty receives included),")
	b.pf("  which is the player's way, not corsguard's nor Lambda's; the mappings' DeleteMessageBatch (one per batch) stays in.")
	b.pf("- **SSM reads** are GetParameter, GetParameters and GetParametersByPath calls answered; the minimum is one read by")
	b.pf("  the router (the baseline: no pattern names a profile and no bucket carries the profile tag, which the router learns")
	b.pf("  from one GetResources filtered by the tag's key, so nothing is read under the profiles path: issue 24), one per")
	b.pf("  worker instance that ran, for the one baseline version (issue 23), and the reads again that keep the stamps in")
	b.pf("  order (the queue results' `stamp_rereads`: a listing's batches sent more than 8 s after their stamps' read, a")
	b.pf("  listing carried on by an instance that held the version; docs/RELIABILITY.md, \"The order of stamps\").")
	b.pf("- **Imports** are BatchImportFindings calls answered ÷ ⌈findings ÷ 100⌉ (100 findings a call).")
	b.pf("- **Throttles**: in reports, the throttling error codes found in what the function instances logged; absorbed, the")
	b.pf("  emulator's throttling answers that the SDK retried, per operation.")
	b.pf("")
	renderQueueRows(b, q.sweeps)
	b.pf("The workers run in the benchmark's process, beside the emulator holding every bucket and message, so their")
	b.pf("memory is measured apart: the real bootstrap (`bench.WorkerRSS`) runs under aws-lambda-rie as the only worker of")
	b.pf("%d buckets' messages, handed over by emulator/esm in batches of ten, and its VmHWM is read before it stops", workerRSSBuckets)
	b.pf("(summary table).")
	b.pf("")
	renderStorm(b, q.storm)
	renderQuotas(b)
}

// renderQueueRows writes the rows of sweeps: the main table, the shares and the SQS calls, and
// what each row missed.
func renderQueueRows(b *w, sweeps []bench.QueueSweepResult) {
	q := queueRun{sweeps: sweeps}
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
			line += " " + withThrottled(r.Answered(op), r.ThrottledOps[op])
			if n, ok := r.WorkQueueCalls[op]; ok && n != r.Calls[op] {
				line += fmt.Sprintf(", the work queue's %d", n)
			}
			line += " |"
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
	for _, r := range q.sweeps {
		if why := queueMiss(r); why != "" {
			b.pf("**%d buckets, %s: %s**", r.Spec.N, hubLabel(r.Spec.SecurityHub), why)
			b.pf("")
		}
	}
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

// spliceSection rewrites sec's parts of the document at path: the section (body, inserted
// before the first of sec.before when the document has none yet), its summary rows, and a note
// under the run line (note, after sec.note).
func spliceSection(path string, sec section, body string, rows []string, note string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s rewrites part of an existing document: %w", sec.heading, err)
	}
	doc := string(old)
	if start := strings.Index(doc, sec.heading); start >= 0 {
		end := strings.Index(doc[start+len(sec.heading):], "\n## ")
		if end < 0 {
			return fmt.Errorf("%s: no section after %q", path, sec.heading)
		}
		doc = doc[:start] + body + doc[start+len(sec.heading)+end+1:]
	} else {
		at := -1
		for _, h := range sec.before {
			if at = strings.Index(doc, h); at >= 0 {
				break
			}
		}
		if at < 0 {
			return fmt.Errorf("%s has none of the sections %q to put %q before: run make bench", path, sec.before, sec.heading)
		}
		doc = doc[:at+1] + body + doc[at+1:]
	}
	// Documents written before section 1b had the work queue's rows in section 1.
	doc = dropBetween(doc, "**Through the work queue** (issue 14", "each worker invocation reads the baseline's current version.\n\n")
	var lines []string
	inSummary, placed := false, false
	for line := range strings.Lines(doc) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, sec.prefix), strings.HasPrefix(line, "| buckets, work queue |"), strings.HasPrefix(line, sec.note):
			continue
		case strings.HasPrefix(line, "| result | target"):
			inSummary = true
		case inSummary && !placed && line == "":
			lines = append(lines, rows...)
			placed = true
		}
		lines = append(lines, line)
		if strings.HasPrefix(line, "Run: ") {
			lines = append(lines, "", sec.note+" "+note)
		}
	}
	doc = strings.Join(lines, "\n") + "\n"
	doc = strings.ReplaceAll(doc, "\n\n\n", "\n\n")
	return os.WriteFile(path, []byte(doc), 0o644)
}

// spliceQueue rewrites section 1b and its summary rows with a -queue run's figures.
func spliceQueue(path string, began time.Time, took time.Duration, q queueRun) error {
	var body w
	renderQueue(&body, q)
	note := fmt.Sprintf("`go run ./bench/cmd/report -queue%s`, %s, %s, at commit %s; load average after it %s.",
		map[bool]string{true: fmt.Sprintf(" -queue-n %d", q.reducedTo)}[q.reducedTo > 0],
		began.UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second), commit(), loadAvg())
	return spliceSection(path, queueSection, body.String(), queueSummaryRows(queueSection.prefix, q), note)
}

// hubRun is the 100,000-bucket sweep with Security Hub on (section 1c), as -queue-hub measures
// it and saves it: the result, when and at which commit, and the command.
type hubRun struct {
	Result  bench.QueueSweepResult `json:"result"`
	Began   time.Time              `json:"began"`
	Took    time.Duration          `json:"took"`
	Commit  string                 `json:"commit"`
	Command string                 `json:"command"`
	LoadAvg string                 `json:"load_average_after"`
}

// hubSpec is section 1c's sweep at n buckets: the rows' settings, Security Hub on at its
// default share, and a limit of 90 minutes.
func hubSpec(n int) bench.QueueSweepSpec {
	return bench.QueueSweepSpec{N: n, Rate: 1000, Concurrency: 16, Latency: queueLatency, SecurityHub: true, Limit: 90 * time.Minute}
}

// renderHub writes section 1c.
func renderHub(b *w, h hubRun) {
	r := h.Result
	b.pf("%s", hubSection.heading)
	b.pf("")
	b.pf("Issue 23's sweep of %d buckets through the work queue with Security Hub on, measured apart from `make bench`", r.Spec.N)
	b.pf("because its bound alone is %s: the settings, quotas and columns of section 1b. The workers hand their findings", secs(r.Bound()))
	b.pf("to the standard findings queue; its mapping (batches of %d messages, a %v window, MaximumConcurrency %d, as", config.FindingsBatch, config.FindingsWindow, config.PublisherConcurrency)
	b.pf("template.yaml's FindingsQueueMapping) hands them to the publishers, which import the changed ones 100 to a call;")
	b.pf("the listing reads the previous findings beside it, 100 to a GetFindings. %d publisher invocations took %d findings", r.PublisherInvocations, r.FindingsMessages)
	b.pf("messages. Measured by `%s`, %s, %s, at commit %s.", h.Command, h.Began.UTC().Format("2006-01-02 15:04 MST"), h.Took.Round(time.Second), h.Commit)
	b.pf("")
	renderQueueRows(b, []bench.QueueSweepResult{r})
}

// spliceHub rewrites section 1c and its summary row with a -queue-hub run's figures.
func spliceHub(path string, h hubRun) error {
	var body w
	renderHub(&body, h)
	note := fmt.Sprintf("`%s`, %s, %s, at commit %s; load average after it %s.", h.Command,
		h.Began.UTC().Format("2006-01-02 15:04 MST"), h.Took.Round(time.Second), h.Commit, h.LoadAvg)
	return spliceSection(path, hubSection, body.String(), queueSummaryRows(hubSection.prefix, queueRun{sweeps: []bench.QueueSweepResult{h.Result}}), note)
}

// carryHub returns section 1c, its summary rows and its note from the document at path, for a
// make bench run to keep (it does not measure them); empty when there are none.
func carryHub(path string) (body string, rows []string, note string) {
	old, err := os.ReadFile(path)
	if err != nil {
		return "", nil, ""
	}
	doc := string(old)
	if start := strings.Index(doc, hubSection.heading); start >= 0 {
		if end := strings.Index(doc[start:], "\n## "); end >= 0 {
			body = doc[start : start+end+1]
		}
	}
	for line := range strings.Lines(doc) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, hubSection.prefix):
			rows = append(rows, line)
		case strings.HasPrefix(line, hubSection.note):
			note = line
		}
	}
	return body, rows, note
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

// carried is what a make bench run keeps of a section measured apart.
type carried struct {
	body, note string
	rows       []string
}

// hubOnly measures section 1c's sweep at n buckets (saving it to save when set), or reads one
// saved before from from, and rewrites section 1c of out.
func hubOnly(ctx context.Context, out string, n int, save, from string) error {
	var h hubRun
	if from != "" {
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &h); err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
	} else {
		spec := hubSpec(n)
		logf("queue sweep N=%d with Security Hub on (limit %v)", spec.N, spec.Limit)
		h.Began, h.Commit = time.Now(), commit()
		h.Command = fmt.Sprintf("go run ./bench/cmd/report -queue-hub %d", n)
		r, err := bench.RunQueueSweep(ctx, spec)
		if err != nil {
			return err
		}
		h.Result, h.Took, h.LoadAvg = r, time.Since(h.Began), loadAvg()
		if save != "" {
			b, err := json.MarshalIndent(h, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(save, b, 0o644); err != nil {
				return err
			}
		}
	}
	if err := spliceHub(out, h); err != nil {
		return err
	}
	logf("rewrote section 1c of %s", out)
	return nil
}
