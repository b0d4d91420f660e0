package enforce

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/corsguard/corsguard/policy"
)

// limiters holds one token bucket per operation, shared by all workers and all runs of an
// Engine. A bucket per operation, not one for all, because services throttle per operation:
// a sweep then takes about (calls of the busiest operation) / rate, not (all calls) / rate.
type limiters struct {
	rate rate.Limit
	mu   sync.Mutex
	ops  map[string]*rate.Limiter
	// services holds the buckets of the services whose quota is account-wide across their
	// operations (Lambda's control plane, API Gateway's management calls): every operation of
	// such a service waits for the one bucket, at corsguard's share of the quota.
	services map[string]*rate.Limiter
}

func newLimiters(r rate.Limit) *limiters {
	return &limiters{rate: r, ops: map[string]*rate.Limiter{}, services: map[string]*rate.Limiter{}}
}

// share sets the rate every operation of service ("lambda", "apigateway", "ssm") keeps to
// together, with a burst of one unless burst says more.
func (l *limiters) share(service string, r rate.Limit, burst ...int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := 1
	if len(burst) > 0 {
		b = max(1, burst[0])
	}
	l.services[service] = rate.NewLimiter(r, b)
}

func (l *limiters) get(op string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if service, _, found := strings.Cut(op, ":"); found {
		if lim, ok := l.services[service]; ok {
			return lim
		}
	}
	lim, ok := l.ops[op]
	if !ok {
		// A burst of one keeps every window of 1/rate under the rate, also right after a pause.
		lim = rate.NewLimiter(l.rate, 1)
		l.ops[op] = lim
	}
	return lim
}

// meter counts the calls of one run per operation and rate-limits them, and collects the
// run's notes, each said once however many workers meet its cause.
type meter struct {
	limits *limiters
	mu     sync.Mutex
	calls  map[string]int
	said   []string
	// profiles are the profile baselines this run read, each once.
	profiles *profileCache
	// latest holds the parameters this run read at their latest version, each once.
	latest map[string]freshRead
}

func newMeter(l *limiters) *meter {
	return &meter{limits: l, calls: map[string]int{}, profiles: newProfileCache(), latest: map[string]freshRead{}}
}

// fresh returns the run's read of the parameter's latest version, if it made one.
func (m *meter) fresh(name string) (freshRead, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.latest[name]
	return r, ok
}

func (m *meter) setFresh(name string, r freshRead) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.latest[name] = r
}

// apiOption counts one call of op and returns the API option (an SDK stack change, as in
// Options.APIOptions) that makes each of its HTTP attempts, retries included, wait for op's
// token. The wait sits after the SDK's retry middleware, so retries of a throttled call also
// keep to the rate.
func (m *meter) apiOption(op string) func(*middleware.Stack) error {
	m.mu.Lock()
	m.calls[op]++
	m.mu.Unlock()
	lim := m.limits.get(op)
	wait := middleware.FinalizeMiddlewareFunc("corsguard.RateLimit", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if paid, ok := ctx.Value(prepaid{}).(*atomic.Bool); ok && paid.Swap(false) {
			return next.HandleFinalize(ctx, in) // its token was taken at once (a budgeted read)
		}
		if err := lim.Wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("rate limit %s: %w", op, err)
		}
		return next.HandleFinalize(ctx, in)
	})
	return func(s *middleware.Stack) error {
		return s.Finalize.Insert(wait, "Retry", middleware.After)
	}
}

// counts returns a copy of the calls counted so far.
func (m *meter) counts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.calls)
}

// note adds msg to the run's notes unless it is there already.
func (m *meter) note(msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.Contains(m.said, msg) {
		m.said = append(m.said, msg)
	}
}

// notes returns the run's notes in the order they were first said.
func (m *meter) notes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.said)
}

// MediaStoreUnavailable is the note of a run that found MediaStore unavailable to the account
// in its Region (the endpoint does not resolve, or the service does not know the account),
// after the SDK's retries.
const MediaStoreUnavailable = "MediaStore is not available to this account in this Region: AWS ended support for " +
	"MediaStore on 2025-11-13. Move the content to Amazon S3 and set Targets=s3 (CORSGUARD_TARGETS=s3, " +
	"corsguard --target s3) to keep the buckets' CORS equal to the baseline; the MediaStore failures are terminal"

// judge classifies err, met on a resource of kind k, as retryable or terminal, and notes once
// per run a service that is not available.
func (m *meter) judge(k policy.Kind, err error) error {
	err = judge(err)
	if k == policy.MediaStore && serviceUnavailable(err) {
		m.note(MediaStoreUnavailable)
	}
	return err
}
