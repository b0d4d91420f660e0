package emulator

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Scope says what one quota's token bucket is shared by.
type Scope string

// The scopes of AWS's request quotas.
const (
	// PerAccount: one bucket for the account and Region, shared by every caller (every
	// application of the account, not only corsguard).
	PerAccount Scope = "account"
	// PerResource: one bucket per resource the call names (an S3 bucket).
	PerResource Scope = "resource"
	// PerFIFOQueue: one bucket per FIFO queue that is not in high-throughput mode; standard
	// queues and high-throughput FIFO queues are not limited.
	PerFIFOQueue Scope = "fifo-queue"
)

// Quota is one of AWS's published request-rate quotas: the operations that share it, its rate
// and burst (a token bucket on the emulator's clock), what it is counted per, and where AWS
// publishes it. A call over a quota answers ThrottlingException in the service's own words
// (see throttled).
type Quota struct {
	Service string   // the credential scope's service: "ssm", "securityhub", "sqs", "s3"
	Ops     []string // the operations that share one bucket; AllOps: every operation of the service
	Rate    float64  // requests per second; 0 or less: no limit
	Burst   int      // requests at once; at least 1
	Per     Scope
	Source  string // where AWS documents it
}

// AllOps, as a Quota's only operation, makes it bind every operation of its service together.
const AllOps = "*"

// The pages that publish the quotas below.
const (
	srcSSM = "AWS General Reference, AWS Systems Manager endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/ssm.html): " +
		"Parameter Store max throughput, default throughput 40 TPS shared by GetParameter, GetParameters and GetParametersByPath, per account and Region"
	srcHub = "AWS Security Hub CSPM API Reference, Welcome (https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html, " +
		"also the documentation of botocore's securityhub 2018-10-26 model): throttling limits per account and Region"
	srcHubImport = "the same, and the Security Hub CSPM partner guide, Guidelines for using the BatchImportFindings API " +
		"(https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html): 10 TPS per account per Region, burst 30"
	srcSQS = "Amazon SQS Developer Guide, Amazon SQS message quotas and Troubleshoot FIFO throttling issues " +
		"(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-fifo-throttling-issues.html): " +
		"without high throughput, 300 transactions per second per API action per FIFO queue; 3,000 messages per second with batches of 10"
	srcS3 = "Amazon S3 User Guide, Best practices design patterns: optimizing Amazon S3 performance " +
		"(https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html): at least 3,500 PUT/COPY/POST/DELETE " +
		"or 5,500 GET/HEAD requests per second per partitioned prefix; applied here per bucket to the bucket-level calls"
	srcLambda = "AWS Lambda Developer Guide, Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): " +
		"control plane API requests (other than invocation, GetFunction and GetPolicy) 15 per second across all APIs, per account and Region; not adjustable"
	srcAPIGateway = "Amazon API Gateway Developer Guide, Amazon API Gateway quotas (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html): " +
		"control plane (management) requests 10 per second with a burst of 40, per account and Region; not adjustable"
)

// AWSQuotas returns AWS's published default request quotas for the operations the emulator
// serves, the ones `corsguard emulator`, the demo and the bench apply unless told otherwise.
//
// Lambda's control plane (15/s) and API Gateway's management API (10/s, burst 40) bind whole
// services, every operation together (AllOps); a throttle there answers TooManyRequestsException.
//
// What AWS does not publish is not limited: MediaStore's control plane (its quotas page lists
// only containers and object rates), CloudFront's control plane, STS's GetCallerIdentity, S3's
// ListBuckets and the SQS calls that manage queues. A standard SQS queue's throughput is
// "nearly unlimited" (the same guide); a FIFO queue's 3,000 messages per second batched is its
// 300 calls per second times the 10 entries a batch holds, so the call bucket bounds both.
func AWSQuotas() []Quota {
	fifo := func(op string) Quota {
		return Quota{Service: "sqs", Ops: []string{op}, Rate: 300, Burst: 300, Per: PerFIFOQueue, Source: srcSQS}
	}
	s3 := func(rps float64, class string, ops ...string) Quota {
		return Quota{Service: "s3", Ops: ops, Rate: rps, Burst: int(rps), Per: PerResource, Source: srcS3 + " (" + class + ")"}
	}
	return []Quota{
		{Service: "ssm", Ops: []string{"GetParameter", "GetParameters", "GetParametersByPath"}, Rate: 40, Burst: 40, Per: PerAccount, Source: srcSSM},
		{Service: "securityhub", Ops: []string{"BatchImportFindings"}, Rate: 10, Burst: 30, Per: PerAccount, Source: srcHubImport},
		{Service: "securityhub", Ops: []string{"GetFindings"}, Rate: 3, Burst: 6, Per: PerAccount, Source: srcHub + ": GetFindings, RateLimit 3 requests per second, BurstLimit 6"},
		fifo("SendMessage"), fifo("SendMessageBatch"), fifo("ReceiveMessage"), fifo("DeleteMessage"),
		fifo("DeleteMessageBatch"), fifo("ChangeMessageVisibility"), fifo("ChangeMessageVisibilityBatch"),
		s3(5500, "GET/HEAD", "GetBucketCors", "GetBucketTagging", "HeadBucket", "GetBucketLocation"),
		s3(3500, "PUT/DELETE", "PutBucketCors", "DeleteBucketCors", "PutBucketTagging", "DeleteBucketTagging"),
		{Service: "lambda", Ops: []string{AllOps}, Rate: 15, Burst: 15, Per: PerAccount, Source: srcLambda},
		{Service: "apigateway", Ops: []string{AllOps}, Rate: 10, Burst: 40, Per: PerAccount, Source: srcAPIGateway},
	}
}

// ParseQuotas reads the --quotas setting: "aws" (AWS's defaults, AWSQuotas), "off" (none), or
// AWS's defaults with some changed, "OP=RATE[/BURST],..." where OP is any operation of a quota
// ("GetParameter=100", "BatchImportFindings=20/60"), or the service of a whole-service quota
// ("lambda=5"), and a rate of 0 removes that quota.
func ParseQuotas(s string) ([]Quota, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "aws":
		return AWSQuotas(), nil
	case "off", "none":
		return nil, nil
	}
	qs := AWSQuotas()
	for _, item := range strings.Split(s, ",") {
		op, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || op == "" {
			return nil, fmt.Errorf("quota %q: want OP=RATE[/BURST], aws or off", item)
		}
		rs, bs, hasBurst := strings.Cut(value, "/")
		r, err := strconv.ParseFloat(rs, 64)
		if err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			return nil, fmt.Errorf("quota %q: the rate must be a number of requests per second, 0 or more", item)
		}
		burst := max(1, int(math.Ceil(r)))
		if hasBurst {
			if burst, err = strconv.Atoi(bs); err != nil || burst < 1 {
				return nil, fmt.Errorf("quota %q: the burst must be a whole number, 1 or more", item)
			}
		}
		i := slices.IndexFunc(qs, func(q Quota) bool {
			return slices.Contains(q.Ops, op) || slices.Equal(q.Ops, []string{AllOps}) && q.Service == op
		})
		if i < 0 {
			return nil, fmt.Errorf("quota %q: AWS publishes no quota for %s that the emulator applies", item, op)
		}
		qs[i].Rate, qs[i].Burst, qs[i].Source = r, burst, "set by --quotas"
	}
	return slices.DeleteFunc(qs, func(q Quota) bool { return q.Rate <= 0 }), nil
}

// WithQuotas makes the emulator apply qs instead of AWSQuotas. Nil or empty means none at all.
func WithQuotas(qs []Quota) Option {
	return func(e *Emulator) { e.quotas = newQuotaSet(qs) }
}

// WithoutQuotas makes the emulator answer every call at any rate, for tests that count calls
// and must not see the SDK's retries of a throttle.
func WithoutQuotas() Option { return WithQuotas(nil) }

// quotaSet applies quotas: a token bucket per quota and scope key, made on first use.
type quotaSet struct {
	byOp map[[2]string]int // service and operation -> index in qs
	qs   []Quota

	mu        sync.Mutex
	buckets   map[quotaKey]*rate.Limiter
	throttled map[string]int // per operation: calls answered with a quota's throttle
}

type quotaKey struct {
	quota int
	scope string
}

func newQuotaSet(qs []Quota) *quotaSet {
	s := &quotaSet{throttled: map[string]int{}}
	s.set(qs)
	return s
}

// set replaces the quotas, with fresh token buckets.
func (s *quotaSet) set(qs []Quota) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byOp, s.qs, s.buckets = map[[2]string]int{}, slices.Clone(qs), map[quotaKey]*rate.Limiter{}
	for i, q := range s.qs {
		for _, op := range q.Ops {
			s.byOp[[2]string{q.Service, op}] = i
		}
	}
}

// SetQuotas makes the emulator apply qs from now on, as WithQuotas does at the start (a
// benchmark reads its results back without them).
func (e *Emulator) SetQuotas(qs []Quota) { e.quotas.set(qs) }

// take spends a token of the quota that covers c, and returns the throttle c must answer with
// when there is none. limitedQueue says whether a per-FIFO-queue quota binds the queue named.
func (s *quotaSet) take(c *call, now time.Time, limitedQueue func(name string) bool) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byOp[[2]string{c.Service, c.Op}]
	if !ok {
		if i, ok = s.byOp[[2]string{c.Service, AllOps}]; !ok {
			return nil
		}
	}
	q := s.qs[i]
	key := quotaKey{quota: i}
	switch q.Per {
	case PerResource:
		key.scope = c.Resource
	case PerFIFOQueue:
		if !strings.HasSuffix(c.Resource, ".fifo") || !limitedQueue(c.Resource) {
			return nil
		}
		key.scope = c.Resource
	}
	l := s.buckets[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(q.Rate), max(1, q.Burst))
		s.buckets[key] = l
	}
	if l.AllowN(now, 1) {
		return nil
	}
	s.throttled[c.Op]++
	return errf("ThrottlingException", "Rate exceeded")
}

// Quotas returns the request quotas the emulator applies.
func (e *Emulator) Quotas() []Quota {
	e.quotas.mu.Lock()
	defer e.quotas.mu.Unlock()
	return slices.Clone(e.quotas.qs)
}

// Throttled returns, per operation, the calls answered with a throttle since the last
// ResetCalls: a quota's, or one SetThrottle injected.
func (e *Emulator) Throttled() map[string]int {
	e.quotas.mu.Lock()
	defer e.quotas.mu.Unlock()
	out := make(map[string]int, len(e.quotas.throttled))
	for k, v := range e.quotas.throttled {
		out[k] = v
	}
	return out
}

// countThrottle counts a throttle the fault injector answered.
func (s *quotaSet) countThrottle(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttled[op]++
}

// sqsQuotaApplies reports whether a FIFO queue's per-action quota binds the queue named: it
// exists and is not in high-throughput mode (FifoThroughputLimit perMessageGroupId with
// DeduplicationScope messageGroup), whose far higher quotas vary by Region.
func (e *Emulator) sqsQuotaApplies(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, q := range e.queues {
		if q.name == name {
			return !(q.attrs["FifoThroughputLimit"] == "perMessageGroupId" && q.attrs["DeduplicationScope"] == "messageGroup")
		}
	}
	return false
}
