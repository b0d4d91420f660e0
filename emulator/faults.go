package emulator

import (
	"hash/fnv"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// AnyOp, given as the operation to a fault setter, applies the fault to every operation that
// has no setting of its own.
const AnyOp = "*"

// faults decides which calls misbehave. Every decision depends only on the seed, the
// operation, how many calls of that operation came before, and the clock, so a run is
// reproducible from its seed even when other operations interleave differently.
type faults struct {
	seed uint64

	mu       sync.Mutex
	throttle map[string]*rate.Limiter
	errRate  map[string]float64
	delay    map[string]time.Duration
	scripts  []*script
	drawn    map[string]uint64 // per operation: error-rate decisions made so far
}

// script is a scripted fault: the next n calls of op on resource fail with code.
type script struct {
	op, resource, code string
	n                  int
}

func newFaults() *faults {
	return &faults{
		throttle: map[string]*rate.Limiter{},
		errRate:  map[string]float64{},
		delay:    map[string]time.Duration{},
		drawn:    map[string]uint64{},
	}
}

// decide returns the fault a call must answer with, or nil. Scripted faults come first, then
// throttling, then the random InternalServerError.
func (f *faults) decide(op, resource string, now time.Time) *apiError {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.scripts {
		if s.op != op && s.op != AnyOp || s.resource != "" && s.resource != resource {
			continue
		}
		s.n--
		if s.n <= 0 {
			f.scripts = append(f.scripts[:i], f.scripts[i+1:]...)
		}
		return errf(s.code, "injected fault: %s", s.code)
	}
	if l := lookup(f.throttle, op); l != nil && !l.AllowN(now, 1) {
		return errf("ThrottlingException", "Rate exceeded")
	}
	if p := lookup(f.errRate, op); p > 0 {
		n := f.drawn[op]
		f.drawn[op] = n + 1
		if uniform(f.seed, op, n) < p {
			return errf("InternalServerError", "We encountered an internal error. Please try again.")
		}
	}
	return nil
}

// latency returns the delay to add to a call of op.
func (f *faults) latency(op string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return lookup(f.delay, op)
}

// lookup returns op's setting, or the AnyOp setting when op has none.
func lookup[V any](m map[string]V, op string) V {
	if v, ok := m[op]; ok {
		return v
	}
	return m[AnyOp]
}

// uniform returns a number in [0, 1) that depends only on its arguments.
func uniform(seed uint64, op string, n uint64) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(op))
	return float64(mix(seed^mix(h.Sum64()^mix(n+1)))>>11) / (1 << 53)
}

// SetThrottle makes op (or AnyOp) answer ThrottlingException to the calls above rps per
// second, measured on the emulator's clock with a burst of rps calls (at least one). A rate of
// zero or less removes the limit.
func (e *Emulator) SetThrottle(op string, rps float64) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	if rps <= 0 {
		delete(e.faults.throttle, op)
		return
	}
	burst := max(1, int(math.Floor(rps)))
	e.faults.throttle[op] = rate.NewLimiter(rate.Limit(rps), burst)
}

// SetErrorRate makes the given fraction (0 to 1) of the calls of op (or AnyOp) answer
// InternalServerError (HTTP 500). Which calls fail is decided by the seed.
func (e *Emulator) SetErrorRate(op string, fraction float64) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	if fraction <= 0 {
		delete(e.faults.errRate, op)
		return
	}
	e.faults.errRate[op] = min(fraction, 1)
}

// SetLatency adds d of real waiting to every call of op (or AnyOp), for benchmarks and demos.
// It is off by default; zero removes it.
func (e *Emulator) SetLatency(op string, d time.Duration) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	if d <= 0 {
		delete(e.faults.delay, op)
		return
	}
	e.faults.delay[op] = d
}

// Script makes the next n calls of op (or AnyOp) on resource (a container or parameter name;
// "" for any) fail with the error code, for example "ContainerInUseException" or
// "InternalServerError". The HTTP status is the one AWS uses for that code (500 for
// InternalServerError, 503 for ServiceUnavailable, otherwise 400). Scripts are consumed in the
// order they were added.
func (e *Emulator) Script(op, resource string, n int, code string) {
	if n <= 0 {
		return
	}
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.scripts = append(e.faults.scripts, &script{op: op, resource: resource, code: code, n: n})
}

// ClearFaults removes every throttle, error rate, latency and script.
func (e *Emulator) ClearFaults() {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	clear(e.faults.throttle)
	clear(e.faults.errRate)
	clear(e.faults.delay)
	e.faults.scripts = nil
}

// counter counts calls per operation and per operation and resource.
type counter struct {
	mu    sync.Mutex
	byOp  map[string]int
	byRes map[[2]string]int
	// ingested counts the findings BatchImportFindings accepted (its SuccessCount): Security
	// Hub CSPM's billed finding ingestion events.
	ingested int
}

func newCounter() *counter {
	return &counter{byOp: map[string]int{}, byRes: map[[2]string]int{}}
}

func (c *counter) add(op, resource string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byOp[op]++
	if resource != "" {
		c.byRes[[2]string{op, resource}]++
	}
}

// Calls returns a snapshot of the number of authenticated calls received per operation name
// ("PutCorsPolicy", "GetParameter"), including calls answered with an injected fault.
func (e *Emulator) Calls() map[string]int {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	out := make(map[string]int, len(e.calls.byOp))
	for k, v := range e.calls.byOp {
		out[k] = v
	}
	return out
}

// CallCount returns the number of calls of op received so far.
func (e *Emulator) CallCount(op string) int {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return e.calls.byOp[op]
}

// ResourceCalls returns the number of calls of op about resource (a container or parameter
// name) received so far.
func (e *Emulator) ResourceCalls(op, resource string) int {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return e.calls.byRes[[2]string{op, resource}]
}

// TotalCalls returns the number of calls of every operation received so far.
func (e *Emulator) TotalCalls() int {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	n := 0
	for _, v := range e.calls.byOp {
		n += v
	}
	return n
}

// ResetCalls sets every call counter, the count of throttled calls and the count of findings
// ingested (FindingsIngested) back to zero.
func (e *Emulator) ResetCalls() {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	clear(e.calls.byOp)
	clear(e.calls.byRes)
	e.calls.ingested = 0
	e.quotas.mu.Lock()
	clear(e.quotas.throttled)
	e.quotas.mu.Unlock()
}
