package main

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// The demo's function URLs and HTTP APIs (part 3, docs/api-targets.md).
const (
	demoAPIBaseline = `{"Cors": {"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET", "POST"],
  "AllowHeaders": ["Content-Type"], "AllowCredentials": false, "MaxAge": 300}}`
	demoOpenCors = `{"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"], "MaxAge": 86400}`
)

// demoAPIsResult is what part 3 did: the outcome of each resource in the audit, the apply and
// the audit after it.
type demoAPIsResult struct {
	audit, apply, again map[string]enforce.Outcome
}

// runAPIs is part 3: function URLs and an HTTP API opened to any origin are audited, repaired
// and audited again by the same engine, with only their CORS written.
func (d *demo) runAPIs(ctx context.Context, awsCfg aws.Config, env map[string]string) error {
	out := d.out
	fmt.Fprintf(out, "\n%s\nPart 3: Lambda function URLs and API Gateway HTTP APIs (targets lambda-url and http-api)\n%s\n", strings.Repeat("═", 96), strings.Repeat("═", 96))
	if err := d.emu.SeedParameter(config.DefaultAPIParameter, "String", demoAPIBaseline, "corsguard baseline of function URLs and HTTP APIs"); err != nil {
		return err
	}
	for _, f := range []emulator.SeedFunction{
		{Name: "orders", URLs: []emulator.SeedFunctionURL{{AuthType: "AWS_IAM", InvokeMode: "RESPONSE_STREAM", Cors: []byte(demoOpenCors)}}},
		{Name: "cart", URLs: []emulator.SeedFunctionURL{{Cors: []byte(`{"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["POST", "GET"], "AllowHeaders": ["content-type"], "MaxAge": 300}`)}}},
		{Name: "internal-tools", Tags: map[string]string{"corsguard:exempt": "true"}, URLs: []emulator.SeedFunctionURL{{Cors: []byte(demoOpenCors)}}},
	} {
		if err := d.emu.SeedFunction(f); err != nil {
			return err
		}
	}
	apiID, err := d.emu.SeedAPI(emulator.SeedAPI{Name: "shop-api", Description: "the shop's public API", CorsConfiguration: []byte(demoOpenCors)})
	if err != nil {
		return err
	}
	env = maps.Clone(env)
	env[config.Targets] = "lambda-url,http-api"
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	engine, err := enforce.New(cfg.Engine, d.ssm, awsclient.Stores(awsCfg, cfg.Engine.Targets)...)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Baseline %s (one Cors object for both kinds, as aws lambda get-function-url-config prints it):\n%s\n",
		config.DefaultAPIParameter, indent(demoAPIBaseline))
	fmt.Fprintf(out, "The account: function URLs orders (open to any origin; AWS_IAM, RESPONSE_STREAM), cart (compliant),\n")
	fmt.Fprintf(out, "internal-tools (open, tagged exempt), and the HTTP API shop-api (%s, open to any origin).\n", apiID)
	fmt.Fprintf(out, "Lambda's control plane allows ~15 requests/s and API Gateway's 10/s per account: corsguard takes %g and %g.\n\n",
		cfg.Engine.LambdaRate, cfg.Engine.APIGatewayRate)

	run := func(mode enforce.Mode) (map[string]enforce.Outcome, *enforce.Report) {
		rep := engine.Run(ctx, enforce.Work{Mode: mode, Reason: "demo part 3"})
		got := map[string]enforce.Outcome{}
		for _, e := range rep.Entries {
			got[e.Name] = e.Outcome
			fmt.Fprintf(out, "  %-7s %-11s %-15s %s\n", mode, e.Kind, e.Name, e.Outcome)
			if mode == enforce.ModeAudit {
				for _, c := range e.Diff {
					fmt.Fprintf(out, "            %s\n", c)
				}
			}
		}
		return got, rep
	}
	var rep *enforce.Report
	d.apis.audit, _ = run(enforce.ModeAudit)
	d.apis.apply, _ = run(enforce.ModeEnforce)
	d.apis.again, rep = run(enforce.ModeAudit)
	if !rep.Succeeded || rep.Totals[enforce.Drifted] > 0 {
		return fmt.Errorf("the audit after apply did not find every function URL and HTTP API compliant: %+v", rep.Totals)
	}
	u, err := lambda.NewFromConfig(awsCfg).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")})
	if err != nil {
		return err
	}
	a, err := apigatewayv2.NewFromConfig(awsCfg).GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(apiID)})
	if err != nil {
		return err
	}
	if u.AuthType != "AWS_IAM" || u.InvokeMode != "RESPONSE_STREAM" || aws.ToString(a.Description) != "the shop's public API" {
		return fmt.Errorf("apply changed more than the CORS: orders %s %s, shop-api %q", u.AuthType, u.InvokeMode, aws.ToString(a.Description))
	}
	fmt.Fprintf(out, "\nOnly the CORS was written: orders keeps AuthType %s and InvokeMode %s, shop-api its description.\n", u.AuthType, u.InvokeMode)
	return nil
}
