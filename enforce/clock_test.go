package enforce

import (
	"context"
	"sync"
	"time"
)

// fakeClock is a Clock whose Sleep returns at once after moving the time forward; it records
// every sleep.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
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
