package enforce

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corsguard/corsguard/clock"
)

// Clock is the engine's source of time (the code base's one, package clock). The engine
// measures durations, checks the deadline and sleeps between backoff attempts only through it.
type Clock = clock.Clock

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

// FullJitter is the one backoff formula of the code base, the engine's and the work queue's:
// the n-th delay (from 0) is rand()·min(limit, base·2^n), rand uniform in [0, 1), computed
// without overflowing.
func FullJitter(n int, base, limit time.Duration, rand func() float64) time.Duration {
	ceiling := limit
	if n < 63 && base <= limit>>n {
		ceiling = base << n
	}
	return time.Duration(rand() * float64(ceiling))
}

// next draws the next delay.
func (b *backoff) next() time.Duration { return FullJitter(b.waits, b.base, b.cap, b.rand) }

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
