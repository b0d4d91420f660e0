// Package e2e tests the real Lambda bootstrap, built as it is deployed (-tags lambda.norpc,
// CGO off), under AWS's Lambda Runtime Interface Emulator (aws-lambda-rie, installed into bin/
// by the Makefile), against the local AWS emulator served on a loopback port.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/internal/testrig/rie"
	"github.com/corsguard/corsguard/policy"
)

// bootstrap is the path of the function binary TestMain builds.
var bootstrap string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "corsguard-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bootstrap = filepath.Join(dir, "bootstrap")
	// Built exactly as the Makefile builds it for Lambda, but for the host's architecture.
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, "../cmd/enforcer")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build bootstrap: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// Names and values the tests share with the samples in events/.
const (
	region        = "us-east-1"
	baselineParam = "/corsguard/baseline"
	accessKey     = "AKIDCORSGUARDE2E"
	secretKey     = "e2e-secret"
	// creating is how long the emulator keeps a new container CREATING: long enough that the
	// function must wait for it, short enough to keep the suite quick.
	creating = 400 * time.Millisecond
)

// baseline is the policy the tests store in the baseline parameter.
var baseline = policy.Policy{{
	AllowedOrigins: []string{"https://player.example.com"},
	AllowedMethods: []string{"GET", "HEAD"},
	AllowedHeaders: []string{"*"},
	MaxAgeSeconds:  3000,
}}

// drifted is a policy that differs from baseline.
var drifted = policy.Policy{{
	AllowedOrigins: []string{"*"},
	AllowedMethods: []string{"GET", "HEAD", "PUT", "DELETE"},
	AllowedHeaders: []string{"*"},
}}

// account is one emulated AWS account served on a loopback port.
type account struct {
	*emulator.Emulator
	url string
}

// newAccount starts an emulator with the baseline parameter holding value (none if empty).
func newAccount(t *testing.T, baselineValue string, opts ...emulator.Option) *account {
	t.Helper()
	emu := emulator.New(append([]emulator.Option{emulator.WithRegion(region), emulator.WithCreatingDuration(creating), emulator.WithoutQuotas()}, opts...)...)
	url, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// More than 5 s: net/http's Shutdown takes a connection that never carried a request
		// (one the SDK's transport dialled in a race and pooled unused) as idle only once it is
		// 5 s old, so a 5 s limit failed now and then under load ("context deadline exceeded").
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop emulator: %v", err)
		}
	})
	if baselineValue != "" {
		if err := emu.SeedParameter(baselineParam, "String", baselineValue, "corsguard baseline"); err != nil {
			t.Fatal(err)
		}
	}
	return &account{Emulator: emu, url: url}
}

// seed adds an ACTIVE container with a policy (none if nil) and tags.
func (a *account) seed(t *testing.T, name string, cors policy.Policy, tags map[string]string) {
	t.Helper()
	if err := a.SeedContainer(name, "ACTIVE", cors, tags); err != nil {
		t.Fatal(err)
	}
}

// policyOf returns the container's current policy; the test fails if it does not exist.
func (a *account) policyOf(t *testing.T, name string) policy.Policy {
	t.Helper()
	c, ok := a.Container(name)
	if !ok {
		t.Fatalf("container %s does not exist", name)
	}
	return corscases.Emulated(t, c.CorsPolicy)
}

// aws returns an SDK config for the account, as an operator's tools would have it.
func (a *account) aws(t *testing.T) aws.Config {
	t.Helper()
	cfg := emulator.SDKConfig(a.url, region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	return cfg
}

// mediastore returns a MediaStore client of the account, as an operator would use.
func (a *account) mediastore(t *testing.T) *mediastore.Client {
	return mediastore.NewFromConfig(a.aws(t))
}

// function is the bootstrap running under aws-lambda-rie.
type function struct {
	invokeURL string
	out       *lines // the runtime's and the function's stdout and stderr
	seq       int    // invocations sent by invoke
	// stop ends the runtime emulator and the bootstrap (also done at the test's cleanup): the
	// next startFunction is a new process that remembers nothing.
	stop func()
}

// fastEnv is the configuration every test starts from: the function's own settings at test
// speed, plus what Lambda and the SDK need to reach the emulator.
func fastEnv(a *account) map[string]string {
	return map[string]string{
		"CORSGUARD_BASELINE_PARAMETER": baselineParam,
		"CORSGUARD_BACKOFF_BASE":       "20ms",
		"CORSGUARD_BACKOFF_CAP":        "100ms",
		"CORSGUARD_DEADLINE_MARGIN":    "2s",
		"CORSGUARD_RATE":               "200",
		"AWS_ENDPOINT_URL":             a.url,
	}
}

// startFunction runs the bootstrap under aws-lambda-rie with env added to a clean
// environment. Each call is a fresh cold start.
func startFunction(t *testing.T, env map[string]string) *function {
	t.Helper()
	rieBinary := rieBinary(t)
	home := t.TempDir()
	base := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": home,
		// Nothing from the machine's own AWS setup may leak in.
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_REGION":                region, "AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey,
		"AWS_LAMBDA_FUNCTION_NAME":    "corsguard-enforcer",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
		// What the template's LoggingConfig makes Lambda set.
		"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO",
		"LOG_LEVEL": "warn", // the runtime emulator's own chatter
	}
	for k, v := range env {
		base[k] = v
	}
	var environ []string
	for k, v := range base {
		environ = append(environ, k+"="+v)
	}

	fn, err := rie.Start(rieBinary, bootstrap, environ)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fn.Stop()
		if t.Failed() {
			t.Logf("function output:\n%s", fn.Output)
		}
	})
	return &function{invokeURL: fn.InvokeURL, out: &lines{fn.Output}, stop: fn.Stop}
}

// rieBinary finds aws-lambda-rie where the Makefile installs it.
func rieBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	p, err := filepath.Abs("../bin/aws-lambda-rie")
	if err == nil {
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("aws-lambda-rie is not installed (%v): run make e2e, which installs it into bin/", err)
	return ""
}

// invocation is what the runtime emulator answered to one invocation.
type invocation struct {
	Status int
	Body   []byte
	Result handler.Result // when the function returned
	Error  struct {       // when it returned an error, or could not start
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
}

func (i invocation) failed() bool { return i.Error.Type != "" }

func (i invocation) String() string { return fmt.Sprintf("HTTP %d %s", i.Status, i.Body) }

// invoke sends event to the function as Lambda's Invoke API would, decodes the answer, and
// waits until the function's output for this invocation has been copied through the runtime
// emulator (which may answer before it has passed on the last lines).
func (f *function) invoke(t *testing.T, event []byte) invocation {
	t.Helper()
	f.seq++
	id := fmt.Sprintf("e2e-%04d", f.seq)
	inv, err := f.post(event, id)
	if err != nil {
		t.Fatal(err)
	}
	// Every invocation ends in a line carrying its request id; a cold start that failed, in
	// "cold start failed".
	last := func(m map[string]any) bool { return m["requestId"] == id }
	if inv.Error.Type == handler.InitErrorType {
		last = func(m map[string]any) bool { return m["message"] == "cold start failed" }
	}
	if !f.out.WaitFor(15*time.Second, func(out string) bool { return slices.ContainsFunc(jsonLines(out), last) }) {
		t.Fatalf("no output line for invocation %s (%s)", id, inv)
	}
	return inv
}

// post sends one invocation with the given request id ("" lets the runtime emulator choose).
func (f *function) post(event []byte, id string) (invocation, error) {
	var inv invocation
	req, err := http.NewRequest(http.MethodPost, f.invokeURL, bytes.NewReader(event))
	if err != nil {
		return inv, fmt.Errorf("invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if id != "" {
		req.Header.Set("X-Amzn-RequestId", id)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return inv, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	inv.Status = resp.StatusCode
	if inv.Body, err = io.ReadAll(resp.Body); err != nil {
		return inv, fmt.Errorf("invoke: %w", err)
	}
	if err := json.Unmarshal(inv.Body, &inv.Error); err == nil && inv.Error.Type != "" {
		return inv, nil
	}
	if err := json.Unmarshal(inv.Body, &inv.Result); err != nil {
		return inv, fmt.Errorf("invoke answered %s: %w", inv, err)
	}
	return inv, nil
}

// sample reads one file of events/.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lines is a process's output, in which the tests find its JSON lines.
type lines struct{ *rie.Output }

// json returns every output line that is a JSON object, decoded.
func (l *lines) json() []map[string]any { return jsonLines(l.String()) }

// jsonLines returns every line of s that is a JSON object, decoded.
func jsonLines(s string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// logs returns the function's log records with the given message.
func (l *lines) logs(msg string) []map[string]any {
	var out []map[string]any
	for _, m := range l.json() {
		if m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// metrics returns the function's EMF documents.
func (l *lines) metrics() []map[string]any {
	var out []map[string]any
	for _, m := range l.json() {
		if _, ok := m["_aws"]; ok {
			out = append(out, m)
		}
	}
	return out
}
