package enforce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// attempts is how many HTTP attempts the env's SDK retryer makes per call: a scripted fault
// repeated that many times outlasts the SDK's retries.
const attempts = 10

func TestEachFailureIsMarkedRetryableOrTerminal(t *testing.T) {
	type failure struct {
		name      string
		op        string // the operation that fails
		code      string
		n         int // how many times in a row
		retryable bool
	}
	cases := []struct {
		kindSpec
		failures []failure
	}{
		{containers, []failure{
			{"a denied read", "GetCorsPolicy", "AccessDeniedException", 1, false},
			{"a denied write", "PutCorsPolicy", "AccessDeniedException", 1, false},
			{"a policy the service refuses", "PutCorsPolicy", "ValidationException", 1, false},
			{"an account the service does not know", "GetCorsPolicy", "UnrecognizedClientException", 1, false},
			{"server errors that outlast the SDK's retries", "GetCorsPolicy", "InternalServerError", attempts, true},
			{"throttling that outlasts the SDK's retries", "PutCorsPolicy", "ThrottlingException", attempts, true},
			{"an unavailable service that outlasts the SDK's retries", "GetCorsPolicy", "ServiceUnavailableException", attempts, true},
		}},
		{buckets, []failure{
			{"a denied read", "GetBucketCors", "AccessDenied", 1, false},
			{"a denied write", "PutBucketCors", "AccessDenied", 1, false},
			{"a bucket in another Region", "GetBucketCors", "PermanentRedirect", 1, false},
			{"a configuration the service refuses", "PutBucketCors", "MalformedXML", 1, false},
			{"server errors that outlast the SDK's retries", "GetBucketCors", "InternalServerError", attempts, true},
			{"throttling that outlasts the SDK's retries", "PutBucketCors", "ThrottlingException", attempts, true},
		}},
	}
	for _, tc := range cases {
		for _, f := range tc.failures {
			t.Run(string(tc.kind)+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, envOption{maxAttempts: attempts})
				e.setBaseline(string(baseline.JSON()))
				tc.seed(e, "broken", drift, nil)
				tc.seed(e, "fine", drift, nil)
				e.emu.Script(f.op, "broken", f.n, f.code)
				eng := e.engineOf(enforce.Config{}, tc.kind)

				rep := e.run(context.Background(), eng, tc.named("broken", "fine"))

				got := entries(rep)
				if b := got["broken"]; b.Outcome != enforce.Failed || b.Retryable != f.retryable || !strings.Contains(b.Error, f.code) &&
					!(f.code == "ThrottlingException" && strings.Contains(b.Error, "SlowDown")) &&
					!(f.code == "InternalServerError" && strings.Contains(b.Error, "InternalError")) {
					t.Errorf("broken: %+v; want failed, retryable %v, naming %s", b, f.retryable, f.code)
				}
				if fine := got["fine"]; fine.Outcome != enforce.Remediated || fine.Retryable {
					t.Errorf("fine: %+v; want remediated, not marked retryable", fine)
				}
				wantRetryable, wantTerminal := 0, 1
				if f.retryable {
					wantRetryable, wantTerminal = 1, 0
				}
				if rep.RetryableFailures() != wantRetryable || rep.TerminalFailures() != wantTerminal || rep.Succeeded {
					t.Errorf("%d retryable and %d terminal failures, succeeded %v; want %d and %d, not succeeded",
						rep.RetryableFailures(), rep.TerminalFailures(), rep.Succeeded, wantRetryable, wantTerminal)
				}
				// A terminal failure is not retried by the engine either: one request.
				if !f.retryable && f.n == 1 {
					if n := e.emu.ResourceCalls(f.op, "broken"); n != 1 {
						t.Errorf("%d %s requests on broken; want 1 (the SDK does not retry %s)", n, f.op, f.code)
					}
				}
			})
		}
	}
}

func TestTheReportMarksFailedEntriesInItsJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	e.seedBucket("denied", drift, nil)
	e.emu.Script("GetBucketCors", "denied", 1, "AccessDenied")
	rep := e.run(context.Background(), e.engineOf(enforce.Config{}, policy.S3), buckets.named("denied"))

	out, err := jsonOf(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"outcome":"failed"`) || !strings.Contains(out, `"retryable":false`) {
		t.Errorf("report JSON %s; want the failed entry marked \"retryable\":false", out)
	}
}

func TestNotStartedAndStillBusyAreRetryable(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	e.seed("busy", "", drift, nil)
	e.seed("zz-late", "", drift, nil)
	// In use for longer than the run can wait.
	e.emu.Script("GetCorsPolicy", "busy", 1000, "ContainerInUseException")
	eng := e.engine(enforce.Config{Clock: clock, Rand: half, Workers: 1, Margin: 10e9, MinDuration: 30e9})

	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(50e9))
	defer cancel()
	rep := e.run(ctx, eng, enforce.Work{Containers: []string{"busy", "zz-late"}})

	got := entries(rep)
	if b := got["busy"]; b.Outcome != enforce.Failed || !b.Retryable {
		t.Errorf("busy: %+v; want failed and retryable", b)
	}
	if l := got["zz-late"]; l.Outcome != enforce.NotStarted || !l.Retryable {
		t.Errorf("zz-late: %+v; want not_started and retryable", l)
	}
	if rep.RetryableFailures() != 2 || rep.TerminalFailures() != 0 {
		t.Errorf("%d retryable, %d terminal; want 2 and 0", rep.RetryableFailures(), rep.TerminalFailures())
	}
}

func TestBaselineAndListingFailuresAreClassified(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		setup                 func(e *env)
		baselineRetryable     bool
		errorRetryable        bool
		retryable, terminal   int
		wantBaselineError     bool
		wantRunError, wantAny string
	}{
		{name: "a missing baseline", setup: func(e *env) {},
			terminal: 1, wantBaselineError: true, wantAny: "does not exist"},
		{name: "a baseline that breaks the rules", setup: func(e *env) {
			e.setBaseline(`[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":[]}]`)
		}, terminal: 1, wantBaselineError: true, wantAny: "POST"},
		{name: "a denied baseline read", setup: func(e *env) {
			e.setBaseline(string(baseline.JSON()))
			e.emu.Script("GetParameter", param, 1, "AccessDeniedException")
		}, terminal: 1, wantBaselineError: true, wantAny: "AccessDeniedException"},
		{name: "a baseline read throttled past the SDK's retries", setup: func(e *env) {
			e.setBaseline(string(baseline.JSON()))
			e.emu.Script("GetParameter", param, attempts, "ThrottlingException")
		}, baselineRetryable: true, retryable: 1, wantBaselineError: true, wantAny: "ThrottlingException"},
		{name: "a denied listing", setup: func(e *env) {
			e.setBaseline(string(baseline.JSON()))
			e.emu.Script("ListContainers", "", 1, "AccessDeniedException")
		}, terminal: 1, wantRunError: "AccessDeniedException"},
		{name: "a listing that fails past the SDK's retries", setup: func(e *env) {
			e.setBaseline(string(baseline.JSON()))
			e.emu.Script("ListContainers", "", attempts, "InternalServerError")
		}, errorRetryable: true, retryable: 1, wantRunError: "InternalServerError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{maxAttempts: attempts})
			tc.setup(e)
			e.seed("live", "", drift, nil)

			rep := e.run(context.Background(), e.engine(enforce.Config{}), enforce.Work{})

			if tc.wantBaselineError && (rep.Baseline.Valid || rep.Baselines[0].Retryable != tc.baselineRetryable || !strings.Contains(rep.Baseline.Error, tc.wantAny)) {
				t.Errorf("baseline %+v; want invalid, retryable %v, saying %q", rep.Baselines[0], tc.baselineRetryable, tc.wantAny)
			}
			if tc.wantRunError != "" && (len(rep.KindErrors) != 1 || !strings.Contains(rep.KindErrors[0].Error, tc.wantRunError) ||
				rep.KindErrors[0].Retryable != tc.errorRetryable) {
				t.Errorf("kind errors %+v; want one naming %s, retryable %v", rep.KindErrors, tc.wantRunError, tc.errorRetryable)
			}
			if rep.RetryableFailures() != tc.retryable || rep.TerminalFailures() != tc.terminal {
				t.Errorf("%d retryable, %d terminal; want %d and %d", rep.RetryableFailures(), rep.TerminalFailures(), tc.retryable, tc.terminal)
			}
			if n := e.emu.CallCount("PutCorsPolicy"); n != 0 {
				t.Errorf("%d PutCorsPolicy calls", n)
			}
		})
	}
}

// noSuchHost is an HTTP client whose every request fails as a lookup of a name that does not
// exist fails: the SDK sees what it sees when a service's endpoint does not resolve.
func noSuchHost() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}}}
}

func TestMediaStoreThatIsGoneIsTerminalAndSaidOncePerRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		// client returns the MediaStore client of the run.
		client func(t *testing.T, e *env) enforce.MediaStoreAPI
	}{
		{"its endpoint does not resolve", func(t *testing.T, e *env) enforce.MediaStoreAPI {
			// AWS's own endpoint (no BaseEndpoint), over a network where its name does not resolve.
			cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
				HTTPClient: noSuchHost(), Retryer: func() aws.Retryer { return awsclient.NewRetryer(3, 1) }}
			return mediastore.NewFromConfig(cfg)
		}},
		{"it does not know the account", func(t *testing.T, e *env) enforce.MediaStoreAPI {
			e.emu.Script("DescribeContainer", "", 100, "UnrecognizedClientException")
			return e.ms
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			e.setBaseline(string(baseline.JSON()))
			for _, name := range []string{"a", "b", "c"} {
				e.seed(name, "", drift, nil)
			}
			e.seedBucket("assets", drift, nil)
			eng, err := enforce.New(enforce.Config{Parameter: param, Rate: inf},
				e.ssm, enforce.MediaStore(tc.client(t, e)), enforce.S3(e.s3, e.emu.Region()))
			if err != nil {
				t.Fatal(err)
			}

			rep := e.run(context.Background(), eng, enforce.Work{Containers: []string{"a", "b", "c"}, Buckets: []string{"assets"}})

			for _, name := range []string{"a", "b", "c"} {
				if ent := entries(rep)[name]; ent.Outcome != enforce.Failed || ent.Retryable {
					t.Errorf("%s: %+v; want failed and terminal", name, ent)
				}
			}
			if ent := entries(rep)["assets"]; ent.Outcome != enforce.Remediated {
				t.Errorf("assets: %+v; want remediated: S3 does not depend on MediaStore", ent)
			}
			if !slices.Equal(rep.Notes, []string{enforce.MediaStoreUnavailable}) || !strings.Contains(rep.Notes[0], "Targets=s3") {
				t.Errorf("notes %q; want the MediaStore note once, pointing to Targets=s3", rep.Notes)
			}
			if rep.RetryableFailures() != 0 || rep.TerminalFailures() != 3 {
				t.Errorf("%d retryable, %d terminal; want 0 and 3", rep.RetryableFailures(), rep.TerminalFailures())
			}
		})
	}
}

func TestTerminalAndRetryable(t *testing.T) {
	base := errors.New("boom")
	term := enforce.Terminal(base)
	wrapped := fmt.Errorf("put cors policy: %w", term)
	for _, tc := range []struct {
		err       error
		retryable bool
	}{
		{nil, false}, {base, true}, {term, false}, {wrapped, false},
		{enforce.Terminal(term), false}, {context.DeadlineExceeded, true},
	} {
		if got := enforce.Retryable(tc.err); got != tc.retryable {
			t.Errorf("Retryable(%v) = %v; want %v", tc.err, got, tc.retryable)
		}
	}
	if enforce.Terminal(nil) != nil {
		t.Error("Terminal(nil) is not nil")
	}
	var te *enforce.TerminalError
	if !errors.As(wrapped, &te) || !errors.Is(wrapped, base) || wrapped.Error() != "put cors policy: boom" {
		t.Errorf("%v: want a TerminalError that unwraps to boom and keeps its message", wrapped)
	}
	if enforce.Terminal(term) != term {
		t.Error("Terminal wrapped a terminal error twice")
	}
}

// jsonOf returns the report as the Lambda and the CLI print it.
func jsonOf(rep *enforce.Report) (string, error) {
	out, err := json.Marshal(rep)
	return string(out), err
}

func TestBucketCallsCarryTheExpectedOwner(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		account func(e *env) string
		want    enforce.Outcome
	}{
		{"the bucket owner's account", func(e *env) string { return e.emu.Account() }, enforce.Remediated},
		// S3 refuses a call whose ExpectedBucketOwner is not the bucket's owner: a bucket of
		// the same name in another account is never read or written.
		{"another account", func(*env) string { return "444455556666" }, enforce.Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOption{})
			e.setBaseline(string(baseline.JSON()))
			e.seedBucket("media-assets", drift, nil)
			ctx := enforce.WithAccount(context.Background(), tc.account(e))

			rep := e.run(ctx, e.engineOf(enforce.Config{}, policy.S3), buckets.named("media-assets"))

			ent := entries(rep)["media-assets"]
			if ent.Outcome != tc.want {
				t.Fatalf("entry %+v, want %s", ent, tc.want)
			}
			if tc.want == enforce.Failed && (ent.Retryable || !strings.Contains(ent.Error, "AccessDenied") || e.emu.CallCount("PutBucketCors") != 0) {
				t.Errorf("entry %+v, %d PutBucketCors; want a terminal AccessDenied and no write", ent, e.emu.CallCount("PutBucketCors"))
			}
		})
	}
}

// ListPage, one page of the work queue's listing, judges its errors as a run does: a denied
// page (MediaStore gone, AccessDenied on page 2) and a forged token are terminal, a 500 past
// the SDK's retries is retryable. Unjudged, every one was retried until the dead-letter queue.
func TestListPageJudgesItsErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		token     string
		setup     func(e *env)
		retryable bool
	}{
		{"denied", "", func(e *env) { e.emu.Script("ListBuckets", "", 1, "AccessDenied") }, false},
		{"a forged token", "forged", func(*env) {}, false},
		{"a 500 past the SDK's retries", "", func(e *env) { e.emu.Script("ListBuckets", "", attempts, "InternalError") }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{maxAttempts: attempts})
			e.seedBucket("media-a", drift, nil)
			tc.setup(e)
			_, err := e.engineOf(enforce.Config{}, policy.S3).ListPage(context.Background(), policy.S3, tc.token, "")
			if err == nil || enforce.Retryable(err) != tc.retryable {
				t.Errorf("ListPage: %v, retryable %v; want an error, retryable %v", err, enforce.Retryable(err), tc.retryable)
			}
		})
	}
}
