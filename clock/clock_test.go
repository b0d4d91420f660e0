package clock_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/corsguard/corsguard/clock"
)

func TestSleepWaitsForItsDurationOrItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := clock.Sleep(context.Background(), 3*time.Second); err != nil {
			t.Fatalf("Sleep: %v", err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("slept %v, want 3s", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := (clock.Real{}).Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep past the context's deadline = %v, want DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 4*time.Second {
			t.Errorf("a sleep cut by its context ended at %v, want 4s", got)
		}
	})
}

func TestManualMovesOnlyWhenToldOrSleptOn(t *testing.T) {
	epoch := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	c := clock.NewManual(epoch)
	moves := 0
	c.OnChange(func() { moves++ })
	if err := c.Sleep(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if got, want := c.Now(), epoch.Add(time.Minute+time.Second); !got.Equal(want) {
		t.Errorf("Now = %v, want %v", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep with a cancelled context = %v, want Canceled", err)
	}
	c.Set(epoch)
	if !c.Now().Equal(epoch) || moves != 3 {
		t.Errorf("after Set: Now = %v and %d moves, want %v and 3", c.Now(), moves, epoch)
	}
}
