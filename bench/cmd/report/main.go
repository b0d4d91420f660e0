// Command report runs corsguard's benchmarks (make bench) and writes docs/BENCHMARKS.md from
// what they measure: sweep convergence against the API rate limit, time to compliance of a new
// container against its CREATING time, cold start and footprint against an empty Go Lambda, and
// how cost grows with the number of containers. Every measurement is taken twice (passes A and B)
// so that the document states its own noise. Run it from the repository's root.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/corsguard/corsguard/bench"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/events"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// lambdaFlags are the Makefile's LAMBDA_FLAGS: how the function is built for Lambda.
var lambdaFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w -buildid="}

// Settings of the measurements. The sweeps' emulator adds this latency to every call.
const (
	latency   = 20 * time.Millisecond
	defRate   = 10 // the engine's default request rate per operation
	fastRate  = 50 // the rate of the 1000-container sweep and the growth table
	creations = 250
)

// Indexes in sweepSpecs of the S3 rows.
const (
	sweepBuckets = 4 // 100 buckets
	sweepMixed   = 5 // 100 containers and 100 buckets in one sweep
)

// sweepSpecs are the convergence table's rows, in order. The S3 rows have the settings of the
// 100-container row.
func sweepSpecs(cmd string) []bench.SweepSpec {
	return []bench.SweepSpec{
		{N: 10, Throttle: defRate, Latency: latency, Command: cmd},
		{N: 100, Throttle: defRate, Latency: latency, Command: cmd},
		{N: 1000, Rate: fastRate, Throttle: fastRate, Latency: latency, Command: cmd},
		{N: 100, Latency: latency, Command: cmd},
		sweepBuckets: {N: 100, Targets: "s3", Throttle: defRate, Latency: latency, Command: cmd},
		sweepMixed:   {N: 100, Targets: "mediastore,s3", Throttle: defRate, Latency: latency, Command: cmd},
	}
}

// workerRSSBuckets is how many buckets the worker whose peak RSS is measured reconciles.
const workerRSSBuckets = 1000

// creatingCosts are the CREATING times T of the function-time rows (issue 14: 1 and 4 minutes).
var creatingCosts = []time.Duration{time.Minute, 4 * time.Minute}

// growthSizes are the growth table's container counts, swept at fastRate.
var growthSizes = []int{10, 100, 300, 1000}

// backoffs are the settings the time-to-compliance table compares; the first is the default.
var backoffs = []bench.Backoff{
	{Base: time.Second, Cap: 15 * time.Second},
	{Base: 250 * time.Millisecond, Cap: 5 * time.Second},
	{Base: 2 * time.Second, Cap: 60 * time.Second},
}

// creatingTimes are the CREATING durations the time-to-compliance table spans.
var creatingTimes = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}

func main() {
	out := flag.String("out", "docs/BENCHMARKS.md", "the document to write")
	rie := flag.String("rie", "bin/aws-lambda-rie", "the Lambda runtime interface emulator")
	starts := flag.Int("starts", 50, "cold starts per binary and pass (the issue asks for at least 20)")
	coldOnly := flag.Bool("coldstart", false, "measure only the cold starts and the binary sizes, and rewrite only their parts of -out (section 3 and two summary rows), saying so at its top")
	queueOnly := flag.Bool("queue", false, "measure only the work queue's rows and storm (issue 23; about 8 minutes), and rewrite only their parts of -out (section 1b and the summary's work-queue rows), saying so at its top")
	queueN := flag.Int("queue-n", 0, "with -queue: cut every work-queue row to at most this many buckets (a check; the document says so)")
	hubN := flag.Int("queue-hub", 0, "measure only the sweep of this many buckets with Security Hub on (section 1c; a first sweep of 100000, bound by its 1,000 imports at 5/s) and rewrite only its parts of -out")
	hubSave := flag.String("queue-hub-save", "", "with -queue-hub: also save what it measured, as JSON, to this file")
	hubFrom := flag.String("queue-hub-from", "", "rewrite section 1c of -out from a sweep saved by -queue-hub-save, without measuring")
	costN := flag.Int("cost", 0, "measure only the Cost section's counted sweeps of this many buckets (with Security Hub on and off; 1000 took 47 s on the shared 2-core machine) and rewrite only that section of -out")
	profilesOnly := flag.Bool("profiles", false, "measure only the profiles' sweep and change (issue 24; seconds), and rewrite only their parts of -out (section 1d and the summary's profiles rows), saying so at its top")
	flag.Parse()
	if *costN > 0 {
		if err := costOnly(context.Background(), *out, *costN); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		return
	}
	if *profilesOnly {
		began := time.Now()
		r, err := measureProfiles(context.Background())
		if err == nil {
			err = spliceProfiles(*out, began, time.Since(began), r)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		logf("rewrote the profiles' parts of %s in %v", *out, time.Since(began).Round(time.Second))
		return
	}
	if *hubN > 0 || *hubFrom != "" {
		if err := hubOnly(context.Background(), *out, *hubN, *hubSave, *hubFrom); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		return
	}
	if *queueOnly {
		began := time.Now()
		q, err := measureQueue(context.Background(), *queueN)
		if err == nil {
			err = spliceQueue(*out, began, time.Since(began), q)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		logf("rewrote the work queue's parts of %s in %v", *out, time.Since(began).Round(time.Second))
		return
	}
	if err := run(context.Background(), *out, *rie, *starts, *coldOnly); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// pass is one complete set of measurements.
type pass struct {
	sweeps     []bench.SweepResult
	queue      queueRun               // pass A only: the work queue's sweeps and storm
	profiles   *bench.ProfilesResult  // pass A only: section 1d
	apis       []bench.APISweepResult // pass A only: function URLs and HTTP APIs through the queue
	growth     []bench.SweepResult
	compliance [][]bench.ComplianceRow // per backoff
	creating   []bench.CreatingCost    // function time while a container is CREATING, both designs
	workerRSS  *bench.WorkerRSSResult  // pass A only: one worker process's peak RSS; nil if it failed
	cost       *bench.Counted          // pass A only: the counted sweeps the Cost section prices
	hello      []bench.Start
	ignored    []bench.Start // corsguard, an event it ignores
	creation   []bench.Start // corsguard, a creation event for a compliant container
	// Package initialisation before main, per start: totals, and corsguard's per package.
	helloInit, bootInit []time.Duration
	bootPkgs            map[string]time.Duration // summed over the starts
	restarts            int                      // cold starts that failed and were measured again
}

func run(ctx context.Context, out, rie string, starts int, coldOnly bool) error {
	began := time.Now()
	m := machine()
	logf("machine: %s", m)
	dir, err := os.MkdirTemp("", "corsguard-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bins, err := buildAll(ctx, dir, !coldOnly)
	if err != nil {
		return err
	}

	if coldOnly {
		var passes [2]pass
		for i := range passes {
			logf("pass %s: %d cold starts of each binary", "AB"[i:i+1], starts)
			if err := coldStarts(ctx, &passes[i], rie, bins.hello, bins.bootstrap, starts); err != nil {
				return err
			}
		}
		if err := spliceColdStart(out, began, time.Since(began), bins.armSize, bins.helloArmSize, passes); err != nil {
			return err
		}
		logf("rewrote the cold-start parts of %s in %v", out, time.Since(began).Round(time.Second))
		return nil
	}

	logf("go test -bench")
	gobench, err := goBench(ctx)
	if err != nil {
		return err
	}
	var passes [2]pass
	for i := range passes {
		if err := measure(ctx, &passes[i], i, bins, rie, starts); err != nil {
			return err
		}
	}
	// Section 1c is measured apart (-queue-hub): keep what the document has of it.
	var hub carried
	hub.body, hub.rows, hub.note = carryHub(out)
	doc := render(m, began, time.Since(began), gobench, bins.armSize, bins.helloArmSize, passes, hub)
	if err := os.WriteFile(out, doc, 0o644); err != nil {
		return err
	}
	logf("wrote %s in %v", out, time.Since(began).Round(time.Second))
	return nil
}

// binaries are the programs a run measures, built into one directory.
type binaries struct {
	sweep, bootstrap, hello string // for this machine
	armSize, helloArmSize   int64  // the stripped linux/arm64 builds' sizes
}

// buildAll builds the binaries into dir: the sweep child (when withSweep is set), corsguard's
// bootstrap and hello-world for this machine, and both again for arm64 to weigh them.
func buildAll(ctx context.Context, dir string, withSweep bool) (binaries, error) {
	bin := func(name string) string { return filepath.Join(dir, name) }
	type buildSpec struct {
		out, pkg, goarch string
		lambda           bool
	}
	builds := []buildSpec{
		{bin("bootstrap"), "./cmd/enforcer", runtime.GOARCH, true},
		{bin("hello"), "./bench/hello", runtime.GOARCH, true},
		{bin("bootstrap-arm64"), "./cmd/enforcer", "arm64", true},
		{bin("hello-arm64"), "./bench/hello", "arm64", true},
	}
	if withSweep {
		builds = append(builds, buildSpec{bin("sweep"), "./bench/cmd/sweep", runtime.GOARCH, false})
	}
	for _, b := range builds {
		logf("build %s (%s)", b.pkg, b.goarch)
		if err := build(ctx, b.out, b.pkg, b.goarch, b.lambda); err != nil {
			return binaries{}, err
		}
	}
	bs := binaries{sweep: bin("sweep"), bootstrap: bin("bootstrap"), hello: bin("hello")}
	for _, sz := range []struct {
		path string
		into *int64
	}{{bin("bootstrap-arm64"), &bs.armSize}, {bin("hello-arm64"), &bs.helloArmSize}} {
		st, err := os.Stat(sz.path)
		if err != nil {
			return binaries{}, err
		}
		*sz.into = st.Size()
	}
	return bs, nil
}

// measure takes pass i's measurements: the sweeps, the growth table, time to compliance and
// the cold starts.
func measure(ctx context.Context, p *pass, i int, bins binaries, rie string, starts int) error {
	name := "AB"[i : i+1]
	for _, spec := range sweepSpecs(bins.sweep) {
		logf("pass %s: sweep N=%d targets=%q rate=%v throttle=%v", name, spec.N, spec.Targets, spec.Rate, spec.Throttle)
		r, err := bench.RunSweep(ctx, spec)
		if err != nil {
			return err
		}
		p.sweeps = append(p.sweeps, r)
	}
	if i == 0 {
		q, err := measureQueue(ctx, 0)
		if err != nil {
			return err
		}
		p.queue = q
		if p.profiles, err = measureProfiles(ctx); err != nil {
			return err
		}
		if p.cost, err = measureCost(ctx, costBuckets); err != nil {
			return err
		}
		spec := bench.APISweepFullSpec
		logf("pass %s: queue sweep of %d function URLs and %d HTTP APIs at AWS's quotas", name, spec.URLs, spec.APIs)
		r, err := bench.RunAPISweep(ctx, spec)
		if err != nil {
			return err
		}
		p.apis = append(p.apis, r)
		logf("pass %s: peak RSS of one worker, %d buckets", name, workerRSSBuckets)
		if r, err := bench.WorkerRSS(ctx, rie, bins.bootstrap, workerRSSBuckets); err != nil {
			logf("pass %s: worker RSS not measured: %v", name, err) // the rest of the report still stands
		} else {
			p.workerRSS = &r
		}
	}
	for _, n := range growthSizes {
		spec := bench.SweepSpec{N: n, Rate: fastRate, Throttle: fastRate, Latency: latency, Command: bins.sweep}
		if r, ok := find(p.sweeps, spec); ok {
			p.growth = append(p.growth, r)
			continue
		}
		logf("pass %s: growth N=%d", name, n)
		r, err := bench.RunSweep(ctx, spec)
		if err != nil {
			return err
		}
		p.growth = append(p.growth, r)
	}
	logf("pass %s: function time while CREATING for %v, both designs", name, creatingCosts)
	creating, err := bench.WaitWhileCreating(ctx, creatingCosts, uint64(7+i))
	if err != nil {
		return err
	}
	p.creating = creating
	logf("pass %s: time to compliance, %d creations", name, len(backoffs)*len(creatingTimes)*creations)
	p.compliance = make([][]bench.ComplianceRow, len(backoffs))
	var g tasks
	for j, b := range backoffs {
		g.Go(func() error {
			rows, err := bench.TimeToCompliance(ctx, b, creatingTimes, creations, uint64(1000*i+100*j+1))
			p.compliance[j] = rows
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	logf("pass %s: %d cold starts of each binary", name, starts)
	return coldStarts(ctx, p, rie, bins.hello, bins.bootstrap, starts)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "report: %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// tasks runs functions at once and keeps their errors.
type tasks struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func (g *tasks) Go(fn func() error) {
	g.wg.Go(func() {
		if err := fn(); err != nil {
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
		}
	})
}

func (g *tasks) Wait() error {
	g.wg.Wait()
	return errors.Join(g.errs...)
}

// find returns the result of spec among rs.
func find(rs []bench.SweepResult, spec bench.SweepSpec) (bench.SweepResult, bool) {
	for _, r := range rs {
		if r.Spec == spec {
			return r, true
		}
	}
	return bench.SweepResult{}, false
}

// build compiles pkg for linux/goarch into out, with the Lambda's flags when lambda is set.
func build(ctx context.Context, out, pkg, goarch string, lambda bool) error {
	args := []string{"build", "-o", out}
	if lambda {
		args = append(args, lambdaFlags...)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s: %w\n%s", pkg, goarch, err, o)
	}
	return nil
}

// goBench runs the Go benchmarks and returns their output.
func goBench(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "2", "./bench/")
	var o bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &o
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go test -bench: %w\n%s", err, o.Bytes())
	}
	var keep []string
	for line := range strings.Lines(o.String()) {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "cpu:") {
			keep = append(keep, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(keep, "\n"), nil
}

// coldStarts measures starts cold starts of each binary, interleaved so that a change in the
// machine's load falls on all of them alike.
func coldStarts(ctx context.Context, p *pass, rie, hello, bootstrap string, starts int) error {
	a, err := bench.StartAccount(emulator.WithCreatingDuration(0))
	if err != nil {
		return err
	}
	defer a.Close()
	fleet, err := bench.Populate(ctx, a, 1)
	if err != nil {
		return err
	}
	ignored, err := events.Sample("unknown-source.json")
	if err != nil {
		return err
	}
	created, err := events.Sample("mediastore-container-created.json")
	if err != nil {
		return err
	}
	// The creation event names live-news: make it one of the fleet's compliant containers.
	created = bytes.ReplaceAll(created, []byte("live-news"), []byte(fleet.Compliant[0]))
	env := map[string]string{
		config.BaselineParameter: bench.BaselineParam,
		"AWS_REGION":             bench.Region, "AWS_ENDPOINT_URL": a.URL,
		"AWS_ACCESS_KEY_ID": bench.AccessKey, "AWS_SECRET_ACCESS_KEY": bench.SecretKey,
		"AWS_LAMBDA_FUNCTION_NAME": "corsguard-enforcer", "AWS_LAMBDA_FUNCTION_TIMEOUT": "300",
		"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO",
	}
	for range starts {
		for _, c := range []struct {
			bin   string
			event []byte
			into  *[]bench.Start
		}{
			{hello, ignored, &p.hello},
			{bootstrap, ignored, &p.ignored},
			{bootstrap, created, &p.creation},
		} {
			// Other processes on this machine bind loopback ports too: a start that loses its port
			// to one of them is measured again, and counted.
			var s bench.Start
			for attempt := 1; ; attempt++ {
				s, err = bench.ColdStart(ctx, rie, c.bin, env, c.event)
				if err == nil {
					break
				}
				if attempt == 3 {
					return fmt.Errorf("cold start of %s: %w", filepath.Base(c.bin), err)
				}
				logf("cold start of %s measured again: %v", filepath.Base(c.bin), err)
				p.restarts++
			}
			*c.into = append(*c.into, s)
		}
	}
	p.bootPkgs = map[string]time.Duration{}
	for range starts {
		for _, c := range []struct {
			bin  string
			into *[]time.Duration
		}{{hello, &p.helloInit}, {bootstrap, &p.bootInit}} {
			pkgs, err := bench.InitTrace(ctx, c.bin)
			if err != nil {
				return err
			}
			var total time.Duration
			for _, pk := range pkgs {
				total += pk.Time
				if c.bin == bootstrap {
					p.bootPkgs[pk.Package] += pk.Time
				}
			}
			*c.into = append(*c.into, total)
		}
	}
	return nil
}

// machineInfo describes where the benchmarks ran.
type machineInfo struct {
	cpu                string
	cpus               int
	goVersion, osArch  string
	loadBefore, kernel string
}

func (m machineInfo) String() string {
	return fmt.Sprintf("%s, %d CPUs, %s %s, load average before the run %s", m.cpu, m.cpus, m.goVersion, m.osArch, m.loadBefore)
}

func machine() machineInfo {
	m := machineInfo{cpu: "unknown CPU", cpus: runtime.NumCPU(), goVersion: runtime.Version(),
		osArch: runtime.GOOS + "/" + runtime.GOARCH, loadBefore: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	return m
}

// commit names the checked-out commit, "+ changes" when the tree differs from it.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if err := exec.Command("git", "diff", "--quiet", "HEAD", "--", ".", ":!docs/BENCHMARKS.md").Run(); err != nil {
		c += " + changes"
	}
	return c
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// median returns the median of one measure of starts.
func median(starts []bench.Start, of func(bench.Start) time.Duration) time.Duration {
	d := make([]time.Duration, len(starts))
	for i, s := range starts {
		d[i] = of(s)
	}
	return medianOf(d)
}

// medianOf returns the median of ds.
func medianOf(ds []time.Duration) time.Duration {
	d := slices.Clone(ds)
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

func firstResponse(s bench.Start) time.Duration { return s.FirstResponse }
func initPhase(s bench.Start) time.Duration     { return s.Init }

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// secs formats a duration in seconds.
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// coldStartRows are the summary's rows of the cold start and the binary size.
func coldStartRows(a, bb pass, armSize int64) []string {
	initA := float64(median(a.ignored, firstResponse)) / float64(median(a.hello, firstResponse))
	initB := float64(median(bb.ignored, firstResponse)) / float64(median(bb.hello, firstResponse))
	return []string{
		fmt.Sprintf("| cold start ÷ hello-world cold start (median first response, %d starts each) | ≤ 1.3 | %.2f | %.2f | %s |", len(a.hello), initA, initB, verdict(initA <= 1.3)),
		fmt.Sprintf("| stripped linux/arm64 bootstrap | ≤ 12 MiB | %s | | %s |", mib(armSize), verdict(armSize <= maxBootstrap)),
	}
}

// maxBootstrap is the target size of the stripped arm64 bootstrap: 12 MiB.
const maxBootstrap = 12 << 20

// mib formats a size in bytes as MiB.
func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// mb formats bytes in MB (10^6) and MiB.
func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// ratio formats a/b with two decimals.
// pct is a fraction as a percentage.
func pct(f float64) string {
	if f < 0.001 {
		return fmt.Sprintf("%.4f %%", 100*f)
	}
	return fmt.Sprintf("%.1f %%", 100*f)
}

// creatingAt is the row of design at CREATING time t.
func creatingAt(rows []bench.CreatingCost, design string, t time.Duration) bench.CreatingCost {
	for _, r := range rows {
		if r.Design == design && r.Creating == t {
			return r
		}
	}
	return bench.CreatingCost{Design: design, Creating: t}
}

func ratio(a, b float64) string { return fmt.Sprintf("%.2f", a/b) }

func rateLabel(r bench.SweepResult) string {
	if r.Spec.Rate == 0 {
		return fmt.Sprintf("%g (default)", r.Rate)
	}
	return fmt.Sprintf("%g", r.Rate)
}

func throttleLabel(r bench.SweepResult) string {
	if r.Spec.Throttle == 0 {
		return "none"
	}
	return fmt.Sprintf("%g/s per op", r.Spec.Throttle)
}

func wallRatio(r bench.SweepResult) float64 { return float64(r.Wall()) / float64(r.Bound()) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// w is a markdown writer.
type w struct{ bytes.Buffer }

func (b *w) pf(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

func render(m machineInfo, began time.Time, took time.Duration, gobench string, armSize, helloArmSize int64, ps [2]pass, hub carried) []byte {
	var b w
	a, bb := ps[0], ps[1]
	b.pf("# Benchmarks")
	b.pf("")
	b.pf("<!-- Generated by `make bench` (go run ./bench/cmd/report). Do not edit: every figure below is printed by that run. -->")
	b.pf("")
	b.pf("How close corsguard comes to the limits it lives under: the API's request rate, the time a container takes to")
	b.pf("become ACTIVE, and the cold start of an empty Go Lambda. The headline figures are **ratios within one run**,")
	b.pf("because absolute times on a shared machine mean little; raw times appear in the tables for reference.")
	b.pf("Every measurement was taken twice in the same run (passes A and B); the headline is pass A and the")
	b.pf("last column or section says how far pass B differed. That difference is the noise to expect between runs.")
	b.pf("")
	b.pf("Run: %s, %s, at commit %s. Machine: %s; load average after the run %s.", began.UTC().Format("2006-01-02 15:04 MST"),
		took.Round(time.Second), commit(), m, loadAvg())
	b.pf("")
	if hub.note != "" {
		b.pf("%s", hub.note)
		b.pf("")
	}

	renderSummary(&b, a, bb, armSize, hub)
	renderNoise(&b, a, bb)

	renderMethod(&b)
	renderSweeps(&b, a, bb)
	renderQueue(&b, a.queue)
	b.WriteString(hub.body)
	renderProfiles(&b, a.profiles)
	renderCompliance(&b, a, bb)
	renderColdStart(&b, a, bb, armSize, helloArmSize)
	renderGrowth(&b, a, bb)
	renderCost(&b, a)

	b.pf("## Go benchmarks")
	b.pf("")
	b.pf("`go test -run '^$' -bench . -benchmem -count 2 ./bench/`: the CPU and allocation cost of one sweep")
	b.pf("in-process (engine, SDK and emulator together, no latency, no rate limit), every container compliant")
	b.pf("or 30%% drifted. These are absolute figures of this machine, for comparing commits, not a target.")
	b.pf("")
	b.pf("```")
	b.pf("%s", gobench)
	b.pf("```")
	return b.Bytes()
}

// renderSummary writes the summary table: each headline result of both passes against its
// target.
func renderSummary(b *w, a, bb pass, armSize int64, hub carried) {
	s100, s1000 := a.sweeps[1], a.sweeps[2]
	sb, sm := a.sweeps[sweepBuckets], a.sweeps[sweepMixed]
	b.pf("## Summary")
	b.pf("")
	b.pf("| result | target | pass A | pass B | |")
	b.pf("|---|---|---|---|---|")
	b.pf("| sweep wall ÷ bound, N = 100 | ≤ 1.15 | %s | %s | %s |", ratio(wallRatio(s100), 1), ratio(wallRatio(bb.sweeps[1]), 1), verdict(wallRatio(s100) <= 1.15))
	b.pf("| sweep wall ÷ bound, N = 1000 | ≤ 1.15 | %s | %s | %s |", ratio(wallRatio(s1000), 1), ratio(wallRatio(bb.sweeps[2]), 1), verdict(wallRatio(s1000) <= 1.15))
	b.pf("| sweep wall ÷ bound, S3, 100 buckets | ≤ 1.15 | %s | %s | %s |", ratio(wallRatio(sb), 1), ratio(wallRatio(bb.sweeps[sweepBuckets]), 1), verdict(wallRatio(sb) <= 1.15))
	b.pf("| sweep wall ÷ bound, mixed, 100 containers + 100 buckets | ≤ 1.15 | %s | %s | %s |", ratio(wallRatio(sm), 1), ratio(wallRatio(bb.sweeps[sweepMixed]), 1), verdict(wallRatio(sm) <= 1.15))
	callsOK := true
	tagsOK := true
	throttles, puts := 0, 0
	for _, r := range append(slices.Clone(a.sweeps), bb.sweeps...) {
		callsOK = callsOK && r.TargetCalls() == r.Minimum()
		tagsOK = tagsOK && r.TargetCalls() == r.MinimumWithTags()
		throttles += r.Throttled
		puts += r.PutsOnCompliant
	}
	b.pf("| MediaStore calls ÷ the issue's minimum, N = 100 | 1.00 | %s | %s | %s: profiles add one ListTagsForResource per container (a tag may name its profile), docs/profiles.md |",
		ratio(float64(s100.MediaStoreCalls()), float64(s100.Minimum())), ratio(float64(bb.sweeps[1].MediaStoreCalls()), float64(bb.sweeps[1].Minimum())), verdict(callsOK))
	b.pf("| MediaStore calls ÷ the minimum with the tag reads (profiles, exemption), N = 100 | 1.00 | %s | %s | %s |",
		ratio(float64(s100.TargetCalls()), float64(s100.MinimumWithTags())), ratio(float64(bb.sweeps[1].TargetCalls()), float64(bb.sweeps[1].MinimumWithTags())), verdict(tagsOK))
	b.pf("| S3 calls ÷ the minimum with the tag reads (profiles, exemption), 100 buckets | 1.00 | %s | %s | %s |",
		ratio(float64(sb.TargetCalls()), float64(sb.MinimumWithTags())), ratio(float64(bb.sweeps[sweepBuckets].TargetCalls()), float64(bb.sweeps[sweepBuckets].MinimumWithTags())), verdict(tagsOK))
	b.pf("| MediaStore + S3 calls ÷ the minimum with the tag reads (profiles, exemption), mixed | 1.00 | %s | %s | %s: every sweep of both passes, all kinds |",
		ratio(float64(sm.TargetCalls()), float64(sm.MinimumWithTags())), ratio(float64(bb.sweeps[sweepMixed].TargetCalls()), float64(bb.sweeps[sweepMixed].MinimumWithTags())), verdict(tagsOK))
	b.pf("| throttling errors (ThrottlingException, SlowDown), all sweeps of both passes | 0 | %d | | %s |", throttles, verdict(throttles == 0))
	b.pf("| PutCorsPolicy / PutBucketCors on compliant containers and buckets, all sweeps | 0 | %d | | %s |", puts, verdict(puts == 0))
	p99ok := true
	for _, rows := range append(slices.Clone(a.compliance), bb.compliance...) {
		for _, r := range rows {
			p99ok = p99ok && r.DelayP99 <= r.Backoff.Cap
		}
	}
	def := a.compliance[0]
	last := def[len(def)-1]
	b.pf("| time to compliance: p99 delay after ACTIVE ÷ backoff cap, default, worst T | ≤ 1 | %s | %s | %s |",
		ratio(float64(worstP99(def)), float64(last.Backoff.Cap)), ratio(float64(worstP99(bb.compliance[0])), float64(last.Backoff.Cap)), verdict(p99ok))
	for _, row := range coldStartRows(a, bb, armSize) {
		b.pf("%s", row)
	}
	for _, t := range creatingCosts {
		in, q := creatingAt(a.creating, "in-process", t), creatingAt(a.creating, "queue", t)
		inB, qB := creatingAt(bb.creating, "in-process", t), creatingAt(bb.creating, "queue", t)
		b.pf("| function time ÷ T while a container is CREATING, T = %v, work queue | ≤ 1%% | %s | %s | %s: %d invocations; in-process (today, the CLI, direct invocations) %s and %s |",
			t, pct(q.Ratio()), pct(qB.Ratio()), verdict(q.Converged && qB.Converged && q.Ratio() <= 0.01 && qB.Ratio() <= 0.01), q.Invocations, pct(in.Ratio()), pct(inB.Ratio()))
	}
	for _, row := range costSummaryRows(a) {
		b.pf("%s", row)
	}
	if r := a.workerRSS; r != nil {
		b.pf("| peak RSS per worker: the bootstrap under aws-lambda-rie, %d buckets in batches of 10 | | %s | | %d of %d converged in %d invocations |",
			r.N, mb(r.PeakRSS), r.Converged, r.N, r.Invocations)
	}
	rssA := s1000.PeakRSS
	b.pf("| peak RSS of a 1000-container sweep | ≤ 40 MB | %s | %s | %s |", mb(rssA), mb(bb.sweeps[2].PeakRSS), verdict(rssA <= 40e6))
	for _, row := range queueSummaryRows(queueSection.prefix, a.queue) {
		b.pf("%s", row)
	}
	for _, row := range hub.rows {
		b.pf("%s", row)
	}
	for _, row := range profilesSummaryRows(a.profiles) {
		b.pf("%s", row)
	}
	b.pf("")
}

// renderNoise says how far pass B differed from pass A, for each kind of figure.
func renderNoise(b *w, a, bb pass) {
	worst := func(xs, ys []float64) float64 {
		d := 0.0
		for i := range xs {
			d = math.Max(d, 100*math.Abs(xs[i]-ys[i])/math.Max(math.Abs(xs[i]), math.Abs(ys[i])))
		}
		return d
	}
	var wa, wb, ra, rb []float64
	for i := range a.sweeps {
		wa, wb = append(wa, wallRatio(a.sweeps[i])), append(wb, wallRatio(bb.sweeps[i]))
		ra, rb = append(ra, float64(a.sweeps[i].PeakRSS)), append(rb, float64(bb.sweeps[i].PeakRSS))
	}
	var pa, pb, da, db []float64
	for j := range a.compliance {
		for i := range a.compliance[j] {
			pa, pb = append(pa, float64(a.compliance[j][i].DelayP99)), append(pb, float64(bb.compliance[j][i].DelayP99))
			da, db = append(da, a.compliance[j][i].DescribesMean), append(db, bb.compliance[j][i].DescribesMean)
		}
	}
	// The p99 of a few hundred runs is a high order statistic: say how noisy it typically is too.
	var pd []float64
	for i := range pa {
		pd = append(pd, worst(pa[i:i+1], pb[i:i+1]))
	}
	slices.Sort(pd)
	hf, hfb := median(a.hello, firstResponse), median(bb.hello, firstResponse)
	ca := []float64{float64(median(a.ignored, firstResponse)) / float64(hf), float64(median(a.creation, firstResponse)) / float64(hf)}
	cb := []float64{float64(median(bb.ignored, firstResponse)) / float64(hfb), float64(median(bb.creation, firstResponse)) / float64(hfb)}
	b.pf("**Noise** (largest difference between passes A and B, relative to the larger): sweep wall ÷ bound %.1f%%;", worst(wa, wb))
	same := "identical in both passes"
	for i := range a.sweeps {
		if a.sweeps[i].TargetCalls() != bb.sweeps[i].TargetCalls() || a.sweeps[i].Throttled != bb.sweeps[i].Throttled {
			same = "**not** identical in both passes (see the sweep table)"
		}
	}
	b.pf("peak RSS %.1f%%; cold-start ratios %.1f%%. Time to compliance (pass B draws other jitter, so this is the", worst(ra, rb), worst(ca, cb))
	b.pf("sampling noise of %d creations per cell): describes mean %.1f%%, p99 delay %.1f%% in the median cell and", creations, worst(da, db), pd[len(pd)/2])
	b.pf("%.1f%% in the worst (a p99 of %d runs rests on its few largest). Call and throttle counts of the sweeps were %s.", worst(pa, pb), creations, same)
	b.pf("Between runs the cold-start ratios move more than between passes, with the machine's load: a busy machine")
	b.pf("adds about the same milliseconds to both binaries' starts, which lowers the ratio; compare runs at similar")
	b.pf("load averages.")
	b.pf("")
}

func worstP99(rows []bench.ComplianceRow) time.Duration {
	var d time.Duration
	for _, r := range rows {
		d = max(d, r.DelayP99)
	}
	return d
}

// coldStartHeading starts the document's cold-start section; coldStartNote, the line at the top
// that says a -coldstart run measured it apart from the rest.
const (
	coldStartHeading = "## 3. Cold start and footprint"
	coldStartNote    = "Cold start and footprint (section 3 and the summary's rows for them) measured apart:"
	rssParagraph     = "Peak resident memory (VmHWM) of the sweep process"
)

// spliceColdStart rewrites the cold-start parts of the document at path with a -coldstart
// run's figures: the summary's two rows, section 3 up to its peak-RSS table (which comes from
// the sweeps, not measured here), and a note under the run line that says when and where.
func spliceColdStart(path string, began time.Time, took time.Duration, armSize, helloArmSize int64, ps [2]pass) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("-coldstart rewrites part of an existing document: %w", err)
	}
	doc := string(old)
	start := strings.Index(doc, coldStartHeading)
	rss := strings.Index(doc, rssParagraph)
	if start < 0 || rss < start {
		return fmt.Errorf("%s has no section %q with a paragraph %q: run make bench", path, coldStartHeading, rssParagraph)
	}
	var section w
	renderColdStart(&section, ps[0], ps[1], armSize, helloArmSize)
	doc = doc[:start] + section.String() + doc[rss:]

	rows := coldStartRows(ps[0], ps[1], armSize)
	var lines []string
	for line := range strings.Lines(doc) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "| cold start ÷ hello-world"):
			line = rows[0]
		case strings.HasPrefix(line, "| stripped linux/arm64 bootstrap"):
			line = rows[1]
		case strings.HasPrefix(line, coldStartNote):
			continue
		}
		lines = append(lines, line)
		if strings.HasPrefix(line, "Run: ") {
			lines = append(lines, "", fmt.Sprintf("%s `go run ./bench/cmd/report -coldstart`, %s, %s, at commit %s; load average after it %s.",
				coldStartNote, began.UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second), commit(), loadAvg()))
		}
	}
	doc = strings.Join(lines, "\n") + "\n"
	// A previous note leaves an empty line behind it: keep one.
	doc = strings.ReplaceAll(doc, "\n\n\n", "\n\n")
	return os.WriteFile(path, []byte(doc), 0o644)
}
