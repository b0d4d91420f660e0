package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// stamped is one kind's stamps as the work queue sends them: enforce's Rule A (freshness) and
// Rule B (settling) keep stamps from decreasing in enqueue order within a resource's message
// group (see enforce.StampFreshness for the rules and why they are enough).
type stamped struct {
	kind   policy.Kind
	stamps enforce.Stamps
	// read is no later than the stamps' reads (the controller's clock).
	read time.Time
	// settled is when the newest stamped version has settled (Rule B): StampSettle after its
	// LastModifiedDate, or after the read when Parameter Store's clock says it was made later
	// (a clock ahead of ours by more than StampSkew: the version existed at the read).
	settled time.Time
	// notBefore is when the messages may be sent at all, stamped or not (a change's sweep).
	notBefore time.Time
}

// stampedOf returns kind's stamps of r, read no later than read.
func stampedOf(kind policy.Kind, r *enforce.Report, read time.Time) *stamped {
	t := r.StampTimes[kind]
	if !t.Read.IsZero() && t.Read.Before(read) {
		read = t.Read // a version this instance read earlier
	}
	made := t.Modified
	if made.IsZero() || read.Before(made) {
		made = read
	}
	return &stamped{kind: kind, stamps: r.Stamps[kind], read: read, settled: made.Add(enforce.StampSettle)}
}

// again returns s read again as r says: versions no newer than s's settled when s's did.
func (s *stamped) again(r *enforce.Report, read time.Time) *stamped {
	next := stampedOf(s.kind, r, read)
	next.notBefore = s.notBefore
	for p, v := range next.stamps {
		if v > s.stamps[p] {
			return next
		}
	}
	if s.settled.Before(next.settled) {
		next.settled = s.settled
	}
	return next
}

// drop sends the kind's messages without stamps: each worker reads the latest versions.
func (s *stamped) drop() { s.stamps = nil }

// record puts the stamps last sent in r.Stamps (none: the kind stamped nothing).
func (s *stamped) record(r *enforce.Report) {
	if len(s.stamps) == 0 {
		delete(r.Stamps, s.kind)
		return
	}
	if r.Stamps == nil {
		r.Stamps = map[policy.Kind]enforce.Stamps{}
	}
	r.Stamps[s.kind] = s.stamps
}

// notYetError says that a change's sweep may send nothing before until (Request.Changed: the
// event's time + 1 s + StampSettle), stamped or not, and that the work budget cannot hold the
// wait: nothing was sent. The router's invocation fails retryably (Lambda retries the event);
// a worker gives its listing message back for wait (Decide).
type notYetError struct {
	until time.Time
	wait  time.Duration
}

func (e *notYetError) Error() string {
	return fmt.Sprintf("a change's sweep sends nothing before %s (%v from now), longer than the invocation's budget holds: nothing sent, retried then",
		e.until.UTC().Format(time.RFC3339), e.wait)
}

// notYet returns a *notYetError when s may not be sent yet (notBefore) and the work budget
// cannot hold the wait, or when waited already (a wait cut short); nil otherwise.
func notYet(ctx context.Context, s *stamped, now time.Time, waited bool) error {
	wait := s.notBefore.Sub(now)
	if wait > 0 && (waited || !fits(ctx, now, wait)) {
		return &notYetError{until: s.notBefore, wait: wait}
	}
	return nil
}

// ready makes s's stamps fit to send now, or drops them: Rule B first, waiting (at most once)
// until the newest stamped version has settled, if the work budget allows; then Rule A,
// reading the stamps again (at most once, with the Parameter Store share's tokens) when their
// read is too old to start a SendMessageBatch. A version read again that is not settled yet
// (another change since) is dropped, not waited for again: the wait is bounded by one
// StampSettle per batch. A change's sweep waits until notBefore, stamped or not; when the
// work budget cannot hold that wait, ready returns a *notYetError and nothing may be sent.
func (c *Controller) ready(ctx context.Context, s *stamped, q *QueueResult, r *enforce.Report) error {
	waited, reread := false, false
	for {
		now := c.cfg.Clock.Now()
		if err := notYet(ctx, s, now, waited); err != nil {
			return err
		}
		until := s.notBefore
		if len(s.stamps) > 0 && s.settled.After(until) {
			until = s.settled
		}
		wait := until.Sub(now)
		switch {
		case wait > 0 && !waited && fits(ctx, now, wait):
			waited = true
			q.StampWait += wait
			if c.cfg.Clock.Sleep(ctx, wait) != nil {
				s.drop()
				return notYet(ctx, s, c.cfg.Clock.Now(), true)
			}
			continue
		case wait > 0 && len(s.stamps) > 0:
			s.drop() // not settled, and no more waiting: unstamped
			continue
		case len(s.stamps) == 0 || enforce.StampsFresh(s.read, now):
			return nil
		case reread:
			s.drop()
			return nil
		}
		reread = true
		rep := c.cfg.Worker.Reread(ctx, s.kind, s.stamps)
		r.APICalls = addCounts(r.APICalls, rep.APICalls)
		q.StampRereads += rep.Rereads
		*s = *s.again(rep, now)
	}
}

// fits reports whether waiting d from now leaves the time to send within ctx's deadline.
func fits(ctx context.Context, now time.Time, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || deadline.Sub(now) > d+2*enforce.StampSendMargin
}

// sendStamped sends msgs, ten per SendMessageBatch, each batch stamped with s when s is fit
// to send then (ready), and unstamped otherwise.
func (c *Controller) sendStamped(ctx context.Context, msgs []workqueue.Message, s *stamped, q *QueueResult, r *enforce.Report) error {
	for start := 0; start < len(msgs); start += workqueue.BatchSize {
		batch := msgs[start:min(start+workqueue.BatchSize, len(msgs))]
		if err := c.ready(ctx, s, q, r); err != nil {
			return err
		}
		if err := c.sendBatch(ctx, batch, s); err != nil {
			return err
		}
	}
	return nil
}

// sendBatch sends one batch with s's stamps, under a deadline StampSendMargin before their
// read + StampFreshness (Rule A), so that neither the SDK's retries nor the resends of entries
// SQS refused carry a stamp past it. A batch that the deadline cuts off is sent again
// unstamped: its deduplication ids are the same, so SQS drops the copy of any message it
// accepted stamped (before the bound), and the others arrive without stamps. The next batch
// reads the stamps again (ready) or goes unstamped too.
func (c *Controller) sendBatch(ctx context.Context, batch []workqueue.Message, s *stamped) error {
	for i := range batch {
		batch[i].Baselines = s.stamps
	}
	if len(s.stamps) == 0 {
		return c.cfg.Queue.Send(ctx, batch)
	}
	by := s.read.Add(enforce.StampFreshness - enforce.StampSendMargin)
	bounded, cancel := context.WithTimeout(ctx, by.Sub(c.cfg.Clock.Now()))
	err := c.cfg.Queue.Send(bounded, batch)
	cut := bounded.Err() != nil && ctx.Err() == nil
	cancel()
	if err == nil || !cut {
		return err
	}
	for i := range batch {
		batch[i].Baselines = nil
	}
	return c.cfg.Queue.Send(ctx, batch)
}
