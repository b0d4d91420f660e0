package enforce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Clock is the engine's source of time. The engine measures durations, checks the deadline and
// sleeps between backoff attempts only through it, so tests can run the backoff without waiting.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errBusy is ErrBusy: the engine waits and tries again, or, for the work queue, returns a
// *BusyError with its hint.
var errBusy = ErrBusy

// errGone marks a resource that was deleted, is being deleted or never existed.
var errGone = errors.New("gone")

// errStale marks a write refused because the resource changed since it was read (CloudFront's
// PreconditionFailed on a stale ETag): the engine reads it again and decides again.
var errStale = errors.New("changed since it was read")

// maxStale is how many times one reconcile reads again after a stale write before it fails
// (retryably): a policy that keeps changing under us is someone else's work in progress.
const maxStale = 3

// leftAlone is a resource a store declines to write, with why: reported exempt with the
// reason as its note (a CloudFront policy without a CorsConfig, by default).
type leftAlone struct{ why string }

func (l *leftAlone) Error() string { return "left alone: " + l.why }

// errNoTime is returned when the next backoff sleep would end after the deadline.
var errNoTime = errors.New("the next wait would pass the deadline")

// backoff is the wait state of one resource: full-jitter exponential backoff,
// sleep = rand(0, min(cap, base·2^n)), for as long as the deadline allows.
type backoff struct {
	clock    Clock
	rand     func() float64 // uniform in [0, 1)
	base     time.Duration
	cap      time.Duration
	deadline time.Time // zero: none
	waits    int       // sleeps taken so far; n in the formula
	// noWait returns a busy error at once instead of sleeping: the work queue's worker gives
	// the message back with a delay, so that waiting costs no function time.
	noWait bool
}

// ceiling returns min(cap, base·2^n) without overflowing.
func ceiling(base, limit time.Duration, n int) time.Duration {
	if n < 63 && base <= limit>>n {
		return base << n
	}
	return limit
}

// next draws the next delay.
func (b *backoff) next() time.Duration {
	return time.Duration(b.rand() * float64(ceiling(b.base, b.cap, b.waits)))
}

// wait sleeps for the next delay, or returns errNoTime without sleeping when that sleep would
// end after the deadline.
func (b *backoff) wait(ctx context.Context) error {
	d := b.next()
	if !b.deadline.IsZero() && b.clock.Now().Add(d).After(b.deadline) {
		return fmt.Errorf("%w (%d waits so far, next %v)", errNoTime, b.waits, d)
	}
	b.waits++
	return b.clock.Sleep(ctx, d)
}

// patiently calls fn until it returns anything but a busy error, waiting with backoff between
// calls. When the deadline leaves no room for the next wait it returns the busy error joined
// with the reason it stopped.
func (b *backoff) patiently(ctx context.Context, fn func(context.Context) error) error {
	for {
		err := fn(ctx)
		if !errors.Is(err, errBusy) || b.noWait {
			return err
		}
		if werr := b.wait(ctx); werr != nil {
			return fmt.Errorf("%w; %w", err, werr)
		}
	}
}
