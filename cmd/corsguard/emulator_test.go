package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

// binary is the corsguard command built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "corsguard-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "corsguard")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build corsguard:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startEmulator runs `corsguard emulator` on a free port and returns its URL; the cleanup
// stops it with SIGTERM and checks that it shut down cleanly.
func startEmulator(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the emulator printed nothing; stderr: %s", stderr.String())
	}
	first := lines.Text()
	_, rest, ok := strings.Cut(first, "listening on ")
	if !ok {
		t.Fatalf("first line %q does not say where the emulator listens", first)
	}
	url, _, _ := strings.Cut(rest, " ")
	t.Cleanup(func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Error(err)
		}
		var tail []string
		for lines.Scan() {
			tail = append(tail, lines.Text())
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("emulator exit after SIGTERM: %v; stderr: %s", err, stderr.String())
		}
		if !cmp.Equal(tail, []string{"corsguard emulator stopped"}) {
			t.Errorf("emulator output after SIGTERM: %q", tail)
		}
	})
	return url
}

// awsCLI runs the aws CLI against url with dummy credentials and no user configuration.
func awsCLI(t *testing.T, url, maxAttempts string) *awsRunner {
	t.Helper()
	bin := awsref.CLI(t) // pyenv's aws CLI v1; fails the test, never skips, without it
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() { // no AWS setting of the machine or the user leaks in
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS="+maxAttempts)
	return &awsRunner{t: t, bin: bin, url: url, env: env}
}

// awsRunner runs the aws CLI against one emulator with an isolated environment.
type awsRunner struct {
	t        *testing.T
	bin, url string
	env      []string
}

// run runs one aws command and decodes its JSON output.
func (r *awsRunner) run(args ...string) (map[string]any, string, error) {
	r.t.Helper()
	cmd := exec.Command(r.bin, append([]string{"--endpoint-url", r.url, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = r.env
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		return nil, se.String(), err
	}
	out := map[string]any{}
	if s := strings.TrimSpace(so.String()); s != "" {
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			r.t.Fatalf("aws %v printed non-JSON: %s", args, s)
		}
	}
	return out, se.String(), nil
}

// ok runs a command that must succeed and returns its output.
func (r *awsRunner) ok(args ...string) map[string]any {
	r.t.Helper()
	out, stderr, err := r.run(args...)
	if err != nil {
		r.t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	return out
}

// fails runs a command that must fail with the AWS error code.
func (r *awsRunner) fails(code string, args ...string) {
	r.t.Helper()
	_, stderr, err := r.run(args...)
	if err == nil || !strings.Contains(stderr, "("+code+")") {
		r.t.Errorf("aws %v: err %v, stderr %q; want %s", args, err, stderr, code)
	}
}

func TestAWSCLIAgainstTheStandaloneEmulator(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, []byte(`{"parameters":[{"name":"/seeded","value":"from the state file"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	url := startEmulator(t, "--creating-duration", "0", "--state", state)
	aws := awsCLI(t, url, "3")
	ok, fails := aws.ok, aws.fails

	created := ok("mediastore", "create-container", "--container-name", "movies")["Container"].(map[string]any)
	arn := "arn:aws:mediastore:us-east-1:012345678912:container/movies"
	if created["Status"] != "CREATING" || created["ARN"] != arn {
		t.Errorf("create-container: %v", created)
	}
	fails("ContainerInUseException", "mediastore", "create-container", "--container-name", "movies")

	described := ok("mediastore", "describe-container", "--container-name", "movies")["Container"].(map[string]any)
	if described["Status"] != "ACTIVE" || !strings.HasSuffix(fmt.Sprint(described["Endpoint"]), ".data.mediastore.us-east-1.amazonaws.com") {
		t.Errorf("describe-container: %v", described)
	}
	if _, isNumber := described["CreationTime"].(float64); !isNumber {
		t.Errorf("CreationTime %v is not an epoch number", described["CreationTime"])
	}
	fails("ContainerNotFoundException", "mediastore", "describe-container", "--container-name", "nope")

	listed := ok("mediastore", "list-containers")["Containers"].([]any)
	if len(listed) != 1 || listed[0].(map[string]any)["Name"] != "movies" {
		t.Errorf("list-containers: %v", listed)
	}

	policy := `[{"AllowedOrigins":["https://*.example.com"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000,"ExposeHeaders":["ETag"]}]`
	ok("mediastore", "put-cors-policy", "--container-name", "movies", "--cors-policy", policy)
	got := ok("mediastore", "get-cors-policy", "--container-name", "movies")
	var want any
	_ = json.Unmarshal([]byte(`{"CorsPolicy":`+policy+`}`), &want)
	if diff := cmp.Diff(want, any(got)); diff != "" {
		t.Errorf("get-cors-policy (-put +got):\n%s", diff)
	}
	fails("ValidationException", "mediastore", "put-cors-policy", "--container-name", "movies",
		"--cors-policy", `[{"AllowedOrigins":["*"],"AllowedMethods":["POST"],"AllowedHeaders":["*"]}]`)
	ok("mediastore", "delete-cors-policy", "--container-name", "movies")
	fails("CorsPolicyNotFoundException", "mediastore", "get-cors-policy", "--container-name", "movies")

	ok("mediastore", "tag-resource", "--resource", arn, "--tags", "Key=corsguard:exempt,Value=true", "Key=team,Value=video")
	tags := ok("mediastore", "list-tags-for-resource", "--resource", arn)["Tags"]
	wantTags := []any{map[string]any{"Key": "corsguard:exempt", "Value": "true"}, map[string]any{"Key": "team", "Value": "video"}}
	if diff := cmp.Diff(wantTags, tags); diff != "" {
		t.Errorf("list-tags-for-resource (-want +got):\n%s", diff)
	}

	put := ok("ssm", "put-parameter", "--name", "/corsguard/baseline", "--type", "String", "--value", policy)
	if put["Version"] != float64(1) {
		t.Errorf("put-parameter: %v", put)
	}
	fails("ParameterAlreadyExists", "ssm", "put-parameter", "--name", "/corsguard/baseline", "--type", "String", "--value", "x")
	param := ok("ssm", "get-parameter", "--name", "/corsguard/baseline")["Parameter"].(map[string]any)
	if param["Value"] != policy || param["ARN"] != "arn:aws:ssm:us-east-1:012345678912:parameter/corsguard/baseline" {
		t.Errorf("get-parameter: %v", param)
	}
	seeded := ok("ssm", "get-parameter", "--name", "/seeded")["Parameter"].(map[string]any)
	if seeded["Value"] != "from the state file" {
		t.Errorf("seeded parameter: %v", seeded)
	}
	fails("ParameterNotFound", "ssm", "get-parameter", "--name", "/missing")
}

func TestEmulatorFlagsInjectFaults(t *testing.T) {
	t.Parallel()
	url := startEmulator(t, "--creating-duration", "0", "--script", "ListContainers:*:1:ThrottlingException",
		"--error-rate", "DescribeContainer=1", "--latency", "GetParameter=1ms", "--throttle", "PutParameter=100")
	// The aws CLI retries throttling and 500s on its own; with one attempt it shows them.
	aws := awsCLI(t, url, "1")
	_, stderr, err := aws.run("mediastore", "list-containers")
	if err == nil || !strings.Contains(stderr, "ThrottlingException") {
		t.Errorf("scripted throttle: err %v stderr %q", err, stderr)
	}
	if _, _, err := aws.run("mediastore", "list-containers"); err != nil {
		t.Errorf("the script fails one call only: %v", err)
	}
	_, stderr, err = aws.run("mediastore", "describe-container", "--container-name", "x")
	if err == nil || !strings.Contains(stderr, "InternalServerError") {
		t.Errorf("error rate 1: err %v stderr %q", err, stderr)
	}
	if _, stderr, err := aws.run("ssm", "put-parameter", "--name", "/p", "--type", "String", "--value", "v"); err != nil {
		t.Errorf("put-parameter under a throttle of 100/s: %v %s", err, stderr)
	}
}

func TestEmulatorRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--throttle", "PutCorsPolicy"},
		{"--error-rate", "*=2"},
		{"--latency", "GetCorsPolicy=soon"},
		{"--script", "GetCorsPolicy:movies:0:InternalServerError"},
		{"--state", "/nonexistent/state.json"},
		{"--quotas", "PutCorsPolicy=5"}, // AWS publishes no MediaStore rate: nothing to change
		{"--quotas", "GetParameter=fast"},
		{"--quotas", "GetParameter=10/0"},
		{"--tagging-lag", "-1s"},
		{"--tagging-lag", "soon"},
	} {
		out, err := exec.Command(binary, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...).CombinedOutput()
		if err == nil {
			t.Errorf("emulator %v started; output %s", args, out)
		}
	}
}

func TestAWSCLIS3APIAgainstTheStandaloneEmulator(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, []byte(`{"buckets":[{"name":"seeded-bucket"},{"name":"irish-bucket","region":"eu-west-1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	url := startEmulator(t, "--state", state)
	// Each aws CLI call costs a second or two of Python start-up: this test makes few, and
	// leaves the other bucket calls and errors to the SDK tests of emulator.
	aws := awsCLI(t, url, "1")
	ok, fails := aws.ok, aws.fails

	ok("s3api", "create-bucket", "--bucket", "media-bucket")
	names := func(out map[string]any) []string {
		var n []string
		for _, b := range out["Buckets"].([]any) {
			n = append(n, b.(map[string]any)["Name"].(string))
		}
		return n
	}
	if diff := cmp.Diff([]string{"irish-bucket", "media-bucket", "seeded-bucket"}, names(ok("s3api", "list-buckets"))); diff != "" {
		t.Errorf("list-buckets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"media-bucket", "seeded-bucket"}, names(ok("s3api", "list-buckets", "--bucket-region", "us-east-1"))); diff != "" {
		t.Errorf("list-buckets --bucket-region us-east-1 (-want +got):\n%s", diff)
	}

	fails("NoSuchCORSConfiguration", "s3api", "get-bucket-cors", "--bucket", "media-bucket")
	// The CLI sends its own checksum header (botocore: x-amz-checksum-crc32), which the
	// emulator checks.
	conf := `{"CORSRules":[{"ID":"uploads","AllowedOrigins":["https://upload.example.com"],"AllowedMethods":["PUT","POST"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":600},{"AllowedOrigins":["*"],"AllowedMethods":["GET"]}]}`
	ok("s3api", "put-bucket-cors", "--bucket", "media-bucket", "--cors-configuration", conf)
	got := ok("s3api", "get-bucket-cors", "--bucket", "media-bucket")
	var want any
	_ = json.Unmarshal([]byte(conf), &want)
	if diff := cmp.Diff(want, any(got)); diff != "" {
		t.Errorf("get-bucket-cors (-put +got):\n%s", diff)
	}
	fails("InvalidRequest", "s3api", "put-bucket-cors", "--bucket", "media-bucket",
		"--cors-configuration", `{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]}`)
}

// TestTheTaggingLagFlagDelaysGetResourcesNotGetBucketTagging: with --tagging-lag, the aws CLI's
// resourcegroupstaggingapi get-resources does not see a tag just put with s3api
// put-bucket-tagging, while get-bucket-tagging does, as AWS's Tagging API index lags the call.
func TestTheTaggingLagFlagDelaysGetResourcesNotGetBucketTagging(t *testing.T) {
	t.Parallel()
	url := startEmulator(t, "--tagging-lag", "1h")
	aws := awsCLI(t, url, "1")
	aws.ok("s3api", "create-bucket", "--bucket", "media-inbox")
	aws.ok("s3api", "put-bucket-tagging", "--bucket", "media-inbox", "--tagging", `{"TagSet":[{"Key":"corsguard:profile","Value":"uploads"}]}`)
	own := aws.ok("s3api", "get-bucket-tagging", "--bucket", "media-inbox")["TagSet"]
	if diff := cmp.Diff([]any{map[string]any{"Key": "corsguard:profile", "Value": "uploads"}}, own); diff != "" {
		t.Errorf("get-bucket-tagging (-want +got):\n%s", diff)
	}
	bulk := aws.ok("resourcegroupstaggingapi", "get-resources", "--resource-type-filters", "s3:bucket", "--tag-filters", "Key=corsguard:profile")
	if got := bulk["ResourceTagMappingList"].([]any); len(got) != 0 {
		t.Errorf("get-resources within the lag: %v; want nothing yet", got)
	}
}
