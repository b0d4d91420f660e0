package findings_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

var (
	scope = findings.Scope{Account: "123456789012", Region: "us-east-1"}
	t0    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func report(entries ...enforce.Entry) *enforce.Report {
	return &enforce.Report{
		Baseline:  enforce.Baseline{Parameter: "/corsguard/baseline", Version: 3, Valid: true},
		Baselines: []enforce.Baseline{{Kind: policy.MediaStore, Parameter: "/corsguard/baseline", Version: 3, Valid: true}, {Kind: policy.S3, Parameter: "/corsguard/baseline", Version: 3, Valid: true}},
		Mode:      enforce.ModeAudit,
		Entries:   entries,
	}
}

func entry(name string, o enforce.Outcome) enforce.Entry {
	e := enforce.Entry{Name: name, Kind: policy.MediaStore, Outcome: o}
	if o == enforce.Drifted || o == enforce.Remediated {
		e.Diff = []policy.Change{{Path: "CorsPolicy[0].AllowedOrigins", Op: "change", Added: []string{"https://example.com"}, Removed: []string{"*"}}}
	}
	if o == enforce.Failed {
		e.Error = "get cors policy: AccessDeniedException"
	}
	return e
}

func TestBuildMapsEachOutcome(t *testing.T) {
	rep := report(entry("ok", enforce.Compliant), entry("fixed", enforce.Remediated), entry("bad", enforce.Drifted),
		entry("skip", enforce.Exempt), entry("broken", enforce.Failed), entry("deleted", enforce.Gone), entry("late", enforce.NotStarted))
	got := map[string]string{}
	for _, f := range findings.Build(scope, rep, t0, nil) {
		got[f.ProductFields["corsguard/Name"]] = strings.Join([]string{f.Compliance.Status, f.Severity.Label, f.RecordState, f.FindingProviderFields.Severity.Label}, " ")
	}
	want := map[string]string{
		"ok":      "PASSED INFORMATIONAL ACTIVE INFORMATIONAL",
		"fixed":   "PASSED INFORMATIONAL ACTIVE INFORMATIONAL",
		"bad":     "FAILED MEDIUM ACTIVE MEDIUM",
		"skip":    "NOT_AVAILABLE INFORMATIONAL ACTIVE INFORMATIONAL",
		"broken":  "WARNING LOW ACTIVE LOW",
		"deleted": "NOT_AVAILABLE INFORMATIONAL ARCHIVED INFORMATIONAL",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status severity record-state (-want +got):\n%s", diff)
	}
}

func TestBuildWritesTheRequiredFieldsIdsAndResources(t *testing.T) {
	rep := report(entry("movies", enforce.Drifted), enforce.Entry{Name: "media-eu", Kind: policy.S3, Outcome: enforce.Compliant},
		enforce.Entry{Name: "abc123", Kind: policy.CloudFront, Outcome: enforce.Compliant},
		enforce.Entry{Name: "media-cors", ID: "57e8b1b5-b1f5-4ec4-b4d8-8c7f29cd1d0a", Kind: policy.CloudFront, Outcome: enforce.Drifted})
	fs := findings.Build(scope, rep, t0, map[string]string{"corsguard/123456789012/us-east-1/mediastore/movies": "2026-01-01T00:00:00.000Z"})
	type view struct{ ID, ResourceType, ResourceID, Region, Generator, Created string }
	var got []view
	for _, f := range fs {
		got = append(got, view{f.ID, f.Resources[0].Type, f.Resources[0].ID, f.Resources[0].Region, f.GeneratorID, f.CreatedAt})
		if f.SchemaVersion != "2018-10-08" || f.AwsAccountID != "123456789012" || f.ProductARN != "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default" ||
			f.UpdatedAt != "2026-03-01T12:00:00.000Z" || f.Title == "" || f.Description == "" || len(f.Types) != 1 || f.Severity == nil {
			t.Errorf("finding %s lacks a required field or has a wrong one: %+v", f.ID, f)
		}
	}
	want := []view{
		{"corsguard/123456789012/us-east-1/mediastore/movies", "Other", "arn:aws:mediastore:us-east-1:123456789012:container/movies", "us-east-1", "corsguard/cors-baseline/mediastore", "2026-01-01T00:00:00.000Z"},
		{"corsguard/123456789012/us-east-1/s3/media-eu", "AwsS3Bucket", "arn:aws:s3:::media-eu", "us-east-1", "corsguard/cors-baseline/s3", "2026-03-01T12:00:00.000Z"},
		{"corsguard/123456789012/global/cloudfront/abc123", "Other", "cloudfront/response-headers-policy/abc123", "", "corsguard/cors-baseline/cloudfront", "2026-03-01T12:00:00.000Z"},
		{"corsguard/123456789012/global/cloudfront/media-cors", "Other", "arn:aws:cloudfront::123456789012:response-headers-policy/57e8b1b5-b1f5-4ec4-b4d8-8c7f29cd1d0a", "", "corsguard/cors-baseline/cloudfront", "2026-03-01T12:00:00.000Z"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(fs[0].Description, "AllowedOrigins") || !strings.Contains(fs[0].Description, "/corsguard/baseline (version 3)") {
		t.Errorf("a drifted finding's description does not say what drifted from which baseline: %q", fs[0].Description)
	}
	if !strings.Contains(fs[0].Remediation.Recommendation.Text, "corsguard apply") {
		t.Errorf("remediation does not say how corsguard fixes it: %q", fs[0].Remediation.Recommendation.Text)
	}
}

func TestBuildKeepsTextWithinASFFLimits(t *testing.T) {
	e := entry(strings.Repeat("n", 255), enforce.Drifted)
	for i := range 300 {
		e.Diff = append(e.Diff, policy.Change{Path: fmt.Sprintf("CorsPolicy[%d]", i), Op: "add", To: strings.Repeat("x", 300)})
	}
	f := findings.Build(scope, report(e), t0, nil)[0]
	if n := len([]rune(f.Title)); n > 256 {
		t.Errorf("Title has %d characters; ASFF allows 256", n)
	}
	if n := len([]rune(f.Description)); n > 1024 {
		t.Errorf("Description has %d characters; ASFF allows 1024", n)
	}
	if !strings.Contains(f.Description, "more change(s)") {
		t.Errorf("a long diff is not shortened with a count: %q", f.Description)
	}
	// ProductFields (50 pairs, keys of 128, values of 2,048) and Recommendation.Text (512),
	// whatever the names and the baseline parameter are.
	rep := report(entry(strings.Repeat("n", 3000), enforce.Failed))
	rep.Baselines[0].Parameter = "/" + strings.Repeat("p", 3000)
	f = findings.Build(scope, rep, t0, nil)[0]
	if len(f.ProductFields) == 0 || len(f.ProductFields) > 50 {
		t.Errorf("%d ProductFields; ASFF allows 1 to 50 here", len(f.ProductFields))
	}
	for k, v := range f.ProductFields {
		if len([]rune(k)) > 128 || len([]rune(v)) > 2048 {
			t.Errorf("ProductFields[%.30s...] has a key of %d and a value of %d characters; ASFF allows 128 and 2,048", k, len([]rune(k)), len([]rune(v)))
		}
	}
	if n := len([]rune(f.Remediation.Recommendation.Text)); n > 512 {
		t.Errorf("Recommendation.Text has %d characters; ASFF allows 512", n)
	}
}

// hub is an emulator with Security Hub behind a real HTTP server and a client without retries.
type hub struct {
	emu *emulator.Emulator
	sh  *securityhub.Client
}

func newHub(t *testing.T, opts ...emulator.Option) *hub {
	t.Helper()
	emu := emulator.New(append([]emulator.Option{emulator.WithAccount(scope.Account), emulator.WithRegion(scope.Region), emulator.WithoutQuotas()}, opts...)...)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
	})
	sh := securityhub.New(securityhub.Options{Region: scope.Region, BaseEndpoint: aws.String(srv.URL), Credentials: creds,
		Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
	return &hub{emu: emu, sh: sh}
}

// at is a clock that reads *now, which the tests move themselves, and never waits.
type at struct{ now *time.Time }

func (c at) Now() time.Time { return *c.now }

func (c at) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func (h *hub) publisher(now *time.Time) *findings.Publisher {
	return findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithClock(at{now}), findings.WithRand(func() float64 { return 0.5 }))
}

// states returns "Compliance.Status RecordState" of each finding by Id.
func (h *hub) states(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range getAll(t, h) {
		out[strings.TrimPrefix(aws.ToString(f.Id), "corsguard/123456789012/us-east-1/")] = string(f.Compliance.Status) + " " + string(f.RecordState)
	}
	return out
}

func TestPublishCreatesUpdatesInPlaceAndArchives(t *testing.T) {
	h := newHub(t)
	now := t0
	p := h.publisher(&now)
	ctx := context.Background()
	sweep := findings.Coverage{policy.MediaStore}

	res, err := p.Publish(ctx, scope, report(entry("movies", enforce.Drifted), entry("live", enforce.Compliant), entry("old", enforce.Exempt)), sweep)
	if err != nil || res.Imported != 3 || res.Archived != 0 {
		t.Fatalf("first sweep: %+v, %v", res, err)
	}
	want := map[string]string{"mediastore/movies": "FAILED ACTIVE", "mediastore/live": "PASSED ACTIVE", "mediastore/old": "NOT_AVAILABLE ACTIVE"}
	if diff := cmp.Diff(want, h.states(t)); diff != "" {
		t.Fatalf("after the first sweep (-want +got):\n%s", diff)
	}

	// Repaired: the same Id, now PASSED. A run about one named resource archives nothing.
	now = now.Add(time.Minute)
	if _, err := p.Publish(ctx, scope, report(entry("movies", enforce.Remediated)), nil); err != nil {
		t.Fatal(err)
	}
	want["mediastore/movies"] = "PASSED ACTIVE"
	if diff := cmp.Diff(want, h.states(t)); diff != "" {
		t.Fatalf("after the repair (-want +got):\n%s", diff)
	}

	// The next sweep: live was deleted (the listing no longer has it), old is excluded now.
	now = now.Add(time.Minute)
	rep := report(entry("movies", enforce.Compliant))
	rep.Excluded = []string{"old"}
	res, err = p.Publish(ctx, scope, rep, sweep)
	if err != nil || res.Archived != 2 || res.Imported != 3 {
		t.Fatalf("second sweep: %+v, %v; want 3 imported of which 2 archived", res, err)
	}
	want = map[string]string{"mediastore/movies": "PASSED ACTIVE", "mediastore/live": "PASSED ARCHIVED", "mediastore/old": "NOT_AVAILABLE ARCHIVED"}
	if diff := cmp.Diff(want, h.states(t)); diff != "" {
		t.Fatalf("after the second sweep (-want +got):\n%s", diff)
	}

	// A sweep of buckets does not archive containers' findings, and a sweep whose container
	// baseline was invalid archives nothing of it: nothing was listed.
	now = now.Add(time.Minute)
	bad := report()
	bad.Baselines[0].Valid = false
	bad.Baseline.Valid = false
	if _, err := p.Publish(ctx, scope, bad, findings.Coverage{policy.MediaStore, policy.S3}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, h.states(t)); diff != "" {
		t.Fatalf("a sweep with an invalid baseline changed findings (-want +got):\n%s", diff)
	}

	// A deleted container's finding is archived by any run that sees it gone.
	now = now.Add(time.Minute)
	if _, err := p.Publish(ctx, scope, report(entry("movies", enforce.Gone)), nil); err != nil {
		t.Fatal(err)
	}
	if got := h.states(t)["mediastore/movies"]; got != "NOT_AVAILABLE ARCHIVED" {
		t.Errorf("a gone container's finding is %q, want archived", got)
	}
}

func TestPublishBatchesPast100(t *testing.T) {
	h := newHub(t)
	now := t0
	var es []enforce.Entry
	for i := range 250 {
		es = append(es, entry(fmt.Sprintf("c%03d", i), enforce.Compliant))
	}
	res, err := h.publisher(&now).Publish(context.Background(), scope, report(es...), nil)
	if err != nil || res.Imported != 250 {
		t.Fatalf("Publish: %+v, %v", res, err)
	}
	if n := h.emu.CallCount("BatchImportFindings"); n != 3 {
		t.Errorf("%d BatchImportFindings calls for 250 findings, want 3 (100 + 100 + 50)", n)
	}
	if n := len(h.states(t)); n != 250 {
		t.Errorf("%d findings, want 250", n)
	}
}

func TestPublishRetriesOnlyFailuresARetryCanFix(t *testing.T) {
	h := newHub(t)
	now := t0
	id := func(n string) string { return findings.ID(scope, policy.MediaStore, n) }
	h.emu.ScriptFinding(id("flaky"), 2, "InternalFailure")
	h.emu.ScriptFinding(id("refused"), 5, "InvalidInput")
	res, err := h.publisher(&now).Publish(context.Background(), scope,
		report(entry("ok", enforce.Compliant), entry("flaky", enforce.Drifted), entry("refused", enforce.Drifted)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 {
		t.Errorf("imported %d, want 2 (ok, and flaky on its third try)", res.Imported)
	}
	if diff := cmp.Diff([]string{id("refused") + " InvalidInput"}, failures(res)); diff != "" {
		t.Errorf("Failed (-want +got):\n%s", diff)
	}
	if n := h.emu.CallCount("BatchImportFindings"); n != 3 {
		t.Errorf("%d calls, want 3: one batch, then flaky alone twice", n)
	}
}

func failures(r findings.Result) []string {
	var out []string
	for _, f := range r.Failed {
		out = append(out, f.ID+" "+f.Code)
	}
	return out
}

func TestPublishWithSecurityHubDisabledIsTerminal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*hub)
		cover findings.Coverage
	}{
		{"the call is refused", func(h *hub) { h.emu.SetSecurityHubEnabled(false) }, nil},
		{"the archive step's GetFindings is refused", func(h *hub) { h.emu.SetSecurityHubEnabled(false) }, findings.Coverage{policy.MediaStore}},
		{"findings come back with InvalidAccess", func(h *hub) {
			h.emu.ScriptFinding(findings.ID(scope, policy.MediaStore, "movies"), 1, "InvalidAccess")
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			tc.setup(h)
			now := t0
			_, err := h.publisher(&now).Publish(context.Background(), scope, report(entry("movies", enforce.Drifted)), tc.cover)
			if !errors.Is(err, findings.ErrNotEnabled) {
				t.Fatalf("Publish: %v; want ErrNotEnabled", err)
			}
			if !strings.Contains(err.Error(), "not enabled") {
				t.Errorf("the error does not say plainly that Security Hub is off: %v", err)
			}
			if n := h.emu.CallCount("BatchImportFindings"); n > 1 {
				t.Errorf("%d import calls after a terminal error, want at most 1", n)
			}
		})
	}
}

func TestFindingsImportAsWritten(t *testing.T) {
	// Every finding Build makes passes the emulator's ASFF checks (the 12 required fields,
	// taxonomy, lengths), for every outcome and kind.
	h := newHub(t)
	rep := report(entry("ok", enforce.Compliant), entry("fixed", enforce.Remediated), entry("bad", enforce.Drifted),
		entry("skip", enforce.Exempt), entry("broken", enforce.Failed), entry("deleted", enforce.Gone),
		enforce.Entry{Name: "b", Kind: policy.S3, Outcome: enforce.Drifted})
	var batch []types.AwsSecurityFinding
	for _, f := range findings.Build(scope, rep, t0, nil) {
		batch = append(batch, f.SDK())
	}
	out, err := h.sh.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: batch})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FailedFindings) > 0 {
		t.Errorf("refused: %+v %s", out.FailedFindings, aws.ToString(out.FailedFindings[0].ErrorMessage))
	}
}

func TestTerminalErrorsAreEnforceTerminal(t *testing.T) {
	h := newHub(t, emulator.WithSecurityHubDisabled())
	now := t0
	_, err := h.publisher(&now).Publish(context.Background(), scope, report(entry("movies", enforce.Drifted)), nil)
	if enforce.Retryable(err) {
		t.Errorf("Security Hub off is retryable: %v", err)
	}
	h.emu.SetSecurityHubEnabled(true)
	h.emu.Script("BatchImportFindings", "", 1, "InternalServerError")
	_, err = h.publisher(&now).Publish(context.Background(), scope, report(entry("movies", enforce.Drifted)), nil)
	if err == nil || !enforce.Retryable(err) {
		t.Errorf("a 500 past the retries: %v; want a retryable error", err)
	}
}

// A sweep archives corsguard's active findings that no run updated since the cut-off (their
// resources are gone, or no longer selected), of the kinds it sweeps only; the emulator filters
// on UpdatedAt as GetFindings' DateFilter does.
func TestArchiveStaleArchivesWhatNoRunUpdated(t *testing.T) {
	h := newHub(t)
	now := t0
	p := h.publisher(&now)
	ctx := context.Background()
	if _, err := p.Publish(ctx, scope, report(entry("live", enforce.Drifted),
		enforce.Entry{Name: "logs", Kind: policy.S3, Outcome: enforce.Compliant}), nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Hour)
	if _, err := p.Publish(ctx, scope, report(entry("movies", enforce.Compliant)), nil); err != nil {
		t.Fatal(err)
	}
	res, err := p.ArchiveStale(ctx, scope, []policy.Kind{policy.MediaStore}, now.Add(-2*time.Hour))
	if err != nil || res.Archived != 1 || res.Imported != 1 {
		t.Fatalf("ArchiveStale: %+v, %v; want live archived", res, err)
	}
	want := map[string]string{"mediastore/movies": "PASSED ACTIVE", "mediastore/live": "FAILED ARCHIVED", "s3/logs": "PASSED ACTIVE"}
	if diff := cmp.Diff(want, h.states(t)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A router archives in its settle budget at a small share of GetFindings: here one read per
// invocation fits (the next token is 1,000 s away, past the deadline). 250 stale findings are
// 3 pages: each invocation archives the page it read before its budget ends, and the third
// archives the last. Before, ArchiveStale read every page before it archived any, so each
// invocation ran out of budget on the second read and archived nothing, sweep after sweep.
func TestArchiveStaleArchivesPageByPageWithinItsBudget(t *testing.T) {
	h := newHub(t)
	now := t0
	ctx := context.Background()
	var entries []enforce.Entry
	for i := range 250 {
		entries = append(entries, entry(fmt.Sprintf("gone-%03d", i), enforce.Compliant))
	}
	if _, err := h.publisher(&now).Publish(ctx, scope, report(entries...), nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Hour)
	var archived []int
	for call := range 3 {
		// A new invocation of the router: its own share, one read a deadline can hold.
		p := findings.NewPublisher(h.sh, findings.WithReadRate(0.001), findings.WithArchiveImportRate(1000), findings.WithClock(at{&now}))
		budget, cancel := context.WithTimeout(ctx, time.Minute)
		res, err := p.ArchiveStale(budget, scope, []policy.Kind{policy.MediaStore}, now.Add(-2*time.Hour))
		cancel()
		// Its budget ends while pages remain: progress, not an error; Left says so.
		if left := call < 2; err != nil || res.Left != left {
			t.Errorf("invocation %d: error %v, left %v; want no error, left %v", call+1, err, res.Left, left)
		}
		archived = append(archived, res.Archived)
	}
	if want := []int{100, 100, 50}; !slices.Equal(archived, want) {
		t.Errorf("archived %v per invocation, want %v", archived, want)
	}
	active := 0
	for _, s := range h.states(t) {
		if s != "PASSED ARCHIVED" {
			active++
		}
	}
	if active != 0 {
		t.Errorf("%d of 250 stale findings still active after 3 invocations", active)
	}
	// A budget that holds no read at all is an error: nothing would ever be archived.
	p := findings.NewPublisher(h.sh, findings.WithReadRate(0.001), findings.WithClock(at{&now}))
	budget, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := p.ArchiveStale(budget, scope, []policy.Kind{policy.MediaStore}, now); err != nil {
		t.Fatal(err) // the burst's one read: nothing is stale
	}
	if res, err := p.ArchiveStale(budget, scope, []policy.Kind{policy.MediaStore}, now); err == nil || res.Left {
		t.Errorf("a budget that holds no read: error %v, left %v; want an error", err, res.Left)
	}
}

// The same progress when the archive imports' share is the tighter one (a low
// CORSGUARD_SECURITY_HUB_RATE): the budget ends waiting for an import's token after the first
// page; that is no failure either.
func TestArchiveStaleOutOfImportTokensIsProgressNotFailure(t *testing.T) {
	h := newHub(t)
	now := t0
	ctx := context.Background()
	var entries []enforce.Entry
	for i := range 150 {
		entries = append(entries, entry(fmt.Sprintf("gone-%03d", i), enforce.Compliant))
	}
	if _, err := h.publisher(&now).Publish(ctx, scope, report(entries...), nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Hour)
	p := findings.NewPublisher(h.sh, findings.WithReadRate(1000), findings.WithArchiveImportRate(0.001), findings.WithClock(at{&now}))
	budget, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := p.ArchiveStale(budget, scope, []policy.Kind{policy.MediaStore}, now.Add(-2*time.Hour))
	if err != nil || !res.Left || res.Archived != 100 {
		t.Errorf("archived %d, left %v, error %v; want 100 archived, left, no error", res.Archived, res.Left, err)
	}
}

// A function URL's finding is an AwsLambdaFunction with the function's ARN (qualified by the
// alias for an alias's URL); an HTTP API's an AwsApiGatewayV2Api with the API's ARN, by ApiId.
func TestBuildNamesFunctionURLsAndHTTPAPIsByTheirARNs(t *testing.T) {
	rep := report(enforce.Entry{Name: "orders", Kind: policy.LambdaURL, Outcome: enforce.Compliant},
		enforce.Entry{Name: "orders:live", Kind: policy.LambdaURL, Outcome: enforce.Compliant},
		enforce.Entry{Name: "a1b2c3d4e5", Kind: policy.HTTPAPI, Outcome: enforce.Compliant})
	type view struct{ ID, ResourceType, ResourceID, Generator string }
	var got []view
	for _, f := range findings.Build(scope, rep, t0, nil) {
		got = append(got, view{f.ID, f.Resources[0].Type, f.Resources[0].ID, f.GeneratorID})
	}
	want := []view{
		{"corsguard/123456789012/us-east-1/lambda-url/orders", "AwsLambdaFunction", "arn:aws:lambda:us-east-1:123456789012:function:orders", "corsguard/cors-baseline/lambda-url"},
		{"corsguard/123456789012/us-east-1/lambda-url/orders:live", "AwsLambdaFunction", "arn:aws:lambda:us-east-1:123456789012:function:orders:live", "corsguard/cors-baseline/lambda-url"},
		{"corsguard/123456789012/us-east-1/http-api/a1b2c3d4e5", "AwsApiGatewayV2Api", "arn:aws:apigateway:us-east-1::/apis/a1b2c3d4e5", "corsguard/cors-baseline/http-api"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A finding names the resource's profile, and its baseline parameter and version are the
// profile's, not the kind's default.
func TestBuildNamesTheProfile(t *testing.T) {
	up := entry("uploads-bucket", enforce.Drifted)
	up.Profile = &enforce.EntryProfile{Name: "uploads", Source: profile.SourceTag, Parameter: "/corsguard/profiles/mediastore/uploads", Version: 7}
	plain := entry("plain", enforce.Compliant)
	plain.Profile = &enforce.EntryProfile{Name: enforce.DefaultProfile, Source: profile.SourceDefault, Parameter: "/corsguard/baseline", Version: 3}
	got := map[string]map[string]string{}
	for _, f := range findings.Build(scope, report(up, plain), t0, nil) {
		got[f.ProductFields["corsguard/Name"]] = f.ProductFields
	}
	for name, want := range map[string][4]string{
		"uploads-bucket": {"uploads", "tag", "/corsguard/profiles/mediastore/uploads", "7"},
		"plain":          {"default", "default", "/corsguard/baseline", "3"},
	} {
		f := got[name]
		if g := [4]string{f["corsguard/Profile"], f["corsguard/ProfileSource"], f["corsguard/BaselineParameter"], f["corsguard/BaselineVersion"]}; g != want {
			t.Errorf("%s: profile fields %v, want %v", name, g, want)
		}
	}
}

// TestASecondSweepOfAnUnchangedEstateImportsNothing: with a refresh period, a finding is
// imported only when its state changed or its last import is older than the period. The
// second run uses a new Publisher (a cold start: nothing remembered in the process); the
// previous states come back from Security Hub, read whole for a sweep and by Id for a run
// about named resources (the work queue's workers).
func TestASecondSweepOfAnUnchangedEstateImportsNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cover findings.Coverage
	}{
		{"a sweep in-process (its kinds read whole)", findings.Coverage{policy.MediaStore}},
		{"a worker's batch (its findings read by Id)", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			ctx := context.Background()
			now := t0
			publisher := func() *findings.Publisher {
				return findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithRefresh(30*24*time.Hour),
					findings.WithClock(at{&now}))
			}
			estate := func(movies enforce.Outcome) *enforce.Report {
				return report(entry("movies", movies), entry("live", enforce.Compliant), entry("old", enforce.Exempt))
			}
			if res, err := publisher().Publish(ctx, scope, estate(enforce.Compliant), tc.cover); err != nil || res.Imported != 3 {
				t.Fatalf("first sweep: %+v, %v", res, err)
			}
			h.emu.ResetCalls()
			now = now.Add(24 * time.Hour)
			res, err := publisher().Publish(ctx, scope, estate(enforce.Compliant), tc.cover)
			if err != nil || res.Imported != 0 || res.Unchanged != 3 || res.Archived != 0 {
				t.Fatalf("second sweep of the unchanged estate: %+v, %v; want nothing imported, 3 unchanged", res, err)
			}
			if n := h.emu.CallCount("BatchImportFindings"); n != 0 {
				t.Errorf("second sweep: %d BatchImportFindings calls, want 0", n)
			}
			if n := h.emu.CallCount("GetFindings"); n != 1 {
				t.Errorf("second sweep: %d GetFindings calls, want 1 (the previous states)", n)
			}

			// A drift is a change: only its finding is imported.
			now = now.Add(24 * time.Hour)
			res, err = publisher().Publish(ctx, scope, estate(enforce.Drifted), tc.cover)
			if err != nil || res.Imported != 1 || res.Unchanged != 2 {
				t.Fatalf("a sweep with one drift: %+v, %v; want 1 imported, 2 unchanged", res, err)
			}
			if got := h.states(t)["mediastore/movies"]; got != "FAILED ACTIVE" {
				t.Errorf("the drifted finding is %q", got)
			}

			// Repaired: imported (a repair is news). The next sweep finds it compliant: the same
			// state (passed under the same baseline), nothing imported; a drift repaired costs
			// one import. A repair of a finding that passed before is imported too.
			for i, step := range []struct {
				movies enforce.Outcome
				want   int
			}{{enforce.Remediated, 1}, {enforce.Compliant, 0}, {enforce.Remediated, 1}, {enforce.Compliant, 0}} {
				now = now.Add(time.Hour)
				res, err = publisher().Publish(ctx, scope, estate(step.movies), tc.cover)
				if err != nil || res.Imported != step.want {
					t.Fatalf("step %d, movies %s: %+v, %v; want %d imported", i, step.movies, res, err, step.want)
				}
			}
			if got := h.states(t)["mediastore/movies"]; got != "PASSED ACTIVE" {
				t.Errorf("the repaired finding is %q", got)
			}

			// Past the refresh period every unchanged finding is imported again, keeping its
			// CreatedAt.
			now = now.Add(30 * 24 * time.Hour)
			res, err = publisher().Publish(ctx, scope, estate(enforce.Drifted), tc.cover)
			if err != nil || res.Imported != 3 || res.Unchanged != 0 {
				t.Fatalf("a sweep past the refresh period: %+v, %v; want all 3 imported again", res, err)
			}
			for _, f := range h.emu.Findings() {
				if f["CreatedAt"] != findings.Timestamp(t0) {
					t.Errorf("%v: CreatedAt %v, want the first import's %s", f["Id"], f["CreatedAt"], findings.Timestamp(t0))
				}
			}
		})
	}
}

// TestAFailureIsImportedAgainOnlyWhenItsErrorCodeChanges: a resource that cannot be checked
// fails every sweep with an error whose message carries that call's request id; the finding is
// imported when the failure starts and when its error code changes, not on every sweep.
func TestAFailureIsImportedAgainOnlyWhenItsErrorCodeChanges(t *testing.T) {
	h := newHub(t)
	ctx := context.Background()
	now := t0
	failing := func(code, requestID string) *enforce.Report {
		err := fmt.Errorf("get bucket cors logs: operation error S3: GetBucketCors, https response error StatusCode: 403, RequestID: %s, api error %s: denied: %w",
			requestID, code, &smithy.GenericAPIError{Code: code, Message: "denied"})
		return report(enforce.Entry{Name: "logs", Kind: policy.S3, Outcome: enforce.Failed, Error: err.Error(), Err: enforce.Terminal(err)})
	}
	for i, step := range []struct {
		code, requestID string
		want            int
	}{{"AccessDenied", "A1", 1}, {"AccessDenied", "B2", 0}, {"AccessDenied", "C3", 0}, {"AllAccessDisabled", "D4", 1}} {
		now = now.Add(24 * time.Hour)
		p := findings.NewPublisher(h.sh, findings.WithImportRate(1000), findings.WithRefresh(30*24*time.Hour), findings.WithClock(at{&now}))
		res, err := p.Publish(ctx, scope, failing(step.code, step.requestID), nil)
		if err != nil || res.Imported != step.want {
			t.Errorf("sweep %d (%s, request %s): %+v, %v; want %d imported", i+1, step.code, step.requestID, res, err, step.want)
		}
	}
}
