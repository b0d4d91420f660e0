// Package handler is corsguard's Lambda adapter: it decodes the function's payloads (an
// EventBridge event, a direct invocation, or an SQS batch of the work queue), hands them to the
// controller (package controller decides the mode, the path and each message's fate), and
// shapes the result into one JSON log line, CloudWatch Embedded Metric Format metrics, the
// function's return value (a batch's item failures) and its error, which decides whether Lambda
// retries the event. Wire builds the whole function from its configuration and an aws.Config:
// the one wiring of the Lambda's main, the demo, the bench and the tests.
package handler

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/controller"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/router"
)

// Event names what an invocation asked of corsguard (router.Event: the router tells them apart).
type Event = router.Event

// The events the router tells apart, and the work queue's batches (WorkBatch).
const (
	ContainerCreated = router.ContainerCreated
	BucketCreated    = router.BucketCreated
	CorsChanged      = router.CorsChanged
	BaselineChanged  = router.BaselineChanged
	BaselineDeleted  = router.BaselineDeleted
	ResourceDeleted  = router.ResourceDeleted
	Sweep            = router.Sweep
	Manual           = router.Manual
	Ignored          = router.Ignored
)

// Result is the function's return value: what the event was taken for and, when the engine
// ran, its Report (whose fields appear at the top level of the JSON).
type Result struct {
	Event Event `json:"event"`
	// Note says why an event was ignored, or that a deleted baseline changed nothing.
	Note string `json:"note,omitempty"`
	// SecurityHub is what the run's findings did, when findings are on.
	SecurityHub *findings.Result `json:"security_hub,omitempty"`
	*enforce.Report
	// Queue says what the invocation did with the work queue, when there is one.
	Queue *QueueResult `json:"queue,omitempty"`
}

// RunError is the invocation's error when a run left work that a retry can fix (see
// controller.RunError): Lambda then retries the event. Terminal failures never make one.
type RunError = controller.RunError

var _ lambda.Handler = rawHandler{}

// Handler is the Lambda handler. Build it once per cold start with New and pass h.Lambda() to
// lambda.Start; Invoke serves EventBridge events and direct invocations, Work the work queue's
// batches. It only adapts payloads: the controller decides.
type Handler struct {
	cfg       enforce.Config
	run       controller.Runner
	worker    controller.Engine
	log       *slog.Logger
	metrics   io.Writer
	namespace string
	region    string
	clock     clock.Clock    // the function's one clock (see withClock)
	rand      func() float64 // the function's one source of jitter (see withRand)
	queue     Queue
	hub       controller.Publisher
	stale     time.Duration
	ctl       *controller.Controller
	// home is the function's own queue (with a queue); homeErr why it is unknown.
	home    controller.Home
	homeErr error
	// findingsQueue is the findings queue, findingsHome its ARN's parts.
	findingsQueue FindingsQueue
	findingsHome  controller.Home
}

// Option changes how New builds a Handler.
type Option func(*Handler)

// WithLogger sets the logger (default lambdacontext.NewLogger(), which follows the function's
// log format and level and adds the request id).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithMetrics sets where EMF documents are written (default os.Stdout, which Lambda sends to
// CloudWatch Logs, where they become metrics).
func WithMetrics(w io.Writer) Option { return func(h *Handler) { h.metrics = w } }

// WithNamespace sets the CloudWatch namespace of the metrics (default config.DefaultNamespace).
func WithNamespace(ns string) Option { return func(h *Handler) { h.namespace = ns } }

// ours returns ctx carrying the function's own account (from its ARN) for the engine: every S3
// bucket call then sends it as ExpectedBucketOwner.
func (h *Handler) ours(ctx context.Context) context.Context {
	if enforce.Account(ctx) != "" {
		return ctx
	}
	return enforce.WithAccount(ctx, router.HomeOf(ctx, h.region).Account)
}

// WithRegion sets the function's Region (main passes AWS_REGION): the handler acts only on
// events of this Region, and of the account in the invocation context's function ARN. Without
// it every EventBridge event is ignored.
func WithRegion(region string) Option { return func(h *Handler) { h.region = region } }

// withClock sets the function's one clock (default the wall clock): it stamps the metrics and
// times the controller (the work queue's listing, the router's stamps, deadlines), and Wire
// gives it to the engine (backoff, deadlines, durations) and the findings publisher (UpdatedAt,
// its rate waits) it builds. Only tests set another.
func withClock(c clock.Clock) Option { return func(h *Handler) { h.clock = c } }

// WithFindings makes every run import its Security Hub findings through p (CORSGUARD_SECURITY_HUB).
func WithFindings(p controller.Publisher) Option { return func(h *Handler) { h.hub = p } }

// WithStaleFindings makes every sweep archive corsguard's active findings that no run updated
// for d (CORSGUARD_FINDINGS_STALE_AFTER); 0 never does.
func WithStaleFindings(d time.Duration) Option { return func(h *Handler) { h.stale = d } }

// withRand sets the function's one source of jitter, uniform in [0, 1) (default math/rand/v2's
// Float64): the controller's retry delays, and the engine's and the findings publisher's that
// Wire builds.
func withRand(r func() float64) Option { return func(h *Handler) { h.rand = r } }

// New returns a Handler that runs work with run, the engine built from cfg. Of cfg it uses
// what routing and the controller need: the targets, the baseline parameters, the mode, the
// margin and the backoff of messages given back.
func New(cfg enforce.Config, run controller.Runner, opts ...Option) *Handler {
	h := withOptions(opts)
	h.cfg, h.run = cfg, run
	if h.log == nil {
		h.log = lambdacontext.NewLogger()
	}
	cc := controller.Config{Mode: cfg.Mode, Margin: cfg.Margin, BackoffBase: cfg.BackoffBase, BackoffCap: cfg.BackoffCap,
		StaleFindings: h.stale, Log: h.log, Rand: h.rand, Clock: h.clock}
	if h.queue != nil {
		cc.Queue, cc.Worker = h.queue, h.worker
		h.home, h.homeErr = controller.QueueHome(h.queue.URL(), h.region)
		if h.homeErr != nil {
			// Every record would then be another queue's: said once, at the cold start.
			h.log.Error("the work queue's own ARN is unknown: no record will be acted on", slog.String("error", h.homeErr.Error()))
		}
	}
	if h.hub != nil {
		cc.Findings = h.hub
	}
	if h.hub != nil && h.queue != nil && h.findingsQueue != nil {
		var err error
		if h.findingsHome, err = controller.QueueHome(h.findingsQueue.URL(), h.region); err != nil {
			// No record would be the findings queue's, and findings handed over would never be
			// imported: the workers keep importing their own instead.
			h.log.Error("the findings queue's own ARN is unknown: the workers import their findings themselves", slog.String("error", err.Error()))
			h.findingsQueue = nil
		} else {
			cc.Handoff = h.findingsQueue
		}
	} else {
		h.findingsQueue = nil
	}
	h.ctl = controller.New(run, cc)
	return h
}

// withOptions returns a Handler with its defaults and opts applied.
func withOptions(opts []Option) *Handler {
	h := &Handler{metrics: os.Stdout, namespace: config.DefaultNamespace, clock: clock.Real{}, rand: rand.Float64}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Lambda returns h as the lambda.Handler to pass to lambda.Start. It takes the raw payload, so
// that input that is not JSON is logged and ignored like any other unusable event (a retry
// could not help) instead of failing in aws-lambda-go's decoder, and it returns Invoke's Result
// as JSON.
func (h *Handler) Lambda() lambda.Handler { return rawHandler{h} }

type rawHandler struct{ h *Handler }

func (r rawHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if r.h.queue != nil {
		if ev, ok := sqsEvent(payload); ok {
			resp, _ := r.h.Work(ctx, ev)
			return json.Marshal(resp)
		}
	}
	res, err := r.h.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return out, nil
}

// Invoke is the entry point of EventBridge events and direct invocations: it routes the input
// and hands the request to the controller (see controller.Serve for the mode and path rules).
// It returns an error (a *RunError) only when retrying the event could help. Terminal failures
// (a missing or invalid baseline, a denied call, a kind that cannot be listed) are logged at
// ERROR and counted in the TerminalFailures metric, which the template alarms on, and the
// invocation succeeds: Lambda's retries could only repeat them. Everything else, including
// input that is not an event, succeeds.
func (h *Handler) Invoke(ctx context.Context, input json.RawMessage) (*Result, error) {
	ctx = h.ours(ctx)
	mode := cmp.Or(h.cfg.Mode, enforce.DefaultMode)
	// The profiles path ends in "/": route takes a profile's parameter under it for a baseline.
	d := router.Route(input, router.HomeOf(ctx, h.region), append(h.cfg.Parameters(), h.cfg.ProfileRules().Path), mode).Targeted(h.cfg.Enforces)
	if d.Event == ResourceDeleted {
		return h.archive(ctx, d)
	}
	switch d.Event {
	case Ignored:
		h.log.InfoContext(ctx, "event ignored", slog.String("event", string(d.Event)), slog.String("note", d.Note))
		return &Result{Event: d.Event, Note: d.Note}, nil
	case BaselineDeleted:
		h.emit(ctx, mode, []metric{{MetricBaselineDeleted, 1}})
		h.log.ErrorContext(ctx, "baseline deleted", slog.String("event", string(d.Event)),
			slog.String("parameter", d.Parameter), slog.String("note", d.Note))
		return &Result{Event: d.Event, Note: d.Note}, nil
	}
	res := h.ctl.Serve(ctx, controller.Request{Work: d.Work, ID: requestID(ctx, input), Direct: d.Event == Manual, Scope: h.scope(ctx),
		Changed: d.Changed})
	out := h.finish(ctx, d, res)
	if res.Err != nil {
		return out, res.Err
	}
	return out, nil
}

// archive serves a delete event: the resource's finding is archived at once, on the router's
// path as on the in-process one (no resource read, nothing to order on the queue), when it is
// of a target kind, findings are on and the selector takes it. Otherwise nothing is called.
func (h *Handler) archive(ctx context.Context, d router.Decision) (*Result, error) {
	g := d.Gone
	note := ""
	switch {
	case !h.cfg.Enforces(g.Kind):
		note = fmt.Sprintf("%s: %s is not among the targets: no finding of it to archive", d.Work.Reason, g.Kind)
	case h.hub == nil:
		note = d.Work.Reason + ": Security Hub findings are off: nothing to archive"
	case g.Name != "" && !h.cfg.Selects(g.Kind, g.Name):
		note = fmt.Sprintf("%s: the selector leaves %s out: its finding is not corsguard's to archive", d.Work.Reason, g.Name)
	}
	if note != "" {
		h.log.InfoContext(ctx, "event ignored", slog.String("event", string(d.Event)), slog.String("note", note))
		return &Result{Event: d.Event, Note: note}, nil
	}
	res := h.ctl.Archive(ctx, controller.Deletion{Gone: g, Reason: d.Work.Reason, Scope: h.scope(ctx), Selects: h.cfg.Selects})
	return h.finish(ctx, d, res), res.Err
}

// finish ends every invocation the controller served: its metrics and its one summary line.
func (h *Handler) finish(ctx context.Context, d router.Decision, res *controller.Result) *Result {
	r := res.Report
	ms := reportMetrics(r, res.Err != nil)
	if res.Queue != nil && res.Queue.Foreign > 0 {
		ms = append(ms, metric{MetricForeignRecords, float64(res.Queue.Foreign)})
	}
	if hub := res.SecurityHub; hub != nil {
		failed := len(hub.Failed)
		if hub.Error != "" {
			failed++
		}
		ms = append(ms, metric{MetricFindingsFailed, float64(failed)})
		if failed > 0 {
			// Alarmed through TerminalFailures: no retry of the invocation is made for it.
			for i := range ms {
				if ms[i].Name == MetricTerminalFailures {
					ms[i].Value++
				}
			}
		}
	}
	h.emit(ctx, r.Mode, ms)
	var extra []slog.Attr
	if res.Queue != nil {
		extra = append(extra, slog.Any("queue", res.Queue))
	}
	if res.SecurityHub != nil {
		extra = append(extra, slog.Any("security_hub", res.SecurityHub))
	}
	h.summarize(ctx, d, r, res.Err, extra...)
	return &Result{Event: d.Event, Report: r, Queue: res.Queue, SecurityHub: res.SecurityHub}
}

// scope is the function's home as the findings' scope: the account and partition of the
// invoked function's ARN, and the function's Region, where its clients call Security Hub. The
// zero Scope when the account is unknown: then no finding is imported.
func (h *Handler) scope(ctx context.Context) findings.Scope {
	home := router.HomeOf(ctx, h.region)
	if home.Account == "" || home.Region == "" {
		return findings.Scope{}
	}
	return findings.Scope{Partition: home.Partition, Region: home.Region, Account: home.Account}
}

func (h *Handler) emit(ctx context.Context, mode enforce.Mode, ms []metric) {
	doc, err := emf(h.namespace, mode, h.clock.Now(), ms)
	if err == nil {
		_, err = h.metrics.Write(doc)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "metrics not written", slog.String("error", err.Error()))
	}
}

// entrySummary is an entry that needs a reader's attention in the summary line.
type entrySummary struct {
	Name      string          `json:"name"`
	Outcome   enforce.Outcome `json:"outcome"`
	Error     string          `json:"error,omitempty"`
	Changes   int             `json:"changes,omitempty"`
	Retryable bool            `json:"retryable,omitempty"`
	// Profile is the baseline the resource was held to (docs/profiles.md).
	Profile *enforce.EntryProfile `json:"profile,omitempty"`
}

// summarize writes the invocation's one summary line: totals always, the run's own error
// (run_error, empty when none), the number of resources (containers and buckets), and those
// that were written, drifted, failed or not
// started.
func (h *Handler) summarize(ctx context.Context, d router.Decision, r *enforce.Report, err error, extra ...slog.Attr) {
	var notable []entrySummary
	for _, e := range r.Entries {
		switch e.Outcome {
		case enforce.Remediated, enforce.Drifted, enforce.Failed, enforce.NotStarted:
			notable = append(notable, entrySummary{Name: e.Name, Outcome: e.Outcome, Error: e.Error, Changes: len(e.Diff), Retryable: e.Retryable, Profile: e.Profile})
		}
	}
	attrs := []slog.Attr{
		slog.String("event", string(d.Event)),
		slog.String("reason", r.Reason),
		slog.String("mode", string(r.Mode)),
		slog.Group("baseline",
			slog.String("parameter", r.Baseline.Parameter),
			slog.Int64("version", r.Baseline.Version),
			slog.Bool("valid", r.Baseline.Valid),
			slog.String("error", r.Baseline.Error)),
		slog.Any("profiles", r.Profiles),
		slog.String("run_error", r.Error),
		slog.Int("resources", len(r.Entries)),
		slog.Any("totals", r.Totals),
		slog.Any("notable", notable),
		slog.Bool("baseline_changed_during_run", r.BaselineChangedDuringRun),
		slog.Any("api_calls", r.APICalls),
		slog.Int64("duration_ms", r.Duration.Milliseconds()),
		slog.Bool("succeeded", r.Succeeded),
		slog.Int("retryable_failures", r.RetryableFailures()),
		slog.Int("terminal_failures", r.TerminalFailures()),
		slog.Any("notes", r.Notes),
		slog.Any("kind_errors", r.KindErrors),
		// The execution environment (Lambda gives each its own log stream): baseline reads are
		// one per instance per version, and the bench counts instances by it.
		slog.String("instance", lambdacontext.LogStreamName),
	}
	if len(r.Stamps) > 0 {
		attrs = append(attrs, slog.Any("stamps", r.Stamps)) // what the router stamped
	}
	level := slog.LevelInfo
	if err != nil || r.TerminalFailures() > 0 || !r.Succeeded {
		level = slog.LevelError
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.log.LogAttrs(ctx, level, "run finished", append(attrs, extra...)...)
}
