package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/workqueue"
)

// Action is what becomes of one delivered message.
type Action int

const (
	// Done: the item is settled (compliant, remediated, drifted, exempt, gone, excluded);
	// the event source mapping deletes the message.
	Done Action = iota
	// Retry: busy, or a failure a retry can fix; the message is given back with Delay.
	Retry
	// GiveBack: not started (the deadline came first, or its group's earlier message was
	// given back); the message is given back at once.
	GiveBack
	// Terminal: a failure no retry can fix; reported, counted in TerminalFailures (alarmed)
	// and deleted, never retried in a loop.
	Terminal
)

func (a Action) String() string {
	return [...]string{"done", "retry", "give back", "terminal"}[a]
}

// Decision is the controller's verdict on one delivered message.
type Decision struct {
	Action Action
	// Delay is how long a Retry stays invisible.
	Delay time.Duration
	// Err is why, for every action but Done.
	Err error
}

// Decide turns the typed error of one item's reconcile (nil: settled) into a decision, after
// the message's receives-th receive. A busy resource's retry-after hint
// (*enforce.BusyError) is a floor of the delay, the full-jitter exponential backoff of the
// receive count the rest.
func (c *Controller) Decide(err error, receives int) Decision {
	switch {
	case err == nil:
		return Decision{Action: Done}
	case errors.Is(err, enforce.ErrNotStarted):
		return Decision{Action: GiveBack, Err: err}
	case !enforce.Retryable(err):
		return Decision{Action: Terminal, Err: err}
	}
	delay := workqueue.Delay(receives, c.cfg.BackoffBase, c.cfg.BackoffCap, c.cfg.Rand)
	var busy *enforce.BusyError
	if errors.As(err, &busy) {
		delay = max(delay, busy.RetryAfter)
	}
	var early *notYetError
	if errors.As(err, &early) {
		delay = max(delay, early.wait) // a change's listing: back no sooner than it may send
	}
	return Decision{Action: Retry, Delay: delay, Err: err}
}

// entryErr is the typed error of an entry, nil when it is settled.
func entryErr(e enforce.Entry) error {
	switch {
	case e.Outcome == enforce.NotStarted && e.Err == nil:
		return fmt.Errorf("%w: %s", enforce.ErrNotStarted, e.Error)
	case e.Outcome != enforce.Failed && e.Outcome != enforce.NotStarted:
		return nil
	case e.Err != nil:
		return e.Err
	case e.Retryable:
		return errors.New(e.Error)
	}
	return enforce.Terminal(errors.New(e.Error))
}

// Delivery is one SQS record of a batch: a message delivered to the worker.
type Delivery struct {
	ID, Receipt string
	// Group is the message group (one resource, or one listing).
	Group string
	// Source is the record's eventSourceARN.
	Source   string
	Receives int
	Body     string
}

// Batch is one invocation's deliveries, and where the function is.
type Batch struct {
	Deliveries []Delivery
	// Scope is where findings go.
	Scope findings.Scope
}

// Home is the function's own queue: an SQS ARN's account, Region and name. Work acts only on
// records whose eventSourceARN is this queue.
type Home struct {
	Account, Region, Queue string
}

// QueueHome reads the function's own queue from its URL and Region: the account and queue
// name are the URL's last two path segments (AWS's https://sqs.REGION.amazonaws.com/ACCOUNT/NAME,
// the legacy https://queue.amazonaws.com/ACCOUNT/NAME and VPC endpoint forms, and the
// emulator's alike), the Region the function's own (AWS_REGION), since a URL need not name one.
func QueueHome(queueURL, region string) (Home, error) {
	u, err := url.Parse(queueURL)
	var parts []string
	if err == nil {
		parts = strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	}
	if len(parts) < 2 || region == "" {
		return Home{}, fmt.Errorf("queue URL %q (Region %q): want https://HOST/ACCOUNT/NAME and a Region", queueURL, region)
	}
	return Home{Account: parts[len(parts)-2], Region: region, Queue: parts[len(parts)-1]}, nil
}

// Owns reports whether an eventSourceARN is h's queue.
func (h Home) Owns(source string) bool {
	a, err := arn.Parse(source)
	return err == nil && a.Service == "sqs" && a.Region == h.Region && a.AccountID == h.Account && a.Resource == h.Queue
}

// foreign reports whether d is a record of another queue than home's, which the worker and
// the publisher count, log and ignore: acting on it could touch what is not ours.
func (c *Controller) foreign(ctx context.Context, home Home, d Delivery, q *QueueResult) bool {
	if home.Owns(d.Source) {
		return false
	}
	q.Foreign++
	c.cfg.Log.WarnContext(ctx, "record of another queue ignored", slog.String("message_id", d.ID),
		slog.String("event_source_arn", d.Source), slog.String("own_queue", home.Queue))
	return true
}

// item is one delivered message, decoded, with what the worker needs to settle it.
type item struct {
	Delivery
	msg workqueue.Message
}

// accept returns the batch's deliveries to reconcile: records of another queue are counted
// and ignored; a body that does not decode is reported failed (a retry cannot fix it) and
// deleted; the function's mode ceiling applies to every message again.
func (c *Controller) accept(ctx context.Context, home Home, batch Batch, rep *enforce.Report, q *QueueResult) []item {
	var pending []item
	for _, d := range batch.Deliveries {
		if c.foreign(ctx, home, d, q) {
			continue
		}
		msg, err := workqueue.Decode(d.Body)
		if err != nil {
			// Not ours, or not readable: no retry can fix it; reported and deleted.
			rep.Entries = append(rep.Entries, enforce.Entry{Name: d.ID, Outcome: enforce.Failed, Error: err.Error(), Err: err})
			continue
		}
		msg.Mode = enforce.Effective(msg.Mode, c.cfg.Mode)
		if d.Group == "" {
			d.Group = msg.GroupID()
		}
		d.Receives = max(d.Receives, 1)
		pending = append(pending, item{Delivery: d, msg: msg})
	}
	return pending
}

// rounds reconciles pending: in each round the first pending item of every group not given
// back, together; a group's next item waits for the next round (usually there is one). An item
// behind one of its group given back is given back too, which keeps the group's order.
func (c *Controller) rounds(ctx context.Context, b budgets, scope findings.Scope, pending []item, reason string, rep *enforce.Report, q *QueueResult,
	given map[string]bool, settle func(item, Decision)) {
	for len(pending) > 0 {
		var round, later, lists []item
		taken := map[string]bool{}
		for _, it := range pending {
			switch {
			case given[it.Group]:
				settle(it, Decision{Action: GiveBack}) // behind its group's, which keeps the group's order
			case taken[it.Group]:
				later = append(later, it)
			case it.msg.Op == workqueue.OpList:
				taken[it.Group] = true
				lists = append(lists, it)
			default:
				taken[it.Group] = true
				round = append(round, it)
			}
		}
		if len(round) > 0 {
			c.reconcileRound(ctx, round, reason, rep, settle)
		}
		for _, it := range lists {
			err := c.continueListing(b, scope, it.msg, q, rep)
			var early *notYetError
			switch {
			case errors.As(err, &early):
				// Not a failure: given back until it may send.
				rep.Notes = append(rep.Notes, fmt.Sprintf("listing %s from %q: %v", it.msg.Kind, it.msg.Token, err))
			case err != nil:
				rep.KindErrors = append(rep.KindErrors, enforce.NewKindError(it.msg.Kind, err))
				rep.Notes = append(rep.Notes, fmt.Sprintf("listing %s from %q: %v", it.msg.Kind, it.msg.Token, err))
			}
			settle(it, c.Decide(err, it.Receives))
		}
		pending = later
	}

}

// Work is the worker: it reconciles the items of one batch and settles every message. Per
// message: a record of another queue is logged and counted, never acted on and never given back;
// a body that does not decode, a listing of a kind that is no longer a target or a listing
// that fails for good is terminal; the rest is decided by Decide. A message given back takes
// the later messages of its own group with it, unprocessed (Powertools'
// SqsFifoPartialProcessor with skip_group_on_error): a group is one resource, so the other
// resources of the batch never pay for it. failures lists the message ids to return (the
// partial batch response); the invocation itself never fails.
func (c *Controller) Work(ctx context.Context, home Home, batch Batch) (failures []string, res *Result) {
	b := c.budgets(ctx)
	defer b.cancel()
	started := c.cfg.Clock.Now()
	reason := fmt.Sprintf("work queue batch of %d", len(batch.Deliveries))
	rep := &enforce.Report{Mode: c.cfg.Mode, Reason: reason, Started: started, Entries: []enforce.Entry{},
		Baseline: enforce.Baseline{Valid: true}, APICalls: map[string]int{}}
	q := &QueueResult{}
	given := map[string]bool{} // message groups with a message given back
	settle := func(it item, d Decision) {
		if d.Action == Done || d.Action == Terminal {
			return
		}
		if err := c.cfg.Queue.GiveBack(b.settle, it.Receipt, d.Delay); err != nil {
			// It comes back after the queue's visibility timeout instead.
			c.cfg.Log.WarnContext(ctx, "message not given back", slog.String("message_id", it.ID), slog.String("error", err.Error()))
		}
		failures = append(failures, it.ID)
		given[it.Group] = true
	}

	pending := c.accept(ctx, home, batch, rep, q)
	all := slices.Clone(pending)
	c.rounds(ctx, b, batch.Scope, pending, reason, rep, q, given, settle)

	q.Failures = len(failures)
	res = &Result{Report: rep, Queue: q}
	// The findings of what this batch decided; an item given back (busy, a failure a retry
	// can fix, not started) gets its finding when it is decided, and a body that did not
	// decode names no resource.
	decided := *rep
	decided.Entries = slices.DeleteFunc(slices.Clone(rep.Entries), func(e enforce.Entry) bool {
		return e.Kind == "" || e.Outcome == enforce.NotStarted || e.Outcome == enforce.Failed && e.Retryable
	})
	if c.cfg.Handoff != nil && c.cfg.Findings != nil {
		var err error
		prevs := map[string]*workqueue.Previous{}
		for _, it := range all {
			if it.msg.Op == workqueue.OpReconcile && it.msg.Prev != nil {
				prevs[findings.ID(batch.Scope, it.msg.Kind, it.msg.Name)] = it.msg.Prev
			}
		}
		res.SecurityHub, q.FindingsMessages, err = c.handOff(b.settle, batch.Scope, &decided, prevs)
		if enforce.Retryable(err) {
			// Not handed over: the decided messages go back, so that their resources are
			// decided again and their findings handed then (a reconcile is idempotent).
			for _, it := range all {
				if !slices.Contains(failures, it.ID) && slices.ContainsFunc(decided.Entries, func(e enforce.Entry) bool {
					return e.Kind == it.msg.Kind && e.Name == it.msg.Name
				}) {
					settle(it, c.Decide(err, it.Receives))
				}
			}
		}
		q.Failures = len(failures)
	} else {
		res.SecurityHub = c.publish(b.settle, batch.Scope, rep, func(ctx context.Context) (findings.Result, error) {
			return c.cfg.Findings.Publish(ctx, batch.Scope, &decided, nil)
		})
	}
	rep.Duration = c.cfg.Clock.Now().Sub(started)
	rep.Tally()
	rep.Succeeded = rep.Succeeded && len(failures) == 0 && !SecurityHubFailed(res.SecurityHub)
	q.Calls = c.cfg.Queue.Calls()
	return failures, res
}

// continueListing carries a listing message on, unless its kind is no longer a target (terminal).
func (c *Controller) continueListing(b budgets, scope findings.Scope, msg workqueue.Message, q *QueueResult, rep *enforce.Report) error {
	if !slices.Contains(c.cfg.Worker.Kinds(), msg.Kind) {
		return enforce.Terminal(fmt.Errorf("list %s: %s is not among the targets %v", msg.Kind, msg.Kind, c.cfg.Worker.Kinds()))
	}
	if err := notYet(b.work, &stamped{notBefore: msg.NotBefore}, c.cfg.Clock.Now(), false); err != nil {
		return err // given back until it may send: no read of the baseline for nothing
	}
	// When the listing's stamps were read is not known here: each baseline is stamped with
	// the version this instance read as the latest within the freshness bound, or read now;
	// an invalid baseline enqueues nothing.
	before := c.cfg.Clock.Now()
	r := c.cfg.Worker.Restamp(b.work, msg.Kind, msg.Profile, msg.Baselines)
	rep.APICalls = addCounts(rep.APICalls, r.APICalls)
	q.StampRereads += r.Rereads
	if !r.Baseline.Valid {
		rep.Baselines = append(rep.Baselines, r.Baselines...)
		rep.Baseline = r.Baseline
		err := fmt.Errorf("list %s: %s", msg.Kind, r.Baseline.Error)
		if r.Baseline.Retryable {
			return err
		}
		return enforce.Terminal(err)
	}
	s := stampedOf(msg.Kind, r, before)
	s.notBefore = msg.NotBefore // a change's listing sends nothing before it, as its router
	return c.list(b, scope, msg, s, q, rep)
}

// reconcileRound reconciles one item per resource with the engine and decides each message.
func (c *Controller) reconcileRound(ctx context.Context, round []item, reason string, batch *enforce.Report, settle func(item, Decision)) {
	items := make([]enforce.Item, len(round))
	for i, it := range round {
		items[i] = enforce.Item{Kind: it.msg.Kind, Name: it.msg.Name, Mode: it.msg.Mode, FreshTags: it.msg.FreshTags, Baselines: it.msg.Baselines}
	}
	r := c.cfg.Worker.Reconcile(ctx, items, reason) // the engine keeps the margin itself
	merge(batch, r)
	byResource := map[string]enforce.Entry{}
	for _, e := range r.Entries {
		byResource[string(e.Kind)+"/"+e.Name] = e
	}
	for _, it := range round {
		e, ok := byResource[string(it.msg.Kind)+"/"+it.msg.Name]
		switch {
		case ok:
			settle(it, c.Decide(entryErr(e), it.Receives))
		case slices.Contains(r.Excluded, it.msg.Name):
			// The selector leaves it out (or its kind is no longer a target): nothing to do.
		default:
			// Its kind's baseline is missing or invalid: nothing was touched. Retried only if a
			// retry can fix that (SSM throttled); a bad baseline is reported once and alarmed,
			// and its messages deleted: the baseline's next change sweeps again.
			if slices.ContainsFunc(r.Baselines, func(bl enforce.Baseline) bool {
				return bl.Kind == it.msg.Kind && !bl.Valid && bl.Retryable
			}) {
				settle(it, c.Decide(errors.New("baseline unreadable for now"), it.Receives))
			}
		}
	}
}

// merge adds one round's report to the batch's.
func merge(batch, r *enforce.Report) {
	batch.Entries = append(batch.Entries, r.Entries...)
	batch.Excluded = append(batch.Excluded, r.Excluded...)
	batch.APICalls = addCounts(batch.APICalls, r.APICalls)
	batch.Notes = appendNew(batch.Notes, r.Notes...)
	if len(batch.Baselines) == 0 || !r.Baseline.Valid {
		batch.Baseline, batch.Baselines = r.Baseline, slices.Clone(r.Baselines)
	}
	if r.Error != "" {
		batch.Error, batch.ErrorRetryable = r.Error, r.ErrorRetryable
	}
	batch.BaselineChangedDuringRun = batch.BaselineChangedDuringRun || r.BaselineChangedDuringRun
}
