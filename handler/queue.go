package handler

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/corsguard/corsguard/controller"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/router"
	"github.com/corsguard/corsguard/workqueue"
)

// With a work queue (CORSGUARD_QUEUE_URL), one function plays two roles:
//
//	router  EventBridge events, schedules and direct enforce invocations: the controller
//	        checks each kind's baseline, then puts one message per item on the SQS FIFO work
//	        queue (a sweep lists page by page, and carries a listing that outlasts the
//	        invocation on through the queue)
//	worker  SQS batches from the event source mapping: the controller reconciles each
//	        message's item, decides each message, and the handler returns the partial batch
//	        response
//
// A direct audit ({"action":"audit"}) reconciles in-process and answers with its report.

// WorkBatch is the Event of a worker invocation: a batch of messages from the work queue's
// event source mapping.
const WorkBatch Event = "work_batch"

// FindingsBatch is the Event of a publisher invocation: a batch of messages from the findings
// queue's event source mapping.
const FindingsBatch Event = "findings_batch"

// FindingsQueue is the findings queue as the handler uses it; *findings.Outbox satisfies it.
type FindingsQueue interface {
	controller.Handoff
	// URL is the queue's URL: its path names the account and the queue whose records alone
	// the publisher acts on.
	URL() string
}

var _ FindingsQueue = (*findings.Outbox)(nil)

// WithFindingsQueue makes the workers hand their findings to q instead of importing them, and
// makes the handler the publisher of the batches q's event source mapping delivers (with
// WithFindings, which imports them, and WithQueue: only workers hand findings over).
func WithFindingsQueue(q FindingsQueue) Option {
	return func(h *Handler) { h.findingsQueue = q }
}

// Queue is the work queue as the handler uses it; *workqueue.Queue satisfies it.
type Queue interface {
	controller.Queue
	// URL is the queue's URL: its path names the account and the queue, whose records alone
	// the worker acts on.
	URL() string
}

var _ Queue = (*workqueue.Queue)(nil)

// Worker is what the router and the worker need of the engine; *enforce.Engine satisfies it.
type Worker = controller.Engine

// QueueResult is what an invocation did with the work queue.
type QueueResult = controller.QueueResult

// WithQueue makes the handler route events and schedules onto q and reconcile the batches q's
// event source mapping delivers with w (the engine).
func WithQueue(q Queue, w Worker) Option {
	return func(h *Handler) { h.queue, h.worker = q, w }
}

// requestID returns the id that makes this request's messages distinct from any other
// request's: the EventBridge event's id (the same on Lambda's retries of the same event, so a
// retry is deduplicated; different for every later event or sweep); for a direct invocation,
// which has none, Lambda's request id (kept on the retries of an asynchronous invocation), so
// that an operator's second {"action":"enforce"} is never dropped as a duplicate of the first.
func requestID(ctx context.Context, input []byte) string {
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(input, &e) // route has decoded it already
	if e.ID != "" {
		return e.ID
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	// Neither: the same payload is the same request.
	return workqueue.Reconcile("", string(input), "", "", "").DeduplicationID()
}

// sqsEvent returns the payload as an SQS event when it is one (every record from aws:sqs).
func sqsEvent(payload []byte) (events.SQSEvent, bool) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) == 0 {
		return ev, false
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" {
			return ev, false
		}
	}
	return ev, true
}

// Work is the entry point of SQS batches: a batch whose first record comes from the findings
// queue (WithFindingsQueue) goes to the publisher (controller.Publish), any other to the
// worker (controller.Work), which reconciles the items and decides each message. Either acts
// only on the records of its own queue. Work returns the messages to give back (the partial
// batch response) with what it did (the Lambda handler answers with the first; the demo prints
// the second). The invocation itself never fails: a function error would hand the whole batch
// back.
func (h *Handler) Work(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, *Result) {
	ctx = h.ours(ctx)
	batch := controller.Batch{Scope: h.scope(ctx)}
	for _, m := range ev.Records {
		n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		batch.Deliveries = append(batch.Deliveries, controller.Delivery{ID: m.MessageId, Receipt: m.ReceiptHandle,
			Group: m.Attributes["MessageGroupId"], Source: m.EventSourceARN, Receives: n, Body: m.Body})
	}
	var failures []string
	var res *controller.Result
	event := WorkBatch
	if h.findingsQueue != nil && len(ev.Records) > 0 && h.findingsHome.Owns(ev.Records[0].EventSourceARN) {
		event = FindingsBatch
		failures, res = h.ctl.Publish(ctx, h.findingsHome, batch)
	} else {
		failures, res = h.ctl.Work(ctx, h.home, batch)
	}
	var resp events.SQSEventResponse
	for _, id := range failures {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	out := h.finish(ctx, router.Decision{Event: event}, res)
	return resp, out
}
