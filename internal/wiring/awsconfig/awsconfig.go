// Package awsconfig loads the aws.Config of the SDK's default chain, as the aws CLI resolves
// it (environment, shared config and credentials files, profiles, SSO, assume-role, the
// endpoint variables and AWS_CA_BUNDLE), with corsguard's retryer: for the CLI. Tests against
// the emulator build theirs with emulator.SDKConfig instead. The Lambda builds
// its own from the environment (awsclient.FromEnvironment) and never imports this package, so
// that the chain's STS, SSO, SSO-OIDC and sign-in clients stay out of its cold start.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/corsguard/corsguard/internal/wiring/awsclient"
)

type options struct {
	region   string
	profile  string
	endpoint string
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

// Load returns the aws.Config for the given options, with awsclient.NewRetryer as its retryer.
func Load(ctx context.Context, opts ...Option) (aws.Config, error) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	load := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return awsclient.NewRetryer(awsclient.DefaultMaxAttempts, awsclient.DefaultMaxBackoff)
		}),
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
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}
