package enforce_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/emulator"
	"github.com/corsguard/corsguard/policy"
)

var inf = math.Inf(1)

func TestSweepReconcilesEveryKindOfContainer(t *testing.T) {
	for _, mode := range []enforce.Mode{enforce.ModeEnforce, enforce.ModeAudit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			e.setBaseline(string(baseline.JSON()))
			exempt := map[string]string{"corsguard:exempt": "true", "team": "video"}
			e.seed("drifted", "", drift, nil)
			e.seed("no-policy", "", nil, nil)
			e.seed("compliant", "", sameAsBaseline, nil)
			e.seed("exempt", "", drift, exempt)
			e.seed("exempt-and-compliant", "", baseline, exempt)
			e.seed("exempt-false", "", drift, map[string]string{"corsguard:exempt": "false"})
			e.seed("tmp-excluded", "", drift, nil)
			e.seed("deleting", "DELETING", drift, nil)
			e.seed("vanishing", "", drift, nil)
			// Deleted between the listing and the read of its policy.
			e.emu.Script("GetCorsPolicy", "vanishing", 1, "ContainerNotFoundException")

			eng := e.engine(enforce.Config{Selector: policy.Selector{Exclude: []string{"tmp-*"}}})
			rep := e.run(context.Background(), eng, enforce.Work{Mode: mode, Reason: "scheduled sweep"})

			fix := enforce.Remediated
			if mode == enforce.ModeAudit {
				fix = enforce.Drifted
			}
			want := map[string]enforce.Outcome{
				"drifted": fix, "no-policy": fix, "exempt-false": fix,
				"compliant": enforce.Compliant, "exempt-and-compliant": enforce.Compliant,
				"exempt": enforce.Exempt, "deleting": enforce.Gone, "vanishing": enforce.Gone,
			}
			if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if !rep.Succeeded || rep.Mode != mode || rep.Reason != "scheduled sweep" || rep.Error != "" {
				t.Errorf("succeeded %v, mode %q, reason %q, error %q", rep.Succeeded, rep.Mode, rep.Reason, rep.Error)
			}
			wantBaseline := enforce.Baseline{Parameter: param, Version: 1, Hash: policy.Hash(baseline), Valid: true}
			if diff := cmp.Diff(wantBaseline, rep.Baseline); diff != "" {
				t.Errorf("baseline (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"tmp-excluded"}, rep.Excluded); diff != "" {
				t.Errorf("excluded (-want +got):\n%s", diff)
			}

			// The diff says what was (or would be) changed.
			ents := entries(rep)
			for name, before := range map[string]policy.Policy{"drifted": drift, "no-policy": nil, "exempt-false": drift} {
				if d := ents[name].Diff; len(d) == 0 || !cmp.Equal(d, policy.Diff(before, baseline)) {
					t.Errorf("%s: diff %v; want %v", name, d, policy.Diff(before, baseline))
				}
			}
			for _, name := range []string{"compliant", "exempt", "deleting", "vanishing"} {
				if ents[name].Diff != nil || ents[name].Error != "" || ents[name].Attempts != 1 {
					t.Errorf("%s: %+v; want no diff, no error, one attempt", name, ents[name])
				}
			}

			// What the containers hold now.
			for _, name := range []string{"drifted", "no-policy", "exempt-false"} {
				got := e.corsOf(name)
				if mode == enforce.ModeEnforce && !policy.Equal(got, baseline) {
					t.Errorf("%s holds %s after enforce; want the baseline", name, got.JSON())
				}
				if mode == enforce.ModeAudit && policy.Equal(got, baseline) {
					t.Errorf("%s was written in audit mode", name)
				}
			}
			for name, want := range map[string]policy.Policy{"exempt": drift, "tmp-excluded": drift, "compliant": sameAsBaseline} {
				if got := e.corsOf(name); !cmp.Equal(got, want) {
					t.Errorf("%s holds %s; want it untouched", name, got.JSON())
				}
			}
			for _, op := range []string{"DescribeContainer", "GetCorsPolicy", "ListTagsForResource", "PutCorsPolicy"} {
				if n := e.emu.ResourceCalls(op, "tmp-excluded"); n != 0 {
					t.Errorf("%d %s calls on an excluded container", n, op)
				}
			}

			// The fewest calls: one listing, one read each, tags only where drifted, a write
			// only where drifted and not exempt, and the baseline read before and after.
			puts := 3
			if mode == enforce.ModeAudit {
				puts = 0
			}
			wantCalls := map[string]int{
				"ssm:GetParameter":               2,
				"mediastore:ListContainers":      1,
				"mediastore:GetCorsPolicy":       7,
				"mediastore:ListTagsForResource": 4,
			}
			if puts > 0 {
				wantCalls["mediastore:PutCorsPolicy"] = puts
			}
			if diff := cmp.Diff(wantCalls, rep.APICalls); diff != "" {
				t.Errorf("report's API calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantCalls, emulatorActions(e.emu)); diff != "" {
				t.Errorf("calls the emulator received (-want +got):\n%s", diff)
			}
			if rep.BaselineChangedDuringRun {
				t.Error("baseline reported changed; it did not")
			}

			// Running again is harmless: in enforce mode everything converged, nothing is written.
			e.emu.ResetCalls()
			again := e.run(context.Background(), eng, enforce.Work{Mode: mode})
			if mode == enforce.ModeEnforce {
				want["drifted"], want["no-policy"], want["exempt-false"] = enforce.Compliant, enforce.Compliant, enforce.Compliant
			}
			want["vanishing"] = fix  // its script is spent: it was there all along
			delete(want, "deleting") // gone from the listing by now, or still DELETING
			got := outcomes(again)
			delete(got, "deleting")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("second run outcomes (-want +got):\n%s", diff)
			}
			if wantPuts := map[enforce.Mode]int{enforce.ModeEnforce: 1, enforce.ModeAudit: 0}[mode]; e.emu.CallCount("PutCorsPolicy") != wantPuts {
				t.Errorf("second run wrote %d policies; want %d", e.emu.CallCount("PutCorsPolicy"), wantPuts)
			}
		})
	}
}

func TestNamedContainerWaitsWhileCreating(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock), emulator.WithCreatingDuration(20 * time.Second)}})
	e.setBaseline(string(baseline.JSON()))
	e.seed("fresh", "CREATING", nil, nil)
	eng := e.engine(enforce.Config{Clock: clock, Rand: half})

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	rep := e.run(ctx, eng, enforce.Work{Containers: []string{"fresh"}, Reason: "container created"})

	ent := entries(rep)["fresh"]
	if ent.Outcome != enforce.Remediated || !rep.Succeeded {
		t.Fatalf("entry %+v, succeeded %v; want remediated", ent, rep.Succeeded)
	}
	// rand = 0.5 with base 1s and cap 15s: 0.5, 1, 2, 4, 7.5, 7.5 s; ACTIVE after 20 s, which
	// the sixth wait reaches (22.5 s).
	wantSleeps := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 7500 * time.Millisecond, 7500 * time.Millisecond}
	if diff := cmp.Diff(wantSleeps, clock.slept()); diff != "" {
		t.Errorf("backoff sleeps (-want +got):\n%s", diff)
	}
	if ent.Attempts != 7 || e.emu.CallCount("DescribeContainer") != 7 {
		t.Errorf("%d attempts, %d DescribeContainer calls; want 7 of each", ent.Attempts, e.emu.CallCount("DescribeContainer"))
	}
	if ent.Duration != sumOf(wantSleeps) {
		t.Errorf("duration %v on the test clock; want the time slept, %v", ent.Duration, sumOf(wantSleeps))
	}
	if e.emu.CallCount("ListContainers") != 0 || rep.BaselineChangedDuringRun {
		t.Error("a named target listed containers or re-read the baseline")
	}
	if !policy.Equal(e.corsOf("fresh"), baseline) {
		t.Error("the new container does not hold the baseline")
	}
}

func TestContainerStillCreatingAtTheDeadlineFails(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock), emulator.WithCreatingDuration(10 * time.Minute)}})
	e.setBaseline(string(baseline.JSON()))
	e.seed("slow", "CREATING", nil, nil)
	eng := e.engine(enforce.Config{Clock: clock, Rand: half, Margin: 10 * time.Second})

	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(70*time.Second))
	defer cancel()
	rep := e.run(ctx, eng, enforce.Work{Containers: []string{"slow"}})

	ent := entries(rep)["slow"]
	if ent.Outcome != enforce.Failed || !strings.Contains(ent.Error, "still CREATING") || rep.Succeeded {
		t.Fatalf("entry %+v, succeeded %v; want failed, still CREATING, and a failed run", ent, rep.Succeeded)
	}
	// 60 s of budget: 0.5+1+2+4+7.5+7.5+7.5+7.5+7.5 = 45 s, and the next 7.5 s would still fit
	// (52.5), the one after (60) fits exactly; the next (67.5) does not.
	slept := sumOf(clock.slept())
	if slept > 60*time.Second || slept+7500*time.Millisecond <= 60*time.Second {
		t.Errorf("slept %v; want the most 7.5 s steps that fit in 60 s", slept)
	}
	if e.emu.CallCount("PutCorsPolicy")+e.emu.CallCount("GetCorsPolicy") != 0 {
		t.Error("the policy of a CREATING container was read or written")
	}
}

func TestNamedTargetsThatAreMissingExcludedOrRepeated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	e.seed("live", "", drift, nil)
	e.seed("scratch-1", "", drift, nil)
	eng := e.engine(enforce.Config{Selector: policy.Selector{Include: []string{"live", "never-made"}}})

	rep := e.run(context.Background(), eng, enforce.Work{Containers: []string{"live", "never-made", "scratch-1", "live"}})

	want := map[string]enforce.Outcome{"live": enforce.Remediated, "never-made": enforce.Gone}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !slices.Equal(rep.Excluded, []string{"scratch-1"}) || !rep.Succeeded {
		t.Errorf("excluded %v, succeeded %v", rep.Excluded, rep.Succeeded)
	}
	if n := e.emu.ResourceCalls("PutCorsPolicy", "live"); n != 1 {
		t.Errorf("%d writes to a container named twice; want 1", n)
	}
	if got := e.corsOf("scratch-1"); !cmp.Equal(got, drift) {
		t.Error("an excluded container was written")
	}
}

func TestContainerInUseBacksOffAndConverges(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
	e.setBaseline(string(baseline.JSON()))
	e.seed("busy", "", drift, nil)
	e.seed("calm", "", drift, nil)
	e.seed("stuck", "", drift, nil)
	e.emu.Script("GetCorsPolicy", "busy", 2, "ContainerInUseException")
	e.emu.Script("PutCorsPolicy", "busy", 3, "ContainerInUseException")
	e.emu.Script("PutCorsPolicy", "stuck", 1000, "ContainerInUseException")
	eng := e.engine(enforce.Config{Clock: clock, Rand: half, Workers: 1})

	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(10*time.Second+2*time.Minute))
	defer cancel()
	rep := e.run(ctx, eng, enforce.Work{})

	ents := entries(rep)
	if busy := ents["busy"]; busy.Outcome != enforce.Remediated || busy.Attempts != 6 {
		t.Errorf("busy: %+v; want remediated after 5 waits (6 attempts)", busy)
	}
	if calm := ents["calm"]; calm.Outcome != enforce.Remediated || calm.Attempts != 1 {
		t.Errorf("calm: %+v; want remediated at once", calm)
	}
	if stuck := ents["stuck"]; stuck.Outcome != enforce.Failed || !strings.Contains(stuck.Error, "ContainerInUseException") {
		t.Errorf("stuck: %+v; want failed with ContainerInUseException", stuck)
	}
	// The SDK does not retry ContainerInUseException: every attempt is one engine call.
	if g, p := e.emu.ResourceCalls("GetCorsPolicy", "busy"), e.emu.ResourceCalls("PutCorsPolicy", "busy"); g != 3 || p != 4 {
		t.Errorf("busy: %d GetCorsPolicy and %d PutCorsPolicy requests; want 3 and 4", g, p)
	}
	if rep.Succeeded {
		t.Error("a run with a failed container succeeded")
	}
}

func TestBaselineChangeDuringSweepIsReported(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
	e.setBaseline(string(baseline.JSON()))
	e.seed("a", "", drift, nil)
	e.seed("b", "", drift, nil)
	// While the engine waits for a busy container, someone saves a new baseline.
	e.emu.Script("GetCorsPolicy", "a", 1, "ContainerInUseException")
	clock.onSleep = func(int) { e.setBaseline(string(drift.JSON())) }
	eng := e.engine(enforce.Config{Clock: clock, Rand: half, Workers: 1})

	rep := e.run(context.Background(), eng, enforce.Work{})

	if !rep.BaselineChangedDuringRun || rep.Baseline.Version != 1 || !rep.Succeeded {
		t.Errorf("changed %v, version %d, succeeded %v; want changed, version 1, succeeded",
			rep.BaselineChangedDuringRun, rep.Baseline.Version, rep.Succeeded)
	}
	if !policy.Equal(e.corsOf("b"), baseline) {
		t.Error("the run did not finish with the version it started with")
	}
}

func TestBaselineDeletedDuringSweepIsReported(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
	e.setBaseline(string(baseline.JSON()))
	e.seed("a", "", drift, nil)
	// While the engine waits for a busy container, the baseline is deleted: the re-read after
	// the sweep answers ParameterNotFound.
	e.emu.Script("GetCorsPolicy", "a", 1, "ContainerInUseException")
	clock.onSleep = func(int) { e.emu.Script("GetParameter", param, 1, "ParameterNotFound") }
	eng := e.engine(enforce.Config{Clock: clock, Rand: half, Workers: 1})

	rep := e.run(context.Background(), eng, enforce.Work{})

	if !rep.BaselineChangedDuringRun || rep.Baseline.Version != 1 || !rep.Succeeded {
		t.Errorf("changed %v, version %d, succeeded %v; want changed, version 1, succeeded",
			rep.BaselineChangedDuringRun, rep.Baseline.Version, rep.Succeeded)
	}
	if n := e.emu.ResourceCalls("GetParameter", param); n != 2 {
		t.Errorf("%d GetParameter calls, want 2 (the read and the re-read)", n)
	}
}

func TestInvalidBaselineChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		value    *string
		wantErr  string
		wantPath string
	}{
		{"breaks the service's rules", ptr(`[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":["*"]}]`), "invalid mediastore CORS policy", "CorsPolicy[0].AllowedMethods[0]"},
		{"has a typo in a field", ptr(`[{"AllowedOrigin":["*"],"AllowedMethods":["GET"],"AllowedHeaders":["*"]}]`), "AllowedOrigin", ""},
		{"is not JSON", ptr(`AllowedOrigins: *`), "policy must be", ""},
		{"has no rules", ptr(`{"CorsPolicy": []}`), "has 0 rules", "CorsPolicy"},
		{"does not exist", nil, "does not exist", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			if tc.value != nil {
				e.setBaseline(*tc.value)
			}
			e.seed("drifted", "", drift, nil)
			e.seed("no-policy", "", nil, nil)
			eng := e.engine(enforce.Config{})

			for _, w := range []enforce.Work{{}, {Containers: []string{"drifted"}}} {
				rep := e.run(context.Background(), eng, w)
				if rep.Baseline.Valid || rep.Succeeded || len(rep.Entries) != 0 || !strings.Contains(rep.Baseline.Error, tc.wantErr) {
					t.Errorf("report %+v; want an invalid baseline saying %q, no entries, a failed run", rep, tc.wantErr)
				}
				if tc.wantPath != "" && !slices.ContainsFunc(rep.Baseline.Errors, func(p policy.Problem) bool { return p.Path == tc.wantPath }) {
					t.Errorf("problems %v; want one at %s", rep.Baseline.Errors, tc.wantPath)
				}
			}
			// Checked on the emulator's own counter: the baseline was read, nothing else.
			if diff := cmp.Diff(map[string]int{"GetParameter": 2}, e.emu.Calls()); diff != "" {
				t.Errorf("calls the emulator received (-want +got):\n%s", diff)
			}
			if got := e.corsOf("drifted"); !cmp.Equal(got, drift) || e.corsOf("no-policy") != nil {
				t.Error("a container changed")
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestThrottlingStormConverges(t *testing.T) {
	t.Parallel()
	// The emulator allows 5 requests per second per operation; the engine is allowed 8, so
	// it is throttled all along and the SDK's retryer must carry every call through. 100
	// GetCorsPolicy at 5/s make this test last about 20 s of real time; waits between
	// attempts are capped at 100 ms here (10 s in production) to keep it there.
	e := newEnv(t, envOption{maxAttempts: 20, maxBackoff: 100 * time.Millisecond})
	// One bucket per operation, as AWS throttles (the emulator's AnyOp would share one).
	for _, op := range []string{"GetParameter", "ListContainers", "GetCorsPolicy", "ListTagsForResource", "PutCorsPolicy"} {
		e.emu.SetThrottle(op, 5)
	}
	e.setBaseline(string(baseline.JSON()))
	for i := range 100 {
		p := sameAsBaseline
		if i%4 == 0 {
			p = drift
		}
		e.seed(fmt.Sprintf("c%03d", i), "", p, nil)
	}
	// Eight workers keep all three per-operation buckets busy while some wait on a throttle.
	eng := e.engine(enforce.Config{Rate: 8, Workers: 8})

	rep := e.run(context.Background(), eng, enforce.Work{})

	want := map[enforce.Outcome]int{enforce.Compliant: 75, enforce.Remediated: 25}
	for _, o := range enforce.Outcomes() {
		if rep.Totals[o] != want[o] {
			t.Errorf("%d %s; want %d (totals %v)", rep.Totals[o], o, want[o], rep.Totals)
		}
	}
	if !rep.Succeeded {
		t.Errorf("run failed: %+v", rep)
	}
	for i := range 100 {
		if name := fmt.Sprintf("c%03d", i); !policy.Equal(e.corsOf(name), baseline) {
			t.Errorf("%s did not converge", name)
		}
	}
	// The storm was real: the emulator turned requests away that the engine counted once.
	got, sent := rep.APICalls["mediastore:GetCorsPolicy"], e.emu.CallCount("GetCorsPolicy")
	t.Logf("%d GetCorsPolicy calls took %d requests; %d requests in all", got, sent, e.emu.TotalCalls())
	if got != 100 || sent <= 100 {
		t.Errorf("engine made %d GetCorsPolicy calls in %d requests; want 100 calls and retried requests", got, sent)
	}
}

func TestServerErrorsConverge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithSeed(20260301)}})
	e.emu.SetErrorRate(emulator.AnyOp, 0.2)
	e.setBaseline(string(baseline.JSON()))
	for i := range 100 {
		p := drift
		if i%2 == 0 {
			p = sameAsBaseline
		}
		e.seed(fmt.Sprintf("c%03d", i), "", p, nil)
	}
	eng := e.engine(enforce.Config{})

	rep := e.run(context.Background(), eng, enforce.Work{})

	if rep.Totals[enforce.Compliant] != 50 || rep.Totals[enforce.Remediated] != 50 || !rep.Succeeded {
		t.Errorf("totals %v, succeeded %v, error %q; want 50 compliant, 50 remediated", rep.Totals, rep.Succeeded, rep.Error)
	}
	engineCalls := 0
	for _, n := range rep.APICalls {
		engineCalls += n
	}
	if sent := e.emu.TotalCalls(); sent <= engineCalls {
		t.Errorf("%d requests for %d calls; want retried requests", sent, engineCalls)
	}
	for i := 1; i < 100; i += 2 {
		if n := e.emu.ResourceCalls("PutCorsPolicy", fmt.Sprintf("c%03d", i)); n < 1 {
			t.Errorf("c%03d: no PutCorsPolicy", i)
		}
	}
}

func TestDeadlineTooShortLeavesTheRestNotStarted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.emu.SetLatency("GetCorsPolicy", 50*time.Millisecond)
	e.setBaseline(string(baseline.JSON()))
	for i := range 100 {
		e.seed(fmt.Sprintf("c%03d", i), "", sameAsBaseline, nil)
	}
	eng := e.engine(enforce.Config{Workers: 2, Margin: 100 * time.Millisecond, MinDuration: 10 * time.Millisecond})

	// 100 reads of 50 ms on 2 workers need 2.5 s; the run has 1 s before the margin.
	ctx, cancel := context.WithTimeout(context.Background(), 1100*time.Millisecond)
	defer cancel()
	rep := e.run(ctx, eng, enforce.Work{})

	if rep.Succeeded || rep.Totals[enforce.NotStarted] == 0 || len(rep.Entries) != 100 {
		t.Fatalf("succeeded %v, totals %v, %d entries; want a failed run with not_started among 100", rep.Succeeded, rep.Totals, len(rep.Entries))
	}
	for _, ent := range rep.Entries {
		switch ent.Outcome {
		case enforce.NotStarted:
			if n := e.emu.ResourceCalls("GetCorsPolicy", ent.Name); n != 0 || !strings.Contains(ent.Error, "deadline") {
				t.Errorf("%s not started, but %d calls were made on it, or the error %q does not say deadline", ent.Name, n, ent.Error)
			}
		case enforce.Compliant, enforce.Failed:
		default:
			t.Errorf("%s: %s", ent.Name, ent.Outcome)
		}
	}
}

// TestActionsAreTheCallsTheEngineMakes holds enforce.Actions to the engine in both directions:
// a sweep that meets every case calls each listed action, and nothing else.
func TestActionsAreTheCallsTheEngineMakes(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock), emulator.WithCreatingDuration(3 * time.Second)}})
	e.setBaseline(string(baseline.JSON()))
	e.seed("drifted", "", drift, nil)
	e.seed("compliant", "", baseline, nil)
	e.seed("exempt", "", drift, map[string]string{"corsguard:exempt": "true"})
	e.seed("fresh", "CREATING", nil, nil)
	e.seedBucket("drifted-bucket", drift, nil)
	e.seedBucket("compliant-bucket", baseline, nil)
	e.seedBucket("exempt-bucket", drift, map[string]string{"corsguard:exempt": "true"})
	eng := e.engineOf(enforce.Config{Clock: clock, Rand: half}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})
	rep2 := e.run(context.Background(), eng, enforce.Work{Containers: []string{"drifted"}, Buckets: []string{"drifted-bucket"}, Mode: enforce.ModeAudit})
	if !rep.Succeeded || !rep2.Succeeded {
		t.Fatalf("runs failed: %+v %+v", rep, rep2)
	}
	made := keys(emulatorActions(e.emu))
	if diff := cmp.Diff(slices.Sorted(slices.Values(enforce.Actions())), made); diff != "" {
		t.Errorf("enforce.Actions against the calls the emulator received (-listed +made):\n%s", diff)
	}
	counted := map[string]int{}
	for _, r := range []*enforce.Report{rep, rep2} {
		for op, n := range r.APICalls {
			counted[op] += n
		}
	}
	if diff := cmp.Diff(emulatorActions(e.emu), counted); diff != "" {
		t.Errorf("the reports' call counts against the emulator's (-emulator +reports):\n%s", diff)
	}
}
