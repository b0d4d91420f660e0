package controller

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

var hubScope = findings.Scope{Account: "123456789012", Region: "us-east-1"}

// hubFixture is a Controller whose publisher reads the emulator's Security Hub (no quotas, no
// retries: each call is one request).
type hubFixture struct {
	emu  *emulator.Emulator
	hub  *securityhub.Client
	c    *Controller
	logs bytes.Buffer
}

func newHubFixture(t *testing.T) *hubFixture {
	t.Helper()
	emu := emulator.New(emulator.WithAccount(hubScope.Account), emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	hub := securityhub.New(securityhub.Options{Region: hubScope.Region, BaseEndpoint: aws.String(srv.URL), Retryer: aws.NopRetryer{},
		HTTPClient: emulator.HTTPClient(), Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	f := &hubFixture{emu: emu, hub: hub}
	pub := findings.NewPublisher(hub, findings.WithRefresh(time.Hour), findings.WithListingReadRate(1e6), findings.WithReadRate(1e6))
	f.c = New(nil, Config{Findings: pub, Handoff: findings.NewOutbox(nil, ""), Log: slog.New(slog.NewJSONHandler(&f.logs, nil))})
	return f
}

// seed imports one finding per name (archived where archived says so), in a shuffled order:
// Security Hub's import order is not the names'.
func (f *hubFixture) seed(t *testing.T, names []string, archived func(string) bool) {
	t.Helper()
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var batch []types.AwsSecurityFinding
	for _, n := range shuffled {
		at := findings.Timestamp(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		x := types.AwsSecurityFinding{
			SchemaVersion: aws.String(findings.SchemaVersion), Id: aws.String(findings.ID(hubScope, policy.S3, n)),
			ProductArn: aws.String(hubScope.ProductARN()), GeneratorId: aws.String(findings.GeneratorID(policy.S3)),
			AwsAccountId: aws.String(hubScope.Account), Types: []string{"Software and Configuration Checks/CORS"},
			CreatedAt: aws.String(at), UpdatedAt: aws.String(at), Title: aws.String("t"), Description: aws.String("d"),
			Severity:      &types.Severity{Label: types.SeverityLabelInformational},
			Resources:     []types.Resource{{Type: aws.String("AwsS3Bucket"), Id: aws.String("arn:aws:s3:::" + n)}},
			ProductFields: map[string]string{findings.StateField: "5ab" + fmt.Sprint(len(n))},
		}
		if archived(n) {
			x.RecordState = types.RecordStateArchived
		}
		if batch = append(batch, x); len(batch) == findings.MaxBatch {
			f.importBatch(t, batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		f.importBatch(t, batch)
	}
}

func (f *hubFixture) importBatch(t *testing.T, batch []types.AwsSecurityFinding) {
	t.Helper()
	out, err := f.hub.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: batch})
	if err != nil || aws.ToInt32(out.FailedCount) != 0 {
		t.Fatalf("import: %v %+v", err, out)
	}
}

// listPages walks a listing of names, pageSize to a page (every eleventh name excluded by the
// selector), through stampPrevious, carrying the cursor from page to page in an OpList message
// body as the work queue does between invocations. It returns every listed name's stamp (nil:
// none stamped) and the GetFindings calls made.
func (f *hubFixture) listPages(t *testing.T, names []string, pageSize int, before func(page int)) (map[string]*workqueue.Previous, int) {
	t.Helper()
	stamps := map[string]*workqueue.Previous{}
	cur := &workqueue.FindingsCursor{}
	rep := &enforce.Report{APICalls: map[string]int{}}
	for start := 0; start < len(names); start += pageSize {
		if before != nil {
			before(start / pageSize)
		}
		page := &enforce.Page{}
		for i, n := range names[start:min(start+pageSize, len(names))] {
			if (start+i)%11 == 10 {
				page.Excluded = append(page.Excluded, n)
			} else {
				page.Names = append(page.Names, n)
			}
		}
		var got map[string]*workqueue.Previous
		if cur != nil {
			got, cur = f.c.stampPrevious(context.Background(), hubScope, policy.S3, page, cur, rep)
		}
		for _, n := range page.Names {
			stamps[n] = got[n]
		}
		next := workqueue.List(policy.S3, "page", enforce.ModeEnforce, "test", "sweep")
		next.Findings = cur
		m, err := workqueue.Decode(next.Body())
		if err != nil {
			t.Fatalf("the listing message after %d names does not decode: %v\n%s", start+pageSize, err, next.Body())
		}
		cur = m.Findings
	}
	return stamps, rep.APICalls["securityhub:GetFindings"]
}

func bucketNames(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("media-%05d", i*3))
	}
	return out
}

// The merge stamps each listed bucket with its own finding, whatever the page sizes: the
// archived ones as archived, a bucket without a finding as none; a finding whose bucket is gone
// stamps nothing. It reads each findings page once: ⌈findings ÷ 100⌉ calls.
func TestTheListingStampsEachBucketWithItsPreviousFinding(t *testing.T) {
	f := newHubFixture(t)
	listed := bucketNames(700)
	var withFinding []string
	for i, n := range listed {
		if i%7 != 3 { // every seventh bucket is new: no finding
			withFinding = append(withFinding, n)
		}
	}
	gone := []string{"media-00001", "media-00500", "media-99999"} // findings of buckets no longer listed
	archived := func(n string) bool { return strings.HasSuffix(n, "5") }
	f.seed(t, append(slices.Clone(withFinding), gone...), archived)
	total := len(withFinding) + len(gone)
	for _, pageSize := range []int{1000, 250, 37, 1} {
		t.Run(fmt.Sprintf("listing pages of %d", pageSize), func(t *testing.T) {
			stamps, calls := f.listPages(t, listed, pageSize, nil)
			for i, n := range listed {
				p := stamps[n]
				if i%11 == 10 {
					continue // excluded: no message
				}
				switch {
				case p == nil:
					t.Fatalf("%s: no stamp", n)
				case slices.Contains(withFinding, n) && (p.None() || p.State != "5ab11" || p.Archived != archived(n) || p.UpdatedAt == "" || p.CreatedAt == ""):
					t.Fatalf("%s: stamped %+v, want its finding (archived %v)", n, *p, archived(n))
				case !slices.Contains(withFinding, n) && !p.None():
					t.Fatalf("%s has no finding, stamped %+v", n, *p)
				}
			}
			if want := (total + 99) / 100; calls < want || calls > want+1 {
				t.Errorf("%d GetFindings calls for %d findings, want %d (100 a page; one more where the last page ends a listing page)", calls, total, want)
			}
		})
	}
}

// A token Security Hub refuses mid-listing (or any failure of the read) stops the stamping for
// the rest of the listing, and says so in the log: those findings are read back by Id.
func TestATokenRefusedMidListingStampsNothingFromThere(t *testing.T) {
	f := newHubFixture(t)
	listed := bucketNames(500)
	f.seed(t, listed, func(string) bool { return false })
	// Listing pages of 50: by the fifth (names 200 to 249) three findings pages are read
	// (findings 0 to 299); the next read, for the sixth page, is refused.
	stamps, _ := f.listPages(t, listed, 50, func(page int) {
		if page == 4 {
			f.emu.Script("GetFindings", "", 1, "InvalidInputException")
		}
	})
	for i, n := range listed {
		if i%11 == 10 {
			continue
		}
		if got := stamps[n] != nil; got != (i < 250) {
			t.Fatalf("%s (listed %d): stamped %v, want %v: stamps until the refusal, none after it", n, i, got, i < 250)
		}
	}
	if !strings.Contains(f.logs.String(), "previous findings not read with the listing") {
		t.Errorf("the log does not say that the reading stopped:\n%s", f.logs.String())
	}
}

// A listing page out of name order (which S3 does not give, but a merge must not trust
// blindly) stops the stamping as a refused token does.
func TestAListingOutOfNameOrderStampsNothing(t *testing.T) {
	f := newHubFixture(t)
	f.seed(t, []string{"a-1", "b-2"}, func(string) bool { return false })
	cur := &workqueue.FindingsCursor{After: "m-0"}
	rep := &enforce.Report{}
	got, next := f.c.stampPrevious(context.Background(), hubScope, policy.S3, &enforce.Page{Names: []string{"b-2"}}, cur, rep)
	if got != nil || next != nil || len(rep.Notes) == 0 {
		t.Errorf("a page before the cursor: stamps %v, cursor %+v, notes %v; want none, none and a note", got, next, rep.Notes)
	}
}

// The worker decides "changed" from the stamp with the publisher's own rule: a resource without
// a finding, an archived finding, a repair and a changed state are handed over (checked, so
// that the publisher reads none of them back); the same state within the refresh period is not;
// a message without a stamp is handed over unchecked, for the publisher to read back, unless
// its resource was repaired (a repair is a change whatever the previous finding: the storm of
// drifts in the bench would otherwise keep the publishers reading back for minutes).
func TestTheWorkerHandsOverOnlyWhatChangedFromTheStamp(t *testing.T) {
	f := newHubFixture(t)
	now := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	entry := func(name string, o enforce.Outcome) enforce.Entry {
		e := enforce.Entry{Kind: policy.S3, Name: name, Outcome: o}
		if o == enforce.Drifted || o == enforce.Remediated {
			e.Diff = []policy.Change{{Path: "CORSRules[0].AllowedOrigins", Op: "change", Added: []string{"https://a.example"}, Removed: []string{"*"}}}
		}
		return e
	}
	rep := &enforce.Report{Mode: enforce.ModeEnforce, Baseline: enforce.Baseline{Parameter: "/corsguard/baseline", Version: 3, Valid: true},
		Entries: []enforce.Entry{entry("same", enforce.Compliant), entry("stale", enforce.Compliant), entry("archived", enforce.Compliant),
			entry("new", enforce.Compliant), entry("repaired", enforce.Remediated), entry("drifted", enforce.Drifted), entry("event", enforce.Compliant),
			entry("event-repaired", enforce.Remediated), entry("event-drifted", enforce.Drifted)}}
	built := findings.Build(hubScope, rep, now, nil)
	state := func(name string) string {
		for _, x := range built {
			if x.ProductFields["corsguard/Name"] == name {
				return findings.State(x)
			}
		}
		t.Fatalf("no finding of %s", name)
		return ""
	}
	recent, old := findings.Timestamp(now.Add(-time.Minute)), findings.Timestamp(now.Add(-2*time.Hour)) // refresh: 1 hour
	created := "2026-01-01T00:00:00.000Z"
	prevs := map[string]*workqueue.Previous{
		findings.ID(hubScope, policy.S3, "same"):     {State: state("same"), UpdatedAt: recent, CreatedAt: created},
		findings.ID(hubScope, policy.S3, "stale"):    {State: state("stale"), UpdatedAt: old, CreatedAt: created},
		findings.ID(hubScope, policy.S3, "archived"): {State: state("archived"), UpdatedAt: recent, CreatedAt: created, Archived: true},
		findings.ID(hubScope, policy.S3, "new"):      {},
		findings.ID(hubScope, policy.S3, "repaired"): {State: state("same"), UpdatedAt: recent, CreatedAt: created},
		findings.ID(hubScope, policy.S3, "drifted"):  {State: state("same"), UpdatedAt: recent, CreatedAt: created},
	}
	fs, checked, unchanged := f.c.changed(hubScope, rep, built, prevs, now)
	var handed []string
	for _, x := range fs {
		name := x.ProductFields["corsguard/Name"]
		handed = append(handed, name)
		if wantChecked := name != "event" && name != "event-drifted"; checked[x.ID] != wantChecked {
			t.Errorf("%s: checked %v, want %v", name, checked[x.ID], wantChecked)
		}
	}
	if want := []string{"stale", "archived", "new", "repaired", "drifted", "event", "event-repaired", "event-drifted"}; !slices.Equal(handed, want) || unchanged != 1 {
		t.Errorf("handed %v (%d unchanged), want %v (1 unchanged)", handed, unchanged, want)
	}
}

// A finding's "checked" goes with that finding, not with its Id. One publisher batch holds a
// sweep's message with bucket a's finding, checked by its worker, and an event's message with a
// later finding of a, unchecked: the event's wins, and it is read back (Security Hub holds the
// same state, imported ten minutes ago: unchanged, not imported). Before, the sweep's message
// marked the Id checked for the whole batch, and the event's finding was imported unread.
func TestACheckedFindingDoesNotMarkAnotherMessagesFindingOfTheSameIdChecked(t *testing.T) {
	f := newHubFixture(t)
	now := time.Now()
	rep := &enforce.Report{Mode: enforce.ModeEnforce, Baseline: enforce.Baseline{Parameter: "/corsguard/baseline", Version: 3, Valid: true},
		Entries: []enforce.Entry{{Kind: policy.S3, Name: "a", Outcome: enforce.Compliant}}}
	sweeps, events := findings.Build(hubScope, rep, now.Add(-2*time.Minute), nil), findings.Build(hubScope, rep, now.Add(-time.Minute), nil)
	held := findings.Build(hubScope, rep, now.Add(-10*time.Minute), nil)[0]
	held.ProductFields[findings.StateField] = findings.State(held)
	f.importBatch(t, []types.AwsSecurityFinding{held.SDK()})
	var deliveries []Delivery
	for i, m := range []struct {
		fs      []findings.Finding
		checked bool
	}{{sweeps, true}, {events, false}} {
		bodies, err := findings.Pack(hubScope, m.fs, map[string]bool{m.fs[0].ID: m.checked})
		if err != nil || len(bodies) != 1 {
			t.Fatalf("pack: %v, %d bodies", err, len(bodies))
		}
		deliveries = append(deliveries, Delivery{ID: fmt.Sprint("m-", i), Receipt: fmt.Sprint("r-", i),
			Source: "arn:aws:sqs:us-east-1:123456789012:findings", Receives: 1, Body: bodies[0]})
	}
	f.emu.ResetCalls()
	home := Home{Account: hubScope.Account, Region: hubScope.Region, Queue: "findings"}
	failures, res := f.c.Publish(context.Background(), home, Batch{Deliveries: deliveries, Scope: hubScope})
	if len(failures) != 0 || res.SecurityHub == nil {
		t.Fatalf("failures %v, result %+v", failures, res.SecurityHub)
	}
	if got := *res.SecurityHub; got.Imported != 0 || got.Unchanged != 1 || got.Superseded != 1 || f.emu.CallCount("GetFindings") != 1 {
		t.Errorf("imported %d, unchanged %d, superseded %d, %d GetFindings; want the event's finding read back (1 call) and found unchanged",
			got.Imported, got.Unchanged, got.Superseded, f.emu.CallCount("GetFindings"))
	}
}

// A GetFindings page of previous findings out of Id order (which GetFindings sorted by Id does
// not give, but a merge must not trust blindly) stamps nothing from it, as a listing out of
// name order does: here the service's answer is reversed on its way to the SDK client, so the
// page holds a-3, a-2, a-1. Without the guard the merge would stop at the first name past the
// listing's and stamp a-1 and a-2 "no finding": a wrong "changed".
func TestAFindingsPageOutOfIdOrderStampsNothing(t *testing.T) {
	f := newHubFixture(t)
	names := []string{"a-1", "a-2", "a-3"}
	f.seed(t, names, func(string) bool { return false })
	reverse := middleware.InitializeMiddlewareFunc("reverseFindings", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
		middleware.InitializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleInitialize(ctx, in)
		if o, ok := out.Result.(*securityhub.GetFindingsOutput); ok {
			slices.Reverse(o.Findings)
		}
		return out, md, err
	})
	hub := securityhub.New(f.hub.Options(), func(o *securityhub.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Initialize.Add(reverse, middleware.After) })
	})
	pub := findings.NewPublisher(hub, findings.WithRefresh(time.Hour), findings.WithListingReadRate(1e6), findings.WithReadRate(1e6))
	c := New(nil, Config{Findings: pub, Handoff: findings.NewOutbox(nil, ""), Log: slog.New(slog.NewJSONHandler(&f.logs, nil))})
	rep := &enforce.Report{}
	got, next := c.stampPrevious(context.Background(), hubScope, policy.S3, &enforce.Page{Names: names[:2]}, &workqueue.FindingsCursor{}, rep)
	if got != nil || next != nil || len(rep.Notes) == 0 {
		t.Errorf("a findings page out of Id order: stamps %v, cursor %+v, notes %v; want none, none and a note", got, next, rep.Notes)
	}
	if !strings.Contains(f.logs.String(), "not in name order") {
		t.Errorf("the log does not say why the reading stopped:\n%s", f.logs.String())
	}
}
