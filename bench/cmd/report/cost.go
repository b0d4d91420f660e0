package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/corsguard/corsguard/bench"
)

// costBuckets is the estate make bench counts for the Cost section: large enough that the
// per-resource counts settle (each publisher batch reads and imports as at scale), small enough
// for minutes (the publishers read previous findings within GetFindings' share).
const costBuckets = 1000

// costHeading is the Cost section's heading, which -cost rewrites.
const costHeading = "## Cost\n"

// measureCost counts the Cost section's sweeps (bench.CountCost) of n buckets.
func measureCost(ctx context.Context, n int) (*bench.Counted, error) {
	logf("cost: four counted sweeps of %d buckets with Security Hub on, three with it off", n)
	c, err := bench.CountCost(ctx, bench.CostRunSpec{N: n, Rate: 1000, Concurrency: 2, Drift: 0.01})
	if err != nil {
		return nil, fmt.Errorf("cost: %w", err)
	}
	return &c, nil
}

// renderCost prices a month from pass A's counted sweeps (bench.Month).
func renderCost(b *w, a pass) {
	if a.cost == nil {
		return
	}
	sec, err := bench.CostSection(*a.cost, fmt.Sprintf("two runs of `bench.CountCost` (%d buckets, CORSGUARD_RATE 1000, MaximumConcurrency 2, make bench's pass A)", a.cost.On.Spec.N))
	if err != nil {
		b.pf("## Cost")
		b.pf("")
		b.pf("The cost model refused the counted sweeps: %v", err)
		b.pf("")
		return
	}
	b.pf("%s", sec)
}

// costOnly counts n buckets' sweeps and rewrites the Cost section of the document at path.
func costOnly(ctx context.Context, path string, n int) error {
	began := time.Now()
	c, err := measureCost(ctx, n)
	if err != nil {
		return err
	}
	sec, err := bench.CostSection(*c, fmt.Sprintf("two runs of `bench.CountCost` (%d buckets, CORSGUARD_RATE 1000, MaximumConcurrency 2; `go run ./bench/cmd/report -cost %d`, %s, %s, at commit %s; load average after it %s)",
		n, n, began.UTC().Format("2006-01-02 15:04 MST"), time.Since(began).Round(time.Second), commit(), loadAvg()))
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("-cost rewrites the Cost section of an existing document: %w", err)
	}
	doc, err := spliceCost(string(old), sec)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	logf("rewrote the Cost section of %s in %v", path, time.Since(began).Round(time.Second))
	return os.WriteFile(path, []byte(doc), 0o644)
}

// spliceCost replaces the Cost section of doc (up to the next section) with sec.
func spliceCost(doc, sec string) (string, error) {
	start := strings.Index(doc, costHeading)
	if start < 0 {
		return "", fmt.Errorf("no %q section: run make bench", strings.TrimSpace(costHeading))
	}
	end := strings.Index(doc[start+len(costHeading):], "\n## ")
	if end < 0 {
		return doc[:start] + strings.TrimRight(sec, "\n") + "\n", nil
	}
	return doc[:start] + strings.TrimRight(sec, "\n") + "\n" + doc[start+len(costHeading)+end:], nil
}

// costSummaryRows are the summary's rows of issue 29's goals, from pass A's counted sweeps:
// 100,000 buckets swept daily with Security Hub on cost at most $10 a month; hourly, Security
// Hub's share is no larger than S3's; the second sweep of an unchanged estate imports nothing.
func costSummaryRows(a pass) []string {
	if a.cost == nil {
		return nil
	}
	c := *a.cost
	hourly := bench.GoalCase
	hourly.Period = time.Hour
	rows, err := bench.CostTable([]bench.Case{bench.GoalCase, hourly}, c, bench.DefaultAssumptions())
	if err != nil {
		return []string{fmt.Sprintf("| cost a month, 100,000 buckets daily, Security Hub on | ≤ $10 | refused: %v | | **missed** |", err)}
	}
	daily, hour := rows[0].Bill, rows[1].Bill
	shareRatio := hour[bench.ServiceSecurityHub] / hour[bench.ServiceS3]
	n := c.On.Spec.N
	return []string{
		fmt.Sprintf("| cost a month, 100,000 buckets, daily sweeps, Security Hub on (priced from counted sweeps of %d, section Cost) | ≤ $10 | $%.2f | | %s |",
			n, daily.Total(), verdict(daily.Total() <= 10)),
		fmt.Sprintf("| the same hourly: Security Hub's share ÷ S3's | ≤ 1 | %.2f | | %s: $%.2f a month in all |", shareRatio, verdict(shareRatio <= 1), hour.Total()),
		fmt.Sprintf("| findings ingested by the second sweep of an unchanged estate of %d buckets (new instances), through the work queue | 0 | %d | | %s |",
			n, c.On.Unchanged.Ingested, verdict(c.On.Unchanged.Ingested == 0)),
	}
}
