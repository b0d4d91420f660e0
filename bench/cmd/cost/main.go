// Command cost prints the cost model's tables (docs/BENCHMARKS.md, "Cost"): it counts the
// calls of consecutive sweeps of one estate through the work queue against the emulator, with
// Security Hub on and off (bench.CountCost: the first sweep after deployment, an unchanged
// one, one after 1 % of the buckets drifted, one after the findings' refresh period), then
// prices a month of sweeps at 10,000 and 100,000 resources from those counts (bench.Month).
// -json writes the counts too, for a later look.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/corsguard/corsguard/bench"
)

func main() {
	n := flag.Int("n", 1000, "buckets in the counted estate (3 in 10 drifted before the first sweep)")
	rate := flag.Float64("rate", 1000, "CORSGUARD_RATE of the counted sweeps: the model paces the workers at the template's rate itself")
	save := flag.String("json", "", "also write the counts to this file")
	flag.Parse()
	if err := run(*n, *rate, *save); err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
}

func run(n int, rate float64, save string) error {
	counted, err := bench.CountCost(context.Background(), bench.CostRunSpec{N: n, Rate: rate, Concurrency: 2, Drift: 0.01})
	if err != nil {
		return err
	}
	if save != "" {
		b, err := json.MarshalIndent(counted, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(save, b, 0o644); err != nil {
			return err
		}
	}
	sec, err := bench.CostSection(counted, fmt.Sprintf("`go run ./bench/cmd/cost -n %d` (CORSGUARD_RATE %g, MaximumConcurrency 2)", n, rate))
	if err != nil {
		return err
	}
	fmt.Print(sec)
	return nil
}
