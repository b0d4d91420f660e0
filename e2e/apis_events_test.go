package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// TestFunctionURLAndHTTPAPIEventsOnBothPaths sends the CloudTrail records of events/ for
// Lambda function URLs (orders, orders:live) and HTTP APIs (a1b2c3d4e5) to the real bootstrap,
// in-process and as the work queue's router, each after the resource was opened to any origin:
// each record repairs the URL or API it names and nothing else (billing's URL and the API
// other stay open). Lambda's versioned spelling (CreateFunctionUrlConfig20211031) is the same
// call; a failed call, and a record for a kind that is not a target, are ignored with no AWS
// call.
func TestFunctionURLAndHTTPAPIEventsOnBothPaths(t *testing.T) {
	t.Parallel()
	const apiBaseline = `{"Cors": {"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET", "POST"], "MaxAge": 300}}`
	open := []byte(`{"AllowOrigins": ["*"], "AllowMethods": ["*"], "MaxAge": 600}`)
	for _, queue := range []bool{false, true} {
		path := "in-process"
		if queue {
			path = "work queue"
		}
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()))
			if err := a.SeedParameter(config.DefaultAPIParameter, "String", apiBaseline, ""); err != nil {
				t.Fatal(err)
			}
			if err := a.SeedFunction(emulator.SeedFunction{Name: "orders", Aliases: []string{"live"}, URLs: []emulator.SeedFunctionURL{
				{AuthType: "AWS_IAM", InvokeMode: "RESPONSE_STREAM", Cors: open}, {Qualifier: "live", Cors: open}}}); err != nil {
				t.Fatal(err)
			}
			if err := a.SeedFunction(emulator.SeedFunction{Name: "billing", URLs: []emulator.SeedFunctionURL{{Cors: open}}}); err != nil {
				t.Fatal(err)
			}
			for _, s := range []emulator.SeedAPI{{ID: "a1b2c3d4e5", Name: "shop", Description: "the shop", CorsConfiguration: open},
				{ID: "f6g7h8i9j0", Name: "other", CorsConfiguration: open}} {
				if _, err := a.SeedAPI(s); err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{"CORSGUARD_TARGETS": "lambda-url,http-api"}
			fn, drain := onPath(t, a, queue, env)
			ctx := context.Background()
			lc, ag := lambda.NewFromConfig(a.aws(t)), apigatewayv2.NewFromConfig(a.aws(t))
			anyOrigin := func() {
				t.Helper()
				c := &ltypes.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, MaxAge: aws.Int32(600)}
				for _, q := range []string{"", "live"} {
					in := &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"), Cors: c}
					if q != "" {
						in.Qualifier = aws.String(q)
					}
					if _, err := lc.UpdateFunctionUrlConfig(ctx, in); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := ag.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: aws.String("a1b2c3d4e5"),
					CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, MaxAge: aws.Int32(600)}}); err != nil {
					t.Fatal(err)
				}
			}
			urlOrigins := func(name, qualifier string) []string {
				t.Helper()
				in := &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(name)}
				if qualifier != "" {
					in.Qualifier = aws.String(qualifier)
				}
				out, err := lc.GetFunctionUrlConfig(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if name == "orders" && qualifier == "" && (out.AuthType != ltypes.FunctionUrlAuthTypeAwsIam || out.InvokeMode != ltypes.InvokeModeResponseStream) {
					t.Errorf("orders' AuthType %s and InvokeMode %s changed", out.AuthType, out.InvokeMode)
				}
				if out.Cors == nil {
					return nil
				}
				return out.Cors.AllowOrigins
			}
			apiOrigins := func(id string) []string {
				t.Helper()
				out, err := ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)})
				if err != nil {
					t.Fatal(err)
				}
				if id == "a1b2c3d4e5" && aws.ToString(out.Description) != "the shop" {
					t.Errorf("the API's description changed: %q", aws.ToString(out.Description))
				}
				if out.CorsConfiguration == nil {
					return nil
				}
				return out.CorsConfiguration.AllowOrigins
			}
			shop := []string{"https://shop.example.com"}

			for _, tc := range []struct {
				event    []byte
				name     string
				repaired func() []string
				left     func() []string // a resource of the same kind the record does not name
			}{
				{sample(t, "cloudtrail-lambda-create-function-url-config.json"), "CreateFunctionUrlConfig orders",
					func() []string { return urlOrigins("orders", "") }, func() []string { return urlOrigins("billing", "") }},
				{variant(t, "cloudtrail-lambda-create-function-url-config.json", func(ev map[string]any) {
					detailOf(ev)["eventName"] = "CreateFunctionUrlConfig20211031"
					ev["id"] = "another-event" // the same event id would be the same request: the queue drops it as a duplicate
				}), "CreateFunctionUrlConfig20211031 orders", func() []string { return urlOrigins("orders", "") }, func() []string { return urlOrigins("billing", "") }},
				{sample(t, "cloudtrail-lambda-update-function-url-config.json"), "UpdateFunctionUrlConfig orders:live",
					func() []string { return urlOrigins("orders", "live") }, func() []string { return urlOrigins("billing", "") }},
				{sample(t, "cloudtrail-apigateway-create-api.json"), "CreateApi", func() []string { return apiOrigins("a1b2c3d4e5") }, func() []string { return apiOrigins("f6g7h8i9j0") }},
				{sample(t, "cloudtrail-apigateway-update-api.json"), "UpdateApi", func() []string { return apiOrigins("a1b2c3d4e5") }, func() []string { return apiOrigins("f6g7h8i9j0") }},
				{sample(t, "cloudtrail-apigateway-delete-cors-configuration.json"), "DeleteCorsConfiguration", func() []string { return apiOrigins("a1b2c3d4e5") }, func() []string { return apiOrigins("f6g7h8i9j0") }},
			} {
				anyOrigin()
				inv := fn.invoke(t, tc.event)
				if inv.failed() || inv.Result.Event != handler.CorsChanged {
					t.Fatalf("%s: %s", tc.name, inv)
				}
				if !queue {
					wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
				}
				drain(t)
				if got := tc.repaired(); !slices.Equal(got, shop) {
					t.Errorf("%s: AllowOrigins %v after the event, want %v", tc.name, got, shop)
				}
				if got := tc.left(); !slices.Equal(got, []string{"*"}) {
					t.Errorf("%s: a resource the record does not name was written: AllowOrigins %v", tc.name, got)
				}
			}

			// A failed call changed nothing: ignored, no AWS call, nothing enqueued.
			anyOrigin()
			for _, file := range []string{"cloudtrail-lambda-update-function-url-config.json", "cloudtrail-apigateway-update-api.json"} {
				before := a.TotalCalls()
				inv := fn.invoke(t, variant(t, file, func(ev map[string]any) { detailOf(ev)["errorCode"] = "AccessDeniedException" }))
				if inv.failed() || inv.Result.Event != handler.Ignored || !strings.Contains(inv.Result.Note, "changed nothing") {
					t.Errorf("%s failed: %s, want it ignored", file, inv)
				}
				if n := a.TotalCalls() - before; n != 0 {
					t.Errorf("%s failed: %d AWS calls (%v)", file, n, a.Calls())
				}
			}
			if got := urlOrigins("orders", "live"); !slices.Equal(got, []string{"*"}) {
				t.Errorf("a failed call's URL was written: %v", got)
			}
		})
	}
}

// TestFunctionURLAndHTTPAPIEventsOutsideTheTargetsAreIgnored: a function whose targets are
// neither lambda-url nor http-api ignores their records, before any AWS call.
func TestFunctionURLAndHTTPAPIEventsOutsideTheTargetsAreIgnored(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	e := fastEnv(a)
	e["CORSGUARD_TARGETS"] = "s3"
	fn := startFunction(t, e)
	for _, file := range []string{"cloudtrail-lambda-create-function-url-config.json", "cloudtrail-apigateway-create-api.json"} {
		before := a.TotalCalls()
		inv := fn.invoke(t, sample(t, file))
		if inv.failed() || inv.Result.Event != handler.Ignored || !strings.Contains(inv.Result.Note, "not among the targets") {
			t.Errorf("%s: %s, want it ignored as not among the targets", file, inv)
		}
		if n := a.TotalCalls() - before; n != 0 {
			t.Errorf("%s: %d AWS calls", file, n)
		}
	}
}
