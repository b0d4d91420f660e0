package enforce

import (
	"context"
	"slices"
	"strings"

	"github.com/corsguard/corsguard/policy"
)

// target is one resource to reconcile: its kind, its name, what the listing said about it in
// a sweep, and the baseline it must equal.
type target struct {
	kind   *binding
	name   string
	listed *resource
	want   policy.Policy
	mode   Mode // the work queue's own mode for this resource; "" means the run's
	// base is the kind's default baseline, as read (want is its policy).
	base Baseline
	// profiles holds the run's profile baselines; nil reads none.
	profiles *profileCache
	// stamps are the baseline versions the work queue's message was planned with.
	stamps Stamps
	// tags, when not nil, are every tag of the resource, read in bulk; noProfileTag says a
	// bulk read found it without the profile tag (its other tags are read only if needed).
	tags         map[string]string
	noProfileTag bool
	// freshTags: read the resource's own tags, not the bulk answer (a tag call just now).
	freshTags bool
}

// plan decides which resources a run reconciles. Only the kinds with work read a baseline (an
// event about a bucket does not fail on the containers' baseline), and nothing of a kind whose
// baseline is invalid is touched. The targets are the named resources, or every listed one
// (page by page); the selector's leftovers go to rep.Excluded, failed listings to rep.KindErrors
// (plan per kind: the other kinds go on).
// It returns false when there is nothing to reconcile and the run should stop there.
func (e *Engine) plan(ctx context.Context, m *meter, w Work, rep *Report) ([]target, bool) {
	sweep := w.Sweep()
	if sweep && w.Profile != nil {
		return e.planProfile(ctx, m, w, rep)
	}
	var active []*binding
	for _, k := range e.kinds {
		if sweep || len(w.Named(k.store.Kind())) > 0 {
			active = append(active, k)
		}
	}
	if len(active) == 0 {
		active = e.kinds[:1] // nothing of ours is named; the run still says which baseline applies
	}
	wants := e.loadBaselines(ctx, m, active, rep)

	var targets []target
	for _, k := range active {
		want, ok := wants[k]
		if !ok {
			continue // its baseline is invalid: nothing of this kind is touched
		}
		ts, err := e.targets(ctx, m, k, w, rep)
		if err != nil {
			rep.KindErrors = append(rep.KindErrors, NewKindError(k.store.Kind(), m.judge(k.store.Kind(), err)))
			continue
		}
		base := kindBaseline(rep, k)
		for i := range ts {
			ts[i].want, ts[i].base, ts[i].profiles = want, base, m.profiles
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
	for _, name := range w.Policies {
		if !e.has(policy.CloudFront) && !slices.Contains(rep.Excluded, name) {
			rep.Excluded = append(rep.Excluded, name)
		}
	}
	for _, k := range []policy.Kind{policy.LambdaURL, policy.HTTPAPI} {
		for _, name := range w.Named(k) {
			if !e.has(k) && !slices.Contains(rep.Excluded, name) {
				rep.Excluded = append(rep.Excluded, name)
			}
		}
	}
	slices.Sort(rep.Excluded)
	if len(targets) == 0 && (len(wants) == 0 || len(rep.KindErrors) > 0) {
		return nil, false
	}
	return targets, true
}

// targets returns the resources of kind k a run reconciles, sorted by name: the named ones,
// or every listed one; those the selector leaves out go to rep.Excluded.
func (e *Engine) targets(ctx context.Context, m *meter, k *binding, w Work, rep *Report) ([]target, error) {
	var out []target
	if !w.Sweep() {
		for _, name := range w.Named(k.store.Kind()) {
			if slices.ContainsFunc(out, func(t target) bool { return t.name == name }) || slices.Contains(rep.Excluded, name) {
				continue
			}
			if !k.selects(name) {
				rep.Excluded = append(rep.Excluded, name)
				continue
			}
			out = append(out, target{kind: k, name: name})
		}
	} else {
		listed, err := listAll(ctx, m, k.store)
		if err != nil {
			return nil, err
		}
		for i := range listed {
			if !k.selector.Match(listed[i].selectName()) {
				rep.Excluded = append(rep.Excluded, listed[i].name)
				continue
			}
			out = append(out, target{kind: k, name: listed[i].name, listed: &listed[i]})
		}
		// A sweep learns in bulk which resources carry the profile tag (one call per 100 of
		// them), instead of reading every resource's tags.
		if bt, ok := k.store.(bulkTagger); ok && len(out) > 0 {
			tagged, ok, err := bt.taggedWith(ctx, m, e.rules.TagKey)
			if err != nil {
				return nil, err
			}
			for i := range out {
				if tags, in := tagged[out[i].name]; in {
					out[i].tags = tags
				} else {
					out[i].noProfileTag = ok
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b target) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// kindBaseline returns the baseline rep read for k's kind.
func kindBaseline(rep *Report, k *binding) Baseline {
	for _, b := range rep.Baselines {
		if b.Kind == k.store.Kind() {
			return b
		}
	}
	return Baseline{Kind: k.store.Kind(), Parameter: k.parameter}
}

// listAll lists every resource of store, page by page.
func listAll(ctx context.Context, m *meter, store Store) ([]resource, error) {
	var out []resource
	token := ""
	for {
		page, next, err := store.listPage(ctx, m, token)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		token = next
	}
}
