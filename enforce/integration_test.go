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

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

var inf = math.Inf(1)

// kindSpec is what a test that runs the same scenario on containers and on buckets needs to
// know of the kind: how to seed, read and name a resource, the operations the emulator counts,
// and the error codes by which the service says a resource is busy or does not exist.
type kindSpec struct {
	kind                 policy.Kind
	noun                 string   // container, bucket
	list, get, put, tags string   // operations as the emulator counts them
	busy                 string   // the error code of a resource busy with another operation
	notFound             string   // the error code of a resource that does not exist
	ops                  []string // every operation the engine may call on one resource
	seed                 func(e *env, name string, cors policy.Policy, tags map[string]string)
	cors                 func(e *env, name string) policy.Policy
	named                func(names ...string) enforce.Work
}

var (
	containers = kindSpec{
		kind: policy.MediaStore, noun: "container",
		list: "ListContainers", get: "GetCorsPolicy", put: "PutCorsPolicy", tags: "ListTagsForResource",
		busy: "ContainerInUseException", notFound: "ContainerNotFoundException",
		ops:   []string{"DescribeContainer", "GetCorsPolicy", "ListTagsForResource", "PutCorsPolicy"},
		seed:  func(e *env, name string, cors policy.Policy, tags map[string]string) { e.seed(name, "", cors, tags) },
		cors:  (*env).corsOf,
		named: func(names ...string) enforce.Work { return enforce.Work{Containers: names} },
	}
	buckets = kindSpec{
		kind: policy.S3, noun: "bucket",
		list: "ListBuckets", get: "GetBucketCors", put: "PutBucketCors", tags: "GetBucketTagging",
		busy:     "OperationAborted", // S3's 409 for a conflicting operation in progress
		notFound: "NoSuchBucket",
		ops:      []string{"GetBucketCors", "GetBucketTagging", "PutBucketCors"},
		seed:     (*env).seedBucket,
		cors:     (*env).bucketCors,
		named:    func(names ...string) enforce.Work { return enforce.Work{Buckets: names} },
	}
	bothKinds = []kindSpec{containers, buckets}
)

func TestSweepReconcilesEveryKindOfResource(t *testing.T) {
	type kindCase struct {
		kindSpec
		exempt string // the exempt tag's value, which is read without regard to case
		// Each kind has one resource of its own besides: a container being deleted, which the
		// listing returns and the sweep reports gone without reading it; a bucket of another
		// Region, which ListBuckets' BucketRegion filter leaves out.
		deleting, abroad string
		seedOwn          func(e *env)
	}
	cases := []kindCase{
		{kindSpec: containers, exempt: "true", deleting: "deleting",
			seedOwn: func(e *env) { e.seed("deleting", "DELETING", drift, nil) }},
		{kindSpec: buckets, exempt: "TRUE", abroad: "in-ireland",
			seedOwn: func(e *env) {
				if err := e.emu.SeedBucket("in-ireland", "eu-west-1", drift, nil); err != nil {
					e.t.Fatal(err)
				}
			}},
	}
	for _, tc := range cases {
		for _, mode := range []enforce.Mode{enforce.ModeEnforce, enforce.ModeAudit} {
			t.Run(string(tc.kind)+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, envOption{})
				e.setBaseline(string(baseline.JSON()))
				exempt := map[string]string{"corsguard:exempt": tc.exempt, "team": "video"}
				tc.seed(e, "drifted", drift, nil)
				tc.seed(e, "no-policy", nil, nil)
				tc.seed(e, "compliant", sameAsBaseline, nil)
				tc.seed(e, "exempt", drift, exempt)
				tc.seed(e, "exempt-and-compliant", baseline, exempt)
				tc.seed(e, "exempt-false", drift, map[string]string{"corsguard:exempt": "false"})
				tc.seed(e, "tmp-excluded", drift, nil)
				tc.seed(e, "vanishing", drift, nil)
				tc.seedOwn(e)
				// Deleted between the listing and the read of its policy.
				e.emu.Script(tc.get, "vanishing", 1, tc.notFound)

				eng := e.engineOf(enforce.Config{Selector: policy.Selector{Exclude: []string{"tmp-*"}}}, tc.kind)
				rep := e.run(context.Background(), eng, enforce.Work{Mode: mode, Reason: "scheduled sweep"})

				fix := enforce.Remediated
				if mode == enforce.ModeAudit {
					fix = enforce.Drifted
				}
				want := map[string]enforce.Outcome{
					"drifted": fix, "no-policy": fix, "exempt-false": fix,
					"compliant": enforce.Compliant, "exempt-and-compliant": enforce.Compliant,
					"exempt": enforce.Exempt, "vanishing": enforce.Gone,
				}
				if tc.deleting != "" {
					want[tc.deleting] = enforce.Gone
				}
				if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
					t.Errorf("outcomes (-want +got):\n%s", diff)
				}
				if !rep.Succeeded || rep.Mode != mode || rep.Reason != "scheduled sweep" || rep.Error != "" {
					t.Errorf("succeeded %v, mode %q, reason %q, error %q", rep.Succeeded, rep.Mode, rep.Reason, rep.Error)
				}
				for _, ent := range rep.Entries {
					if ent.Kind != tc.kind {
						t.Errorf("%s: kind %q", ent.Name, ent.Kind)
					}
				}
				wantBaseline := enforce.Baseline{Parameter: param, Version: 1, Hash: policy.Hash(baseline), Valid: true}
				if diff := cmp.Diff(wantBaseline, rep.Baseline); diff != "" {
					t.Errorf("baseline (-want +got):\n%s", diff)
				}
				wantBaseline.Kind = tc.kind
				if diff := cmp.Diff([]enforce.Baseline{wantBaseline}, rep.Baselines); diff != "" {
					t.Errorf("baselines (-want +got):\n%s", diff)
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
				unchanged := []string{"compliant", "exempt", "vanishing"}
				if tc.deleting != "" {
					unchanged = append(unchanged, tc.deleting)
				}
				for _, name := range unchanged {
					if ents[name].Diff != nil || ents[name].Error != "" || ents[name].Attempts != 1 {
						t.Errorf("%s: %+v; want no diff, no error, one attempt", name, ents[name])
					}
				}

				// What the resources hold now.
				for _, name := range []string{"drifted", "no-policy", "exempt-false"} {
					got := tc.cors(e, name)
					if mode == enforce.ModeEnforce && !policy.Equal(got, baseline) {
						t.Errorf("%s holds %s after enforce; want the baseline", name, got.JSON())
					}
					if mode == enforce.ModeAudit && policy.Equal(got, baseline) {
						t.Errorf("%s was written in audit mode", name)
					}
				}
				untouched := map[string]policy.Policy{"exempt": drift, "tmp-excluded": drift, "compliant": sameAsBaseline}
				leftOut := []string{"tmp-excluded"}
				if tc.abroad != "" {
					untouched[tc.abroad] = drift
					leftOut = append(leftOut, tc.abroad)
				}
				for name, want := range untouched {
					if got := tc.cors(e, name); !cmp.Equal(got, want) {
						t.Errorf("%s holds %s; want it untouched", name, got.JSON())
					}
				}
				for _, op := range tc.ops {
					for _, name := range leftOut {
						if n := e.emu.ResourceCalls(op, name); n != 0 {
							t.Errorf("%d %s calls on %s", n, op, name)
						}
					}
				}

				// The fewest calls: one listing, one read each, the tags (which name a profile) of
				// each container, or of the buckets carrying the profile tag in bulk and of the
				// others only where drifted, a write only where drifted and not exempt, and the
				// baseline read before and after.
				wantCalls := map[string]int{"ssm:GetParameter": 2, action(tc.list): 1, action(tc.get): 7, action(tc.tags): 4}
				if tc.kind == policy.MediaStore {
					wantCalls[action(tc.tags)] = 7
				} else {
					wantCalls["tag:GetResources"] = 1
				}
				if mode == enforce.ModeEnforce {
					wantCalls[action(tc.put)] = 3
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
				want["vanishing"] = fix // its script is spent: it was there all along
				got := outcomes(again)
				if tc.deleting != "" { // gone from the listing by now, or still DELETING
					delete(want, tc.deleting)
					delete(got, tc.deleting)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("second run outcomes (-want +got):\n%s", diff)
				}
				if wantPuts := map[enforce.Mode]int{enforce.ModeEnforce: 1, enforce.ModeAudit: 0}[mode]; e.emu.CallCount(tc.put) != wantPuts {
					t.Errorf("second run wrote %d policies; want %d", e.emu.CallCount(tc.put), wantPuts)
				}
			})
		}
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

func TestBusyResourceBacksOffAndConverges(t *testing.T) {
	for _, k := range bothKinds {
		t.Run(string(k.kind), func(t *testing.T) {
			t.Parallel()
			clock := newTestClock()
			e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
			e.setBaseline(string(baseline.JSON()))
			k.seed(e, "busy", drift, nil)
			k.seed(e, "calm", drift, nil)
			k.seed(e, "stuck", drift, nil)
			e.emu.Script(k.get, "busy", 2, k.busy)
			e.emu.Script(k.put, "busy", 3, k.busy)
			e.emu.Script(k.put, "stuck", 1000, k.busy)
			eng := e.engineOf(enforce.Config{Clock: clock, Rand: half, Workers: 1}, k.kind)

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
			if stuck := ents["stuck"]; stuck.Outcome != enforce.Failed || !strings.Contains(stuck.Error, k.busy) {
				t.Errorf("stuck: %+v; want failed with %s", stuck, k.busy)
			}
			// The SDK does not retry the busy error: every attempt is one engine call.
			if g, p := e.emu.ResourceCalls(k.get, "busy"), e.emu.ResourceCalls(k.put, "busy"); g != 3 || p != 4 {
				t.Errorf("busy: %d %s and %d %s requests; want 3 and 4", g, k.get, p, k.put)
			}
			if rep.Succeeded {
				t.Errorf("a run with a failed %s succeeded", k.noun)
			}
		})
	}
}

func TestBaselineChangeDuringSweepIsReported(t *testing.T) {
	for _, k := range bothKinds {
		t.Run(string(k.kind), func(t *testing.T) {
			t.Parallel()
			clock := newTestClock()
			e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
			e.setBaseline(string(baseline.JSON()))
			k.seed(e, "first", drift, nil)
			k.seed(e, "second", drift, nil)
			// While the engine waits for a busy resource, someone saves a new baseline.
			e.emu.Script(k.get, "first", 1, k.busy)
			clock.onSleep = func(int) { e.setBaseline(string(drift.JSON())) }
			eng := e.engineOf(enforce.Config{Clock: clock, Rand: half, Workers: 1}, k.kind)

			rep := e.run(context.Background(), eng, enforce.Work{})

			if !rep.BaselineChangedDuringRun || rep.Baseline.Version != 1 || !rep.Succeeded {
				t.Errorf("changed %v, version %d, succeeded %v; want changed, version 1, succeeded",
					rep.BaselineChangedDuringRun, rep.Baseline.Version, rep.Succeeded)
			}
			if !policy.Equal(k.cors(e, "second"), baseline) {
				t.Error("the run did not finish with the version it started with")
			}
		})
	}
}

func TestInvalidBaselineChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		kindSpec
		name     string
		value    *string
		wantErr  string
		wantPath string
	}{
		{containers, "breaks the service's rules", ptr(`[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":["*"]}]`), "invalid mediastore CORS policy", "CorsPolicy[0].AllowedMethods[0]"},
		{containers, "has a typo in a field", ptr(`[{"AllowedOrigin":["*"],"AllowedMethods":["GET"],"AllowedHeaders":["*"]}]`), "AllowedOrigin", ""},
		{containers, "is not JSON", ptr(`AllowedOrigins: *`), "policy must be", ""},
		{containers, "has no rules", ptr(`{"CorsPolicy": []}`), "has 0 rules", "CorsPolicy"},
		{containers, "does not exist", nil, "does not exist", ""},
		{buckets, "breaks the service's rules", ptr(`[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]`), "invalid s3 CORS policy", ""},
		{buckets, "has a typo in a field", ptr(`[{"AllowedOrigin":["*"],"AllowedMethods":["GET"]}]`), "AllowedOrigin", ""},
		{buckets, "does not exist", nil, "does not exist", ""},
	} {
		t.Run(string(tc.kind)+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			if tc.value != nil {
				e.setBaseline(*tc.value)
			}
			tc.seed(e, "drifted", drift, nil)
			tc.seed(e, "no-policy", nil, nil)
			eng := e.engineOf(enforce.Config{}, tc.kind)

			for _, w := range []enforce.Work{{}, tc.named("drifted")} {
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
			if got := tc.cors(e, "drifted"); !cmp.Equal(got, drift) || tc.cors(e, "no-policy") != nil {
				t.Errorf("a %s changed", tc.noun)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestThrottlingStormConverges(t *testing.T) {
	// The emulator throttles above limit requests per second per operation (MediaStore's
	// ThrottlingException, S3's SlowDown); the engine is allowed more, so it is throttled all
	// along and the SDK's retryer must carry every call through. 100 containers at 5/s make
	// their run last about 20 s of real time, 30 buckets at 10/s about 3 s; waits between
	// attempts are capped at 100 ms here (10 s in production) to keep it there.
	for _, tc := range []struct {
		kindSpec
		n, driftEvery         int
		limit, rate           float64
		compliant, remediated int
	}{
		{kindSpec: containers, limit: 5, n: 100, driftEvery: 4, rate: 8, compliant: 75, remediated: 25},
		{kindSpec: buckets, limit: 10, n: 30, driftEvery: 3, rate: 40, compliant: 20, remediated: 10},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{maxAttempts: 20, maxBackoff: 100 * time.Millisecond})
			// One token bucket per operation, as AWS throttles (the emulator's AnyOp would share one).
			for _, op := range []string{"GetParameter", tc.list, tc.get, tc.tags, tc.put} {
				e.emu.SetThrottle(op, tc.limit)
			}
			e.setBaseline(string(baseline.JSON()))
			for i := range tc.n {
				p := sameAsBaseline
				if i%tc.driftEvery == 0 {
					p = drift
				}
				tc.seed(e, fmt.Sprintf("%s-%03d", tc.noun, i), p, nil)
			}
			// Eight workers keep all three per-operation token buckets busy while some wait on a throttle.
			eng := e.engineOf(enforce.Config{Rate: tc.rate, Workers: 8}, tc.kind)

			rep := e.run(context.Background(), eng, enforce.Work{})

			want := map[enforce.Outcome]int{enforce.Compliant: tc.compliant, enforce.Remediated: tc.remediated}
			for _, o := range enforce.Outcomes() {
				if rep.Totals[o] != want[o] {
					t.Errorf("%d %s; want %d (totals %v)", rep.Totals[o], o, want[o], rep.Totals)
				}
			}
			if !rep.Succeeded {
				t.Errorf("run failed: %+v", rep)
			}
			for i := range tc.n {
				if name := fmt.Sprintf("%s-%03d", tc.noun, i); !policy.Equal(tc.cors(e, name), baseline) {
					t.Errorf("%s did not converge", name)
				}
			}
			// The storm was real: the emulator turned requests away that the engine counted once.
			got, sent := rep.APICalls[action(tc.get)], e.emu.CallCount(tc.get)
			calls := 0
			for _, n := range rep.APICalls {
				calls += n
			}
			t.Logf("%d %s calls took %d requests; %d calls took %d requests in all", got, tc.get, sent, calls, e.emu.TotalCalls())
			if got != tc.n || e.emu.TotalCalls() <= calls {
				t.Errorf("engine made %d %s calls, %d calls in %d requests; want %d and retried requests", got, tc.get, calls, e.emu.TotalCalls(), tc.n)
			}
		})
	}
}

func TestServerErrorsConverge(t *testing.T) {
	for _, tc := range []struct {
		kindSpec
		n int
	}{{containers, 100}, {buckets, 60}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithSeed(20260301)}})
			e.emu.SetErrorRate(emulator.AnyOp, 0.2)
			e.setBaseline(string(baseline.JSON()))
			for i := range tc.n {
				p := drift
				if i%2 == 0 {
					p = sameAsBaseline
				}
				tc.seed(e, fmt.Sprintf("%s-%03d", tc.noun, i), p, nil)
			}
			eng := e.engineOf(enforce.Config{}, tc.kind)

			rep := e.run(context.Background(), eng, enforce.Work{})

			if rep.Totals[enforce.Compliant] != tc.n/2 || rep.Totals[enforce.Remediated] != tc.n/2 || !rep.Succeeded {
				t.Errorf("totals %v, succeeded %v, error %q; want %d compliant, %d remediated", rep.Totals, rep.Succeeded, rep.Error, tc.n/2, tc.n/2)
			}
			engineCalls := 0
			for _, n := range rep.APICalls {
				engineCalls += n
			}
			if sent := e.emu.TotalCalls(); sent <= engineCalls {
				t.Errorf("%d requests for %d calls; want retried requests", sent, engineCalls)
			}
			for i := 1; i < tc.n; i += 2 {
				if name := fmt.Sprintf("%s-%03d", tc.noun, i); e.emu.ResourceCalls(tc.put, name) < 1 {
					t.Errorf("%s: no %s", name, tc.put)
				}
			}
		})
	}
}

func TestDeadlineTooShortLeavesTheRestNotStarted(t *testing.T) {
	// n reads of 50 ms on 2 workers need n/40 s, more than the run has before the margin of
	// 100 ms: 2.5 s against 1 s for the containers, 1 s against 0.4 s for the buckets.
	for _, tc := range []struct {
		kindSpec
		n       int
		timeout time.Duration
	}{{containers, 100, 1100 * time.Millisecond}, {buckets, 40, 500 * time.Millisecond}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			e.emu.SetLatency(tc.get, 50*time.Millisecond)
			e.setBaseline(string(baseline.JSON()))
			for i := range tc.n {
				tc.seed(e, fmt.Sprintf("%s-%03d", tc.noun, i), sameAsBaseline, nil)
			}
			eng := e.engineOf(enforce.Config{Workers: 2, Margin: 100 * time.Millisecond, MinDuration: 10 * time.Millisecond}, tc.kind)

			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			rep := e.run(ctx, eng, enforce.Work{})

			if rep.Succeeded || rep.Totals[enforce.NotStarted] == 0 || len(rep.Entries) != tc.n {
				t.Fatalf("succeeded %v, totals %v, %d entries; want a failed run with not_started among %d", rep.Succeeded, rep.Totals, len(rep.Entries), tc.n)
			}
			for _, ent := range rep.Entries {
				switch ent.Outcome {
				case enforce.NotStarted:
					if n := e.emu.ResourceCalls(tc.get, ent.Name); n != 0 || !strings.Contains(ent.Error, "deadline") {
						t.Errorf("%s not started, but %d calls were made on it, or the error %q does not say deadline", ent.Name, n, ent.Error)
					}
				case enforce.Compliant, enforce.Failed:
				default:
					t.Errorf("%s: %s", ent.Name, ent.Outcome)
				}
			}
		})
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
	// Its profile tag makes the router list the buckets' profiles; the exemption wins in a run.
	e.seedBucket("exempt-bucket", drift, map[string]string{"corsguard:exempt": "true", "corsguard:profile": "players"})
	e.createPolicy(withEverything("drifted-policy", driftedCors()))
	if err := e.emu.SeedParameter(cfParam, "String", cfBaseline, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.SeedParameter(apiParam, "String", apiBaseline, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.SeedFunction(emulator.SeedFunction{Name: "open", URLs: []emulator.SeedFunctionURL{{Cors: []byte(openCors)}}}); err != nil {
		t.Fatal(err)
	}
	apiID, err := e.emu.SeedAPI(emulator.SeedAPI{Name: "open-api", CorsConfiguration: []byte(openCors)})
	if err != nil {
		t.Fatal(err)
	}
	eng := e.engineOf(enforce.Config{Clock: clock, Rand: half, SSMRate: inf, // the router's reads below find their tokens
		Kinds: map[policy.Kind]enforce.KindConfig{policy.CloudFront: {Parameter: cfParam}, policy.LambdaURL: {Parameter: apiParam}, policy.HTTPAPI: {Parameter: apiParam}}},
		policy.MediaStore, policy.S3, policy.CloudFront, policy.LambdaURL, policy.HTTPAPI)

	rep := e.run(context.Background(), eng, enforce.Work{})
	rep2 := e.run(context.Background(), eng, enforce.Work{Containers: []string{"drifted"}, Buckets: []string{"drifted-bucket"}, Policies: []string{"drifted-policy"},
		FunctionURLs: []string{"open"}, APIs: []string{apiID}, Mode: enforce.ModeAudit})
	// The work queue's router in a sweep: the baselines, whether a bucket carries the profile
	// tag (one does), and a listing of the profiles of each kind whose tags may name one.
	rep3 := eng.Baselines(context.Background(), nil, enforce.Work{Mode: enforce.ModeAudit})
	if !rep.Succeeded || !rep2.Succeeded || !rep3.Succeeded {
		t.Fatalf("runs failed: %+v %+v %+v", rep, rep2, rep3)
	}
	made := keys(e.engineActions())
	if diff := cmp.Diff(slices.Sorted(slices.Values(enforce.Actions())), made); diff != "" {
		t.Errorf("enforce.Actions against the calls the emulator received (-listed +made):\n%s", diff)
	}
	counted := map[string]int{}
	for _, r := range []*enforce.Report{rep, rep2, rep3} {
		for op, n := range r.APICalls {
			counted[op] += n
		}
	}
	if diff := cmp.Diff(e.engineActions(), counted); diff != "" {
		t.Errorf("the reports' call counts against the emulator's (-emulator +reports):\n%s", diff)
	}
}
