// Package awsconfig loads the aws.Config of the SDK's default chain, as the aws CLI resolves
// it (environment, shared config and credentials files, profiles, SSO, assume-role, the
// endpoint variables), with corsguard's retryer: for the CLI and the tests. The Lambda builds
// its own from the environment (awsclient.FromEnvironment) and never imports this package, so
// that the chain's STS, SSO, SSO-OIDC and sign-in clients stay out of its cold start.
package awsconfig

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/corsguard/corsguard/internal/wiring/awsclient"
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

// Load returns the aws.Config for the given options, with awsclient.NewRetryer as its retryer.
func Load(ctx context.Context, opts ...Option) (aws.Config, error) {
	o := options{maxAttempts: awsclient.DefaultMaxAttempts, maxBackoff: awsclient.DefaultMaxBackoff}
	for _, fn := range opts {
		fn(&o)
	}
	if o.maxAttempts < 1 || o.maxBackoff < 0 {
		return aws.Config{}, fmt.Errorf("aws config: retry with %d attempts and %v max backoff: want at least 1 attempt and a positive backoff",
			o.maxAttempts, o.maxBackoff)
	}
	load := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return awsclient.NewRetryer(o.maxAttempts, o.maxBackoff) }),
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
