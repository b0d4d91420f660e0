package enforce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// The work queue's steps. Run does plan, reconcile and report in one process; the work queue
// takes them apart: its router checks the baselines and lists page by page (ListPage), and its
// worker reconciles the resources of one batch of messages (Reconcile), each with the very code
// a run uses for one resource.

// Item is one resource as the work queue carries it: the unit of work.
type Item struct {
	Kind policy.Kind
	Name string
	// Mode is the item's own mode; "" means the configured one.
	Mode Mode
	// FreshTags says the resource's tags changed just now: its own tags are read (S3:
	// GetBucketTagging), never the Tagging API's bulk answer, which can lag a new tag.
	FreshTags bool
	// Baselines are the versions the router read of the baselines that may apply to the item
	// (its kind's, and the profiles' it knew of): the item applies, for each, the newer of
	// that version and the engine's cached one. A parameter it does not name is read at its
	// latest version (once per Reconcile).
	Baselines Stamps
}

// Reconcile reconciles each item once, as a run reconciles one resource, on the engine's
// workers and within ctx's deadline less the margin. Each kind's baseline is applied at the
// newer of the items' stamps and the engine's cached version, read only when the cache holds
// no version that new (NAME:VERSION), or at its latest version, read once, when an item of the
// kind carries no stamp for it: an item never applies a baseline older than the one it was
// planned with, and an unstamped one never one older than when the batch began; an item of
// a kind whose baseline is invalid, like one of a kind the engine has no store for or one the
// selector leaves out, is not touched (Excluded lists the latter two). A busy resource is not
// waited for: it fails at once, for the caller to retry later; the work queue gives its message
// back with a delay, which costs no function time. Entries follow the order of items, less the
// excluded ones; rep.Mode is the configured mode. Items should name distinct resources: the
// queue's message groups hand out one message per resource at a time.
func (e *Engine) Reconcile(ctx context.Context, items []Item, reason string) (rep *Report) {
	m := newMeter(e.limits)
	rep = e.newReport("", reason)
	defer func() {
		if p := recover(); p != nil {
			rep.Error = fmt.Sprintf("internal error: %v", p)
		}
		e.finish(rep, m)
	}()
	work, deadline, cancel := e.withMargin(ctx)
	defer cancel()

	var active []*binding
	for _, k := range e.kinds {
		if slices.ContainsFunc(items, func(it Item) bool { return it.Kind == k.store.Kind() }) {
			active = append(active, k)
		}
	}
	if len(active) == 0 {
		active = e.kinds[:1]
	}
	wants := e.loadBaselinesAt(work, m, active, rep, need(items, active), false)

	var targets []target
	for _, it := range items {
		i := slices.IndexFunc(active, func(k *binding) bool { return k.store.Kind() == it.Kind })
		if i < 0 || !active[i].selects(it.Name) {
			rep.Excluded = append(rep.Excluded, it.Name)
			continue
		}
		mode, ok := ParseMode(string(cmp.Or(it.Mode, rep.Mode)))
		if !ok {
			rep.Error = fmt.Sprintf("%s %s: mode %q: want %q or %q", it.Kind, it.Name, it.Mode, ModeEnforce, ModeAudit)
			continue
		}
		want, ok := wants[active[i]]
		if !ok {
			continue // its baseline is invalid: not touched; the report's baseline says why
		}
		targets = append(targets, target{kind: active[i], name: it.Name, want: want, mode: mode,
			base: kindBaseline(rep, active[i]), profiles: m.profiles, freshTags: it.FreshTags, stamps: it.Baselines})
	}
	e.bulkTags(work, m, targets)
	rep.Entries = e.reconcileAll(work, nil, m, targets, rep.Mode, deadline, false)
	return rep
}

// need is the version of each kind's baseline parameter that items need: the newest stamp,
// or none (the latest) when an item of a kind that uses it carries no stamp for it.
func need(items []Item, kinds []*binding) Stamps {
	out := Stamps{}
	unstamped := map[string]bool{}
	for _, k := range kinds {
		for _, it := range items {
			if it.Kind != k.store.Kind() {
				continue
			}
			if v := it.Baselines[k.parameter]; v > 0 {
				out[k.parameter] = max(out[k.parameter], v)
			} else {
				unstamped[k.parameter] = true
			}
		}
	}
	for p := range unstamped {
		delete(out, p)
	}
	return out
}

// Page is one page of a listing of one kind's resources.
type Page struct {
	// Names are the listed resources the selector keeps, in the listing's order.
	Names []string
	// Excluded are the listed resources the selector leaves out.
	Excluded []string
	// Next is the token of the next page; "" after the last.
	Next string
	// APICalls counts the calls made for this page per IAM action.
	APICalls map[string]int
	// Notes says what a reader must know about a failure (MediaStore's end of support).
	Notes []string
}

// ListPage lists one page of the resources of kind from token ("" for the first page): a
// listing that the work queue carries on page by page, so that no deadline cuts it short and
// none starts again from the top. With a profile name (not ""), the page holds only the
// resources whose baseline is that profile's (profilePage: its tagged resources first, then
// the names its pattern matches), and its tokens are the engine's own.
func (e *Engine) ListPage(ctx context.Context, of policy.Kind, token, profileName string) (*Page, error) {
	i := slices.IndexFunc(e.kinds, func(k *binding) bool { return k.store.Kind() == of })
	if i < 0 {
		return nil, fmt.Errorf("list %s: the engine has no store of kind %s", of, of)
	}
	k := e.kinds[i]
	m := newMeter(e.limits)
	if profileName != "" {
		found, excluded, next, err := e.profilePage(ctx, m, k, profileName, token)
		p := &Page{Next: next, Excluded: excluded, APICalls: m.counts()}
		if err != nil {
			err = m.judge(of, err)
			p.Notes = m.notes()
			return p, fmt.Errorf("list %s of profile %s: %w", of, profileName, err)
		}
		for _, f := range found {
			p.Names = append(p.Names, f.res.name)
		}
		p.Notes = m.notes()
		return p, nil
	}
	listed, next, err := k.store.listPage(ctx, m, token)
	p := &Page{Next: next, APICalls: m.counts(), Notes: m.notes()}
	if err != nil {
		// Judged as a run judges it: AccessDenied, a forged token and a service gone are
		// terminal, throttling past the SDK's retries and a timeout retryable.
		p.Notes = nil
		err = m.judge(of, err)
		p.Notes = m.notes()
		return p, fmt.Errorf("list %s: %w", of, err)
	}
	for _, r := range listed {
		if k.selector.Match(r.selectName()) {
			p.Names = append(p.Names, r.name)
		} else {
			p.Excluded = append(p.Excluded, r.name)
		}
	}
	return p, nil
}

// Baselines reads and validates the baselines of kinds (those the engine has; every kind when
// none is given) for the work queue's router, and reports them (no entries; Succeeded when
// every one is valid). The router checks them before it enqueues: an invalid baseline then
// changes nothing and is reported once, not once per resource. It stamps the versions read
// (rep.Stamps) into the messages it enqueues: each kind's baseline, and the profiles' it
// knows of (those the patterns give the named resources, or every pattern's in a sweep).
//
// The reads are budgeted: each takes a token of the SSM share only if one is there at once.
// A baseline read without one is reported Unread and stamped nowhere (the worker reads and
// validates it), so that a storm of events is not a storm of reads against the account's
// Parameter Store quota.
func (e *Engine) Baselines(ctx context.Context, kinds []policy.Kind, w Work) (rep *Report) {
	m := newMeter(e.limits)
	rep = e.newReport(w.Mode, w.Reason)
	defer e.finish(rep, m)
	var active []*binding
	for _, k := range e.kinds {
		if len(kinds) == 0 || slices.Contains(kinds, k.store.Kind()) {
			active = append(active, k)
		}
	}
	if len(active) == 0 {
		active = e.kinds[:1]
	}
	e.loadBaselinesAt(ctx, m, active, rep, nil, true)
	for _, k := range active {
		s, t := Stamps{}, StampTimes{}
		if b := kindBaseline(rep, k); b.Valid && !b.Unread {
			if r, ok := m.fresh(k.parameter); ok && r.v != nil {
				s[k.parameter], t = r.v.version, t.add(r.v)
			}
		}
		// Listed: every profile parameter of the kind, whatever selects it (a tag or a
		// pattern), is stamped. Else the patterns' profiles are read one by one; a profile
		// that cannot be read now is not stamped: its resources read it, and fail there if
		// it is missing or invalid.
		if listed := e.listsProfiles(ctx, m, k, w, rep) && e.stampListedProfiles(ctx, m, k, s, &t, rep); !listed {
			for _, p := range e.knownProfiles(k, w) {
				if v, err := e.resolve(ctx, m, p, 0, true); err == nil {
					s[p], t = v.version, t.add(v)
				}
			}
		}
		rep.stamp(k.store.Kind(), s, t)
	}
	return rep
}

// listsProfiles reports whether the router lists the profile parameters of kind k for w
// rather than reading the patterns' one by one: in a sweep (its resources' messages fill many
// batches, each of which would otherwise read a tagged profile at its latest version) of a
// kind whose profiles it may list (mayListProfiles), unless no pattern names a profile and no
// resource of the kind carries the profile tag (profileTagged): then nothing is read under
// the profiles path. An event names one resource, whose one message reads its profile once
// either way: no listing then.
func (e *Engine) listsProfiles(ctx context.Context, m *meter, k *binding, w Work, rep *Report) bool {
	if !w.Sweep() || w.Profile != nil || !e.mayListProfiles(k) {
		return false
	}
	return len(e.rules.Patterns) > 0 || e.profileTagged(ctx, m, k, rep)
}

// mayListProfiles reports whether a sweep's router may list the profile parameters of kind k:
// when the SSM client can list a path, the kind's tags may name a profile, and a profile may
// apply that the router can know of: a pattern names one (patterns hold for every kind), or
// the store can tell in one call whether any resource carries the profile tag (S3 with the
// Tagging API: profileTagged). A store that reads each resource's tags (MediaStore's
// ListTagsForResource, one call per container, made by the workers) cannot tell without a call
// per resource: without a pattern its profiles are not listed, and a worker reads a tagged
// resource's profile at its latest version (unstamped, once per batch: at most 10 batches of
// MediaStore's 100 containers).
func (e *Engine) mayListProfiles(k *binding) bool {
	if _, ok := e.params.(ssmPathLister); !ok || e.rules.TagKey == "" || !hasTags(k.store) {
		return false
	}
	bt, bulk := k.store.(bulkTagger)
	return len(e.rules.Patterns) > 0 || (bulk && bt.readsInBulk())
}

// profileTagged reports whether a resource of k may carry the profile tag: the router asks
// the store for one page of the resources tagged with the key (S3: GetResources filtered by
// it, one call); none, and no page after it, means none. A failed call cannot tell: true, the
// listing as without the question, and a note in rep says why (a denied tag:GetResources would
// otherwise cost a listing every sweep unseen).
func (e *Engine) profileTagged(ctx context.Context, m *meter, k *binding, rep *Report) bool {
	bt, ok := k.store.(bulkTagger)
	if !ok {
		return true // cannot tell (mayListProfiles admits only a store that can): list
	}
	tagged, next, ok, err := bt.taggedPage(ctx, m, e.rules.TagKey, "", "")
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s: profiles listed, whether any resource carries the tag %s unknown: %v", k.store.Kind(), e.rules.TagKey, judge(err)))
	}
	return err != nil || !ok || len(tagged) > 0 || next != ""
}

// stampListedProfiles stamps into s the version of every profile parameter of k's kind: it
// lists <profiles path><kind> (GetParametersByPath, one level, 10 to a call) and caches each
// version read, as a read of its latest version. Each call takes a token of the SSM share at
// once, or the listing stops there (what it found is stamped; the rest is read by the workers
// at its latest version). It returns false when the first call found no token or failed: the
// caller then stamps the patterns' profiles one by one, as without the listing.
func (e *Engine) stampListedProfiles(ctx context.Context, m *meter, k *binding, s Stamps, t *StampTimes, rep *Report) bool {
	lister := e.params.(ssmPathLister)
	kind := k.store.Kind()
	path := e.rules.KindPath(kind)
	for token, page := "", 0; ; page++ {
		asked := e.cfg.Clock.Now()
		out, err := parametersByPath(ctx, m, lister, path, token)
		if err != nil {
			if !errors.Is(err, errNoBudget) {
				rep.Notes = append(rep.Notes, fmt.Sprintf("profiles of %s not stamped: %v", kind, judge(err)))
			}
			return page > 0
		}
		for i := range out.Parameters {
			p := &out.Parameters[i]
			name := aws.ToString(p.Name)
			if _, of, ok := e.rules.Of(name); !ok || of != kind {
				continue // not a profile's name (a deeper level cannot be listed, one level is)
			}
			v := e.versions.put(name, p, true, asked)
			m.setFresh(name, freshRead{v: v})
			s[name], *t = v.version, t.add(v)
		}
		if token = aws.ToString(out.NextToken); token == "" {
			return true
		}
	}
}

// stamp records the stamps of kind's messages and when they were read and made.
func (rep *Report) stamp(kind policy.Kind, s Stamps, t StampTimes) {
	if len(s) == 0 {
		return
	}
	if rep.Stamps == nil {
		rep.Stamps, rep.StampTimes = map[policy.Kind]Stamps{}, map[policy.Kind]StampTimes{}
	}
	rep.Stamps[kind], rep.StampTimes[kind] = s, t
}

// knownProfiles returns the profile parameters of kind k that w may need, as far as names tell:
// in a sweep every pattern's, else those of the patterns that match a named resource. A tag
// names a profile only once the worker reads it.
func (e *Engine) knownProfiles(k *binding, w Work) []string {
	if w.Sweep() {
		return e.rules.Parameters(k.store.Kind())
	}
	var out []string
	for _, name := range w.Named(k.store.Kind()) {
		if c := e.rules.Resolve(k.store.Kind(), name, nil); c.Source == profile.SourcePattern && !slices.Contains(out, c.Parameter) {
			out = append(out, c.Parameter)
		}
	}
	return out
}

// Restamp is what a worker does before it carries a listing of kind on (of one profile's
// resources when prof is not ""): it does not know when the listing's stamps were read, so it
// takes them as old (Rule A, StampFreshness). For each baseline the listing uses (the kind's and
// every pattern's profile, or the one profile's) it stamps the version this instance read as
// the latest within the freshness bound (StampsFresh), or else the latest version, read now.
// The listing's own baseline (the kind's, or the profile's) is validated: rep.Baseline says
// whether the listing may go on (an invalid one enqueues nothing); one that the listing
// stamped and that cannot be read now goes on unstamped (the worker of each message reads it).
// rep.Stamps[kind] are the stamps of the reconcile messages the listing enqueues, and
// rep.StampTimes[kind] when they were read and made.
func (e *Engine) Restamp(ctx context.Context, kind policy.Kind, prof string, stamps Stamps) (rep *Report) {
	m := newMeter(e.limits)
	rep = e.newReport("", "restamp listing")
	defer e.finish(rep, m)
	i := slices.IndexFunc(e.kinds, func(k *binding) bool { return k.store.Kind() == kind })
	if i < 0 {
		rep.Error = fmt.Sprintf("the engine has no store of kind %s", kind)
		return rep
	}
	k := e.kinds[i]
	params := append([]string{k.parameter}, e.rules.Parameters(kind)...)
	if prof != "" {
		params = []string{profile.Parameter(e.rules.Path, kind, prof)}
	} else {
		// The profiles the router listed (those a tag alone may select) carry on stamped.
		for _, p := range slices.Sorted(maps.Keys(stamps)) {
			if _, of, ok := e.rules.Of(p); ok && of == kind && !slices.Contains(params, p) {
				params = append(params, p)
			}
		}
	}
	out, t := Stamps{}, StampTimes{}
	for j, p := range params {
		v, err := e.recent(ctx, m, rep, p, false)
		if j == 0 {
			var b Baseline
			switch _, carried := stamps[p]; {
			case err == nil:
				b, _ = v.baseline(kind)
			case carried && !parameterNotFound(err):
				// The router validated it: the listing goes on, its messages unstamped.
				b = Baseline{Kind: kind, Parameter: p, Valid: true, Unread: true}
			default:
				err = judge(err)
				b = Baseline{Kind: kind, Parameter: p, Error: err.Error(), Retryable: Retryable(err)}
			}
			b.Profile = prof
			rep.Baseline = b
			if !b.Valid || b.Unread {
				continue
			}
		}
		if err == nil {
			out[p], t = v.version, t.add(v)
		}
	}
	rep.Baselines = []Baseline{rep.Baseline}
	rep.Stamps = map[policy.Kind]Stamps{kind: out}
	rep.StampTimes = map[policy.Kind]StampTimes{kind: t}
	return rep
}

// Reread reads again, for a listing whose stamps are older than the freshness bound allows,
// the latest version of each parameter that stamps names (kind's messages): the version this
// instance read as the latest within the bound, or a read made only with a token of the
// Parameter Store share at once (as the router's). rep.Stamps[kind] holds those read (a
// parameter without a token is left out: the messages go without its stamp, and each worker
// reads it), rep.StampTimes[kind] when they were read and made.
func (e *Engine) Reread(ctx context.Context, kind policy.Kind, stamps Stamps) (rep *Report) {
	m := newMeter(e.limits)
	rep = e.newReport("", "read stamps again")
	defer e.finish(rep, m)
	out, t := Stamps{}, StampTimes{}
	for p := range stamps {
		if v, err := e.recent(ctx, m, rep, p, true); err == nil {
			out[p], t = v.version, t.add(v)
		}
	}
	rep.stamp(kind, out, t)
	return rep
}

// recent returns the version of the parameter this instance read as the latest within the
// freshness bound (StampsFresh), or else the latest version, read (see resolve). It counts in
// rep.Rereads a read that returned the version this instance held already.
func (e *Engine) recent(ctx context.Context, m *meter, rep *Report, name string, budgeted bool) (*paramVersion, error) {
	held := e.versions.get(name)
	if held != nil && StampsFresh(held.latestRead(), e.cfg.Clock.Now()) {
		return held, nil
	}
	v, err := e.resolve(ctx, m, name, 0, budgeted)
	if err == nil && v == held {
		rep.Rereads++
	}
	return v, err
}

// bulkTags reads the tags of the targets whose store reads them in bulk (S3 buckets through
// the Tagging API: one call per 100 buckets, instead of one GetBucketTagging each). A failed
// bulk read is not an error: each resource then reads its own tags.
func (e *Engine) bulkTags(ctx context.Context, m *meter, targets []target) {
	byKind := map[*binding][]string{}
	for _, t := range targets {
		if _, ok := t.kind.store.(bulkTagger); ok && !t.freshTags {
			byKind[t.kind] = append(byKind[t.kind], t.name)
		}
	}
	for k, names := range byKind {
		tags, ok, err := k.store.(bulkTagger).tagsOf(ctx, m, names)
		if !ok || err != nil {
			continue
		}
		for i := range targets {
			if targets[i].kind == k && !targets[i].freshTags {
				targets[i].tags = tags[targets[i].name]
			}
		}
	}
}
