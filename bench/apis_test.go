package bench

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestRunAPISweepCountsASmallFleet runs the function URL and HTTP API sweep harness on 12 URLs
// and 7 APIs at AWS's quotas and checks what it counts, not how long it took.
func TestRunAPISweepCountsASmallFleet(t *testing.T) {
	res, err := RunAPISweep(context.Background(), APISweepSpec{URLs: 12, APIs: 7, LambdaRate: 15, APIGatewayRate: 10, Concurrency: 2, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.DriftedURLs != 4 || res.DriftedAPIs != 2 { // 1, 4, 7, 11 and 1, 4
		t.Errorf("drifted %d URLs and %d APIs, want 4 and 2", res.DriftedURLs, res.DriftedAPIs)
	}
	if res.ConvergedURLs != 12 || res.ConvergedAPIs != 7 {
		t.Errorf("converged %d of 12 URLs and %d of 7 APIs", res.ConvergedURLs, res.ConvergedAPIs)
	}
	if res.Calls["UpdateFunctionUrlConfig"] != 4 || res.Calls["UpdateApi"] < 2 || res.Calls["ListFunctionUrlConfigs"] != 12 {
		t.Errorf("calls %v: want 4 UpdateFunctionUrlConfig, 2 or more UpdateApi, 12 ListFunctionUrlConfigs", res.Calls)
	}
	if res.LambdaCalls() < res.LambdaMinimum() || res.APIGatewayCalls() < res.APIGatewayMinimum() {
		t.Errorf("Lambda calls %d below the minimum %d or API Gateway calls %d below %d (%v)",
			res.LambdaCalls(), res.LambdaMinimum(), res.APIGatewayCalls(), res.APIGatewayMinimum(), res.Calls)
	}
	if res.Reported != 0 || res.Records != 19 || res.Invocations < 3 || res.Bound() <= 0 {
		t.Errorf("reported throttles %d, records %d, invocations %d, bound %v", res.Reported, res.Records, res.Invocations, res.Bound())
	}
	t.Logf("calls %v, throttled %d", res.Calls, res.Throttled)
}

// TestAPISweepAtFullSize runs the sweep of issue 25 at its size, 200 function URLs and 100
// HTTP APIs at the default shares and AWS's quotas, and prints the figures docs/BENCHMARKS.md
// quotes. It takes about two minutes, so only when CORSGUARD_BENCH_APIS=1 (make bench runs
// the same sweep through bench/cmd/report).
func TestAPISweepAtFullSize(t *testing.T) {
	if os.Getenv("CORSGUARD_BENCH_APIS") != "1" {
		t.Skip("set CORSGUARD_BENCH_APIS=1 to run the full-size sweep")
	}
	res, err := RunAPISweep(context.Background(), APISweepFullSpec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wall %v bound %v wall/bound %.2f; Lambda calls %d minimum %d (%.2f); API Gateway calls %d minimum %d (%.2f); throttled by the emulator %d, in reports %d; converged %d/%d URLs %d/%d APIs; invocations %d; calls %v",
		res.Wall, res.Bound(), float64(res.Wall)/float64(res.Bound()), res.LambdaCalls(), res.LambdaMinimum(), float64(res.LambdaCalls())/float64(res.LambdaMinimum()),
		res.APIGatewayCalls(), res.APIGatewayMinimum(), float64(res.APIGatewayCalls())/float64(res.APIGatewayMinimum()),
		res.Throttled, res.Reported, res.ConvergedURLs, res.Spec.URLs, res.ConvergedAPIs, res.Spec.APIs, res.Invocations, res.Calls)
	if res.Reported != 0 || res.ConvergedURLs != res.Spec.URLs || res.ConvergedAPIs != res.Spec.APIs {
		t.Errorf("throttles reached the report or not everything converged")
	}
}
