package enforce

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/corsguard/corsguard/policy"
)

// Inspection is one resource's CORS policy beside the baseline it is held to (its profile's,
// or its kind's default), as Inspect read them. Nothing was written.
type Inspection struct {
	// Baseline is that baseline as a run would have it: read, parsed and validated with the
	// kind's rules. When it is not Valid, Want is nil and Actual was not read.
	Baseline Baseline
	// Profile is the resource's profile and why (tag, pattern, default).
	Profile *EntryProfile
	// Want is the baseline's policy.
	Want policy.Policy
	// Actual is the resource's policy, nil when it has none.
	Actual policy.Policy
}

// Inspect reads the baseline that applies to the named resource of kind of (its profile's, from
// its tags and name, else its kind's), and the resource's policy, with the very calls,
// validation and error handling of a run, and writes nothing: what `corsguard diff` shows.
// The selector and the exemption do not apply (the resource is named on purpose) and nothing
// waits: a resource still being created is an error, and so is one that does not exist
// (wrapping the service's own error), and one whose profile is invalid.
func (e *Engine) Inspect(ctx context.Context, of policy.Kind, name string) (*Inspection, error) {
	i := slices.IndexFunc(e.kinds, func(k *binding) bool { return k.store.Kind() == of })
	if i < 0 {
		return nil, fmt.Errorf("inspect %s: the engine has no store of kind %s", name, of)
	}
	k := e.kinds[i]
	m := newMeter(e.limits)
	rep := &Report{}
	wants := e.loadBaselines(ctx, m, []*binding{k}, rep)
	in := &Inspection{Baseline: rep.Baselines[0]}
	want, ok := wants[k]
	if !ok {
		return in, nil
	}
	in.Want = want
	r, err := k.store.describe(ctx, m, name)
	if err == nil {
		err = r.ready()
	}
	var tags map[string]string
	if err == nil && hasTags(k.store) {
		tags, err = k.store.tags(ctx, m, r)
	}
	if err == nil {
		rules := e.rules
		rules.ExemptKey = ""
		t := target{kind: k, name: name, want: want, base: in.Baseline, profiles: m.profiles}
		c := rules.Resolve(of, name, tags)
		in.Want, in.Profile, err = e.want(ctx, m, t, c)
		if c.Profiled() {
			for _, b := range m.profiles.baselines() {
				in.Baseline = b
			}
		}
		if err != nil && c.Err == nil && !in.Baseline.Valid {
			return in, nil // the profile's baseline is unusable: Baseline says why
		}
	}
	if err == nil {
		in.Actual, err = k.store.getPolicy(ctx, m, r)
		var left *leftAlone
		if errors.As(err, &left) { // a CloudFront policy without a CorsConfig: it has none
			in.Actual, err = nil, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", of, name, err)
	}
	return in, nil
}
