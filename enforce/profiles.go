package enforce

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// Profiles: each resource's baseline is its kind's default, or the baseline of the profile its
// tag or name gives it (package profile decides which). A profile's baseline for a kind is a
// parameter of its own, read once per run the first time a resource needs it, and validated
// with the kind's rules. A resource whose profile is invalid, missing or whose baseline is
// invalid fails terminally: it never falls back to the default.

// EntryProfile is the baseline one entry was held to: the profile, why, its parameter and the
// version read. The default baseline is the profile "default" with the source "default".
type EntryProfile struct {
	Name      string         `json:"name,omitempty"`
	Source    profile.Source `json:"source"`
	Parameter string         `json:"parameter,omitempty"`
	Version   int64          `json:"version,omitempty"`
}

// DefaultProfile is the name of the default baseline in reports.
const DefaultProfile = "default"

// profileCache holds, for one run, the baseline of every profile parameter read so far.
type profileCache struct {
	mu    sync.Mutex
	reads map[string]*profileRead
}

type profileRead struct {
	once sync.Once
	b    Baseline
	want policy.Policy
}

func newProfileCache() *profileCache { return &profileCache{reads: map[string]*profileRead{}} }

// baselines returns the profile baselines read so far, in no order.
func (c *profileCache) baselines() []Baseline {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Baseline
	for _, r := range c.reads {
		out = append(out, r.b)
	}
	return out
}

// profileBaseline reads, parses and validates the baseline in parameter for kind, once per run.
func (e *Engine) profileBaseline(ctx context.Context, m *meter, c *profileCache, kind policy.Kind, name, parameter string) (Baseline, policy.Policy) {
	c.mu.Lock()
	r, ok := c.reads[parameter]
	if !ok {
		r = &profileRead{}
		c.reads[parameter] = r
	}
	c.mu.Unlock()
	r.once.Do(func() {
		b, value := e.readBaseline(ctx, m, parameter)
		b.Kind, b.Profile = kind, name
		if value != nil {
			if p := parseBaseline(&b, kind, *value); p != nil {
				if err := policy.Validate(p, kind); err != nil {
					b.Error = fmt.Sprintf("baseline %s version %d: %v", b.Parameter, b.Version, err)
					var verr *policy.ValidationError
					if errors.As(err, &verr) {
						b.Errors = verr.Problems
					}
				} else {
					b.Valid, r.want = true, p
				}
			}
		}
		r.b = b
	})
	return r.b, r.want
}

// want returns the baseline that choice gives a resource of t's kind, and the entry's profile.
// An invalid profile, a missing parameter and an invalid baseline are terminal; a read that a
// retry can fix (throttling) is retryable.
func (e *Engine) want(ctx context.Context, m *meter, t target, choice profile.Choice) (policy.Policy, *EntryProfile, error) {
	kind := t.kind.store.Kind()
	if !choice.Profiled() {
		return t.want, &EntryProfile{Name: DefaultProfile, Source: profile.SourceDefault, Parameter: t.base.Parameter, Version: t.base.Version}, nil
	}
	prof := &EntryProfile{Name: choice.Name, Source: choice.Source, Parameter: choice.Parameter}
	if choice.Err != nil {
		return nil, prof, Terminal(choice.Err)
	}
	if t.profiles == nil {
		return nil, prof, Terminal(fmt.Errorf("profile %s: this run reads no profile", choice.Name))
	}
	b, want := e.profileBaseline(ctx, m, t.profiles, kind, choice.Name, choice.Parameter)
	prof.Version = b.Version
	if !b.Valid {
		err := fmt.Errorf("profile %s (%s) for %s: %s", choice.Name, choice.Source, kind, b.Error)
		if b.Retryable {
			return nil, prof, err
		}
		return nil, prof, Terminal(err)
	}
	return want, prof, nil
}

// hasTags reports whether resources of the store's kind carry tags (CloudFront response
// headers policies do not: only patterns give them a profile).
func hasTags(s Store) bool { return s.Kind() != policy.CloudFront }
