package emulator

import (
	"sync"
	"time"
)

// ManualClock is a Clock that moves only when told to, for tests that drive the CREATING and
// DELETING lifecycle without sleeping. It is safe for concurrent use.
type ManualClock struct {
	mu        sync.Mutex
	now       time.Time
	listeners []func()
}

// NewManualClock returns a ManualClock that reads start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	ls := c.listeners
	c.mu.Unlock()
	for _, f := range ls {
		f()
	}
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	ls := c.listeners
	c.mu.Unlock()
	for _, f := range ls {
		f()
	}
}

// onChange makes the clock call f after every move (an emulator wakes its SQS long polls:
// a message's delay or visibility timeout may have ended).
func (c *ManualClock) onChange(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = append(c.listeners, f)
}
