// Package esm plays AWS Lambda's SQS event source mapping for tests, demos and benchmarks: it
// polls a queue with a real SQS client, hands batches to a function as the events.SQSEvent
// Lambda builds (up to 10 records from a FIFO queue; up to 10,000 from a standard queue,
// gathered over a batching window), deletes the records the function did not report in
// events.SQSEventResponse.BatchItemFailures, and leaves the failed ones for SQS to deliver
// again when their visibility timeout ends, as Lambda does. A function error fails the whole
// batch. MaximumConcurrency bounds the number of concurrent invocations, as the mapping's
// ScalingConfig does.
//
// The function is a Go func: unit tests call a handler directly, end-to-end tests post the
// event to a bootstrap running under aws-lambda-rie (HTTPFunction).
package esm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Client is the part of *sqs.Client the mapping uses.
type Client interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ Client = (*sqs.Client)(nil)

// Function is the Lambda function the mapping invokes. An error means the invocation failed
// (Lambda's function error): every record of the batch stays in the queue.
type Function func(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error)

// Defaults and limits of a Mapping, Lambda's: "Lambda parameters for Amazon SQS event source
// mappings" (docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html): BatchSize
// default 10, "For standard queues, the maximum is 10,000. For FIFO queues, the maximum is 10";
// MaximumBatchingWindowInSeconds "Batching window is not supported for FIFO queues". The
// CreateEventSourceMapping API reference: "When you set BatchSize to a value greater than 10,
// you must set MaximumBatchingWindowInSeconds to at least 1"; the window is 0 to 300 seconds;
// a batch goes "up to the payload limit for synchronous invocation (6 MB)".
const (
	MaxBatchSize              = 10 // Lambda's limit for FIFO queues, and one ReceiveMessage
	MaxStandardBatchSize      = 10000
	MaxBatchingWindow         = 300 * time.Second
	MaxPayload                = 6 << 20 // a synchronous invocation's payload
	DefaultMaximumConcurrency = 2       // Lambda's minimum for ScalingConfig.MaximumConcurrency
	MaxMaximumConcurrency     = 1000
)

// maxMessage is the largest message SQS holds (1 MiB): gathering asks for no more messages
// than fit what is left of MaxPayload at that size.
const maxMessage = 1 << 20

// Mapping is one event source mapping: a queue, a function and how to call it.
type Mapping struct {
	Client   Client
	QueueURL string
	// QueueARN is the records' eventSourceARN; when empty it is read once with
	// GetQueueAttributes.
	QueueARN string
	// Region is the records' awsRegion; when empty it is taken from QueueARN.
	Region   string
	Function Function

	// BatchSize is the most records per invocation: 1 to 10 for a FIFO queue, 1 to 10,000 for a
	// standard one (default 10). Above 10 a MaximumBatchingWindow is required, as Lambda
	// requires it.
	BatchSize int
	// MaximumBatchingWindow is how long a batch is gathered from its first message, 0 to 5
	// minutes: the function is invoked when BatchSize records (or MaxPayload bytes) are in
	// hand or the window has passed. Lambda takes whole seconds, at least 1 with a BatchSize
	// above 10; tests may use less. Messages that arrive in the window join the batch; once a
	// receive finds none, the player waits for the rest of the window (After) and gathers
	// what came meanwhile.
	MaximumBatchingWindow time.Duration
	// After is the window's timer (default time.After).
	After func(time.Duration) <-chan time.Time
	// MaximumConcurrency is the most concurrent invocations, 1 to 1000 (default 2; Lambda's
	// minimum is 2, 1 is allowed here for tests that want one invocation at a time).
	MaximumConcurrency int
	// ReportBatchItemFailures is the mapping's FunctionResponseTypes: ["ReportBatchItemFailures"].
	// Without it the function's response is ignored and a batch is deleted whole unless the
	// function failed.
	ReportBatchItemFailures bool
	// WaitTimeSeconds, 0 to 20, is the long poll of a ReceiveMessage made while other batches
	// are in progress. With 0 (the default) a poller that finds nothing while others work
	// does not poll again until one of their batches starts or ends; Lambda long-polls for
	// 20 s instead, which picks up messages sent from outside sooner but makes the end of a
	// run wait for the last long poll, up to WaitTimeSeconds. A receive made while no batch
	// is in progress never waits: when it comes back empty, no other receive is on its way,
	// and no batch started or ended since it was sent, the mapping is idle.
	WaitTimeSeconds int32
	// Idle, when set, is called each time the mapping is idle (no batch in progress, an
	// empty receive). It returns true to keep polling (for example after moving a manual
	// clock past a visibility timeout) and false to stop. When nil, the mapping stops at the
	// first idle moment.
	Idle func(ctx context.Context) bool
}

// Stats counts what a Run did.
type Stats struct {
	Receives       int // ReceiveMessage calls
	EmptyReceives  int // of which came back without messages
	Invocations    int // function invocations
	Records        int // records handed to the function
	Deleted        int // records deleted after the function succeeded with them
	Failed         int // records left in the queue (reported failures and failed batches)
	FunctionErrors int // invocations that returned an error: the whole batch failed
	DeleteFailures int // records whose deletion SQS refused (e.g. a stale receipt handle)
}

// Run polls until the mapping is idle (see Idle) or ctx ends, and returns what it did. It
// returns an error when the mapping is misconfigured or a ReceiveMessage call fails after the
// client's retries; a cancelled ctx is not an error.
func (m *Mapping) Run(ctx context.Context) (Stats, error) {
	if err := m.check(ctx); err != nil {
		return Stats{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &run{m: m, cancel: cancel}
	r.cond = sync.NewCond(&r.mu)
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cond.Broadcast()
	})
	defer stop()
	var wg sync.WaitGroup
	for range m.MaximumConcurrency {
		wg.Go(func() { r.poll(ctx) })
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats, r.err
}

// check applies the defaults and validates the mapping.
func (m *Mapping) check(ctx context.Context) error {
	if m.Client == nil || m.QueueURL == "" || m.Function == nil {
		return errors.New("esm: a mapping needs a Client, a QueueURL and a Function")
	}
	if m.BatchSize == 0 {
		m.BatchSize = MaxBatchSize
	}
	if m.MaximumConcurrency == 0 {
		m.MaximumConcurrency = DefaultMaximumConcurrency
	}
	if m.After == nil {
		m.After = time.After
	}
	limit := MaxStandardBatchSize
	if strings.HasSuffix(m.QueueURL, ".fifo") {
		limit = MaxBatchSize
	}
	switch {
	case m.BatchSize < 1 || m.BatchSize > limit:
		return fmt.Errorf("esm: BatchSize %d is not between 1 and %d (a FIFO queue's batches hold at most %d, a standard one's %d)",
			m.BatchSize, limit, MaxBatchSize, MaxStandardBatchSize)
	case limit == MaxBatchSize && m.MaximumBatchingWindow > 0:
		return errors.New("esm: a FIFO queue's mapping takes no MaximumBatchingWindow (Lambda: not supported for FIFO queues)")
	case m.BatchSize > MaxBatchSize && m.MaximumBatchingWindow <= 0:
		return fmt.Errorf("esm: BatchSize %d needs a MaximumBatchingWindow (Lambda: at least 1 second above %d)", m.BatchSize, MaxBatchSize)
	case m.MaximumBatchingWindow < 0 || m.MaximumBatchingWindow > MaxBatchingWindow:
		return fmt.Errorf("esm: MaximumBatchingWindow %s is not between 0 and %s", m.MaximumBatchingWindow, MaxBatchingWindow)
	case m.MaximumConcurrency < 1 || m.MaximumConcurrency > MaxMaximumConcurrency:
		return fmt.Errorf("esm: MaximumConcurrency %d is not between 1 and %d", m.MaximumConcurrency, MaxMaximumConcurrency)
	case m.WaitTimeSeconds < 0 || m.WaitTimeSeconds > 20:
		return fmt.Errorf("esm: WaitTimeSeconds %d is not between 0 and 20", m.WaitTimeSeconds)
	}
	if m.QueueARN == "" {
		out, err := m.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(m.QueueURL),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			return fmt.Errorf("esm: read the queue's ARN: %w", err)
		}
		m.QueueARN = out.Attributes[string(types.QueueAttributeNameQueueArn)]
	}
	if m.Region == "" {
		if parts := strings.Split(m.QueueARN, ":"); len(parts) == 6 {
			m.Region = parts[3]
		}
	}
	return nil
}

// run is the shared state of one Run's pollers.
type run struct {
	m      *Mapping
	cancel context.CancelFunc

	mu         sync.Mutex
	cond       *sync.Cond // signalled when a receive or batch ends, Idle returns, or the run stops
	stats      Stats
	err        error
	batches    int    // batches being processed
	receiving  int    // ReceiveMessage calls on their way
	progress   uint64 // bumped when a batch starts or ends, and after Idle
	askingIdle bool   // a poller is calling Idle
}

// poll is one concurrent invoker: receive, invoke, delete, until the run stops.
//
// The run is idle when a receive comes back empty while no batch is in progress, no other
// receive is on its way, and no batch started or ended since the receive was sent: then no
// message is deliverable and nothing the mapping does could make one so.
func (r *run) poll(ctx context.Context) {
	for ctx.Err() == nil {
		r.mu.Lock()
		seen := r.progress
		wait := r.m.WaitTimeSeconds
		if r.batches == 0 {
			wait = 0 // nobody works: an empty answer means idle, no need to wait for one
		}
		r.receiving++
		r.mu.Unlock()
		out, err := r.m.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.m.QueueURL),
			MaxNumberOfMessages:         int32(min(r.m.BatchSize, MaxBatchSize)),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		r.mu.Lock()
		r.receiving--
		r.cond.Broadcast()
		if ctx.Err() != nil {
			r.mu.Unlock()
			return
		}
		r.stats.Receives++
		if err != nil {
			if r.err == nil {
				r.err = fmt.Errorf("esm: receive from %s: %w", r.m.QueueURL, err)
			}
			r.mu.Unlock()
			r.cancel()
			return
		}
		if len(out.Messages) > 0 {
			r.batches++
			r.progress++
			r.mu.Unlock()
			msgs := out.Messages
			if r.m.MaximumBatchingWindow > 0 {
				msgs = r.gather(ctx, msgs)
			}
			r.process(ctx, msgs)
			r.mu.Lock()
			r.batches--
			r.progress++
			r.cond.Broadcast()
			r.mu.Unlock()
			continue
		}
		if !r.idle(ctx, seen) {
			return
		}
	}
}

// idle follows an empty receive, with r.mu held (it releases it): while batches run or other
// pollers may still find work it waits for them; otherwise it asks Idle. It returns false when
// the run is over.
func (r *run) idle(ctx context.Context, seen uint64) bool {
	r.stats.EmptyReceives++
	if r.batches > 0 {
		if r.m.WaitTimeSeconds == 0 {
			// Nothing to take until another batch ends (its deletes free FIFO groups)
			// or starts: wait for that instead of polling.
			for r.progress == seen && ctx.Err() == nil {
				r.cond.Wait()
			}
		}
		r.mu.Unlock()
		return true
	}
	if r.receiving > 0 || r.askingIdle {
		// Another poller may yet find work, or is asking Idle: wait for it rather than
		// spin on empty receives.
		for (r.receiving > 0 || r.askingIdle) && r.batches == 0 && ctx.Err() == nil {
			r.cond.Wait()
		}
		r.mu.Unlock()
		return true
	}
	if r.progress != seen {
		r.mu.Unlock()
		return true
	}
	r.askingIdle = true
	r.mu.Unlock()
	more := r.m.Idle != nil && r.m.Idle(ctx)
	r.mu.Lock()
	r.askingIdle = false
	r.progress++ // what Idle did counts: look again before calling it idle
	r.cond.Broadcast()
	r.mu.Unlock()
	if !more {
		r.cancel()
		return false
	}
	return true
}

// gather adds to msgs, the first receive of a batch, what arrives within the batching window,
// until the batch holds BatchSize records or MaxPayload bytes: it receives while messages
// come; when a receive finds none it waits for the rest of the window, then takes what came
// meanwhile. A failed receive ends the gathering with what is in hand.
func (r *run) gather(ctx context.Context, msgs []types.Message) []types.Message {
	end := time.Now().Add(r.m.MaximumBatchingWindow)
	size := payload(msgs)
	waited := false
	for len(msgs) < r.m.BatchSize && size < MaxPayload && ctx.Err() == nil {
		n := min(MaxBatchSize, r.m.BatchSize-len(msgs), max(1, (MaxPayload-size)/maxMessage))
		out, err := r.m.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.m.QueueURL),
			MaxNumberOfMessages:         int32(n),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		r.mu.Lock()
		r.stats.Receives++
		if err == nil && len(out.Messages) == 0 {
			r.stats.EmptyReceives++
		}
		r.mu.Unlock()
		if err != nil {
			break
		}
		if len(out.Messages) > 0 {
			msgs = append(msgs, out.Messages...)
			size += payload(out.Messages)
			continue
		}
		left := time.Until(end)
		if waited || left <= 0 {
			break
		}
		waited = true
		select {
		case <-r.m.After(left):
		case <-ctx.Done():
		}
	}
	return msgs
}

// payload is the bytes of msgs' bodies.
func payload(msgs []types.Message) int {
	n := 0
	for _, m := range msgs {
		n += len(aws.ToString(m.Body))
	}
	return n
}

// process invokes the function with one batch and deletes what succeeded.
func (r *run) process(ctx context.Context, msgs []types.Message) {
	event := Event(msgs, r.m.QueueARN, r.m.Region)
	resp, err := r.m.Function(ctx, event)
	keep := map[string]bool{} // message ids left in the queue
	functionError := err != nil
	if !functionError && r.m.ReportBatchItemFailures {
		ids := map[string]bool{}
		for _, rec := range event.Records {
			ids[rec.MessageId] = true
		}
		for _, f := range resp.BatchItemFailures {
			if !ids[f.ItemIdentifier] {
				// An empty or unknown itemIdentifier fails the whole batch (Lambda's rule).
				functionError = true
				break
			}
			keep[f.ItemIdentifier] = true
		}
	}
	var del []types.DeleteMessageBatchRequestEntry
	if !functionError {
		for i, rec := range event.Records {
			if !keep[rec.MessageId] {
				del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: aws.String(rec.ReceiptHandle)})
			}
		}
	}
	deleted, refused := 0, 0
	for chunk := range slices.Chunk(del, MaxBatchSize) {
		// Deletion is Lambda's own work after a successful invocation: it goes on even when
		// the run is stopping, so a processed record is not delivered twice.
		out, err := r.m.Client.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.m.QueueURL), Entries: chunk})
		if err != nil {
			refused += len(chunk)
		} else {
			deleted, refused = deleted+len(out.Successful), refused+len(out.Failed)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Invocations++
	r.stats.Records += len(msgs)
	if functionError {
		r.stats.FunctionErrors++
		r.stats.Failed += len(msgs)
		return
	}
	r.stats.Deleted += deleted
	r.stats.DeleteFailures += refused
	r.stats.Failed += len(keep)
}

// Event builds the events.SQSEvent Lambda sends for msgs: each record carries the message's
// id, receipt handle, body, its MD5, its system attributes (ApproximateReceiveCount,
// SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp and, from a FIFO queue,
// MessageGroupId, MessageDeduplicationId, SequenceNumber), "aws:sqs", the queue's ARN and
// the Region.
func Event(msgs []types.Message, queueARN, region string) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, msg := range msgs {
		attrs := map[string]string{}
		for k, v := range msg.Attributes {
			attrs[k] = v
		}
		mattrs := map[string]events.SQSMessageAttribute{}
		for k, v := range msg.MessageAttributes {
			mattrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue,
				StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues, DataType: aws.ToString(v.DataType)}
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:              aws.ToString(msg.MessageId),
			ReceiptHandle:          aws.ToString(msg.ReceiptHandle),
			Body:                   aws.ToString(msg.Body),
			Md5OfBody:              aws.ToString(msg.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(msg.MD5OfMessageAttributes),
			Attributes:             attrs,
			MessageAttributes:      mattrs,
			EventSourceARN:         queueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              region,
		})
	}
	return ev
}

// HTTPFunction returns a Function that invokes a function over HTTP as Lambda's Invoke API
// does (POST the event as JSON to invokeURL, such as aws-lambda-rie's
// http://HOST/2015-03-31/functions/function/invocations). An answer carrying "errorType" is
// a function error; any other answer is decoded as an events.SQSEventResponse.
func HTTPFunction(client *http.Client, invokeURL string) Function {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		body, err := json.Marshal(event)
		if err != nil {
			return resp, fmt.Errorf("encode event: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, invokeURL, bytes.NewReader(body))
		if err != nil {
			return resp, fmt.Errorf("invoke: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return resp, fmt.Errorf("invoke: %w", err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			return resp, fmt.Errorf("invoke: read answer: %w", err)
		}
		if res.StatusCode != http.StatusOK {
			return resp, fmt.Errorf("invoke: HTTP %d: %s", res.StatusCode, raw)
		}
		var fail struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		if json.Unmarshal(raw, &fail) == nil && fail.Type != "" {
			return resp, fmt.Errorf("function error %s: %s", fail.Type, fail.Message)
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			return resp, fmt.Errorf("invoke: answer is not an SQSEventResponse: %w: %s", err, raw)
		}
		return resp, nil
	}
}
