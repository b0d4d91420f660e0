package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// APISweepSpec is one sweep of Lambda function URLs (one per function) and API Gateway HTTP
// APIs through the work queue, against an emulator that applies Lambda's (15/s across its
// control plane) and API Gateway's (10/s, burst 40) account-wide quotas, as AWS does.
type APISweepSpec struct {
	URLs, APIs     int
	LambdaRate     float64 // corsguard's share of Lambda's quota (CORSGUARD_LAMBDA_RATE)
	APIGatewayRate float64 // its share of API Gateway's (CORSGUARD_APIGATEWAY_RATE)
	Concurrency    int     // MaximumConcurrency
	Latency        time.Duration
}

// APISweepResult is what an API sweep measured.
type APISweepResult struct {
	Spec                         APISweepSpec
	Wall                         time.Duration // from the router's invocation to an empty queue
	DriftedURLs, DriftedAPIs     int
	ConvergedURLs, ConvergedAPIs int
	Calls                        map[string]int // the emulator's count per operation
	// Throttled is the emulator's TooManyRequestsException answers (the SDK retries them);
	// Reported is the throttling error codes in what the function instances logged: the
	// throttles that reached a report.
	Throttled, Reported  int
	Invocations, Records int
	FunctionTime         time.Duration
}

// lambdaOps and apiGatewayOps are the emulator's names of the two services' operations the
// engine calls.
var (
	lambdaOps     = []string{"ListFunctions", "ListFunctionUrlConfigs", "GetFunctionUrlConfig", "ListTags", "UpdateFunctionUrlConfig"}
	apiGatewayOps = []string{"GetApis", "GetApi", "UpdateApi", "DeleteCorsConfiguration"}
)

func (r APISweepResult) count(ops []string) int {
	n := 0
	for _, op := range ops {
		n += r.Calls[op]
	}
	return n
}

// LambdaCalls and APIGatewayCalls count each service's calls.
func (r APISweepResult) LambdaCalls() int     { return r.count(lambdaOps) }
func (r APISweepResult) APIGatewayCalls() int { return r.count(apiGatewayOps) }

// LambdaMinimum is the least number of Lambda calls: ListFunctions per page of 50, one
// ListFunctionUrlConfigs per function, one read per URL by its worker, a tag read and a write
// per drifted URL.
func (r APISweepResult) LambdaMinimum() int {
	return (r.Spec.URLs+49)/50 + 2*r.Spec.URLs + 2*r.DriftedURLs
}

// APIGatewayMinimum is the least number of API Gateway calls: GetApis per page of 100, one
// GetApi per API by its worker (tags included), one UpdateApi per drifted API (its answer is
// the read-back).
func (r APISweepResult) APIGatewayMinimum() int {
	return (r.Spec.APIs+99)/100 + r.Spec.APIs + r.DriftedAPIs
}

// Bound is the slower service's minimum at corsguard's share of it, plus one latency: the two
// services' quotas are separate, so their calls run side by side.
func (r APISweepResult) Bound() time.Duration {
	l := float64(r.LambdaMinimum()) / r.Spec.LambdaRate
	g := float64(r.APIGatewayMinimum()) / r.Spec.APIGatewayRate
	return time.Duration(max(l, g)*float64(time.Second)) + r.Spec.Latency
}

// apiBaseline is the Cors baseline the API sweep enforces; apiOpen what a drifted URL or API
// holds when it holds CORS at all.
const (
	apiBaseline = `{"AllowOrigins": ["https://player.example.com"], "AllowMethods": ["GET", "HEAD"], "AllowHeaders": ["content-type"], "MaxAge": 3000}`
	apiOpen     = `{"AllowOrigins": ["*"], "AllowMethods": ["*"], "MaxAge": 600}`
)

// RunAPISweep seeds a fresh emulator, at AWS's default quotas, with spec.URLs functions of one
// URL each and spec.APIs HTTP APIs, 30 % of each drifted as Populate's (a third without CORS,
// the rest open to any origin), and sweeps them through the work queue.
func RunAPISweep(ctx context.Context, spec APISweepSpec) (APISweepResult, error) {
	a, err := StartAccount()
	if err != nil {
		return APISweepResult{}, err
	}
	defer a.Close()
	res := APISweepResult{Spec: spec}
	cors := func(i int) (bool, json.RawMessage) {
		switch isDrifted, p := drifted(i); {
		case !isDrifted:
			return false, json.RawMessage(apiBaseline)
		case p == nil:
			return true, nil
		}
		return true, json.RawMessage(apiOpen)
	}
	for i := range spec.URLs {
		d, c := cors(i)
		if d {
			res.DriftedURLs++
		}
		if err := a.SeedFunction(emulator.SeedFunction{Name: fmt.Sprintf("bench-fn-%05d", i), URLs: []emulator.SeedFunctionURL{{Cors: c}}}); err != nil {
			return APISweepResult{}, err
		}
	}
	var ids []string
	for i := range spec.APIs {
		d, c := cors(i)
		if d {
			res.DriftedAPIs++
		}
		id, err := a.SeedAPI(emulator.SeedAPI{Name: fmt.Sprintf("bench-api-%05d", i), CorsConfiguration: c})
		if err != nil {
			return APISweepResult{}, err
		}
		ids = append(ids, id)
	}
	if _, err := ssm.NewFromConfig(a.config()).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(config.DefaultAPIParameter),
		Value: aws.String(apiBaseline), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		return APISweepResult{}, fmt.Errorf("put baseline: %w", err)
	}
	a.SetLatency(emulator.AnyOp, spec.Latency)
	a.ResetCalls()
	env := map[string]string{
		config.Targets: "lambda-url,http-api", config.BaselineParameter: BaselineParam,
		config.LambdaRate: strconv.FormatFloat(spec.LambdaRate, 'f', -1, 64), config.APIGatewayRate: strconv.FormatFloat(spec.APIGatewayRate, 'f', -1, 64),
	}
	d, err := drainSweep(ctx, a, env, spec.Concurrency, 0, sweepOnce(a, "bench-sweep"))
	if err != nil {
		return APISweepResult{}, err
	}
	res.Wall, res.FunctionTime, res.Invocations, res.Records, res.Reported = d.wall, d.functionTime, d.invocations, d.records, d.reported
	res.Calls, res.Throttled = a.Calls(), a.Throttled()
	// Read back without the quotas: the check is not the sweep's.
	a.SetQuotas(nil)
	a.SetLatency(emulator.AnyOp, 0)
	lc, ag := lambda.NewFromConfig(a.config()), apigatewayv2.NewFromConfig(a.config())
	for i := range spec.URLs {
		u, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fmt.Sprintf("bench-fn-%05d", i))})
		if err != nil {
			return APISweepResult{}, err
		}
		if c := u.Cors; c != nil && slices.Equal(c.AllowOrigins, []string{"https://player.example.com"}) &&
			slices.Equal(c.AllowMethods, []string{"GET", "HEAD"}) && aws.ToInt32(c.MaxAge) == 3000 {
			res.ConvergedURLs++
		}
	}
	for _, id := range ids {
		g, err := ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)})
		if err != nil {
			return APISweepResult{}, err
		}
		if c := g.CorsConfiguration; c != nil && slices.Equal(c.AllowOrigins, []string{"https://player.example.com"}) &&
			slices.Equal(c.AllowMethods, []string{"GET", "HEAD"}) && aws.ToInt32(c.MaxAge) == 3000 {
			res.ConvergedAPIs++
		}
	}
	return res, nil
}

// APISweepFullSpec is issue 25's sweep: 200 function URLs and 100 HTTP APIs at the default
// shares (5/s of Lambda's 15, 3/s of API Gateway's 10), 4 workers, 2 ms per call.
var APISweepFullSpec = APISweepSpec{URLs: 200, APIs: 100, LambdaRate: 5, APIGatewayRate: 3, Concurrency: 4, Latency: 2 * time.Millisecond}
