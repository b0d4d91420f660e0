package handler

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// With a work queue (CORSGUARD_QUEUE_URL), one function plays two roles:
//
//	router  EventBridge events and schedules: check the baselines they concern, then put one
//	        message per resource on the SQS FIFO work queue (a sweep lists page by page, and
//	        carries a listing that outlasts the invocation on through the queue)
//	worker  SQS batches from the event source mapping: reconcile each message's resource with
//	        the engine, give busy ones back with a delay, and return the partial batch response
//
// Direct invocations ({"action":...}) still reconcile in-process and return the report.

// WorkBatch is the Event of an invocation by the work queue's event source mapping.
const WorkBatch Event = "work_batch"

// Queue is the work queue as the handler uses it; *workqueue.Queue satisfies it.
type Queue interface {
	Send(ctx context.Context, msgs []workqueue.Message) error
	GiveBack(ctx context.Context, receipt string, delay time.Duration) error
	// Calls returns the calls made since the last call of Calls, per IAM action.
	Calls() map[string]int
}

var _ Queue = (*workqueue.Queue)(nil)

// Worker is what the router and the worker need of the engine; *enforce.Engine satisfies it.
type Worker interface {
	Kinds() []policy.Kind
	Baselines(ctx context.Context, kinds []policy.Kind, mode enforce.Mode, reason string) *enforce.Report
	ListPage(ctx context.Context, kind policy.Kind, token string) (*enforce.Page, error)
	Reconcile(ctx context.Context, items []enforce.Item, reason string) *enforce.Report
}

var _ Worker = (*enforce.Engine)(nil)

// WithQueue makes the handler route events and schedules onto q and reconcile the batches q's
// event source mapping delivers with w (the engine).
func WithQueue(q Queue, w Worker) Option {
	return func(h *Handler) { h.queue, h.worker = q, w }
}

// withRand sets the source of the retry delays' jitter, uniform in [0, 1) (default
// math/rand/v2's Float64).
func withRand(r func() float64) Option { return func(h *Handler) { h.rand = r } }

// QueueResult is what an invocation did with the work queue.
type QueueResult struct {
	// Enqueued counts the reconcile messages sent.
	Enqueued int `json:"enqueued"`
	// Continued names the kinds whose listing was handed on through the queue (an OpList
	// message) because the invocation's deadline came before the last page.
	Continued []policy.Kind `json:"continued,omitempty"`
	// Failures counts the records given back to the queue (the batch item failures).
	Failures int `json:"failures,omitempty"`
	// Calls counts the SQS calls per IAM action, apart from the engine's APICalls.
	Calls map[string]int `json:"calls"`
}

// requestID returns the id that makes this request's messages distinct from any other
// request's: the EventBridge event's id (the same on Lambda's retries of the same event, so a
// retry is deduplicated; different for every later event or sweep).
func requestID(input []byte) string {
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(input, &e) // Route has decoded it already
	if e.ID != "" {
		return e.ID
	}
	// A hand-made event without an id: the same payload is the same request.
	return workqueue.Reconcile("", string(input), "", "", "").DeduplicationID()
}

// enqueue is the router: it checks the baselines of the kinds d concerns (nothing is enqueued
// under a missing or invalid baseline: one terminal failure, not one per resource), then puts a
// message per named resource on the queue, or lists every kind page by page.
func (h *Handler) enqueue(ctx context.Context, d decision, request string) (*Result, error) {
	started := time.Now()
	w := d.Work
	sweep := len(w.Containers) == 0 && len(w.Buckets) == 0 && len(w.Policies) == 0
	var kinds []policy.Kind
	var excluded []string
	for _, k := range h.worker.Kinds() {
		if sweep || len(w.Named(k)) > 0 {
			kinds = append(kinds, k)
		}
	}
	for _, k := range policy.Kinds() {
		if !slices.Contains(kinds, k) {
			excluded = append(excluded, w.Named(k)...)
		}
	}
	r := h.worker.Baselines(ctx, kinds, w.Mode, w.Reason)
	r.Excluded = append(r.Excluded, excluded...)
	q := &QueueResult{}
	var hub *findings.Result
	var ferr error
	if r.Baseline.Valid {
		var err error
		if sweep {
			listed := map[policy.Kind][]string{}
			for _, k := range kinds {
				if err = h.list(ctx, workqueue.List(k, "", r.Mode, w.Reason, request), q, r, listed); err != nil {
					break
				}
			}
			// The listing is the sweep's whole view where it ended in this invocation: the
			// findings of resources it no longer names (deleted, newly excluded) are archived.
			// A listing handed on through the queue is archived by a later sweep.
			for _, k := range q.Continued {
				delete(listed, k)
			}
			if err == nil && h.hub != nil && len(listed) > 0 {
				if hub, ferr = h.publish(ctx, nil, nil, listed); enforce.Retryable(ferr) {
					err = fmt.Errorf("security hub findings: %w", ferr)
				}
			}
		} else {
			var msgs []workqueue.Message
			for _, k := range kinds {
				for _, name := range w.Named(k) {
					msgs = append(msgs, workqueue.Reconcile(k, name, r.Mode, w.Reason, request))
				}
			}
			if err = h.queue.Send(ctx, msgs); err == nil {
				q.Enqueued += len(msgs)
			}
		}
		if err != nil {
			// SQS refused, or a listing failed: Lambda retries the event; the messages already
			// sent carry the same deduplication ids then, and are not doubled.
			r.Error, r.ErrorRetryable = err.Error(), enforce.Retryable(err)
			r.Succeeded = false
		}
	}
	r.Duration = time.Since(started)
	q.Calls = h.queue.Calls()
	var err error
	if r.RetryableFailures() > 0 {
		err = &RunError{Report: r}
	}
	h.emit(ctx, r.Mode, countFindingsFailure(reportMetrics(r, err != nil), ferr))
	h.summarize(ctx, d, r, err, slog.Any("queue", q))
	return &Result{Event: d.Event, Report: r, Queue: q, SecurityHub: hub}, err
}

// list carries msg's listing on from its token: page by page, each page's resources enqueued
// before the next page is read, for as long as the invocation's deadline allows (at least one
// page). What is left goes back on the queue as one OpList message from the next token, so
// that a listing of any size survives every deadline and never starts again from the top.
//
// listed, when not nil, collects the names of the resources enqueued, per kind.
func (h *Handler) list(ctx context.Context, msg workqueue.Message, q *QueueResult, r *enforce.Report, listed map[policy.Kind][]string) error {
	token := msg.Token
	var slowest time.Duration
	for {
		start := time.Now()
		page, err := h.worker.ListPage(ctx, msg.Kind, token)
		if page != nil {
			r.APICalls = addCounts(r.APICalls, page.APICalls)
		}
		if err != nil {
			return err
		}
		msgs := make([]workqueue.Message, 0, len(page.Names))
		for _, name := range page.Names {
			msgs = append(msgs, workqueue.Reconcile(msg.Kind, name, msg.Mode, msg.Why, msg.Request))
		}
		if err := h.queue.Send(ctx, msgs); err != nil {
			return err
		}
		q.Enqueued += len(msgs)
		if listed != nil {
			listed[msg.Kind] = append(listed[msg.Kind], page.Names...)
		}
		r.Excluded = append(r.Excluded, page.Excluded...)
		if page.Next == "" {
			return nil
		}
		token = page.Next
		slowest = max(slowest, time.Since(start))
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < 2*slowest+cmp.Or(h.cfg.Margin, enforce.DefaultMargin) {
			next := workqueue.List(msg.Kind, token, msg.Mode, msg.Why, msg.Request)
			if err := h.queue.Send(ctx, []workqueue.Message{next}); err != nil {
				return err
			}
			q.Continued = append(q.Continued, msg.Kind)
			return nil
		}
	}
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

// sqsEvent returns the payload as an SQS event when it is one (every record from aws:sqs).
func sqsEvent(payload []byte) (events.SQSEvent, bool) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) == 0 {
		return ev, false
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" {
			return ev, false
		}
	}
	return ev, true
}

// record is one SQS record of a batch, decoded.
type record struct {
	id, receipt, group string
	receives           int
	msg                workqueue.Message
}

// Work is the worker: it reconciles the resources of one batch of work queue messages and
// returns the records to give back (the partial batch response) with what it did (the
// Lambda handler answers with the first; the demo prints the second). Per record:
//
//   - done (compliant, remediated, drifted, exempt, gone): deleted by the event source mapping;
//   - a terminal failure (denied, invalid, a missing or invalid baseline): reported, counted in
//     TerminalFailures, and deleted: a retry could only repeat it;
//   - busy (CREATING, in use) or a failure a retry can fix: given back with the full-jitter
//     exponential delay of its receive count (ChangeMessageVisibility), so waiting costs no
//     function time;
//   - not started before the deadline: given back at once.
//
// A record given back takes the later records of its own message group with it, unprocessed
// (Powertools' SqsFifoPartialProcessor with skip_group_on_error): a group is one resource, so
// the other resources of the batch never pay for it. The invocation itself never fails: a
// function error would hand the whole batch back.
func (h *Handler) Work(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, *Result) {
	ctx = h.ours(ctx)
	started := time.Now()
	reason := fmt.Sprintf("work queue batch of %d", len(ev.Records))
	batch := &enforce.Report{Mode: cmp.Or(h.cfg.Mode, enforce.DefaultMode), Reason: reason, Started: started, Entries: []enforce.Entry{},
		Baseline: enforce.Baseline{Parameter: h.cfg.Parameters()[0], Valid: true}, APICalls: map[string]int{}}
	q := &QueueResult{}
	var resp events.SQSEventResponse
	failed := map[string]bool{} // message groups with a record given back
	giveBack := func(rec record, delay time.Duration) {
		if err := h.queue.GiveBack(ctx, rec.receipt, delay); err != nil {
			// It comes back after the queue's visibility timeout instead.
			h.log.WarnContext(ctx, "message not given back", slog.String("message_id", rec.id), slog.String("error", err.Error()))
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.id})
		failed[rec.group] = true
	}
	retry := func(rec record) {
		giveBack(rec, workqueue.Delay(rec.receives, cmp.Or(h.cfg.BackoffBase, enforce.DefaultBackoffBase),
			cmp.Or(h.cfg.BackoffCap, enforce.DefaultBackoffCap), h.rand))
	}

	var pending []record
	for _, m := range ev.Records {
		msg, err := workqueue.Decode(m.Body)
		if err != nil {
			// Not ours, or not readable: no retry can fix it; it is deleted and reported.
			batch.Entries = append(batch.Entries, enforce.Entry{Name: m.MessageId, Outcome: enforce.Failed, Error: err.Error()})
			continue
		}
		n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		group := m.Attributes["MessageGroupId"]
		if group == "" {
			group = msg.GroupID()
		}
		pending = append(pending, record{id: m.MessageId, receipt: m.ReceiptHandle, group: group, receives: max(n, 1), msg: msg})
	}

	// Rounds: the first pending record of every group that has not failed, reconciled
	// together; a group's next record waits for the next round (usually there is one).
	for len(pending) > 0 {
		var round, later, lists []record
		taken := map[string]bool{}
		for _, rec := range pending {
			switch {
			case failed[rec.group]:
				giveBack(rec, 0) // behind its group's failed record, which keeps the group's order
			case taken[rec.group]:
				later = append(later, rec)
			case rec.msg.Op == workqueue.OpList:
				taken[rec.group] = true
				lists = append(lists, rec)
			default:
				taken[rec.group] = true
				round = append(round, rec)
			}
		}
		if len(round) > 0 {
			h.reconcileRound(ctx, round, reason, batch, retry, giveBack)
		}
		for _, rec := range lists {
			if err := h.list(ctx, rec.msg, q, batch, nil); err != nil {
				if enforce.Retryable(err) {
					retry(rec)
				} else {
					// A listing denied: the sweep cannot go on; reported and deleted.
					batch.Error = err.Error()
				}
				batch.Notes = append(batch.Notes, fmt.Sprintf("listing %s from %q: %v", rec.msg.Kind, rec.msg.Token, err))
			}
		}
		pending = later
	}

	batch.Duration = time.Since(started)
	batch.Totals = map[enforce.Outcome]int{}
	for _, o := range enforce.Outcomes() {
		batch.Totals[o] = 0
	}
	for _, e := range batch.Entries {
		batch.Totals[e.Outcome]++
	}
	batch.Succeeded = batch.Baseline.Valid && batch.Error == "" && len(resp.BatchItemFailures) == 0 &&
		batch.Totals[enforce.Failed] == 0
	q.Failures = len(resp.BatchItemFailures)
	q.Calls = h.queue.Calls()
	var hub *findings.Result
	var ferr error
	if h.hub != nil {
		// The findings of what this batch decided; a resource given back to the queue (busy, a
		// failure a retry can fix, not started) gets its finding when it is decided. An import
		// that fails is logged: the batch's records are settled, the next sweep imports again.
		decided := *batch
		decided.Entries = slices.DeleteFunc(slices.Clone(batch.Entries), func(e enforce.Entry) bool {
			return e.Outcome == enforce.NotStarted || e.Outcome == enforce.Failed && e.Retryable
		})
		hub, ferr = h.publish(ctx, &decided, nil, nil)
	}
	h.emit(ctx, batch.Mode, countFindingsFailure(reportMetrics(batch, false), ferr))
	h.summarize(ctx, decision{Event: WorkBatch}, batch, nil, slog.Any("queue", q))
	return resp, &Result{Event: WorkBatch, Report: batch, Queue: q, SecurityHub: hub}
}

// reconcileRound reconciles one record per resource with the engine and decides each record.
func (h *Handler) reconcileRound(ctx context.Context, round []record, reason string, batch *enforce.Report,
	retry func(record), giveBack func(record, time.Duration)) {
	items := make([]enforce.Item, len(round))
	for i, rec := range round {
		items[i] = enforce.Item{Kind: rec.msg.Kind, Name: rec.msg.Name, Mode: rec.msg.Mode}
	}
	r := h.worker.Reconcile(ctx, items, reason)
	mergeReport(batch, r)
	byResource := map[string]enforce.Entry{}
	for _, e := range r.Entries {
		byResource[string(e.Kind)+"/"+e.Name] = e
	}
	for _, rec := range round {
		e, ok := byResource[string(rec.msg.Kind)+"/"+rec.msg.Name]
		switch {
		case !ok && slices.Contains(r.Excluded, rec.msg.Name):
			// The selector leaves it out (or its kind is no longer a target): nothing to do.
		case !ok:
			// Its kind's baseline is missing or invalid: nothing was touched. Retry only if
			// a retry can fix that (SSM throttled); a bad baseline is reported and alarmed,
			// and its messages deleted: the baseline's next change sweeps again.
			if slices.ContainsFunc(r.Baselines, func(b enforce.Baseline) bool {
				return b.Kind == rec.msg.Kind && !b.Valid && b.Retryable
			}) {
				retry(rec)
			}
		case e.Outcome == enforce.NotStarted:
			giveBack(rec, 0)
		case e.Outcome == enforce.Failed && e.Retryable:
			retry(rec)
		}
	}
}

// mergeReport adds one round's report to the batch's.
func mergeReport(batch, r *enforce.Report) {
	batch.Entries = append(batch.Entries, r.Entries...)
	batch.Excluded = append(batch.Excluded, r.Excluded...)
	batch.APICalls = addCounts(batch.APICalls, r.APICalls)
	batch.Notes = append(batch.Notes, r.Notes...)
	if len(batch.Baselines) == 0 || !r.Baseline.Valid {
		batch.Baseline, batch.Baselines = r.Baseline, slices.Clone(r.Baselines)
	}
	if r.Error != "" {
		batch.Error, batch.ErrorRetryable = r.Error, r.ErrorRetryable
	}
	batch.BaselineChangedDuringRun = batch.BaselineChangedDuringRun || r.BaselineChangedDuringRun
}
