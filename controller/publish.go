package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/workqueue"
)

// handOff is the worker's findings step on the findings queue's path: it builds the findings
// of what the batch decided and hands them to the findings queue (Handoff), calling Security
// Hub not at all. prevs holds, by "kind/name", what a sweep's listing read of the previous
// findings: a finding with one is handed only when it changed (findings.Publisher.Unchanged),
// keeping the previous CreatedAt, and marked checked, so that the publisher does not read it
// back; one without one (an event's, an older message's) is handed for the publisher to
// decide, unless the worker repaired its resource: a repair is a change of state whatever the
// previous finding says (issue 29), so it is marked checked too and never waits for the
// publishers' small read share (a storm of drifts would otherwise keep them reading for
// minutes); its CreatedAt is the observation's, as an unread finding's. It returns what it did, the messages sent and the error: a retryable one makes the
// worker give the decided messages back; a terminal one is reported and alarmed.
func (c *Controller) handOff(ctx context.Context, scope findings.Scope, decided *enforce.Report, prevs map[string]*workqueue.Previous) (*findings.Result, int, error) {
	if scope.Account == "" || scope.Region == "" {
		err := errors.New("no invoked function ARN in the invocation context: the findings' account is unknown")
		c.cfg.Log.ErrorContext(ctx, "security hub findings not handed over", slog.String("error", err.Error()))
		return &findings.Result{Error: err.Error()}, 0, enforce.Terminal(err)
	}
	now := c.cfg.Clock.Now()
	created := map[string]string{}
	for id, p := range prevs {
		if p.CreatedAt != "" {
			created[id] = p.CreatedAt
		}
	}
	fs, checked, unchanged := c.changed(scope, decided, findings.Build(scope, decided, now, created), prevs, now)
	if len(fs) == 0 {
		if unchanged > 0 {
			return &findings.Result{Unchanged: unchanged}, 0, nil
		}
		return nil, 0, nil
	}
	n, err := c.cfg.Handoff.Hand(ctx, scope, fs, checked)
	switch {
	case err == nil:
		c.cfg.Log.InfoContext(ctx, "security hub findings handed to the findings queue", slog.Int("findings", len(fs)),
			slog.Int("unchanged", unchanged), slog.Int("messages", n))
		return &findings.Result{Handed: len(fs), Unchanged: unchanged}, n, nil
	case enforce.Retryable(err):
		c.cfg.Log.WarnContext(ctx, "security hub findings not handed over: the decided messages go back", slog.String("error", err.Error()))
		decided.Notes = appendNew(decided.Notes, fmt.Sprintf("Security Hub: %d findings not handed to the findings queue (%v); their messages go back", len(fs), err))
		return &findings.Result{}, n, err
	}
	c.cfg.Log.ErrorContext(ctx, "security hub findings not handed over", slog.String("error", err.Error()), slog.Bool("retryable", false))
	decided.Notes = appendNew(decided.Notes, fmt.Sprintf("Security Hub: %d findings not handed to the findings queue: %v", len(fs), err))
	return &findings.Result{Error: err.Error()}, n, err
}

// repairedIDs returns the Ids of the findings of the resources decided repaired.
func repairedIDs(scope findings.Scope, decided *enforce.Report) map[string]bool {
	out := map[string]bool{}
	for _, e := range decided.Entries {
		if e.Outcome == enforce.Remediated {
			out[findings.ID(scope, e.Kind, e.Name)] = true
		}
	}
	return out
}

// changed returns the findings of fs (built from decided) to hand over: those without a
// previous finding stamped (checked when decided repaired their resource: a repair is a
// change), and those that changed from it (checked); it counts the unchanged ones it leaves out.
func (c *Controller) changed(scope findings.Scope, decided *enforce.Report, fs []findings.Finding, prevs map[string]*workqueue.Previous, now time.Time) (
	out []findings.Finding, checked map[string]bool, unchanged int) {
	repaired := repairedIDs(scope, decided)
	checked = map[string]bool{}
	for _, f := range fs {
		p := prevs[f.ID]
		if p == nil {
			out = append(out, f)
			if repaired[f.ID] {
				checked[f.ID] = true
			}
			continue
		}
		if !p.None() && c.cfg.Findings.Unchanged(f, findings.Prior(*p), now) {
			unchanged++
			continue
		}
		out = append(out, f)
		checked[f.ID] = true
	}
	return out, checked, unchanged
}

// Publish is the publisher: the consumer of the findings queue. Per message: a record of
// another queue than home is logged and counted, never acted on and never given back; a body
// that does not decode, or that names another account or Region than the function's, is
// terminal (reported, alarmed, deleted). The findings of the other messages are imported
// together (findings.Publisher.PublishFindings: the changed ones, 100 to a call, at the
// publisher's share of the import rate). When that fails for a reason a retry can fix
// (throttling past the SDK's retries, the deadline), every one of those messages is returned
// in failures (the partial batch response) and SQS delivers it again after the queue's
// visibility timeout; what was imported already is then found unchanged. A terminal failure
// (Security Hub not enabled, denied) is reported and alarmed, and the messages deleted.
func (c *Controller) Publish(ctx context.Context, home Home, batch Batch) (failures []string, res *Result) {
	b := c.budgets(ctx)
	defer b.cancel()
	started := c.cfg.Clock.Now()
	rep := &enforce.Report{Mode: c.cfg.Mode, Reason: fmt.Sprintf("findings queue batch of %d", len(batch.Deliveries)), Started: started,
		Entries: []enforce.Entry{}, Baseline: enforce.Baseline{Valid: true}, APICalls: map[string]int{}}
	q := &QueueResult{}
	var fs []findings.Finding
	var ids []string
	var checked []bool // checked[i]: fs[i] was checked by its worker (its message says so)
	for _, d := range batch.Deliveries {
		if c.foreign(ctx, home, d, q) {
			continue
		}
		scope, got, ch, err := findings.DecodeMessage(d.Body)
		if err == nil && (scope.Account != batch.Scope.Account || scope.Region != batch.Scope.Region) {
			err = enforce.Terminal(fmt.Errorf("findings message: findings of account %s, Region %s; this function imports those of account %s, Region %s",
				scope.Account, scope.Region, batch.Scope.Account, batch.Scope.Region))
		}
		if err != nil {
			rep.Entries = append(rep.Entries, enforce.Entry{Name: d.ID, Outcome: enforce.Failed, Error: err.Error(), Err: err})
			continue
		}
		fs = append(fs, got...)
		ids = append(ids, d.ID)
		for _, f := range got {
			checked = append(checked, ch[f.ID])
		}
	}
	res = &Result{Report: rep, Queue: q}
	if len(fs) > 0 && c.cfg.Findings != nil {
		var err error
		res.SecurityHub = c.publish(b.work, batch.Scope, rep, func(ctx context.Context) (findings.Result, error) {
			var r findings.Result
			r, err = c.cfg.Findings.PublishFindings(ctx, batch.Scope, fs, checked)
			return r, err
		})
		if enforce.Retryable(err) {
			// Given back whole: the publisher's next delivery finds what was imported unchanged.
			failures = ids
			res.SecurityHub.Error = ""
			// Not "the next run imports them again": the same messages come back.
			rep.Notes = slices.DeleteFunc(rep.Notes, func(n string) bool { return strings.HasPrefix(n, "Security Hub: ") })
			rep.Notes = appendNew(rep.Notes, fmt.Sprintf("Security Hub: %d messages go back to the findings queue: %v", len(ids), err))
		}
	}
	q.Failures = len(failures)
	rep.Duration = c.cfg.Clock.Now().Sub(started)
	rep.Tally()
	rep.Succeeded = rep.Succeeded && len(failures) == 0 && !SecurityHubFailed(res.SecurityHub)
	return failures, res
}
