package bench

import (
	"context"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

// TestCountedCallsArePricedPerService prices counted calls by hand: each operation as its
// billed item, and an operation or item without a price is refused.
func TestCountedCallsArePricedPerService(t *testing.T) {
	cases := []struct {
		name  string
		calls map[string]float64
		want  Bill
	}{
		{"a thousand bucket reads are one GET thousand", map[string]float64{"GetBucketCors": 1000}, Bill{ServiceS3: 0.0004}},
		{"writes and listings are PUT/LIST", map[string]float64{"PutBucketCors": 500, "ListBuckets": 500}, Bill{ServiceS3: 0.005}},
		{"tag reads are GETs", map[string]float64{"GetBucketTagging": 2000}, Bill{ServiceS3: 0.0008}},
		{"every queue call is a FIFO request", map[string]float64{"SendMessageBatch": 400_000, "ReceiveMessage": 300_000, "DeleteMessageBatch": 300_000}, Bill{ServiceSQS: 0.50}},
		{"baseline reads at standard throughput are free", map[string]float64{"GetParameter": 1_000_000}, Bill{}},
		{"Security Hub API calls are free (ingestion is billed per finding)", map[string]float64{"GetFindings": 1000, "BatchImportFindings": 1000}, Bill{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := callsUsage(tc.calls, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Priced(u)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range Services() {
				if !near(b[s], tc.want[s]) {
					t.Errorf("%s: $%g, want $%g (bill %v)", s, b[s], tc.want[s], b)
				}
			}
		})
	}
	if _, err := callsUsage(map[string]float64{"DescribeContainer": 1}, nil, 1); err == nil || !strings.Contains(err.Error(), "DescribeContainer") {
		t.Errorf("an operation without a price: %v, want an error naming it", err)
	}
	if _, err := Priced(Usage{"DynamoDB writes": 1}); err == nil {
		t.Error("an item without a price was priced")
	}
}

// handCounted are counted sweeps of 100 resources made up for a hand calculation: with
// Security Hub on, the unchanged sweep, the one after a drift (one more write, one import,
// one event) and the refresh sweep (every finding ingested again); with it off, the unchanged
// and drifted sweeps.
func handCounted() Counted {
	calls := func(extra map[string]int) map[string]int {
		m := map[string]int{"ListBuckets": 1, "GetBucketCors": 100, "GetResources": 10, "SendMessageBatch": 10,
			"ReceiveMessage": 12, "DeleteMessageBatch": 10, "GetParameter": 3}
		for k, v := range extra {
			m[k] += v
		}
		return m
	}
	std := map[string]int{"SendMessageBatch": 10, "ReceiveMessage": 2, "DeleteMessageBatch": 1}
	on := CostRun{Spec: CostRunSpec{N: 100, SecurityHub: true, Drift: 0.01},
		Unchanged: SweepCounts{N: 100, Calls: calls(map[string]int{"GetFindings": 5}), Standard: std, Invocations: 12,
			FunctionSeconds: 3, RouterSeconds: 0.5, PublisherSeconds: 2, LogBytes: 12_000},
		Drifted: SweepCounts{N: 100, Drifted: 1, Calls: calls(map[string]int{"GetFindings": 5, "PutBucketCors": 1, "BatchImportFindings": 1}),
			Standard: std, Invocations: 12, Ingested: 1, FunctionSeconds: 3.1, RouterSeconds: 0.5, PublisherSeconds: 2.05, LogBytes: 12_100},
		Refresh: SweepCounts{N: 100, Calls: calls(map[string]int{"GetFindings": 5, "BatchImportFindings": 1}), Standard: std, Invocations: 12,
			Ingested: 100, FunctionSeconds: 3.5, RouterSeconds: 0.5, PublisherSeconds: 2.5, LogBytes: 12_500},
	}
	on.First = on.Refresh
	off := CostRun{Spec: CostRunSpec{N: 100, Drift: 0.01},
		Unchanged: SweepCounts{N: 100, Calls: calls(nil), Invocations: 11, FunctionSeconds: 1, RouterSeconds: 0.5, LogBytes: 11_000},
		Drifted: SweepCounts{N: 100, Drifted: 1, Calls: calls(map[string]int{"PutBucketCors": 1}), Invocations: 11,
			FunctionSeconds: 1.05, RouterSeconds: 0.5, LogBytes: 11_100},
	}
	off.First = off.Drifted
	return Counted{On: on, Off: off}
}

// TestAMonthIsPricedFromTheCountedSweeps checks Month against a hand calculation from
// handCounted's sweeps of 100 resources.
func TestAMonthIsPricedFromTheCountedSweeps(t *testing.T) {
	a := DefaultAssumptions()
	// 100,000 daily: 30 sweeps, each the unchanged sweep × 1,000 plus 1,000 drifted resources
	// × what the one drifted added; the listing's 100 pages; the 3 baseline reads as counted.
	// Workers paced: 2 × 100,000 / 10 = 20,000 s a sweep (above the counted 550); router 500 s,
	// publishers 2,050 s. One refresh sweep a month adds 1,000 imports, 100,000 events, 500
	// publisher seconds and 500,000 log bytes.
	steadyLog := 12_000.0*1000 + 100*1000 + 350*12_000
	cases := []struct {
		name string
		c    Case
		a    Assumptions
		want Usage
	}{
		{"100,000 daily, Security Hub on, findings on change", GoalCase, a, Usage{
			S3Get: 30 * 100_000, S3Put: 30 * (100 + 1000), TaggingAPI: 30 * 10_000,
			SQSFIFO: 30*(10_000+12_000+10_000) + a.IdlePolls, SQSStandard: 30*(10_000+2_000+1_000) + a.IdlePolls,
			SSMStandard:        30 * 3,
			SecurityHubAPI:     30*(5000+1000) + 1000,
			FindingIngestion:   30*1000 + 100_000,
			LambdaRequests:     30 * 12_000,
			LambdaARMGBSeconds: 0.125 * (30*(500+20_000+2_050) + 500),
			LogGB:              (30*steadyLog + 500_000) / 1e9,
			MetricHours:        float64(a.Metrics) * 30 * 4, // 10,000 s: 3 hours, and the next
		}},
		{"100,000 daily, Security Hub on, the old design (every sweep a refresh) at 256 MB",
			Case{N: 100_000, Period: 24 * time.Hour, SecurityHub: true, Design: ImportEverySweep}, OldDesign(), Usage{
				S3Get: 30 * 100_000, S3Put: 30 * (100 + 1000), TaggingAPI: 30 * 10_000,
				SQSFIFO: 30*(10_000+12_000+10_000) + a.IdlePolls, SQSStandard: 30*(10_000+2_000+1_000) + a.IdlePolls,
				SSMStandard:        30 * 3,
				SecurityHubAPI:     30 * (5000 + 1000 + 1000),
				FindingIngestion:   30 * (1000 + 100_000),
				LambdaRequests:     30 * 12_000,
				LambdaARMGBSeconds: 0.25 * 30 * (500 + 20_000 + 2_050 + 500),
				LogGB:              30 * (steadyLog + 500_000) / 1e9,
				MetricHours:        float64(a.Metrics) * 30 * 4,
			}},
		{"10,000 hourly, Security Hub off", Case{N: 10_000, Period: time.Hour, Design: ImportOnChange}, a, Usage{
			// 720 sweeps of 100 × the unchanged one, 100 ÷ 24 drifted each; 10 listing pages;
			// 10,000 in half an hour needs 5.6 a second: the 10 configured stay.
			S3Get: 720 * 10_000, S3Put: 720 * (10 + 100.0/24), TaggingAPI: 720 * 1000,
			SQSFIFO: 720*3200 + a.IdlePolls, SSMStandard: 720 * 3,
			LambdaRequests:     720 * 1100,
			LambdaARMGBSeconds: 0.125 * 720 * (50 + 2000),
			LogGB:              720 * (11_000*100 + 100*100.0/24 + 350*1100) / 1e9,
			MetricHours:        float64(a.Metrics) * 720,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Month(tc.c, handCounted(), tc.a)
			if err != nil {
				t.Fatal(err)
			}
			for item := range Prices() {
				if !near(got[item], tc.want[item]) {
					t.Errorf("%s: %g, want %g", item, got[item], tc.want[item])
				}
			}
		})
	}
	if _, err := Month(GoalCase, Counted{}, a); err == nil {
		t.Error("a month from no counted sweeps was priced")
	}
	noRefresh := handCounted()
	noRefresh.On.Refresh = SweepCounts{}
	if _, err := Month(GoalCase, noRefresh, a); err == nil {
		t.Error("Security Hub on was priced without a counted refresh sweep")
	}
}

// TestTheSecondSweepImportsOnlyWhatDrifted counts consecutive sweeps of 100 buckets through the
// work queue (the emulator at AWS's quotas, the real handler as router, workers and findings
// publishers, new function instances for each sweep): the first imports every finding, the
// next imports none when nothing drifted and the drifted bucket's when 1 % drifted, and one
// after the refresh period imports every finding again. The cases priced from these
// counts: 100,000 buckets swept daily with Security Hub on cost at most $10 a month; hourly,
// Security Hub's share is no larger than S3's; the old design costs about $90 a month in
// events daily.
func TestTheSecondSweepImportsOnlyWhatDrifted(t *testing.T) {
	counted, err := CountCost(context.Background(), CostRunSpec{N: 100, Rate: 1000, Concurrency: 2, Drift: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	on := counted.On
	for _, s := range []struct {
		name       string
		got, want  int
		drifted    int
		wantDrifts int
	}{
		{"first", on.First.Ingested, 100, on.First.Drifted, 30},
		{"unchanged", on.Unchanged.Ingested, 0, on.Unchanged.Drifted, 0},
		{"1 % drifted", on.Drifted.Ingested, 1, on.Drifted.Drifted, 1},
		{"refresh period passed", on.Refresh.Ingested, 100, on.Refresh.Drifted, 0},
	} {
		if s.got != s.want || s.drifted != s.wantDrifts {
			t.Errorf("%s sweep: %d findings ingested, %d drifted; want %d and %d", s.name, s.got, s.drifted, s.want, s.wantDrifts)
		}
	}
	if n := on.Unchanged.Calls["BatchImportFindings"]; n != 0 {
		t.Errorf("the unchanged sweep made %d BatchImportFindings calls, want 0", n)
	}
	if on.Unchanged.Calls["GetBucketCors"] != 100 || counted.Off.Unchanged.Ingested != 0 || len(counted.Off.Unchanged.Standard) != 0 {
		t.Errorf("counted %+v (off: %+v)", on.Unchanged, counted.Off.Unchanged)
	}
	bill := func(c Case, a Assumptions) Bill {
		t.Helper()
		rows, err := CostTable([]Case{c}, counted, a)
		if err != nil {
			t.Fatal(err)
		}
		return rows[0].Bill
	}
	if daily := bill(GoalCase, DefaultAssumptions()); daily.Total() > 10 {
		t.Errorf("100,000 daily with Security Hub: $%.2f a month, want $10 at most (%v)", daily.Total(), daily)
	}
	hourly := bill(Case{N: 100_000, Period: time.Hour, SecurityHub: true, Design: ImportOnChange}, DefaultAssumptions())
	if hourly[ServiceSecurityHub] > hourly[ServiceS3] {
		t.Errorf("hourly: Security Hub $%.2f above S3 $%.2f", hourly[ServiceSecurityHub], hourly[ServiceS3])
	}
	old := bill(Case{N: 100_000, Period: 24 * time.Hour, SecurityHub: true, Design: ImportEverySweep}, OldDesign())
	if sh := old[ServiceSecurityHub]; sh < 90 || sh > 91 {
		t.Errorf("the old design, daily: Security Hub $%.2f, want $90 to $91 (3 million events, and the drifts')", sh)
	}
	sec, err := CostSection(counted, "a test")
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range []string{"| 100,000 | hourly | Security Hub on | $", "| 10,000 | daily | Security Hub off | $", " per month |",
		"| Security Hub on | unchanged | 0 of 100 | 0 | 0 |", "Today's design"} {
		if !strings.Contains(sec, cell) {
			t.Errorf("the section has no %q:\n%s", cell, sec)
		}
	}
}

// TestTheModelUsesTheTemplatesMemorySize holds TemplateMemoryMB, at which the model bills
// GB-seconds, to the function's MemorySize in template.yaml.
func TestTheModelUsesTheTemplatesMemorySize(t *testing.T) {
	tpl, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+MemorySize: (\d+)\s*$`).FindAllSubmatch(tpl, -1)
	if len(m) != 1 || string(m[0][1]) != strconv.Itoa(TemplateMemoryMB) {
		t.Errorf("template.yaml's MemorySize %q, want one, %d (bench.TemplateMemoryMB)", m, TemplateMemoryMB)
	}
}

// TestACostRunRefusesWhatItCannotCount refuses, before starting anything, a run too small for
// its per-resource counts or with a drift the fleet cannot give.
func TestACostRunRefusesWhatItCannotCount(t *testing.T) {
	for _, spec := range []CostRunSpec{{N: 99, Rate: 1000, Concurrency: 2, Drift: 0.01}, {N: 100, Rate: 1000, Concurrency: 2},
		{N: 100, Rate: 1000, Concurrency: 2, Drift: 0.5}} {
		if _, err := RunCostSweeps(context.Background(), spec); err == nil {
			t.Errorf("%+v: counted", spec)
		}
	}
}

// TestCountsSplitTheQueuesAndLeaveOutThePlayersEmptyPolls takes a measured sweep's counts:
// SQS calls about the findings queue apart from the work queue's, and the mappings' empty
// receives (emulator/esm's polling, not Lambda's long polls) left out.
func TestCountsSplitTheQueuesAndLeaveOutThePlayersEmptyPolls(t *testing.T) {
	r := QueueSweepResult{Spec: QueueSweepSpec{N: 100},
		Calls:          map[string]int{"GetBucketCors": 100, "ReceiveMessage": 500, "SendMessageBatch": 20, "DeleteMessageBatch": 11},
		WorkQueueCalls: map[string]int{"ReceiveMessage": 300, "SendMessageBatch": 10, "DeleteMessageBatch": 10},
		EmptyReceives:  290, FindingsEmptyReceives: 199}
	c := CountsOf(r)
	want := SweepCounts{N: 100, Calls: map[string]int{"GetBucketCors": 100, "ReceiveMessage": 10, "SendMessageBatch": 10, "DeleteMessageBatch": 10},
		Standard: map[string]int{"ReceiveMessage": 1, "SendMessageBatch": 10, "DeleteMessageBatch": 1}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
