// Package controller decides, for every path corsguard runs on, what becomes of a request and
// of each unit of work, as controller-runtime's reconcileHandler does for a Kubernetes
// controller. It owns:
//
//   - the effective mode: the stricter of the request's (or the message's) and the configured
//     one; audit wins;
//   - the plan per kind: each kind's baseline and listing on its own, so that a kind that
//     cannot be listed, or whose baseline is invalid, is reported and the others go on;
//   - the path: with a work queue, an effective enforce is enqueued, one message per item
//     (FIFO per resource is what keeps an older baseline from overwriting a newer one); an
//     audit, and anything without a queue, runs in-process and answers with its report;
//   - the decision per delivered message: done, retry after a delay, give back at once, or
//     terminal (reported, alarmed, deleted), from the typed error of its reconcile;
//   - the deadlines: every AWS call before the invocation's deadline less the margin; the
//     messages given back and Security Hub's findings in a budget of their own inside the
//     margin, so that the summary, the metrics and the answer are always written.
//
// The unit of work is the item (enforce.Item): one resource, of one kind, in one mode. The
// router enqueues items, the worker receives them as SQS messages (workqueue.Message, the wire
// form), and the engine reconciles them. The Lambda adapter (package handler) only translates
// payloads; the CLI and direct invocations come through Serve like the router.
package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// Runner runs one request in-process (plan, reconcile, report); *enforce.Engine satisfies it.
type Runner interface {
	Run(ctx context.Context, w enforce.Work) *enforce.Report
}

// Engine is what the work queue's router and worker need of the reconciler besides Run;
// *enforce.Engine satisfies it.
type Engine interface {
	Runner
	Kinds() []policy.Kind
	Baselines(ctx context.Context, kinds []policy.Kind, w enforce.Work) *enforce.Report
	Restamp(ctx context.Context, kind policy.Kind, profile string, stamps enforce.Stamps) *enforce.Report
	Reread(ctx context.Context, kind policy.Kind, stamps enforce.Stamps) *enforce.Report
	// ListPage lists one page of kind's resources, of one profile's only when profile is not "".
	ListPage(ctx context.Context, kind policy.Kind, token, profile string) (*enforce.Page, error)
	// ProfileBaseline reads and checks one profile's baseline of one kind.
	ProfileBaseline(ctx context.Context, ref enforce.ProfileRef, mode enforce.Mode, reason string) *enforce.Report
	Reconcile(ctx context.Context, items []enforce.Item, reason string) *enforce.Report
}

var _ Engine = (*enforce.Engine)(nil)

// Queue is the work queue as the controller uses it; *workqueue.Queue satisfies it.
type Queue interface {
	Send(ctx context.Context, msgs []workqueue.Message) error
	GiveBack(ctx context.Context, receipt string, delay time.Duration) error
	// Calls returns the calls made since the last call of Calls, per IAM action.
	Calls() map[string]int
}

var _ Queue = (*workqueue.Queue)(nil)

// Publisher imports findings into Security Hub; *findings.Publisher satisfies it.
type Publisher interface {
	Publish(ctx context.Context, scope findings.Scope, rep *enforce.Report, cover findings.Coverage) (findings.Result, error)
	ArchiveStale(ctx context.Context, scope findings.Scope, kinds []policy.Kind, before time.Time) (findings.Result, error)
	ArchiveGone(ctx context.Context, scope findings.Scope, g findings.Gone, selects func(policy.Kind, string) bool) (findings.Result, error)
	// PublishFindings imports fs; checked[i] says fs[i]'s worker compared it already.
	PublishFindings(ctx context.Context, scope findings.Scope, fs []findings.Finding, checked []bool) (findings.Result, error)
	// PriorPage reads one page of a kind's previous findings in name order, for a listing.
	PriorPage(ctx context.Context, scope findings.Scope, kind policy.Kind, token string) ([]findings.NamedPrior, string, error)
	// Compares reports whether findings are imported only when they change (a refresh period).
	Compares() bool
	// Unchanged decides whether a finding need not be imported over the previous one.
	Unchanged(f findings.Finding, prior findings.Prior, now time.Time) bool
}

var _ Publisher = (*findings.Publisher)(nil)

// Handoff puts a worker batch's findings on the findings queue for the publisher and returns
// the number of messages sent; *findings.Outbox satisfies it.
type Handoff interface {
	Hand(ctx context.Context, scope findings.Scope, fs []findings.Finding, checked map[string]bool) (int, error)
}

var _ Handoff = (*findings.Outbox)(nil)

// Config is how a Controller decides.
type Config struct {
	// Mode is the configured mode: the ceiling of every request's and message's mode.
	Mode enforce.Mode
	// Margin is kept free before the invocation's deadline: no AWS call of the work runs into
	// it. Messages are given back, and findings imported, in its first half.
	Margin time.Duration
	// BackoffBase and BackoffCap shape the delay of a message given back for a retry.
	BackoffBase, BackoffCap time.Duration
	// Queue is the work queue, and Worker the engine its router and worker use; a nil Queue
	// runs every request in-process.
	Queue  Queue
	Worker Engine
	// Findings imports Security Hub findings; nil: off.
	Findings Publisher
	// Handoff, with Findings, is the findings queue: the worker hands its findings to it and
	// imports nothing itself; the publisher (Publish) imports them. nil: the worker imports.
	Handoff Handoff
	// StaleFindings is the age past which a sweep archives corsguard's active findings that no
	// run updated (their resource is gone, or no longer selected); 0: never.
	StaleFindings time.Duration
	// Log receives what the controller decides that no report carries (a message not given
	// back, a Security Hub failure).
	Log *slog.Logger
	// Rand is the jitter of retry delays, uniform in [0, 1) (default math/rand/v2's Float64).
	Rand func() float64
	// Clock is the controller's source of time (default the wall clock).
	Clock clock.Clock
}

// Controller serves the router, the worker, direct invocations and the CLI.
type Controller struct {
	cfg Config
	run Runner
}

// New returns a Controller that runs in-process requests with run (and, with a Queue, routes
// and works with cfg.Worker).
func New(run Runner, cfg Config) *Controller {
	cfg.Mode = cmp.Or(cfg.Mode, enforce.DefaultMode)
	cfg.Margin = cmp.Or(cfg.Margin, enforce.DefaultMargin)
	cfg.BackoffBase = cmp.Or(cfg.BackoffBase, enforce.DefaultBackoffBase)
	cfg.BackoffCap = cmp.Or(cfg.BackoffCap, enforce.DefaultBackoffCap)
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Controller{cfg: cfg, run: run}
}

// Request is what the router, a direct invocation or the CLI asks for.
type Request struct {
	// Work names the items (none: a sweep of every kind), the requested mode and why.
	Work enforce.Work
	// ID makes this request's messages distinct from any other request's (the EventBridge
	// event's id; the same on Lambda's retries of the event, so a retry is deduplicated).
	ID string
	// Direct is a direct invocation: an effective audit answers with its report, in-process.
	Direct bool
	// Scope is where findings go; the zero Scope (unknown account) imports none.
	Scope findings.Scope
	// Changed, for a baseline's change event, is when it changed (the event's time, to the
	// second; zero otherwise). The change's messages, stamped or not, are sent no earlier than
	// StampSettle after it (enforce's Rule B), so that they follow every message stamped with
	// an older version even when the router had no token to read the new one. A router whose
	// work budget cannot hold that wait sends nothing and fails retryably (Lambda retries the
	// event); a listing handed on carries the bound (workqueue.Message.NotBefore).
	Changed time.Time
}

// Result is what one request or one batch came to.
type Result struct {
	Report *enforce.Report
	// Queue is what was done with the work queue; nil when the request ran in-process.
	Queue *QueueResult
	// SecurityHub is what the findings did, when findings are on and were imported.
	SecurityHub *findings.Result
	// Err is the invocation's error: a *RunError when a retry of the whole request can fix
	// something, nil otherwise (terminal failures are reported and alarmed, never retried).
	Err error
}

// QueueResult is what an invocation did with the work queue.
type QueueResult struct {
	// Enqueued counts the reconcile messages sent.
	Enqueued int `json:"enqueued"`
	// Continued names the kinds whose listing was handed on through the queue (an OpList
	// message) because the invocation's deadline came before the last page.
	Continued []policy.Kind `json:"continued,omitempty"`
	// Failures counts the messages given back to the queue (the batch item failures).
	Failures int `json:"failures,omitempty"`
	// Foreign counts the records of another queue than the function's own: logged, counted,
	// never acted on, never given back.
	Foreign int `json:"foreign,omitempty"`
	// Calls counts the SQS calls per IAM action, apart from the engine's APICalls.
	Calls map[string]int `json:"calls"`
	// FindingsMessages counts the messages the worker put on the findings queue.
	FindingsMessages int `json:"findings_messages,omitempty"`
	// StampRereads counts the reads of a baseline version this instance had read already,
	// made only to send stamps in order (enforce's Rule A and Rule B): a listing's stamps read
	// again when a batch is sent past the freshness bound, a router's after it waited for a
	// change to settle, a worker's that carries a listing on. A sweep's minimum of Parameter
	// Store reads is the router's (the baseline, and one listing of a kind's profiles when a
	// pattern names one or a resource carries the profile tag) + 1 per worker instance per
	// version + these. StampWait is how long the invocation waited for the versions it stamps
	// to settle.
	StampRereads int           `json:"stamp_rereads,omitempty"`
	StampWait    time.Duration `json:"stamp_wait_ns,omitempty"`
}

// budgets are one invocation's deadlines: work ends at the deadline less the margin; settle
// (messages given back, findings) at the deadline less half the margin; the rest of the margin
// writes the summary, the metrics and the answer.
type budgets struct {
	work, settle context.Context
	cancel       func()
}

func (c *Controller) budgets(ctx context.Context) budgets {
	d, ok := ctx.Deadline()
	if !ok {
		return budgets{work: ctx, settle: ctx, cancel: func() {}}
	}
	work, cw := context.WithDeadline(ctx, d.Add(-c.cfg.Margin))
	settle, cs := context.WithDeadline(context.WithoutCancel(ctx), d.Add(-c.cfg.Margin/2))
	return budgets{work: work, settle: settle, cancel: func() { cw(); cs() }}
}

// Serve runs one request: with a work queue an effective enforce is enqueued (so is every
// event and schedule: a worker applies the mode again); a direct audit, and every request
// without a queue, runs in-process and answers with its report.
func (c *Controller) Serve(ctx context.Context, req Request) *Result {
	req.Work.Mode = enforce.Effective(req.Work.Mode, c.cfg.Mode)
	if c.cfg.Queue != nil && c.cfg.Worker != nil && (!req.Direct || req.Work.Mode == enforce.ModeEnforce) {
		return c.enqueue(ctx, req)
	}
	return c.inProcess(ctx, req)
}

// inProcess plans, reconciles and reports in this invocation (the engine keeps the margin).
func (c *Controller) inProcess(ctx context.Context, req Request) *Result {
	b := c.budgets(ctx)
	defer b.cancel()
	r := c.run.Run(ctx, req.Work)
	if r == nil {
		// The engine always reports; a nil report is a bug that must not pass as success.
		r = &enforce.Report{Mode: req.Work.Mode, Reason: req.Work.Reason, Entries: []enforce.Entry{},
			Error: "the engine returned no report"}
		r.Tally()
	}
	res := &Result{Report: r}
	var cover findings.Coverage
	if req.Work.Sweep() && req.Work.Profile == nil {
		// A sweep listed here: it covers the kinds it read a baseline for, and archives what it
		// no longer finds (findings.Publish leaves out a kind whose baseline or listing failed).
		for _, b := range r.Baselines {
			cover = append(cover, b.Kind)
		}
	}
	res.SecurityHub = c.publish(b.settle, req.Scope, r, func(ctx context.Context) (findings.Result, error) {
		return c.cfg.Findings.Publish(ctx, req.Scope, r, cover)
	})
	if SecurityHubFailed(res.SecurityHub) {
		r.Succeeded = false
	}
	res.Err = runError(r)
	return res
}

// routed returns the kinds the router enqueues for w (every kind of a sweep; the profile's
// kind of a profile's change; the kinds w names), and the names w gives of the others.
func (c *Controller) routed(w enforce.Work, sweep, ofProfile bool) (kinds []policy.Kind, excluded []string) {
	for _, k := range c.cfg.Worker.Kinds() {
		if sweep || len(w.Named(k)) > 0 || (ofProfile && w.Profile.Kind == k) {
			kinds = append(kinds, k)
		}
	}
	for _, k := range policy.Kinds() {
		if !slices.Contains(kinds, k) {
			excluded = append(excluded, w.Named(k)...)
		}
	}
	return kinds, excluded
}

// enqueue is the router: per kind, it checks the baseline (nothing is enqueued under a missing
// or invalid one: one failure, not one per resource), then enqueues a message per named item,
// or lists the kind page by page. A kind that fails is reported; the others go on.
func (c *Controller) enqueue(ctx context.Context, req Request) *Result {
	b := c.budgets(ctx)
	defer b.cancel()
	started := c.cfg.Clock.Now()
	w := req.Work
	sweep := w.Sweep() && w.Profile == nil
	// A profile's change lists that profile's resources of its kind only (named none).
	ofProfile := w.Profile != nil && w.Sweep()
	kinds, excluded := c.routed(w, sweep, ofProfile)
	read := c.cfg.Clock.Now() // no later than the baselines' reads
	var r *enforce.Report
	if ofProfile {
		// The profile's baseline is what its resources get: checked once here, and nothing
		// enqueued under a missing or invalid one.
		r = c.cfg.Worker.ProfileBaseline(b.work, *w.Profile, w.Mode, w.Reason)
	} else {
		r = c.cfg.Worker.Baselines(b.work, kinds, w)
	}
	r.Excluded = append(r.Excluded, excluded...)
	q := &QueueResult{}
	for _, k := range kinds {
		if !valid(r, k) {
			continue // reported in r.Baselines: nothing of this kind is enqueued
		}
		var err error
		s := stampedOf(k, r, read)
		if !req.Changed.IsZero() {
			s.notBefore = req.Changed.Add(time.Second + enforce.StampSettle) // the event's time is to the second
		}
		if sweep || ofProfile {
			// The listing carries the stamps on to every reconcile message it enqueues.
			first := workqueue.List(k, "", w.Mode, w.Reason, req.ID)
			if ofProfile {
				first.Profile = w.Profile.Name
			}
			err = c.list(b, req.Scope, first, s, q, r)
		} else {
			var msgs []workqueue.Message
			for _, name := range w.Named(k) {
				msg := workqueue.Reconcile(k, name, w.Mode, w.Reason, req.ID)
				msg.FreshTags = w.FreshTags
				msgs = append(msgs, msg)
			}
			if err = c.sendStamped(b.work, msgs, s, q, r); err == nil {
				q.Enqueued += len(msgs)
			}
		}
		s.record(r)
		if err != nil {
			// A retryable one makes Lambda retry the event; the messages already sent carry
			// the same deduplication ids then, and are not doubled.
			r.KindErrors = append(r.KindErrors, enforce.NewKindError(k, err))
		}
	}
	res := &Result{Report: r, Queue: q}
	if sweep && c.cfg.StaleFindings > 0 {
		// Level-triggered: what no run updated for StaleFindings is gone (or no longer
		// selected), whichever invocation lists which page.
		before := c.cfg.Clock.Now().Add(-c.cfg.StaleFindings)
		res.SecurityHub = c.publish(b.settle, req.Scope, r, func(ctx context.Context) (findings.Result, error) {
			return c.cfg.Findings.ArchiveStale(ctx, req.Scope, kinds, before)
		})
	}
	r.Duration = c.cfg.Clock.Now().Sub(started)
	r.Tally()
	if SecurityHubFailed(res.SecurityHub) {
		r.Succeeded = false
	}
	q.Calls = c.cfg.Queue.Calls()
	res.Err = runError(r)
	return res
}

// Deletion is what a delete event asks: archive the finding of one resource that is gone.
type Deletion struct {
	Gone findings.Gone
	// Reason says which event, for the report.
	Reason string
	// Scope is where the finding is; the zero Scope (unknown account) archives nothing.
	Scope findings.Scope
	// Selects is the selector: only a resource it takes is corsguard's to archive.
	Selects func(policy.Kind, string) bool
}

// Archive archives the finding of a deleted resource at once, on every path alike (in-process
// and the work queue's router): it needs no read of the resource, and nothing of it can be
// reordered with a write of the resource, so it is not enqueued. A finding updated after the
// deletion (the resource made again since) stays. Security Hub throttled or failing past the
// SDK's retries makes Err (Lambda retries the event); denied or not enabled is terminal,
// reported and alarmed. Either way the sweep's age rule (ArchiveStale) is the backstop.
func (c *Controller) Archive(ctx context.Context, d Deletion) *Result {
	b := c.budgets(ctx)
	defer b.cancel()
	started := c.cfg.Clock.Now()
	r := &enforce.Report{Mode: c.cfg.Mode, Reason: d.Reason, Started: started, Entries: []enforce.Entry{},
		Baseline: enforce.Baseline{Valid: true}, APICalls: map[string]int{}}
	res := &Result{Report: r}
	var failed error
	res.SecurityHub = c.publish(b.settle, d.Scope, r, func(ctx context.Context) (findings.Result, error) {
		out, err := c.cfg.Findings.ArchiveGone(ctx, d.Scope, d.Gone, d.Selects)
		failed = err
		return out, err
	})
	r.Duration = c.cfg.Clock.Now().Sub(started)
	r.Tally()
	if SecurityHubFailed(res.SecurityHub) {
		r.Succeeded = false
	}
	if failed != nil && enforce.Retryable(failed) {
		res.Err = fmt.Errorf("archive the finding of the deleted %s %s: %w", d.Gone.Kind, cmp.Or(d.Gone.Name, d.Gone.ARN), failed)
	}
	return res
}

// valid reports whether r's baseline for kind k is valid.
func valid(r *enforce.Report, k policy.Kind) bool {
	for _, b := range r.Baselines {
		if b.Kind == k {
			return b.Valid
		}
	}
	return r.Baseline.Valid
}

// list carries msg's listing on from its token: page by page, each page's items enqueued
// before the next page is read, for as long as the work budget allows (at least one page).
// What is left goes back on the queue as one OpList message from the next token (sent in the
// settle budget), so that a listing of any size survives every deadline and never starts
// again from the top. With Security Hub's findings queue, a listing in name order reads the
// previous findings of scope beside it and stamps them into its messages (stampPrevious); the
// OpList message carries that read's cursor on, and a change's notBefore. A change's listing
// whose notBefore the work budget cannot wait for lists nothing and returns a *notYetError.
func (c *Controller) list(b budgets, scope findings.Scope, msg workqueue.Message, s *stamped, q *QueueResult, r *enforce.Report) error {
	if err := notYet(b.work, s, c.cfg.Clock.Now(), false); err != nil {
		return err // nothing read that would be thrown away
	}
	token := msg.Token
	cur := msg.Findings
	switch {
	case !c.readsPrevious(msg.Kind, msg.Profile) || scope.Account == "":
		cur = nil // findings off (or turned off since the listing began): nothing to read
	case token == "" && cur == nil:
		cur = &workqueue.FindingsCursor{} // the first page: read from the first finding
	}
	var slowest time.Duration
	for {
		start := c.cfg.Clock.Now()
		page, err := c.cfg.Worker.ListPage(b.work, msg.Kind, token, msg.Profile)
		if page != nil {
			r.APICalls = addCounts(r.APICalls, page.APICalls)
			r.Notes = appendNew(r.Notes, page.Notes...)
		}
		if err != nil {
			return err
		}
		var prevs map[string]*workqueue.Previous
		if cur != nil {
			prevs, cur = c.stampPrevious(b.work, scope, msg.Kind, page, cur, r)
		}
		msgs := make([]workqueue.Message, 0, len(page.Names))
		for _, name := range page.Names {
			m := workqueue.Reconcile(msg.Kind, name, msg.Mode, msg.Why, msg.Request)
			m.Prev = prevs[name]
			msgs = append(msgs, m)
		}
		if err := c.sendStamped(b.work, msgs, s, q, r); err != nil {
			return err
		}
		q.Enqueued += len(msgs)
		r.Excluded = append(r.Excluded, page.Excluded...)
		if page.Next == "" {
			return nil
		}
		token = page.Next
		slowest = max(slowest, c.cfg.Clock.Now().Sub(start))
		if deadline, ok := b.work.Deadline(); ok && deadline.Sub(c.cfg.Clock.Now()) < 2*slowest {
			// Its stamps go on as they are: the worker that carries it on takes them as old
			// (Restamp).
			next := workqueue.List(msg.Kind, token, msg.Mode, msg.Why, msg.Request)
			next.Profile = msg.Profile
			next.Baselines = s.stamps
			next.Findings = cur
			next.NotBefore = s.notBefore // not passed yet when no page so far had a name to send
			if err := c.cfg.Queue.Send(b.settle, []workqueue.Message{next}); err != nil {
				return err
			}
			q.Continued = append(q.Continued, msg.Kind)
			return nil
		}
	}
}

// publish runs one Security Hub call sequence in its own budget (ctx: the settle budget) when
// findings are on and the account is known. It never fails the invocation: a failure is
// logged, noted in r, counted (FindingsFailed, and TerminalFailures through
// SecurityHubFailed), and the next run imports again.
func (c *Controller) publish(ctx context.Context, scope findings.Scope, r *enforce.Report, call func(context.Context) (findings.Result, error)) *findings.Result {
	if c.cfg.Findings == nil {
		return nil
	}
	if scope.Account == "" || scope.Region == "" {
		err := errors.New("no invoked function ARN in the invocation context: the findings' account is unknown")
		c.cfg.Log.ErrorContext(ctx, "security hub findings not imported", slog.String("error", err.Error()))
		return &findings.Result{Error: err.Error()}
	}
	res, err := call(ctx)
	attrs := []slog.Attr{slog.String("product_arn", scope.ProductARN()), slog.Int("imported", res.Imported),
		slog.Int("archived", res.Archived), slog.Any("failed", res.Failed)}
	switch {
	case err != nil:
		res.Error = err.Error()
		c.cfg.Log.LogAttrs(ctx, slog.LevelError, "security hub findings not imported",
			append(attrs, slog.String("error", err.Error()), slog.Bool("retryable", enforce.Retryable(err)))...)
	case len(res.Failed) > 0:
		c.cfg.Log.LogAttrs(ctx, slog.LevelError, "security hub refused findings", attrs...)
	case res.Left:
		c.cfg.Log.LogAttrs(ctx, slog.LevelInfo, "security hub stale findings archived, more left for the next sweep", attrs...)
		r.Notes = appendNew(r.Notes, fmt.Sprintf("Security Hub: %d stale findings archived; more are left for the next sweep (this invocation's share of GetFindings ended)", res.Archived))
	default:
		c.cfg.Log.LogAttrs(ctx, slog.LevelInfo, "security hub findings imported", attrs...)
	}
	if SecurityHubFailed(&res) {
		r.Notes = appendNew(r.Notes, fmt.Sprintf("Security Hub: %d findings refused%s; the next run imports them again",
			len(res.Failed), strings.TrimSuffix(": "+res.Error, ": ")))
	}
	return &res
}

// SecurityHubFailed reports whether publishing findings failed, wholly or for some findings.
func SecurityHubFailed(res *findings.Result) bool {
	return res != nil && (res.Error != "" || len(res.Failed) > 0)
}

func addCounts(into, from map[string]int) map[string]int {
	if into == nil {
		into = map[string]int{}
	}
	for k, v := range from {
		into[k] += v
	}
	return into
}

func appendNew(to []string, more ...string) []string {
	for _, s := range more {
		if !slices.Contains(to, s) {
			to = append(to, s)
		}
	}
	return to
}
