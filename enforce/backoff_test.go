package enforce

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

// wantDelay is the formula written independently of the code under test:
// rand · min(cap, base·2^n), in float arithmetic.
func wantDelay(r float64, base, limit time.Duration, n int) time.Duration {
	ceil := math.Min(float64(limit), float64(base)*math.Pow(2, float64(n)))
	return time.Duration(r * ceil)
}

// busyFor returns an operation that is busy n times, then succeeds, counting its calls.
func busyFor(n int, calls *int) func(context.Context) error {
	return func(context.Context) error {
		*calls++
		if *calls <= n {
			return fmt.Errorf("still CREATING: %w", errBusy)
		}
		return nil
	}
}

func TestBackoffDelaysFollowTheFormula(t *testing.T) {
	values := []float64{0.5, 0.25, 0.999, 0.1, 0.75, 0.6, 0.3, 0.9, 0.05, 0.8}
	for _, tc := range []struct {
		name      string
		base, cap time.Duration
		busy      int
	}{
		{"one second base, fifteen second cap", time.Second, 15 * time.Second, 10},
		{"tiny base reaches the cap late", 10 * time.Millisecond, 5 * time.Second, 10},
		{"base equal to the cap never grows", 2 * time.Second, 2 * time.Second, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			start := clock.Now()
			rnd := &seqRand{values: values}
			b := &backoff{clock: clock, rand: rnd.next, base: tc.base, cap: tc.cap, deadline: start.Add(time.Hour)}
			calls := 0
			if err := b.patiently(context.Background(), busyFor(tc.busy, &calls)); err != nil {
				t.Fatalf("patiently: %v", err)
			}
			if calls != tc.busy+1 || b.waits != tc.busy {
				t.Fatalf("calls %d, waits %d; want %d and %d", calls, b.waits, tc.busy+1, tc.busy)
			}
			slept := clock.slept()
			var total time.Duration
			for n, d := range slept {
				if want := wantDelay(values[n%len(values)], tc.base, tc.cap, n); d != want {
					t.Errorf("sleep %d = %v; want %v", n, d, want)
				}
				if d < 0 || d >= tc.cap {
					t.Errorf("sleep %d = %v; want in [0, %v)", n, d, tc.cap)
				}
				total += d
			}
			if got := clock.Now().Sub(start); got != total {
				t.Errorf("clock moved %v; want the sum of the sleeps %v", got, total)
			}
		})
	}
}

func TestBackoffStopsWhenTheNextSleepWouldPassTheDeadline(t *testing.T) {
	for _, budget := range []time.Duration{0, 500 * time.Millisecond, 10 * time.Second, 60 * time.Second, 5 * time.Minute} {
		t.Run(fmt.Sprintf("budget %v", budget), func(t *testing.T) {
			clock := newFakeClock()
			start := clock.Now()
			deadline := start.Add(budget)
			rnd := &seqRand{values: []float64{0.999999, 0.7, 0.95}}
			b := &backoff{clock: clock, rand: rnd.next, base: time.Second, cap: 15 * time.Second, deadline: deadline}
			calls := 0
			err := b.patiently(context.Background(), busyFor(1000, &calls)) // bounded, so a broken stop fails instead of hanging
			if !errors.Is(err, errBusy) || !errors.Is(err, errNoTime) {
				t.Fatalf("err = %v; want busy and no time", err)
			}
			slept := clock.slept()
			var total time.Duration
			for _, d := range slept {
				total += d
			}
			if total > budget {
				t.Errorf("slept %v in all; more than the budget %v", total, budget)
			}
			// The draw that stopped it is the next value, at n = len(slept).
			next := wantDelay(rnd.values[len(slept)%len(rnd.values)], time.Second, 15*time.Second, len(slept))
			if total+next <= budget {
				t.Errorf("stopped after %v although the next sleep %v fitted the budget %v", total, next, budget)
			}
			if calls != len(slept)+1 {
				t.Errorf("%d calls for %d sleeps; want one more call than sleeps", calls, len(slept))
			}
			if clock.Now().After(deadline) {
				t.Errorf("clock at %v past the deadline", clock.Now().Sub(deadline))
			}
		})
	}
}

func TestBackoffNeverExceedsTheCapAndNeverOverflows(t *testing.T) {
	clock := newFakeClock()
	b := &backoff{clock: clock, rand: func() float64 { return 0.999999 }, base: time.Second, cap: 15 * time.Second}
	calls := 0
	if err := b.patiently(context.Background(), busyFor(200, &calls)); err != nil {
		t.Fatalf("patiently without a deadline: %v", err)
	}
	for n, d := range clock.slept() {
		if d <= 0 || d > 15*time.Second {
			t.Fatalf("sleep %d = %v; want in (0, 15s]", n, d)
		}
		if n >= 4 && d < 14*time.Second {
			t.Fatalf("sleep %d = %v; want near the cap once base·2^n passes it", n, d)
		}
	}
}

func TestBackoffReturnsOtherErrorsAtOnce(t *testing.T) {
	for _, want := range []error{nil, errGone, errors.New("access denied")} {
		clock := newFakeClock()
		b := &backoff{clock: clock, rand: func() float64 { return 0.5 }, base: time.Second, cap: time.Minute}
		calls := 0
		err := b.patiently(context.Background(), func(context.Context) error { calls++; return want })
		if !errors.Is(err, want) || calls != 1 || len(clock.slept()) != 0 {
			t.Errorf("for %v: err %v, %d calls, %d sleeps; want it back after one call, no sleep", want, err, calls, len(clock.slept()))
		}
	}
}

func TestBackoffStopsWhenTheContextEnds(t *testing.T) {
	clock := newFakeClock()
	b := &backoff{clock: clock, rand: func() float64 { return 0.5 }, base: time.Second, cap: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := b.patiently(ctx, func(context.Context) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return errBusy
	})
	if !errors.Is(err, context.Canceled) || calls != 3 {
		t.Errorf("err %v after %d calls; want context.Canceled after 3", err, calls)
	}
}

func TestScheduleRefusesWhatCannotFinishAndEverythingAfter(t *testing.T) {
	clock := newFakeClock()
	deadline := clock.Now().Add(10 * time.Second)
	s := &schedule{clock: clock, deadline: deadline, min: time.Second}
	ctx := context.Background()
	// Three resources of 2 s each: the estimate becomes their mean, 2 s.
	for i := range 3 {
		if why := s.start(ctx); why != "" {
			t.Fatalf("start %d refused: %s", i, why)
		}
		clock.advance(2 * time.Second)
		s.done(2 * time.Second)
	}
	// 4 s left, estimate 2 s: one more fits.
	if why := s.start(ctx); why != "" {
		t.Fatalf("start with 4s left and a 2s estimate refused: %s", why)
	}
	clock.advance(2500 * time.Millisecond)
	s.done(2500 * time.Millisecond)
	// 1.5 s left, estimate (6+2.5)/4 = 2.125 s: refused, and so is everything after.
	if why := s.start(ctx); why == "" {
		t.Fatal("start with 1.5s left and a 2.1s estimate allowed")
	}
	clock.advance(-time.Hour) // even with time to spare, the cut stays
	if why := s.start(ctx); why == "" {
		t.Fatal("start after a refusal allowed")
	}
}

func TestScheduleWithoutDeadlineRefusesOnlyADoneContext(t *testing.T) {
	s := &schedule{clock: newFakeClock(), min: time.Hour}
	if why := s.start(context.Background()); why != "" {
		t.Fatalf("refused without a deadline: %s", why)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if why := s.start(ctx); why == "" {
		t.Fatal("allowed with a canceled context")
	}
}
