package handler

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// A sweep of function URLs and HTTP APIs goes through the work queue as every other kind's:
// the router lists them page by page and enqueues one message per URL (FUNCTION or
// FUNCTION:ALIAS) and per API (by ApiId, selected by its name); the workers write only the CORS.
func TestASweepOfFunctionURLsAndHTTPAPIsGoesThroughTheQueue(t *testing.T) {
	f := newFixture(t, map[string]string{config.QueueURL: workQueue, config.Targets: "lambda-url,http-api",
		config.LambdaRate: "15", config.APIGatewayRate: "10", config.HTTPAPIExclude: "legacy-*"})
	open := []byte(`{"AllowOrigins": ["*"], "AllowMethods": ["*"], "MaxAge": 600}`)
	if err := f.emu.SeedParameter(config.DefaultAPIParameter, "String",
		`{"Cors": {"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET"]}}`, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.emu.SeedFunction(emulator.SeedFunction{Name: "orders", Aliases: []string{"live"}, URLs: []emulator.SeedFunctionURL{
		{AuthType: "AWS_IAM", InvokeMode: "RESPONSE_STREAM", Cors: open}, {Qualifier: "live", Cors: open}}}); err != nil {
		t.Fatal(err)
	}
	shop, err := f.emu.SeedAPI(emulator.SeedAPI{Name: "shop", CorsConfiguration: open})
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := f.emu.SeedAPI(emulator.SeedAPI{Name: "legacy-shop", CorsConfiguration: open})
	if err != nil {
		t.Fatal(err)
	}

	var res Result
	if err := f.invoke(t, invocation(), sweep("sweep-apis"), &res); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	if res.Queue == nil {
		t.Fatalf("no queue result: %+v", res)
	}
	if f.emu.CallCount("UpdateFunctionUrlConfig") != 2 || f.emu.ResourceCalls("UpdateApi", shop) == 0 || f.emu.ResourceCalls("UpdateApi", legacy) != 0 {
		t.Errorf("writes: %d UpdateFunctionUrlConfig, UpdateApi %d on shop and %d on the excluded legacy-shop; want 2, some and 0",
			f.emu.CallCount("UpdateFunctionUrlConfig"), f.emu.ResourceCalls("UpdateApi", shop), f.emu.ResourceCalls("UpdateApi", legacy))
	}
	lc, ag := lambda.NewFromConfig(f.cfg), apigatewayv2.NewFromConfig(f.cfg)
	for _, q := range []string{"", "live"} {
		in := &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		u, err := lc.GetFunctionUrlConfig(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Cors.AllowOrigins) != 1 || u.Cors.AllowOrigins[0] != "https://shop.example.com" {
			t.Errorf("orders %q: Cors %+v", q, u.Cors)
		}
		if q == "" && (u.AuthType != types.FunctionUrlAuthTypeAwsIam || u.InvokeMode != types.InvokeModeResponseStream) {
			t.Errorf("orders' AuthType %s and InvokeMode %s changed", u.AuthType, u.InvokeMode)
		}
	}
	a, err := ag.GetApi(context.Background(), &apigatewayv2.GetApiInput{ApiId: aws.String(shop)})
	if err != nil {
		t.Fatal(err)
	}
	if a.CorsConfiguration == nil || a.CorsConfiguration.MaxAge != nil || a.CorsConfiguration.AllowOrigins[0] != "https://shop.example.com" {
		t.Errorf("shop's CorsConfiguration: %+v", a.CorsConfiguration)
	}
	if v, inFlight, delayed := f.depth(t); v+inFlight+delayed != 0 {
		t.Errorf("queue left with %d visible, %d in flight, %d delayed", v, inFlight, delayed)
	}
}
