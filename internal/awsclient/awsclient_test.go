package awsclient

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
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
	if got := cfg.Retryer().MaxAttempts(); got != DefaultMaxAttempts {
		t.Errorf("default attempts %d; want %d", got, DefaultMaxAttempts)
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

func TestRetryerRetriesThrottlingAndServerErrorsWithinTheMaxBackoff(t *testing.T) {
	r := NewRetryer(10, 40*time.Millisecond)
	serverError := &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500}},
		Err:      &smithy.GenericAPIError{Code: "InternalServerError"},
	}
	for _, err := range []error{
		&smithy.GenericAPIError{Code: "ThrottlingException"},
		&smithy.GenericAPIError{Code: "LimitExceededException"},
		serverError,
	} {
		if !r.IsErrorRetryable(err) {
			t.Errorf("%v not retryable", err)
		}
		for attempt := 1; attempt < 10; attempt++ {
			d, derr := r.RetryDelay(attempt, err)
			if derr != nil || d < 0 || d > 40*time.Millisecond {
				t.Errorf("%v, attempt %d: delay %v, %v; want at most 40ms", err, attempt, d, derr)
			}
		}
	}
	if r.IsErrorRetryable(&smithy.GenericAPIError{Code: "ContainerInUseException"}) {
		t.Error("ContainerInUseException is retried by the SDK; the engine backs it off itself")
	}
}

func TestRetryerHasNoQuotaToStarve(t *testing.T) {
	// The default quota (500 tokens, 5 per throttled retry) is gone after 100 throttled
	// retries; a sweep in a throttling storm makes more than that.
	r := NewRetryer(10, time.Second)
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException"}
	for i := range 10_000 {
		if _, err := r.GetRetryToken(context.Background(), throttled); err != nil {
			t.Fatalf("retry token %d refused: %v", i, err)
		}
	}
}
