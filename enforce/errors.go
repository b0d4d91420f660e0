package enforce

import (
	"errors"
	"net"
	"time"

	"github.com/aws/smithy-go"
)

// TerminalError marks a failure that no retry can fix: a denied call, a request the service
// refuses as invalid, a bucket in another Region, a missing or invalid baseline, a service
// that does not exist for the account. It follows controller-runtime's
// reconcile.TerminalError: every failure that is not terminal is retryable, and the loop
// around the reconcile (Lambda's retries, the work queue) retries only those.
type TerminalError struct{ Err error }

// Error returns the wrapped error's message.
func (e *TerminalError) Error() string {
	if e.Err == nil {
		return "terminal error"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error, so errors.As still finds the SDK's typed errors.
func (e *TerminalError) Unwrap() error { return e.Err }

// Terminal marks err as terminal; nil stays nil, and an error already terminal is returned as
// it is.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	var t *TerminalError
	if errors.As(err, &t) {
		return err
	}
	return &TerminalError{Err: err}
}

// Retryable reports whether a retry could fix err: every error is retryable unless it is (or
// wraps) a TerminalError. nil is not a failure and is not retryable.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var t *TerminalError
	return !errors.As(err, &t)
}

// ErrBusy marks a resource that cannot be worked on yet: still being created, or in use by
// another call. In-process runs wait for it; the work queue gives its message back.
var ErrBusy = errors.New("busy")

// BusyError is the failure of a resource that stayed busy: a container CREATING, a container
// or bucket in use. RetryAfter is the engine's hint of when to look again (its next backoff
// delay); the work queue's controller gives the message back no sooner. It wraps ErrBusy and
// the service's own error, so errors.Is and errors.As still find both.
type BusyError struct {
	Err        error
	RetryAfter time.Duration
}

// Error returns the wrapped error's message.
func (e *BusyError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *BusyError) Unwrap() error { return e.Err }

// ErrNotStarted marks a resource that was not begun: the deadline, less the margin, left too
// little time, or a stop (the CLI's Ctrl-C) came first. A retry can fix it.
var ErrNotStarted = errors.New("not started")

// terminalCodes are the error codes, of any service, that a retry cannot fix. The SDK's
// retryer has already retried throttling and 5xx answers; what reaches the engine with one of
// these codes will answer the same way next time.
var terminalCodes = map[string]bool{
	// Denied: the role lacks a permission, or a bucket policy or SCP refuses it, or
	// ExpectedBucketOwner named another account (S3 answers 403 AccessDenied).
	"AccessDenied":          true, // S3
	"AccessDeniedException": true, // MediaStore, SSM (awsJson)
	"UnauthorizedOperation": true,
	// The request itself is refused: retrying the same request gets the same answer.
	"ValidationException":       true, // MediaStore's unmodelled refusal of a bad policy; SSM
	"InvalidParameterValue":     true,
	"InvalidParameterException": true,
	"InvalidRequest":            true, // S3
	"InvalidArgument":           true, // S3
	"MalformedXML":              true, // S3
	"InvalidBucketName":         true, // S3
	"PermanentRedirect":         true, // S3: the bucket is in another Region
	"ParameterNotFound":         true, // SSM: the baseline does not exist
	"InvalidKeyId":              true, // SSM: a SecureString whose KMS key is gone or disabled
	// The credentials or the account are not known to the service.
	"UnrecognizedClientException": true,
	"InvalidClientTokenId":        true,
	"InvalidAccessKeyId":          true, // S3
	"SignatureDoesNotMatch":       true,
}

// unavailableCodes are the answers of a service that does not exist for this account: one it
// was never subscribed to, or one past its end of support (MediaStore's was 2025-11-13).
var unavailableCodes = map[string]bool{
	"SubscriptionRequiredException": true,
	"OptInRequired":                 true,
	"NotSignedUp":                   true,
	"UnknownOperationException":     true,
	"UnrecognizedClientException":   true,
	"InvalidClientTokenId":          true,
}

// ErrorCode returns the API error code of err, "" when it is not an API error: the one reader
// of codes (the engine's stores, and the findings' error code field). S3 models few of its errors per operation (GetBucketCors models none), so codes
// are compared, not types.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// unreachable reports whether err says the endpoint's name does not resolve: a service that is
// not offered in the Region (or no longer is), after the SDK's retries.
func unreachable(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// serviceUnavailable reports whether err says the service does not exist for this account or
// Region: its endpoint does not resolve, or it answers that it does not know the account.
func serviceUnavailable(err error) bool {
	return unreachable(err) || unavailableCodes[ErrorCode(err)]
}

// judge marks err terminal when its code or cause says a retry cannot fix it, and returns it
// unchanged otherwise (retryable: throttling and 5xx past the SDK's retries, timeouts,
// connection errors, a resource still busy).
func judge(err error) error {
	if err == nil || !Retryable(err) {
		return err
	}
	if terminalCodes[ErrorCode(err)] || serviceUnavailable(err) {
		return Terminal(err)
	}
	return err
}
