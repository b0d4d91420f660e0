package bench

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/enforce/corsconv"
)

// BenchmarkSweep measures the CPU and allocations of one sweep in this process: engine, SDK
// clients and emulator together, no latency and no rate limit. "compliant" sweeps a fleet that
// is already compliant (the common scheduled sweep); "drifted" re-drifts 30% before each one.
func BenchmarkSweep(b *testing.B) {
	for _, n := range []int{10, 100} {
		for _, redrift := range []bool{false, true} {
			name := fmt.Sprintf("N=%d/compliant", n)
			if redrift {
				name = fmt.Sprintf("N=%d/drifted", n)
			}
			b.Run(name, func(b *testing.B) { benchSweep(b, n, redrift) })
		}
	}
}

func benchSweep(b *testing.B, n int, redrift bool) {
	ctx := context.Background()
	a, err := StartAccount(emulator.WithCreatingDuration(0), emulator.WithContainerQuota(max(n, 100)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	fleet, err := Populate(ctx, a, n)
	if err != nil {
		b.Fatal(err)
	}
	ms, params := a.Clients()
	engine, err := enforce.New(enforce.Config{Parameter: BaselineParam, Rate: math.Inf(1)}, params, enforce.MediaStore(ms))
	if err != nil {
		b.Fatal(err)
	}
	want := enforce.Compliant
	if redrift {
		want = enforce.Remediated
	}
	b.ReportAllocs()
	for b.Loop() {
		if redrift {
			b.StopTimer()
			for _, name := range fleet.Drifted {
				if _, err := ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String(name), CorsPolicy: corsconv.ToMediaStore(other())}); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		rep := engine.Run(ctx, enforce.Work{Mode: enforce.ModeEnforce})
		if !rep.Succeeded || (len(fleet.Drifted) > 0 && rep.Totals[want] == 0) {
			b.Fatalf("sweep: %s %v", rep.Error, rep.Totals)
		}
	}
}
