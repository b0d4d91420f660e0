package awsclient

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

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
