package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// CostRunSpec is the counted run the cost model prices: consecutive scheduled sweeps of one
// estate of N buckets through the work queue, each by function instances started for it.
type CostRunSpec struct {
	N           int
	Rate        float64 // account-wide, per operation (CORSGUARD_RATE)
	Concurrency int     // MaximumConcurrency
	SecurityHub bool
	// Drift is the share of the buckets drifted (another CORS configuration written) between
	// the unchanged sweep and the drifted one: 0.01, the 1 % a day.
	Drift float64
}

// CostRun is what a counted run measured, one sweep after another on the same estate.
type CostRun struct {
	Spec CostRunSpec
	// First is the first sweep after deployment: no finding exists yet; the fleet's 3 in 10
	// drifted buckets are repaired.
	First SweepCounts
	// Unchanged is the next sweep, nothing drifted since First.
	Unchanged SweepCounts
	// Drifted is the sweep after Spec.Drift of the buckets drifted.
	Drifted SweepCounts
	// Refresh (Security Hub on) is a sweep of the unchanged estate once every finding's last
	// import is older than the refresh period (the emulator ages the findings by the default
	// period and an hour: emulator.AgeFindings): the sweep that re-imports unchanged findings.
	Refresh SweepCounts
}

// Sweeps returns the run's sweeps with their names, in the order they ran.
func (r CostRun) Sweeps() []NamedSweep {
	out := []NamedSweep{{"first after deployment", r.First}, {"unchanged", r.Unchanged},
		{fmt.Sprintf("%g %% drifted", 100*r.Spec.Drift), r.Drifted}}
	if r.Spec.SecurityHub {
		out = append(out, NamedSweep{"refresh period passed", r.Refresh})
	}
	return out
}

// NamedSweep is one counted sweep and what it was.
type NamedSweep struct {
	Name string
	SweepCounts
}

// RunCostSweeps counts spec's sweeps against a fresh emulator at AWS's default quotas: the
// first sweep after deployment, a sweep of the unchanged estate, one after spec.Drift of the
// buckets drifted and, with Security Hub on, one after the refresh period. Every sweep must
// converge every bucket (a sweep that did not would be counted short).
func RunCostSweeps(ctx context.Context, spec CostRunSpec) (CostRun, error) {
	if spec.N < 100 || spec.Drift <= 0 || spec.Drift > float64(DriftedFraction) {
		return CostRun{}, fmt.Errorf("cost run: %d buckets, drift %g: want at least 100 buckets and a drift above 0 and at most %g", spec.N, spec.Drift, DriftedFraction)
	}
	a, fleet, err := seedQueueFleet(ctx, spec.N)
	if err != nil {
		return CostRun{}, err
	}
	defer a.Close()
	run := CostRun{Spec: spec}
	q := QueueSweepSpec{N: spec.N, Rate: spec.Rate, Concurrency: spec.Concurrency, SecurityHub: spec.SecurityHub}
	sweep := func(i, nDrifted int) (SweepCounts, error) {
		r, err := a.queueSweep(ctx, q, fleet, nDrifted, fmt.Sprintf("bench-cost-sweep-%d", i))
		switch {
		case err != nil:
			return SweepCounts{}, fmt.Errorf("sweep %d: %w", i, err)
		case r.Converged != spec.N:
			return SweepCounts{}, fmt.Errorf("sweep %d: %d of %d buckets converged", i, r.Converged, spec.N)
		case spec.SecurityHub && r.FindingsPresent != spec.N:
			return SweepCounts{}, fmt.Errorf("sweep %d: %d of %d buckets have their finding", i, r.FindingsPresent, spec.N)
		}
		return CountsOf(r), nil
	}
	if run.First, err = sweep(1, len(fleet.Drifted)); err != nil {
		return CostRun{}, err
	}
	if run.Unchanged, err = sweep(2, 0); err != nil {
		return CostRun{}, err
	}
	drifted := int(math.Round(spec.Drift * float64(spec.N)))
	if err := a.drift(ctx, fleet.Compliant, drifted); err != nil {
		return CostRun{}, err
	}
	if run.Drifted, err = sweep(3, drifted); err != nil {
		return CostRun{}, err
	}
	if spec.SecurityHub {
		a.AgeFindings(config.DefaultSecurityHubRefresh + time.Hour)
		if run.Refresh, err = sweep(4, 0); err != nil {
			return CostRun{}, err
		}
	}
	return run, nil
}

// drift writes another CORS configuration on n of the buckets, spread evenly, through the S3
// API as a user would (before the sweep's calls are counted).
func (a *Account) drift(ctx context.Context, buckets []string, n int) error {
	c := a.S3Client()
	step := len(buckets) / max(n, 1)
	for i := range n {
		name := buckets[i*step]
		if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(name),
			CORSConfiguration: &s3types.CORSConfiguration{CORSRules: corsconv.ToS3(other())}}); err != nil {
			return fmt.Errorf("drift %s: %w", name, err)
		}
	}
	return nil
}

// CountCost counts the runs a month is priced from (Counted): spec with Security Hub on, then
// off.
func CountCost(ctx context.Context, spec CostRunSpec) (Counted, error) {
	var c Counted
	var err error
	spec.SecurityHub = true
	if c.On, err = RunCostSweeps(ctx, spec); err != nil {
		return Counted{}, fmt.Errorf("with security hub: %w", err)
	}
	spec.SecurityHub = false
	if c.Off, err = RunCostSweeps(ctx, spec); err != nil {
		return Counted{}, fmt.Errorf("without security hub: %w", err)
	}
	return c, nil
}
