package main

import (
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

// The demo's second part: the same function deployed with its work queue, as template.yaml
// deploys it. The router turns the scheduled sweep into one message per resource on the SQS
// FIFO queue; emulator/esm plays Lambda's event source mapping and hands batches to the worker
// (the same handler); a container still CREATING goes back to the queue with a delay instead
// of holding the function.

const (
	demoQueue        = "corsguard-work.fifo"
	demoNewContainer = "live-events"
)

// demoQueueResult is what the queue part did, for the test.
type demoQueueResult struct {
	router  *handler.Result
	batches []*handler.Result
	stats   esm.Stats
}

// mapping is the event source mapping of the demo's queue: batches of up to ten to the worker h.
func (d *demo) mapping(client *sqs.Client, url string, h *handler.Handler) *esm.Mapping {
	var mu sync.Mutex
	return &esm.Mapping{
		Client: client, QueueURL: url, QueueARN: d.emu.QueueARN(demoQueue), BatchSize: 10, MaximumConcurrency: 1,
		ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			start := time.Now()
			resp, res := h.Work(ctx, ev)
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			d.queue.batches = append(d.queue.batches, res)
			d.printBatch(len(d.queue.batches), ev, resp, res, took)
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

func (d *demo) runQueue(ctx context.Context, awsCfg aws.Config, env map[string]string) error {
	out := d.out
	fmt.Fprintf(out, "\n%s\nPart 2: the same function with its work queue (as template.yaml deploys it)\n%s\n", strings.Repeat("═", 96), strings.Repeat("═", 96))
	if err := d.emu.SeedQueue(demoQueue, map[string]string{"FifoQueue": "true", "VisibilityTimeout": "330"}); err != nil {
		return err
	}
	url := d.emu.QueueURL(*awsCfg.BaseEndpoint, demoQueue)
	env = maps.Clone(env)
	env[config.QueueURL] = url
	h, cfg, err := handler.FromEnvironment(func(k string) string { return env[k] }, awsCfg,
		handler.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), handler.WithMetrics(io.Discard))
	if err != nil {
		return err
	}
	client := sqs.NewFromConfig(awsCfg)
	fmt.Fprintf(out, "CORSGUARD_QUEUE_URL=%s, MaximumConcurrency %d: each worker keeps to %g requests/s per API.\n",
		url, cfg.MaxConcurrency, cfg.Invocation().Rate)
	fmt.Fprintln(out, "Since the last sweep, someone opened live-sports to any origin and created the container "+demoNewContainer+",")
	fmt.Fprintln(out, "and neither event arrived. The next scheduled sweep finds both.")
	if _, err := d.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("live-sports"),
		CorsPolicy: corsconv.ToMediaStore(demoAnyOrigin)}); err != nil {
		return err
	}
	if _, err := d.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(demoNewContainer)}); err != nil {
		return err
	}

	// The router: the schedule's event becomes messages.
	event, err := evsamples.Sample("scheduled-sweep.json")
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	rctx = lambdacontext.NewContext(rctx, &lambdacontext.LambdaContext{AwsRequestID: "demo-router",
		InvokedFunctionArn: "arn:aws:lambda:" + d.emu.Region() + ":" + d.emu.Account() + ":function:corsguard"})
	res, err := h.Invoke(rctx, event)
	cancel()
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	d.queue.router = res
	fmt.Fprintf(out, "\nevent     events/scheduled-sweep.json -> %s (router)\n", res.Event)
	fmt.Fprintf(out, "queue     %d messages on %s, one per resource (MessageGroupId kind/name), in %d SendMessageBatch calls;\n",
		res.Queue.Enqueued, demoQueue, res.Queue.Calls[workqueue.ActionSendMessage])
	var calls []string
	for _, k := range slices.Sorted(maps.Keys(res.APICalls)) {
		calls = append(calls, fmt.Sprintf("%s %d", k, res.APICalls[k]))
	}
	fmt.Fprintf(out, "          the router read the baseline and listed (%s); the workers reconcile.\n", strings.Join(calls, ", "))

	m := d.mapping(client, url, h)
	started := time.Now()
	d.queue.stats, err = m.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThe queue is empty after %s: %d worker invocations, %d records, %d given back with a delay.\n",
		time.Since(started).Round(100*time.Millisecond), d.queue.stats.Invocations, d.queue.stats.Records, d.queue.stats.Failed)
	fmt.Fprintf(out, "No invocation waited for %s: it was described %d times, once per delivery, and in between its\n",
		demoNewContainer, d.emu.ResourceCalls("DescribeContainer", demoNewContainer))
	fmt.Fprintln(out, "message waited on the queue (ChangeMessageVisibility), costing no function time.")
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
