package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// defaultGrace is how long the calls in flight have to finish after the first Ctrl-C.
const defaultGrace = 30 * time.Second

// interruption turns Ctrl-C (SIGINT) and SIGTERM into the two stops of a sweep:
//
//   - the first signal stops starting work (stop is done, its cause names the signal) and
//     lets the calls in flight finish for up to grace;
//   - a second signal, or the end of the grace period, aborts: calls is cancelled, the calls
//     in flight end at once.
//
// Either way the sweep still writes the report of what was done, which says which it was.
type interruption struct {
	stop, calls context.Context

	mu          sync.Mutex
	interrupted string // the first signal's account, for the report; "" when none came
	aborted     string // the abort's, likewise
}

// watchSignals starts watching for SIGINT and SIGTERM; the returned function stops watching
// once the sweep is done (calling it again does nothing). Notices go to errOut.
func watchSignals(parent context.Context, errOut io.Writer, grace time.Duration) (*interruption, func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stop, stopWith := context.WithCancelCause(parent)
	calls, abortWith := context.WithCancelCause(parent)
	in := &interruption{stop: stop, calls: calls}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var first os.Signal
		select {
		case first = <-sigs:
		case <-done:
			return
		}
		why := fmt.Sprintf("interrupted by %s: nothing new was started, the calls in flight were let finish", signalName(first))
		in.set(&in.interrupted, why)
		stopWith(fmt.Errorf("interrupted by %s", signalName(first)))
		fmt.Fprintf(errOut, "corsguard: %s: starting nothing new; the calls in flight have %v to finish (a second signal aborts)\n",
			signalName(first), grace)
		timer := time.NewTimer(grace)
		defer timer.Stop()
		var abort string
		select {
		case s := <-sigs:
			abort = fmt.Sprintf("aborted by a second %s: the calls in flight were cancelled", signalName(s))
		case <-timer.C:
			abort = fmt.Sprintf("aborted: the calls in flight did not finish within the %v grace period after %s, and were cancelled", grace, signalName(first))
		case <-done:
			return
		}
		// From now on the signals' default action returns: a third Ctrl-C ends the process.
		signal.Stop(sigs)
		in.set(&in.aborted, abort)
		abortWith(fmt.Errorf("%s", abort))
		fmt.Fprintln(errOut, "corsguard:", abort)
	})
	var once sync.Once
	return in, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			wg.Wait()
			stopWith(nil)
			abortWith(nil)
		})
	}
}

func (in *interruption) set(field *string, v string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	*field = v
}

// why returns what the report must say about the interruption, "" when there was none.
func (in *interruption) why() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.aborted != "" {
		return in.aborted
	}
	return in.interrupted
}

// signalName names s as a shell user knows it.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
