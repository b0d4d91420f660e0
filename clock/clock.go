// Package clock is corsguard's one seam for time. The engine (backoff, deadlines, durations),
// the Lambda adapter (metrics' timestamps), the findings publisher (UpdatedAt, its rate
// waits) and the emulator (the CREATING and DELETING lifecycle, SQS delays and visibility)
// read the time and sleep only through a Clock, so that tests and the bench's simulations can
// move time without waiting. Where a test runs no network I/O, testing/synctest's fake clock
// is preferred: it needs no seam at all, and the wall clock, Real, is then the fake one.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock (the fake one inside a testing/synctest bubble).
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Sleep waits for d, or until ctx is done.
func (Real) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Sleep waits for d on the wall clock, or until ctx is done, in which case it returns ctx's
// error: the one sleep of the code base.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Manual is a Clock that moves only when told to, or when someone sleeps on it (a sleep moves
// it forward at once): the simulated time of tests and of the bench, where the emulator runs
// over real HTTP and testing/synctest cannot hold it. It is safe for concurrent use.
type Manual struct {
	mu        sync.Mutex
	now       time.Time
	listeners []func()
}

var _ Clock = (*Manual)(nil)

// NewManual returns a Manual clock that reads start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's current time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep moves the clock forward by d at once, unless ctx is already done.
func (c *Manual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// Advance moves the clock forward by d.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	ls := c.listeners
	c.mu.Unlock()
	for _, f := range ls {
		f()
	}
}

// Set moves the clock to t.
func (c *Manual) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	ls := c.listeners
	c.mu.Unlock()
	for _, f := range ls {
		f()
	}
}

// OnChange makes the clock call f after every move (the emulator wakes its SQS long polls: a
// message's delay or visibility timeout may have ended).
func (c *Manual) OnChange(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = append(c.listeners, f)
}
