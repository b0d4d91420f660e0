package enforce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// reconcileAll runs the targets on the bounded worker pool and returns their entries in order.
// With wait false a busy resource is not waited for: it fails at once, retryably, and the
// caller (the work queue) retries it later.
// A done stop (nil: never) starts no further target.
func (e *Engine) reconcileAll(ctx, stop context.Context, m *meter, targets []target, mode Mode, deadline time.Time, wait bool) []Entry {
	entries := make([]Entry, len(targets))
	s := &schedule{clock: e.cfg.Clock, deadline: deadline, min: e.cfg.MinDuration, stop: stop}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.Workers, len(targets)) {
		wg.Go(func() {
			for i := range jobs {
				t := targets[i]
				if why := s.start(ctx); why != "" {
					entries[i] = Entry{Name: t.name, Kind: t.kind.store.Kind(), Outcome: NotStarted, Error: why, Retryable: true,
						Err: fmt.Errorf("%w: %s", ErrNotStarted, why)}
				} else {
					entries[i] = e.reconcile(ctx, m, t, cmp.Or(t.mode, mode), deadline, wait)
					s.done(entries[i].Duration)
				}
				if e.cfg.OnEntry != nil {
					e.cfg.OnEntry(entries[i])
				}
			}
		})
	}
	for _, i := range dispatchOrder(targets) {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return entries
}

// dispatchOrder returns the order in which the workers take the targets: the kinds in turn
// (a container, a bucket, a container, ...), each kind in its own order. Each operation has its
// own rate limit, so a mixed sweep that took all containers first would leave the bucket calls'
// budget idle for its first half and take twice as long; in turn, both budgets are used at once.
func dispatchOrder(targets []target) []int {
	var kinds []*binding
	byKind := map[*binding][]int{}
	for i, t := range targets {
		if _, seen := byKind[t.kind]; !seen {
			kinds = append(kinds, t.kind)
		}
		byKind[t.kind] = append(byKind[t.kind], i)
	}
	order := make([]int, 0, len(targets))
	for len(order) < len(targets) {
		for _, k := range kinds {
			if q := byKind[k]; len(q) > 0 {
				order = append(order, q[0])
				byKind[k] = q[1:]
			}
		}
	}
	return order
}

// schedule decides whether another resource may start before the deadline. Once it refuses,
// it refuses every later one, so the report shows a clean cut.
type schedule struct {
	clock    Clock
	deadline time.Time
	min      time.Duration
	stop     context.Context // done: start nothing more (the CLI's Ctrl-C); nil never is

	mu      sync.Mutex
	stopped string
	total   time.Duration
	n       int
}

// start returns "" when a resource may start, or why not.
func (s *schedule) start(ctx context.Context) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped != "" {
		return s.stopped
	}
	if ctx.Err() != nil {
		s.stopped = fmt.Sprintf("not started: %v", context.Cause(ctx))
		return s.stopped
	}
	if s.stop != nil && s.stop.Err() != nil {
		s.stopped = fmt.Sprintf("not started: %v", context.Cause(s.stop))
		return s.stopped
	}
	estimate := s.min
	if s.n > 0 {
		estimate = max(estimate, s.total/time.Duration(s.n))
	}
	if !s.deadline.IsZero() && s.clock.Now().Add(estimate).After(s.deadline) {
		s.stopped = fmt.Sprintf("not started: less than the estimated %v left before the deadline", estimate.Round(time.Millisecond))
		return s.stopped
	}
	return ""
}

// done records how long a finished resource took.
func (s *schedule) done(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total += d
	s.n++
}

// reconcile converges one resource and reports what happened: the unit of work, shared by
// in-process runs and the work queue's worker. A panic is reported as failed. With wait false
// a busy resource fails at once instead of backing off.
func (e *Engine) reconcile(ctx context.Context, m *meter, t target, mode Mode, deadline time.Time, wait bool) (ent Entry) {
	start := e.cfg.Clock.Now()
	b := &backoff{clock: e.cfg.Clock, rand: e.cfg.Rand, base: e.cfg.BackoffBase, cap: e.cfg.BackoffCap, deadline: deadline, noWait: !wait}
	ent = Entry{Name: t.name, Kind: t.kind.store.Kind()}
	defer func() {
		if p := recover(); p != nil {
			// A bug: the same input would panic again. Reported and alarmed, not retried.
			ent.Err = Terminal(fmt.Errorf("internal error: %v", p))
			ent.Outcome, ent.Error, ent.Retryable = Failed, ent.Err.Error(), false
		}
		ent.Attempts = 1 + b.waits
		ent.Duration = e.cfg.Clock.Now().Sub(start)
	}()
	outcome, diff, err := e.converge(ctx, m, b, t, mode, &ent.ID, &ent.Profile)
	var left *leftAlone
	switch {
	case errors.As(err, &left):
		ent.Outcome, ent.Note, ent.Diff = Exempt, left.why, policy.Diff(nil, t.want)
	case errors.Is(err, errGone):
		ent.Outcome = Gone
	case err != nil:
		err = m.judge(ent.Kind, withCause(ctx, err))
		if errors.Is(err, errBusy) && Retryable(err) {
			err = &BusyError{Err: err, RetryAfter: b.next()}
		}
		ent.Outcome, ent.Error, ent.Retryable, ent.Err = Failed, err.Error(), Retryable(err), err
	default:
		ent.Outcome, ent.Diff = outcome, diff
	}
	return ent
}

// converge is the reconcile step of one resource, in the order that makes the fewest calls:
// status (from the listing, else described), waiting while busy; the policy; if it equals the
// baseline, compliant (no tag lookup: nothing will be written); else the tags (exempt), then
// the diff (audit) or the write (enforce). A write refused as stale (the resource changed since
// it was read) reads again and decides again, up to maxStale times. The resource's entryID, once
// known, is written to *id, and the entry's profile to *prof.
func (e *Engine) converge(ctx context.Context, m *meter, b *backoff, t target, mode Mode, id *string, prof **EntryProfile) (Outcome, []policy.Change, error) {
	store := t.kind.store
	var r resource
	listed := t.listed != nil
	if listed {
		r = *t.listed
	}
	err := b.patiently(ctx, func(ctx context.Context) error {
		if !listed {
			var err error
			if r, err = store.describe(ctx, m, t.name); err != nil {
				return err
			}
		}
		listed = false
		*id = r.entryID
		return r.ready()
	})
	if err != nil {
		return "", nil, err
	}
	if _, ok := store.(labelled); ok && t.listed == nil && !t.kind.selector.Match(r.selectName()) {
		return "", nil, &leftAlone{why: fmt.Sprintf("%q is not selected by the %s include and exclude patterns", r.selectName(), store.Kind())}
	}
	for stale := 0; ; stale++ {
		outcome, diff, err := e.decide(ctx, m, b, t, r, mode, prof)
		if !errors.Is(err, errStale) || stale+1 >= maxStale {
			if errors.Is(err, errStale) {
				err = fmt.Errorf("%w (read and decided %d times)", err, maxStale)
			}
			return outcome, diff, err
		}
	}
}

// decide chooses the resource's baseline (its profile, from its tags or name, else its kind's
// default), reads its policy and makes it equal to that baseline (or reports how it differs).
// Tags decide the profile, so a kind with tags reads them first, unless a sweep's bulk read
// already has them or found no profile tag: then they are read only once the resource
// drifted, to see whether it is exempt (and a profile tag added meanwhile is honoured). The
// entry's profile is written to *prof.
func (e *Engine) decide(ctx context.Context, m *meter, b *backoff, t target, r resource, mode Mode, prof **EntryProfile) (Outcome, []policy.Change, error) {
	store, kind := t.kind.store, t.kind.store.Kind()
	tags, known := t.tags, t.tags != nil || !hasTags(store)
	readTags := func() error {
		known = true
		return b.patiently(ctx, func(ctx context.Context) error {
			var err error
			tags, err = store.tags(ctx, m, r)
			return err
		})
	}
	if !known && !t.noProfileTag {
		if err := readTags(); err != nil {
			return "", nil, err
		}
	}
	var actual policy.Policy
	read := false // actual holds the policy: a second choice does not read it again
	policyOf := func() error {
		if read {
			return nil
		}
		read = true
		return b.patiently(ctx, func(ctx context.Context) error {
			var err error
			actual, err = store.getPolicy(ctx, m, r)
			return err
		})
	}
	for {
		choice := e.rules.Resolve(kind, t.name, tags)
		if choice.Source == profile.SourceExempt {
			return e.decideExempt(ctx, m, t, tags, policyOf, &actual, prof)
		}
		want, p, err := e.want(ctx, m, t, choice)
		*prof = p
		if err != nil {
			return "", nil, err
		}
		if err := policyOf(); err != nil {
			return "", nil, err
		}
		if actual != nil && policy.Equal(actual, want) {
			return Compliant, nil, nil
		}
		if !known {
			if err := readTags(); err != nil {
				return "", nil, err
			}
			if again := e.rules.Resolve(kind, t.name, tags); again.Source != choice.Source || again.Name != choice.Name {
				continue // exempt, or tagged with a profile since the bulk read: decide again
			}
		}
		diff := policy.Diff(actual, want)
		if mode == ModeAudit {
			return Drifted, diff, nil
		}
		err = b.patiently(ctx, func(ctx context.Context) error {
			return store.putPolicy(ctx, m, r, want)
		})
		if err != nil {
			return "", nil, err
		}
		return Remediated, diff, nil
	}
}

// decideExempt decides an exempt resource: compliant when its policy equals the baseline it
// would otherwise get, else exempt, and never a failure (the exemption wins even over an
// invalid or missing profile). Nothing is written. policyOf reads the policy into *actual.
func (e *Engine) decideExempt(ctx context.Context, m *meter, t target, tags map[string]string, policyOf func() error, actual *policy.Policy, prof **EntryProfile) (Outcome, []policy.Change, error) {
	*prof = &EntryProfile{Source: profile.SourceExempt}
	rules := e.rules
	rules.ExemptKey = ""
	want, p, err := e.want(ctx, m, t, rules.Resolve(t.kind.store.Kind(), t.name, tags))
	if err != nil {
		return Exempt, nil, nil
	}
	if err := policyOf(); err != nil {
		return "", nil, err
	}
	if *actual != nil && policy.Equal(*actual, want) {
		*prof = p
		return Compliant, nil, nil
	}
	return Exempt, nil, nil
}

// withCause adds to err, when it is ctx's own end, why ctx ended (the CLI's abort names the
// signal), so that the entry says more than "context canceled".
func withCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); ctx.Err() != nil && cause != ctx.Err() && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", err, cause)
	}
	return err
}
