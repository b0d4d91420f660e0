package enforce

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/corsguard/corsguard/clock"
)

// wantDelay is the formula written independently of the code under test:
// rand · min(cap, base·2^n), in float arithmetic.
func wantDelay(r float64, base, limit time.Duration, n int) time.Duration {
	ceil := math.Min(float64(limit), float64(base)*math.Pow(2, float64(n)))
	return time.Duration(r * ceil)
}

// busyFor returns an operation that is busy n times, then succeeds, counting its calls and
// recording when each came: inside a synctest bubble, where only sleeping moves the clock, the
// gaps between calls are exactly the backoff's sleeps.
func busyFor(n int, calls *int, at *[]time.Time) func(context.Context) error {
	return func(context.Context) error {
		*calls++
		*at = append(*at, time.Now())
		if *calls <= n {
			return fmt.Errorf("still CREATING: %w", errBusy)
		}
		return nil
	}
}

// gaps returns the time between consecutive calls.
func gaps(at []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, at[i].Sub(at[i-1]))
	}
	return out
}

// seqRand returns the given values in turn, starting over at the end.
type seqRand struct {
	mu     sync.Mutex
	values []float64
	i      int
}

func (r *seqRand) next() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.values[r.i%len(r.values)]
	r.i++
	return v
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
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			rnd := &seqRand{values: values}
			b := &backoff{clock: clock.Real{}, rand: rnd.next, base: tc.base, cap: tc.cap, deadline: start.Add(time.Hour)}
			calls, at := 0, []time.Time{}
			if err := b.patiently(context.Background(), busyFor(tc.busy, &calls, &at)); err != nil {
				t.Fatalf("%s: patiently: %v", tc.name, err)
			}
			if calls != tc.busy+1 || b.waits != tc.busy {
				t.Fatalf("%s: calls %d, waits %d; want %d and %d", tc.name, calls, b.waits, tc.busy+1, tc.busy)
			}
			for n, d := range gaps(at) {
				if want := wantDelay(values[n%len(values)], tc.base, tc.cap, n); d != want {
					t.Errorf("%s: sleep %d = %v; want %v", tc.name, n, d, want)
				}
				if d < 0 || d >= tc.cap {
					t.Errorf("%s: sleep %d = %v; want in [0, %v)", tc.name, n, d, tc.cap)
				}
			}
		})
	}
}

func TestBackoffStopsWhenTheNextSleepWouldPassTheDeadline(t *testing.T) {
	for _, budget := range []time.Duration{0, 500 * time.Millisecond, 10 * time.Second, 60 * time.Second, 5 * time.Minute} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			deadline := start.Add(budget)
			rnd := &seqRand{values: []float64{0.999999, 0.7, 0.95}}
			b := &backoff{clock: clock.Real{}, rand: rnd.next, base: time.Second, cap: 15 * time.Second, deadline: deadline}
			calls, at := 0, []time.Time{}
			err := b.patiently(context.Background(), busyFor(1000, &calls, &at)) // bounded, so a broken stop fails instead of hanging
			if !errors.Is(err, errBusy) || !errors.Is(err, errNoTime) {
				t.Fatalf("budget %v: err = %v; want busy and no time", budget, err)
			}
			slept := gaps(at)
			total := time.Since(start)
			if total > budget {
				t.Errorf("budget %v: slept %v in all; more than the budget", budget, total)
			}
			// The draw that stopped it is the next value, at n = len(slept).
			next := wantDelay(rnd.values[len(slept)%len(rnd.values)], time.Second, 15*time.Second, len(slept))
			if total+next <= budget {
				t.Errorf("budget %v: stopped after %v although the next sleep %v fitted", budget, total, next)
			}
			if time.Now().After(deadline) {
				t.Errorf("budget %v: returned %v past the deadline", budget, time.Since(deadline))
			}
		})
	}
}

func TestBackoffNeverExceedsTheCapAndNeverOverflows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &backoff{clock: clock.Real{}, rand: func() float64 { return 0.999999 }, base: time.Second, cap: 15 * time.Second}
		calls, at := 0, []time.Time{}
		if err := b.patiently(context.Background(), busyFor(200, &calls, &at)); err != nil {
			t.Fatalf("patiently without a deadline: %v", err)
		}
		for n, d := range gaps(at) {
			if d <= 0 || d > 15*time.Second {
				t.Fatalf("sleep %d = %v; want in (0, 15s]", n, d)
			}
			if n >= 4 && d < 14*time.Second {
				t.Fatalf("sleep %d = %v; want near the cap once base·2^n passes it", n, d)
			}
		}
	})
}

func TestBackoffReturnsOtherErrorsAtOnce(t *testing.T) {
	for _, want := range []error{nil, errGone, errors.New("access denied")} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			b := &backoff{clock: clock.Real{}, rand: func() float64 { return 0.5 }, base: time.Second, cap: time.Minute}
			calls := 0
			err := b.patiently(context.Background(), func(context.Context) error { calls++; return want })
			if !errors.Is(err, want) || calls != 1 || time.Since(start) != 0 {
				t.Errorf("for %v: err %v, %d calls, %v slept; want it back after one call, no sleep", want, err, calls, time.Since(start))
			}
		})
	}
}

func TestBackoffStopsWhenTheContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &backoff{clock: clock.Real{}, rand: func() float64 { return 0.5 }, base: time.Second, cap: time.Minute}
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
	})
}

func TestBackoffSleepEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &backoff{clock: clock.Real{}, rand: func() float64 { return 0.999 }, base: time.Minute, cap: time.Hour}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := b.patiently(ctx, func(context.Context) error { return errBusy })
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 10*time.Second {
			t.Errorf("err %v after %v; want the context's deadline, 10s, in the middle of a 60s sleep", err, time.Since(start))
		}
	})
}

func TestScheduleRefusesWhatCannotFinishAndEverythingAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		s := &schedule{clock: clock.Real{}, deadline: deadline, min: time.Second}
		ctx := context.Background()
		// Three resources of 2 s each: the estimate becomes their mean, 2 s.
		for i := range 3 {
			if why := s.start(ctx); why != "" {
				t.Fatalf("start %d refused: %s", i, why)
			}
			time.Sleep(2 * time.Second)
			s.done(2 * time.Second)
		}
		// 4 s left, estimate 2 s: one more fits.
		if why := s.start(ctx); why != "" {
			t.Fatalf("start with 4s left and a 2s estimate refused: %s", why)
		}
		time.Sleep(2500 * time.Millisecond)
		s.done(2500 * time.Millisecond)
		// 1.5 s left, estimate (6+2.5)/4 = 2.125 s: refused, and so is everything after.
		if why := s.start(ctx); why == "" {
			t.Fatal("start with 1.5s left and a 2.1s estimate allowed")
		}
		for range 100 {
			s.done(0) // the estimate falls to the 1s minimum, which would fit: the cut stays
		}
		if why := s.start(ctx); why == "" {
			t.Fatal("start after a refusal allowed")
		}
	})
}

func TestScheduleWithoutDeadlineRefusesOnlyADoneContext(t *testing.T) {
	s := &schedule{clock: clock.Real{}, min: time.Hour}
	if why := s.start(context.Background()); why != "" {
		t.Fatalf("refused without a deadline: %s", why)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if why := s.start(ctx); why == "" {
		t.Fatal("allowed with a canceled context")
	}
}
