package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
)

// LambdaTimeout is the function's timeout in template.yaml; a creation's run has this long.
const LambdaTimeout = 300 * time.Second

// Backoff is one setting of the engine's wait while a container is CREATING.
type Backoff struct {
	Base, Cap time.Duration
}

func (b Backoff) String() string { return fmt.Sprintf("base %v, cap %v", b.Base, b.Cap) }

// ComplianceRow is what the runs of one backoff setting measured for one CREATING time.
type ComplianceRow struct {
	Backoff  Backoff
	Creating time.Duration // T: how long each container stayed CREATING
	Runs     int
	// Delays are from the moment the container became ACTIVE to the moment the engine saw it
	// ACTIVE; the policy calls that follow take no time on the simulated clock.
	DelayP50, DelayP99, DelayMax time.Duration
	// Describes are the DescribeContainer calls per creation, failed ones included.
	DescribesMean float64
	DescribesP99  int
	// Failed counts the runs that gave up, still CREATING, because the next wait would have
	// passed the deadline; Lambda retries their event later. The delays leave them out.
	Failed int
}

// lockedRand is a seeded source of uniform numbers safe for several goroutines.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

// TimeToCompliance simulates runs creations of a container that stays CREATING for each of
// the durations in creating, each reconciled by the engine from its creation event on, with
// backoff b, on a simulated clock shared by the engine and the emulator: nothing sleeps, so
// thousands of creations take seconds. The engine runs as the Lambda does for one creation
// event, under the function's timeout, but without its request rate (a rate limiter keeps
// real time; the backoff's waits are far longer than its spacing anyway). seed makes the
// backoff's jitter reproducible.
func TimeToCompliance(ctx context.Context, b Backoff, creating []time.Duration, runs int, seed uint64) ([]ComplianceRow, error) {
	var rows []ComplianceRow
	for i, t := range creating {
		row, err := complianceRow(ctx, b, t, runs, seed+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("backoff %v, CREATING %v: %w", b, t, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func complianceRow(ctx context.Context, b Backoff, t time.Duration, runs int, seed uint64) (ComplianceRow, error) {
	clk := clock.NewManual(time.Now())
	a, err := startWithBaseline(ctx, emulator.WithClock(clk), emulator.WithCreatingDuration(t), emulator.WithContainerQuota(runs))
	if err != nil {
		return ComplianceRow{}, err
	}
	defer a.Close()
	ms, params := a.Clients()
	rnd := &lockedRand{r: rand.New(rand.NewPCG(seed, uint64(t)))}
	engine, err := enforce.New(enforce.Config{Parameter: BaselineParam, Rate: math.Inf(1), BackoffBase: b.Base, BackoffCap: b.Cap,
		Clock: clk, Rand: rnd.float64}, params, enforce.MediaStore(ms))
	if err != nil {
		return ComplianceRow{}, err
	}

	delays := make([]time.Duration, 0, runs)
	describes := make([]int, 0, runs)
	failed := 0
	for i := range runs {
		name := fmt.Sprintf("new-%05d", i)
		if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(name)}); err != nil {
			return ComplianceRow{}, fmt.Errorf("create %s: %w", name, err)
		}
		active := clk.Now().Add(t)
		runCtx, cancel := context.WithDeadline(ctx, clk.Now().Add(LambdaTimeout))
		rep := engine.Run(runCtx, enforce.Work{Containers: []string{name}, Mode: enforce.ModeEnforce, Reason: "creation event"})
		cancel()
		describes = append(describes, rep.APICalls["mediastore:DescribeContainer"])
		switch {
		case len(rep.Entries) == 1 && rep.Entries[0].Outcome == enforce.Remediated:
			delays = append(delays, clk.Now().Sub(active))
		case len(rep.Entries) == 1 && rep.Entries[0].Outcome == enforce.Failed && strings.Contains(rep.Entries[0].Error, "still CREATING"):
			failed++
		default:
			return ComplianceRow{}, fmt.Errorf("run for %s: want one remediated container, got %+v (%s)", name, rep.Entries, rep.Error)
		}
	}
	slices.Sort(delays)
	slices.Sort(describes)
	sum := 0
	for _, n := range describes {
		sum += n
	}
	row := ComplianceRow{Backoff: b, Creating: t, Runs: runs, Failed: failed,
		DescribesMean: float64(sum) / float64(runs), DescribesP99: Percentile(describes, 99)}
	if len(delays) > 0 {
		row.DelayP50, row.DelayP99, row.DelayMax = Percentile(delays, 50), Percentile(delays, 99), delays[len(delays)-1]
	}
	return row, nil
}

// putBaseline stores the baseline parameter, as published before the benchmark began
// (emulator.SeedParameter: an hour before, no call counted), so that no router waits for it to
// settle (enforce.StampSettle).
func putBaseline(a *Account) error {
	doc, err := json.Marshal(baseline())
	if err != nil {
		return fmt.Errorf("encode baseline: %w", err)
	}
	if err := a.SeedParameter(BaselineParam, "String", string(doc), ""); err != nil {
		return fmt.Errorf("put baseline: %w", err)
	}
	return nil
}

// Percentile returns the p-th percentile (nearest rank) of sorted, which must not be empty.
func Percentile[T any](sorted []T, p float64) T {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
