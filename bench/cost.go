package bench

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// PricesChecked is the day the prices below were read from the pages they cite.
const PricesChecked = "2026-12-07"

// The billed items the cost model prices: one per line of an AWS bill that corsguard's calls
// add to.
const (
	S3Get              = "S3 GET and other requests"
	TaggingAPI         = "Resource Groups Tagging API requests"
	S3Put              = "S3 PUT, COPY, POST, LIST requests"
	SQSFIFO            = "SQS FIFO requests"
	SQSStandard        = "SQS standard requests"
	LambdaRequests     = "Lambda requests"
	LambdaARMGBSeconds = "Lambda arm64 GB-seconds"
	SSMStandard        = "SSM standard parameter API calls"
	FindingIngestion   = "Security Hub CSPM finding ingestion events"
	SecurityHubAPI     = "Security Hub CSPM API calls (GetFindings, BatchImportFindings)"
	MetricHours        = "CloudWatch custom metric-hours (EMF)"
	LogGB              = "CloudWatch Logs ingestion GB"
)

// The services a bill is split into.
const (
	ServiceS3          = "S3"
	ServiceSQS         = "SQS"
	ServiceLambda      = "Lambda"
	ServiceSSM         = "SSM"
	ServiceSecurityHub = "Security Hub"
	ServiceCloudWatch  = "CloudWatch"
)

// Services lists the services in the order the cost tables show them.
func Services() []string {
	return []string{ServiceS3, ServiceSQS, ServiceLambda, ServiceSSM, ServiceSecurityHub, ServiceCloudWatch}
}

// Price is what one billed item costs in us-east-1, with no free tier: USD for every Per units.
type Price struct {
	Service string
	USD     float64
	Per     float64
	Source  string
}

// Unit is the price of one unit.
func (p Price) Unit() float64 { return p.USD / p.Per }

// Prices are the us-east-1 prices the model uses, each with where it was read (on
// PricesChecked). Free tiers are not counted: a platform team's account spends them elsewhere.
func Prices() map[string]Price {
	return map[string]Price{
		// GetBucketCors and GetBucketTagging are billed as GET ("GET, SELECT, and all other
		// requests"); PutBucketCors as PUT and ListBuckets as LIST.
		S3Get: {ServiceS3, 0.0004, 1000, "https://aws.amazon.com/s3/pricing/ (Requests & data retrievals, S3 Standard)"},
		S3Put: {ServiceS3, 0.005, 1000, "https://aws.amazon.com/s3/pricing/ (Requests & data retrievals, S3 Standard)"},
		// GetResources reads the buckets' tags in bulk (docs/profiles.md). AWS publishes no
		// per-request price for the Resource Groups Tagging API: counted, priced at 0.
		TaggingAPI: {ServiceS3, 0, 1, "https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/overview.html (no per-request price published)"},
		// Every 64 KB chunk of a request is one request; corsguard's messages are far smaller.
		SQSFIFO:        {ServiceSQS, 0.50, 1e6, "https://aws.amazon.com/sqs/pricing/ (FIFO: $0.50 per million; also What's New, 2016-11-17)"},
		SQSStandard:    {ServiceSQS, 0.40, 1e6, "https://aws.amazon.com/sqs/pricing/ (standard, first 100 billion a month)"},
		LambdaRequests: {ServiceLambda, 0.20, 1e6, "https://aws.amazon.com/lambda/pricing/ (requests, $0.20 per 1M)"},
		// The first 7.5 billion GB-seconds a month of Arm.
		LambdaARMGBSeconds: {ServiceLambda, 0.0000133334, 1, "https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s)"},
		// Standard parameters at the default (standard) throughput: no charge. Higher throughput
		// would be $0.05 per 10,000 API interactions; corsguard reads a baseline once per version
		// per instance and never needs it.
		SSMStandard: {ServiceSSM, 0, 1, "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-throughput.html (standard throughput at no additional cost); https://aws.amazon.com/systems-manager/pricing/"},
		// After the first 10,000 events per account, Region and month (not counted here).
		FindingIngestion: {ServiceSecurityHub, 0.00003, 1, "https://aws.amazon.com/security-hub/cspm/pricing/ (finding ingestion events: $0.00003 per event over 10,000 per account, Region and month)"},
		// Security Hub CSPM bills checks and ingestion events, not API calls: counted, free.
		SecurityHubAPI: {ServiceSecurityHub, 0, 1, "https://aws.amazon.com/security-hub/cspm/pricing/ (no per-request charge)"},
		// $0.30 per metric-month for the first 10,000 metrics, prorated by the hour and metered
		// only in hours a metric is sent: one metric-hour is 0.30/720 (30-day month).
		MetricHours: {ServiceCloudWatch, 0.30, 720, "https://aws.amazon.com/cloudwatch/pricing/ (custom metrics $0.30 per metric-month, prorated hourly)"},
		// Standard log class; Lambda's logs (vended) start at the same $0.50 per GB for the first 10 TB.
		LogGB: {ServiceCloudWatch, 0.50, 1, "https://aws.amazon.com/cloudwatch/pricing/ (Logs, standard ingestion $0.50 per GB)"},
	}
}

// Usage is a month's billed quantities, by item.
type Usage map[string]float64

// Bill is a month's dollars per service.
type Bill map[string]float64

// Total is the bill's sum.
func (b Bill) Total() float64 {
	t := 0.0
	for _, s := range slices.Sorted(maps.Keys(b)) {
		t += b[s]
	}
	return t
}

// Share is service's part of the total, 0 to 1.
func (b Bill) Share(service string) float64 {
	if t := b.Total(); t > 0 {
		return b[service] / t
	}
	return 0
}

// Priced prices u. An item without a price is an error: a call the model does not know would
// otherwise cost nothing.
func Priced(u Usage) (Bill, error) {
	prices := Prices()
	b := Bill{}
	for _, s := range Services() {
		b[s] = 0
	}
	for item, q := range u {
		p, ok := prices[item]
		if !ok {
			return nil, fmt.Errorf("cost: no price for %q", item)
		}
		b[p.Service] += q * p.Unit()
	}
	return b, nil
}

// callItems maps the emulator's operation names to the billed item of one call. Security
// Hub's BatchImportFindings is billed per finding it carries, not per call: see Month.
func callItems() map[string]string {
	return map[string]string{
		"ListBuckets": S3Put, "GetBucketCors": S3Get, "GetBucketTagging": S3Get, "PutBucketCors": S3Put, "GetResources": TaggingAPI,
		"SendMessage": SQSFIFO, "SendMessageBatch": SQSFIFO, "ReceiveMessage": SQSFIFO, "DeleteMessage": SQSFIFO,
		"DeleteMessageBatch": SQSFIFO, "ChangeMessageVisibility": SQSFIFO, "ChangeMessageVisibilityBatch": SQSFIFO,
		"GetQueueAttributes": SQSFIFO,
		"GetParameter":       SSMStandard, "GetParameters": SSMStandard, "GetParametersByPath": SSMStandard,
		"GetFindings": SecurityHubAPI, "BatchImportFindings": SecurityHubAPI,
	}
}

// CallsUsage is the usage of counted calls (the emulator's count per operation), scaled by
// times. An operation the model cannot price is an error.
func CallsUsage(calls map[string]int, times float64) (Usage, error) {
	items := callItems()
	u := Usage{}
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		item, ok := items[op]
		if !ok {
			return nil, fmt.Errorf("cost: no billed item for the operation %s", op)
		}
		u[item] += float64(calls[op]) * times
	}
	return u, nil
}

// SweepCounts is what one counted sweep through the work queue measured (QueueSweepResult).
type SweepCounts struct {
	N, Drifted      int
	Calls           map[string]int
	Invocations     int     // router and workers
	FunctionSeconds float64 // all invocations together
	LogBytes        int64   // written by the function (JSON lines, EMF)
}

// CountsOf takes the counts of a measured queue sweep.
func CountsOf(r QueueSweepResult) SweepCounts {
	return SweepCounts{N: r.Spec.N, Drifted: r.Drifted, Calls: r.Calls, Invocations: r.Invocations,
		FunctionSeconds: r.FunctionTime.Seconds(), LogBytes: r.LogBytes}
}

// Design is how findings are imported.
type Design string

const (
	// ImportEverySweep is the design before issue 29: each sweep imports one finding per
	// resource, unchanged ones included.
	ImportEverySweep Design = "every sweep"
	// ImportOnChange imports a finding when its state changes and refreshes unchanged ones
	// older than the refresh period, reading the previous states back with GetFindings.
	ImportOnChange Design = "on change"
)

// Case is one row of a cost table.
type Case struct {
	N           int
	Period      time.Duration // between sweeps: an hour or a day
	SecurityHub bool
	Design      Design
}

// Assumptions are what the model takes beyond the counted calls.
type Assumptions struct {
	DriftPerDay float64 // share of resources drifting each day
	// DriftImports is the finding ingestion events one drift costs: 1 in enforce mode (the
	// template's default: the repair is imported, the compliant finding after it has the same
	// state and is not), 2 in audit mode (found, then compliant again once someone fixes it).
	DriftImports float64
	RefreshDays  float64 // the refresh period of unchanged findings
	// FindingsQueue: the workers hand their findings to the standard findings queue and the
	// publishers import them (the template with Security Hub on); false: each worker batch
	// reads and imports its own.
	FindingsQueue bool
	// BatchingWindow is the findings queue's mapping's MaximumBatchingWindowInSeconds.
	BatchingWindow time.Duration
	Concurrency    int           // MaximumConcurrency
	Rate           float64       // requests per second per operation, account-wide (RequestRate)
	MemoryGB       float64       // the function's memory
	IdlePolls      float64       // ReceiveMessage calls a month of Lambda's pollers on an idle queue
	Metrics        int           // EMF metrics, each one time series (one Mode dimension value)
	PlatformLog    int64         // bytes of Lambda's own START, END and REPORT lines per invocation
	Month          time.Duration // the month the bill covers
}

// TemplateMemoryMB is the template's MemorySize (TestTheModelUsesTheTemplatesMemorySize holds
// the two together). The worker's peak RSS is about 20 MB (docs/BENCHMARKS.md), and the
// function mostly waits for the account-wide rate: 128 MB, Lambda's least, is enough, and
// GB-seconds are billed at the memory configured, not the memory used.
const TemplateMemoryMB = 128

// DefaultAssumptions are the template's defaults (MaximumConcurrency 2, RequestRate 10,
// MemorySize 128, the findings queue with Security Hub on, enforce mode) and the issue's 1 %
// drift a day.
func DefaultAssumptions() Assumptions {
	return Assumptions{
		DriftPerDay:    0.01,
		DriftImports:   1,
		RefreshDays:    30,
		FindingsQueue:  true,
		BatchingWindow: 5 * time.Second,
		Concurrency:    2,
		Rate:           enforce.DefaultRate,
		MemoryGB:       TemplateMemoryMB / 1024.0,
		// Lambda's SQS pollers long-poll (20 s) even when the queue is empty; five of them, as
		// Lambda starts with, make 5 × 3 a minute: 648,000 receives in 30 days.
		IdlePolls: 5 * 3 * 60 * 24 * 30,
		// One per outcome and five more (handler.reportMetrics), under one value of Mode.
		Metrics:     len(enforce.Outcomes()) + 5,
		PlatformLog: 350,
		Month:       30 * 24 * time.Hour,
	}
}

// SweepRate is the request rate a sweep of n resources runs at: the configured rate, raised
// so that the sweep ends within half the period (an hourly sweep of 100,000 buckets at 10/s
// would take 2.8 hours and overlap the next ones).
func (a Assumptions) SweepRate(n int, period time.Duration) float64 {
	return max(a.Rate, float64(n)/(period/2).Seconds())
}

// sweepCalls is the month's usage of the calls a counted sweep made, scaled to n resources
// and sweeps sweeps: the operations made once per drifted resource (driftedPerSweep a
// sweep), once per listing page, once per function instance (workers a sweep), and the others
// per resource.
func sweepCalls(per SweepCounts, n, driftedPerSweep, workers, sweeps float64) (Usage, error) {
	// The operations made once per drifted resource (the exemption's tag read and the write),
	// once per listing page, once per function instance and baseline version; every other one
	// is made per resource.
	perDrifted := []string{"GetBucketTagging", "PutBucketCors"}
	perPage := []string{"ListBuckets"}
	perInvocation := []string{"GetParameter", "GetParameters", "GetParametersByPath", "GetQueueAttributes"}
	u := Usage{}
	for _, op := range slices.Sorted(maps.Keys(per.Calls)) {
		count := float64(per.Calls[op])
		var perSweep float64
		switch {
		case slices.Contains(perDrifted, op):
			perSweep = count / float64(per.Drifted) * driftedPerSweep
		case slices.Contains(perPage, op):
			perSweep = math.Ceil(n / S3PageSize)
		case slices.Contains(perInvocation, op):
			perSweep = count / float64(per.Invocations) * workers
		default:
			perSweep = count / float64(per.N) * n
		}
		cu, err := CallsUsage(map[string]int{op: 1}, perSweep*sweeps)
		if err != nil {
			return nil, err
		}
		for k, v := range cu {
			u[k] += v
		}
	}
	return u, nil
}

// Month is the usage of a month of c's sweeps, each scaled from one counted sweep: calls per
// resource, per drifted resource, per listing page and per invocation as counted; function time
// the larger of the counted time per resource and the rate's pacing (each of the Concurrency
// workers keeps to Rate / Concurrency, so Concurrency × n / Rate seconds a sweep); Security
// Hub's events by c's design.
func Month(c Case, per SweepCounts, a Assumptions) (Usage, error) {
	if per.N <= 0 || per.Drifted <= 0 || per.Invocations <= 0 {
		return nil, fmt.Errorf("cost: the counted sweep needs resources, drifted ones and invocations: %+v", per)
	}
	sweeps := float64(a.Month / c.Period)
	n := float64(c.N)
	days := a.Month.Hours() / 24
	driftedPerSweep := n * a.DriftPerDay * c.Period.Hours() / 24
	workers := float64(per.Invocations) / float64(per.N) * n // scaled with the batches
	u, err := sweepCalls(per, n, driftedPerSweep, workers, sweeps)
	if err != nil {
		return nil, err
	}
	u[SQSFIFO] += a.IdlePolls
	rate := a.SweepRate(c.N, c.Period)
	seconds := max(per.FunctionSeconds/float64(per.N), float64(a.Concurrency)/rate) * n
	publishers := 0.0 // publisher invocations a sweep
	if c.SecurityHub {
		pages := math.Ceil(n / findings.MaxBatch) // per BatchImportFindings, per GetFindings page
		switch c.Design {
		case ImportEverySweep:
			u[FindingIngestion] += n * sweeps
			u[SecurityHubAPI] += pages * sweeps
		case ImportOnChange:
			// A drift costs DriftImports events; each unchanged finding is imported once per
			// refresh period.
			events := a.DriftImports*n*a.DriftPerDay*days + n*days/a.RefreshDays
			u[FindingIngestion] += events
			imports := math.Ceil(events / sweeps / findings.MaxBatch)
			if a.FindingsQueue {
				// Each worker batch hands its findings to the findings queue in one message (one
				// SendMessageBatch). The messages come as the workers go, over the whole sweep
				// (N ÷ rate seconds), so the mapping's long polls find about one at a time (a
				// ReceiveMessage per message) and it invokes a publisher once per batching
				// window (5 s) rather than once per 100 messages; it deletes each batch 10 to a
				// call. Lambda's pollers long-poll this queue when it is idle too. Each
				// publisher invocation reads the previous findings of its batch by Id, 20 to a
				// GetFindings (the filter's limit), and imports its changed ones (100 to a
				// call), each call at its part of the read and import shares, waited for. The
				// router's archive step reads the stale findings: one page in a steady month.
				messages := workers
				duration := n / rate
				publishers = min(messages, max(math.Ceil(messages/100), math.Ceil(duration/a.BatchingWindow.Seconds())))
				perInvocation := n / publishers
				reads := publishers * math.Ceil(perInvocation/idsPerRead)
				changed := events / sweeps
				imports = min(math.Ceil(changed), publishers*math.Ceil(changed/publishers/findings.MaxBatch))
				u[SQSStandard] += (2*messages+max(publishers, math.Ceil(messages/10)))*sweeps + a.IdlePolls
				u[SecurityHubAPI] += (reads + imports + 1) * sweeps
				parts := float64(PublisherConcurrency + 1)
				seconds += reads/(readShare/parts) + imports/(findings.DefaultImportRate/parts)
			} else {
				// Each worker's batch of 10 reads its previous states by Id (one GetFindings)
				// and imports its changed ones; the router's archive step reads a page.
				reads := math.Ceil(n / 10)
				u[SecurityHubAPI] += (reads + imports + 1) * sweeps
				seconds += reads / accountReadRate // waited for
			}
			// The first sweep after deployment imports every finding once: a one-time n
			// events, not in a steady month.
		default:
			return nil, fmt.Errorf("cost: unknown design %q", c.Design)
		}
	}
	invocations := (workers + 1 + publishers) * sweeps
	u[LambdaRequests] += invocations
	u[LambdaARMGBSeconds] += seconds * a.MemoryGB * sweeps
	logPerInvocation := float64(per.LogBytes)/float64(per.Invocations) + float64(a.PlatformLog)
	u[LogGB] += logPerInvocation * invocations / 1e9
	// Metrics are metered in the hours they are sent: every hour for hourly sweeps, the
	// sweep's hours (and the next one, where it crosses) for daily ones.
	hours := min(sweeps*(math.Ceil(n/rate/3600)+1), a.Month.Hours())
	if c.Period <= time.Hour {
		hours = a.Month.Hours()
	}
	u[MetricHours] += float64(a.Metrics) * hours
	return u, nil
}

// idsPerRead is how many finding Ids one GetFindings filter takes (Security Hub's "up to 20
// filter values" per attribute): the publishers read the previous findings 20 to a call.
const idsPerRead = findings.MaxIDFilter

// GetFindings' quota is 3 calls a second per account and Region (findings.AccountReadRate);
// corsguard's share of it, publishers and router together, is findings.DefaultReadRate. The
// findings queue's mapping runs config.PublisherConcurrency publishers (fixed at Lambda's
// least, so that their share does not depend on the workers'); each reads at the share ÷
// (PublisherConcurrency + 1), the router taking the last part (config.FindingsReadRate).
const (
	accountReadRate      = findings.AccountReadRate
	readShare            = findings.DefaultReadRate
	PublisherConcurrency = config.PublisherConcurrency
)

// CostRow is one case and its bill.
type CostRow struct {
	Case Case
	Bill Bill
}

// CostCases are the issue's cases: 10,000 and 100,000 resources, hourly and daily, Security
// Hub on and off, under design d.
func CostCases(d Design) []Case {
	var cs []Case
	for _, n := range []int{10_000, 100_000} {
		for _, p := range []time.Duration{time.Hour, 24 * time.Hour} {
			for _, sh := range []bool{true, false} {
				cs = append(cs, Case{N: n, Period: p, SecurityHub: sh, Design: d})
			}
		}
	}
	return cs
}

// CostTable prices cases from one counted sweep.
func CostTable(cases []Case, per SweepCounts, a Assumptions) ([]CostRow, error) {
	var rows []CostRow
	for _, c := range cases {
		u, err := Month(c, per, a)
		if err != nil {
			return nil, err
		}
		b, err := Priced(u)
		if err != nil {
			return nil, err
		}
		rows = append(rows, CostRow{c, b})
	}
	return rows, nil
}

// Markdown renders rows as a table: size, schedule, Security Hub, total, each service's share.
func Markdown(rows []CostRow) string {
	var b strings.Builder
	b.WriteString("| resources | sweeps | Security Hub | total |")
	for _, s := range Services() {
		b.WriteString(" " + s + " |")
	}
	b.WriteString("\n|---|---|---|---|" + strings.Repeat("---|", len(Services())) + "\n")
	for _, r := range rows {
		sched := "daily"
		if r.Case.Period <= time.Hour {
			sched = "hourly"
		}
		sh := "Security Hub off"
		if r.Case.SecurityHub {
			sh = "Security Hub on"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s per month |", thousands(r.Case.N), sched, sh, dollars(r.Bill.Total()))
		for _, s := range Services() {
			fmt.Fprintf(&b, " %.0f %% (%s) |", 100*r.Bill.Share(s), dollars(r.Bill[s]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// PriceList renders the prices with their sources.
func PriceList() string {
	var b strings.Builder
	b.WriteString("| item | us-east-1 price | source (read " + PricesChecked + ") |\n|---|---|---|\n")
	ps := Prices()
	for _, item := range slices.Sorted(maps.Keys(ps)) {
		p := ps[item]
		per := "each"
		if p.Per != 1 {
			per = "per " + thousands(int(p.Per))
		}
		fmt.Fprintf(&b, "| %s | $%s %s | %s |\n", item, strconv.FormatFloat(p.USD, 'f', -1, 64), per, p.Source)
	}
	return b.String()
}

func dollars(v float64) string {
	if v >= 100 {
		return "$" + thousands(int(math.Round(v)))
	}
	return fmt.Sprintf("$%.2f", v)
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// BeforeIssue29 are the assumptions of the design before issue 29 (today's design in the
// issue's words): the function at 256 MB, every worker batch importing its own findings.
func BeforeIssue29() Assumptions {
	a := DefaultAssumptions()
	a.MemoryGB, a.FindingsQueue, a.DriftImports = 0.25, false, 2
	return a
}

// Knob is one change of the design or its settings, and what it does to a month.
type Knob struct {
	Name string
	Case func(Case) Case
	With func(Assumptions) Assumptions
}

// Steps are the changes that brought 100,000 buckets swept daily with Security Hub on under
// $10, applied one after another from findings imported on change as first built (a drift
// imported twice, workers importing their own findings, 256 MB).
func Steps() []Knob {
	return []Knob{
		{Name: "findings imported on change (issue 29 as first built: a drift imported twice, each worker batch reads and imports its own, 256 MB)",
			With: func(a Assumptions) Assumptions {
				a.DriftImports, a.FindingsQueue, a.MemoryGB = 2, false, 0.25
				return a
			}},
		{Name: "a repair is imported, the compliant finding after it is not (one event per repaired drift)",
			With: func(a Assumptions) Assumptions { a.DriftImports = 1; return a }},
		{Name: "the findings queue and its publishers (reads 20 Ids to a GetFindings instead of one per worker batch of 10; standard SQS requests added)",
			With: func(a Assumptions) Assumptions { a.FindingsQueue = true; return a }},
		{Name: "MemorySize 128 MB instead of 256 (the worker's peak RSS is about 20 MB)",
			With: func(a Assumptions) Assumptions { a.MemoryGB = TemplateMemoryMB / 1024.0; return a }},
	}
}

// Knobs are the settings a user can turn, each applied alone to the defaults.
func Knobs() []Knob {
	return []Knob{
		{Name: "`SweepSchedule` rate(1 hour) instead of rate(1 day)", Case: func(c Case) Case { c.Period = time.Hour; return c }},
		{Name: "`SecurityHubFindings` false", Case: func(c Case) Case { c.SecurityHub = false; return c }},
		{Name: "`SecurityHubRefresh` 1440h (60 days) instead of 720h", With: func(a Assumptions) Assumptions { a.RefreshDays = 60; return a }},
		{Name: "`SecurityHubRefresh` 240h (10 days)", With: func(a Assumptions) Assumptions { a.RefreshDays = 10; return a }},
		{Name: "`MaximumConcurrency` 8 instead of 2 (same `RequestRate`)", With: func(a Assumptions) Assumptions { a.Concurrency = 8; return a }},
		{Name: "`RequestRate` 20 instead of 10", With: func(a Assumptions) Assumptions { a.Rate = 20; return a }},
		{Name: "`Mode` audit (a drift costs two events: found, then fixed by someone)", With: func(a Assumptions) Assumptions { a.DriftImports = 2; return a }},
		{Name: "5 % of resources drifting a day instead of 1 %", With: func(a Assumptions) Assumptions { a.DriftPerDay = 0.05; return a }},
	}
}

// GoalCase is the issue's goal: 100,000 resources swept daily with Security Hub on.
var GoalCase = Case{N: 100_000, Period: 24 * time.Hour, SecurityHub: true, Design: ImportOnChange}

// knobTable renders each knob's month at GoalCase, applied to base (cumulative: each step
// applied on top of the last; otherwise each alone).
func knobTable(knobs []Knob, per SweepCounts, base Assumptions, cumulative bool) (string, error) {
	var b strings.Builder
	b.WriteString("| change | 100,000 daily, Security Hub on | Security Hub | Lambda | SQS |\n|---|---|---|---|---|\n")
	a := base
	for _, k := range knobs {
		c := GoalCase
		if !cumulative {
			a = base
		}
		if k.With != nil {
			a = k.With(a)
		}
		if k.Case != nil {
			c = k.Case(c)
		}
		rows, err := CostTable([]Case{c}, per, a)
		if err != nil {
			return "", err
		}
		bill := rows[0].Bill
		fmt.Fprintf(&b, "| %s | %s per month | %s | %s | %s |\n", k.Name, dollars(bill.Total()),
			dollars(bill[ServiceSecurityHub]), dollars(bill[ServiceLambda]), dollars(bill[ServiceSQS]))
	}
	return b.String(), nil
}

// CostSection is the "Cost" section of docs/BENCHMARKS.md: the counted sweep it scales, the
// month of each case with this design and with the design before issue 29, the steps that
// brought the goal case under $10, the knobs, and the prices with their sources. from says
// which sweep was counted.
func CostSection(per SweepCounts, from string) (string, error) {
	a := DefaultAssumptions()
	var b strings.Builder
	b.WriteString("## Cost\n\n")
	fmt.Fprintf(&b, "A month (30 days) in us-east-1 with no free tier, computed by `bench.Month` from the calls counted in %s: "+
		"%s buckets (%d drifted), %d invocations, %.2f function-seconds, %s log bytes, calls %s. "+
		"Calls per resource, per drifted resource (tag read, write), per listing page and per invocation scale to N; "+
		"1 %% of resources drift a day; function time is the larger of the counted time and the rate's pacing "+
		"(MaximumConcurrency %d workers at RequestRate %g/s shared: %d × N / %g seconds a sweep, the rate raised where a sweep would not end "+
		"within half its period), billed at the template's %d MB; Lambda's pollers add %s idle receives a month to each queue; %d EMF metrics are billed in the hours they are sent. "+
		"Security Hub: a repaired drift is imported once (enforce mode: the repair; the compliant finding after it has the same state) and each "+
		"unchanged finding once per %g-day refresh. The workers hand their findings to the standard findings queue, one message per batch of 10 "+
		"(a SendMessageBatch), as they go over the sweep, so the mapping receives about one message per ReceiveMessage and invokes a publisher once per "+
		"%g s batching window (each deleting its batch in one call); each publisher invocation (MaximumConcurrency %d) reads its findings' previous states by Id, "+
		"%d to a GetFindings, at %g ÷ %d reads a second, and imports its changed ones at %g ÷ %d calls a second, both waits billed as function time; "+
		"GetFindings and BatchImportFindings cost nothing, ingestion events $0.00003 each. "+
		"The first sweep after deployment imports each finding once more (one-time, not in these months); a delete event costs one GetFindings and one event. "+
		"docs/cost.md explains the bill.\n\n",
		from, thousands(per.N), per.Drifted, per.Invocations, per.FunctionSeconds, thousands(int(per.LogBytes)), callList(per.Calls),
		a.Concurrency, a.Rate, a.Concurrency, a.Rate, TemplateMemoryMB, thousands(int(a.IdlePolls)), a.Metrics, a.RefreshDays,
		a.BatchingWindow.Seconds(), PublisherConcurrency, idsPerRead, readShare, PublisherConcurrency+1, findings.DefaultImportRate, PublisherConcurrency+1)
	for _, d := range []struct {
		design Design
		a      Assumptions
		title  string
	}{
		{ImportOnChange, a, "Findings imported when their state changes, refreshed every 30 days, through the findings queue (issue 29's design, the template's defaults)"},
		{ImportEverySweep, BeforeIssue29(), "Today's design: one finding imported per resource every sweep, 256 MB (same model)"},
	} {
		rows, err := CostTable(CostCases(d.design), per, d.a)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "**%s**\n\n%s\n", d.title, Markdown(rows))
	}
	steps, err := knobTable(Steps(), per, a, true)
	if err != nil {
		return "", err
	}
	knobs, err := knobTable(Knobs(), per, a, false)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "**How 100,000 daily with Security Hub on came under $10** (each step on top of the one before)\n\n%s\n"+
		"**The knobs**, each alone on the defaults\n\n%s\n", steps, knobs)
	b.WriteString("**Prices**\n\n" + PriceList())
	return b.String(), nil
}

func callList(calls map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, calls[op]))
	}
	return strings.Join(parts, ", ")
}
