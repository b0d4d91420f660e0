package awsclient

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"
)

// endpointVars are the variables FromEnvironment reads, cleared before each case.
var endpointVars = []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_MEDIASTORE",
	"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"}

// resolved is what a config means to each client corsguard builds on it.
func resolved(t *testing.T, cfg aws.Config) map[string]any {
	t.Helper()
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"region":      cfg.Region,
		"credentials": [3]string{creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken},
		"ssm":         aws.ToString(ssm.NewFromConfig(cfg).Options().BaseEndpoint),
		"mediastore":  aws.ToString(mediastore.NewFromConfig(cfg).Options().BaseEndpoint),
		"s3":          aws.ToString(s3.NewFromConfig(cfg).Options().BaseEndpoint),
		"sqs":         aws.ToString(sqs.NewFromConfig(cfg).Options().BaseEndpoint),
		"attempts":    cfg.Retryer().MaxAttempts(),
	}
}

// TestFromEnvironmentMeansWhatTheDefaultChainMeans holds the Lambda's configuration to the
// SDK's own reading of the same environment (config.LoadDefaultConfig, with no shared files):
// the same Region, credentials and, client by client, the same endpoint.
func TestFromEnvironmentMeansWhatTheDefaultChainMeans(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"no endpoint: AWS's", nil},
		{"one endpoint for every client", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}},
		{"one client's own", map[string]string{"AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:5000"}},
		{"one client's own over the shared one", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
			"AWS_ENDPOINT_URL_MEDIASTORE": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5001"}},
		{"configured endpoints ignored", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
			"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:5000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}},
		{"configured endpoints not ignored", map[string]string{"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:5000",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "FALSE"}},
		{"a session token", map[string]string{"AWS_SESSION_TOKEN": "token"}},
		{"the older Region variable", map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
			t.Setenv("AWS_PROFILE", "")
			t.Setenv("AWS_DEFAULT_REGION", "")
			t.Setenv("AWS_SESSION_TOKEN", "")
			t.Setenv("AWS_REGION", "us-east-1")
			t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
			for _, v := range endpointVars {
				t.Setenv(v, "")
				os.Unsetenv(v) // the SDK asks whether AWS_ENDPOINT_URL is set, not only whether it is empty
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			chain, err := config.LoadDefaultConfig(context.Background(),
				config.WithRetryer(func() aws.Retryer { return NewRetryer(DefaultMaxAttempts, DefaultMaxBackoff) }))
			if err != nil {
				t.Fatal(err)
			}
			env, err := FromEnvironment(os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(resolved(t, chain), resolved(t, env)); diff != "" {
				t.Errorf("(-default chain +FromEnvironment):\n%s", diff)
			}
		})
	}
}

func TestFromEnvironmentNamesWhatIsMissing(t *testing.T) {
	env := map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes"}
	_, err := FromEnvironment(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "yes"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
