package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/deploy/eventpattern"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/policy"
)

// cloudTrailCalls is the one list of the CloudTrail calls that can change a resource's CORS:
// the template's rule that takes each, a sample record of that rule, the event the function
// routes it as, and whether CloudTrail may name the call with its API version appended
// (CloudFront: UpdateResponseHeadersPolicy2020_05_31), which the rule must then match with a
// prefix and the function route as the unversioned name. versions are the suffixes seen in
// public samples of that service's records (CloudFront's 2020_05_31 and 2014_01_31, Lambda's
// 20211031 and the v2 of 20150331v2); none for a service whose names carry no version.
var cloudTrailCalls = []struct {
	rule, sample string
	calls        map[string]handler.Event
	versions     []string
}{
	{"ContainerCreatedTrail", "cloudtrail-create-container.json", map[string]handler.Event{"CreateContainer": handler.ContainerCreated, "DeleteContainer": handler.ResourceDeleted}, nil},
	{"CorsChangedTrail", "cloudtrail-put-cors-policy.json", map[string]handler.Event{"PutCorsPolicy": handler.CorsChanged, "DeleteCorsPolicy": handler.CorsChanged,
		"TagResource": handler.CorsChanged, "UntagResource": handler.CorsChanged}, nil},
	{"BucketCreatedTrail", "cloudtrail-s3-create-bucket.json", map[string]handler.Event{"CreateBucket": handler.BucketCreated, "DeleteBucket": handler.ResourceDeleted}, nil},
	{"BucketCorsChangedTrail", "cloudtrail-s3-put-bucket-cors.json", map[string]handler.Event{"PutBucketCors": handler.CorsChanged, "DeleteBucketCors": handler.CorsChanged,
		"PutBucketTagging": handler.CorsChanged, "DeleteBucketTagging": handler.CorsChanged}, nil},
	{cloudFrontRule, "cloudtrail-update-response-headers-policy.json", map[string]handler.Event{"CreateResponseHeadersPolicy": handler.CorsChanged, "UpdateResponseHeadersPolicy": handler.CorsChanged,
		"DeleteResponseHeadersPolicy": handler.ResourceDeleted}, []string{"2020_05_31", "2014_01_31"}},
	{functionURLRule, "cloudtrail-lambda-update-function-url-config.json", map[string]handler.Event{"CreateFunctionUrlConfig": handler.CorsChanged, "UpdateFunctionUrlConfig": handler.CorsChanged},
		[]string{"20211031", "20211031v2", "20150331v2"}},
	{httpAPIRule, "cloudtrail-apigateway-update-api.json", map[string]handler.Event{"CreateApi": handler.CorsChanged, "UpdateApi": handler.CorsChanged,
		"DeleteCorsConfiguration": handler.CorsChanged, "ImportApi": handler.CorsChanged, "ReimportApi": handler.CorsChanged}, nil},
}

// functionURLRule and httpAPIRule are the standalone rules of Lambda's and API Gateway's
// CloudTrail records, each under its target's condition (SAM ignores Condition on events).
const (
	functionURLRule = "FunctionUrlChangedRule"
	httpAPIRule     = "HttpApiChangedRule"
)

// reportingRunner stands in for the engine (it has *enforce.Engine's methods the handler may
// call, and calls nothing): routing is what is under test.
type reportingRunner struct{}

func (reportingRunner) Run(_ context.Context, w enforce.Work) *enforce.Report {
	return &enforce.Report{Mode: w.Mode, Reason: w.Reason, Succeeded: true, Baseline: enforce.Baseline{Valid: true}}
}

func (reportingRunner) Kinds() []policy.Kind {
	return []policy.Kind{policy.MediaStore, policy.S3, policy.CloudFront, policy.LambdaURL, policy.HTTPAPI}
}

func (r reportingRunner) Baselines(ctx context.Context, _ []policy.Kind, mode enforce.Mode, reason string) *enforce.Report {
	return r.Run(ctx, enforce.Work{Mode: mode, Reason: reason})
}

func (reportingRunner) ListPage(context.Context, policy.Kind, string, string) (*enforce.Page, error) {
	return &enforce.Page{}, nil
}

func (reportingRunner) ProfileBaseline(_ context.Context, ref enforce.ProfileRef, mode enforce.Mode, reason string) *enforce.Report {
	return &enforce.Report{Mode: mode, Reason: reason, Baseline: enforce.Baseline{Kind: ref.Kind, Profile: ref.Name, Valid: true}}
}

func (r reportingRunner) Reconcile(ctx context.Context, _ []enforce.Item, reason string) *enforce.Report {
	return r.Run(ctx, enforce.Work{Reason: reason})
}

// TestTheRulesAndTheRouterAcceptTheSameEventNames holds template.yaml's CloudTrail rules and
// the function's router to cloudTrailCalls: every rule names exactly its calls (by prefix where
// CloudTrail appends the API version), every spelling the rule matches is routed as that call,
// and a name that only shares the prefix is let in by the rule but ignored by the router.
func TestTheRulesAndTheRouterAcceptTheSameEventNames(t *testing.T) {
	tpl := readTemplate(t)
	ev := evaluator(t, tpl, "aws", map[string]string{"Targets": "mediastore,s3,cloudfront,lambda-url,http-api", "CloudFrontBaselineParameterName": "/corsguard/cloudfront"})

	// Every rule of CloudTrail records, the SAM events and the standalone CloudFront rule.
	rules := map[string]map[string]any{}
	for name, src := range events(t, tpl) {
		if src["Type"] == "EventBridgeRule" {
			rules[name] = eval(t, ev, src["Properties"].(map[string]any)["Pattern"]).(map[string]any)
		}
	}
	for _, name := range []string{cloudFrontRule, functionURLRule, httpAPIRule} {
		rules[name] = eval(t, ev, props(t, tpl, name)["EventPattern"]).(map[string]any)
	}
	var trail []string
	for name, p := range rules {
		if slices.Contains(strs(p["detail-type"]), "AWS API Call via CloudTrail") {
			trail = append(trail, name)
		}
	}
	var listed []string
	for _, c := range cloudTrailCalls {
		listed = append(listed, c.rule)
	}
	slices.Sort(trail)
	slices.Sort(listed)
	if diff := cmp.Diff(listed, trail); diff != "" {
		t.Fatalf("the template's CloudTrail rules and cloudTrailCalls differ (-list +template):\n%s", diff)
	}

	h := handler.New(enforce.Config{Parameter: "/corsguard/baseline", Mode: enforce.ModeAudit,
		Targets: []policy.Kind{policy.MediaStore, policy.S3, policy.CloudFront, policy.LambdaURL, policy.HTTPAPI}}, reportingRunner{},
		handler.WithRegion("us-east-1"), handler.WithMetrics(io.Discard), handler.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:012345678912:function:corsguard"})
	routed := func(t *testing.T, event []byte) *handler.Result {
		t.Helper()
		out, err := h.Lambda().Invoke(ctx, event)
		if err != nil {
			t.Fatal(err)
		}
		var res handler.Result
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		return &res
	}

	for _, c := range cloudTrailCalls {
		t.Run(c.rule, func(t *testing.T) {
			names := slices.Sorted(func(yield func(string) bool) {
				for n := range c.calls {
					if !yield(n) {
						return
					}
				}
			})
			var want []any
			for _, n := range names {
				if len(c.versions) > 0 {
					want = append(want, map[string]any{"prefix": n})
				} else {
					want = append(want, n)
				}
			}
			got, _ := rules[c.rule]["detail"].(map[string]any)["eventName"].([]any)
			byText := func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
			slices.SortFunc(want, byText)
			slices.SortFunc(got, byText) // the order of a pattern's values does not matter
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("eventName of %s (-want +got):\n%s", c.rule, diff)
			}
			pattern, err := eventpattern.New(rules[c.rule])
			if err != nil {
				t.Fatal(err)
			}
			named := func(name string) []byte {
				return edit(t, c.sample, func(ev map[string]any) { ev["detail"].(map[string]any)["eventName"] = name })
			}
			for _, name := range names {
				spellings := []string{name}
				for _, v := range c.versions {
					spellings = append(spellings, name+v)
				}
				for _, s := range spellings {
					if ok, err := pattern.Match(named(s)); err != nil || !ok {
						t.Errorf("%s does not match %s (%v)", c.rule, s, err)
					}
					if res := routed(t, named(s)); res.Event != c.calls[name] {
						t.Errorf("%s is routed as %q (%s), want %q", s, res.Event, res.Note, c.calls[name])
					}
				}
				if len(c.versions) == 0 {
					// Not a spelling CloudTrail uses for this service: the rule lets it pass by.
					if ok, _ := pattern.Match(named(name + "2020_05_31")); ok {
						t.Errorf("%s matches %s2020_05_31; its service's names carry no version", c.rule, name)
					}
				}
			}
			// What only shares a prefix is no call of the list: ignored by the router.
			if res := routed(t, named(names[0]+"Configuration")); res.Event != handler.Ignored {
				t.Errorf("%sConfiguration is routed as %q, want it ignored", names[0], res.Event)
			}
		})
	}
}

// TestTheAPIRulesExistOnlyForTheirTargets: FunctionUrlChangedRule and HttpApiChangedRule, with
// their invoke permissions, exist only when Targets names lambda-url and http-api respectively.
func TestTheAPIRulesExistOnlyForTheirTargets(t *testing.T) {
	tpl := readTemplate(t)
	for _, tc := range []struct {
		targets       string
		lambda, apigw bool
	}{
		{"s3", false, false}, {"lambda-url", true, false}, {"http-api", false, true}, {"s3,http-api,lambda-url", true, true},
	} {
		ev := evaluator(t, tpl, "aws", map[string]string{"Targets": tc.targets})
		for _, r := range []struct {
			names []string
			want  bool
		}{
			{[]string{functionURLRule, "FunctionUrlChangedPermission"}, tc.lambda},
			{[]string{httpAPIRule, "HttpApiChangedPermission"}, tc.apigw},
		} {
			for _, name := range r.names {
				cond, _ := tpl.Resource(name)["Condition"].(string)
				if cond == "" {
					t.Fatalf("%s has no Condition", name)
				}
				got, err := ev.Condition(cond)
				if err != nil {
					t.Fatal(err)
				}
				if got != r.want {
					t.Errorf("Targets %s: %s exists = %v, want %v", tc.targets, name, got, r.want)
				}
			}
		}
	}
}
