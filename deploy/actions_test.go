package deploy_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/emulator"
	"github.com/corsguard/corsguard/policy"
)

// TestTheEngineCallsExactlyTheActionsItDeclares closes the chain from the code to the IAM
// policy: the template grants enforce.Actions (template_test.go), and here the engine, run over
// real SDK clients against the emulator through every kind of outcome, makes exactly those
// calls. A new call without its entry in Actions (and so without its permission) fails here.
func TestTheEngineCallsExactlyTheActionsItDeclares(t *testing.T) {
	emu := emulator.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	if err := emu.SeedParameter("/corsguard/baseline", "", string(policy.DefaultJSON()), ""); err != nil {
		t.Fatal(err)
	}
	drifted := policy.Policy{{AllowedOrigins: []string{"https://elsewhere.example"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}}}
	for _, c := range []struct {
		name string
		cors policy.Policy
		tags map[string]string
	}{
		{"compliant", policy.Default(), nil},
		{"drifted", drifted, nil},
		{"no-policy", nil, nil},
		{"exempt", drifted, map[string]string{"corsguard:exempt": "true"}},
	} {
		if err := emu.SeedContainer(c.name, "", c.cors, c.tags); err != nil {
			t.Fatal(err)
		}
		if err := emu.SeedBucket(c.name+"-bucket", "", c.cors, c.tags); err != nil {
			t.Fatal(err)
		}
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: emulator.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})}
	e, err := enforce.New(enforce.Config{Parameter: "/corsguard/baseline", ExemptTagKey: "corsguard:exempt"},
		ssm.NewFromConfig(cfg), enforce.MediaStore(mediastore.NewFromConfig(cfg)),
		enforce.S3(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, w := range []enforce.Work{
		{Mode: enforce.ModeAudit, Reason: "sweep"},
		{Mode: enforce.ModeEnforce, Reason: "sweep"},
		{Mode: enforce.ModeEnforce, Reason: "named", Containers: []string{"compliant", "drifted", "missing"},
			Buckets: []string{"compliant-bucket", "drifted-bucket", "missing-bucket"}},
	} {
		if rep := e.Run(ctx, w); !rep.Succeeded {
			t.Fatalf("%s %s run failed: %+v", w.Mode, w.Reason, rep)
		}
	}

	// S3's IAM actions are not its API names.
	s3Actions := map[string]string{"ListBuckets": "s3:ListAllMyBuckets", "GetBucketCors": "s3:GetBucketCORS",
		"PutBucketCors": "s3:PutBucketCORS", "GetBucketTagging": "s3:GetBucketTagging"}
	var got []string
	for op := range emu.Calls() {
		if a, ok := s3Actions[op]; ok {
			got = append(got, a)
			continue
		}
		service := "mediastore:"
		if op == "GetParameter" || op == "GetParameters" || op == "GetParameterHistory" ||
			op == "PutParameter" || op == "DeleteParameter" {
			service = "ssm:"
		}
		got = append(got, service+op)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(enforce.Actions()))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AWS calls the engine made (-enforce.Actions +made):\n%s", diff)
	}
}
