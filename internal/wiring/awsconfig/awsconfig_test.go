package awsconfig

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/corsguard/corsguard/internal/wiring/awsclient"
)

func TestLoadUsesTheEndpointOptionOverTheEnvironment(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")

	cfg, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:1111" {
		t.Errorf("endpoint from AWS_ENDPOINT_URL = %q", got)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region from AWS_REGION = %q", cfg.Region)
	}

	cfg, err = Load(context.Background(), WithEndpoint("http://127.0.0.1:2222"), WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:2222" || cfg.Region != "us-east-1" {
		t.Errorf("options gave endpoint %q, region %q; want them over the environment", got, cfg.Region)
	}
}

func TestLoadTunesTheRetryer(t *testing.T) {
	cfg, err := Load(context.Background(), WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Retryer().MaxAttempts(); got != awsclient.DefaultMaxAttempts {
		t.Errorf("default attempts %d; want %d", got, awsclient.DefaultMaxAttempts)
	}
}
