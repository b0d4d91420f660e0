// Package bench measures corsguard against the limits it lives under: the API's request rate,
// the time a container takes to become ACTIVE, and the cold start of an empty Go Lambda. It
// drives the real engine and the real aws-sdk-go-v2 clients against the local AWS emulator
// over loopback HTTP; bench/cmd/report runs it all and writes docs/BENCHMARKS.md (make bench).
//
// Nothing here asserts on time: the package's tests only check that the harness runs and counts
// correctly at a tiny size.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/corsguard/corsguard/internal/corsconv"
	"github.com/corsguard/corsguard/internal/emulator"
	"github.com/corsguard/corsguard/policy"
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

// Account is an emulator served on a loopback port, with a count of the throttling errors it
// answered.
type Account struct {
	*emulator.Emulator
	URL string

	throttled atomic.Int64
	srv       *http.Server
	served    chan error
}

// StartAccount serves a new emulator built with opts on a free loopback port.
func StartAccount(opts ...emulator.Option) (*Account, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	a := &Account{Emulator: emulator.New(opts...), URL: "http://" + ln.Addr().String(), served: make(chan error, 1)}
	a.srv = &http.Server{Handler: a.counting(a.Emulator), ReadHeaderTimeout: 10 * time.Second}
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

// Throttled returns the number of ThrottlingException answers since the last ResetCalls.
func (a *Account) Throttled() int { return int(a.throttled.Load()) }

// ResetCalls sets the emulator's call counters and the throttle count back to zero.
func (a *Account) ResetCalls() {
	a.Emulator.ResetCalls()
	a.throttled.Store(0)
}

// counting wraps h so that every answer naming ThrottlingException is counted.
func (a *Account) counting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &sniffer{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status >= 400 && bytes.Contains(sw.head, []byte("ThrottlingException")) {
			a.throttled.Add(1)
		}
	})
}

// sniffer keeps the status and the first bytes of an answer.
type sniffer struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (s *sniffer) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *sniffer) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if n := 256 - len(s.head); n > 0 {
		s.head = append(s.head, p[:min(n, len(p))]...)
	}
	return s.ResponseWriter.Write(p)
}

// Clients returns SDK clients for the account, with the emulator's loopback HTTP client and the
// SDK's default retryer.
func (a *Account) Clients() (*mediastore.Client, *ssm.Client) {
	cfg := aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(a.URL),
		HTTPClient:   emulator.HTTPClient(),
	}
	return mediastore.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
}

// Fleet is what Populate created: which containers already hold the baseline and which drifted.
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
	ms, params := a.Clients()
	doc, err := json.Marshal(baseline())
	if err != nil {
		return Fleet{}, fmt.Errorf("encode baseline: %w", err)
	}
	if _, err := params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(BaselineParam), Value: aws.String(string(doc)),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		return Fleet{}, fmt.Errorf("put baseline: %w", err)
	}
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
			if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(name)}); err != nil {
				errs <- fmt.Errorf("create %s: %w", name, err)
				return
			}
			if p == nil {
				return
			}
			if _, err := ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String(name), CorsPolicy: corsconv.ToMediaStore(p)}); err != nil {
				errs <- fmt.Errorf("put policy %s: %w", name, err)
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
