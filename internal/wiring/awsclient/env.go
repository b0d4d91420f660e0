package awsclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// FromEnvironment returns the aws.Config that Lambda's environment describes, read through
// getenv (os.Getenv in main), with NewRetryer's retryer: the Region (AWS_REGION, else
// AWS_DEFAULT_REGION), the function role's credentials (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; Lambda renews them by starting new execution
// environments), and the endpoint variables as the SDK's default chain reads them.
//
// Endpoints keep the SDK's semantics (config.EnvConfig and each client's resolveBaseEndpoint):
// AWS_ENDPOINT_URL is every client's BaseEndpoint; AWS_ENDPOINT_URL_<SERVICE> (the service's
// SDK ID in capitals, spaces as "_": SSM, MEDIASTORE, S3, SQS, CLOUDFRONT, SECURITYHUB) replaces
// it for one client; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores both. Nothing else of
// the chain applies: no shared config or credentials files, profiles, SSO, assume-role,
// container or instance credentials, AWS_CA_BUNDLE, FIPS or dual-stack settings.
func FromEnvironment(getenv func(string) string) (aws.Config, error) {
	var errs []error
	region := first(getenv, "AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		errs = append(errs, errors.New("AWS_REGION: not set; Lambda sets it to the function's Region"))
	}
	creds := aws.Credentials{
		AccessKeyID:     first(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"),
		SecretAccessKey: first(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
		AccountID:       getenv("AWS_ACCOUNT_ID"),
		Source:          credentials.StaticCredentialsName,
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		errs = append(errs, errors.New("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: not set; Lambda sets them to the execution role's credentials"))
	}
	src := endpointSource{getenv: getenv}
	switch v := getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); {
	case v == "":
	case strings.EqualFold(v, "true"):
		src.ignore = true
	case strings.EqualFold(v, "false"):
	default:
		errs = append(errs, fmt.Errorf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: %q is neither true nor false", v))
	}
	if err := errors.Join(errs...); err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	cfg := aws.Config{
		Region:        region,
		Credentials:   aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: creds}),
		HTTPClient:    awshttp.NewBuildableClient(),
		Retryer:       func() aws.Retryer { return NewRetryer(DefaultMaxAttempts, DefaultMaxBackoff) },
		ConfigSources: []any{src},
	}
	if url := getenv("AWS_ENDPOINT_URL"); url != "" && !src.ignore {
		cfg.BaseEndpoint = aws.String(url)
	}
	return cfg, nil
}

// first returns the value of the first of names that is set and not empty.
func first(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// endpointSource answers the two questions a service client asks its config sources about
// endpoints (configsources.ServiceBaseEndpointProvider and IgnoreConfiguredEndpointsProvider,
// which config.EnvConfig answers in the default chain), from the environment.
type endpointSource struct {
	getenv func(string) string
	ignore bool
}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SDK ID>, as config.EnvConfig does.
func (s endpointSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	name := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	if v := s.getenv(name); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS when it is set.
func (s endpointSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignore, s.ignore, nil
}
