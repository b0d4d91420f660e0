package enforce_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

const apiParam = "/corsguard/api"

// apiBaseline is the lambda-url and http-api baseline, as aws lambda get-function-url-config
// prints a Cors; it has no MaxAge, which Lambda reads as 0 and API Gateway as absent.
const apiBaseline = `{"Cors": {"AllowOrigins": ["https://app.example.com"], "AllowMethods": ["GET", "POST"],
	"AllowHeaders": ["Content-Type", "Authorization"], "AllowCredentials": true}}`

const openCors = `{"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"], "MaxAge": 600}`

// apisEnv seeds function URLs and HTTP APIs (the emulator's quotas off: its clock is the test's)
// and returns an engine of both kinds.
func apisEnv(t *testing.T, clock *testClock, exclude ...string) (*env, *enforce.Engine, map[string]string) {
	t.Helper()
	e := newEnv(t, envOption{emu: []emulator.Option{emulator.WithClock(clock)}})
	if err := e.emu.SeedParameter(apiParam, "String", apiBaseline, ""); err != nil {
		t.Fatal(err)
	}
	compliant := `{"AllowOrigins": ["https://app.example.com"], "AllowMethods": ["POST", "GET"], "AllowHeaders": ["authorization", "content-type"], "AllowCredentials": true}`
	for _, f := range []emulator.SeedFunction{
		{Name: "open", Aliases: []string{"live"}, URLs: []emulator.SeedFunctionURL{
			{AuthType: "AWS_IAM", InvokeMode: "RESPONSE_STREAM", Cors: []byte(openCors)},
			{Qualifier: "live", Cors: []byte(openCors)}}},
		{Name: "compliant", URLs: []emulator.SeedFunctionURL{{Cors: []byte(compliant)}}},
		{Name: "exempt", Tags: map[string]string{"corsguard:exempt": "true"}, URLs: []emulator.SeedFunctionURL{{Cors: []byte(openCors)}}},
		{Name: "no-url"},
	} {
		if err := e.emu.SeedFunction(f); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	for _, a := range []emulator.SeedAPI{
		{Name: "open-api", Description: "shop", Tags: map[string]string{"team": "shop"}, CorsConfiguration: []byte(openCors)},
		{Name: "no-cors-api"},
		{Name: "compliant-api", CorsConfiguration: []byte(compliant)},
		{Name: "legacy-api", CorsConfiguration: []byte(openCors)},
		{Name: "chat", ProtocolType: "WEBSOCKET"},
	} {
		id, err := e.emu.SeedAPI(a)
		if err != nil {
			t.Fatal(err)
		}
		ids[a.Name] = id
	}
	eng := e.engineOf(enforce.Config{Clock: clock, Rand: half, Targets: []policy.Kind{policy.LambdaURL, policy.HTTPAPI},
		Kinds: map[policy.Kind]enforce.KindConfig{
			policy.LambdaURL: {Parameter: apiParam},
			policy.HTTPAPI:   {Parameter: apiParam, Selector: policy.Selector{Exclude: exclude}},
		}}, policy.LambdaURL, policy.HTTPAPI)
	return e, eng, ids
}

// An audit reports the open function URLs and HTTP APIs drifted in the services' field names;
// apply writes only their CORS (AuthType, InvokeMode and the APIs' other properties stay),
// deleting and rewriting an API's CORS when a member the baseline leaves out (MaxAge) survives
// UpdateApi; a second audit finds everything compliant. APIs are named by ApiId and selected by
// name; exempt functions and WebSocket APIs are left alone.
func TestFunctionURLsAndHTTPAPIsAuditThenEnforce(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e, eng, ids := apisEnv(t, clock, "legacy-*")
	ctx := context.Background()

	audit := e.run(ctx, eng, enforce.Work{Mode: enforce.ModeAudit})
	got := entries(audit)
	want := map[string]enforce.Outcome{"open": enforce.Drifted, "open:live": enforce.Drifted, "compliant": enforce.Compliant,
		"exempt": enforce.Exempt, ids["open-api"]: enforce.Drifted, ids["no-cors-api"]: enforce.Drifted, ids["compliant-api"]: enforce.Compliant}
	outcomes := map[string]enforce.Outcome{}
	for name, ent := range got {
		outcomes[name] = ent.Outcome
	}
	if diff := cmp.Diff(want, outcomes); diff != "" || !audit.Succeeded {
		t.Fatalf("audit outcomes (-want +got):\n%s\n%+v", diff, audit)
	}
	if !cmp.Equal(audit.Excluded, []string{ids["legacy-api"]}) {
		t.Errorf("excluded %v, want the legacy API (selected by its name, reported by its ApiId)", audit.Excluded)
	}
	var lines []string
	for _, c := range got["open"].Diff {
		lines = append(lines, c.String())
	}
	wantLines := []string{"Cors.AllowOrigins: +https://app.example.com -*", "Cors.AllowMethods: +GET +POST -*",
		"Cors.AllowHeaders: +authorization +content-type -*", "Cors.AllowCredentials: false -> true", "Cors.MaxAge: 600 -> 0"}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("the function URL's diff (-want +got):\n%s", diff)
	}
	if d := got[ids["open-api"]].Diff; len(d) == 0 || !strings.HasPrefix(d[0].Path, "CorsConfiguration.") {
		t.Errorf("the API's diff is not in API Gateway's names: %v", d)
	}
	if n := e.emu.CallCount("UpdateFunctionUrlConfig") + e.emu.CallCount("UpdateApi"); n != 0 {
		t.Fatalf("audit wrote %d times", n)
	}

	rep := e.run(ctx, eng, enforce.Work{Mode: enforce.ModeEnforce})
	if rep.Totals[enforce.Remediated] != 4 || !rep.Succeeded {
		t.Fatalf("enforce: %+v", rep)
	}
	u, err := e.lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("open")})
	if err != nil {
		t.Fatal(err)
	}
	if u.AuthType != ltypes.FunctionUrlAuthTypeAwsIam || u.InvokeMode != ltypes.InvokeModeResponseStream {
		t.Errorf("AuthType %s, InvokeMode %s after apply; want AWS_IAM and RESPONSE_STREAM as before", u.AuthType, u.InvokeMode)
	}
	a, err := e.ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(ids["open-api"])})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.Description) != "shop" || a.Tags["team"] != "shop" || aws.ToString(a.Name) != "open-api" || a.CorsConfiguration.MaxAge != nil {
		t.Errorf("the API after apply: %+v, CORS %+v", a, a.CorsConfiguration)
	}
	// MaxAge survived UpdateApi on open-api only: one delete-and-rewrite.
	if n := e.emu.CallCount("DeleteCorsConfiguration"); n != 1 {
		t.Errorf("%d DeleteCorsConfiguration calls, want 1 (open-api's surviving MaxAge)", n)
	}
	again := e.run(ctx, eng, enforce.Work{Mode: enforce.ModeAudit})
	if again.Totals[enforce.Drifted] != 0 || again.Totals[enforce.Compliant] != 6 {
		t.Errorf("second audit: %+v", again.Totals)
	}
	// Named: an API by its ApiId is selected by its name once described; a WebSocket API is
	// no HTTP API.
	named := e.run(ctx, eng, enforce.Work{APIs: []string{ids["legacy-api"], ids["chat"], ids["open-api"]}, FunctionURLs: []string{"open:live", "no-url"}, Mode: enforce.ModeAudit})
	n := entries(named)
	if n[ids["legacy-api"]].Outcome != enforce.Exempt || n[ids["chat"]].Outcome != enforce.Gone || n[ids["open-api"]].Outcome != enforce.Compliant ||
		n["open:live"].Outcome != enforce.Compliant || n["no-url"].Outcome != enforce.Gone {
		t.Errorf("named run: %+v", named.Entries)
	}
}

// ResourceConflictException (Lambda) and ConflictException (UpdateApi) mean busy: backed off
// and tried again, not failed.
func TestBusyFunctionURLsAndAPIsBackOffAndConverge(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e, eng, ids := apisEnv(t, clock, "legacy-*")
	e.emu.Script("UpdateFunctionUrlConfig", "open", 2, "ResourceConflictException")
	e.emu.Script("UpdateApi", ids["no-cors-api"], 2, "ConflictException")
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(10*time.Second+2*time.Minute))
	defer cancel()
	rep := e.run(ctx, eng, enforce.Work{Mode: enforce.ModeEnforce})
	got := entries(rep)
	// The function's two URLs (its own and its alias's) share the function's two conflicts.
	if o, l := got["open"], got["open:live"]; o.Outcome != enforce.Remediated || l.Outcome != enforce.Remediated || o.Attempts+l.Attempts != 4 {
		t.Errorf("open %+v, open:live %+v; want both remediated after 2 waits between them", o, l)
	}
	if ent := got[ids["no-cors-api"]]; ent.Outcome != enforce.Remediated || ent.Attempts != 3 {
		t.Errorf("no-cors-api: %+v; want remediated after 2 waits", ent)
	}
	if !rep.Succeeded {
		t.Errorf("run: %+v", rep)
	}
}

// TooManyRequestsException (429: Lambda's and API Gateway's quotas, which the account's own
// deployments share) is throttling: the SDK's retryer waits and tries again, and the resource
// converges without a failure reaching the report.
func TestThrottledFunctionURLsAndAPIsAreRetriedNotFailed(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	e, eng, ids := apisEnv(t, clock, "legacy-*")
	e.emu.Script("UpdateFunctionUrlConfig", "open", 2, "TooManyRequestsException")
	e.emu.Script("GetApis", "", 2, "TooManyRequestsException")
	e.emu.Script("UpdateApi", ids["open-api"], 2, "TooManyRequestsException")
	rep := e.run(context.Background(), eng, enforce.Work{Mode: enforce.ModeEnforce})
	if !rep.Succeeded || rep.Totals[enforce.Failed] != 0 || rep.Totals[enforce.Remediated] != 4 {
		t.Fatalf("a throttled run: %+v", rep)
	}
	if n := e.emu.CallCount("GetApis"); n != 3 {
		t.Errorf("%d GetApis requests, want 3 (two throttled, retried by the SDK)", n)
	}
}
