package findings_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
)

// built returns the findings of n containers named c000..., observed at at, half of them
// drifted when drifted.
func built(n int, at time.Time, drifted bool) []findings.Finding {
	var es []enforce.Entry
	for i := range n {
		o := enforce.Compliant
		if drifted && i%2 == 0 {
			o = enforce.Drifted
		}
		es = append(es, entry(fmt.Sprintf("c%03d", i), o))
	}
	return findings.Build(scope, report(es...), at, nil)
}

func TestPackFillsMessagesAndDecodeReadsThemBack(t *testing.T) {
	fs := built(400, t0, true)
	checked := map[string]bool{}
	for i := 0; i < len(fs); i += 3 {
		checked[fs[i].ID] = true
	}
	bodies, err := findings.Pack(scope, fs, checked)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range bodies {
		total += len(b)
	}
	// As few messages as fit: every message but the last is full enough that the next
	// finding would not have fitted.
	if want := (total + findings.MaxMessageBytes - 1) / findings.MaxMessageBytes; len(bodies) < want || len(bodies) > want+1 {
		t.Errorf("%d messages for %d bytes, want %d (or one more for the cut)", len(bodies), total, want)
	}
	var back []findings.Finding
	backChecked := map[string]bool{}
	for i, b := range bodies {
		if len(b) > findings.MaxMessageBytes {
			t.Errorf("message %d: %d bytes, more than %d", i, len(b), findings.MaxMessageBytes)
		}
		s, got, ch, err := findings.DecodeMessage(b)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		for id := range ch {
			backChecked[id] = true
		}
		if s.Account != scope.Account || s.Region != scope.Region {
			t.Errorf("message %d: scope %+v", i, s)
		}
		back = append(back, got...)
	}
	if diff := cmp.Diff(fs, back); diff != "" {
		t.Errorf("findings through the messages (-packed +decoded):\n%s", diff)
	}
	if diff := cmp.Diff(checked, backChecked); diff != "" {
		t.Errorf("checked Ids through the messages (-packed +decoded):\n%s", diff)
	}
	if bodies, _ := findings.Pack(scope, built(10, t0, true), nil); len(bodies) != 1 {
		t.Errorf("a worker batch's 10 findings take %d messages, want 1", len(bodies))
	}
}

func TestDecodeMessageRefusesWhatAWorkerWouldNotSend(t *testing.T) {
	good, err := findings.Pack(scope, built(1, t0, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := good[0]
	other := findings.Scope{Account: "210987654321", Region: "us-east-1"}
	foreign, _ := findings.Pack(other, built(1, t0, false), nil) // Ids of 123456789012 under 210987654321
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", "hello", "invalid character"},
		{"an unknown field", strings.Replace(body, `{"corsguard_findings":1,`, `{"corsguard_findings":1,"extra":true,`, 1), "unknown field"},
		{"a duplicate key", strings.Replace(body, `"region":"us-east-1",`, `"region":"us-east-1","region":"eu-west-1",`, 1), "appears twice"},
		{"another version", strings.Replace(body, `"corsguard_findings":1`, `"corsguard_findings":2`, 1), "version 2"},
		{"an account that is not 12 digits", strings.ReplaceAll(body, "123456789012", "12345"), "not 12 digits"},
		{"no findings", `{"corsguard_findings":1,"account":"123456789012","region":"us-east-1","findings":[]}`, "none"},
		{"data after the message", body + "{}", "data after"},
		{"a finding of another account", foreign[0], "not one of corsguard's"},
		{"another product", strings.Replace(body, "product/123456789012/default", "product/123456789012/other", 1), "ProductArn"},
		{"another generator", strings.Replace(body, "corsguard/cors-baseline/", "someone/else/", 1), "GeneratorId"},
		{"a bad timestamp", strings.Replace(body, `"UpdatedAt":"2026-03-01T12:00:00.000Z"`, `"UpdatedAt":"yesterday"`, 1), "timestamp"},
		{"a checked Id not among its findings", body[:len(body)-1] + `,"checked":["corsguard/123456789012/us-east-1/s3/other"]}`, "not one of the message's findings"},
		{"too large", body[:len(body)-2] + strings.Repeat(" ", findings.MaxMessageBytes) + "]}", "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := findings.DecodeMessage(tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("DecodeMessage: %v, want an error saying %q", err, tc.want)
			}
			if enforce.Retryable(err) {
				t.Errorf("%v is retryable: no retry reads a malformed message better", err)
			}
		})
	}
}

func FuzzDecodeMessage(f *testing.F) {
	fs := built(3, t0, true)
	bodies, err := findings.Pack(scope, fs, map[string]bool{fs[1].ID: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bodies[0])
	f.Add(strings.Replace(bodies[0], `"checked":["`, `"checked":["x`, 1))
	f.Add(`{"corsguard_findings":1,"account":"123456789012","region":"us-east-1","findings":[{}]}`)
	f.Add(`{"a":{"b":1,"b":2}}`)
	f.Fuzz(func(t *testing.T, body string) {
		s, fs, checked, err := findings.DecodeMessage(body)
		if err != nil {
			if enforce.Retryable(err) {
				t.Fatalf("a refusal that is retryable: %v", err)
			}
			return
		}
		// What decodes is corsguard's own, and packs back into a message that decodes the same.
		again, err := findings.Pack(s, fs, checked)
		if err != nil || len(again) != 1 {
			t.Fatalf("Pack of a decoded message: %d bodies, %v", len(again), err)
		}
		s2, fs2, checked2, err := findings.DecodeMessage(again[0])
		if err != nil || s2 != s || len(fs2) != len(fs) || len(checked2) != len(checked) {
			t.Fatalf("round trip: %+v %d %v %v", s2, len(fs2), checked2, err)
		}
	})
}

// An Outbox over the emulator's SQS: a standard queue, as the template makes it.
func TestOutboxHandsFindingsInAsFewMessagesAsFit(t *testing.T) {
	emu := emulator.New(emulator.WithAccount(scope.Account), emulator.WithRegion(scope.Region), emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	if err := emu.SeedQueue("findings", nil); err != nil {
		t.Fatal(err)
	}
	c := sqs.New(sqs.Options{Region: scope.Region, BaseEndpoint: aws.String(srv.URL), HTTPClient: emulator.HTTPClient(), Retryer: aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})})
	o := findings.NewOutbox(c, emu.QueueURL(srv.URL, "findings"))
	fs := built(400, t0, true)
	n, err := o.Hand(context.Background(), scope, fs, nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies, _ := findings.Pack(scope, fs, nil)
	if n != len(bodies) || n < 2 {
		t.Errorf("%d messages sent, want %d (Pack's)", n, len(bodies))
	}
	if calls := emu.CallCount("SendMessageBatch"); calls != (n+9)/10 {
		t.Errorf("%d SendMessageBatch calls for %d messages", calls, n)
	}
	if v, _, _, _ := emu.QueueDepth("findings"); v != n {
		t.Errorf("%d messages on the queue, want %d", v, n)
	}

	missing := findings.NewOutbox(c, emu.QueueURL(srv.URL, "no-such-queue"))
	if _, err := missing.Hand(context.Background(), scope, fs[:1], nil); err == nil || enforce.Retryable(err) {
		t.Errorf("a queue that does not exist: %v, want a terminal error", err)
	}
}

func TestPublishFindingsImportsTheChangedOnes100ToACall(t *testing.T) {
	h := newHub(t)
	now := t0.Add(time.Minute)
	p := findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithReadRate(1000), findings.WithRefresh(30*24*time.Hour),
		findings.WithClock(at{&now}))
	ctx := context.Background()

	res, err := p.PublishFindings(ctx, scope, built(250, t0, false), nil)
	if err != nil || res.Imported != 250 {
		t.Fatalf("first: %+v, %v", res, err)
	}
	if n := h.emu.CallCount("BatchImportFindings"); n != 3 {
		t.Errorf("%d BatchImportFindings calls for 250 findings, want 3", n)
	}
	if n := h.emu.CallCount("GetFindings"); n != 13 {
		t.Errorf("%d GetFindings calls for 250 findings, want 13 (20 Ids to a filter)", n)
	}

	// The same states an hour later: nothing to import. Half of them drifted: 125 imports, 2 calls.
	h.emu.ResetCalls()
	now = now.Add(time.Hour)
	res, err = p.PublishFindings(ctx, scope, built(250, t0.Add(time.Hour), false), nil)
	if err != nil || res.Imported != 0 || res.Unchanged != 250 || h.emu.CallCount("BatchImportFindings") != 0 {
		t.Fatalf("unchanged: %+v, %v, %d imports", res, err, h.emu.CallCount("BatchImportFindings"))
	}
	res, err = p.PublishFindings(ctx, scope, built(250, t0.Add(2*time.Hour), true), nil)
	if err != nil || res.Imported != 125 || res.Unchanged != 125 || h.emu.CallCount("BatchImportFindings") != 2 {
		t.Fatalf("half drifted: %+v, %v, %d imports", res, err, h.emu.CallCount("BatchImportFindings"))
	}
	if got := h.states(t)["mediastore/c000"]; got != "FAILED ACTIVE" {
		t.Errorf("c000: %q", got)
	}
}

// The findings queue is standard: an older observation may arrive after a newer one, and
// twice. The newer state stays.
func TestPublishFindingsKeepsTheNewerObservation(t *testing.T) {
	h := newHub(t)
	now := t0.Add(3 * time.Hour)
	p := findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithReadRate(1000), findings.WithRefresh(30*24*time.Hour),
		findings.WithClock(at{&now}))
	ctx := context.Background()
	newer := built(2, t0.Add(2*time.Hour), true) // c000 drifted
	older := built(2, t0, false)                 // c000 compliant, earlier
	// In one batch, older after newer: the newer wins.
	res, err := p.PublishFindings(ctx, scope, append(append([]findings.Finding{}, newer...), older...), nil)
	if err != nil || res.Imported != 2 || res.Superseded != 2 {
		t.Fatalf("one batch: %+v, %v", res, err)
	}
	// Alone, later: Security Hub holds a newer observation already.
	res, err = p.PublishFindings(ctx, scope, older, nil)
	if err != nil || res.Imported != 0 || res.Superseded != 2 {
		t.Fatalf("older alone: %+v, %v", res, err)
	}
	if got := h.states(t)["mediastore/c000"]; got != "FAILED ACTIVE" {
		t.Errorf("c000 is %q, want the newer FAILED ACTIVE", got)
	}
}

func TestPublishFindingsFailsRetryablyWhenThrottledPastTheRetries(t *testing.T) {
	h := newHub(t)
	now := t0
	p := findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithReadRate(1000), findings.WithRefresh(time.Hour),
		findings.WithClock(at{&now}))
	h.emu.Script("GetFindings", "", 1, "ThrottlingException")
	_, err := p.PublishFindings(context.Background(), scope, built(3, t0, false), nil)
	if err == nil || !enforce.Retryable(err) {
		t.Fatalf("throttled: %v, want a retryable error", err)
	}
	h.emu.SetSecurityHubEnabled(false)
	_, err = p.PublishFindings(context.Background(), scope, built(3, t0, false), nil)
	if !errors.Is(err, findings.ErrNotEnabled) || enforce.Retryable(err) {
		t.Fatalf("not enabled: %v, want terminal ErrNotEnabled", err)
	}
}

// A repair is news even where the finding passed before (a drift between two sweeps, repaired
// by the second): the publisher imports it, as Publish does; the compliant sweep after it
// imports nothing.
func TestPublishFindingsImportsARepairOfAPassingFinding(t *testing.T) {
	h := newHub(t)
	now := t0.Add(time.Minute)
	p := findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithReadRate(1000), findings.WithRefresh(30*24*time.Hour),
		findings.WithClock(at{&now}))
	ctx := context.Background()
	at := func(o enforce.Outcome, d time.Duration) []findings.Finding {
		return findings.Build(scope, report(entry("c000", o)), t0.Add(d), nil)
	}
	for _, step := range []struct {
		outcome enforce.Outcome
		imports int
	}{{enforce.Compliant, 1}, {enforce.Remediated, 1}, {enforce.Compliant, 0}} {
		now = now.Add(time.Hour)
		res, err := p.PublishFindings(ctx, scope, at(step.outcome, now.Sub(t0)), nil)
		if err != nil || res.Imported != step.imports {
			t.Errorf("%s: %+v, %v; want %d imported", step.outcome, res, err, step.imports)
		}
	}
}

// A storm of events: 100 unstamped findings and a read share that cannot read them back in the
// first half of the time the invocation has left. The publisher reads what it can (the first 20,
// its one token), imports the other 80 as changed, and ends in time instead of failing the batch
// to see it come back and fail the same way. The 20 it read back keep the CreatedAt Security Hub
// held; the 80 unread take the worker's (its observation's time): BatchImportFindings replaces
// a finding's CreatedAt with the update's. The read share's token bucket and the deadline are
// on the wall clock whatever the publisher's clock (its findings' timestamps) says: behind it
// or a year ahead, the same.
func TestPublishFindingsImportsWhatItHadNoTimeToReadBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		now  time.Time
	}{
		{"the publisher's clock behind the wall clock", t0.Add(time.Minute)},
		{"the publisher's clock a year ahead of it", time.Now().AddDate(1, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			now := tc.now
			p := findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithReadRate(0.001), findings.WithRefresh(time.Hour),
				findings.WithClock(at{&now}))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			created := t0.AddDate(0, -1, 0)
			var held []types.AwsSecurityFinding
			for _, f := range built(100, created, false) {
				held = append(held, f.SDK())
			}
			if out, err := h.sh.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: held}); err != nil || aws.ToInt32(out.FailedCount) != 0 {
				t.Fatalf("seed: %v %v", out, err)
			}
			h.emu.ResetCalls()
			res, err := p.PublishFindings(ctx, scope, built(100, t0, false), nil)
			if err != nil {
				t.Fatalf("PublishFindings: %v; want the unread imported in time", err)
			}
			calls := h.emu.CallCount("GetFindings")
			for i, f := range getAll(t, h) {
				want := findings.Timestamp(created) // read back: kept
				if n, _ := strconv.Atoi(strings.TrimPrefix(f.ProductFields["corsguard/Name"], "c")); n >= 20 {
					want = findings.Timestamp(t0) // unread: the worker's
				}
				if got := aws.ToString(f.CreatedAt); got != want {
					t.Errorf("finding %d (%s): CreatedAt %s, want %s", i, aws.ToString(f.Id), got, want)
				}
			}
			if calls != 1 {
				t.Errorf("%d GetFindings calls, want 1 (the one token of the read share)", calls)
			}
			if res.Imported != 100 || res.Unread != 80 {
				t.Errorf("imported %d, unread %d; want 100 and 80", res.Imported, res.Unread)
			}
		})
	}
}

// getAll returns every finding the emulator's Security Hub holds.
func getAll(t *testing.T, h *hub) []types.AwsSecurityFinding {
	t.Helper()
	var out []types.AwsSecurityFinding
	p := securityhub.NewGetFindingsPaginator(h.sh, &securityhub.GetFindingsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Findings...)
	}
	return out
}
