package enforce

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/corsguard/corsguard/policy"
)

// Baseline versions. Parameter Store keeps every version of a parameter immutable, and
// GetParameter reads one with the version selector "NAME:VERSION". So the engine keeps, for as
// long as it lives (a Lambda execution environment), the newest version of every baseline
// parameter it read, parsed and validated per kind: a worker reads a parameter once per
// version, not once per batch.
//
// The work queue's router stamps the version it read into each message (Stamps). For each
// parameter, a worker applies the newer of the stamp and its cached version: it reads
// NAME:STAMP only when it holds no version at least as new. A parameter a message does not
// stamp is read fresh (NAME, its latest version), once per run, and cached. So a message never
// applies a version older than its stamp, and an unstamped one never a version older than the
// one current when its batch began: never a stale baseline. docs/RELIABILITY.md ("Baseline
// reads") says what ordering of stamps this needs and where it holds.

// Stamps are the baseline versions a message was planned with, per parameter name.
type Stamps map[string]int64

// The order of stamps within a message group. A worker applies the newer of a message's stamp
// and its cached version, so an older baseline would overwrite a newer one if a message stamped
// v2 were enqueued after one stamped v1 > v2 in the same resource's group (two routers for the
// same resource, or a listing planned before a change and carried on past it). Two rules keep
// stamps from decreasing in enqueue order within a group:
//
//   - Rule A (freshness): a message stamped from a read at time r is accepted by SQS before
//     r + StampFreshness. The work queue sends a stamped batch only while its read is younger
//     than StampFreshness less StampSendMargin, under a context deadline StampSendMargin
//     before r + StampFreshness (so that neither the SDK's retries nor the resends of refused
//     entries carry it past), and sends it unstamped when that deadline cuts it off (the same
//     deduplication ids: SQS drops a copy of what it accepted). A listing's page sent later
//     reads its stamps again (Reread); a worker carrying a listing on treats the listing's
//     stamps as old (Restamp).
//   - Rule B (settling): a message stamped with a version modified at tc (GetParameter's
//     LastModifiedDate) is sent no earlier than tc + StampSettle. A router (or a listing) that
//     read a younger version waits until then, and reads again if its read is then older than
//     Rule A allows.
//
// Why this is enough: let m1 come before m2 in a group, stamped v1 > v2. m2's stamp comes
// from a read at r2 that returned v2 as the latest version, so v1 did not exist yet:
// r2 < tc(v1). By Rule A, SQS accepted m2 before r2 + StampFreshness < tc(v1) +
// StampFreshness. By Rule B, m1 was sent no earlier than tc(v1) + StampSettle, and
// StampSettle ≥ StampFreshness + StampSkew: m2 was accepted before m1 was even sent, which
// contradicts m1 coming first. StampSkew covers the clocks: tc is Parameter Store's, the reads
// and sends are each router's (Lambda's hosts and AWS's services keep to Amazon Time Sync,
// within milliseconds). Only a read of the latest version (NAME) can stamp: a read of
// NAME:VERSION says nothing of what was latest then.
//
// The cost: a listing reads its stamps again at most once per StampFreshness (each page sent
// later than that after the read), and only a router that reads a version less than
// StampSettle old waits (the events of the first 11 seconds after a change), then reads once
// more. docs/RELIABILITY.md ("Baseline reads") says what still does not hold.
const (
	// StampFreshness (Rule A) bounds the time from a stamp's read to SQS's acceptance of the
	// message that carries it. 10 s: a listing's page (1,000 names, 100 SendMessageBatch calls
	// at corsguard's SQS share) takes a few seconds, so a listing reads its stamps again about
	// once per page or two at most, and a router's named sends, read to send, take well under it.
	StampFreshness = 10 * time.Second
	// StampSendMargin is kept between a stamped SendMessageBatch's context deadline and
	// read + StampFreshness: a request that the deadline cuts off while in flight is accepted
	// (if at all) within it. A batch is started only while more than twice this is left.
	StampSendMargin = time.Second
	// StampSkew bounds the difference between Parameter Store's clock (LastModifiedDate) and
	// the clocks of the function's instances.
	StampSkew = time.Second
	// StampSettle (Rule B) is how long after a version's LastModifiedDate the first message
	// stamped with it may be sent: StampFreshness plus StampSkew.
	StampSettle = StampFreshness + StampSkew
)

// StampsFresh reports whether stamps read at read may still start a SendMessageBatch at now:
// twice StampSendMargin before read + StampFreshness, so that the batch's deadline leaves it
// StampSendMargin of its own.
func StampsFresh(read, now time.Time) bool {
	return now.Sub(read) < StampFreshness-2*StampSendMargin
}

// StampTimes say when a kind's stamps were read and when their newest version was made: what
// the work queue needs to keep Rule A and Rule B.
type StampTimes struct {
	// Read is the earliest of the stamps' reads of the latest version (the engine's clock).
	Read time.Time
	// Modified is the newest LastModifiedDate of the stamped versions (Parameter Store's clock).
	Modified time.Time
}

// add folds one stamped version into t.
func (t StampTimes) add(v *paramVersion) StampTimes {
	read := v.latestRead()
	if t.Read.IsZero() || read.Before(t.Read) {
		t.Read = read
	}
	if v.modified.After(t.Modified) {
		t.Modified = v.modified
	}
	return t
}

// Merge returns the newer version of each parameter of s and o (o may be nil).
func (s Stamps) Merge(o Stamps) Stamps {
	if len(s) == 0 && len(o) == 0 {
		return nil
	}
	out := Stamps{}
	for _, m := range []Stamps{s, o} {
		for name, v := range m {
			out[name] = max(out[name], v)
		}
	}
	return out
}

// paramCache is the engine's cache of baseline parameters: the newest version read of each.
type paramCache struct {
	mu     sync.Mutex
	newest map[string]*paramVersion
	// locks serialize the reads of one parameter, so that concurrent runs read it once.
	locks map[string]*sync.Mutex
}

func newParamCache() *paramCache {
	return &paramCache{newest: map[string]*paramVersion{}, locks: map[string]*sync.Mutex{}}
}

func (c *paramCache) lock(name string) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locks[name]
	if !ok {
		l = &sync.Mutex{}
		c.locks[name] = l
	}
	return l
}

func (c *paramCache) get(name string) *paramVersion {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.newest[name]
}

// put caches version p of the parameter, unless the cache holds that version already (it
// keeps the one it has, parsed), and returns the cached version. A fresh read (latest) that
// is older than the cached one, or of the same version with another value, means the parameter
// was deleted and created again (its versions start again at 1): the fresh read is the truth.
// A latest read records asked, the time the read was asked for, as the version's latest read.
func (c *paramCache) put(name string, p *types.Parameter, latest bool, asked time.Time) *paramVersion {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.newest[name]
	v := old
	if old == nil || old.version != p.Version || old.value != aws.ToString(p.Value) {
		v = &paramVersion{name: name, version: p.Version, value: aws.ToString(p.Value), modified: aws.ToTime(p.LastModifiedDate)}
		if old == nil || latest || p.Version > old.version {
			c.newest[name] = v
		}
	}
	if latest {
		v.setLatestRead(asked)
	}
	return v
}

// paramVersion is one version of a baseline parameter, with its baseline per kind.
type paramVersion struct {
	name    string
	version int64
	value   string
	// modified is the version's LastModifiedDate (Parameter Store's clock).
	modified time.Time

	mu sync.Mutex
	// latest is the time of the last read of the latest version that returned this one
	// (zero: read only as NAME:VERSION).
	latest time.Time
	kind   map[policy.Kind]checked
}

func (v *paramVersion) latestRead() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.latest
}

func (v *paramVersion) setLatestRead(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.After(v.latest) {
		v.latest = t
	}
}

type checked struct {
	b    Baseline
	want policy.Policy
}

// baseline parses and validates the version for kind (once per kind).
func (v *paramVersion) baseline(kind policy.Kind) (Baseline, policy.Policy) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.kind[kind]; ok {
		return c.b, c.want
	}
	b := Baseline{Parameter: v.name, Version: v.version, Kind: kind}
	var want policy.Policy
	if p := parseBaseline(&b, kind, v.value); p != nil {
		if err := policy.Validate(p, kind); err != nil {
			b.Error = fmt.Sprintf("baseline %s version %d: %v", b.Parameter, b.Version, err)
			var verr *policy.ValidationError
			if errors.As(err, &verr) {
				b.Errors = verr.Problems
			}
		} else {
			b.Valid, want = true, p
		}
	}
	if v.kind == nil {
		v.kind = map[policy.Kind]checked{}
	}
	v.kind[kind] = checked{b, want}
	return b, want
}

// freshRead is a run's read of a parameter's latest version (or why it failed).
type freshRead struct {
	v   *paramVersion
	err error
}

// errNoBudget says a budgeted read found no token of the SSM share at once.
var errNoBudget = errors.New("no token of the Parameter Store share at once")

// prepaid marks a context whose next SSM attempt has its token already (taken by Allow).
type prepaid struct{}

// resolve returns the version of the parameter a run applies, given the stamp (0: none):
// the cached version when it is at least the stamp, else NAME:STAMP, read and cached; without
// a stamp (or when the stamped version no longer exists), the latest version, read once per
// run and cached. budgeted: a read needs a token of the SSM share at once, errNoBudget if
// there is none (the router's reads).
func (e *Engine) resolve(ctx context.Context, m *meter, name string, stamp int64, budgeted bool) (*paramVersion, error) {
	l := e.versions.lock(name)
	l.Lock()
	defer l.Unlock()
	if v := e.versions.get(name); stamp > 0 && v != nil && v.version >= stamp {
		return v, nil
	}
	fresh, ok := m.fresh(name)
	if ok && (fresh.err != nil || fresh.v.version >= stamp) {
		return fresh.v, fresh.err
	}
	if stamp > 0 {
		p, err := e.readParameter(ctx, m, fmt.Sprintf("%s:%d", name, stamp), budgeted)
		switch {
		case err == nil:
			return e.versions.put(name, p, false, time.Time{}), nil
		case !versionNotFound(err):
			return nil, err
		case ok:
			// The run read the latest already: the stamped version has gone since.
			return fresh.v, fresh.err
		}
		// The stamped version no longer exists: Parameter Store keeps the 100 newest versions
		// of a parameter, and a parameter deleted and created again starts at 1. The latest
		// version is the baseline now; reading it is never stale.
	}
	asked := e.cfg.Clock.Now()
	p, err := e.readParameter(ctx, m, name, budgeted)
	r := freshRead{err: err}
	if err == nil {
		r.v = e.versions.put(name, p, true, asked)
	}
	if !errors.Is(err, errNoBudget) {
		m.setFresh(name, r)
	}
	return r.v, r.err
}

// readParameter reads a parameter (NAME or NAME:VERSION); budgeted, only if a token of the
// SSM share is there at once.
func (e *Engine) readParameter(ctx context.Context, m *meter, ref string, budgeted bool) (*types.Parameter, error) {
	if budgeted {
		var err error
		if ctx, err = m.prepay(ctx, opGetParameter); err != nil {
			return nil, err
		}
	}
	return e.getParameter(ctx, m, ref)
}

// prepay takes a token of op's share at once, or answers errNoBudget, and returns ctx marked
// prepaid, so that the call's meter (apiOption) does not wait for another.
func (m *meter) prepay(ctx context.Context, op string) (context.Context, error) {
	if !m.limits.get(op).Allow() {
		return ctx, errNoBudget
	}
	paid := &atomic.Bool{}
	paid.Store(true)
	return context.WithValue(ctx, prepaid{}, paid), nil
}

// versionNotFound reports whether err says the version a selector names does not exist.
func versionNotFound(err error) bool {
	var nf *types.ParameterVersionNotFound
	return errors.As(err, &nf)
}
