package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/enforce/corsconv"
	evsamples "github.com/corsguard/corsguard/events"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/workqueue"
)

// The demo's second part: the same function deployed with its work queue and its findings
// queue, as template.yaml deploys them with Security Hub on. The router turns the scheduled
// sweep into one message per resource on the SQS FIFO queue; emulator/esm plays Lambda's event
// source mappings: it hands batches of ten to the worker (the same handler); a container still
// CREATING goes back to the queue with a delay instead of holding the function; the workers
// hand the findings that changed to the standard findings queue, whose mapping hands them to
// the publisher (the same handler again) up to 100 at a time. A second sweep of the unchanged
// account imports no finding.

const (
	demoQueue         = "corsguard-work.fifo"
	demoFindingsQueue = "corsguard-findings"
	demoNewContainer  = "live-events"
)

// demoQueueResult is what the queue part did, for the test.
type demoQueueResult struct {
	router  *handler.Result
	batches []*handler.Result
	stats   esm.Stats
	// sweeps are the two scheduled sweeps through both queues: the first finds the drift,
	// the second the unchanged account.
	sweeps [2]demoSweep
}

// demoSweep is one scheduled sweep through the work queue and the findings queue.
type demoSweep struct {
	enqueued int
	work     esm.Stats // the work queue's mapping
	publish  esm.Stats // the findings queue's mapping
	// imported is the findings Security Hub accepted during the sweep (the emulator's count
	// of ingestion events).
	imported int
}

// mapping is the event source mapping of the demo's queue: batches of up to ten to the worker h.
func (d *demo) mapping(client *sqs.Client, url string, h *handler.Handler) *esm.Mapping {
	var mu sync.Mutex
	return &esm.Mapping{
		Client: client, QueueURL: url, QueueARN: d.emu.QueueARN(demoQueue), BatchSize: 10, MaximumConcurrency: 1,
		ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			ctx, cancel := context.WithTimeout(d.invocation(ctx, "demo-worker"), 30*time.Second)
			defer cancel()
			start := time.Now()
			resp, res := h.Work(ctx, ev)
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			d.queue.batches = append(d.queue.batches, res)
			if !d.quietBatches {
				d.printBatch(len(d.queue.batches), ev, resp, res, took)
			}
			return resp, nil
		},
		// Nothing deliverable: a message waits out its delay on the queue. The demo waits too,
		// without invoking anything, until the queue is empty.
		Idle: func(ctx context.Context) bool {
			v, inFlight, delayed, _ := d.emu.QueueDepth(demoQueue)
			if v+inFlight+delayed == 0 {
				return false
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(250 * time.Millisecond):
				return true
			}
		},
	}
}

// invocation is ctx with the invocation context Lambda gives the function: its request id and
// its ARN, from which the function takes its account and Region (the findings' too).
func (d *demo) invocation(ctx context.Context, requestID string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID,
		InvokedFunctionArn: "arn:aws:lambda:" + d.emu.Region() + ":" + d.emu.Account() + ":function:corsguard"})
}

// findingsMapping is the findings queue's event source mapping, as template.yaml's
// FindingsQueueMapping: up to 100 messages, a 5 s batching window, PublisherConcurrency
// publishers, each its own function instance (pubs), as Lambda runs concurrent invocations in
// separate execution environments. It stops once the work queue's mapping is done (workDone)
// and the findings queue is empty.
func (d *demo) findingsMapping(client *sqs.Client, url string, pubs chan *handler.Handler, workDone <-chan struct{}) *esm.Mapping {
	return &esm.Mapping{
		Client: client, QueueURL: url, QueueARN: d.emu.QueueARN(demoFindingsQueue), BatchSize: config.FindingsBatch,
		MaximumBatchingWindow: config.FindingsWindow, MaximumConcurrency: config.PublisherConcurrency, ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			p := <-pubs
			defer func() { pubs <- p }()
			ctx, cancel := context.WithTimeout(d.invocation(ctx, "demo-publisher"), 30*time.Second)
			defer cancel()
			resp, _ := p.Work(ctx, ev)
			return resp, nil
		},
		Idle: func(ctx context.Context) bool {
			select {
			case <-workDone:
				v, inFlight, delayed, _ := d.emu.QueueDepth(demoFindingsQueue)
				return v+inFlight+delayed > 0
			case <-ctx.Done():
				return false
			case <-time.After(100 * time.Millisecond):
				return true
			}
		},
	}
}

// instance starts one function instance from env, as a cold start does.
func instance(env map[string]string, awsCfg aws.Config) (*handler.Handler, config.Config, error) {
	return handler.FromEnvironment(func(k string) string { return env[k] }, awsCfg,
		handler.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), handler.WithMetrics(io.Discard))
}

func (d *demo) runQueue(ctx context.Context, awsCfg aws.Config, env map[string]string) error {
	out := d.out
	fmt.Fprintf(out, "\n%s\nPart 2: the same function with its work queue and findings queue (as template.yaml deploys it)\n%s\n", strings.Repeat("═", 96), strings.Repeat("═", 96))
	if err := d.emu.SeedQueue(demoQueue, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330"}); err != nil {
		return err
	}
	if err := d.emu.SeedQueue(demoFindingsQueue, map[string]string{"VisibilityTimeout": "330"}); err != nil {
		return err
	}
	url := d.emu.QueueURL(*awsCfg.BaseEndpoint, demoQueue)
	env = maps.Clone(env)
	env[config.QueueURL] = url
	env[config.FindingsQueueURL] = d.emu.QueueURL(*awsCfg.BaseEndpoint, demoFindingsQueue)
	_, cfg, err := instance(env, awsCfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "CORSGUARD_QUEUE_URL=%s, MaximumConcurrency %d: each worker keeps to %g requests/s per API.\n",
		url, cfg.MaxConcurrency, cfg.Invocation().Rate)
	fmt.Fprintf(out, "CORSGUARD_FINDINGS_QUEUE_URL=%s: the workers hand the findings that changed to this standard\n", env[config.FindingsQueueURL])
	fmt.Fprintf(out, "queue; its mapping hands them to the publisher up to %d at a time (batching window %s).\n", config.FindingsBatch, config.FindingsWindow)
	d.clock.lag.Store(0) // a minute later
	fmt.Fprintln(out, "A minute later: since the last sweep, someone opened live-sports to any origin and created the container "+demoNewContainer+",")
	fmt.Fprintln(out, "and neither event arrived. The next scheduled sweep finds both.")
	if _, err := d.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("live-sports"),
		CorsPolicy: corsconv.ToMediaStore(demoAnyOrigin)}); err != nil {
		return err
	}
	if _, err := d.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(demoNewContainer)}); err != nil {
		return err
	}
	for i := range d.queue.sweeps {
		d.quietBatches = i > 0
		if err := d.queueSweep(ctx, awsCfg, env, i); err != nil {
			return err
		}
	}
	first, second := d.queue.sweeps[0], d.queue.sweeps[1]
	fmt.Fprintf(out, "\nThe next scheduled sweep, new function instances (nothing in memory), the account unchanged:\n")
	fmt.Fprintf(out, "queue     %d messages, %d worker invocations, %d publisher invocations.\n",
		second.enqueued, second.work.Invocations, second.publish.Invocations)
	fmt.Fprintf(out, "findings  %d imported by the first sweep (what changed), %d by the second: Security Hub bills each\n", first.imported, second.imported)
	fmt.Fprintln(out, "          imported finding, so an unchanged account costs no ingestion event however often it is swept.")
	return nil
}

// queueSweep runs the i-th scheduled sweep (i from 0) through both queues: the router's
// invocation, then both mappings until the queues are empty, each sweep by new function
// instances (a sweep finds the function cold, remembering nothing). The first prints each
// worker batch.
func (d *demo) queueSweep(ctx context.Context, awsCfg aws.Config, env map[string]string, i int) error {
	out := d.out
	event, err := evsamples.Sample("scheduled-sweep.json")
	if err != nil {
		return err
	}
	if i > 0 {
		// Each scheduled event has its own id (EventBridge's): the queue's deduplication
		// must not take the next sweep's messages for this one's.
		event = bytes.Replace(event, []byte(`"id": "`), []byte(fmt.Sprintf(`"id": "sweep-%d-`, i+1)), 1)
	}
	h, _, err := instance(env, awsCfg) // the router, then the worker
	if err != nil {
		return err
	}
	pubs := make(chan *handler.Handler, config.PublisherConcurrency)
	for range config.PublisherConcurrency {
		p, _, err := instance(env, awsCfg)
		if err != nil {
			return err
		}
		pubs <- p
	}
	before := d.emu.FindingsIngested()
	rctx, cancel := context.WithTimeout(d.invocation(ctx, fmt.Sprintf("demo-router-%d", i+1)), 30*time.Second)
	res, err := h.Invoke(rctx, event)
	cancel()
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	if res.Queue == nil {
		return fmt.Errorf("the router enqueued nothing: %s", res.Note)
	}
	sw := &d.queue.sweeps[i]
	sw.enqueued = res.Queue.Enqueued
	if i == 0 {
		d.queue.router = res
		fmt.Fprintf(out, "\nevent     events/scheduled-sweep.json -> %s (router)\n", res.Event)
		fmt.Fprintf(out, "queue     %d messages on %s, one per resource (MessageGroupId kind/name), in %d SendMessageBatch calls;\n",
			res.Queue.Enqueued, demoQueue, res.Queue.Calls[workqueue.ActionSendMessage])
		var calls []string
		for _, k := range slices.Sorted(maps.Keys(res.APICalls)) {
			calls = append(calls, fmt.Sprintf("%s %d", k, res.APICalls[k]))
		}
		fmt.Fprintf(out, "          the router read the baseline and listed (%s); the workers reconcile.\n", strings.Join(calls, ", "))
	}
	client := sqs.NewFromConfig(awsCfg)
	started := time.Now()
	workDone := make(chan struct{})
	published := make(chan error, 1)
	go func() {
		var err error
		sw.publish, err = d.findingsMapping(client, env[config.FindingsQueueURL], pubs, workDone).Run(ctx)
		published <- err
	}()
	sw.work, err = d.mapping(client, env[config.QueueURL], h).Run(ctx)
	close(workDone)
	if perr := <-published; err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	sw.imported = d.emu.FindingsIngested() - before
	if i == 0 {
		d.queue.stats = sw.work
		fmt.Fprintf(out, "\nThe queues are empty after %s: %d worker invocations, %d records, %d given back with a delay;\n",
			time.Since(started).Round(100*time.Millisecond), sw.work.Invocations, sw.work.Records, sw.work.Failed)
		fmt.Fprintf(out, "%d publisher invocation(s) imported the %d findings that changed.\n", sw.publish.Invocations, sw.imported)
		fmt.Fprintf(out, "No invocation waited for %s: it was described %d times, once per delivery, and in between its\n",
			demoNewContainer, d.emu.ResourceCalls("DescribeContainer", demoNewContainer))
		fmt.Fprintln(out, "message waited on the queue (ChangeMessageVisibility), costing no function time.")
	}
	return nil
}

// printBatch prints one worker invocation: its records and what became of each.
func (d *demo) printBatch(n int, ev events.SQSEvent, resp events.SQSEventResponse, res *handler.Result, took time.Duration) {
	back := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		back[f.ItemIdentifier] = true
	}
	outcome := map[string]enforce.Entry{}
	for _, e := range res.Entries {
		outcome[string(e.Kind)+"/"+e.Name] = e
	}
	counts := map[string]int{}
	var notes []string
	for _, r := range ev.Records {
		msg, err := workqueue.Decode(r.Body)
		if err != nil {
			counts["unreadable"]++
			continue
		}
		key := string(msg.Kind) + "/" + msg.Name
		switch {
		case msg.Op == workqueue.OpList:
			counts["listing continued"]++
		case back[r.MessageId]:
			counts["given back"]++
			notes = append(notes, fmt.Sprintf("%s: %s, back on the queue after a delay", key, outcome[key].Error))
		default:
			counts[string(outcome[key].Outcome)]++
			if o := outcome[key].Outcome; o == enforce.Remediated {
				notes = append(notes, key+": remediated")
			}
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	fmt.Fprintf(d.out, "worker    batch %d: %d record(s) in %s -> %s\n", n, len(ev.Records), took.Round(time.Millisecond), strings.Join(parts, ", "))
	for _, note := range notes {
		fmt.Fprintf(d.out, "            %s\n", note)
	}
}
