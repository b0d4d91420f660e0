// Package handler is corsguard's Lambda adapter: it routes each EventBridge event (or direct
// invocation) to work for the engine, runs it, and shapes the result into one JSON log line,
// CloudWatch Embedded Metric Format metrics, the function's return value and its error, which
// decides whether Lambda retries the event.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// Runner runs one reconcile; *enforce.Engine satisfies it.
type Runner interface {
	Run(ctx context.Context, w enforce.Work) *enforce.Report
}

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

// FindingsPublisher imports a run's Security Hub findings and archives those a sweep no longer
// finds; *findings.Publisher satisfies it.
type FindingsPublisher interface {
	Publish(ctx context.Context, scope findings.Scope, rep *enforce.Report, cover findings.Coverage) (findings.Result, error)
	ArchiveExcept(ctx context.Context, scope findings.Scope, listed map[policy.Kind][]string) (findings.Result, error)
}

// RunError is the invocation's error when a run left work that a retry can fix: a failure
// marked retryable (throttling or server errors past the SDK's retries, a timeout, a resource
// still busy), a resource not started before the deadline, a baseline or listing that could not
// be read for such a reason. Returning it makes Lambda retry the event and then hand it to the
// on-failure destination. Terminal failures (denied, invalid, a missing or invalid baseline)
// never make one: they are logged at ERROR and counted in the TerminalFailures metric.
type RunError struct {
	Report *enforce.Report
}

// Error says what did not finish, leading with the run's own error when it has one.
func (e *RunError) Error() string {
	r := e.Report
	if !r.Baseline.Valid && r.Baseline.Error != "" && r.Baseline.Retryable {
		return fmt.Sprintf("baseline %s unreadable for now, nothing changed: %s", r.Baseline.Parameter, r.Baseline.Error)
	}
	incomplete := r.Totals[enforce.Failed] > 0 || r.Totals[enforce.NotStarted] > 0
	if r.Error != "" {
		msg := "run failed: " + r.Error
		if incomplete {
			msg += "; " + e.incomplete()
		}
		return msg
	}
	return e.incomplete()
}

// incomplete names the resources that failed or were not started, those a retry can fix first.
func (e *RunError) incomplete() string {
	r := e.Report
	var names []string
	terminal := 0
	for _, e := range r.Entries {
		switch {
		case e.Outcome != enforce.Failed && e.Outcome != enforce.NotStarted:
		case e.Retryable:
			names = append(names, e.Name+" "+string(e.Outcome))
		default:
			terminal++
		}
	}
	const show = 5
	if len(names) > show {
		names = append(names[:show], fmt.Sprintf("and %d more", len(names)-show))
	}
	msg := fmt.Sprintf("run incomplete: %d failed, %d not started: %s",
		r.Totals[enforce.Failed], r.Totals[enforce.NotStarted], strings.Join(names, ", "))
	if terminal > 0 {
		msg += fmt.Sprintf(" (%d of them terminal, not named: a retry cannot fix them)", terminal)
	}
	return msg
}

var _ lambda.Handler = rawHandler{}

// Handler is the Lambda handler. Build it once per cold start with New and pass h.Lambda() to
// lambda.Start; Invoke serves each invocation.
type Handler struct {
	cfg       enforce.Config
	run       Runner
	log       *slog.Logger
	metrics   io.Writer
	namespace string
	region    string
	now       func() time.Time
	// queue and worker are set with a work queue (WithQueue): see queue.go.
	queue  Queue
	worker Worker
	rand   func() float64
	hub    FindingsPublisher
}

// DefaultNamespace is the CloudWatch namespace of the metrics unless WithNamespace sets another.
const DefaultNamespace = "CorsGuard"

// Option changes how New builds a Handler.
type Option func(*Handler)

// WithLogger sets the logger (default lambdacontext.NewLogger(), which follows the function's
// log format and level and adds the request id).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithMetrics sets where EMF documents are written (default os.Stdout, which Lambda sends to
// CloudWatch Logs, where they become metrics).
func WithMetrics(w io.Writer) Option { return func(h *Handler) { h.metrics = w } }

// WithNamespace sets the CloudWatch namespace of the metrics (default DefaultNamespace).
func WithNamespace(ns string) Option { return func(h *Handler) { h.namespace = ns } }

// ours returns ctx carrying the function's own account (from its ARN) for the engine: every S3
// bucket call then sends it as ExpectedBucketOwner.
func (h *Handler) ours(ctx context.Context) context.Context {
	if enforce.Account(ctx) != "" {
		return ctx
	}
	return enforce.WithAccount(ctx, homeOf(ctx, h.region).Account)
}

// WithRegion sets the function's Region (main passes AWS_REGION): the handler acts only on
// events of this Region, and of the account in the invocation context's function ARN. Without
// it every EventBridge event is ignored.
func WithRegion(region string) Option { return func(h *Handler) { h.region = region } }

// withClock sets the clock that stamps the metrics (default time.Now).
func withClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithFindings makes every run import its Security Hub findings through p (CORSGUARD_SECURITY_HUB).
func WithFindings(p FindingsPublisher) Option { return func(h *Handler) { h.hub = p } }

// New returns a Handler that runs work with run, the engine built from cfg. Of cfg it uses
// what routing needs: the targets, the baseline parameters and the mode of events.
func New(cfg enforce.Config, run Runner, opts ...Option) *Handler {
	h := &Handler{cfg: cfg, run: run, metrics: os.Stdout, namespace: DefaultNamespace, now: time.Now, rand: rand.Float64}
	for _, o := range opts {
		o(h)
	}
	if h.log == nil {
		h.log = lambdacontext.NewLogger()
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

// Invoke routes and runs one invocation's input. It returns an error (a *RunError) only when
// retrying the event could help: some failure of the run is retryable (see
// enforce.Report.RetryableFailures). Terminal failures (a missing or invalid baseline, a denied
// call, a bucket in another Region) are logged at ERROR and counted in the TerminalFailures
// metric, which the template alarms on, and the invocation succeeds: Lambda's retries could
// only repeat them. Everything else, including input that is not an event, succeeds.
func (h *Handler) Invoke(ctx context.Context, input json.RawMessage) (*Result, error) {
	ctx = h.ours(ctx)
	mode := h.cfg.Mode
	if mode == "" {
		mode = enforce.DefaultMode
	}
	// The profiles path ends in "/": route takes a profile's parameter under it for a baseline.
	d := route(input, homeOf(ctx, h.region), append(h.cfg.Parameters(), h.cfg.ProfileRules().Path), mode)
	if d.reconciles() && len(d.Work.Containers) == 0 && len(d.Work.Buckets) > 0 && !h.cfg.Enforces(policy.S3) {
		d = ignoref("%s: S3 buckets are not among the targets", d.Work.Reason)
	}
	if d.reconciles() && len(d.Work.Policies) > 0 && !h.cfg.Enforces(policy.CloudFront) {
		d = ignoref("%s: CloudFront response headers policies are not among the targets", d.Work.Reason)
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
	if h.queue != nil && d.Event != Manual {
		return h.enqueue(ctx, d, requestID(input))
	}

	r := h.run.Run(ctx, d.Work)
	if r == nil {
		// The engine always reports; a nil report is a bug that must not pass as success.
		r = &enforce.Report{Mode: d.Work.Mode, Reason: d.Work.Reason, Baseline: enforce.Baseline{
			Parameter: h.cfg.Parameters()[0], Error: "the engine returned no report"}}
	}
	var err error
	if r.RetryableFailures() > 0 {
		err = &RunError{Report: r}
	}
	res := &Result{Event: d.Event, Report: r}
	var ferr error
	if h.hub != nil {
		// A sweep lists here: it covers the targets, and archives what it no longer finds.
		var cover findings.Coverage
		if sweepsAll(d.Work) {
			cover = h.cfg.Targets
		}
		res.SecurityHub, ferr = h.publish(ctx, r, cover, nil)
		if enforce.Retryable(ferr) {
			// The run is idempotent: Lambda's retry runs it again and imports again.
			err = errors.Join(err, fmt.Errorf("security hub findings: %w", ferr))
		}
		// Security Hub not enabled, or denied: counted in TerminalFailures (alarmed), not retried.
	}
	h.emit(ctx, r.Mode, countFindingsFailure(reportMetrics(r, err != nil), ferr))
	h.summarize(ctx, d, r, err)
	return res, err
}

// publish imports the run's findings for the function's own account and Region, read from the
// invocation's function ARN, and, for the kinds in cover (those a sweep listed here), archives
// the findings of resources the run no longer produces. With archive set it only archives:
// the work queue's router has listed, not reconciled, and listed is its whole view.
func (h *Handler) publish(ctx context.Context, r *enforce.Report, cover findings.Coverage, listed map[policy.Kind][]string) (*findings.Result, error) {
	scope, ok := h.invocationScope(ctx)
	if !ok {
		err := enforce.Terminal(errors.New("no invoked function ARN in the invocation context: the findings' account is unknown"))
		h.log.ErrorContext(ctx, "security hub findings not imported", slog.String("error", err.Error()))
		return nil, err
	}
	var res findings.Result
	var err error
	if listed != nil {
		res, err = h.hub.ArchiveExcept(ctx, scope, listed)
	} else {
		res, err = h.hub.Publish(ctx, scope, r, cover)
	}
	attrs := []slog.Attr{slog.String("product_arn", scope.ProductARN()), slog.Int("imported", res.Imported),
		slog.Int("archived", res.Archived), slog.Any("failed", res.Failed)}
	switch {
	case err != nil:
		h.log.LogAttrs(ctx, slog.LevelError, "security hub findings not imported",
			append(attrs, slog.String("error", err.Error()), slog.Bool("retryable", enforce.Retryable(err)))...)
	case len(res.Failed) > 0:
		h.log.LogAttrs(ctx, slog.LevelError, "security hub refused findings", attrs...)
	default:
		h.log.LogAttrs(ctx, slog.LevelInfo, "security hub findings imported", attrs...)
	}
	return &res, err
}

// countFindingsFailure adds a terminal findings failure to the run's TerminalFailures metric.
func countFindingsFailure(ms []metric, ferr error) []metric {
	if ferr == nil || enforce.Retryable(ferr) {
		return ms
	}
	for i := range ms {
		if ms[i].Name == MetricTerminalFailures {
			ms[i].Value++
		}
	}
	return ms
}

// invocationScope is the function's home as the findings' scope: the account and partition of
// the invoked function's ARN, and the function's Region, where its clients call Security Hub.
func (h *Handler) invocationScope(ctx context.Context) (findings.Scope, bool) {
	home := homeOf(ctx, h.region)
	if home.Account == "" || home.Region == "" {
		return findings.Scope{}, false
	}
	return findings.Scope{Partition: home.Partition, Region: home.Region, Account: home.Account}, true
}

// sweepsAll reports whether w names no resource of any kind, and so asks for all of them.
func sweepsAll(w enforce.Work) bool {
	return len(w.Containers) == 0 && len(w.Buckets) == 0 && len(w.Policies) == 0
}

func (h *Handler) emit(ctx context.Context, mode enforce.Mode, ms []metric) {
	doc, err := emf(h.namespace, mode, h.now(), ms)
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
func (h *Handler) summarize(ctx context.Context, d decision, r *enforce.Report, err error, extra ...slog.Attr) {
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
		slog.Any("totals", totals(r)),
		slog.Any("notable", notable),
		slog.Bool("baseline_changed_during_run", r.BaselineChangedDuringRun),
		slog.Any("api_calls", r.APICalls),
		slog.Int64("duration_ms", r.Duration.Milliseconds()),
		slog.Bool("succeeded", r.Succeeded),
		slog.Int("retryable_failures", r.RetryableFailures()),
		slog.Int("terminal_failures", r.TerminalFailures()),
		slog.Any("notes", r.Notes),
	}
	level := slog.LevelInfo
	if err != nil || r.TerminalFailures() > 0 {
		level = slog.LevelError
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.log.LogAttrs(ctx, level, "run finished", append(attrs, extra...)...)
}

// totals has every outcome, zeros included, so that a log query can rely on each key.
func totals(r *enforce.Report) map[enforce.Outcome]int {
	t := make(map[enforce.Outcome]int, len(enforce.Outcomes()))
	for _, o := range enforce.Outcomes() {
		t[o] = r.Totals[o]
	}
	return t
}
