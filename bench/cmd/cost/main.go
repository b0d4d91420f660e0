// Command cost prints the cost model's tables (docs/BENCHMARKS.md, "Cost"): it counts the calls
// of one small sweep through the work queue against the emulator, then prices a month of
// sweeps at 10,000 and 100,000 resources from those counts (bench.Month). It takes seconds, not
// the full benchmark's minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/corsguard/corsguard/bench"
)

func main() {
	n := flag.Int("n", 200, "buckets in the counted sweep (3 in 10 drifted)")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	res, err := bench.RunQueueSweep(context.Background(), bench.QueueSweepSpec{N: n, Rate: 1000, Concurrency: 2})
	if err != nil {
		return err
	}
	sec, err := bench.CostSection(bench.CountsOf(res), fmt.Sprintf("one sweep of %d buckets through the work queue (go run ./bench/cmd/cost)", n))
	if err != nil {
		return err
	}
	fmt.Print(sec)
	return nil
}
