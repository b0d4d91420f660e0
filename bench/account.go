// Package bench measures corsguard against the limits it lives under: the APIs' request rates
// and AWS's account-wide quotas, sweeps through the work queue (with Security Hub on and off),
// the time a resource takes to become ACTIVE, cold starts and the worker's memory, and what a
// month costs (cost.go). It
// drives the real engine and the real aws-sdk-go-v2 clients against the local AWS emulator
// over loopback HTTP; bench/cmd/report runs it all and writes docs/BENCHMARKS.md (make bench).
//
// Nothing here asserts on time: the package's tests only check that the harness runs and counts
// correctly at a tiny size.
package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"io"
	"log/slog"
	"maps"
	"strconv"
)

// Names and credentials the harness gives the emulator and its clients.
const (
	Region        = "us-east-1"
	BaselineParam = "/corsguard/baseline"
	AccessKey     = "AKIDCORSGUARDBENCH"
	SecretKey     = "bench-secret"
)

// baseline returns the policy every benchmark enforces.
func baseline() policy.Policy {
	return policy.Policy{{
		AllowedOrigins: []string{"https://player.example.com"},
		AllowedMethods: []string{"GET", "HEAD"},
		AllowedHeaders: []string{"*"},
		MaxAgeSeconds:  3000,
	}}
}

// other returns the policy a drifted container holds when it holds one.
func other() policy.Policy {
	return policy.Policy{{
		AllowedOrigins: []string{"*"},
		AllowedMethods: []string{"GET", "PUT", "DELETE", "HEAD"},
		AllowedHeaders: []string{"*"},
	}}
}

// Account is an emulator served on a loopback port; Throttled counts the throttles it answered.
type Account struct {
	*emulator.Emulator
	URL string

	srv    *http.Server
	served chan error
}

// StartAccount serves a new emulator built with opts on a free loopback port.
func StartAccount(opts ...emulator.Option) (*Account, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	a := &Account{Emulator: emulator.New(opts...), URL: "http://" + ln.Addr().String(), served: make(chan error, 1)}
	a.srv = &http.Server{Handler: a.Emulator, ReadHeaderTimeout: 10 * time.Second}
	go func() { a.served <- a.srv.Serve(ln) }()
	return a, nil
}

// Close stops serving.
func (a *Account) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if serr := <-a.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// Throttled returns the number of throttling answers since the last ResetCalls, whatever the
// service calls them (ThrottlingException, S3's SlowDown, SQS's RequestThrottled, Security
// Hub's LimitExceededException): AWS's quotas, which the account applies at AWS's defaults,
// and injected throttles. The SDK retried them; none reached the engine unless its report says so.
func (a *Account) Throttled() int {
	n := 0
	for _, v := range a.Emulator.Throttled() {
		n += v
	}
	return n
}

// Clients returns SDK clients for the account, with the emulator's loopback HTTP client and the
// SDK's default retryer.
func (a *Account) Clients() (*mediastore.Client, *ssm.Client) {
	cfg := a.config()
	return mediastore.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
}

// S3Client returns an S3 client for the account, path-style as the emulator serves S3, with
// the emulator's loopback HTTP client and the SDK's default retryer.
func (a *Account) S3Client() *s3.Client {
	return s3.NewFromConfig(a.config(), func(o *s3.Options) { o.UsePathStyle = true })
}

func (a *Account) config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(a.URL),
		HTTPClient:   emulator.HTTPClient(),
	}
}

// Fleet is what Populate (or PopulateBuckets) created: which containers (buckets) already hold
// the baseline and which drifted.
type Fleet struct {
	Compliant []string
	Drifted   []string
}

// drifted reports whether container i of a fleet is drifted: 3 in every 10, spread evenly, a
// third of them without any policy and the rest with another one.
func drifted(i int) (bool, policy.Policy) {
	switch i % 10 {
	case 1:
		return true, nil
	case 4, 7:
		return true, other()
	}
	return false, baseline()
}

// DriftedFraction is the share of drifted containers in a fleet made by Populate.
const DriftedFraction = 0.3

// Populate stores the baseline and creates n ACTIVE containers (the emulator must be built with
// WithCreatingDuration(0) and a quota of at least n), 30% of them drifted.
func Populate(ctx context.Context, a *Account, n int) (Fleet, error) {
	ms, _ := a.Clients()
	if err := putBaseline(a); err != nil {
		return Fleet{}, err
	}
	return populate(n, func(name string, p policy.Policy) error {
		if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(name)}); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		if p == nil {
			return nil
		}
		if _, err := ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String(name), CorsPolicy: corsconv.ToMediaStore(p)}); err != nil {
			return fmt.Errorf("put policy %s: %w", name, err)
		}
		return nil
	})
}

// PopulateBuckets stores the baseline and creates n buckets in the account's Region through
// the S3 API (CreateBucket, PutBucketCors), 30% of them drifted as in Populate.
func PopulateBuckets(ctx context.Context, a *Account, n int) (Fleet, error) {
	if err := putBaseline(a); err != nil {
		return Fleet{}, err
	}
	c := a.S3Client()
	return populate(n, func(name string, p policy.Policy) error {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
		if p == nil {
			return nil
		}
		if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(name),
			CORSConfiguration: &s3types.CORSConfiguration{CORSRules: corsconv.ToS3(p)}}); err != nil {
			return fmt.Errorf("put bucket cors %s: %w", name, err)
		}
		return nil
	})
}

// populate creates n resources named bench-00000 on with create, 8 at a time, giving each the
// policy drifted says (nil: none).
func populate(n int, create func(name string, p policy.Policy) error) (Fleet, error) {
	var f Fleet
	var mu sync.Mutex
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		name := fmt.Sprintf("bench-%05d", i)
		isDrifted, p := drifted(i)
		mu.Lock()
		if isDrifted {
			f.Drifted = append(f.Drifted, name)
		} else {
			f.Compliant = append(f.Compliant, name)
		}
		mu.Unlock()
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := create(name, p); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return f, errors.Join(all...)
}

// startWithBaseline serves a new account (StartAccount) that holds the baseline parameter
// BaselineParam: the set-up of every harness that reconciles against it.
func startWithBaseline(ctx context.Context, opts ...emulator.Option) (*Account, error) {
	a, err := StartAccount(opts...)
	if err != nil {
		return nil, err
	}
	if err := putBaseline(a); err != nil {
		_ = a.Close()
		return nil, err
	}
	return a, nil
}

// queueEnv makes the work queue benchQueue in a and returns the function's environment for it:
// env (the function's own settings) with the queue, its concurrency, and the account's Region,
// endpoint and credentials.
func (a *Account) queueEnv(env map[string]string, concurrency int) (map[string]string, error) {
	if err := a.SeedQueue(benchQueue, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330"}); err != nil {
		return nil, err
	}
	out := maps.Clone(env)
	maps.Copy(out, map[string]string{
		config.MaxConcurrency: strconv.Itoa(concurrency), config.QueueURL: a.QueueURL(a.URL, benchQueue),
		"AWS_REGION": Region, "AWS_ENDPOINT_URL": a.URL, "AWS_ACCESS_KEY_ID": AccessKey, "AWS_SECRET_ACCESS_KEY": SecretKey,
	})
	return out, nil
}

// function is one instance of the function (a cold start's worth: its engine, its clients, its
// rate limiters), built from env as the Lambda builds it (handler.FromEnvironment), its requests
// on the emulator's loopback client; its logs and metrics go to logs.
func (a *Account) function(env map[string]string, logs io.Writer) (*handler.Handler, error) {
	getenv := func(k string) string { return env[k] }
	awsCfg, err := awsclient.FromEnvironment(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg.HTTPClient = emulator.HTTPClient()
	h, _, err := handler.FromEnvironment(getenv, awsCfg, handler.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))), handler.WithMetrics(logs))
	return h, err
}
