package enforce

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/corsguard/corsguard/policy"
)

// Defaults for the zero fields of Config.
const (
	DefaultExemptTagKey   = "corsguard:exempt"
	DefaultExemptTagValue = "true"
	DefaultMode           = ModeEnforce
	DefaultWorkers        = 4
	// DefaultRate is cautious: AWS publishes no request rate for MediaStore's control plane,
	// and at 10 calls per second per operation a sweep of the 100-container quota takes
	// about 10 s of GetCorsPolicy calls.
	DefaultRate = 10.0
	// DefaultBackoffBase and DefaultBackoffCap: a container is CREATING for seconds to a few
	// minutes; waits start around a second and never exceed 15 s, so an ACTIVE container is
	// noticed within about 15 s and a minute of waiting costs only a handful of calls.
	DefaultBackoffBase = time.Second
	DefaultBackoffCap  = 15 * time.Second
	// DefaultMargin is kept free before the Lambda deadline to finish the calls in flight,
	// write the report and return it.
	DefaultMargin = 10 * time.Second
	// DefaultMinDuration is the least time a resource is assumed to need before its start
	// is allowed near the deadline.
	DefaultMinDuration = time.Second
	// MaxWorkers bounds Workers; there are at most 100 containers per Region.
	MaxWorkers = 100
)

// Config is everything an Engine needs besides its clients. Zero fields take the defaults
// above; Parameter is required.
type Config struct {
	// Parameter is the name of the SSM parameter that holds the baseline.
	Parameter string
	// Selector chooses the resources the baseline applies to by name.
	Selector policy.Selector
	// Kinds, per kind of resource, replaces Parameter and Selector for the stores of that
	// kind: an S3 baseline of its own, include and exclude patterns for bucket names. A kind
	// without an entry uses Parameter and Selector.
	Kinds map[policy.Kind]KindConfig
	// ExemptTagKey and ExemptTagValue name the tag that exempts a resource; the value is
	// compared without regard to case.
	ExemptTagKey   string
	ExemptTagValue string
	// Mode is used when Work.Mode is empty.
	Mode Mode
	// Workers is how many resources are reconciled at once.
	Workers int
	// Rate is the most requests per second per API operation, shared by all workers, retries
	// included. math.Inf(1) means no limit.
	Rate float64
	// BackoffBase and BackoffCap shape the wait while a resource is busy (being created, or
	// in use): sleep = rand(0, min(BackoffCap, BackoffBase·2^n)) before the n-th retry.
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// Margin is the time kept free before the context's deadline: no call, wait or resource
	// is started that would end inside it.
	Margin time.Duration
	// MinDuration is the least time a resource is assumed to need; the engine estimates the
	// time of the next one as the larger of this and the mean of those finished so far.
	MinDuration time.Duration
	// Clock is the source of time; nil means the wall clock. A replacement must agree with the
	// wall clock that context deadlines use (a test clock can start at time.Now()).
	Clock Clock
	// Rand returns uniform random numbers in [0, 1) for the backoff jitter; nil means
	// math/rand/v2. It is called from several goroutines at once.
	Rand func() float64
	// OnTargets and OnEntry, when set, follow a run as it goes (the CLI's progress bar):
	// OnTargets gets the number of resources to reconcile once it is known, OnEntry each
	// resource's entry as soon as it is decided, from the worker that decided it, so possibly
	// from several goroutines at once. Both must return quickly.
	OnTargets func(n int)
	OnEntry   func(Entry)
}

// KindConfig is the baseline and selection of one kind of resource.
type KindConfig struct {
	// Parameter names the SSM parameter of this kind's baseline; empty means Config.Parameter.
	Parameter string
	// Selector chooses this kind's resources by name.
	Selector policy.Selector
}

// forKind returns the parameter and selector that apply to kind.
func (c Config) forKind(kind policy.Kind) (string, policy.Selector) {
	k, ok := c.Kinds[kind]
	if !ok {
		return c.Parameter, c.Selector
	}
	if k.Parameter == "" {
		k.Parameter = c.Parameter
	}
	return k.Parameter, k.Selector
}

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&c.ExemptTagKey, DefaultExemptTagKey)
	def(&c.ExemptTagValue, DefaultExemptTagValue)
	if c.Mode == "" {
		c.Mode = DefaultMode
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffCap == 0 {
		c.BackoffCap = max(DefaultBackoffCap, c.BackoffBase)
	}
	if c.Margin == 0 {
		c.Margin = DefaultMargin
	}
	if c.MinDuration == 0 {
		c.MinDuration = DefaultMinDuration
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c
}

// validate checks a Config that has its defaults, naming the field of every problem.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Parameter == "" {
		bad("Parameter is empty; want the name of the baseline's SSM parameter")
	}
	if _, err := policy.NewSelector(c.Selector.Include, c.Selector.Exclude); err != nil {
		bad("Selector: %w", err)
	}
	for kind, k := range c.Kinds {
		if _, err := policy.NewSelector(k.Selector.Include, k.Selector.Exclude); err != nil {
			bad("Kinds[%s].Selector: %w", kind, err)
		}
	}
	if _, ok := ParseMode(string(c.Mode)); !ok {
		bad("Mode %q: want %q or %q", c.Mode, ModeEnforce, ModeAudit)
	}
	if c.Workers < 1 || c.Workers > MaxWorkers {
		bad("Workers is %d; want 1 to %d", c.Workers, MaxWorkers)
	}
	if math.IsNaN(c.Rate) || c.Rate < 0 {
		bad("Rate is %v; want a positive number of requests per second", c.Rate)
	}
	if c.BackoffBase < 0 || c.BackoffCap < c.BackoffBase {
		bad("BackoffBase %v and BackoffCap %v: want 0 < BackoffBase <= BackoffCap", c.BackoffBase, c.BackoffCap)
	}
	if c.Margin < 0 {
		bad("Margin is %v; want a positive duration", c.Margin)
	}
	if c.MinDuration < 0 {
		bad("MinDuration is %v; want a positive duration", c.MinDuration)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("enforce config: %w", err)
	}
	return nil
}

// Engine is the reconciler. It is safe to reuse across runs (warm Lambda invocations); its
// rate limits carry over from one run to the next.
type Engine struct {
	cfg    Config
	params SSMAPI
	kinds  []*kind
	limits *limiters
}

// kind is one store of an Engine with the baseline parameter and selector that apply to it.
type kind struct {
	store     Store
	parameter string
	selector  policy.Selector
}

// New returns an Engine that reads the baselines through params and reconciles the resources
// of every store (one per kind: MediaStore containers, S3 buckets, or both), or an error that
// names every invalid field of cfg. A sweep covers every store in one run.
func New(cfg Config, params SSMAPI, stores ...Store) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if params == nil || len(stores) == 0 {
		return nil, errors.New("enforce: New needs an SSM client and a store")
	}
	e := &Engine{cfg: cfg, params: params}
	for _, s := range stores {
		if s == nil {
			return nil, errors.New("enforce: New needs an SSM client and a store")
		}
		if slices.ContainsFunc(e.kinds, func(k *kind) bool { return k.store.Kind() == s.Kind() }) {
			return nil, fmt.Errorf("enforce: two stores of kind %s", s.Kind())
		}
		param, sel := cfg.forKind(s.Kind())
		e.kinds = append(e.kinds, &kind{store: s, parameter: param, selector: sel})
	}
	lim := rate.Limit(cfg.Rate)
	if math.IsInf(cfg.Rate, 1) {
		lim = rate.Inf
	}
	e.limits = newLimiters(lim)
	return e, nil
}

// Kinds returns the kinds of resource the engine reconciles, in the order of its stores.
func (e *Engine) Kinds() []policy.Kind {
	out := make([]policy.Kind, len(e.kinds))
	for i, k := range e.kinds {
		out[i] = k.store.Kind()
	}
	return out
}

// target is one resource to reconcile: its kind, its name, what the listing said about it in
// a sweep, and the baseline it must equal.
type target struct {
	kind   *kind
	name   string
	listed *resource
	want   policy.Policy
}

// Run reconciles what w asks for and reports the outcome of every resource. It never panics and
// never returns nil: run-level failures (an invalid baseline, a failed listing) are in the
// Report, whose Succeeded is then false.
func (e *Engine) Run(ctx context.Context, w Work) (rep *Report) {
	m := newMeter(e.limits)
	rep = &Report{Mode: w.Mode, Reason: w.Reason, Started: e.cfg.Clock.Now(), Entries: []Entry{},
		Baseline: Baseline{Parameter: e.kinds[0].parameter}}
	defer func() {
		if p := recover(); p != nil {
			rep.Error = fmt.Sprintf("internal error: %v", p)
		}
		e.finish(rep, m)
	}()
	if rep.Mode == "" {
		rep.Mode = e.cfg.Mode
	}
	if _, ok := ParseMode(string(rep.Mode)); !ok {
		rep.Error = fmt.Sprintf("mode %q: want %q or %q", rep.Mode, ModeEnforce, ModeAudit)
		return rep
	}

	// work is ctx less the margin: every call, wait and resource must end before that.
	work, deadline := ctx, time.Time{}
	if d, ok := ctx.Deadline(); ok {
		deadline = d.Add(-e.cfg.Margin)
		var cancel context.CancelFunc
		work, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}

	// Only the kinds with work read a baseline: an event about a bucket does not fail on the
	// containers' baseline.
	sweep := w.sweep()
	var active []*kind
	for _, k := range e.kinds {
		if sweep || len(w.named(k.store.Kind())) > 0 {
			active = append(active, k)
		}
	}
	if len(active) == 0 {
		active = e.kinds[:1] // nothing of ours is named; the run still says which baseline applies
	}
	wants := e.loadBaselines(work, m, active, rep)

	var targets []target
	var errs []string
	for _, k := range active {
		want, ok := wants[k]
		if !ok {
			continue // its baseline is invalid: nothing of this kind is touched
		}
		ts, err := e.targets(work, m, k, w, rep)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for i := range ts {
			ts[i].want = want
		}
		targets = append(targets, ts...)
	}
	for _, name := range w.Containers {
		if !e.has(policy.MediaStore) && !slices.Contains(rep.Excluded, name) {
			rep.Excluded = append(rep.Excluded, name)
		}
	}
	for _, name := range w.Buckets {
		if !e.has(policy.S3) && !slices.Contains(rep.Excluded, name) {
			rep.Excluded = append(rep.Excluded, name)
		}
	}
	slices.Sort(rep.Excluded)
	rep.Error = strings.Join(errs, "; ")
	if len(targets) == 0 && (len(wants) == 0 || rep.Error != "") {
		return rep
	}
	if e.cfg.OnTargets != nil {
		e.cfg.OnTargets(len(targets))
	}
	rep.Entries = e.reconcileAll(work, m, targets, rep.Mode, deadline)

	if sweep {
		// A sweep took a while; a newer baseline has its own run, this one only says so.
		// The margin pays for these calls, which may use it but not outlive ctx.
		read := map[string]bool{}
		for _, b := range rep.Baselines {
			if read[b.Parameter] {
				continue
			}
			read[b.Parameter] = true
			// A deleted parameter has changed too: its deletion has its own event.
			p, err := e.getParameter(ctx, m, b.Parameter)
			if (err == nil && p.Version != b.Version) || parameterNotFound(err) {
				rep.BaselineChangedDuringRun = true
			}
		}
	}
	return rep
}

// has reports whether the engine has a store of kind k.
func (e *Engine) has(k policy.Kind) bool { return slices.Contains(e.Kinds(), k) }

// targets returns the resources of kind k a run reconciles, sorted by name: the named ones,
// or every listed one; those the selector leaves out go to rep.Excluded.
func (e *Engine) targets(ctx context.Context, m *meter, k *kind, w Work, rep *Report) ([]target, error) {
	var out []target
	if !w.sweep() {
		for _, name := range w.named(k.store.Kind()) {
			if slices.ContainsFunc(out, func(t target) bool { return t.name == name }) || slices.Contains(rep.Excluded, name) {
				continue
			}
			if !k.selector.Match(name) {
				rep.Excluded = append(rep.Excluded, name)
				continue
			}
			out = append(out, target{kind: k, name: name})
		}
	} else {
		listed, err := k.store.list(ctx, m)
		if err != nil {
			return nil, err
		}
		for i := range listed {
			if !k.selector.Match(listed[i].name) {
				rep.Excluded = append(rep.Excluded, listed[i].name)
				continue
			}
			out = append(out, target{kind: k, name: listed[i].name, listed: &listed[i]})
		}
	}
	slices.SortFunc(out, func(a, b target) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// reconcileAll runs the targets on the bounded worker pool and returns their entries in order.
func (e *Engine) reconcileAll(ctx context.Context, m *meter, targets []target, mode Mode, deadline time.Time) []Entry {
	entries := make([]Entry, len(targets))
	s := &schedule{clock: e.cfg.Clock, deadline: deadline, min: e.cfg.MinDuration}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.Workers, len(targets)) {
		wg.Go(func() {
			for i := range jobs {
				t := targets[i]
				if why := s.start(ctx); why != "" {
					entries[i] = Entry{Name: t.name, Kind: t.kind.store.Kind(), Outcome: NotStarted, Error: why}
				} else {
					entries[i] = e.reconcile(ctx, m, t, mode, deadline)
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
	var kinds []*kind
	byKind := map[*kind][]int{}
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
	if err := ctx.Err(); err != nil {
		s.stopped = fmt.Sprintf("not started: %v", err)
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

// reconcile converges one resource and reports what happened. A panic is reported as failed.
func (e *Engine) reconcile(ctx context.Context, m *meter, t target, mode Mode, deadline time.Time) (ent Entry) {
	start := e.cfg.Clock.Now()
	b := &backoff{clock: e.cfg.Clock, rand: e.cfg.Rand, base: e.cfg.BackoffBase, cap: e.cfg.BackoffCap, deadline: deadline}
	ent = Entry{Name: t.name, Kind: t.kind.store.Kind()}
	defer func() {
		if p := recover(); p != nil {
			ent.Outcome, ent.Error = Failed, fmt.Sprintf("internal error: %v", p)
		}
		ent.Attempts = 1 + b.waits
		ent.Duration = e.cfg.Clock.Now().Sub(start)
	}()
	outcome, diff, err := e.converge(ctx, m, b, t, mode)
	switch {
	case errors.Is(err, errGone):
		ent.Outcome = Gone
	case err != nil:
		ent.Outcome, ent.Error = Failed, err.Error()
	default:
		ent.Outcome, ent.Diff = outcome, diff
	}
	return ent
}

// converge is the reconcile step of one resource, in the order that makes the fewest calls:
// status (from the listing, else described), waiting while busy; the policy; if it equals the
// baseline, compliant (no tag lookup: nothing will be written); else the tags (exempt), then
// the diff (audit) or the write (enforce).
func (e *Engine) converge(ctx context.Context, m *meter, b *backoff, t target, mode Mode) (Outcome, []policy.Change, error) {
	store, want := t.kind.store, t.want
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
		return r.ready()
	})
	if err != nil {
		return "", nil, err
	}

	var actual policy.Policy
	err = b.patiently(ctx, func(ctx context.Context) error {
		var err error
		actual, err = store.getPolicy(ctx, m, r)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if actual != nil && policy.Equal(actual, want) {
		return Compliant, nil, nil
	}

	var tags map[string]string
	err = b.patiently(ctx, func(ctx context.Context) error {
		var err error
		tags, err = store.tags(ctx, m, r)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if v, ok := tags[e.cfg.ExemptTagKey]; ok && strings.EqualFold(v, e.cfg.ExemptTagValue) {
		return Exempt, nil, nil
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

// finish fills in the totals, the call counts, the duration and the verdict.
func (e *Engine) finish(rep *Report, m *meter) {
	rep.Totals = make(map[Outcome]int, len(Outcomes()))
	for _, o := range Outcomes() {
		rep.Totals[o] = 0
	}
	for _, ent := range rep.Entries {
		rep.Totals[ent.Outcome]++
	}
	rep.APICalls = m.counts()
	rep.Duration = e.cfg.Clock.Now().Sub(rep.Started)
	rep.Succeeded = rep.Baseline.Valid && rep.Error == "" &&
		rep.Totals[Failed] == 0 && rep.Totals[NotStarted] == 0
}
