package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// CreatingCost is what one design spent on a container that stayed CREATING for T, from its
// creation event to the container holding the baseline.
type CreatingCost struct {
	Design   string        // "in-process" or "queue"
	Creating time.Duration // T
	// Invocations of the function: the in-process engine's runs (Lambda retries a run that
	// gave up), or the router's one plus the workers' receives.
	Invocations int
	// FunctionTime is the time the invocations held the function: in-process, the simulated
	// time the engine spent in its runs (its backoff sleeps move the simulated clock); on the
	// queue, the real time each handler call took (the waits are the message's visibility
	// delay, in no invocation).
	FunctionTime time.Duration
	Converged    bool
}

// Ratio is the function time ÷ T.
func (c CreatingCost) Ratio() float64 { return c.FunctionTime.Seconds() / c.Creating.Seconds() }

// WaitWhileCreating measures both designs for each of the CREATING times, on the emulator's
// manual clock, so minutes of CREATING take seconds. seed makes the jitter reproducible.
func WaitWhileCreating(ctx context.Context, creating []time.Duration, seed uint64) ([]CreatingCost, error) {
	var rows []CreatingCost
	for i, t := range creating {
		in, err := creatingInProcess(ctx, t, seed+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("in-process, CREATING %v: %w", t, err)
		}
		q, err := creatingOnTheQueue(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("queue, CREATING %v: %w", t, err)
		}
		rows = append(rows, in, q)
	}
	return rows, nil
}

const creatingContainer = "live-news"

// holdsBaseline reports whether the container is ACTIVE with the baseline policy.
func holdsBaseline(a *Account, name string) bool {
	c, ok := a.Container(name)
	if !ok || c.Status != "ACTIVE" {
		return false
	}
	p, err := policy.Parse(c.CorsPolicy)
	return err == nil && policy.Equal(p, baseline())
}

// creatingInProcess is today's path (direct invocations, the CLI, no queue): the engine waits
// with full-jitter backoff inside the invocation. A run that gives up before the deadline is
// run again, as Lambda retries its event.
func creatingInProcess(ctx context.Context, t time.Duration, seed uint64) (CreatingCost, error) {
	clk := clock.NewManual(time.Now())
	a, err := startWithBaseline(ctx, emulator.WithClock(clk), emulator.WithCreatingDuration(t))
	if err != nil {
		return CreatingCost{}, err
	}
	defer a.Close()
	ms, params := a.Clients()
	rnd := &lockedRand{r: rand.New(rand.NewPCG(seed, uint64(t)))}
	engine, err := enforce.New(enforce.Config{Parameter: BaselineParam, Rate: math.Inf(1), Clock: clk, Rand: rnd.float64}, params, enforce.MediaStore(ms))
	if err != nil {
		return CreatingCost{}, err
	}
	if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(creatingContainer)}); err != nil {
		return CreatingCost{}, err
	}
	res := CreatingCost{Design: "in-process", Creating: t}
	for res.Invocations < 3 && !res.Converged { // Lambda's asynchronous invocation: 1 + 2 retries
		res.Invocations++
		began := clk.Now()
		runCtx, cancel := context.WithDeadline(ctx, began.Add(LambdaTimeout))
		engine.Run(runCtx, enforce.Work{Containers: []string{creatingContainer}, Mode: enforce.ModeEnforce, Reason: "creation event"})
		cancel()
		res.FunctionTime += clk.Now().Sub(began)
		res.Converged = holdsBaseline(a, creatingContainer)
	}
	return res, nil
}

// creatingOnTheQueue is the work queue: the router enqueues the creation event's container, a
// worker fails the busy record and gives it back with the full-jitter delay (5 s floor), and
// the simulated clock moves 5 s whenever no message is deliverable.
func creatingOnTheQueue(ctx context.Context, t time.Duration) (CreatingCost, error) {
	clk := clock.NewManual(time.Now())
	a, err := startWithBaseline(ctx, emulator.WithClock(clk), emulator.WithCreatingDuration(t))
	if err != nil {
		return CreatingCost{}, err
	}
	defer a.Close()
	ms, _ := a.Clients()
	env, err := a.queueEnv(map[string]string{config.BaselineParameter: BaselineParam, config.Targets: "mediastore", config.Rate: "1000"}, 2)
	if err != nil {
		return CreatingCost{}, err
	}
	url := env[config.QueueURL]
	// One instance serves as router and worker: the same binary, one execution environment.
	h, err := a.function(env, io.Discard)
	if err != nil {
		return CreatingCost{}, err
	}
	if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(creatingContainer)}); err != nil {
		return CreatingCost{}, err
	}
	res := CreatingCost{Design: "queue", Creating: t, Invocations: 1}
	var mu sync.Mutex
	lctx := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "bench-creating",
		InvokedFunctionArn: "arn:aws:lambda:" + Region + ":" + a.Account() + ":function:corsguard"})
	event := fmt.Sprintf(`{"version":"0","id":"bench-creating","detail-type":"MediaStore Container State Change","source":"aws.mediastore",`+
		`"account":%q,"region":%q,"resources":["arn:aws:mediastore:%s:%s:container/%s"],"detail":{"ContainerName":%q,"Operation":"CREATE"}}`,
		a.Account(), Region, Region, a.Account(), creatingContainer, creatingContainer)
	began := time.Now()
	out, err := h.Invoke(lctx, []byte(event))
	res.FunctionTime += time.Since(began)
	if err != nil {
		return CreatingCost{}, fmt.Errorf("router: %w", err)
	}
	if out.Queue == nil || out.Queue.Enqueued != 1 {
		return CreatingCost{}, fmt.Errorf("router enqueued %+v: %s", out.Queue, out.Note)
	}
	waited := time.Duration(0)
	m := &esm.Mapping{
		Client: sqs.NewFromConfig(a.config()), QueueURL: url, QueueARN: a.QueueARN(benchQueue), BatchSize: 10,
		MaximumConcurrency: 2, ReportBatchItemFailures: true,
		Function: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			ctx, cancel := context.WithTimeout(ctx, LambdaTimeout)
			defer cancel()
			began := time.Now()
			resp, _ := h.Work(ctx, ev)
			mu.Lock()
			res.FunctionTime += time.Since(began)
			mu.Unlock()
			return resp, nil
		},
		// Nothing deliverable: the message waits out its delay while the container is created.
		Idle: func(context.Context) bool {
			if holdsBaseline(a, creatingContainer) || waited > 3*t+time.Minute {
				return false
			}
			clk.Advance(5 * time.Second)
			waited += 5 * time.Second
			return true
		},
	}
	stats, err := m.Run(ctx)
	if err != nil {
		return CreatingCost{}, err
	}
	res.Invocations += stats.Invocations
	res.Converged = holdsBaseline(a, creatingContainer)
	return res, nil
}
