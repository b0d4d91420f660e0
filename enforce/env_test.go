package enforce_test

import (
	"context"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

const param = "/corsguard/baseline"

// baseline is the policy every test enforces.
var baseline = policy.Policy{
	{AllowedOrigins: []string{"https://player.example.com", "https://*.example.org"}, AllowedMethods: []string{"GET", "HEAD"},
		AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "Content-Length"}, MaxAgeSeconds: 3000},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"Range"}},
}

// sameAsBaseline means the same as the baseline, written differently: other order inside the
// lists and a duplicate, which the service keeps but which changes nothing.
var sameAsBaseline = policy.Policy{
	{AllowedOrigins: []string{"https://*.example.org", "https://player.example.com"}, AllowedMethods: []string{"HEAD", "GET"},
		AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"Content-Length", "ETag", "ETag"}, MaxAgeSeconds: 3000},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"Range"}},
}

// drift is a policy someone changed by hand.
var drift = policy.Policy{
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT", "DELETE"}, AllowedHeaders: []string{"*"}},
}

// env is an emulator behind a real HTTP server on loopback with real SDK clients built by
// awsclient, as the Lambda builds them.
type env struct {
	t   *testing.T
	emu *emulator.Emulator
	ms  *mediastore.Client
	s3  *s3.Client
	ssm *ssm.Client
	cf  *cloudfront.Client
	lc  *lambda.Client
	ag  *apigatewayv2.Client
	tg  *resourcegroupstaggingapi.Client

	mu        sync.Mutex
	compliant []string // seeded compliant: never to be written
	buckets   []string // buckets seeded compliant: never to be written
	seen      map[string]bool
	own       map[string]int // calls the test itself made, by IAM action: not the engine's
}

type envOption struct {
	emu         []emulator.Option
	maxAttempts int
	maxBackoff  time.Duration
}

// newEnv starts an emulator. Retries are quick (waits of at most 20 ms unless opt says
// otherwise) so that fault storms take little real time. At cleanup it checks the invariants
// every test must keep: no PutCorsPolicy on a container seeded compliant, and no call the
// engine made outside enforce.Actions.
func newEnv(t *testing.T, opt envOption) *env {
	t.Helper()
	emu := emulator.New(append([]emulator.Option{emulator.WithoutQuotas()}, opt.emu...)...)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	cfg := emulator.SDKConfig(srv.URL, "us-east-1")
	cfg.Retryer = func() aws.Retryer {
		return awsclient.NewRetryer(max(opt.maxAttempts, 10), cmpOr(opt.maxBackoff, 20*time.Millisecond))
	}
	e := &env{t: t, emu: emu, ms: mediastore.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg), seen: map[string]bool{}, own: map[string]int{},
		cf: cloudfront.NewFromConfig(cfg), lc: lambda.NewFromConfig(cfg), ag: apigatewayv2.NewFromConfig(cfg),
		tg: resourcegroupstaggingapi.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}
	t.Cleanup(e.checkInvariants)
	return e
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// setBaseline stores value as the next version of the baseline parameter, as a SecureString
// so that a run that forgets WithDecryption reads ciphertext and fails.
func (e *env) setBaseline(value string) {
	e.t.Helper()
	if err := e.emu.SeedParameter(param, "SecureString", value, "corsguard baseline"); err != nil {
		e.t.Fatal(err)
	}
}

// seed adds a container; one seeded with a policy equal to the baseline joins the set that must
// never be written.
func (e *env) seed(name, status string, cors policy.Policy, tags map[string]string) {
	e.t.Helper()
	if err := e.emu.SeedContainer(name, status, cors, tags); err != nil {
		e.t.Fatal(err)
	}
	if cors != nil && policy.Equal(cors, baseline) {
		e.mu.Lock()
		e.compliant = append(e.compliant, name)
		e.mu.Unlock()
	}
}

// seedBucket adds a bucket in the emulator's Region; one seeded with a policy equal to the
// baseline joins the set that must never be written.
func (e *env) seedBucket(name string, cors policy.Policy, tags map[string]string) {
	e.t.Helper()
	if err := e.emu.SeedBucket(name, "", cors, tags); err != nil {
		e.t.Fatal(err)
	}
	if cors != nil && policy.Equal(cors, baseline) {
		e.mu.Lock()
		e.buckets = append(e.buckets, name)
		e.mu.Unlock()
	}
}

// engine returns an engine on the env's MediaStore client; cfg.Parameter defaults to param and
// the rate to unlimited, so tests not about the rate do not wait for tokens.
func (e *env) engine(cfg enforce.Config) *enforce.Engine {
	e.t.Helper()
	return e.engineOf(cfg, policy.MediaStore)
}

// engineOf returns an engine on the env's clients of the given kinds, as engine does.
func (e *env) engineOf(cfg enforce.Config, kinds ...policy.Kind) *enforce.Engine {
	e.t.Helper()
	if cfg.Parameter == "" {
		cfg.Parameter = param
	}
	if cfg.Rate == 0 {
		cfg.Rate = inf
	}
	if cfg.LambdaRate == 0 {
		cfg.LambdaRate = inf
	}
	if cfg.APIGatewayRate == 0 {
		cfg.APIGatewayRate = inf
	}
	var stores []enforce.Store
	for _, k := range kinds {
		switch k {
		case policy.MediaStore:
			stores = append(stores, enforce.MediaStore(e.ms))
		case policy.S3:
			stores = append(stores, enforce.S3(e.s3, e.emu.Region(), enforce.WithTagging(e.tg)))
		case policy.CloudFront:
			stores = append(stores, enforce.CloudFront(e.cf, enforce.CloudFrontOptions{}))
		case policy.LambdaURL:
			stores = append(stores, enforce.LambdaURLs(e.lc))
		case policy.HTTPAPI:
			stores = append(stores, enforce.HTTPAPIs(e.ag))
		}
	}
	eng, err := enforce.New(cfg, e.ssm, stores...)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// run runs the engine and checks what every report must satisfy.
func (e *env) run(ctx context.Context, eng *enforce.Engine, w enforce.Work) *enforce.Report {
	e.t.Helper()
	rep := eng.Run(ctx, w)
	if rep == nil {
		e.t.Fatal("Run returned nil")
	}
	sum := 0
	for _, n := range rep.Totals {
		sum += n
	}
	if sum != len(rep.Entries) {
		e.t.Errorf("totals add up to %d for %d entries", sum, len(rep.Entries))
	}
	e.mu.Lock()
	for op := range rep.APICalls {
		e.seen[op] = true
	}
	e.mu.Unlock()
	return rep
}

// action names the IAM action of an operation the emulator counted.
func action(op string) string {
	s3 := map[string]string{"ListBuckets": "s3:ListAllMyBuckets", "GetBucketCors": "s3:GetBucketCORS",
		"PutBucketCors": "s3:PutBucketCORS", "GetBucketTagging": "s3:GetBucketTagging"}
	apis := map[string]string{"GetApis": "apigateway:GET", "GetApi": "apigateway:GET", "UpdateApi": "apigateway:PATCH",
		"DeleteCorsConfiguration": "apigateway:DELETE", "CreateApi": "apigateway:POST", "DeleteApi": "apigateway:DELETE",
		"GetTags": "apigateway:GET", "TagResource": "apigateway:POST", "UntagResource": "apigateway:DELETE"}
	switch {
	case apis[op] != "":
		return apis[op]
	case strings.Contains(op, "Function") || op == "ListTags":
		return "lambda:" + op
	case s3[op] != "":
		return s3[op]
	case strings.Contains(op, "Bucket"):
		return "s3:" + op // not one the engine may call
	case op == "GetResources":
		return "tag:GetResources"
	case strings.Contains(op, "Parameter"):
		return "ssm:" + op
	case strings.Contains(op, "ResponseHeadersPolic") || strings.Contains(op, "Distribution") || strings.Contains(op, "CachePolic"):
		return "cloudfront:" + op
	}
	return "mediastore:" + op
}

// emulatorActions returns the emulator's call counts keyed by IAM action.
func emulatorActions(emu *emulator.Emulator) map[string]int {
	out := map[string]int{}
	for op, n := range emu.Calls() {
		out[action(op)] += n
	}
	return out
}

// engineActions returns the emulator's call counts keyed by IAM action, less the calls the test
// made itself (recorded with ownCall).
func (e *env) engineActions() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := emulatorActions(e.emu)
	for act, n := range e.own {
		if out[act] -= n; out[act] <= 0 {
			delete(out, act)
		}
	}
	return out
}

// ownCall records one call the test made on its own, through the emulator operation op.
func (e *env) ownCall(op string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.own[action(op)]++
}

func (e *env) checkInvariants() {
	e.t.Helper()
	for _, name := range e.compliant {
		if n := e.emu.ResourceCalls("PutCorsPolicy", name); n > 0 {
			e.t.Errorf("PutCorsPolicy called %d times on %s, which was already compliant", n, name)
		}
	}
	for _, name := range e.buckets {
		if n := e.emu.ResourceCalls("PutBucketCors", name); n > 0 {
			e.t.Errorf("PutBucketCors called %d times on %s, which was already compliant", n, name)
		}
	}
	allowed := enforce.Actions()
	for act := range e.engineActions() {
		if !slices.Contains(allowed, act) {
			e.t.Errorf("the engine called %s, which enforce.Actions does not list", act)
		}
	}
	for act := range e.seen {
		if !slices.Contains(allowed, act) {
			e.t.Errorf("the report counts %s, which enforce.Actions does not list", act)
		}
	}
}

// entries returns the report's entries by name.
func entries(rep *enforce.Report) map[string]enforce.Entry {
	out := make(map[string]enforce.Entry, len(rep.Entries))
	for _, ent := range rep.Entries {
		out[ent.Name] = ent
	}
	return out
}

// outcomes returns each entry's outcome by name.
func outcomes(rep *enforce.Report) map[string]enforce.Outcome {
	out := map[string]enforce.Outcome{}
	for name, ent := range entries(rep) {
		out[name] = ent.Outcome
	}
	return out
}

// corsOf returns the container's policy on the emulator.
func (e *env) corsOf(name string) policy.Policy {
	e.t.Helper()
	info, ok := e.emu.Container(name)
	if !ok {
		e.t.Fatalf("container %s does not exist", name)
	}
	return corscases.Emulated(e.t, info.CorsPolicy)
}

// bucketCors returns the bucket's policy on the emulator.
func (e *env) bucketCors(name string) policy.Policy {
	e.t.Helper()
	info, ok := e.emu.Bucket(name)
	if !ok {
		e.t.Fatalf("bucket %s does not exist", name)
	}
	return corscases.Emulated(e.t, info.CorsPolicy)
}

// testClock is the engine's clock in tests that drive the emulator's lifecycle: it reads the
// emulator's manual clock, and its Sleep moves that clock forward at once. It starts at the
// wall-clock time so that context deadlines, which are wall-clock times, mean the same to it.
type testClock struct {
	*clock.Manual
	mu      sync.Mutex
	sleeps  []time.Duration
	onSleep func(n int) // called after the n-th sleep (from 1), if set
}

func newTestClock() *testClock {
	return &testClock{Manual: clock.NewManual(time.Now())}
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	n, hook := len(c.sleeps), c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

func (c *testClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// half is a random source that always draws the middle, so every backoff delay is exactly
// half its ceiling.
func half() float64 { return 0.5 }

// sumOf adds up durations.
func sumOf(ds []time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s
}

// keys returns a map's keys, sorted.
func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
