package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	mstypes "github.com/aws/aws-sdk-go-v2/service/mediastore/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/policy"
)

// wantSuccess fails the test unless the invocation returned a result of the given kind.
func wantSuccess(t *testing.T, inv invocation, kind handler.Event) {
	t.Helper()
	if inv.Status != 200 || inv.failed() || inv.Result.Event != kind {
		t.Fatalf("invocation: %s; want HTTP 200 with event %q", inv, kind)
	}
}

// wantTotals compares the report's non-zero totals.
func wantTotals(t *testing.T, inv invocation, want map[enforce.Outcome]int) {
	t.Helper()
	got := map[enforce.Outcome]int{}
	if inv.Result.Report != nil {
		for o, n := range inv.Result.Totals {
			if n != 0 {
				got[o] = n
			}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("totals (-want +got):\n%s\n%s", d, inv)
	}
}

func wantPolicy(t *testing.T, a *account, container string, want policy.Policy) {
	t.Helper()
	if got := a.policyOf(t, container); !policy.Equal(got, want) {
		t.Errorf("container %s has policy %s, want %s", container, got.JSON(), want.JSON())
	}
}

func TestACreatingContainerIsWaitedForAndGetsTheBaseline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ sample, container string }{
		{"mediastore-container-created.json", "live-news"},
		{"cloudtrail-create-container.json", "vod-library"},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			t.Parallel()
			// CREATING for longer than the harness's default: the function's first
			// DescribeContainer must find it CREATING however slowly a loaded machine starts
			// the bootstrap (at 400 ms it was ACTIVE before the first call under load).
			a := newAccount(t, string(baseline.JSON()), emulator.WithCreatingDuration(5*creating))
			fn := startFunction(t, fastEnv(a))
			if _, err := a.mediastore(t).CreateContainer(context.Background(), &mediastore.CreateContainerInput{
				ContainerName: aws.String(tc.container)}); err != nil {
				t.Fatal(err)
			}
			if c, _ := a.Container(tc.container); c.Status != "CREATING" {
				t.Fatalf("container is %s before the invocation; the test needs it CREATING", c.Status)
			}

			inv := fn.invoke(t, sample(t, tc.sample))

			wantSuccess(t, inv, handler.ContainerCreated)
			wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
			if c, _ := a.Container(tc.container); c.Status != "ACTIVE" {
				t.Errorf("container is %s, want ACTIVE", c.Status)
			}
			wantPolicy(t, a, tc.container, baseline)
			if n := a.CallCount("DescribeContainer"); n < 2 {
				t.Errorf("%d DescribeContainer calls: the function did not wait while the container was CREATING", n)
			}
			if n := a.CallCount("PutCorsPolicy"); n != 1 {
				t.Errorf("%d PutCorsPolicy calls, want 1", n)
			}

			// One summary line with the request id, and one EMF document, per invocation.
			summaries := fn.out.logs("run finished")
			if len(summaries) != 1 {
				t.Fatalf("%d summary lines, want 1:\n%s", len(summaries), fn.out)
			}
			s := summaries[0]
			if s["requestId"] == "" || s["level"] != "INFO" || s["event"] != "container_created" || s["succeeded"] != true {
				t.Errorf("summary line %v", s)
			}
			if totals, _ := s["totals"].(map[string]any); totals["remediated"] != float64(1) {
				t.Errorf("summary totals %v, want remediated 1", s["totals"])
			}
			docs := fn.out.metrics()
			if len(docs) != 1 {
				t.Fatalf("%d EMF documents, want 1:\n%s", len(docs), fn.out)
			}
			if d := docs[0]; d["Remediated"] != float64(1) || d["RunFailed"] != float64(0) || d["Mode"] != "enforce" {
				t.Errorf("EMF document %v", d)
			}
		})
	}
}

func TestABaselineChangeConvergesEveryMatchingContainer(t *testing.T) {
	t.Parallel()
	for _, sampleName := range []string{"ssm-baseline-create.json", "ssm-baseline-update.json", "ssm-baseline-label.json"} {
		t.Run(sampleName, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()))
			a.seed(t, "live-news", drifted, nil)
			a.seed(t, "live-sports", nil, nil)
			a.seed(t, "vod-library", baseline, nil)
			a.seed(t, "legacy-archive", drifted, nil)
			a.seed(t, "live-hands-off", drifted, map[string]string{"corsguard:exempt": "true"})
			env := fastEnv(a)
			env["CORSGUARD_EXCLUDE"] = "legacy-*"
			fn := startFunction(t, env)

			inv := fn.invoke(t, sample(t, sampleName))

			wantSuccess(t, inv, handler.BaselineChanged)
			wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 2, enforce.Compliant: 1, enforce.Exempt: 1})
			for _, name := range []string{"live-news", "live-sports", "vod-library"} {
				wantPolicy(t, a, name, baseline)
			}
			wantPolicy(t, a, "legacy-archive", drifted) // excluded
			wantPolicy(t, a, "live-hands-off", drifted) // exempt
			if n := a.CallCount("PutCorsPolicy"); n != 2 {
				t.Errorf("%d PutCorsPolicy calls, want 2: only where a container drifted", n)
			}

			// The same event again (EventBridge delivers at least once) writes nothing.
			again := fn.invoke(t, sample(t, sampleName))
			wantSuccess(t, again, handler.BaselineChanged)
			wantTotals(t, again, map[enforce.Outcome]int{enforce.Compliant: 3, enforce.Exempt: 1})
			if n := a.CallCount("PutCorsPolicy"); n != 2 {
				t.Errorf("%d PutCorsPolicy calls after a repeat, want still 2", n)
			}
		})
	}
}

func TestACorsPolicyChangedByHandIsRepaired(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seed(t, "live-news", drifted, nil) // what cloudtrail-put-cors-policy.json put there
	a.seed(t, "live-sports", nil, nil)   // what cloudtrail-delete-cors-policy.json left
	a.seed(t, "vod-library", drifted, nil)
	fn := startFunction(t, fastEnv(a))

	for _, tc := range []struct{ sample, container string }{
		{"cloudtrail-put-cors-policy.json", "live-news"},
		{"cloudtrail-delete-cors-policy.json", "live-sports"},
	} {
		inv := fn.invoke(t, sample(t, tc.sample))
		wantSuccess(t, inv, handler.CorsChanged)
		wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
		if got := inv.Result.Entries; len(got) != 1 || got[0].Name != tc.container {
			t.Errorf("%s: entries %+v, want only %s", tc.sample, got, tc.container)
		}
		wantPolicy(t, a, tc.container, baseline)
	}
	wantPolicy(t, a, "vod-library", drifted) // not named by either event
}

func TestAnAuditReportsDriftWithoutWriting(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T, mode string) (*account, *function) {
		a := newAccount(t, string(baseline.JSON()))
		a.seed(t, "live-news", drifted, nil)
		a.seed(t, "vod-library", baseline, nil)
		env := fastEnv(a)
		if mode != "" {
			env["CORSGUARD_MODE"] = mode
		}
		return a, startFunction(t, env)
	}
	check := func(t *testing.T, a *account, inv invocation, kind handler.Event) {
		t.Helper()
		wantSuccess(t, inv, kind)
		wantTotals(t, inv, map[enforce.Outcome]int{enforce.Drifted: 1, enforce.Compliant: 1})
		if inv.Result.Mode != enforce.ModeAudit {
			t.Errorf("report mode %q, want audit", inv.Result.Mode)
		}
		for _, e := range inv.Result.Entries {
			if e.Outcome == enforce.Drifted && (e.Name != "live-news" || len(e.Diff) == 0) {
				t.Errorf("drifted entry %+v: want live-news with a diff", e)
			}
		}
		if n := a.CallCount("PutCorsPolicy"); n != 0 {
			t.Errorf("%d PutCorsPolicy calls in an audit", n)
		}
		wantPolicy(t, a, "live-news", drifted)
	}

	t.Run("a scheduled sweep with mode audit configured", func(t *testing.T) {
		t.Parallel()
		a, fn := setup(t, "audit")
		check(t, a, fn.invoke(t, sample(t, "scheduled-sweep.json")), handler.Sweep)
		if docs := fn.out.metrics(); len(docs) != 1 || docs[0]["Drifted"] != float64(1) || docs[0]["Mode"] != "audit" {
			t.Errorf("EMF documents %v, want one with Drifted 1 in mode audit", docs)
		}
	})
	t.Run("a direct audit while the configured mode is enforce, then a direct enforce", func(t *testing.T) {
		t.Parallel()
		a, fn := setup(t, "")
		check(t, a, fn.invoke(t, sample(t, "direct-audit.json")), handler.Manual)

		inv := fn.invoke(t, sample(t, "direct-enforce.json"))
		wantSuccess(t, inv, handler.Manual)
		wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1, enforce.Compliant: 1})
		wantPolicy(t, a, "live-news", baseline)
	})
	t.Run("a scheduled sweep with mode enforce repairs", func(t *testing.T) {
		t.Parallel()
		a, fn := setup(t, "enforce")
		inv := fn.invoke(t, sample(t, "scheduled-sweep.json"))
		wantSuccess(t, inv, handler.Sweep)
		wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1, enforce.Compliant: 1})
		wantPolicy(t, a, "live-news", baseline)
	})
}

func TestIgnoredEventsTouchNothing(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seed(t, "live-news", drifted, nil)
	a.seed(t, "live-sports", drifted, nil)
	fn := startFunction(t, fastEnv(a))

	for _, name := range []string{
		"mediastore-container-removed.json", "mediastore-object-state-change.json",
		"mediastore-object-upload-state-change.json", "cloudtrail-other-call.json", "ssm-other-parameter.json",
		"direct-unknown-action.json", "unknown-source.json", "../router/testdata/malformed.json",
	} {
		inv := fn.invoke(t, sample(t, name))
		want := handler.Ignored
		if name == "mediastore-container-removed.json" {
			want = handler.ResourceDeleted // with findings off, nothing to archive
		}
		wantSuccess(t, inv, want)
		if inv.Result.Note == "" {
			t.Errorf("%s: no note says why it was ignored", name)
		}
		if n := a.TotalCalls(); n != 0 {
			t.Errorf("%s: %d AWS calls (%v), want none", name, n, a.Calls())
		}
	}
	if n := len(fn.out.logs("event ignored")); n != 8 {
		t.Errorf("%d 'event ignored' log lines, want 8", n)
	}
	if docs := fn.out.metrics(); len(docs) != 0 {
		t.Errorf("ignored events emitted metrics: %v", docs)
	}
	wantPolicy(t, a, "live-news", drifted)
	wantPolicy(t, a, "live-sports", drifted)
}

func TestADeletedBaselineChangesNothingAndIsReported(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "") // deleted
	a.seed(t, "live-news", drifted, nil)
	fn := startFunction(t, fastEnv(a))

	inv := fn.invoke(t, sample(t, "ssm-baseline-delete.json"))

	wantSuccess(t, inv, handler.BaselineDeleted)
	if n := a.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls (%v), want none", n, a.Calls())
	}
	wantPolicy(t, a, "live-news", drifted)
	logs := fn.out.logs("baseline deleted")
	if len(logs) != 1 || logs[0]["level"] != "ERROR" {
		t.Errorf("log lines %v, want one ERROR 'baseline deleted'", logs)
	}
	if docs := fn.out.metrics(); len(docs) != 1 || docs[0]["BaselineDeleted"] != float64(1) {
		t.Errorf("EMF documents %v, want one with BaselineDeleted 1", docs)
	}
}

// An unusable baseline is a terminal failure: the invocation succeeds (Lambda's retries could
// only repeat it), the summary is logged at ERROR and TerminalFailures raises the alarm.
func TestAnUnusableBaselineWritesNothingAndIsReportedAsTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value, message string
	}{
		{"a baseline that is not JSON", `[{"AllowedOrigins": ["*"]`, "baseline /corsguard/baseline version 1"},
		{"a baseline that breaks MediaStore's rules", `[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":["*"]}]`, "POST"},
		{"a missing baseline", "", "parameter /corsguard/baseline does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, tc.value)
			a.seed(t, "live-news", drifted, nil)
			a.seed(t, "live-sports", nil, nil)
			fn := startFunction(t, fastEnv(a))

			inv := fn.invoke(t, sample(t, "ssm-baseline-update.json"))

			wantSuccess(t, inv, handler.BaselineChanged)
			if inv.Result.Baseline.Valid || !strings.Contains(inv.Result.Baseline.Error, tc.message) || inv.Result.Baseline.Retryable {
				t.Errorf("baseline %+v: want invalid, terminal, saying %q", inv.Result.Baseline, tc.message)
			}
			for _, op := range []string{"PutCorsPolicy", "GetCorsPolicy", "ListContainers"} {
				if n := a.CallCount(op); n != 0 {
					t.Errorf("%d %s calls with an unusable baseline", n, op)
				}
			}
			wantPolicy(t, a, "live-news", drifted)
			wantPolicy(t, a, "live-sports", nil)
			docs := fn.out.metrics()
			if len(docs) != 1 || docs[0]["BaselineInvalid"] != float64(1) || docs[0]["RunFailed"] != float64(0) || docs[0]["TerminalFailures"] != float64(1) {
				t.Errorf("EMF documents %v, want one with BaselineInvalid 1, TerminalFailures 1 and RunFailed 0", docs)
			}
			if s := fn.out.logs("run finished"); len(s) != 1 || s[0]["level"] != "ERROR" || s[0]["terminal_failures"] != float64(1) {
				t.Errorf("summary lines %v, want one at ERROR with terminal_failures 1", s)
			}
		})
	}
}

func TestAContainerStillCreatingAtTheDeadlineFailsTheInvocation(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithCreatingDuration(time.Hour))
	if err := a.SeedContainer("live-news", "CREATING", nil, nil); err != nil {
		t.Fatal(err)
	}
	env := fastEnv(a)
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = "3"
	env["CORSGUARD_DEADLINE_MARGIN"] = "1s"
	fn := startFunction(t, env)

	inv := fn.invoke(t, sample(t, "mediastore-container-created.json"))

	if inv.Error.Type != "RunError" || !strings.Contains(inv.Error.Message, "live-news") {
		t.Errorf("invocation %s: want a RunError naming live-news", inv)
	}
	if n := a.CallCount("PutCorsPolicy"); n != 0 {
		t.Errorf("%d PutCorsPolicy calls on a CREATING container", n)
	}
	if docs := fn.out.metrics(); len(docs) != 1 || docs[0]["RunFailed"] != float64(1) {
		t.Errorf("EMF documents %v, want one with RunFailed 1", docs)
	}
}

func TestAColdStartWithABadConfigurationFailsNamingTheVariable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ variable, value string }{
		{"CORSGUARD_BASELINE_PARAMETER", ""},
		{"CORSGUARD_MODE", "repair"},
		{"CORSGUARD_WORKERS", "0"},
		{"CORSGUARD_BACKOFF_BASE", "100"},
	} {
		t.Run(tc.variable, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()))
			env := fastEnv(a)
			env[tc.variable] = tc.value
			fn := startFunction(t, env)

			inv := fn.invoke(t, sample(t, "scheduled-sweep.json"))

			if inv.Error.Type != handler.InitErrorType || !strings.HasPrefix(inv.Error.Message, tc.variable+": ") {
				t.Errorf("invocation %s: want a %s naming %s", inv, handler.InitErrorType, tc.variable)
			}
			if n := a.TotalCalls(); n != 0 {
				t.Errorf("%d AWS calls from a function that could not start", n)
			}
			if logs := fn.out.logs("cold start failed"); len(logs) == 0 || !strings.Contains(logs[0]["error"].(string), tc.variable) {
				t.Errorf("log lines %v, want 'cold start failed' naming %s", logs, tc.variable)
			}
		})
	}
}

// TestEventsFromTheAccountReachTheRunningFunction wires the emulator's event stream to the
// function, as EventBridge rules do: a container created through the API is reconciled by the
// events it causes, and a hand-made change is repaired; the function's own writes come back
// as events and end in no-op runs.
func TestEventsFromTheAccountReachTheRunningFunction(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	fn := startFunction(t, fastEnv(a))
	bus := deliver(t, a, fn)
	ms := a.mediastore(t)
	ctx := context.Background()

	if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String("live-events")}); err != nil {
		t.Fatal(err)
	}
	got := bus.waitIdle(t, func(kinds []handler.Event) bool {
		return count(kinds, handler.ContainerCreated) == 2 // the CloudTrail record and the state change
	})
	wantPolicy(t, a, "live-events", baseline)
	if n := a.CallCount("PutCorsPolicy"); n != 1 {
		t.Errorf("%d PutCorsPolicy calls, want 1", n)
	}
	for _, inv := range got {
		if inv.failed() {
			t.Errorf("an invocation failed: %s", inv)
		}
	}
	if n := remediated(got); n != 1 {
		t.Errorf("%d invocations remediated, want 1", n)
	}

	// Someone loosens the policy by hand; the CloudTrail record brings the function back.
	rules := []mstypes.CorsRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []mstypes.MethodName{"GET", "PUT"}, AllowedHeaders: []string{"*"}}}
	if _, err := ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("live-events"), CorsPolicy: rules}); err != nil {
		t.Fatal(err)
	}
	got = bus.waitIdle(t, func(kinds []handler.Event) bool { return count(kinds, handler.CorsChanged) >= 3 })
	wantPolicy(t, a, "live-events", baseline)
	if n := a.CallCount("PutCorsPolicy"); n != 3 {
		t.Errorf("%d PutCorsPolicy calls, want 3: ours, the hand-made one, and our repair", n)
	}
	if n := remediated(got); n != 2 {
		t.Errorf("%d invocations remediated in all, want 2", n)
	}
}

// eventBus hands the emulator's events to the function one at a time, in order, as a
// function with reserved concurrency 1 receives them, and records the answers.
type eventBus struct {
	mu        sync.Mutex
	received  int
	delivered []invocation
	errs      []error
	changed   chan struct{} // closed, and replaced, whenever the fields above change
}

// change runs fn under the lock and wakes waitIdle.
func (b *eventBus) change(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn()
	close(b.changed)
	b.changed = make(chan struct{})
}

func deliver(t *testing.T, a *account, fn *function) *eventBus {
	b := &eventBus{changed: make(chan struct{})}
	queue := make(chan []byte, 1024)
	cancel := a.Subscribe(func(ev []byte) {
		b.change(func() { b.received++ })
		queue <- ev // never blocks in these tests: far fewer events than the buffer
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range queue {
			inv, err := fn.post(ev, "")
			b.change(func() {
				b.delivered = append(b.delivered, inv)
				if err != nil {
					b.errs = append(b.errs, err)
				}
			})
		}
	}()
	t.Cleanup(func() {
		cancel()
		close(queue)
		<-done
	})
	return b
}

// waitIdle waits until every event received has been delivered and answered, and enough has
// happened (until says so from the kinds delivered so far); it returns the answers.
func (b *eventBus) waitIdle(t *testing.T, until func([]handler.Event) bool) []invocation {
	t.Helper()
	expired := time.After(60 * time.Second) // a bound on a hung test, not a timing claim
	for {
		b.mu.Lock()
		idle := b.received == len(b.delivered)
		got := append([]invocation(nil), b.delivered...)
		errs := append([]error(nil), b.errs...)
		changed := b.changed
		b.mu.Unlock()
		for _, err := range errs {
			t.Fatal(err)
		}
		var kinds []handler.Event
		for _, inv := range got {
			kinds = append(kinds, inv.Result.Event)
		}
		if idle && until(kinds) {
			return got
		}
		select {
		case <-changed:
		case <-expired:
			t.Fatalf("events never settled; delivered kinds %v", kinds)
		}
	}
}

func count(kinds []handler.Event, k handler.Event) int {
	n := 0
	for _, x := range kinds {
		if x == k {
			n++
		}
	}
	return n
}

func remediated(invs []invocation) int {
	n := 0
	for _, inv := range invs {
		if inv.Result.Report != nil {
			n += inv.Result.Totals[enforce.Remediated]
		}
	}
	return n
}
