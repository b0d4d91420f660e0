package enforce_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/emulator"
	"github.com/corsguard/corsguard/policy"
)

// The S3 side of the integration tests: the scenarios of integration_test.go that apply to
// buckets (buckets have no CREATING state to wait for), a mixed estate, and the baselines per kind.

// uploads is a baseline only S3 accepts: POST, a rule ID, a rule without AllowedHeaders.
var uploads = policy.Policy{
	{ID: "uploads", AllowedOrigins: []string{"https://upload.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type"}, MaxAgeSeconds: 600},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
}

func TestSweepReconcilesEveryKindOfBucket(t *testing.T) {
	for _, mode := range []enforce.Mode{enforce.ModeEnforce, enforce.ModeAudit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			e.setBaseline(string(baseline.JSON()))
			exempt := map[string]string{"corsguard:exempt": "TRUE", "team": "video"}
			e.seedBucket("drifted", drift, nil)
			e.seedBucket("no-policy", nil, nil)
			e.seedBucket("compliant", sameAsBaseline, nil)
			e.seedBucket("exempt", drift, exempt)
			e.seedBucket("exempt-and-compliant", baseline, exempt)
			e.seedBucket("exempt-false", drift, map[string]string{"corsguard:exempt": "false"})
			e.seedBucket("tmp-excluded", drift, nil)
			e.seedBucket("vanishing", drift, nil)
			// Deleted between the listing and the read of its policy.
			e.emu.Script("GetBucketCors", "vanishing", 1, "NoSuchBucket")
			// A bucket of another Region: ListBuckets' BucketRegion filter leaves it out.
			if err := e.emu.SeedBucket("in-ireland", "eu-west-1", drift, nil); err != nil {
				t.Fatal(err)
			}

			eng := e.engineOf(enforce.Config{Selector: policy.Selector{Exclude: []string{"tmp-*"}}}, policy.S3)
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
			if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if !rep.Succeeded || rep.Error != "" || !slices.Equal(rep.Excluded, []string{"tmp-excluded"}) {
				t.Errorf("succeeded %v, error %q, excluded %v", rep.Succeeded, rep.Error, rep.Excluded)
			}
			for _, ent := range rep.Entries {
				if ent.Kind != policy.S3 {
					t.Errorf("%s: kind %q", ent.Name, ent.Kind)
				}
			}
			wantBaselines := []enforce.Baseline{{Kind: policy.S3, Parameter: param, Version: 1, Hash: policy.Hash(baseline), Valid: true}}
			if diff := cmp.Diff(wantBaselines, rep.Baselines); diff != "" {
				t.Errorf("baselines (-want +got):\n%s", diff)
			}
			ents := entries(rep)
			for name, before := range map[string]policy.Policy{"drifted": drift, "no-policy": nil, "exempt-false": drift} {
				if d := ents[name].Diff; !cmp.Equal(d, policy.Diff(before, baseline)) {
					t.Errorf("%s: diff %v; want %v", name, d, policy.Diff(before, baseline))
				}
			}
			for _, name := range []string{"drifted", "no-policy", "exempt-false"} {
				got := e.bucketCors(name)
				if mode == enforce.ModeEnforce && !policy.Equal(got, baseline) || mode == enforce.ModeAudit && policy.Equal(got, baseline) {
					t.Errorf("%s holds %v after a %s run", name, got, mode)
				}
			}
			if !cmp.Equal(e.bucketCors("exempt"), drift) || !cmp.Equal(e.bucketCors("tmp-excluded"), drift) || !cmp.Equal(e.bucketCors("in-ireland"), drift) {
				t.Error("an exempt, excluded or foreign bucket was written")
			}
			for _, op := range []string{"GetBucketCors", "GetBucketTagging", "PutBucketCors"} {
				for _, name := range []string{"tmp-excluded", "in-ireland"} {
					if n := e.emu.ResourceCalls(op, name); n != 0 {
						t.Errorf("%d %s calls on %s", n, op, name)
					}
				}
			}

			// The fewest calls: one listing, one read each, tags only where drifted, a write
			// only where drifted and not exempt, and the baseline read before and after.
			wantCalls := map[string]int{"ssm:GetParameter": 2, "s3:ListAllMyBuckets": 1, "s3:GetBucketCORS": 7, "s3:GetBucketTagging": 4}
			if mode == enforce.ModeEnforce {
				wantCalls["s3:PutBucketCORS"] = 3
			}
			if diff := cmp.Diff(wantCalls, rep.APICalls); diff != "" {
				t.Errorf("report's API calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantCalls, emulatorActions(e.emu)); diff != "" {
				t.Errorf("calls the emulator received (-want +got):\n%s", diff)
			}

			// Running again is harmless.
			e.emu.ResetCalls()
			again := e.run(context.Background(), eng, enforce.Work{Mode: mode})
			if mode == enforce.ModeEnforce {
				want["drifted"], want["no-policy"], want["exempt-false"] = enforce.Compliant, enforce.Compliant, enforce.Compliant
			}
			want["vanishing"] = fix
			if diff := cmp.Diff(want, outcomes(again)); diff != "" {
				t.Errorf("second run outcomes (-want +got):\n%s", diff)
			}
			if wantPuts := map[enforce.Mode]int{enforce.ModeEnforce: 1, enforce.ModeAudit: 0}[mode]; e.emu.CallCount("PutBucketCors") != wantPuts {
				t.Errorf("second run wrote %d policies; want %d", e.emu.CallCount("PutBucketCors"), wantPuts)
			}
		})
	}
}

func TestMixedEstateConvergesInOneSweep(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	for i := range 6 {
		p := drift
		if i%3 == 0 {
			p = sameAsBaseline
		}
		e.seed(fmt.Sprintf("container-%d", i), "", p, nil)
		e.seedBucket(fmt.Sprintf("bucket-%d", i), p, nil)
	}
	e.seed("same-name", "", nil, nil)
	e.seedBucket("same-name", nil, nil)
	eng := e.engineOf(enforce.Config{}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if !rep.Succeeded || rep.Totals[enforce.Remediated] != 10 || rep.Totals[enforce.Compliant] != 4 || len(rep.Entries) != 14 {
		t.Fatalf("succeeded %v, totals %v, %d entries; want 10 remediated and 4 compliant of 14", rep.Succeeded, rep.Totals, len(rep.Entries))
	}
	// Entries come kind by kind, in the engine's order, then by name.
	var order []string
	for _, ent := range rep.Entries {
		order = append(order, string(ent.Kind)+"/"+ent.Name)
	}
	if !slices.IsSortedFunc(order, func(a, b string) int {
		return strings.Compare(strings.Replace(a, "mediastore/", "0/", 1), strings.Replace(b, "mediastore/", "0/", 1))
	}) || !strings.HasPrefix(order[0], "mediastore/") || !strings.HasPrefix(order[13], "s3/") {
		t.Errorf("entry order %v", order)
	}
	for i := range 6 {
		if c, b := e.corsOf(fmt.Sprintf("container-%d", i)), e.bucketCors(fmt.Sprintf("bucket-%d", i)); !policy.Equal(c, baseline) || !policy.Equal(b, baseline) {
			t.Errorf("container-%d or bucket-%d did not converge", i, i)
		}
	}
	if !policy.Equal(e.corsOf("same-name"), baseline) || !policy.Equal(e.bucketCors("same-name"), baseline) {
		t.Error("a container and a bucket of the same name are two resources; both converge")
	}
	if len(rep.Baselines) != 2 || rep.Baselines[0].Kind != policy.MediaStore || rep.Baselines[1].Kind != policy.S3 || rep.Baseline.Kind != "" {
		t.Errorf("baselines %+v, summary %+v", rep.Baselines, rep.Baseline)
	}
	// One shared parameter is read once before and once after the sweep.
	if n := rep.APICalls["ssm:GetParameter"]; n != 2 {
		t.Errorf("%d GetParameter calls; want 2", n)
	}

	e.emu.ResetCalls()
	again := e.run(context.Background(), eng, enforce.Work{})
	if again.Totals[enforce.Compliant] != 14 || e.emu.CallCount("PutCorsPolicy")+e.emu.CallCount("PutBucketCors") != 0 {
		t.Errorf("second sweep: totals %v, %d writes; want all compliant, none", again.Totals, e.emu.CallCount("PutCorsPolicy")+e.emu.CallCount("PutBucketCors"))
	}
}

func TestBaselineWithPOSTIsRefusedForContainersAndAcceptedForBuckets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(uploads.JSON()))
	e.seed("container", "", drift, nil)
	e.seedBucket("bucket", drift, nil)
	eng := e.engineOf(enforce.Config{}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if rep.Succeeded || rep.Baseline.Valid {
		t.Errorf("succeeded %v, baseline valid %v; want a failed run: the containers' baseline is invalid", rep.Succeeded, rep.Baseline.Valid)
	}
	ms, s3 := rep.Baselines[0], rep.Baselines[1]
	if ms.Valid || !strings.Contains(ms.Error, `method "POST" is not one of PUT, GET, DELETE, HEAD`) || !strings.Contains(ms.Error, "invalid mediastore CORS policy") {
		t.Errorf("MediaStore baseline %+v; want invalid, saying POST is not a MediaStore method", ms)
	}
	if !slices.ContainsFunc(ms.Errors, func(p policy.Problem) bool { return p.Path == "CorsPolicy[0].AllowedMethods[1]" }) ||
		!slices.ContainsFunc(ms.Errors, func(p policy.Problem) bool { return p.Path == "CorsPolicy[0].ID" }) {
		t.Errorf("MediaStore problems %v; want the POST and the rule ID", ms.Errors)
	}
	if !s3.Valid || s3.Error != "" {
		t.Errorf("S3 baseline %+v; want valid", s3)
	}
	if !strings.HasPrefix(rep.Baseline.Error, "mediastore: ") {
		t.Errorf("summary error %q; want it to name the kind", rep.Baseline.Error)
	}
	if diff := cmp.Diff(map[string]enforce.Outcome{"bucket": enforce.Remediated}, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !cmp.Equal(e.corsOf("container"), drift) || e.emu.CallCount("ListContainers")+e.emu.CallCount("GetCorsPolicy") != 0 {
		t.Error("a container was listed, read or written under an invalid baseline")
	}
	if !policy.Equal(e.bucketCors("bucket"), uploads) {
		t.Errorf("bucket holds %v", e.bucketCors("bucket"))
	}
}

func TestEachKindHasItsOwnBaselineAndSelector(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	if err := e.emu.SeedParameter("/corsguard/s3-baseline", "String", string(uploads.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	e.seed("media-live", "", drift, nil)
	e.seed("media-test", "", drift, nil)
	e.seedBucket("media-live", drift, nil)
	e.seedBucket("media-test", drift, nil)
	eng := e.engineOf(enforce.Config{
		Selector: policy.Selector{Exclude: []string{"*-test"}},
		Kinds: map[policy.Kind]enforce.KindConfig{
			policy.S3: {Parameter: "/corsguard/s3-baseline", Selector: policy.Selector{Include: []string{"*-test"}}},
		},
	}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if !rep.Succeeded || len(rep.Entries) != 2 || !slices.Equal(rep.Excluded, []string{"media-live", "media-test"}) {
		t.Fatalf("succeeded %v, entries %+v, excluded %v", rep.Succeeded, rep.Entries, rep.Excluded)
	}
	if !policy.Equal(e.corsOf("media-live"), baseline) || !cmp.Equal(e.corsOf("media-test"), drift) {
		t.Error("containers: want media-live remediated to the baseline, media-test left alone")
	}
	if !policy.Equal(e.bucketCors("media-test"), uploads) || !cmp.Equal(e.bucketCors("media-live"), drift) {
		t.Error("buckets: want media-test remediated to the S3 baseline, media-live left alone")
	}
	if rep.Baselines[1].Parameter != "/corsguard/s3-baseline" || rep.Baselines[1].Hash != policy.Hash(uploads) {
		t.Errorf("S3 baseline %+v", rep.Baselines[1])
	}
	if n := rep.APICalls["ssm:GetParameter"]; n != 4 {
		t.Errorf("%d GetParameter calls; want each parameter read before and after the sweep", n)
	}
}

func TestNamedBucketsTouchOnlyThoseBuckets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	// The containers' baseline is invalid; an event about a bucket does not need it.
	e.setBaseline(string(uploads.JSON()))
	e.seed("container", "", drift, nil)
	e.seedBucket("live-bucket", drift, nil)
	e.seedBucket("scratch-bucket", drift, nil)
	e.seedBucket("other-bucket", drift, nil)
	eng := e.engineOf(enforce.Config{Kinds: map[policy.Kind]enforce.KindConfig{
		policy.S3: {Selector: policy.Selector{Exclude: []string{"scratch-*"}}}}}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{Buckets: []string{"live-bucket", "never-made", "scratch-bucket", "live-bucket"}})

	want := map[string]enforce.Outcome{"live-bucket": enforce.Remediated, "never-made": enforce.Gone}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !rep.Succeeded || !rep.Baseline.Valid || len(rep.Baselines) != 1 || !slices.Equal(rep.Excluded, []string{"scratch-bucket"}) {
		t.Errorf("succeeded %v, baselines %+v, excluded %v", rep.Succeeded, rep.Baselines, rep.Excluded)
	}
	if n := e.emu.ResourceCalls("PutBucketCors", "live-bucket"); n != 1 {
		t.Errorf("%d writes to a bucket named twice; want 1", n)
	}
	if e.emu.CallCount("ListBuckets") != 0 || !cmp.Equal(e.bucketCors("other-bucket"), drift) || !cmp.Equal(e.corsOf("container"), drift) {
		t.Error("a named run listed buckets or touched a resource it did not name")
	}
	// An engine without S3 leaves named buckets out.
	msOnly := e.engineOf(enforce.Config{Parameter: "/none"}, policy.MediaStore)
	rep = e.run(context.Background(), msOnly, enforce.Work{Buckets: []string{"other-bucket"}})
	if len(rep.Entries) != 0 || !slices.Equal(rep.Excluded, []string{"other-bucket"}) {
		t.Errorf("MediaStore-only engine: entries %+v, excluded %v", rep.Entries, rep.Excluded)
	}
}

func TestOperationAbortedBacksOffAndConverges(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
	e.setBaseline(string(baseline.JSON()))
	e.seedBucket("busy", drift, nil)
	e.seedBucket("calm", drift, nil)
	e.seedBucket("stuck", drift, nil)
	// S3's 409 for a conflicting operation in progress.
	e.emu.Script("GetBucketCors", "busy", 2, "OperationAborted")
	e.emu.Script("PutBucketCors", "busy", 3, "OperationAborted")
	e.emu.Script("PutBucketCors", "stuck", 1000, "OperationAborted")
	eng := e.engineOf(enforce.Config{Clock: clock, Rand: half, Workers: 1}, policy.S3)

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
	if stuck := ents["stuck"]; stuck.Outcome != enforce.Failed || !strings.Contains(stuck.Error, "OperationAborted") {
		t.Errorf("stuck: %+v; want failed with OperationAborted", stuck)
	}
	if g, p := e.emu.ResourceCalls("GetBucketCors", "busy"), e.emu.ResourceCalls("PutBucketCors", "busy"); g != 3 || p != 4 {
		t.Errorf("busy: %d GetBucketCors and %d PutBucketCors requests; want 3 and 4", g, p)
	}
	if rep.Succeeded {
		t.Error("a run with a failed bucket succeeded")
	}
}

func TestBucketBaselineChangeDuringSweepIsReported(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
	e.setBaseline(string(baseline.JSON()))
	e.seedBucket("first", drift, nil)
	e.seedBucket("second", drift, nil)
	e.emu.Script("GetBucketCors", "first", 1, "OperationAborted")
	clock.onSleep = func(int) { e.setBaseline(string(drift.JSON())) }
	eng := e.engineOf(enforce.Config{Clock: clock, Rand: half, Workers: 1}, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if !rep.BaselineChangedDuringRun || rep.Baseline.Version != 1 || !rep.Succeeded {
		t.Errorf("changed %v, version %d, succeeded %v; want changed, version 1, succeeded",
			rep.BaselineChangedDuringRun, rep.Baseline.Version, rep.Succeeded)
	}
	if !policy.Equal(e.bucketCors("second"), baseline) {
		t.Error("the run did not finish with the version it started with")
	}
}

func TestInvalidBaselineChangesNoBucket(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   *string
		wantErr string
	}{
		{"breaks S3's rules", ptr(`[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]`), "invalid s3 CORS policy"},
		{"has a typo in a field", ptr(`[{"AllowedOrigin":["*"],"AllowedMethods":["GET"]}]`), "AllowedOrigin"},
		{"does not exist", nil, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			if tc.value != nil {
				e.setBaseline(*tc.value)
			}
			e.seedBucket("drifted", drift, nil)
			eng := e.engineOf(enforce.Config{}, policy.S3)
			for _, w := range []enforce.Work{{}, {Buckets: []string{"drifted"}}} {
				rep := e.run(context.Background(), eng, w)
				if rep.Baseline.Valid || rep.Succeeded || len(rep.Entries) != 0 || !strings.Contains(rep.Baseline.Error, tc.wantErr) {
					t.Errorf("report %+v; want an invalid baseline saying %q, no entries, a failed run", rep, tc.wantErr)
				}
			}
			if diff := cmp.Diff(map[string]int{"GetParameter": 2}, e.emu.Calls()); diff != "" {
				t.Errorf("calls the emulator received (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlowDownStormConverges(t *testing.T) {
	t.Parallel()
	// S3 answers SlowDown (503) above 10 requests per second per operation; the engine is
	// allowed 40, so the SDK's retryer carries calls through. 30 buckets: about 3 s.
	e := newEnv(t, envOption{maxAttempts: 20, maxBackoff: 100 * time.Millisecond})
	for _, op := range []string{"GetParameter", "ListBuckets", "GetBucketCors", "GetBucketTagging", "PutBucketCors"} {
		e.emu.SetThrottle(op, 10)
	}
	e.setBaseline(string(baseline.JSON()))
	for i := range 30 {
		p := sameAsBaseline
		if i%3 == 0 {
			p = drift
		}
		e.seedBucket(fmt.Sprintf("bucket-%03d", i), p, nil)
	}
	eng := e.engineOf(enforce.Config{Rate: 40, Workers: 8}, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if rep.Totals[enforce.Compliant] != 20 || rep.Totals[enforce.Remediated] != 10 || !rep.Succeeded {
		t.Errorf("totals %v, succeeded %v; want 20 compliant, 10 remediated", rep.Totals, rep.Succeeded)
	}
	got, sent := rep.APICalls["s3:GetBucketCORS"], e.emu.CallCount("GetBucketCors")
	t.Logf("%d GetBucketCors calls took %d requests", got, sent)
	if got != 30 || sent <= 30 {
		t.Errorf("engine made %d GetBucketCors calls in %d requests; want 30 calls and retried requests", got, sent)
	}
}

func TestBucketServerErrorsConverge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithSeed(20260301)}})
	e.emu.SetErrorRate(emulator.AnyOp, 0.2)
	e.setBaseline(string(baseline.JSON()))
	for i := range 60 {
		p := drift
		if i%2 == 0 {
			p = sameAsBaseline
		}
		e.seedBucket(fmt.Sprintf("bucket-%03d", i), p, nil)
	}
	eng := e.engineOf(enforce.Config{}, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if rep.Totals[enforce.Compliant] != 30 || rep.Totals[enforce.Remediated] != 30 || !rep.Succeeded {
		t.Errorf("totals %v, succeeded %v, error %q; want 30 compliant, 30 remediated", rep.Totals, rep.Succeeded, rep.Error)
	}
	engineCalls := 0
	for _, n := range rep.APICalls {
		engineCalls += n
	}
	if sent := e.emu.TotalCalls(); sent <= engineCalls {
		t.Errorf("%d requests for %d calls; want retried requests", sent, engineCalls)
	}
}

func TestBucketDeadlineTooShortLeavesTheRestNotStarted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.emu.SetLatency("GetBucketCors", 50*time.Millisecond)
	e.setBaseline(string(baseline.JSON()))
	for i := range 40 {
		e.seedBucket(fmt.Sprintf("bucket-%03d", i), sameAsBaseline, nil)
	}
	eng := e.engineOf(enforce.Config{Workers: 2, Margin: 100 * time.Millisecond, MinDuration: 10 * time.Millisecond}, policy.S3)

	// 40 reads of 50 ms on 2 workers need 1 s; the run has 0.4 s before the margin.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	rep := e.run(ctx, eng, enforce.Work{})

	if rep.Succeeded || rep.Totals[enforce.NotStarted] == 0 || len(rep.Entries) != 40 {
		t.Fatalf("succeeded %v, totals %v, %d entries; want a failed run with not_started among 40", rep.Succeeded, rep.Totals, len(rep.Entries))
	}
	for _, ent := range rep.Entries {
		if ent.Outcome == enforce.NotStarted && e.emu.ResourceCalls("GetBucketCors", ent.Name) != 0 {
			t.Errorf("%s not started, but a call was made on it", ent.Name)
		}
	}
}

func TestBucketListingPagesAndKeepsToTheRegion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	// More than one page of 1,000; most are excluded, so only the listing is exercised.
	for i := range 1200 {
		if err := e.emu.SeedBucket(fmt.Sprintf("archive-%04d", i), "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.seedBucket("keep-first", drift, nil)
	e.seedBucket("zz-keep-last", drift, nil)
	if err := e.emu.SeedBucket("keep-abroad", "ap-south-1", drift, nil); err != nil {
		t.Fatal(err)
	}
	eng := e.engineOf(enforce.Config{Selector: policy.Selector{Include: []string{"keep-*", "zz-keep-*"}}}, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	want := map[string]enforce.Outcome{"keep-first": enforce.Remediated, "zz-keep-last": enforce.Remediated}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" || !rep.Succeeded {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if n := rep.APICalls["s3:ListAllMyBuckets"]; n != 2 || len(rep.Excluded) != 1200 {
		t.Errorf("%d ListBuckets pages, %d excluded; want 2 pages and the 1,200 archives excluded", n, len(rep.Excluded))
	}
}
