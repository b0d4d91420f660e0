package emulator_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

var euRules = []map[string]any{{"AllowedOrigins": []string{"https://eu.example.com"}, "AllowedMethods": []string{"GET"}}}

// A bucket in another Region answers as a regional endpoint does: 301 PermanentRedirect with
// the bucket's Region in x-amz-bucket-region and the endpoint in the body; signed for the
// bucket's Region, the same request is answered.
func TestABucketInAnotherRegionRedirectsToIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.emu.SeedBucket("media-eu", "eu-west-1", euRules, nil); err != nil {
		t.Fatal(err)
	}
	us, eu := s3Client(f.url), s3Client(f.url, func(o *s3.Options) { o.Region = "eu-west-1" })

	_, err := us.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("media-eu")})
	wantCode(t, err, "PermanentRedirect")
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 301 || re.Response.Header.Get("X-Amz-Bucket-Region") != "eu-west-1" {
		t.Errorf("GetBucketCors from us-east-1: %v", err)
	}
	_, err = us.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("media-eu")})
	if !errors.As(err, &re) || re.HTTPStatusCode() != 301 || re.Response.Header.Get("X-Amz-Bucket-Region") != "eu-west-1" {
		t.Errorf("HeadBucket from us-east-1: %v", err)
	}

	// The body names the endpoint and the bucket, as S3's does.
	req, _ := http.NewRequest(http.MethodGet, f.url+"/media-eu?cors", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var body struct{ Code, Endpoint, Bucket, RequestId string }
	_ = xml.Unmarshal(data, &body)
	if body.Code != "PermanentRedirect" || body.Endpoint != "media-eu.s3.eu-west-1.amazonaws.com" || body.Bucket != "media-eu" || body.RequestId == "" {
		t.Errorf("PermanentRedirect body: %s", data)
	}

	got := must[*s3.GetBucketCorsOutput](t)(eu.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("media-eu")}))
	if len(got.CORSRules) != 1 || got.CORSRules[0].AllowedOrigins[0] != "https://eu.example.com" {
		t.Errorf("GetBucketCors signed for eu-west-1: %+v", got.CORSRules)
	}
	// GetBucketLocation answers from any Region.
	loc := must[*s3.GetBucketLocationOutput](t)(us.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("media-eu")}))
	if loc.LocationConstraint != s3types.BucketLocationConstraintEuWest1 {
		t.Errorf("GetBucketLocation: %q", loc.LocationConstraint)
	}
	hb := must[*s3.HeadBucketOutput](t)(eu.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("media-eu")}))
	if aws.ToString(hb.BucketRegion) != "eu-west-1" {
		t.Errorf("HeadBucket region %q", aws.ToString(hb.BucketRegion))
	}

	// A bucket created through the eu-west-1 endpoint lives there.
	if _, err := eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media-eu-2"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	if info, _ := f.emu.Bucket("media-eu-2"); info.Region != "eu-west-1" {
		t.Errorf("created through eu-west-1, the bucket is in %q", info.Region)
	}
	_, err = eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media-eu-3")})
	wantCode(t, err, "IllegalLocationConstraintException")
}

// awsCLI returns a function that runs the reference aws CLI against url with dummy
// credentials and nothing of the machine's or the user's AWS configuration, and decodes its
// JSON output.
func awsCLI(t *testing.T, url string) func(args ...string) (map[string]any, error) {
	t.Helper()
	bin := awsref.CLI(t)
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
	return func(args ...string) (map[string]any, error) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
		cmd.Env = env
		var so, se strings.Builder
		cmd.Stdout, cmd.Stderr = &so, &se
		if err := cmd.Run(); err != nil {
			return nil, errors.New(err.Error() + ": " + se.String())
		}
		out := map[string]any{}
		if s := strings.TrimSpace(so.String()); s != "" {
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				t.Fatalf("aws %v printed non-JSON: %s", args, s)
			}
		}
		return out, nil
	}
}

// The aws CLI, configured for us-east-1, follows a wrong-Region redirect to an answer, and
// reads a parameter by ARN and by label.
func TestTheAWSCLIFollowsRedirectsAndReadsParametersByARNAndLabel(t *testing.T) {
	t.Parallel() // the CLI's start-up dominates; let the other tests run meanwhile
	f := newFixture(t)
	if err := f.emu.SeedBucket("media-eu", "eu-west-1", euRules, nil); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1", "v2"} {
		if err := f.emu.SeedParameter("/corsguard/baseline", "String", v, ""); err != nil {
			t.Fatal(err)
		}
	}
	aws := awsCLI(t, f.url)
	run := func(args ...string) map[string]any {
		t.Helper()
		out, err := aws(args...)
		if err != nil {
			t.Fatalf("aws %v: %v", args, err)
		}
		return out
	}
	cors := run("s3api", "get-bucket-cors", "--bucket", "media-eu")
	want := map[string]any{"CORSRules": []any{map[string]any{"AllowedOrigins": []any{"https://eu.example.com"}, "AllowedMethods": []any{"GET"}}}}
	if diff := cmp.Diff(want, cors); diff != "" {
		t.Errorf("get-bucket-cors on a bucket in eu-west-1 (-want +got):\n%s", diff)
	}

	arn := "arn:aws:ssm:us-east-1:" + f.emu.Account() + ":parameter/corsguard/baseline"
	if v := run("ssm", "get-parameter", "--name", arn)["Parameter"].(map[string]any)["Value"]; v != "v2" {
		t.Errorf("get-parameter by ARN: %v", v)
	}
	run("ssm", "label-parameter-version", "--name", "/corsguard/baseline", "--parameter-version", "1", "--labels", "previous")
	p := run("ssm", "get-parameter", "--name", "/corsguard/baseline:previous")["Parameter"].(map[string]any)
	if p["Value"] != "v1" || p["Selector"] != ":previous" {
		t.Errorf("get-parameter by label: %v", p)
	}
	hist := run("ssm", "get-parameter-history", "--name", arn)["Parameters"].([]any)
	if len(hist) != 2 || !cmp.Equal(hist[0].(map[string]any)["Labels"], []any{"previous"}) {
		t.Errorf("get-parameter-history by ARN: %v", hist)
	}
}
