package enforce_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// An engine enforces the baseline held in an SSM parameter on every MediaStore container,
// here in an emulated account.
func ExampleEngine_Run() {
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	defer srv.Close()
	_ = emu.SeedParameter("/corsguard/baseline", "String", `[{"AllowedOrigins":["https://example.com"],"AllowedMethods":["GET"],"AllowedHeaders":["*"]}]`, "")
	_ = emu.SeedContainer("hand-edited", "ACTIVE", policy.Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"*"}}}, nil)
	_ = emu.SeedContainer("keep-out", "ACTIVE", nil, map[string]string{"corsguard:exempt": "true"})

	ctx := context.Background()
	cfg := emulator.SDKConfig(srv.URL, "us-east-1")
	engine, err := enforce.New(enforce.Config{Parameter: "/corsguard/baseline"},
		ssm.NewFromConfig(cfg), enforce.MediaStore(mediastore.NewFromConfig(cfg)))
	if err != nil {
		panic(err)
	}

	rep := engine.Run(ctx, enforce.Work{Reason: "sweep"})
	for _, ent := range rep.Entries {
		fmt.Println(ent.Name, ent.Outcome)
		for _, c := range ent.Diff {
			fmt.Println("  ", c)
		}
	}
	fmt.Println("succeeded:", rep.Succeeded)
	// Output:
	// hand-edited remediated
	//    CorsPolicy[0].AllowedOrigins: +https://example.com -*
	// keep-out exempt
	// succeeded: true
}
