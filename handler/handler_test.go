package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/events"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/router"
)

var (
	want  = policy.Policy{{AllowedOrigins: []string{"https://player.example.com"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"*"}}}
	loose = policy.Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"*"}}}
)

// fixture is a Handler over the real engine and SDK clients, talking to the emulator over
// loopback HTTP, with its log and metrics captured.
type fixture struct {
	emu           *emulator.Emulator
	h             *Handler
	logs, metrics bytes.Buffer
	// sqs and queueURL reach the work queue, when the fixture has one.
	sqs      *sqs.Client
	queueURL string
	// findingsURL is the findings queue's URL, when the fixture has one.
	findingsURL string
	// cf reaches CloudFront's response headers policies.
	cf *cloudfront.Client
	// hub reaches Security Hub, when the fixture has findings on.
	hub *securityhub.Client
	// cfg is the SDK configuration of the fixture's clients, conf the function's.
	cfg  aws.Config
	conf config.Config
}

// invocation returns the context of an invocation of the function, as the Lambda runtime gives
// it: the function ARN names the account of the sample events.
func invocation() context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID: "test-request", InvokedFunctionArn: "arn:aws:lambda:us-east-1:012345678912:function:corsguard"})
}

// emulated returns the SDK configuration of clients of the emulator at url, with the tests'
// fast retries: three attempts with waits of at most 10 ms, so a fault scripted three times
// outlasts the SDK's retries in no time.
func emulated(url string) aws.Config {
	cfg := emulator.SDKConfig(url, "us-east-1")
	cfg.Retryer = func() aws.Retryer { return awsclient.NewRetryer(sdkAttempts, 10*time.Millisecond) }
	return cfg
}

var stamp = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// baseline is the baseline parameter of the fixtures.
const baseline = "/corsguard/baseline"

// sdkAttempts is how many HTTP attempts the fixture's SDK clients make per call.
const sdkAttempts = 3

func newFixture(t *testing.T, vars map[string]string) *fixture {
	t.Helper()
	return newFixtureOf(t, vars)
}

// newFixtureOf is newFixture on an emulator built with opts as well.
func newFixtureOf(t *testing.T, vars map[string]string, emuOpts ...emulator.Option) *fixture {
	t.Helper()
	f := &fixture{emu: emulator.New(append([]emulator.Option{emulator.WithCreatingDuration(0), emulator.WithoutQuotas()}, emuOpts...)...)}
	srv := httptest.NewServer(f.emu)
	t.Cleanup(srv.Close)
	// Lambda's own variable: a function in us-east-1 may enforce the cloudfront target.
	env := map[string]string{config.BaselineParameter: baseline, "AWS_REGION": "us-east-1"}
	for k, v := range vars {
		env[k] = v
	}
	if name := env[config.QueueURL]; name != "" {
		// A queue name: the fixture makes it in the emulator, as the template does.
		if err := f.emu.SeedQueue(name, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330"}); err != nil {
			t.Fatal(err)
		}
		env[config.QueueURL] = f.emu.QueueURL(srv.URL, name)
	}
	if name := env[config.FindingsQueueURL]; name != "" {
		// A standard queue, as the template makes it.
		if err := f.emu.SeedQueue(name, map[string]string{"VisibilityTimeout": "330"}); err != nil {
			t.Fatal(err)
		}
		env[config.FindingsQueueURL] = f.emu.QueueURL(srv.URL, name)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	aws := emulated(srv.URL)
	f.cfg, f.conf = aws, cfg
	f.cf = cloudfront.NewFromConfig(aws)
	if cfg.QueueURL != "" {
		f.sqs, f.queueURL = sqs.NewFromConfig(aws), cfg.QueueURL
	}
	if cfg.SecurityHub {
		f.hub = securityhub.NewFromConfig(aws)
	}
	f.findingsURL = cfg.FindingsQueueURL
	f.h = f.instance(t)
	return f
}

// instance returns another instance of the function (another Lambda execution environment):
// its own engine and caches, the same configuration, clients of the same emulator, wired as
// every caller wires it (Wire), on the wall clock (findings compare their dates with Security
// Hub's). The test adds its logs and its metrics, the queue's jitter at its middle, and a
// publisher that leaves Security Hub's quota to the emulator; more come last, and so override
// the fixture's options.
func (f *fixture) instance(t *testing.T, more ...Option) *Handler {
	t.Helper()
	opts := []Option{WithLogger(slog.New(slog.NewJSONHandler(&f.logs, nil))), WithMetrics(&f.metrics)}
	if f.conf.QueueURL != "" {
		opts = append(opts, withRand(func() float64 { return 0.5 }))
	}
	if f.conf.SecurityHub {
		opts = append(opts, WithFindings(findings.NewPublisher(f.hub, findings.WithImportRate(1000), findings.WithReadRate(1000), findings.WithListingReadRate(1000), findings.WithRefresh(f.conf.SecurityHubRefresh))))
	}
	h, err := Wire(f.conf, f.cfg, append(opts, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// lines decodes a buffer of JSON lines.
func lines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func TestInvokeAuditsWritesOneSummaryLineAndOneMetricsDocument(t *testing.T) {
	f := newFixture(t, map[string]string{config.Mode: "audit"})
	if err := f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	if err := f.emu.SeedContainer("live-news", "ACTIVE", loose, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.emu.SeedContainer("vod-library", "ACTIVE", want, nil); err != nil {
		t.Fatal(err)
	}

	f.h = f.instance(t, withClock(clock.NewManual(stamp))) // the metrics' timestamp is the function's clock's
	res, err := f.h.Invoke(invocation(), json.RawMessage(`{"account":"012345678912","region":"us-east-1","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))

	if err != nil {
		t.Fatal(err)
	}
	if res.Event != Sweep || res.Report == nil || res.Totals[enforce.Drifted] != 1 || res.Totals[enforce.Compliant] != 1 {
		t.Fatalf("result %+v", res)
	}
	if n := f.emu.CallCount("PutCorsPolicy"); n != 0 {
		t.Errorf("%d PutCorsPolicy calls in audit mode", n)
	}
	logs := lines(t, &f.logs)
	if len(logs) != 1 || logs[0]["msg"] != "run finished" || logs[0]["level"] != "INFO" || logs[0]["mode"] != "audit" {
		t.Fatalf("log lines %v, want one INFO 'run finished' in mode audit", logs)
	}
	notable, _ := logs[0]["notable"].([]any)
	if len(notable) != 1 || notable[0].(map[string]any)["name"] != "live-news" {
		t.Errorf("notable %v, want only live-news", logs[0]["notable"])
	}
	docs := lines(t, &f.metrics)
	if len(docs) != 1 || docs[0]["Drifted"] != float64(1) || docs[0]["Compliant"] != float64(1) || docs[0]["RunFailed"] != float64(0) {
		t.Fatalf("EMF documents %v", docs)
	}
	if ts := docs[0]["_aws"].(map[string]any)["Timestamp"]; ts != float64(stamp.UnixMilli()) {
		t.Errorf("Timestamp %v, want the clock's %d", ts, stamp.UnixMilli())
	}
}

func TestTerminalFailuresAreLoggedAndCountedButNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fixture)
		// baselineInvalid is the BaselineInvalid metric; check what the report must say.
		baselineInvalid float64
		check           func(t *testing.T, r *enforce.Report)
	}{
		{"an invalid baseline", func(f *fixture) {
			f.seed(t, `[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":[]}]`)
		}, 1, func(t *testing.T, r *enforce.Report) {
			if r.Baseline.Valid || !strings.Contains(r.Baseline.Error, "POST") {
				t.Errorf("baseline %+v, want invalid, naming POST", r.Baseline)
			}
		}},
		{"a missing baseline", func(f *fixture) {}, 1, func(t *testing.T, r *enforce.Report) {
			if r.Baseline.Valid || !strings.Contains(r.Baseline.Error, "does not exist") {
				t.Errorf("baseline %+v, want missing", r.Baseline)
			}
		}},
		{"a denied listing", func(f *fixture) {
			f.seed(t, string(want.JSON()))
			f.emu.Script("ListContainers", "", 1, "AccessDeniedException")
		}, 0, func(t *testing.T, r *enforce.Report) {
			if !r.Baseline.Valid || len(r.KindErrors) != 1 || !strings.Contains(r.KindErrors[0].Error, "AccessDeniedException") ||
				r.KindErrors[0].Retryable || len(r.Entries) != 0 {
				t.Errorf("report %+v, want a valid baseline, the terminal listing error and no entries", r)
			}
		}},
		{"a denied write", func(f *fixture) {
			f.seed(t, string(want.JSON()))
			f.emu.Script("PutCorsPolicy", "live-news", 1, "AccessDeniedException")
		}, 0, func(t *testing.T, r *enforce.Report) {
			if len(r.Entries) != 1 || r.Entries[0].Outcome != enforce.Failed || r.Entries[0].Retryable {
				t.Errorf("entries %+v, want live-news failed, not retryable", r.Entries)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if err := f.emu.SeedContainer("live-news", "ACTIVE", loose, nil); err != nil {
				t.Fatal(err)
			}
			tc.setup(f)

			res, err := f.h.Invoke(invocation(), json.RawMessage(`{"action":"enforce"}`))

			if err != nil {
				t.Fatalf("error %v; a terminal failure must not fail the invocation (Lambda would retry it)", err)
			}
			if res == nil || res.Report == nil || res.Succeeded {
				t.Fatalf("result %+v, want the report of a run that did not succeed", res)
			}
			tc.check(t, res.Report)
			if n := f.emu.CallCount("PutCorsPolicy"); n > 1 {
				t.Errorf("%d PutCorsPolicy calls", n)
			}
			if logs := lines(t, &f.logs); len(logs) != 1 || logs[0]["level"] != "ERROR" || logs[0]["terminal_failures"] != float64(1) ||
				logs[0]["retryable_failures"] != float64(0) || logs[0]["error"] != nil {
				t.Errorf("log lines %v, want one ERROR line with terminal_failures 1 and no invocation error", logs)
			}
			docs := lines(t, &f.metrics)
			if len(docs) != 1 || docs[0]["TerminalFailures"] != float64(1) || docs[0]["RunFailed"] != float64(0) ||
				docs[0]["BaselineInvalid"] != tc.baselineInvalid {
				t.Errorf("EMF documents %v, want TerminalFailures 1, RunFailed 0, BaselineInvalid %v", docs, tc.baselineInvalid)
			}
		})
	}
}

func TestRetryableFailuresFailTheInvocation(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		setup        func(f *fixture)
	}{
		{"a baseline read throttled past the SDK's retries", "baseline /corsguard/baseline unreadable for now, nothing changed", func(f *fixture) {
			f.seed(t, string(want.JSON()))
			f.emu.Script("GetParameter", baseline, sdkAttempts, "ThrottlingException")
		}},
		{"a listing that fails past the SDK's retries", "mediastore not planned: list containers: ", func(f *fixture) {
			f.seed(t, string(want.JSON()))
			f.emu.Script("ListContainers", "", sdkAttempts, "InternalServerError")
		}},
		{"a read that fails past the SDK's retries", "run incomplete: 1 failed, 0 not started: live-news failed", func(f *fixture) {
			f.seed(t, string(want.JSON()))
			f.emu.Script("GetCorsPolicy", "live-news", sdkAttempts, "ServiceUnavailableException")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if err := f.emu.SeedContainer("live-news", "ACTIVE", loose, nil); err != nil {
				t.Fatal(err)
			}
			tc.setup(f)

			res, err := f.h.Invoke(invocation(), json.RawMessage(`{"action":"enforce"}`))

			var runErr *RunError
			if !errors.As(err, &runErr) || !strings.HasPrefix(err.Error(), tc.prefix) {
				t.Fatalf("error %v, want a RunError starting %q", err, tc.prefix)
			}
			if res == nil || res.Report == nil || res.RetryableFailures() != 1 || res.TerminalFailures() != 0 {
				t.Errorf("result %+v, want one retryable failure", res)
			}
			if n := f.emu.CallCount("PutCorsPolicy"); n != 0 {
				t.Errorf("%d PutCorsPolicy calls", n)
			}
			if logs := lines(t, &f.logs); len(logs) != 1 || logs[0]["level"] != "ERROR" || logs[0]["error"] != err.Error() {
				t.Errorf("log lines %v, want one ERROR line with the error", logs)
			}
			if docs := lines(t, &f.metrics); len(docs) != 1 || docs[0]["RunFailed"] != float64(1) || docs[0]["TerminalFailures"] != float64(0) {
				t.Errorf("EMF documents %v, want RunFailed 1 and TerminalFailures 0", docs)
			}
		})
	}
}

// seed stores value as the baseline parameter.
func (f *fixture) seed(t *testing.T, value string) {
	t.Helper()
	if err := f.emu.SeedParameter(baseline, "String", value, ""); err != nil {
		t.Fatal(err)
	}
}

func TestTheLambdaHandlerIgnoresInputThatIsNotJSONWithoutAnyCall(t *testing.T) {
	f := newFixture(t, nil)
	out, err := f.h.Lambda().Invoke(invocation(), []byte(`{"source": "aws.mediastore", "detail`))
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Event != Ignored || !strings.HasPrefix(res.Note, "input is not an event") || res.Report != nil {
		t.Errorf("result %s, want ignored with a note", out)
	}
	if n := f.emu.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls", n)
	}
	if f.metrics.Len() != 0 {
		t.Errorf("metrics for an ignored event: %s", f.metrics.String())
	}
}

func TestRunErrorNamesWhatDidNotFinish(t *testing.T) {
	err := &RunError{Report: &enforce.Report{
		Baseline: enforce.Baseline{Valid: true},
		Totals:   map[enforce.Outcome]int{enforce.Failed: 2, enforce.NotStarted: 6},
		Entries: []enforce.Entry{
			{Name: "a", Outcome: enforce.Failed, Retryable: true}, {Name: "b", Outcome: enforce.Compliant},
			{Name: "c", Outcome: enforce.NotStarted, Retryable: true}, {Name: "d", Outcome: enforce.NotStarted, Retryable: true},
			{Name: "e", Outcome: enforce.NotStarted, Retryable: true}, {Name: "f", Outcome: enforce.NotStarted, Retryable: true},
			{Name: "g", Outcome: enforce.NotStarted, Retryable: true}, {Name: "h", Outcome: enforce.NotStarted, Retryable: true},
			{Name: "i", Outcome: enforce.Failed},
		},
	}}
	want := "run incomplete: 2 failed, 6 not started: a failed, c not_started, d not_started, e not_started, f not_started, and 2 more" +
		" (1 of them terminal, not named: a retry cannot fix them)"
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err.Error(), want)
	}
	err.Report.Error = "internal error: boom"
	if got, want := err.Error(), "run failed: internal error: boom; "+want; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestInvokeReconcilesBucketsWhenS3IsATarget(t *testing.T) {
	f := newFixture(t, map[string]string{config.Targets: "mediastore,s3", config.S3Parameter: "/corsguard/s3-baseline"})
	// The buckets' baseline allows POST, which MediaStore would refuse.
	s3want := policy.Policy{{ID: "uploads", AllowedOrigins: []string{"https://upload.example.com"}, AllowedMethods: []string{"POST", "PUT"}}}
	if err := f.emu.SeedParameter(baseline, "", string(want.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	if err := f.emu.SeedParameter("/corsguard/s3-baseline", "", string(s3want.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"media-assets", "media-uploads"} {
		if err := f.emu.SeedBucket(name, "", loose, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.emu.SeedContainer("live-news", "", loose, nil); err != nil {
		t.Fatal(err)
	}
	invoke := func(sample string) *Result {
		t.Helper()
		input, err := events.Sample(sample)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.h.Invoke(invocation(), input)
		if err != nil {
			t.Fatalf("%s: %v", sample, err)
		}
		return res
	}

	res := invoke("cloudtrail-s3-put-bucket-cors.json")
	if res.Event != CorsChanged || len(res.Entries) != 1 || res.Entries[0].Name != "media-assets" ||
		res.Entries[0].Kind != policy.S3 || res.Entries[0].Outcome != enforce.Remediated {
		t.Errorf("PutBucketCors event: %+v", res)
	}
	if info, _ := f.emu.Bucket("media-assets"); !policy.Equal(corscases.Emulated(t, info.CorsPolicy), s3want) {
		t.Errorf("media-assets holds %v", info.CorsPolicy)
	}
	if info, _ := f.emu.Bucket("media-uploads"); !cmp.Equal(corscases.Emulated(t, info.CorsPolicy), loose) {
		t.Error("an event about one bucket touched another")
	}

	res = invoke("scheduled-sweep.json")
	if !res.Succeeded || res.Totals[enforce.Remediated] != 2 || res.Totals[enforce.Compliant] != 1 || len(res.Baselines) != 2 {
		t.Errorf("sweep of a mixed estate: totals %v, baselines %+v", res.Totals, res.Baselines)
	}

	// A change to the buckets' own baseline is a baseline change.
	d := router.Route([]byte(`{"account":"012345678912","region":"us-east-1","source":"aws.ssm","detail-type":"Parameter Store Change","detail":{"operation":"Update","name":"/corsguard/s3-baseline"}}`),
		router.Home{Account: "012345678912", Region: "us-east-1"}, []string{baseline, "/corsguard/s3-baseline"}, enforce.ModeEnforce)
	if d.Event != BaselineChanged {
		t.Errorf("update of the S3 baseline: %+v", d)
	}
}

func TestInvokeIgnoresBucketEventsWhenS3IsNotATarget(t *testing.T) {
	f := newFixture(t, nil)
	input, err := events.Sample("cloudtrail-s3-create-bucket.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.h.Invoke(invocation(), input)
	if err != nil {
		t.Fatal(err)
	}
	if res.Event != Ignored || !strings.Contains(res.Note, "not among the targets") || res.Report != nil {
		t.Errorf("result %+v; want ignored: S3 is not a target", res)
	}
	if n := f.emu.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls", n)
	}
}

func TestInvokeLogsTheBaselineThatWasDeleted(t *testing.T) {
	f := newFixture(t, map[string]string{config.Targets: "mediastore,s3", config.S3Parameter: "/corsguard/s3-baseline"})
	res, err := f.h.Invoke(invocation(), json.RawMessage(
		`{"account":"012345678912","region":"us-east-1","source":"aws.ssm","detail-type":"Parameter Store Change","detail":{"operation":"Delete","name":"/corsguard/s3-baseline"}}`))
	if err != nil || res.Event != BaselineDeleted {
		t.Fatalf("result %+v, error %v; want baseline_deleted", res, err)
	}
	var logged []any
	for _, l := range lines(t, &f.logs) {
		if l["msg"] == "baseline deleted" {
			logged = append(logged, l["parameter"])
		}
	}
	if diff := cmp.Diff([]any{"/corsguard/s3-baseline"}, logged); diff != "" {
		t.Errorf("parameter of the baseline-deleted log line (-want +got):\n%s", diff)
	}
}

func TestBucketCallsNameTheFunctionsOwnAccountAsTheExpectedOwner(t *testing.T) {
	f := newFixture(t, map[string]string{config.Targets: "s3"})
	f.seed(t, string(want.JSON()))
	if err := f.emu.SeedBucket("media-assets", "", loose, nil); err != nil {
		t.Fatal(err)
	}
	// The function's ARN names the emulator's account: the bucket is ours.
	res, err := f.h.Invoke(invocation(), json.RawMessage(`{"action":"audit","buckets":["media-assets"]}`))
	if err != nil || res.Report == nil || res.Totals[enforce.Drifted] != 1 {
		t.Fatalf("as the owner: %+v, %v; want media-assets drifted", res, err)
	}
	// A function of another account reaching the same endpoint: S3 refuses every bucket call.
	other := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID: "other", InvokedFunctionArn: "arn:aws:lambda:us-east-1:444455556666:function:corsguard"})
	res, err = f.h.Invoke(other, json.RawMessage(`{"action":"enforce","buckets":["media-assets"]}`))
	if err != nil || res.Report == nil || len(res.Entries) != 1 || res.Entries[0].Outcome != enforce.Failed || res.Entries[0].Retryable ||
		!strings.Contains(res.Entries[0].Error, "AccessDenied") {
		t.Fatalf("as another account: %+v, %v; want media-assets failed, terminal, AccessDenied", res, err)
	}
	if n := f.emu.CallCount("PutBucketCors"); n != 0 {
		t.Errorf("%d PutBucketCors calls", n)
	}
}
