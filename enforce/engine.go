package enforce

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"golang.org/x/time/rate"

	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// The engine is three steps, one file each:
//
//	plan.go       which resources: the baselines of the kinds a run covers, then the named
//	              resources or the listing, page by page, less what the selector leaves out
//	reconcile.go  one resource: status, policy, tags, write (the unit the work queue carries),
//	              and the bounded worker pool with its deadline that runs many of them
//	report.go     the outcome: entries, totals, call counts, the verdict
//
// Run strings them together in-process (the CLI, direct invocations, the Lambda without a work
// queue); queue.go exposes the same steps one at a time to the router and the worker.

// Engine is the reconciler. It is safe to reuse across runs (warm Lambda invocations); its
// rate limits carry over from one run to the next.
type Engine struct {
	cfg    Config
	params SSMAPI
	kinds  []*binding
	limits *limiters
	rules  profile.Rules // how each resource gets its baseline
	// versions is the newest version read of each baseline parameter, for the engine's life.
	versions *paramCache
}

// binding is one store of an Engine with the baseline parameter and selector that apply to it.
type binding struct {
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
	e := &Engine{cfg: cfg, params: params, rules: cfg.ProfileRules(), versions: newParamCache()}
	for _, s := range stores {
		if s == nil {
			return nil, errors.New("enforce: New needs an SSM client and a store")
		}
		if slices.ContainsFunc(e.kinds, func(k *binding) bool { return k.store.Kind() == s.Kind() }) {
			return nil, fmt.Errorf("enforce: two stores of kind %s", s.Kind())
		}
		if !cfg.Enforces(s.Kind()) {
			return nil, fmt.Errorf("enforce: a store of kind %s, which is not among the targets %v", s.Kind(), cfg.Targets)
		}
		param, sel := cfg.forKind(s.Kind())
		e.kinds = append(e.kinds, &binding{store: s, parameter: param, selector: sel})
	}
	for _, t := range cfg.Targets {
		if !e.has(t) {
			return nil, fmt.Errorf("enforce: no store for the target %s", t)
		}
	}
	lim := rate.Limit(cfg.Rate)
	if math.IsInf(cfg.Rate, 1) {
		lim = rate.Inf
	}
	e.limits = newLimiters(lim)
	e.limits.share("lambda", limitOf(cfg.LambdaRate))
	e.limits.share("apigateway", limitOf(cfg.APIGatewayRate))
	e.limits.share("ssm", limitOf(cfg.SSMRate), e.routerReads())
	return e, nil
}

// routerReads is the most SSM reads one router invocation makes: every kind's baseline, and
// per kind either one listing of its profile parameters (GetParametersByPath, one call per 10
// profiles: as many calls as the patterns' profiles need, at least one) when a sweep may list
// them (mayListProfiles), or every pattern's profile. It is the burst of the SSM share, so that
// a sweep's router can stamp them all at once; over time the share's rate holds.
func (e *Engine) routerReads() int {
	seen := map[string]bool{}
	pages := 0
	for _, k := range e.kinds {
		seen[k.parameter] = true
		profiles := e.rules.Parameters(k.store.Kind())
		if e.mayListProfiles(k) {
			pages += max(1, (len(profiles)+9)/10)
			continue
		}
		for _, p := range profiles {
			seen[p] = true
		}
	}
	return len(seen) + pages
}

// limitOf is r as a token bucket's rate: math.Inf(1) is no limit.
func limitOf(r float64) rate.Limit {
	if math.IsInf(r, 1) {
		return rate.Inf
	}
	return rate.Limit(r)
}

// Kinds returns the kinds of resource the engine reconciles, in the order of its stores.
func (e *Engine) Kinds() []policy.Kind {
	out := make([]policy.Kind, len(e.kinds))
	for i, k := range e.kinds {
		out[i] = k.store.Kind()
	}
	return out
}

// has reports whether the engine has a store of kind k.
func (e *Engine) has(k policy.Kind) bool { return slices.Contains(e.Kinds(), k) }

// Run reconciles what w asks for and reports the outcome of every resource: plan, then
// reconcile every planned resource on the bounded workers, then report. It never panics and
// never returns nil: run-level failures (an invalid baseline, a failed listing) are in the
// Report, whose Succeeded is then false.
func (e *Engine) Run(ctx context.Context, w Work) (rep *Report) {
	m := newMeter(e.limits)
	rep = e.newReport(w.Mode, w.Reason)
	defer func() {
		if p := recover(); p != nil {
			rep.Error = fmt.Sprintf("internal error: %v", p)
		}
		e.finish(rep, m)
	}()
	if !e.checkMode(rep) {
		return rep
	}
	work, deadline, cancel := e.withMargin(ctx)
	defer cancel()

	targets, ok := e.plan(work, m, w, rep)
	if !ok {
		return rep
	}
	if e.cfg.OnTargets != nil {
		e.cfg.OnTargets(len(targets))
	}
	rep.Entries = e.reconcileAll(work, w.Stop, m, targets, rep.Mode, deadline, true)

	if w.Sweep() {
		// A sweep took a while; a newer baseline has its own run, this one only says so.
		// The margin's first half pays for these calls; its second half is the report's.
		check, cancel := ctx, func() {}
		if d, ok := ctx.Deadline(); ok {
			check, cancel = context.WithDeadline(ctx, d.Add(-e.cfg.Margin/2))
		}
		defer cancel()
		e.checkBaselinesUnchanged(check, m, rep)
	}
	return rep
}

// newReport starts the report of a run in mode (the configured one when empty).
func (e *Engine) newReport(mode Mode, reason string) *Report {
	if mode == "" {
		mode = e.cfg.Mode
	}
	return &Report{Mode: mode, Reason: reason, Started: e.cfg.Clock.Now(), Entries: []Entry{},
		Baseline: Baseline{Parameter: e.kinds[0].parameter}}
}

// checkMode reports whether rep's mode is one the engine knows, setting rep.Error if not.
func (e *Engine) checkMode(rep *Report) bool {
	if _, ok := ParseMode(string(rep.Mode)); !ok {
		rep.Error = fmt.Sprintf("mode %q: want %q or %q", rep.Mode, ModeEnforce, ModeAudit)
		return false
	}
	return true
}

// withMargin returns ctx less the margin, and that deadline (zero when ctx has none): every
// call, wait and resource must end before it.
func (e *Engine) withMargin(ctx context.Context) (context.Context, time.Time, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return ctx, time.Time{}, func() {}
	}
	deadline := d.Add(-e.cfg.Margin)
	work, cancel := context.WithDeadline(ctx, deadline)
	return work, deadline, cancel
}

// checkBaselinesUnchanged sets rep.BaselineChangedDuringRun when a baseline the run read has a
// newer version now, or was deleted (its deletion has its own event).
func (e *Engine) checkBaselinesUnchanged(ctx context.Context, m *meter, rep *Report) {
	read := map[string]bool{}
	bs := slices.Clone(rep.Baselines)
	for _, b := range m.profiles.baselines() {
		if b.Valid { // a missing profile failed its resources; its absence is no change
			bs = append(bs, b)
		}
	}
	for _, b := range bs {
		if read[b.Parameter] {
			continue
		}
		read[b.Parameter] = true
		p, err := e.getParameter(ctx, m, b.Parameter)
		if (err == nil && p.Version != b.Version) || parameterNotFound(err) {
			rep.BaselineChangedDuringRun = true
		}
	}
}
