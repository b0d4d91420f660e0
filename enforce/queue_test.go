package enforce_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

func TestReconcileDoesNotWaitForABusyResource(t *testing.T) {
	clock := newTestClock()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock), emulator.WithCreatingDuration(4 * time.Minute)}})
	e.setBaseline(string(baseline.JSON()))
	e.seed("fresh", "CREATING", nil, nil)
	e.seed("drifted", "", drift, nil)
	eng := e.engine(enforce.Config{Clock: clock, Rand: half})

	rep := eng.Reconcile(context.Background(), []enforce.Item{
		{Kind: policy.MediaStore, Name: "fresh"},
		{Kind: policy.MediaStore, Name: "drifted", Mode: enforce.ModeAudit},
	}, "queue batch")

	if got := clock.slept(); len(got) != 0 {
		t.Errorf("slept %v; the work queue waits, not the function", got)
	}
	got := entries(rep)
	if ent := got["fresh"]; ent.Outcome != enforce.Failed || !strings.Contains(ent.Error, "still CREATING") || ent.Attempts != 1 {
		t.Errorf("the CREATING container: %+v; want failed at once, still CREATING", ent)
	}
	if ent := got["drifted"]; ent.Outcome != enforce.Drifted {
		t.Errorf("the drifted container in audit mode: %+v; want drifted (the item's own mode)", ent)
	}
	if n := e.emu.ResourceCalls("GetCorsPolicy", "fresh"); n != 0 {
		t.Errorf("the policy of a CREATING container was read %d times", n)
	}
}

func TestReconcileReadsTheBaselineOnceAtItsCurrentVersion(t *testing.T) {
	e := newEnv(t, envOption{})
	old := policy.Policy{{AllowedOrigins: []string{"https://old.example.com"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}}}
	e.setBaseline(string(old.JSON()))
	for i := range 3 {
		e.seedBucket(fmt.Sprintf("bucket-%d", i), drift, nil)
	}
	eng := e.engineOf(enforce.Config{}, policy.S3)
	// The message was enqueued under the old baseline; the new one is what the worker writes.
	e.setBaseline(string(baseline.JSON()))
	rep := eng.Reconcile(context.Background(), []enforce.Item{
		{Kind: policy.S3, Name: "bucket-0"}, {Kind: policy.S3, Name: "bucket-1"}, {Kind: policy.S3, Name: "bucket-2"},
	}, "queue batch")
	if !rep.Succeeded || rep.Totals[enforce.Remediated] != 3 {
		t.Fatalf("succeeded %v, totals %v", rep.Succeeded, rep.Totals)
	}
	for i := range 3 {
		if got := e.bucketCors(fmt.Sprintf("bucket-%d", i)); !policy.Equal(got, baseline) {
			t.Errorf("b%d has %v, want the current baseline", i, got)
		}
	}
	if n := rep.APICalls["ssm:GetParameter"]; n != 1 {
		t.Errorf("GetParameter called %d times for one batch, want 1", n)
	}
}

func TestReconcileLeavesOutWhatTheSelectorOrTheEngineDoesNotCover(t *testing.T) {
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	e.seed("live", "", drift, nil)
	e.seed("tmp-1", "", drift, nil)
	eng := e.engineOf(enforce.Config{Selector: policy.Selector{Exclude: []string{"tmp-*"}}}, policy.MediaStore)
	rep := eng.Reconcile(context.Background(), []enforce.Item{
		{Kind: policy.MediaStore, Name: "live"},
		{Kind: policy.MediaStore, Name: "tmp-1"},
		{Kind: policy.S3, Name: "a-bucket"},
	}, "queue batch")
	if diff := cmp.Diff(map[string]enforce.Outcome{"live": enforce.Remediated}, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"tmp-1", "a-bucket"}, rep.Excluded); diff != "" {
		t.Errorf("excluded (-want +got):\n%s", diff)
	}
	if n := e.emu.ResourceCalls("GetCorsPolicy", "tmp-1"); n != 0 {
		t.Error("an excluded container was read")
	}
}

func TestReconcileTouchesNothingUnderAnInvalidBaseline(t *testing.T) {
	e := newEnv(t, envOption{})
	e.setBaseline(`[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":[]}]`) // POST: not for MediaStore
	e.seed("live", "", drift, nil)
	eng := e.engine(enforce.Config{})
	rep := eng.Reconcile(context.Background(), []enforce.Item{{Kind: policy.MediaStore, Name: "live"}}, "queue batch")
	if rep.Succeeded || rep.Baseline.Valid || len(rep.Entries) != 0 {
		t.Errorf("succeeded %v, baseline valid %v, entries %v; want an invalid baseline and nothing done", rep.Succeeded, rep.Baseline.Valid, rep.Entries)
	}
	if n := e.emu.ResourceCalls("PutCorsPolicy", "live"); n != 0 {
		t.Error("wrote under an invalid baseline")
	}
}

func TestListPageCarriesOnFromItsToken(t *testing.T) {
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	const n = 2500 // three pages of 1000
	var want []string
	for i := range n {
		name := fmt.Sprintf("bucket-%04d", i)
		e.seedBucket(name, nil, nil)
		if i%10 != 0 {
			want = append(want, name)
		}
	}
	eng := e.engineOf(enforce.Config{Selector: policy.Selector{}, Kinds: map[policy.Kind]enforce.KindConfig{
		policy.S3: {Selector: policy.Selector{Exclude: []string{"bucket-*0"}}},
	}}, policy.S3)
	var got, excluded []string
	token, pages := "", 0
	for {
		p, err := eng.ListPage(context.Background(), policy.S3, token, "")
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, p.Names...)
		excluded = append(excluded, p.Excluded...)
		if p.APICalls["s3:ListAllMyBuckets"] != 1 {
			t.Errorf("page %d: calls %v, want one ListBuckets", pages, p.APICalls)
		}
		if p.Next == "" {
			break
		}
		token = p.Next
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
	if len(excluded) != n/10 {
		t.Errorf("%d excluded, want %d", len(excluded), n/10)
	}
	if _, err := eng.ListPage(context.Background(), policy.MediaStore, "", ""); err == nil {
		t.Error("ListPage of a kind the engine has no store for succeeded")
	}
}

func TestBaselinesReportsTheKindsAsked(t *testing.T) {
	e := newEnv(t, envOption{})
	e.setBaseline(`[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":[]}]`)
	// No limit on the router's reads: both calls read (a router reads only with a token at once).
	eng := e.engineOf(enforce.Config{SSMRate: math.Inf(1)}, policy.MediaStore, policy.S3)
	if rep := eng.Baselines(context.Background(), []policy.Kind{policy.S3}, enforce.Work{Reason: "check"}); !rep.Succeeded || len(rep.Baselines) != 1 {
		t.Errorf("S3 only: succeeded %v, baselines %+v; want valid (S3 allows POST)", rep.Succeeded, rep.Baselines)
	}
	if rep := eng.Baselines(context.Background(), nil, enforce.Work{Reason: "check"}); rep.Succeeded || len(rep.Baselines) != 2 {
		t.Errorf("every kind: succeeded %v, baselines %+v; want invalid for MediaStore", rep.Succeeded, rep.Baselines)
	}
}

// The router's reads are budgeted: a second read right after the first, with a share of one read
// per 100 s, is not made; the baseline is reported unread (valid as far as the router knows) and
// stamped nowhere. The first spends the share's burst: the baseline and the one listing of the
// buckets' profiles (a pattern names one).
func TestARouterWithoutATokenReadsNothingAndStampsNothing(t *testing.T) {
	e := newEnv(t, envOption{})
	e.setBaseline(`[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`)
	eng := e.engineOf(enforce.Config{SSMRate: 0.01, ProfilePatterns: []profile.Pattern{{Name: "uploads", Globs: []string{"upload-*"}}}}, policy.S3)
	first := eng.Baselines(context.Background(), nil, enforce.Work{Reason: "first"})
	if first.Stamps[policy.S3]["/corsguard/baseline"] != 1 || first.APICalls["ssm:GetParameter"] != 1 || first.APICalls["ssm:GetParametersByPath"] != 1 {
		t.Fatalf("first: stamps %v, calls %v; want version 1 read once and the profiles listed once", first.Stamps, first.APICalls)
	}
	second := eng.Baselines(context.Background(), nil, enforce.Work{Reason: "second"})
	if b := second.Baselines[0]; !b.Unread || !b.Valid || b.Version != 0 || second.Stamps != nil || second.APICalls["ssm:GetParameter"] != 0 ||
		second.APICalls["ssm:GetParametersByPath"] != 0 {
		t.Errorf("second: baseline %+v, stamps %v, calls %v; want unread, nothing stamped, no call", b, second.Stamps, second.APICalls)
	}
}
