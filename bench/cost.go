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

// callItems maps the emulator's operation names to the billed item of one call. SQS calls
// about the FIFO work queue are FIFO requests; those about the standard findings queue are
// counted apart (SweepCounts.Standard). Security Hub bills the findings a BatchImportFindings
// carries (SweepCounts.Ingested), not the call.
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

// callsUsage is the usage of counted calls (per operation, fractional once scaled), scaled by
// times, with standard the SQS calls about a standard queue (priced as standard requests). An
// operation the model cannot price is an error.
func callsUsage(calls, standard map[string]float64, times float64) (Usage, error) {
	items := callItems()
	u := Usage{}
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		item, ok := items[op]
		if !ok {
			return nil, fmt.Errorf("cost: no billed item for the operation %s", op)
		}
		u[item] += calls[op] * times
	}
	for _, op := range slices.Sorted(maps.Keys(standard)) {
		if items[op] != SQSFIFO {
			return nil, fmt.Errorf("cost: %s is not an SQS operation", op)
		}
		u[SQSStandard] += standard[op] * times
	}
	return u, nil
}

// SweepCounts is what one counted sweep through the work queue measured (QueueSweepResult).
type SweepCounts struct {
	N, Drifted int
	// Calls are the calls per operation; the SQS ones are those about the FIFO work queue.
	Calls map[string]int
	// Standard are the SQS calls about the standard findings queue (Security Hub on).
	Standard    map[string]int
	Invocations int // router, workers and publishers
	// Ingested is the finding ingestion events: the findings Security Hub accepted.
	Ingested int
	// FunctionSeconds is all invocations together; RouterSeconds and PublisherSeconds are the
	// router's and the publishers' parts (the rest is the workers').
	FunctionSeconds, RouterSeconds, PublisherSeconds float64
	LogBytes                                         int64 // written by the function (JSON lines, EMF)
}

// CountsOf takes the counts of a measured queue sweep.
func CountsOf(r QueueSweepResult) SweepCounts {
	c := SweepCounts{N: r.Spec.N, Drifted: r.Drifted, Calls: maps.Clone(r.Calls), Standard: map[string]int{},
		Invocations: r.Invocations, Ingested: r.Ingested, FunctionSeconds: r.FunctionTime.Seconds(),
		RouterSeconds: r.RouterTime.Seconds(), PublisherSeconds: r.PublisherTime.Seconds(), LogBytes: r.LogBytes}
	if c.Calls == nil {
		c.Calls = map[string]int{}
	}
	// The mappings' empty receives are how emulator/esm polls (every few milliseconds while
	// the router still lists), not how Lambda's pollers do (20 s long polls, IdlePolls): the
	// receives that brought messages are counted, the empty ones assumed.
	c.Calls[pollOp] -= r.EmptyReceives
	c.Calls[pollOp] -= r.FindingsEmptyReceives
	if r.WorkQueueCalls != nil {
		r.WorkQueueCalls = maps.Clone(r.WorkQueueCalls)
		r.WorkQueueCalls[pollOp] -= r.EmptyReceives
		for _, op := range sqsOps {
			if n := c.Calls[op] - r.WorkQueueCalls[op]; n > 0 {
				c.Standard[op] = n
				c.Calls[op] = r.WorkQueueCalls[op]
			}
		}
	}
	for op, n := range c.Calls {
		if n <= 0 {
			delete(c.Calls, op)
		}
	}
	return c
}

// WorkerSeconds is the workers' part of the function time.
func (s SweepCounts) WorkerSeconds() float64 {
	return s.FunctionSeconds - s.RouterSeconds - s.PublisherSeconds
}

// Design is how findings are imported.
type Design string

const (
	// ImportOnChange is the design the bench counts: a finding is imported when its state
	// changes, and an unchanged one again once its last import is older than the refresh period.
	ImportOnChange Design = "on change"
	// ImportEverySweep is the design before issue 29, modelled from the same counts: every
	// sweep adds what the counted refresh sweep added to an unchanged one (one finding
	// imported per resource).
	ImportEverySweep Design = "every sweep"
)

// Case is one row of a cost table.
type Case struct {
	N           int
	Period      time.Duration // between sweeps: an hour or a day
	SecurityHub bool
	Design      Design
}

// Counted is the two counted runs a month is priced from: with Security Hub on and off.
type Counted struct {
	On, Off CostRun
}

// Assumptions are what the model takes beyond the counted calls.
type Assumptions struct {
	DriftPerDay float64 // share of resources drifting each day
	RefreshDays float64 // the refresh period of unchanged findings (SecurityHubRefresh)
	Concurrency int     // MaximumConcurrency
	Rate        float64 // requests per second per operation, account-wide (RequestRate)
	MemoryGB    float64 // the function's memory
	// IdlePolls is the ReceiveMessage calls a month of Lambda's pollers on each idle queue:
	// Lambda's behaviour, which the bench's event source mapping player does not reproduce.
	IdlePolls   float64
	Metrics     int   // EMF metrics, each one time series (one Mode dimension value)
	PlatformLog int64 // bytes of Lambda's own START, END and REPORT lines per invocation
	Month       time.Duration
}

// TemplateMemoryMB is the template's MemorySize (TestTheModelUsesTheTemplatesMemorySize holds
// the two together). The worker's peak RSS is about 20 MB (docs/BENCHMARKS.md), and the
// function mostly waits for the account-wide rate: 128 MB, Lambda's least, is enough, and
// GB-seconds are billed at the memory configured, not the memory used.
const TemplateMemoryMB = 128

// DefaultAssumptions are the template's defaults (MaximumConcurrency 2, RequestRate 10,
// MemorySize 128, SecurityHubRefresh 720h) and the 1 % drift a day.
func DefaultAssumptions() Assumptions {
	return Assumptions{
		DriftPerDay: 0.01,
		RefreshDays: config.DefaultSecurityHubRefresh.Hours() / 24,
		Concurrency: 2,
		Rate:        enforce.DefaultRate,
		MemoryGB:    TemplateMemoryMB / 1024.0,
		// Lambda's SQS pollers long-poll (20 s) even when the queue is empty; five of them, as
		// Lambda starts with, make 5 × 3 a minute: 648,000 receives in 30 days.
		IdlePolls: 5 * 3 * 60 * 24 * 30,
		// One per outcome and five more (handler.reportMetrics), under one value of Mode.
		Metrics:     len(enforce.Outcomes()) + 5,
		PlatformLog: 350,
		Month:       30 * 24 * time.Hour,
	}
}

// OldDesign are the assumptions of the design before issue 29 (today's design in the issue's
// words): the function at 256 MB.
func OldDesign() Assumptions {
	a := DefaultAssumptions()
	a.MemoryGB = 0.25
	return a
}

// SweepRate is the request rate a sweep of n resources runs at: the configured rate, raised
// so that the sweep ends within half the period (an hourly sweep of 100,000 buckets at 10/s
// would take 2.8 hours and overlap the next ones).
func (a Assumptions) SweepRate(n int, period time.Duration) float64 {
	return max(a.Rate, float64(n)/(period/2).Seconds())
}

// perPage are the operations made once per listing page of S3PageSize buckets; perSweep those
// made a fixed number of times a sweep (a baseline read per function instance and version, the
// queue's attributes): both are taken as counted, scaled by pages for the first.
var (
	perPage  = []string{"ListBuckets"}
	perSweep = []string{"GetParameter", "GetParameters", "GetParametersByPath", "GetQueueAttributes"}
)

// scaled is a sweep's quantities at another size: one counted sweep, or a mix of two.
type scaled struct {
	calls, standard                    map[string]float64
	ingested, invocations, logBytes    float64
	routerSec, workerSec, publisherSec float64
}

// scale takes base's counts, per resource, to n resources, and adds (with.X − base.X) for each
// of d drifted resources beyond base's (with = nil: none): the counted cost of a drift. The
// operations of perPage and perSweep are taken per page and per sweep.
func scale(base, with *SweepCounts, n, d float64) (scaled, error) {
	if base.N <= 0 || (with != nil && with.Drifted <= base.Drifted) {
		return scaled{}, fmt.Errorf("cost: cannot scale from a sweep of %d resources and a drifted sweep with no more drifted ones", base.N)
	}
	per := n / float64(base.N)
	mix := func(b, w float64) float64 {
		v := b * per
		if with != nil {
			v += (w - b) / float64(with.Drifted-base.Drifted) * d
		}
		return max(v, 0)
	}
	pages := math.Ceil(n/S3PageSize) / math.Ceil(float64(base.N)/S3PageSize)
	s := scaled{calls: map[string]float64{}, standard: map[string]float64{}}
	ops := func(b, w map[string]int, into map[string]float64) {
		all := map[string]bool{}
		for op := range b {
			all[op] = true
		}
		for op := range w {
			all[op] = true
		}
		for op := range all {
			switch {
			case slices.Contains(perPage, op):
				into[op] = float64(b[op]) * pages
			case slices.Contains(perSweep, op):
				into[op] = float64(b[op])
			default:
				into[op] = mix(float64(b[op]), float64(w[op]))
			}
		}
	}
	var w SweepCounts
	if with != nil {
		w = *with
	}
	ops(base.Calls, w.Calls, s.calls)
	ops(base.Standard, w.Standard, s.standard)
	s.ingested = mix(float64(base.Ingested), float64(w.Ingested))
	s.invocations = mix(float64(base.Invocations), float64(w.Invocations))
	s.logBytes = mix(float64(base.LogBytes), float64(w.LogBytes))
	s.routerSec = mix(base.RouterSeconds, w.RouterSeconds)
	s.workerSec = mix(base.WorkerSeconds(), w.WorkerSeconds())
	s.publisherSec = mix(base.PublisherSeconds, w.PublisherSeconds)
	return s, nil
}

// add puts times × s into u, the workers' time paced: each of the Concurrency workers keeps to
// rate ÷ Concurrency, so a sweep of n resources takes them at least Concurrency × n ÷ rate
// seconds together (the bench counts at a higher rate to finish in minutes).
func (s scaled) add(u Usage, a Assumptions, n, rate, times float64) error {
	cu, err := callsUsage(s.calls, s.standard, times)
	if err != nil {
		return err
	}
	for k, v := range cu {
		u[k] += v
	}
	u[FindingIngestion] += s.ingested * times
	u[LambdaRequests] += s.invocations * times
	seconds := s.routerSec + max(s.workerSec, float64(a.Concurrency)*n/rate) + s.publisherSec
	u[LambdaARMGBSeconds] += seconds * a.MemoryGB * times
	u[LogGB] += (s.logBytes + float64(a.PlatformLog)*s.invocations) * times / 1e9
	return nil
}

// Month is the usage of a month of c's sweeps, priced from the counted sweeps of counted.On
// (Security Hub on) or counted.Off: each sweep is the unchanged sweep scaled to c.N, plus, for
// each resource drifted since the last sweep, what a drifted one added in the counted drifted
// sweep. With findings imported on change, one sweep per refresh period costs what the counted
// refresh sweep added to an unchanged one; with findings imported every sweep (the old
// design), every sweep does (a drift's import then counts on top of the resource's refresh:
// 1 % high at most). Nothing about Security Hub is a
// formula: its calls and events are those counted. Added by assumption: Lambda's pollers' idle
// receives and the EMF metrics.
func Month(c Case, counted Counted, a Assumptions) (Usage, error) {
	run := counted.Off
	if c.SecurityHub {
		run = counted.On
	}
	if run.Unchanged.N <= 0 || run.Drifted.Drifted <= 0 || (c.SecurityHub && run.Refresh.N <= 0) {
		return nil, fmt.Errorf("cost: the counted run (Security Hub %v) lacks its unchanged, drifted or refresh sweep", c.SecurityHub)
	}
	sweeps := float64(a.Month / c.Period)
	n := float64(c.N)
	drifted := n * a.DriftPerDay * c.Period.Hours() / 24
	rate := a.SweepRate(c.N, c.Period)
	refreshes := 0.0 // sweeps a month that import every finding again
	switch {
	case !c.SecurityHub:
	case c.Design == ImportOnChange:
		refreshes = a.Month.Hours() / 24 / a.RefreshDays
	case c.Design == ImportEverySweep:
		refreshes = sweeps
	default:
		return nil, fmt.Errorf("cost: unknown design %q", c.Design)
	}
	steady, err := scale(&run.Unchanged, &run.Drifted, n, drifted)
	if err != nil {
		return nil, err
	}
	u := Usage{}
	if err := steady.add(u, a, n, rate, sweeps); err != nil {
		return nil, err
	}
	if refreshes > 0 {
		// What a refresh sweep adds to an unchanged one, its workers' pacing left out (both
		// sweeps are paced alike).
		fresh, err := scale(&run.Unchanged, nil, n, 0)
		if err != nil {
			return nil, err
		}
		due, err := scale(&run.Refresh, nil, n, 0)
		if err != nil {
			return nil, err
		}
		if err := difference(due, fresh).add(u, Assumptions{MemoryGB: a.MemoryGB, PlatformLog: a.PlatformLog}, 0, 1, refreshes); err != nil {
			return nil, err
		}
	}
	u[SQSFIFO] += a.IdlePolls
	if c.SecurityHub {
		u[SQSStandard] += a.IdlePolls // the findings queue's pollers
	}
	// Metrics are metered in the hours they are sent: every hour for hourly sweeps, the
	// sweep's hours (and the next one, where it crosses) for daily ones.
	hours := min(sweeps*(math.Ceil(n/rate/3600)+1), a.Month.Hours())
	if c.Period <= time.Hour {
		hours = a.Month.Hours()
	}
	u[MetricHours] += float64(a.Metrics) * hours
	return u, nil
}

// difference is a − b, item by item (a refresh sweep's extra over an unchanged one); what a
// could not add is not taken back.
func difference(a, b scaled) scaled {
	d := scaled{calls: map[string]float64{}, standard: map[string]float64{},
		ingested: max(a.ingested-b.ingested, 0), invocations: max(a.invocations-b.invocations, 0),
		logBytes: max(a.logBytes-b.logBytes, 0), routerSec: max(a.routerSec-b.routerSec, 0),
		workerSec: max(a.workerSec-b.workerSec, 0), publisherSec: max(a.publisherSec-b.publisherSec, 0)}
	for op, v := range a.calls {
		d.calls[op] = max(v-b.calls[op], 0)
	}
	for op, v := range a.standard {
		d.standard[op] = max(v-b.standard[op], 0)
	}
	return d
}

// FirstSweep is the usage of the first sweep after deployment at n resources, scaled from the
// counted one (its share of drifted resources as counted: 3 in 10): a one-off, not in a month.
func FirstSweep(n int, securityHub bool, counted Counted, a Assumptions) (Usage, error) {
	run := counted.Off
	if securityHub {
		run = counted.On
	}
	s, err := scale(&run.First, nil, float64(n), 0)
	if err != nil {
		return nil, err
	}
	u := Usage{}
	return u, s.add(u, a, float64(n), a.Rate, 1)
}

// CostRow is one case and its bill.
type CostRow struct {
	Case Case
	Bill Bill
}

// CostCases are the cases: 10,000 and 100,000 resources, hourly and daily, Security
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

// CostTable prices cases from the counted runs.
func CostTable(cases []Case, counted Counted, a Assumptions) ([]CostRow, error) {
	var rows []CostRow
	for _, c := range cases {
		u, err := Month(c, counted, a)
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
		fmt.Fprintf(&b, "| %s | %s | %s | %s per month |", thousands(r.Case.N), schedule(r.Case.Period), hubLabel(r.Case.SecurityHub), dollars(r.Bill.Total()))
		for _, s := range Services() {
			fmt.Fprintf(&b, " %.0f %% (%s) |", 100*r.Bill.Share(s), dollars(r.Bill[s]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func schedule(p time.Duration) string {
	if p <= time.Hour {
		return "hourly"
	}
	return "daily"
}

func hubLabel(on bool) string {
	if on {
		return "Security Hub on"
	}
	return "Security Hub off"
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

// Knob is one setting a user can turn, and what it does to a month.
type Knob struct {
	Name string
	Case func(Case) Case
	With func(Assumptions) Assumptions
}

// Knobs are the settings a user can turn, each applied alone to the defaults, in the order
// docs/cost.md explains them.
func Knobs() []Knob {
	return []Knob{
		{Name: "`SweepSchedule` rate(1 hour) instead of rate(1 day)", Case: func(c Case) Case { c.Period = time.Hour; return c }},
		{Name: "`SecurityHubFindings` false", Case: func(c Case) Case { c.SecurityHub = false; return c }},
		{Name: "`SecurityHubRefresh` 240h (10 days) instead of 720h", With: func(a Assumptions) Assumptions { a.RefreshDays = 10; return a }},
		{Name: "`SecurityHubRefresh` 1440h (60 days)", With: func(a Assumptions) Assumptions { a.RefreshDays = 60; return a }},
		{Name: "`MaximumConcurrency` 8 instead of 2 (same `RequestRate`)", With: func(a Assumptions) Assumptions { a.Concurrency = 8; return a }},
		{Name: "`RequestRate` 20 instead of 10", With: func(a Assumptions) Assumptions { a.Rate = 20; return a }},
		{Name: "5 % of resources drifting a day instead of 1 %", With: func(a Assumptions) Assumptions { a.DriftPerDay = 0.05; return a }},
	}
}

// GoalCase is the goal: 100,000 resources swept daily with Security Hub on.
var GoalCase = Case{N: 100_000, Period: 24 * time.Hour, SecurityHub: true, Design: ImportOnChange}

// knobTable renders each knob's month at GoalCase, each applied alone to the defaults.
func knobTable(counted Counted) (string, error) {
	var b strings.Builder
	b.WriteString("| change | 100,000 daily, Security Hub on | difference | Security Hub | Lambda | S3 |\n|---|---|---|---|---|---|\n")
	base, err := CostTable([]Case{GoalCase}, counted, DefaultAssumptions())
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "| the template's defaults | %s per month | | %s | %s | %s |\n", dollars(base[0].Bill.Total()),
		dollars(base[0].Bill[ServiceSecurityHub]), dollars(base[0].Bill[ServiceLambda]), dollars(base[0].Bill[ServiceS3]))
	for _, k := range Knobs() {
		c, a := GoalCase, DefaultAssumptions()
		if k.With != nil {
			a = k.With(a)
		}
		if k.Case != nil {
			c = k.Case(c)
		}
		rows, err := CostTable([]Case{c}, counted, a)
		if err != nil {
			return "", err
		}
		bill := rows[0].Bill
		fmt.Fprintf(&b, "| %s | %s per month | %+.2f | %s | %s | %s |\n", k.Name, dollars(bill.Total()), bill.Total()-base[0].Bill.Total(),
			dollars(bill[ServiceSecurityHub]), dollars(bill[ServiceLambda]), dollars(bill[ServiceS3]))
	}
	return b.String(), nil
}

// countedTable renders the counted sweeps: per sweep, the calls of every operation, the
// findings ingested, the invocations and the GB-seconds at the template's memory.
func countedTable(counted Counted) string {
	var b strings.Builder
	b.WriteString("| Security Hub | sweep | buckets drifted | findings ingested | BatchImportFindings | GetFindings | S3 | SQS work queue (FIFO) | SQS findings queue (standard) | SSM | invocations | GB-seconds | every call |\n" +
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, run := range []CostRun{counted.On, counted.Off} {
		for _, s := range run.Sweeps() {
			sum := func(m map[string]int, ops ...string) int {
				n := 0
				for op, v := range m {
					if len(ops) == 0 || slices.Contains(ops, op) {
						n += v
					}
				}
				return n
			}
			fmt.Fprintf(&b, "| %s | %s | %d of %s | %d | %d | %d | %d | %d | %d | %d | %d | %.2f | %s |\n",
				hubLabel(run.Spec.SecurityHub), s.Name, s.Drifted, thousands(s.N), s.Ingested, s.Calls["BatchImportFindings"], s.Calls["GetFindings"],
				sum(s.Calls, s3Ops...), sum(s.Calls, sqsOps...), sum(s.Standard), sum(s.Calls, ssmReadOps...), s.Invocations,
				s.FunctionSeconds*TemplateMemoryMB/1024, callList(s.Calls, s.Standard))
		}
	}
	return b.String()
}

// CostSection is the "Cost" section of docs/BENCHMARKS.md: the counted sweeps, the month of
// each case priced from them, the old design by the same model, the first sweep as a
// one-off, the knobs, and the prices with their sources. from says how the sweeps were counted.
func CostSection(counted Counted, from string) (string, error) {
	a := DefaultAssumptions()
	var b strings.Builder
	b.WriteString("## Cost\n\n")
	fmt.Fprintf(&b, "A month (30 days) in us-east-1 with no free tier, priced by `bench.Month` from the calls counted in %s. "+
		"Each run sweeps one estate of %s buckets through the work queue four times, each sweep by function instances started for it (nothing "+
		"of the last sweep in memory): the first after deployment (3 in 10 buckets drifted, no finding yet), the unchanged estate, "+
		"the estate after %g %% of its buckets drifted, and (Security Hub on) the unchanged estate once every finding is older than the "+
		"refresh period (the emulator ages the findings by %s). The emulator applies AWS's default quotas and counts every call and every finding "+
		"Security Hub accepted (a finding ingestion event, new or updated).\n\n",
		from, thousands(counted.On.Spec.N), 100*counted.On.Spec.Drift, config.DefaultSecurityHubRefresh+time.Hour)
	b.WriteString("**The counted sweeps**\n\n" + countedTable(counted) + "\n")
	fmt.Fprintf(&b, "A sweep at N resources is the unchanged sweep scaled to N, plus, for each resource drifted since the last sweep "+
		"(%g %% of N a day), what one drifted resource added in the drifted sweep. Listing pages scale with N ÷ %d; baseline reads "+
		"and queue attributes are per sweep as counted. With findings imported on change one sweep per refresh period (%g days) costs what the "+
		"counted refresh sweep added to an unchanged one. No Security Hub call or event count is a formula: they are the counted ones. "+
		"The workers' time is the larger of the counted time and the rate's pacing (MaximumConcurrency %d workers at RequestRate %g/s shared: "+
		"%d × N ÷ %g seconds a sweep, the rate raised where a sweep would not end within half its period), billed at the template's %d MB. "+
		"Added by assumption, not counted: Lambda's pollers' %s idle receives a month on each queue and %d EMF metrics billed in the hours they are sent. "+
		"docs/cost.md explains the bill.\n\n",
		100*a.DriftPerDay, S3PageSize, a.RefreshDays, a.Concurrency, a.Rate, a.Concurrency, a.Rate, TemplateMemoryMB,
		thousands(int(a.IdlePolls)), a.Metrics)
	for _, d := range []struct {
		design Design
		a      Assumptions
		title  string
	}{
		{ImportOnChange, a, "Findings imported when their state changes, refreshed every 30 days (the template's defaults), priced from the counted sweeps"},
		{ImportEverySweep, OldDesign(), "Today's design (before issue 29), a model of the old design by the same counts: every sweep imports every finding, as the counted refresh sweep does; 256 MB"},
	} {
		rows, err := CostTable(CostCases(d.design), counted, d.a)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "**%s**\n\n%s\n", d.title, Markdown(rows))
	}
	var first []string
	for _, n := range []int{10_000, 100_000} {
		u, err := FirstSweep(n, true, counted, a)
		if err != nil {
			return "", err
		}
		bill, err := Priced(u)
		if err != nil {
			return "", err
		}
		first = append(first, fmt.Sprintf("%s at %s buckets (%s of it Security Hub)", dollars(bill.Total()), thousands(n), dollars(bill[ServiceSecurityHub])))
	}
	fmt.Fprintf(&b, "**The first sweep after deployment**, once, Security Hub on, priced from the counted first sweep: %s.\n\n", strings.Join(first, "; "))
	knobs, err := knobTable(counted)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "**The knobs**, each alone on the defaults\n\n%s\n", knobs)
	b.WriteString("**Prices**\n\n" + PriceList())
	return b.String(), nil
}

func callList(calls, standard map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, calls[op]))
	}
	for _, op := range slices.Sorted(maps.Keys(standard)) {
		parts = append(parts, fmt.Sprintf("%s %d (findings queue)", op, standard[op]))
	}
	return strings.Join(parts, ", ")
}
