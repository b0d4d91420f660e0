package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// bus hands events to subscribers: Go callbacks, called synchronously before the API call
// that caused the event answers, and optionally an HTTP endpoint, posted to in order by one
// background goroutine.
type bus struct {
	mu     sync.Mutex
	subs   map[int]func([]byte)
	nextID int

	queue  chan []byte   // to the HTTP forwarder; nil when there is none
	done   chan struct{} // closed when the forwarder has drained the queue
	closed bool
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
	}
	// Sending under the lock keeps close from closing the queue under a sender; the forwarder
	// drains the queue without the lock, so this cannot deadlock.
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queue != nil && !b.closed {
		for _, ev := range events {
			b.queue <- ev
		}
	}
}

// forward starts the goroutine that POSTs every event to url. Delivery errors are dropped, as
// EventBridge drops events a target refuses once its retries are spent.
func (b *bus) forward(url string) {
	b.queue = make(chan []byte, 1024)
	b.done = make(chan struct{})
	client := &http.Client{Timeout: 30 * time.Second}
	go func() {
		defer close(b.done)
		for ev := range b.queue {
			resp, err := client.Post(url, "application/json", bytes.NewReader(ev))
			if err == nil {
				_ = resp.Body.Close()
			}
		}
	}()
}

// close stops the forwarder after it has delivered what is queued, or when ctx ends.
func (b *bus) close(ctx context.Context) {
	b.mu.Lock()
	if b.queue == nil || b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.queue)
	b.mu.Unlock()
	select {
	case <-b.done:
	case <-ctx.Done():
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
