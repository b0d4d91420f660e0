package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// bus hands events to subscribers: Go callbacks, called synchronously before the API call
// that caused the event answers, and optionally an HTTP endpoint, through a forwarder that
// never holds up the call.
type bus struct {
	mu     sync.Mutex
	subs   map[int]func([]byte)
	nextID int

	fwd *forwarder // nil when there is no HTTP target
}

func newBus() *bus { return &bus{subs: map[int]func([]byte){}} }

// Subscribe registers fn to receive every event the emulator emits, as the JSON document
// EventBridge would deliver. fn runs on the goroutine of the API call that caused the event
// (or of Settle), before that call answers, and must not block for long. Subscribe returns a
// function that removes the subscription.
func (e *Emulator) Subscribe(fn func(event []byte)) (cancel func()) {
	b := e.events
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.nextID
	b.nextID++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}

// EventDeliveries reports how many events the --event-url target (WithEventURL) took and how
// many were dropped: the queue was full, the target failed or refused one, or the emulator
// stopped first. Both are 0 without a target.
func (e *Emulator) EventDeliveries() (delivered, dropped int64) {
	if f := e.events.fwd; f != nil {
		return f.delivered.Load(), f.dropped.Load()
	}
	return 0, 0
}

func (b *bus) publish(events [][]byte) {
	if len(events) == 0 {
		return
	}
	b.mu.Lock()
	subs := make([]func([]byte), 0, len(b.subs))
	for id := 0; id < b.nextID; id++ { // in subscription order
		if fn, ok := b.subs[id]; ok {
			subs = append(subs, fn)
		}
	}
	b.mu.Unlock()
	for _, ev := range events {
		for _, fn := range subs {
			fn(ev)
		}
		if b.fwd != nil {
			b.fwd.send(ev)
		}
	}
}

// close stops the forwarder, if any; see forwarder.close.
func (b *bus) close(ctx context.Context) {
	if b.fwd != nil {
		b.fwd.close(ctx)
	}
}

// Settings of the HTTP forwarder.
const (
	eventQueueLen = 1024
	eventPostWait = 5 * time.Second // one post; a slower target loses events, it never stalls the emulator
)

// forwarder POSTs events to an HTTP endpoint in order, from one goroutine, through a bounded
// queue. It never holds up the API call that emitted an event, nor the emulator's shutdown: an
// event is dropped, counted and logged when the queue is full, when the target fails or
// refuses it, or when the emulator stops before it is sent, as EventBridge drops what a
// target does not take once its retries are spent.
type forwarder struct {
	url    string
	client *http.Client
	log    *slog.Logger
	queue  chan []byte
	ctx    context.Context // ends the post in flight when close gives up waiting
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has finished

	mu     sync.Mutex // guards closed and sending on queue against close
	closed bool

	delivered, dropped atomic.Int64
	failing            atomic.Bool // a drop was logged and nothing was delivered since
}

func newForwarder(url string, queueLen int, log *slog.Logger) *forwarder {
	ctx, cancel := context.WithCancel(context.Background())
	f := &forwarder{url: url, client: &http.Client{Timeout: eventPostWait}, log: log,
		queue: make(chan []byte, queueLen), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go f.run()
	return f
}

// send queues ev, or drops it at once when the queue is full or the forwarder is closed.
func (f *forwarder) send(ev []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		f.drop("the emulator is stopping", nil)
		return
	}
	select {
	case f.queue <- ev:
	default:
		f.drop(fmt.Sprintf("the queue of %d events is full", cap(f.queue)), nil)
	}
}

func (f *forwarder) run() {
	defer close(f.done)
	for ev := range f.queue {
		if err := f.ctx.Err(); err != nil {
			f.drop("the emulator stopped", err)
			continue
		}
		if err := f.post(ev); err != nil {
			f.drop("the target did not take it", err)
			continue
		}
		f.delivered.Add(1)
		if f.failing.CompareAndSwap(true, false) {
			f.log.Info("emulator: events reach the target again", "url", f.url, "dropped", f.dropped.Load())
		}
	}
}

func (f *forwarder) post(ev []byte) error {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, f.url, bytes.NewReader(ev))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// drop counts a lost event; the first drop of an outage is logged, the rest counted.
func (f *forwarder) drop(reason string, err error) {
	n := f.dropped.Add(1)
	if f.failing.CompareAndSwap(false, true) {
		args := []any{"url", f.url, "reason", reason, "dropped", n}
		if err != nil {
			args = append(args, "error", err.Error())
		}
		f.log.Warn("emulator: dropping events", args...)
	}
}

// close stops taking events and lets the goroutine deliver what is queued until ctx ends;
// then it aborts the post in flight and drops the rest. A target that is failing gets no such
// grace: what is queued for it is dropped at once. close returns once the goroutine has.
func (f *forwarder) close(ctx context.Context) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	close(f.queue)
	f.mu.Unlock()
	if f.failing.Load() {
		f.cancel()
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		f.cancel()
		<-f.done
	}
	f.cancel()
	if n := f.dropped.Load(); n > 0 {
		f.log.Warn("emulator: events were dropped", "url", f.url, "delivered", f.delivered.Load(), "dropped", n)
	}
}

// envelope is an EventBridge event as a target receives it.
type envelope struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     any      `json:"detail"`
}

// event encodes one EventBridge event.
func (e *Emulator) event(version, source, detailType string, at time.Time, resources []string, detail any) []byte {
	if resources == nil {
		resources = []string{}
	}
	out, err := json.Marshal(envelope{
		Version:    version,
		ID:         uuid(e.id(), e.id()),
		DetailType: detailType,
		Source:     source,
		Account:    e.account,
		Time:       at.UTC().Format(time.RFC3339),
		Region:     e.region,
		Resources:  resources,
		Detail:     detail,
	})
	if err != nil { // the details hold only strings, numbers, maps and slices
		panic(err)
	}
	return out
}

// containerStateChange is MediaStore's "Container State Change" event; endpoint is empty on
// REMOVE, where AWS omits it.
func (e *Emulator) containerStateChange(c *container, operation string, at time.Time) []byte {
	detail := struct {
		ContainerName string `json:"ContainerName"`
		Operation     string `json:"Operation"`
		Endpoint      string `json:"Endpoint,omitempty"`
	}{c.name, operation, ""}
	if operation == "CREATE" {
		detail.Endpoint = c.endpoint
	}
	return e.event("1", "aws.mediastore", "MediaStore Container State Change", at, []string{c.arn}, detail)
}

// cloudTrailRecord is the "AWS API Call via CloudTrail" event for a successful call.
func (e *Emulator) cloudTrailRecord(c *call, source, eventSource string, request, response any) []byte {
	key := c.AccessKey
	detail := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{
			"type":        "IAMUser",
			"principalId": "AIDAEMULATOREXAMPLE",
			"arn":         "arn:aws:iam::" + e.account + ":user/emulator",
			"accountId":   e.account,
			"accessKeyId": key,
			"userName":    "emulator",
		},
		"eventTime":          c.Time.UTC().Format(time.RFC3339),
		"eventSource":        eventSource,
		"eventName":          c.Op,
		"awsRegion":          e.region,
		"sourceIPAddress":    c.SourceIP,
		"userAgent":          c.UserAgent,
		"requestParameters":  request,
		"responseElements":   response,
		"requestID":          c.RequestID,
		"eventID":            uuid(e.id(), e.id()),
		"readOnly":           false,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": e.account,
		"eventCategory":      "Management",
	}
	return e.event("0", source, "AWS API Call via CloudTrail", c.Time, nil, detail)
}

// parameterChange is SSM's "Parameter Store Change" event.
func (e *Emulator) parameterChange(operation string, p *paramVersion, name string, at time.Time) []byte {
	detail := map[string]any{
		"operation":   operation,
		"name":        name,
		"type":        p.Type,
		"description": p.Description,
	}
	return e.event("0", "aws.ssm", "Parameter Store Change", at, []string{e.parameterARN(name)}, detail)
}
