package enforce

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
		// Two stamps of one parameter may come to one version: reported once.
		if !slices.ContainsFunc(out, func(b Baseline) bool { return b.Parameter == r.b.Parameter && b.Version == r.b.Version }) {
			out = append(out, r.b)
		}
	}
	return out
}

// profileBaseline returns the baseline in parameter for kind, at the version stamp asks (0:
// its latest; see resolve), once per run and stamp.
func (e *Engine) profileBaseline(ctx context.Context, m *meter, c *profileCache, kind policy.Kind, name, parameter string, stamp int64) (Baseline, policy.Policy) {
	key := fmt.Sprintf("%s:%d", parameter, stamp)
	c.mu.Lock()
	r, ok := c.reads[key]
	if !ok {
		r = &profileRead{}
		c.reads[key] = r
	}
	c.mu.Unlock()
	r.once.Do(func() {
		r.b, r.want = e.baselineAt(ctx, m, kind, parameter, stamp, false)
		r.b.Profile = name
	})
	return r.b, r.want
}

// want returns the baseline that choice gives a resource of t's kind, and the entry's profile.
// An invalid profile, a missing parameter and an invalid baseline are terminal; a read that a
// retry can fix (throttling) is retryable.
func (e *Engine) want(ctx context.Context, m *meter, t target, choice profile.Choice) (policy.Policy, *EntryProfile, error) {
	kind := t.kind.store.Kind()
	if !choice.Profiled() {
		prof := &EntryProfile{Name: DefaultProfile, Source: profile.SourceDefault, Parameter: t.base.Parameter, Version: t.base.Version}
		if t.want == nil {
			// A run of one profile reads no default baseline: a resource that left the
			// profile since it was listed is its own event's or the next sweep's.
			return nil, prof, Terminal(fmt.Errorf("%s no longer has a profile: this run converges one profile only", t.name))
		}
		return t.want, prof, nil
	}
	prof := &EntryProfile{Name: choice.Name, Source: choice.Source, Parameter: choice.Parameter}
	if choice.Err != nil {
		return nil, prof, Terminal(choice.Err)
	}
	if t.profiles == nil {
		return nil, prof, Terminal(fmt.Errorf("profile %s: this run reads no profile", choice.Name))
	}
	b, want := e.profileBaseline(ctx, m, t.profiles, kind, choice.Name, choice.Parameter, t.stamps[choice.Parameter])
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
				b, _ := e.profileBaseline(ctx, m, m.profiles, k.store.Kind(), c.Name, c.Parameter, 0)
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

// ProfileRef names one profile of one kind: the baseline in the parameter <path><Kind>/<Name>.
// A change of that parameter converges exactly the resources of that kind whose profile it is.
type ProfileRef struct {
	Kind policy.Kind `json:"kind"`
	Name string      `json:"name"`
}

// profiled is one resource a profile listing found, with every tag it carries (nil for a kind
// without tags).
type profiled struct {
	res  resource
	tags map[string]string
}

// The phases of a profile listing, the prefixes of its tokens: first the resources tagged
// with the profile (S3: GetResources filtered by the tag and its value, one call per 100),
// then, when a pattern names the profile, the kind's listing for the names it matches.
const (
	phaseTagged = "tagged:"
	phaseNamed  = "named:"
)

// taggedPhase is the first phase of a profile's listing where the store reads tags in bulk: a
// page of the resources whose profile tag names the profile (mine says which are its); next
// is the tagged phase's next page, else the named phase when a pattern names the profile too.
func (e *Engine) taggedPhase(ctx context.Context, m *meter, k *binding, bt bulkTagger, name, tok string, patterned bool,
	mine func(string, map[string]string, profile.Source) bool) (out []profiled, excluded []string, next string, err error) {
	tagged, more, _, err := bt.taggedPage(ctx, m, e.rules.TagKey, name, tok)
	if err != nil {
		return nil, nil, "", err
	}
	for _, n := range slices.Sorted(maps.Keys(tagged)) {
		switch {
		case !k.selector.Match(n):
			excluded = append(excluded, n)
		case mine(n, tagged[n], profile.SourceTag):
			out = append(out, profiled{res: bucketResource(n), tags: tagged[n]})
		}
	}
	switch {
	case more != "":
		return out, excluded, phaseTagged + more, nil
	case !patterned:
		return out, excluded, "", nil // no pattern names it: its tagged resources are all
	}
	return out, excluded, phaseNamed, nil
}

// profilePage returns one page of the resources of k whose baseline is the profile name's:
// tagged with it, or matched first by its pattern and tagged with no other profile; never an
// exempt one (the exemption wins). The page's token is the engine's own ("" first, "" after
// the last). A store that reads tags in bulk (S3 with the Tagging API) reads no resource's tags
// one by one: its tagged resources come 100 to a call, and the pattern's candidates of each
// listed page have their tags read 100 to a call; another store reads the tags of each listed
// resource (MediaStore: at most 100), and a kind without tags (CloudFront) is chosen by name.
// excluded are the listed resources the selector leaves out.
func (e *Engine) profilePage(ctx context.Context, m *meter, k *binding, name, token string) (out []profiled, excluded []string, next string, err error) {
	kind := k.store.Kind()
	bt, bulk := k.store.(bulkTagger)
	bulk = bulk && bt.readsInBulk()
	patterned := slices.ContainsFunc(e.rules.Patterns, func(p profile.Pattern) bool { return p.Name == name })
	mine := func(n string, tags map[string]string, src profile.Source) bool {
		c := e.rules.Resolve(kind, n, tags)
		return c.Source == src && c.Name == name && c.Err == nil
	}
	if token == "" {
		token = phaseNamed
		if bulk && e.rules.TagKey != "" {
			token = phaseTagged
		}
	}
	if tok, ok := strings.CutPrefix(token, phaseTagged); ok && bulk {
		return e.taggedPhase(ctx, m, k, bt, name, tok, patterned, mine)
	} else if ok {
		token = phaseNamed // the store no longer reads in bulk: list it, reading each one's tags
	}
	tok, ok := strings.CutPrefix(token, phaseNamed)
	if !ok {
		return nil, nil, "", Terminal(fmt.Errorf("profile %s: listing token %q is not one of ours", name, token))
	}
	listed, more, err := k.store.listPage(ctx, m, tok)
	if err != nil {
		return nil, nil, "", err
	}
	if more != "" {
		next = phaseNamed + more
	}
	readsTags := hasTags(k.store) && (e.rules.TagKey != "" || e.rules.ExemptKey != "")
	var candidates []resource
	for _, r := range listed {
		switch {
		case !k.selector.Match(r.selectName()):
			excluded = append(excluded, r.name)
		case bulk || !readsTags || e.rules.TagKey == "":
			// Tagged resources came in the first phase (or no tag names a profile): only the
			// names the profile's pattern matches first can be its.
			if mine(r.name, nil, profile.SourcePattern) {
				candidates = append(candidates, r)
			}
		default:
			candidates = append(candidates, r) // any of them may carry the profile's tag
		}
	}
	if !readsTags {
		for _, r := range candidates {
			out = append(out, profiled{res: r})
		}
		return out, excluded, next, nil
	}
	var tags map[string]map[string]string
	if bulk && len(candidates) > 0 {
		names := make([]string, len(candidates))
		for i, r := range candidates {
			names[i] = r.name
		}
		if tags, _, err = bt.tagsOf(ctx, m, names); err != nil {
			return nil, nil, "", err
		}
	}
	for _, r := range candidates {
		t, read := tags[r.name]
		if !read {
			if t, err = k.store.tags(ctx, m, r); err != nil {
				return nil, nil, "", fmt.Errorf("profile %s: tags of %s: %w", name, r.name, err)
			}
		}
		if mine(r.name, t, profile.SourcePattern) || (!bulk && mine(r.name, t, profile.SourceTag)) {
			out = append(out, profiled{res: r, tags: t})
		}
	}
	return out, excluded, next, nil
}

// ProfileBaseline reads and validates the baseline of one profile of one kind, as a run of
// that profile does first, and reports it (rep.Baseline; no entries; Succeeded when it is
// valid). The router checks it before it enqueues a profile's resources: a missing or invalid
// one then changes nothing and is reported once, not once per resource.
func (e *Engine) ProfileBaseline(ctx context.Context, ref ProfileRef, mode Mode, reason string) (rep *Report) {
	m := newMeter(e.limits)
	rep = e.newReport(mode, reason)
	defer e.finish(rep, m)
	if err := profile.ValidName(ref.Name); err != nil {
		rep.Baseline = Baseline{Kind: ref.Kind, Profile: ref.Name, Error: err.Error()}
		return rep
	}
	// The router's read: budgeted and stamped, as Baselines' are.
	parameter := profile.Parameter(e.rules.Path, ref.Kind, ref.Name)
	b, _ := e.baselineAt(ctx, m, ref.Kind, parameter, 0, true)
	b.Profile = ref.Name
	rep.Baseline = b
	if !b.Unread {
		rep.Profiles = append(rep.Profiles, b)
		if r, ok := m.fresh(parameter); ok && r.v != nil && b.Valid {
			rep.stamp(ref.Kind, Stamps{parameter: r.v.version}, StampTimes{}.add(r.v))
		}
	}
	return rep
}

// readProfileBaseline reads ref's baseline once per run (the run's profile cache) and returns it.
func (e *Engine) readProfileBaseline(ctx context.Context, m *meter, ref ProfileRef) Baseline {
	parameter := profile.Parameter(e.rules.Path, ref.Kind, ref.Name)
	if err := profile.ValidName(ref.Name); err != nil {
		return Baseline{Kind: ref.Kind, Profile: ref.Name, Error: err.Error()}
	}
	b, _ := e.profileBaseline(ctx, m, m.profiles, ref.Kind, ref.Name, parameter, 0)
	return b
}

// planProfile plans a run of one profile (w.Profile): its baseline first (nothing is touched
// under a missing or invalid one), then its resources, listed by profilePage. It returns false
// when there is nothing to reconcile.
func (e *Engine) planProfile(ctx context.Context, m *meter, w Work, rep *Report) ([]target, bool) {
	ref := *w.Profile
	i := slices.IndexFunc(e.kinds, func(k *binding) bool { return k.store.Kind() == ref.Kind })
	if i < 0 {
		rep.Baseline.Valid = true
		rep.Notes = append(rep.Notes, fmt.Sprintf("profile %s of %s: %s is not a target, nothing to do", ref.Name, ref.Kind, ref.Kind))
		return nil, false
	}
	k := e.kinds[i]
	rep.Baseline = e.readProfileBaseline(ctx, m, ref)
	if !rep.Baseline.Valid {
		return nil, false
	}
	var out []target
	base := Baseline{Kind: ref.Kind, Parameter: k.parameter}
	for token := ""; ; {
		page, excluded, next, err := e.profilePage(ctx, m, k, ref.Name, token)
		if err != nil {
			rep.KindErrors = append(rep.KindErrors, NewKindError(ref.Kind, m.judge(ref.Kind, err)))
			return nil, false
		}
		rep.Excluded = append(rep.Excluded, excluded...)
		for _, p := range page {
			t := target{kind: k, name: p.res.name, listed: &p.res, base: base, profiles: m.profiles, tags: p.tags}
			if t.tags == nil && hasTags(k.store) {
				t.tags = map[string]string{}
			}
			out = append(out, t)
		}
		if token = next; token == "" {
			break
		}
	}
	slices.Sort(rep.Excluded)
	slices.SortFunc(out, func(a, b target) int { return strings.Compare(a.name, b.name) })
	return out, len(out) > 0
}
