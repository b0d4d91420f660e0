package controller

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

func TestDecideTurnsTheTypedErrorIntoOneAction(t *testing.T) {
	c := New(nil, Config{BackoffBase: time.Second, BackoffCap: time.Minute, Rand: func() float64 { return 0.5 }})
	busy := &enforce.BusyError{Err: fmt.Errorf("still CREATING: %w", enforce.ErrBusy), RetryAfter: 40 * time.Second}
	for _, tc := range []struct {
		name     string
		err      error
		receives int
		want     Decision
	}{
		{"settled", nil, 1, Decision{Action: Done}},
		{"not started before the deadline", fmt.Errorf("%w: deadline", enforce.ErrNotStarted), 1, Decision{Action: GiveBack}},
		{"denied", enforce.Terminal(errors.New("AccessDenied")), 1, Decision{Action: Terminal}},
		{"throttled past the SDK's retries", errors.New("ThrottlingException"), 1, Decision{Action: Retry, Delay: workqueue.MinDelay}},
		{"throttled, fourth receive", errors.New("ThrottlingException"), 5, Decision{Action: Retry, Delay: 8 * time.Second}},
		{"busy: its hint is the floor", busy, 1, Decision{Action: Retry, Delay: 40 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Decide(tc.err, tc.receives)
			if got.Action != tc.want.Action || got.Delay != tc.want.Delay || (got.Err == nil) != (tc.err == nil) {
				t.Errorf("Decide(%v, %d) = %v %v %v, want %v %v", tc.err, tc.receives, got.Action, got.Delay, got.Err, tc.want.Action, tc.want.Delay)
			}
		})
	}
}

func TestTheOwnQueueComesFromTheURLAndTheRegion(t *testing.T) {
	for _, tc := range []struct {
		url, region string
		source      string
		owns        bool
	}{
		{"https://sqs.us-east-1.amazonaws.com/111122223333/work.fifo", "us-east-1", "arn:aws:sqs:us-east-1:111122223333:work.fifo", true},
		{"https://queue.amazonaws.com/111122223333/work.fifo", "eu-west-1", "arn:aws:sqs:eu-west-1:111122223333:work.fifo", true},
		{"https://vpce-0abc.sqs.us-east-1.vpce.amazonaws.com/111122223333/work.fifo", "us-east-1", "arn:aws:sqs:us-east-1:111122223333:work.fifo", true},
		{"http://127.0.0.1:4566/012345678912/work.fifo", "us-east-1", "arn:aws:sqs:us-east-1:012345678912:work.fifo", true},
		{"https://sqs.us-east-1.amazonaws.com/111122223333/work.fifo", "us-east-1", "arn:aws:sqs:eu-west-1:111122223333:work.fifo", false},
		{"https://sqs.us-east-1.amazonaws.com/111122223333/work.fifo", "us-east-1", "arn:aws:sqs:us-east-1:999999999999:work.fifo", false},
		{"https://sqs.us-east-1.amazonaws.com/111122223333/work.fifo", "us-east-1", "arn:aws:sqs:us-east-1:111122223333:other.fifo", false},
		{"https://sqs.us-east-1.amazonaws.com/111122223333/work.fifo", "us-east-1", "arn:aws:sns:us-east-1:111122223333:work.fifo", false},
		{"https://sqs.us-east-1.amazonaws.com/111122223333/work.fifo", "us-east-1", "", false},
	} {
		h, err := QueueHome(tc.url, tc.region)
		if err != nil {
			t.Fatalf("QueueHome(%q): %v", tc.url, err)
		}
		if got := h.Owns(tc.source); got != tc.owns {
			t.Errorf("home %+v owns %q = %v, want %v", h, tc.source, got, tc.owns)
		}
	}
	for _, bad := range [][2]string{{"https://sqs.us-east-1.amazonaws.com/", "us-east-1"}, {"https://h/1/q.fifo", ""}} {
		if _, err := QueueHome(bad[0], bad[1]); err == nil {
			t.Errorf("QueueHome(%q, %q): no error", bad[0], bad[1])
		}
	}
}

func TestAuditWins(t *testing.T) {
	for _, tc := range [][3]enforce.Mode{
		{enforce.ModeEnforce, enforce.ModeEnforce, enforce.ModeEnforce},
		{enforce.ModeEnforce, enforce.ModeAudit, enforce.ModeAudit},
		{enforce.ModeAudit, enforce.ModeEnforce, enforce.ModeAudit},
		{"", enforce.ModeAudit, enforce.ModeAudit},
		{"", enforce.ModeEnforce, enforce.ModeEnforce},
	} {
		if got := enforce.Effective(tc[0], tc[1]); got != tc[2] {
			t.Errorf("Effective(%q, ceiling %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

// fakeEngine lists two pages of buckets, the second denied, and one page of containers.
type fakeEngine struct{}

func (fakeEngine) Run(context.Context, enforce.Work) *enforce.Report { return &enforce.Report{} }
func (fakeEngine) Kinds() []policy.Kind                              { return []policy.Kind{policy.MediaStore, policy.S3} }
func (fakeEngine) Baselines(_ context.Context, kinds []policy.Kind, w enforce.Work) *enforce.Report {
	r := &enforce.Report{Mode: w.Mode, Reason: w.Reason, Baseline: enforce.Baseline{Valid: true}}
	for _, k := range kinds {
		r.Baselines = append(r.Baselines, enforce.Baseline{Kind: k, Valid: true})
	}
	return r
}
func (fakeEngine) ListPage(_ context.Context, k policy.Kind, token, _ string) (*enforce.Page, error) {
	switch {
	case k == policy.MediaStore:
		return &enforce.Page{Names: []string{"live-news"}}, nil
	case token == "":
		return &enforce.Page{Names: []string{"media-0"}, Next: "page-2"}, nil
	}
	return &enforce.Page{}, enforce.Terminal(errors.New("list buckets: AccessDenied"))
}
func (fakeEngine) ProfileBaseline(_ context.Context, ref enforce.ProfileRef, mode enforce.Mode, reason string) *enforce.Report {
	return &enforce.Report{Mode: mode, Reason: reason, Baseline: enforce.Baseline{Kind: ref.Kind, Profile: ref.Name, Valid: true}}
}

func (fakeEngine) Restamp(context.Context, policy.Kind, string, enforce.Stamps) *enforce.Report {
	return &enforce.Report{Baseline: enforce.Baseline{Valid: true}}
}
func (fakeEngine) Reread(context.Context, policy.Kind, enforce.Stamps) *enforce.Report {
	return &enforce.Report{}
}
func (fakeEngine) Reconcile(context.Context, []enforce.Item, string) *enforce.Report {
	return &enforce.Report{}
}

type fakeQueue struct{ sent []workqueue.Message }

func (q *fakeQueue) Send(_ context.Context, msgs []workqueue.Message) error {
	q.sent = append(q.sent, msgs...)
	return nil
}
func (q *fakeQueue) GiveBack(context.Context, string, time.Duration) error { return nil }
func (q *fakeQueue) Calls() map[string]int                                 { return nil }

// A listing denied on its second page is terminal for its kind only: the other kind and the
// first page are enqueued, the kind reported, and the request succeeds (no retry of the event).
func TestAListingDeniedOnPageTwoIsTerminalForItsKindOnly(t *testing.T) {
	q := &fakeQueue{}
	c := New(fakeEngine{}, Config{Queue: q, Worker: fakeEngine{}})
	res := c.Serve(context.Background(), Request{Work: enforce.Work{Reason: "sweep"}, ID: "r1"})
	if res.Err != nil {
		t.Errorf("error %v; a terminal listing failure must not make Lambda retry the event", res.Err)
	}
	if len(q.sent) != 2 || res.Queue.Enqueued != 2 {
		t.Errorf("sent %v, enqueued %d; want live-news and media-0", q.sent, res.Queue.Enqueued)
	}
	if k := res.Report.KindErrors; len(k) != 1 || k[0].Kind != policy.S3 || k[0].Retryable || res.Report.TerminalFailures() != 1 {
		t.Errorf("kind errors %+v, terminal %d; want s3's, terminal, counted once", k, res.Report.TerminalFailures())
	}
}

// slowPages lists s3 in pages of 9 s each: the first names no bucket (a profile's listing
// whose first page holds none of the profile's buckets), the second one.
type slowPages struct{ fakeEngine }

func (slowPages) Kinds() []policy.Kind { return []policy.Kind{policy.S3} }
func (slowPages) ListPage(_ context.Context, _ policy.Kind, token, _ string) (*enforce.Page, error) {
	time.Sleep(9 * time.Second)
	if token == "" {
		return &enforce.Page{Next: "page-2"}, nil
	}
	return &enforce.Page{Names: []string{"media-0"}}, nil
}

// A change's listing that its router hands on (the deadline nears) before it sent anything
// carries the change's not_before in its OpList message, so the worker that carries it on
// sends nothing before it either. Before, the message dropped it, and the worker sent at once.
func TestAChangesListingHandedOnCarriesItsNotBefore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeQueue{}
		c := New(slowPages{}, Config{Queue: q, Worker: slowPages{}})
		changed := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second+enforce.DefaultMargin)
		defer cancel()
		res := c.Serve(ctx, Request{Work: enforce.Work{Mode: enforce.ModeEnforce, Reason: "SSM Update"}, ID: "change-1", Changed: changed})
		if res.Err != nil || len(res.Queue.Continued) != 1 {
			t.Fatalf("error %v, continued %v; want the listing handed on", res.Err, res.Queue.Continued)
		}
		want := changed.Add(time.Second + enforce.StampSettle)
		if len(q.sent) != 1 || q.sent[0].Op != workqueue.OpList || !q.sent[0].NotBefore.Equal(want) {
			t.Fatalf("sent %+v; want one listing message with not_before %v", q.sent, want)
		}
		if time.Now().After(want) {
			t.Fatalf("handed on at %v, after %v: the test no longer hands on before the not_before", time.Now(), want)
		}
		m, err := workqueue.Decode(q.sent[0].Body())
		if err != nil || !m.NotBefore.Equal(want) {
			t.Errorf("the listing message decodes to not_before %v (%v), want %v", m.NotBefore, err, want)
		}
	})
}
