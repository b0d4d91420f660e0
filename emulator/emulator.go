// Package emulator is a local stand-in for the AWS APIs corsguard uses: AWS Elemental
// MediaStore (containers, CORS policies, tags), Amazon S3 (buckets, their CORS configuration
// and tags), SSM Parameter Store, Amazon SQS (standard and FIFO queues: message groups,
// deduplication, visibility, receive counts, redrive, long polling), AWS Security Hub
// (importing and reading findings), AWS Lambda (functions whose code is kept and never run,
// function URLs and their CORS, tags), Amazon API Gateway v2 (HTTP APIs and their CORS,
// tags), Amazon CloudFront (response headers, cache and origin request policies,
// distributions, and their edges on the data plane), the Resource Groups Tagging API and STS's
// GetCallerIdentity (Services lists them), all of them within AWS's published request quotas (AWSQuotas). It routes each request by the service in its SigV4
// credential scope (as AWS routes by endpoint) and speaks that service's own wire protocol
// (awsJson1_1 for MediaStore, SSM and the Tagging API, awsJson1_0 with query-compatible errors
// for SQS, REST-JSON for Security Hub, Lambda and API Gateway, REST-XML for S3 (path-style
// addressing) and CloudFront, the query protocol for STS), so the real
// aws-sdk-go-v2 clients and the aws CLI talk to it over HTTP unchanged. It can misbehave on
// purpose the way AWS does
// (throttling, internal errors, latency, scripted failures, deterministic under a seed), counts
// the calls it receives, and emits the EventBridge events AWS would emit.
//
// The request pipeline (authentication, call counting, fault injection, event delivery) does
// not depend on the protocol: a front end decodes a request into an operation name and a
// resource, and hands both to the pipeline with a function that does the work.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corsguard/corsguard/clock"
)

// Defaults for New.
const (
	DefaultRegion           = "us-east-1"
	DefaultAccount          = "012345678912"
	DefaultCreatingDuration = 2 * time.Second
	DefaultDeletingDuration = 1 * time.Second
	DefaultContainerQuota   = 100
)

// Option configures an Emulator in New.
type Option func(*Emulator)

// WithClock makes the emulator read time from c instead of the system clock (a clock.Manual
// drives the CREATING and DELETING lifecycle and SQS's delays without sleeping).
func WithClock(c clock.Clock) Option { return func(e *Emulator) { e.clock = c } }

// WithRegion sets the Region that appears in ARNs, endpoints and events (default us-east-1).
func WithRegion(region string) Option { return func(e *Emulator) { e.region = region } }

// WithAccount sets the account ID that appears in ARNs and events (default 012345678912: the
// account the pinned aws-lambda-rie puts in the function ARN, so a function under it takes the
// emulator's events for its own).
func WithAccount(account string) Option { return func(e *Emulator) { e.account = account } }

// WithCreatingDuration sets how long a new container stays CREATING (default 2s; 0 makes it
// ACTIVE at once).
func WithCreatingDuration(d time.Duration) Option {
	return func(e *Emulator) { e.creating = d }
}

// WithDeletingDuration sets how long a deleted container stays DELETING before it disappears
// (default 1s; 0 removes it at once).
func WithDeletingDuration(d time.Duration) Option {
	return func(e *Emulator) { e.deleting = d }
}

// WithContainerQuota sets the number of containers the account may hold (default 100, which is
// AWS's fixed quota). Tests that need more, such as pagination over 250 containers, raise it.
func WithContainerQuota(n int) Option { return func(e *Emulator) { e.quota = n } }

// WithTaggingLag makes the Resource Groups Tagging API lag S3's own tag calls by d: for d
// after a PutBucketTagging or DeleteBucketTagging, GetResources answers the bucket's tags as
// they were before it, while GetBucketTagging answers the new ones. The Tagging API is an
// index of its own that AWS updates after the service's call; the default, 0, shows every tag
// at once (as moto_server does). Seeded tags are indexed at once.
func WithTaggingLag(d time.Duration) Option { return func(e *Emulator) { e.taggingLag = d } }

// WithSeed sets the seed of the fault injector's pseudo-random decisions and of generated IDs.
// The same seed and the same sequence of calls per operation give the same faults.
func WithSeed(seed uint64) Option { return func(e *Emulator) { e.faults.seed = seed } }

// WithEventURL makes the emulator POST every event it emits, as the request body, to url. Posts
// are made in order by one background goroutine through a queue of 1,024 events, so that API
// calls are never slowed down: when the queue is full, or the target fails, refuses or takes
// more than 5s to answer, the event is dropped, counted (EventDeliveries) and logged.
func WithEventURL(url string) Option { return func(e *Emulator) { e.eventURL = url } }

// WithLogger sets where the emulator logs what the API cannot answer, such as events the
// --event-url target did not take (default: nowhere).
func WithLogger(l *slog.Logger) Option { return func(e *Emulator) { e.log = l } }

// Emulator is an in-memory AWS account in one Region. It is an http.Handler and is safe for
// concurrent use.
type Emulator struct {
	clock    clock.Clock
	region   string
	account  string
	creating time.Duration
	deleting time.Duration
	quota    int
	eventURL string
	// taggingLag is how long the Tagging API's GetResources keeps answering a bucket's tags
	// as they were before a tag call (WithTaggingLag).
	taggingLag time.Duration
	log        *slog.Logger

	seq    atomic.Uint64 // numbers generated IDs
	faults *faults
	quotas *quotaSet // AWS's request quotas (AWSQuotas unless WithQuotas says otherwise)
	calls  *counter
	events *bus

	mu         sync.Mutex // guards the state below
	containers map[string]*container
	buckets    map[string]*bucket
	params     map[string]*parameter
	queues     map[string]*sqsQueue
	// deletedQueues holds when each queue was deleted: its name is not reusable for 60 s.
	deletedQueues map[string]time.Time
	// sqsWake is closed, and replaced, whenever SQS state changes, to wake long polls.
	sqsWake chan struct{}

	hubOff         bool                      // Security Hub is not enabled in the account
	findings       map[string]map[string]any // Security Hub findings by ProductArn and Id
	findingOrder   []string                  // their keys in import order, for paging
	findingScripts []findingScript

	closed    chan struct{} // closed by Close: long polls end
	closeOnce sync.Once

	rhPolicies    map[string]*responseHeadersPolicy // CloudFront response headers policies by ID
	cachePolicies map[string]*cachePolicy
	distributions map[string]*Distribution
	customORPs    map[string]*originRequestPolicy // custom origin request policies (cloudfront_policies.go)

	functions map[string]*function // Lambda functions by name
	apis      map[string]*httpAPI  // API Gateway APIs by ApiId

	fronts map[string]http.HandlerFunc // credential scope's service -> front end
}

// New returns an Emulator with an empty account.
func New(opts ...Option) *Emulator {
	e := &Emulator{
		clock:      clock.Real{},
		region:     DefaultRegion,
		account:    DefaultAccount,
		creating:   DefaultCreatingDuration,
		deleting:   DefaultDeletingDuration,
		quota:      DefaultContainerQuota,
		faults:     newFaults(),
		quotas:     newQuotaSet(AWSQuotas()),
		calls:      newCounter(),
		events:     newBus(),
		containers: map[string]*container{},
		buckets:    map[string]*bucket{},
		params:     map[string]*parameter{},
		queues:     map[string]*sqsQueue{},

		deletedQueues: map[string]time.Time{},
		sqsWake:       make(chan struct{}),
		closed:        make(chan struct{}),
		findings:      map[string]map[string]any{},
		log:           slog.New(slog.DiscardHandler),

		rhPolicies:    map[string]*responseHeadersPolicy{},
		cachePolicies: map[string]*cachePolicy{},
		distributions: map[string]*Distribution{},

		functions: map[string]*function{},
		apis:      map[string]*httpAPI{},
	}
	for _, o := range opts {
		o(e)
	}
	e.seedManagedLocked()
	e.fronts = e.frontEnds()
	if mc, ok := e.clock.(*clock.Manual); ok {
		mc.OnChange(e.wakePollers) // a message's delay or visibility may have ended
	}
	if e.eventURL != "" {
		e.events.fwd = newForwarder(e.eventURL, eventQueueLen, e.log)
	}
	return e
}

// Region returns the emulator's Region.
func (e *Emulator) Region() string { return e.region }

// Account returns the emulator's account ID.
func (e *Emulator) Account() string { return e.account }

// Start serves the emulator on addr (for example "127.0.0.1:0") in the background and returns
// its base URL and a function that shuts the server down gracefully. While it serves, a
// background ticker applies due lifecycle transitions every 50ms so that their events are
// emitted without waiting for the next request.
func (e *Emulator) Start(addr string) (url string, stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				e.Settle()
			}
		}
	}()
	var once sync.Once
	stop = func(ctx context.Context) error {
		var err error
		once.Do(func() {
			close(done)
			e.Close() // long polls would otherwise hold Shutdown for up to 20 s
			err = srv.Shutdown(ctx)
			if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
				err = errors.Join(err, serr)
			}
			e.events.close(ctx)
		})
		return err
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// Settle applies every lifecycle transition that is due at the clock's current time
// (CREATING -> ACTIVE, DELETING -> gone) and delivers the resulting events. Every request
// settles first, so tests with a fake clock need to call Settle only to see events without
// making a request.
func (e *Emulator) Settle() {
	e.mu.Lock()
	evs := e.settleLocked()
	e.wakePollersLocked()
	e.mu.Unlock()
	e.events.publish(evs)
}

// Close ends every SQS long poll in progress (each answers with no messages) and makes later
// ones return at once, so that a server can shut down without waiting up to 20 s per poll.
// Call it before closing an httptest.Server that serves the emulator. The emulator otherwise
// keeps working; Close is safe to call more than once.
func (e *Emulator) Close() {
	e.closeOnce.Do(func() { close(e.closed) })
}

// id returns a fresh pseudo-random 64-bit value, reproducible under the seed.
func (e *Emulator) id() uint64 { return mix(e.faults.seed ^ 0x9e3779b97f4a7c15*e.seq.Add(1)) }

// requestID returns a request ID in the UUID form AWS uses for awsJson services.
func (e *Emulator) requestID() string { return uuid(e.id(), e.id()) }

// uuid formats two random words as a version 4 UUID.
func uuid(a, b uint64) string {
	a = a&^0xf000 | 0x4000     // version 4
	b = b&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// mix is SplitMix64's finaliser: a cheap, well-distributed hash of one word.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
