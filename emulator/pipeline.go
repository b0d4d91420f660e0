package emulator

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/corsguard/corsguard/clock"
)

// call is one API request on its way through the pipeline, whatever its protocol.
type call struct {
	Service   string // "mediastore", "ssm", "s3"
	Op        string // the API operation, "PutCorsPolicy"
	Resource  string // the container, bucket or parameter the call is about; "" when none
	RequestID string
	AccessKey string
	Region    string // the Region the request was signed for
	SourceIP  string
	UserAgent string
	Host      string // the request's Host, which SQS queue URLs name
	Time      time.Time

	ctx context.Context // the request's, which ends when the client goes away

	events [][]byte // emitted while the call runs; published before the answer is written
}

// protocol writes answers in one wire format: awsJson1_1 or S3's REST-XML.
type protocol interface {
	writeResult(w http.ResponseWriter, requestID string, out any)
	writeError(w http.ResponseWriter, requestID string, err *apiError)
}

// handle runs the protocol-independent part of every request: authentication, call counting,
// injected latency and faults, AWS's request quotas, the operation itself, then event delivery and the answer.
func (e *Emulator) handle(w http.ResponseWriter, r *http.Request, p protocol, c *call, run func(*call) (any, error)) {
	c.RequestID = e.requestID()
	c.Time = e.clock.Now()
	c.UserAgent = r.UserAgent()
	c.Host = r.Host
	c.ctx = r.Context()
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.SourceIP = host
	}
	sc, aerr := credentialScope(r)
	if aerr != nil {
		p.writeError(w, c.RequestID, aerr)
		return
	}
	c.AccessKey, c.Region = sc.accessKey, sc.region
	e.calls.add(c.Op, c.Resource)

	if d := e.faults.latency(c.Op); d > 0 {
		if err := clock.Sleep(r.Context(), d); err != nil {
			return // the client went away
		}
	}
	if ferr := e.faults.decide(c.Op, c.Resource, c.Time); ferr != nil {
		if throttleCodes[ferr.Code] {
			e.quotas.countThrottle(c.Op)
		}
		p.writeError(w, c.RequestID, ferr)
		return
	}
	// AWS's request quotas, on the emulator's clock: a call over one answers the service's
	// throttle (each protocol's writeError spells ThrottlingException as its service does).
	if qerr := e.quotas.take(c, c.Time, e.sqsQuotaApplies); qerr != nil {
		p.writeError(w, c.RequestID, qerr)
		return
	}
	out, err := run(c)
	e.events.publish(c.events)
	if err != nil {
		p.writeError(w, c.RequestID, asAPIError(err))
		return
	}
	p.writeResult(w, c.RequestID, out)
}

// throttleCodes are the codes of a throttle, in every service's words: an injected one counts
// in Throttled as a quota's does.
var throttleCodes = map[string]bool{"ThrottlingException": true, "Throttling": true, "SlowDown": true,
	"RequestThrottled": true, "LimitExceededException": true, "TooManyRequestsException": true}

// locked runs fn with the state locked, after applying due lifecycle transitions; the events
// both produce are kept on c for delivery once the lock is released.
func (e *Emulator) locked(c *call, fn func() (any, error)) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c.events = append(c.events, e.settleLocked()...)
	return fn()
}
