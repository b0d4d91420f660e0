// Package enforce is corsguard's reconciler: it reads the baseline, finds the matching
// resources, and makes each one's CORS policy equal to the baseline (or, in audit mode, reports
// how it differs), with backoff while a resource is being created, bounded workers, a shared
// request rate and the Lambda deadline. Events only say what to look at; the truth is always
// read back from AWS, so running it twice is harmless.
//
// One resource is reconciled with the fewest calls that decide it, in this order:
//
//  1. status: from the listing in a sweep, DescribeContainer for a named target. CREATING
//     waits with full-jitter exponential backoff until ACTIVE; DELETING or not found is gone.
//  2. GetCorsPolicy (CorsPolicyNotFoundException: no policy). Equal to the baseline:
//     compliant, and nothing else is called.
//  3. Only a drifted resource has its tags read: the exemption tag makes it exempt.
//  4. audit: drifted, with the diff; enforce: PutCorsPolicy, remediated, with the diff.
//
// Those are MediaStore's calls; every store takes the same steps with its service's own.
// Step 3 comes after step 2, so that a compliant resource is reported
// compliant even when it is exempt, and a sweep of compliant resources costs one listing per
// 100 and one GetCorsPolicy each. ContainerInUseException backs off like CREATING; throttling
// and server errors are retried by the SDK's retryer (see internal/wiring/awsclient). Every HTTP
// attempt waits for a token of its operation's rate limit, shared by all workers. No resource
// starts that the context's deadline, less a margin, leaves too little time for; those
// are not_started, and the run fails so that it is retried.
//
// An Engine has one Store per kind of resource (MediaStore containers, Amazon S3 buckets,
// CloudFront response headers policies, Lambda function URLs, API Gateway HTTP APIs), and a
// sweep covers all of them in one run, on the same workers, rate limits and deadline. With the
// work queue the engine also reconciles one queued message at a time (Reconcile, queue.go):
// a busy resource is then not waited for but returned as a *BusyError with its delay, for the
// controller to give the message back. S3 buckets take the same steps with ListBuckets (filtered to the function's
// Region), GetBucketCors (NoSuchCORSConfiguration: no policy), GetBucketTagging (NoSuchTagSet:
// no tags) and PutBucketCors; a bucket has no CREATING state, S3's OperationAborted backs off
// like ContainerInUseException, and NoSuchBucket is gone. Each kind validates its baseline
// with its own service's rules (policy.Validate): a baseline with POST is refused for
// containers, which are then not touched, and enforced on buckets.
package enforce

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/corsguard/corsguard/policy"
)

// Mode says whether a run repairs drift or only reports it.
type Mode string

const (
	// ModeEnforce writes the baseline where a resource drifted.
	ModeEnforce Mode = "enforce"
	// ModeAudit only reports what would change.
	ModeAudit Mode = "audit"
)

// ParseMode returns the Mode named by s.
func ParseMode(s string) (Mode, bool) {
	switch m := Mode(s); m {
	case ModeEnforce, ModeAudit:
		return m, true
	}
	return "", false
}

// Outcome is what happened to one resource in a run.
type Outcome string

// The outcomes of one resource.
const (
	Compliant  Outcome = "compliant"   // already equal to the baseline; nothing written
	Remediated Outcome = "remediated"  // drifted, and the baseline was written
	Drifted    Outcome = "drifted"     // drifted; audit mode, nothing written
	Exempt     Outcome = "exempt"      // carries the exemption tag; skipped
	Gone       Outcome = "gone"        // deleted, being deleted, or never existed
	Failed     Outcome = "failed"      // could not be finished; Entry.Retryable says whether a retry can fix it
	NotStarted Outcome = "not_started" // not begun before the deadline; retryable
)

// Outcomes lists every outcome in a stable order, for totals and metrics.
func Outcomes() []Outcome {
	return []Outcome{Compliant, Remediated, Drifted, Exempt, Gone, Failed, NotStarted}
}

// Work is what one run must do: the resources to reconcile (every matching one of every kind
// when it names none: a sweep), in which mode, and why (for the report).
type Work struct {
	// Containers, Buckets and Policies name the MediaStore containers, S3 buckets and
	// CloudFront response headers policies (by name) to reconcile.
	Containers []string `json:"containers,omitempty"`
	Buckets    []string `json:"buckets,omitempty"`
	Policies   []string `json:"policies,omitempty"`
	// FunctionURLs names Lambda function URLs (FUNCTION or FUNCTION:ALIAS), APIs HTTP APIs
	// (by ApiId).
	FunctionURLs []string `json:"functionUrls,omitempty"`
	APIs         []string `json:"apis,omitempty"`
	Mode         Mode     `json:"mode"`
	Reason       string   `json:"reason"`
	// Profile, when set and no resource is named, narrows the sweep to the resources of one
	// kind whose baseline is that profile's: a change of the profile's parameter converges
	// exactly them.
	Profile *ProfileRef `json:"profile,omitempty"`
	// FreshTags says the named resources' tags changed just now (CloudTrail's record of a tag
	// call): each resource's own tags are read, never the Tagging API's bulk answer, which
	// can lag a tag just written.
	FreshTags bool `json:"freshTags,omitempty"`
	// Stop, once done, lets no further resource start: those in flight finish under Run's
	// context, the rest are not_started with context.Cause(Stop) as the reason. The CLI's
	// first Ctrl-C; a second one cancels Run's context. Nil never stops.
	Stop context.Context `json:"-"`
}

// Sweep reports whether w names no resource of any kind, and so asks for all of them (all of
// one profile's when Profile is set): the one test of "is this a sweep", for the engine and
// the controller.
func (w Work) Sweep() bool {
	return len(w.Containers) == 0 && len(w.Buckets) == 0 && len(w.Policies) == 0 && len(w.FunctionURLs) == 0 && len(w.APIs) == 0
}

// Named returns the resources of kind k that w names.
func (w Work) Named(k policy.Kind) []string {
	switch k {
	case policy.MediaStore:
		return w.Containers
	case policy.S3:
		return w.Buckets
	case policy.CloudFront:
		return w.Policies
	case policy.LambdaURL:
		return w.FunctionURLs
	case policy.HTTPAPI:
		return w.APIs
	}
	return nil
}

// Baseline identifies the baseline a run enforced.
type Baseline struct {
	// Kind is the kind of resource the baseline was validated for; empty in Report.Baseline,
	// which sums up Report.Baselines.
	Kind      policy.Kind `json:"kind,omitempty"`
	Parameter string      `json:"parameter"`
	Version   int64       `json:"version"`
	Hash      string      `json:"hash,omitempty"`
	// Profile is the profile whose baseline this is (in Report.Profiles); empty for a kind's
	// default baseline.
	Profile string `json:"profile,omitempty"`
	// Valid is false when the baseline was missing, did not parse or broke the service's rules;
	// Error then says why, and nothing was touched.
	Valid  bool             `json:"valid"`
	Error  string           `json:"error,omitempty"`
	Errors []policy.Problem `json:"errors,omitempty"`
	// Retryable is true when the baseline could not be read for a reason a retry can fix
	// (throttling or server errors past the SDK's retries, a timeout). A missing parameter, a
	// denied read and a baseline that does not parse or breaks the rules are terminal.
	Retryable bool `json:"retryable,omitempty"`
	// Unread says that the work queue's router did not read this baseline: its share of
	// Parameter Store had no token at once. Version is then 0 and Valid says only that nothing
	// is known against it; the router stamps no version, and the worker reads and validates it.
	Unread bool `json:"unread,omitempty"`
}

// Entry is the result for one resource.
type Entry struct {
	Name string `json:"name"`
	// ID is the resource's own identifier when its name is not what its ARN holds: a CloudFront
	// response headers policy's Id (arn:aws:cloudfront::ACCOUNT:response-headers-policy/ID),
	// once the run has found the policy. Empty for containers and buckets.
	ID       string          `json:"id,omitempty"`
	Kind     policy.Kind     `json:"kind"`
	Outcome  Outcome         `json:"outcome"`
	Attempts int             `json:"attempts"`
	Duration time.Duration   `json:"duration_ns"`
	Diff     []policy.Change `json:"diff,omitempty"`
	Error    string          `json:"error,omitempty"`
	// Note says why an exempt resource was left alone when no tag says so (a CloudFront
	// policy without a CorsConfig).
	Note string `json:"note,omitempty"`
	// Retryable says, for a failed or not_started entry, whether a retry can fix it
	// (throttling, server errors, timeouts, a resource still busy, the deadline) or not
	// (denied, refused as invalid, a bucket in another Region, a service that does not exist
	// for the account: see TerminalError). It is false for every other outcome.
	Retryable bool `json:"retryable"`
	// Profile is the baseline the resource was held to: the default or a profile, why, its
	// parameter and version. Nil when the run failed before choosing one.
	Profile *EntryProfile `json:"profile,omitempty"`
	// Err is the failure itself, typed (a *TerminalError, a *BusyError with its retry-after
	// hint, the SDK's error inside), for the controller's decision; Error is its message.
	Err error `json:"-"`
}

// KindError is a kind of resource a run could not plan: its listing failed. The other kinds
// go on; a terminal one (AccessDenied, a service gone, a forged token) is reported and alarmed,
// a retryable one (throttling past the SDK's retries, a timeout) makes the run retried.
type KindError struct {
	Kind      policy.Kind `json:"kind"`
	Error     string      `json:"error"`
	Retryable bool        `json:"retryable"`
	Err       error       `json:"-"`
}

// NewKindError returns the KindError of err met while planning kind k.
func NewKindError(k policy.Kind, err error) KindError {
	return KindError{Kind: k, Error: err.Error(), Retryable: Retryable(err), Err: err}
}

// Effective returns the mode a run may use: the stricter of the requested one and the
// configured ceiling. Audit wins: a function configured to audit never writes, whatever a
// message or a direct invocation asks; an empty request takes the ceiling.
func Effective(requested, ceiling Mode) Mode {
	if requested == ModeAudit || ceiling == ModeAudit {
		return ModeAudit
	}
	if requested == "" {
		return ceiling
	}
	return requested
}

// Report is the result of one run: the Lambda's return value, the CLI's JSON output and the
// source of the log summary and metrics.
type Report struct {
	// Baseline is the first kind's baseline, valid only when every kind's is; Baselines has
	// one per kind the run covered (a baseline with POST is valid for S3 and not for
	// MediaStore), and nothing of a kind whose baseline is invalid was touched.
	Baseline  Baseline   `json:"baseline"`
	Baselines []Baseline `json:"baselines,omitempty"`
	// Profiles are the profiles' baselines the run read (each once, when a resource first
	// needed it), sorted by parameter. An invalid or missing one failed its resources, each
	// counted in the entries.
	Profiles []Baseline `json:"profiles,omitempty"`
	// Stamps are, per kind, the baseline versions the work queue's router (or a worker
	// carrying a listing on) stamped into the messages it enqueued.
	Stamps map[policy.Kind]Stamps `json:"stamps,omitempty"`
	// StampTimes say, per kind of Stamps, when the stamps were read and made.
	StampTimes map[policy.Kind]StampTimes `json:"-"`
	// Rereads counts the reads of Restamp and Reread that returned a version this instance
	// had read already: the cost of the freshness rule (StampFreshness).
	Rereads  int             `json:"-"`
	Mode     Mode            `json:"mode"`
	Reason   string          `json:"reason"`
	Started  time.Time       `json:"started"`
	Duration time.Duration   `json:"duration_ns"`
	Entries  []Entry         `json:"entries"`
	Totals   map[Outcome]int `json:"totals"`
	// APICalls counts the calls the engine made per IAM action, such as
	// "mediastore:GetCorsPolicy"; the SDK's retries within one call are not counted.
	APICalls map[string]int `json:"api_calls"`
	// Excluded lists the resources, named in Work or listed, that the selector leaves out;
	// nothing was called for them.
	Excluded []string `json:"excluded,omitempty"`
	// Error is why the run as a whole failed (an invalid mode, a listing that failed); the
	// baseline's own problems are in Baseline.
	Error string `json:"error,omitempty"`
	// ErrorRetryable is true when a retry could fix Error (a listing throttled past the SDK's
	// retries); a denied listing or an invalid mode is terminal.
	ErrorRetryable bool `json:"error_retryable,omitempty"`
	// KindErrors lists the kinds whose listing failed; the other kinds were planned.
	KindErrors []KindError `json:"kind_errors,omitempty"`
	// Notes says, once per run, what a reader must know about the failures, such as a
	// service that does not exist for the account (MediaStore's end of support).
	Notes []string `json:"notes,omitempty"`
	// BaselineChangedDuringRun is set when the baseline's version moved, or the parameter was
	// deleted, while a sweep ran; the run for the newer version converges what this one could
	// not.
	BaselineChangedDuringRun bool `json:"baseline_changed_during_run,omitempty"`
	// DeliveryChain is the delivery-chain check of CloudFront distributions, when an audit
	// asked for it (the CLI's audit --target cloudfront): cache behaviours that break CORS for a
	// browser. Advisory: it does not change Succeeded, and nothing is written to distributions.
	DeliveryChain *ChainReport `json:"delivery_chain,omitempty"`
	// Succeeded is true when the baseline was valid, the run had no Error and no KindErrors,
	// and no resource failed or was not started.
	Succeeded bool `json:"succeeded"`
}

// RetryableFailures counts the failures of the run that a retry can fix: failed entries so
// marked, not_started entries, a baseline that could not be read for a passing reason, and a
// retryable run error. An invocation fails (and is retried) only when this is above zero.
func (r *Report) RetryableFailures() int {
	n := 0
	for _, e := range r.Entries {
		if (e.Outcome == Failed || e.Outcome == NotStarted) && e.Retryable {
			n++
		}
	}
	for _, b := range r.baselines() {
		if !b.Valid && b.Retryable {
			n++
		}
	}
	if r.Error != "" && r.ErrorRetryable {
		n++
	}
	for _, k := range r.KindErrors {
		if k.Retryable {
			n++
		}
	}
	return n
}

// TerminalFailures counts the failures of the run that no retry can fix: failed entries not
// marked retryable, each unusable baseline (missing, invalid, unreadable for good), and a
// terminal run error. They are reported and alarmed, never retried.
func (r *Report) TerminalFailures() int {
	n := 0
	for _, e := range r.Entries {
		if (e.Outcome == Failed || e.Outcome == NotStarted) && !e.Retryable {
			n++
		}
	}
	for _, b := range r.baselines() {
		if !b.Valid && !b.Retryable {
			n++
		}
	}
	if r.Error != "" && !r.ErrorRetryable {
		n++
	}
	for _, k := range r.KindErrors {
		if !k.Retryable {
			n++
		}
	}
	return n
}

// baselines returns the per-kind baselines, or the summary when the report has none (a
// report built by hand); none when the run failed before it read any (its Error says why).
func (r *Report) baselines() []Baseline {
	switch {
	case len(r.Baselines) > 0:
		return r.Baselines
	case r.Error != "":
		return nil
	}
	return []Baseline{r.Baseline}
}

// Actions lists the IAM action of every AWS call the engine makes. The SAM template grants
// exactly these, and a test holds the two together: an engine change that makes a new call
// must add it here.
func Actions() []string {
	return []string{
		"apigateway:DELETE",
		"apigateway:GET",
		"apigateway:PATCH",
		"cloudfront:GetResponseHeadersPolicy",
		"cloudfront:ListResponseHeadersPolicies",
		"cloudfront:UpdateResponseHeadersPolicy",
		"lambda:GetFunctionUrlConfig",
		"lambda:ListFunctionUrlConfigs",
		"lambda:ListFunctions",
		"lambda:ListTags",
		"lambda:UpdateFunctionUrlConfig",
		"mediastore:DescribeContainer",
		"mediastore:GetCorsPolicy",
		"mediastore:ListContainers",
		"mediastore:ListTagsForResource",
		"mediastore:PutCorsPolicy",
		"s3:GetBucketCORS",
		"s3:GetBucketTagging",
		"s3:ListAllMyBuckets",
		"s3:PutBucketCORS",
		"ssm:GetParameter",
		"ssm:GetParametersByPath",
		"tag:GetResources",
	}
}

// Tally computes the report's totals (every outcome, zeros included, so that a log query can
// rely on each key) and its verdict from its entries. It is the one place they are computed:
// the engine's runs, the work queue's batches and the router's plans all end here.
func (r *Report) Tally() {
	r.Totals = make(map[Outcome]int, len(Outcomes()))
	for _, o := range Outcomes() {
		r.Totals[o] = 0
	}
	for _, ent := range r.Entries {
		r.Totals[ent.Outcome]++
	}
	r.Succeeded = r.Baseline.Valid && r.Error == "" && len(r.KindErrors) == 0 &&
		r.Totals[Failed] == 0 && r.Totals[NotStarted] == 0
}

// finish fills in the call counts, the duration, the totals and the verdict.
func (e *Engine) finish(rep *Report, m *meter) {
	rep.APICalls = m.counts()
	rep.Profiles = append(rep.Profiles, m.profiles.baselines()...)
	slices.SortFunc(rep.Profiles, func(a, b Baseline) int { return strings.Compare(a.Parameter, b.Parameter) })
	rep.Notes = append(rep.Notes, m.notes()...)
	rep.Duration = e.cfg.Clock.Now().Sub(rep.Started)
	rep.Tally()
}
