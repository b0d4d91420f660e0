package awsconfig

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/corsguard/corsguard/internal/wiring/awsclient"
)

func TestLoadUsesTheEndpointOptionOverTheEnvironment(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
	t.Setenv("AWS_REGION", "eu-west-1")
	creds := WithCredentials(credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""))

	cfg, err := Load(context.Background(), creds)
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:1111" {
		t.Errorf("endpoint from AWS_ENDPOINT_URL = %q", got)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region from AWS_REGION = %q", cfg.Region)
	}

	cfg, err = Load(context.Background(), creds, WithEndpoint("http://127.0.0.1:2222"), WithRegion("us-east-1"))
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
	cfg, err = Load(context.Background(), WithRegion("us-east-1"), WithRetry(20, 30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Retryer().MaxAttempts(); got != 20 {
		t.Errorf("attempts %d; want 20", got)
	}
	if _, err := Load(context.Background(), WithRetry(-1, 0)); err == nil {
		t.Error("Load accepted -1 attempts")
	}
}
