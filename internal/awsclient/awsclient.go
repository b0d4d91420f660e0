// Package awsclient builds the aws.Config that the Lambda, the CLI and the tests share: the
// SDK's default chain for Region, credentials and endpoint (AWS_ENDPOINT_URL included), with a
// standard retryer tuned for a reconciler that must ride out throttling during a sweep.
package awsclient

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/aws/aws-sdk-go-v2/service/mediastore"
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

type options struct {
	region      string
	profile     string
	endpoint    string
	creds       aws.CredentialsProvider
	httpClient  aws.HTTPClient
	maxAttempts int
	maxBackoff  time.Duration
}

// Option changes how Load builds the config.
type Option func(*options)

// WithRegion sets the Region, overriding AWS_REGION and the shared config.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithProfile selects a shared config profile, overriding AWS_PROFILE.
func WithProfile(profile string) Option { return func(o *options) { o.profile = profile } }

// WithEndpoint sends every service's requests to url (an emulator), overriding
// AWS_ENDPOINT_URL. Without it the SDK's own rules apply, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> included.
func WithEndpoint(url string) Option { return func(o *options) { o.endpoint = url } }

// WithCredentials replaces the default credential chain, as tests against an emulator do.
func WithCredentials(p aws.CredentialsProvider) Option { return func(o *options) { o.creds = p } }

// WithHTTPClient replaces the SDK's HTTP client, as tests against an emulator on loopback do.
// The client is used as given: AWS_CA_BUNDLE does not apply to it.
func WithHTTPClient(c aws.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithRetry sets the retryer's attempts per call (first one included) and its longest wait
// between two attempts; zero keeps a default.
func WithRetry(maxAttempts int, maxBackoff time.Duration) Option {
	return func(o *options) {
		if maxAttempts != 0 {
			o.maxAttempts = maxAttempts
		}
		if maxBackoff != 0 {
			o.maxBackoff = maxBackoff
		}
	}
}

// Load returns the aws.Config for the given options, with NewRetryer as its retryer.
func Load(ctx context.Context, opts ...Option) (aws.Config, error) {
	o := options{maxAttempts: DefaultMaxAttempts, maxBackoff: DefaultMaxBackoff}
	for _, fn := range opts {
		fn(&o)
	}
	if o.maxAttempts < 1 || o.maxBackoff < 0 {
		return aws.Config{}, fmt.Errorf("aws config: retry with %d attempts and %v max backoff: want at least 1 attempt and a positive backoff",
			o.maxAttempts, o.maxBackoff)
	}
	load := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryer(o.maxAttempts, o.maxBackoff) }),
	}
	if o.region != "" {
		load = append(load, config.WithRegion(o.region))
	}
	if o.profile != "" {
		load = append(load, config.WithSharedConfigProfile(o.profile))
	}
	if o.endpoint != "" {
		load = append(load, config.WithBaseEndpoint(o.endpoint))
	}
	if o.creds != nil {
		load = append(load, config.WithCredentialsProvider(o.creds))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if o.httpClient != nil {
		// Set after loading: the loader would try to add AWS_CA_BUNDLE to its transport,
		// which a plain *http.Client does not allow.
		cfg.HTTPClient = o.httpClient
	}
	return cfg, nil
}

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
func Stores(cfg aws.Config, kinds []policy.Kind) []enforce.Store {
	var out []enforce.Store
	for _, k := range kinds {
		switch k {
		case policy.MediaStore:
			out = append(out, enforce.MediaStore(mediastore.NewFromConfig(cfg)))
		case policy.S3:
			client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
			out = append(out, enforce.S3(client, cfg.Region))
		}
	}
	return out
}
