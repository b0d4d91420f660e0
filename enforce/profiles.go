package enforce

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// ProfileEntry is one resource with the baseline it gets, as `corsguard profiles` lists it.
type ProfileEntry struct {
	Name      string         `json:"name"`
	Kind      policy.Kind    `json:"kind"`
	Profile   string         `json:"profile"`
	Source    profile.Source `json:"source"`
	Parameter string         `json:"parameter,omitempty"`
	Version   int64          `json:"version,omitempty"`
	// Error says why the profile cannot be used: an invalid name, a missing parameter, a
	// baseline the kind's rules refuse. Such a resource is a terminal failure in a run.
	Error string `json:"error,omitempty"`
}

// ProfileListing is every matching resource with its profile.
type ProfileListing struct {
	Entries  []ProfileEntry `json:"entries"`
	Excluded []string       `json:"excluded,omitempty"`
	// Error is why a kind could not be listed.
	Error    string         `json:"error,omitempty"`
	APICalls map[string]int `json:"api_calls"`
}

// Unusable counts the resources whose profile is missing or invalid.
func (l *ProfileListing) Unusable() int {
	n := 0
	for _, e := range l.Entries {
		if e.Error != "" {
			n++
		}
	}
	return n
}

// Profiles lists every matching resource of every kind with the baseline it gets and why (the
// profile tag, a pattern, or the default), reading the tags as a sweep does (S3's in bulk)
// and each profile's baseline once, and writes nothing. The exemption tag is not looked at:
// an audit says which resources are exempt.
func (e *Engine) Profiles(ctx context.Context) *ProfileListing {
	m := newMeter(e.limits)
	out := &ProfileListing{Entries: []ProfileEntry{}}
	rep := &Report{}
	e.loadBaselines(ctx, m, e.kinds, rep)
	rules := e.rules
	rules.ExemptKey = ""
	var errs []string
	for _, k := range e.kinds {
		ts, err := e.targets(ctx, m, k, Work{}, rep)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", k.store.Kind(), m.judge(k.store.Kind(), err)))
			continue
		}
		base := kindBaseline(rep, k)
		for _, t := range ts {
			tags := t.tags
			if tags == nil && hasTags(k.store) && !t.noProfileTag {
				if tags, err = k.store.tags(ctx, m, *t.listed); err != nil {
					out.Entries = append(out.Entries, ProfileEntry{Name: t.name, Kind: k.store.Kind(), Error: err.Error()})
					continue
				}
			}
			c := rules.Resolve(k.store.Kind(), t.name, tags)
			ent := ProfileEntry{Name: t.name, Kind: k.store.Kind(), Profile: c.Name, Source: c.Source, Parameter: c.Parameter}
			switch {
			case !c.Profiled():
				ent.Profile, ent.Parameter, ent.Version = DefaultProfile, base.Parameter, base.Version
				if !base.Valid {
					ent.Error = base.Error
				}
			case c.Err != nil:
				ent.Error = c.Err.Error()
			default:
				b, _ := e.profileBaseline(ctx, m, m.profiles, k.store.Kind(), c.Name, c.Parameter)
				ent.Version = b.Version
				if !b.Valid {
					ent.Error = b.Error
				}
			}
			out.Entries = append(out.Entries, ent)
		}
	}
	out.Excluded = rep.Excluded
	out.Error = strings.Join(errs, "; ")
	out.APICalls = m.counts()
	return out
}
