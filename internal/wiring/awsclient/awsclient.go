// Package awsclient builds corsguard's AWS clients: the retryer every client shares (tuned for a
// reconciler that must ride out throttling during a sweep), the engine's stores on the SDK's
// clients, and the Lambda's aws.Config from what Lambda provides (FromEnvironment). It does not
// import the SDK's config package, whose default chain (shared files, SSO, assume-role) links
// the STS, SSO, SSO-OIDC and sign-in clients and their package initialisation into every cold
// start: the CLI and the tests load that chain through internal/wiring/awsconfig.
package awsclient

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// Retry defaults. The engine's client-side rate keeps throttling rare; when it happens anyway
// (another tool using the same account's quota), ten attempts with waits capped at 10 s ride
// out about half a minute of it, well inside a Lambda timeout. Throttling waits start at 1 s
// (the SDK's rule), other retryable errors at 50 ms.
const (
	DefaultMaxAttempts = 10
	DefaultMaxBackoff  = 10 * time.Second
)

// NewRetryer returns the SDK's standard retryer (throttling, 429 and 5xx) with the given
// attempts and longest wait, and without its client-side retry quota: that quota is shared by
// every call of a client, so during a throttling storm a sweep of 100 resources would drain
// it and fail calls that one more wait would have saved. Our own token buckets bound the
// request rate instead.
func NewRetryer(maxAttempts int, maxBackoff time.Duration) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
	})
}

// Stores returns the engine's store of each kind on clients built from cfg: MediaStore
// containers, and the S3 buckets of cfg's Region. With a custom endpoint (an emulator on
// loopback) S3 uses path-style addressing, since bucket host names do not resolve there.
//
// CloudFront is global: its client is the same in every Region, and its store has no Region.
func Stores(cfg aws.Config, kinds []policy.Kind, opts ...StoreOption) []enforce.Store {
	var so storeOptions
	for _, o := range opts {
		o(&so)
	}
	var out []enforce.Store
	for _, k := range kinds {
		switch k {
		case policy.CloudFront:
			out = append(out, enforce.CloudFront(cloudfront.NewFromConfig(cfg), so.cloudFront))
		case policy.MediaStore:
			out = append(out, enforce.MediaStore(mediastore.NewFromConfig(cfg)))
		case policy.S3:
			client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
			// The Tagging API reads the buckets' tags in bulk (the profile tag in a sweep).
			out = append(out, enforce.S3(client, cfg.Region, enforce.WithTagging(resourcegroupstaggingapi.NewFromConfig(cfg))))
		case policy.LambdaURL:
			out = append(out, enforce.LambdaURLs(lambda.NewFromConfig(cfg)))
		case policy.HTTPAPI:
			out = append(out, enforce.HTTPAPIs(apigatewayv2.NewFromConfig(cfg)))
		}
	}
	return out
}

// StoreOption sets how Stores builds a store.
type StoreOption func(*storeOptions)

type storeOptions struct {
	cloudFront enforce.CloudFrontOptions
}

// WithCloudFrontOptions sets the CloudFront store's options.
func WithCloudFrontOptions(o enforce.CloudFrontOptions) StoreOption {
	return func(s *storeOptions) { s.cloudFront = o }
}
