package findings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// API is the part of Security Hub a Publisher calls; *securityhub.Client satisfies it.
type API interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

var _ API = (*securityhub.Client)(nil)

// Actions lists the IAM actions of the calls a Publisher makes: BatchImportFindings for every
// run, GetFindings for the archive step of a sweep. The template grants them only when
// findings are on, and a test holds the two together.
func Actions() []string {
	return []string{"securityhub:BatchImportFindings", "securityhub:GetFindings"}
}

// Limits of BatchImportFindings and GetFindings (Security Hub's documented quotas).
const (
	// MaxBatch is the most findings one BatchImportFindings call takes.
	MaxBatch = 100
	// AccountImportRate is BatchImportFindings' quota: 10 calls per second per account and
	// Region (burst 30), shared by every finding provider of the account.
	AccountImportRate = 10.0
	// DefaultImportRate is corsguard's share of it, in calls per second, for all of its
	// processes together: half, leaving the rest to the account's other providers.
	DefaultImportRate = 5.0
	// AccountReadRate is GetFindings' quota: 3 calls per second per account and Region
	// (burst 6).
	AccountReadRate = 3.0
	// DefaultReadRate is corsguard's share of it, all of its processes together.
	DefaultReadRate = 2.0
	// MaxIDFilter is the most Id values one GetFindings filter takes (the API reference,
	// GetFindings' Filters: "For each attribute, you can provide up to 20 filter values").
	MaxIDFilter = 20
	// retries is how many more times a finding that failed for a reason a retry can fix is
	// imported again.
	retries = 3
)

// ErrNotEnabled is the terminal error (enforce.TerminalError wraps it) of an account or Region
// where Security Hub is not enabled: every import would fail the same way until someone
// enables it.
var ErrNotEnabled = errors.New("security hub is not enabled")

// ErrDenied is the terminal error of a caller that may not import or read the findings.
var ErrDenied = errors.New("security hub denied the call")

// Publisher imports a run's findings into Security Hub. Build one per process and share it:
// its token bucket is the process's share of the import rate.
type Publisher struct {
	api     API
	imports *rate.Limiter
	// archives is the token bucket of the archive steps' imports (ArchiveStale, ArchiveGone):
	// imports' own unless WithArchiveImportRate gives it one.
	archives *rate.Limiter
	reads    *rate.Limiter
	listing  *rate.Limiter
	clock    clock.Clock
	rand     func() float64
	refresh  time.Duration
}

// Option changes how NewPublisher builds a Publisher.
type Option func(*Publisher)

// WithImportRate sets this process's BatchImportFindings calls per second. Security Hub's
// quota is per account and Region, so processes that import at once divide corsguard's share
// among them: the Lambda gives each instance that may import at once its part
// (config.Config.FindingsRate); the CLI, alone, takes all of it.
func WithImportRate(perSecond float64) Option {
	return func(p *Publisher) { p.imports = rate.NewLimiter(rate.Limit(perSecond), 1) }
}

// WithArchiveImportRate sets this process's BatchImportFindings calls per second for the
// archive steps (ArchiveStale, ArchiveGone), apart from the other imports (default: the
// import rate's own token bucket). With the findings queue the router archives and the
// publishers import everything else: the Lambda gives the archive steps a small part of
// corsguard's share (config.Config.ArchiveImportRate) and the publishers the rest.
func WithArchiveImportRate(perSecond float64) Option {
	return func(p *Publisher) { p.archives = rate.NewLimiter(rate.Limit(perSecond), 1) }
}

// WithReadRate sets this process's GetFindings calls per second (default DefaultReadRate, all
// of corsguard's share, for a process alone); like WithImportRate, processes that read at once
// divide the share among them.
func WithReadRate(perSecond float64) Option {
	return func(p *Publisher) { p.reads = rate.NewLimiter(rate.Limit(perSecond), 1) }
}

// WithListingReadRate sets this process's GetFindings calls per second for a sweep's bulk read
// of the previous findings (PriorPage), apart from the other reads (default DefaultReadRate):
// the Lambda gives it config.Config.ListingReadRate, the part of corsguard's share that a
// listing takes.
func WithListingReadRate(perSecond float64) Option {
	return func(p *Publisher) { p.listing = rate.NewLimiter(rate.Limit(perSecond), 1) }
}

// WithRefresh imports a finding only when its state changed (StateField differs from the
// active finding's) or when its last import is older than period: an unchanged finding is
// re-imported once per period, level-triggered, so a failed sweep delays it by one sweep, not
// one period. Security Hub CSPM deletes findings not updated for 90 days, so period must stay
// well under that. The previous states are read back with GetFindings: a sweep's covered kinds
// are read whole anyway (for the archive step); other runs read their findings by Id, 20 to a
// call. 0 (the default) imports every finding every run.
func WithRefresh(period time.Duration) Option { return func(p *Publisher) { p.refresh = period } }

// WithClock sets the clock of UpdatedAt and CreatedAt and of the waits between retries of
// failed findings (default the wall clock; tests pass a clock.Manual, whose sleeps return at
// once).
func WithClock(c clock.Clock) Option { return func(p *Publisher) { p.clock = c } }

// WithRand sets the jitter of the waits between retries, uniform in [0, 1) (default
// math/rand/v2's Float64).
func WithRand(r func() float64) Option { return func(p *Publisher) { p.rand = r } }

// NewPublisher returns a Publisher that calls api. The client's retryer (the SDK's standard
// one, see internal/wiring/awsclient) retries throttled and failed calls; the Publisher retries the
// findings a call returns in FailedFindings for a reason a retry can fix.
func NewPublisher(api API, opts ...Option) *Publisher {
	p := &Publisher{
		api:     api,
		imports: rate.NewLimiter(rate.Limit(DefaultImportRate), 1),
		reads:   rate.NewLimiter(DefaultReadRate, 1),
		listing: rate.NewLimiter(DefaultReadRate, 1),
		clock:   clock.Real{},
		rand:    rand.Float64,
	}
	for _, o := range opts {
		o(p)
	}
	if p.archives == nil {
		p.archives = p.imports
	}
	return p
}

// Coverage says which kinds a report covered completely (a sweep listed every resource of
// them): their findings that the report does not produce are archived. A run about named
// resources covers no kind.
type Coverage []policy.Kind

// Result is what one Publish did.
type Result struct {
	// Imported counts the findings created or updated, archived ones included.
	Imported int `json:"imported"`
	// Unchanged counts the findings not imported: the same state as the active finding,
	// imported within the refresh period (WithRefresh).
	Unchanged int `json:"unchanged,omitempty"`
	// Superseded counts the findings not imported because a newer observation of the same
	// resource was imported already, or came in the same batch: the findings queue is a
	// standard queue, which may deliver out of order and more than once.
	Superseded int `json:"superseded,omitempty"`
	// Unread counts the findings the publisher imported without reading their previous state
	// back: its share of GetFindings could not read them in the first half of the time its
	// invocation had left (a storm of events, or a large sweep whose listing did not read the
	// previous findings: every kind but S3, and a profile's change), so they were taken as changed. Their CreatedAt
	// is the worker's observation time (see PublishFindings).
	Unread int `json:"unread,omitempty"`
	// Handed counts the findings a worker handed to the findings queue for the publisher
	// (the work queue's path imports nothing itself).
	Handed int `json:"handed,omitempty"`
	// Archived counts the findings archived: gone resources, and in a sweep the findings of
	// resources the sweep no longer covers.
	Archived int `json:"archived"`
	// Left says that ArchiveStale archived some stale findings and its budget ended before it
	// could read the rest: progress, not a failure; the next sweep archives on.
	Left bool `json:"left,omitempty"`
	// Failed lists the findings Security Hub did not take, after the retries that could help.
	Failed []Failure `json:"failed,omitempty"`
	// Error says why the calls did not finish (Security Hub not enabled, denied, throttled
	// past the retries, out of time); what was imported before is counted above.
	Error string `json:"error,omitempty"`
}

// Failure is one finding Security Hub did not import.
type Failure struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Publish imports the findings of rep for scope and, for the kinds in cover, archives the
// active findings of corsguard's generators that rep no longer produces (a deleted or newly
// excluded resource). A kind whose baseline was invalid, or a run that failed as a whole, is
// not covered: nothing of it was listed. The error is an enforce.TerminalError wrapping
// ErrNotEnabled or ErrDenied when a retry cannot help; other errors (throttling or 5xx past
// the SDK's retries, a timeout) are retryable. Result.Failed lists findings that were refused.
func (p *Publisher) Publish(ctx context.Context, scope Scope, rep *enforce.Report, cover Coverage) (Result, error) {
	now := p.clock.Now()
	cover = covered(rep, cover)
	var existing []types.AwsSecurityFinding
	created := map[string]string{}
	if len(cover) > 0 {
		var err error
		if existing, err = p.active(ctx, scope, cover); err != nil {
			return Result{}, err
		}
		for _, f := range existing {
			created[aws.ToString(f.Id)] = aws.ToString(f.CreatedAt)
		}
	}
	built := Build(scope, rep, now, created)
	previous := map[string]types.AwsSecurityFinding{}
	if p.refresh > 0 {
		if len(cover) == 0 {
			var ids []string
			for _, f := range built {
				ids = append(ids, f.ID)
			}
			prevs, err := p.byID(ctx, scope, ids)
			if err != nil {
				return Result{}, err
			}
			for _, f := range prevs {
				created[aws.ToString(f.Id)] = aws.ToString(f.CreatedAt)
			}
			if len(prevs) > 0 {
				built = Build(scope, rep, now, created) // keep the findings' CreatedAt
			}
			existing = append(existing, prevs...)
		}
		for _, f := range existing {
			previous[aws.ToString(f.Id)] = f
		}
	}
	batch := make([]types.AwsSecurityFinding, 0, len(built))
	keep := map[string]bool{}
	unchanged := 0
	for _, f := range built {
		keep[f.ID] = true
		f.ProductFields[StateField] = State(f)
		if prev, ok := previous[f.ID]; ok && p.Unchanged(f, PriorOf(prev), now) {
			unchanged++
			continue
		}
		batch = append(batch, f.SDK())
	}
	if len(cover) == 0 {
		existing = nil // read by Id: nothing of them is to be archived
	}
	res, err := p.importArchiving(ctx, p.imports, batch, existing, keep, now)
	res.Unchanged = unchanged
	return res, err
}

// PublishFindings is the publisher's step (the findings queue's consumer): it imports the
// findings that workers decided and handed over, in any order and possibly twice, for scope.
// Of several findings with one Id, the latest UpdatedAt (when the worker observed the
// resource) wins. checked[i] says that fs[i]'s worker already compared it with the previous
// finding its sweep's listing read (a changed one: imported as it is, CreatedAt kept by the
// worker); it goes with that finding only, not with its Id: when the finding that wins is one
// no worker checked (an event's, beside a sweep's checked one in another message), it is read
// back. With WithRefresh it reads the others back by Id (MaxIDFilter to a GetFindings
// call, active and archived alike) and leaves out a finding that Security Hub already holds
// in a newer observation (an archive on delete, a later sweep) or in the same state within
// the refresh period; the rest are imported MaxBatch to a call, keeping their CreatedAt.
// Security Hub itself ignores an update whose UpdatedAt is not later than the finding's.
//
// A finding it had no time to read back (Result.Unread) goes with the CreatedAt its worker
// gave it, the time it observed the resource, and an existing finding's CreatedAt moves to
// that time: the API reference keeps only Note, UserDefinedFields, VerificationState and
// Workflow of a finding against a provider's update, not CreatedAt (the emulator replaces it
// too). That is accepted, not fixed: CreatedAt is required and no other value is known
// without the read; it happens beyond the read share (a storm of events, or a large sweep whose
// listing does not read the previous findings: every kind but S3, a profile's change), and to
// every finding of a repair its worker checked without a previous finding (an event's: a repair
// is a new issue, observed then); the finding's Id, state, workflow and notes are kept. The error is terminal as Publish's is,
// retryable otherwise.
func (p *Publisher) PublishFindings(ctx context.Context, scope Scope, fs []Finding, checked []bool) (Result, error) {
	latest := map[string]Finding{}
	skip := map[string]bool{} // by Id: whether the finding that wins was checked by its worker
	var order []string
	superseded := 0
	for i, f := range fs {
		prev, ok := latest[f.ID]
		if !ok {
			order = append(order, f.ID)
		} else {
			superseded++
		}
		if !ok || later(f.UpdatedAt, prev.UpdatedAt) {
			latest[f.ID], skip[f.ID] = f, i < len(checked) && checked[i]
		}
	}
	previous := map[string]types.AwsSecurityFinding{}
	unread := 0
	if p.refresh > 0 {
		var prevs []types.AwsSecurityFinding
		var err error
		unchecked := slices.DeleteFunc(slices.Clone(order), func(id string) bool { return skip[id] })
		prevs, unread, err = p.byIDWithin(ctx, scope, unchecked)
		if err != nil {
			return Result{Superseded: superseded}, err
		}
		for _, f := range prevs {
			previous[aws.ToString(f.Id)] = f
		}
	}
	now := p.clock.Now()
	batch := make([]types.AwsSecurityFinding, 0, len(order))
	unchanged := 0
	for _, id := range order {
		f := latest[id]
		f.ProductFields = maps.Clone(f.ProductFields)
		if f.ProductFields == nil {
			f.ProductFields = map[string]string{}
		}
		f.ProductFields[StateField] = State(f)
		if prev, ok := previous[id]; ok {
			if c := aws.ToString(prev.CreatedAt); c != "" {
				f.CreatedAt = c
			}
			if later(aws.ToString(prev.UpdatedAt), f.UpdatedAt) {
				superseded++
				continue
			}
			if p.Unchanged(f, PriorOf(prev), now) {
				unchanged++
				continue
			}
		}
		batch = append(batch, f.SDK())
	}
	res, err := p.importArchiving(ctx, p.imports, batch, nil, nil, now)
	res.Unchanged, res.Superseded, res.Unread = unchanged, superseded, unread
	return res, err
}

// byIDWithin reads findings back by Id as byID does, 20 Ids a call, for as long as a token of
// the read share comes within the first half of the time ctx leaves, and returns how many of
// ids (the last ones) it left unread. A batch of many unstamped findings (a storm of events) so
// never outlasts its invocation and comes back to fail the same way again: what is left unread
// is imported as changed (Security Hub keeps a newer observation whatever comes: it ignores an
// update whose UpdatedAt is not later), at the cost of an ingestion event for each that had not
// changed.
func (p *Publisher) byIDWithin(ctx context.Context, scope Scope, ids []string) ([]types.AwsSecurityFinding, int, error) {
	var out []types.AwsSecurityFinding
	for i := 0; i < len(ids); i += MaxIDFilter {
		// Wall time, not p.clock: the token bucket (rate.Limiter) and ctx's deadline both run on
		// the wall clock; p.clock is the findings' timestamps' and the retries' sleeps' (a
		// test's clock need not be near the wall clock at all).
		if deadline, ok := ctx.Deadline(); ok && p.reads.TokensAt(time.Now().Add(time.Until(deadline)/2)) < 1 {
			return out, len(ids) - i, nil
		}
		got, err := p.byID(ctx, scope, ids[i:min(i+MaxIDFilter, len(ids))])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, got...)
	}
	return out, 0, nil
}

// later reports whether ASFF timestamp a is after b; false when either does not parse.
func later(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.After(tb)
}

// StateField is the ProductFields key of a finding's state (State): what Publish compares to
// decide whether the finding changed.
const StateField = "corsguard/State"

// State is a digest of what a finding says, its timestamps and StateField left out: two
// findings with the same state tell a reader the same thing. A passing finding's state leaves
// out how it came to pass (compliant, or repaired: the outcome, title, description and
// remediation text), so that the sweep after a repair, which finds the resource compliant,
// imports nothing: a drift repaired costs one import, not two. Publish imports every repair
// all the same. A failure with an AWS error code (ErrorCodeField) leaves out its title and
// description, whose message carries the failed call's request id: it is imported when it
// starts and when its code changes, not on every run.
func State(f Finding) string {
	f.CreatedAt, f.UpdatedAt = "", ""
	fields := maps.Clone(f.ProductFields)
	delete(fields, StateField)
	if f.Compliance != nil && f.Compliance.Status == Warning && fields[ErrorCodeField] != "" {
		// A failure with an AWS error code is the same failure while the code is: its
		// message carries the call's request id.
		f.Title, f.Description = "", ""
	}
	if f.Compliance != nil && f.Compliance.Status == Passed {
		delete(fields, "corsguard/Outcome")
		f.Title, f.Description, f.Remediation = "", "", nil
		if p := f.FindingProviderFields; p != nil && p.Severity != nil {
			sev := *p.Severity
			sev.Original = ""
			f.FindingProviderFields = &FindingProviderFields{Severity: &sev, Types: p.Types}
		}
	}
	f.ProductFields = fields
	b, err := json.Marshal(f)
	if err != nil { // a Finding is plain strings and maps: never
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// Prior is what Security Hub holds of one finding, all that deciding "changed" needs: its
// state (StateField), when it was last imported and created, and whether it is archived.
type Prior struct {
	State, UpdatedAt, CreatedAt string
	Archived                    bool
}

// PriorOf returns the Prior of a finding as GetFindings returned it.
func PriorOf(f types.AwsSecurityFinding) Prior {
	return Prior{State: f.ProductFields[StateField], UpdatedAt: aws.ToString(f.UpdatedAt), CreatedAt: aws.ToString(f.CreatedAt),
		Archived: f.RecordState == types.RecordStateArchived}
}

// Unchanged reports whether f, observed at now, need not be imported over what Security Hub
// holds (prior): with a refresh period (WithRefresh), an active finding of the same state
// imported within it. A repair is always imported: it is news even where the finding passed
// before (a drift between two sweeps, repaired by the second); what passes after it is not. An
// archived finding is imported (reactivated). Every path decides with it: Publish, the
// publisher (PublishFindings) and the work queue's worker, from the previous state its
// listing read.
func (p *Publisher) Unchanged(f Finding, prior Prior, now time.Time) bool {
	if p.refresh <= 0 || prior.Archived || f.ProductFields["corsguard/Outcome"] == string(enforce.Remediated) || prior.State != State(f) {
		return false
	}
	at, err := time.Parse(time.RFC3339Nano, prior.UpdatedAt)
	return err == nil && now.Sub(at) < p.refresh
}

// Compares reports whether the Publisher imports only what changed (WithRefresh): only then is
// reading the previous findings worth its calls.
func (p *Publisher) Compares() bool { return p.refresh > 0 }

// NamedPrior is the Prior of one resource's finding, by the resource's name.
type NamedPrior struct {
	Name string
	Prior
}

// PriorPage reads one page of corsguard's findings of kind in scope, active and archived
// alike, sorted by Id ascending (GetFindings' SortCriteria), MaxBatch to a call, at the
// listing's read rate (WithListingReadRate). A kind's finding Ids share one prefix
// (corsguard/ACCOUNT/REGION/KIND/), so the page comes in the order of the resources' names:
// a listing in name order (S3's ListBuckets) merges with it page by page. token is the
// previous page's NextToken ("" for the first); next is "" after the last page. An error is
// classified as Publish's are; a token Security Hub refuses is an InvalidInputException.
func (p *Publisher) PriorPage(ctx context.Context, scope Scope, kind policy.Kind, token string) (page []NamedPrior, next string, err error) {
	f := Filters(scope, []policy.Kind{kind})
	f.RecordState = nil
	prefix := ID(scope, kind, "")
	f.Id = []types.StringFilter{{Value: aws.String(prefix), Comparison: types.StringFilterComparisonPrefix}}
	in := &securityhub.GetFindingsInput{Filters: f, MaxResults: aws.Int32(MaxBatch),
		SortCriteria: []types.SortCriterion{{Field: aws.String("Id"), SortOrder: types.SortOrderAscending}}}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	if err := p.listing.Wait(ctx); err != nil {
		return nil, "", err
	}
	out, err := p.api.GetFindings(ctx, in)
	if err != nil {
		return nil, "", classify("get findings", scope, err)
	}
	for _, x := range out.Findings {
		name, ok := strings.CutPrefix(aws.ToString(x.Id), prefix)
		if !ok || name == "" {
			return nil, "", fmt.Errorf("get findings: finding %q is not of the prefix %q asked for", aws.ToString(x.Id), prefix)
		}
		page = append(page, NamedPrior{Name: name, Prior: PriorOf(x)})
	}
	return page, aws.ToString(out.NextToken), nil
}

// byID returns corsguard's findings with these ids, active or archived (an archived one says
// when it was archived: a later observation reactivates it, an earlier one does not), 20 ids
// to a GetFindings filter (MaxIDFilter).
func (p *Publisher) byID(ctx context.Context, scope Scope, ids []string) ([]types.AwsSecurityFinding, error) {
	var out []types.AwsSecurityFinding
	for chunk := range slices.Chunk(ids, MaxIDFilter) {
		f := Filters(scope, nil)
		f.RecordState = nil
		for _, id := range chunk {
			f.Id = append(f.Id, types.StringFilter{Value: aws.String(id), Comparison: types.StringFilterComparisonEquals})
		}
		got, err := p.find(ctx, scope, f)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// ArchiveStale archives corsguard's active findings of the kinds in scope that no run has
// updated since before: every run that decides a resource imports its finding (UpdatedAt
// moves on), so a finding that stayed behind for several sweeps is a resource gone or no longer
// selected. It is level-triggered: it does not depend on one invocation seeing the whole
// listing, which the work queue spreads over many. It reads them with GetFindings and an
// UpdatedAt filter, at the reads' rate (WithReadRate; the Lambda's FindingsReadRate), and archives each page
// before it reads the next: the router gives it a small share of GetFindings in its settle
// budget, so what a call read is archived even when its budget ends before the last page, and
// the next sweep starts where this one stopped (an archived finding no longer matches the
// filter). The result counts what was archived, error or not. A budget that ends after at least
// one page was archived, waiting for a read's token or an import's, is no error (Result.Left): a large backlog is archived a page or more
// per sweep, and alarming every sweep until it is gone would cry wolf; a budget that holds no
// read at all is one (nothing would ever be archived).
func (p *Publisher) ArchiveStale(ctx context.Context, scope Scope, kinds []policy.Kind, before time.Time) (Result, error) {
	if len(kinds) == 0 {
		return Result{}, nil
	}
	f := Filters(scope, kinds)
	// Security Hub's DateFilter takes Start and End together (or DateRange).
	f.UpdatedAt = []types.DateFilter{{Start: aws.String(Timestamp(time.Unix(0, 0).UTC())), End: aws.String(Timestamp(before))}}
	var res Result
	err := p.eachPage(ctx, scope, f, func(stale []types.AwsSecurityFinding) error {
		r, err := p.importArchiving(ctx, p.archives, nil, stale, nil, p.clock.Now())
		res.Imported += r.Imported
		res.Archived += r.Archived
		res.Failed = append(res.Failed, r.Failed...)
		return err
	})
	var stop outOfBudget
	if errors.As(err, &stop) && res.Archived > 0 {
		res.Left, err = true, nil
	}
	return res, err
}

// outOfBudget is the stop of a read (eachPage) or an import (importAt) whose budget cannot
// hold its next call at its token bucket's rate.
type outOfBudget struct{ error }

func (e outOfBudget) Unwrap() error { return e.error }

// Gone is one resource a delete event names (CloudTrail's DeleteBucket, DeleteContainer or
// DeleteResponseHeadersPolicy, MediaStore's REMOVE): by Name, or by ARN where the event names
// no name (DeleteResponseHeadersPolicy names the policy by its Id, which its finding's resource
// ARN carries).
type Gone struct {
	Kind policy.Kind
	Name string
	ARN  string
	// At is when the resource was deleted (the event's time). A finding updated after it is
	// about a resource of the same name made since (a bucket deleted and created again, its
	// events delivered out of order): it stays active.
	At time.Time
}

// ArchiveGone archives, at once, corsguard's active finding of one deleted resource in scope:
// one GetFindings by Id (by resource ARN for CloudFront) and, when there is one, one
// BatchImportFindings with RecordState ARCHIVED, its Id and CreatedAt kept. It touches only
// findings corsguard created (the account's default product, the kind's GeneratorId, the
// scope's account) whose resource selects takes (nil: every one), and never imports a finding
// that did not exist: a resource corsguard never reported costs no ingestion event. No
// resource is read: the resource is gone. Errors are classified as Publish's are.
func (p *Publisher) ArchiveGone(ctx context.Context, scope Scope, g Gone, selects func(policy.Kind, string) bool) (Result, error) {
	f := Filters(scope, []policy.Kind{g.Kind})
	eq := func(v string) []types.StringFilter {
		return []types.StringFilter{{Value: aws.String(v), Comparison: types.StringFilterComparisonEquals}}
	}
	switch {
	case g.Name != "":
		f.Id = eq(ID(scope, g.Kind, g.Name))
	case g.ARN != "":
		f.ResourceId = eq(g.ARN)
	default:
		return Result{}, enforce.Terminal(fmt.Errorf("archive the finding of a deleted %s: the event names neither the resource nor its ARN", g.Kind))
	}
	if !g.At.IsZero() {
		f.UpdatedAt = []types.DateFilter{{Start: aws.String(Timestamp(time.Unix(0, 0).UTC())), End: aws.String(Timestamp(g.At))}}
	}
	found, err := p.find(ctx, scope, f)
	if err != nil {
		return Result{}, err
	}
	var gone []types.AwsSecurityFinding
	for _, x := range found {
		name := x.ProductFields["corsguard/Name"]
		ours := aws.ToString(x.ProductArn) == scope.ProductARN() && aws.ToString(x.GeneratorId) == GeneratorID(g.Kind) &&
			aws.ToString(x.AwsAccountId) == scope.Account && x.RecordState == types.RecordStateActive
		if !ours || (g.Name != "" && name != g.Name) || (selects != nil && !selects(g.Kind, name)) {
			continue
		}
		gone = append(gone, x)
	}
	if len(gone) == 0 {
		return Result{}, nil
	}
	return p.importArchiving(ctx, p.archives, nil, gone, nil, p.clock.Now())
}

// importArchiving imports batch and, archived, the findings of existing that keep does not
// name, each call waiting for a token of lim.
func (p *Publisher) importArchiving(ctx context.Context, lim *rate.Limiter, batch, existing []types.AwsSecurityFinding, keep map[string]bool, now time.Time) (Result, error) {
	for _, f := range existing {
		if keep[aws.ToString(f.Id)] {
			continue
		}
		f.RecordState = types.RecordStateArchived
		f.UpdatedAt = aws.String(Timestamp(now))
		batch = append(batch, f)
	}
	imported, failed, err := p.importAt(ctx, lim, batch)
	res := Result{Imported: imported, Failed: failed}
	// The archive count counts only what Security Hub took.
	refused := map[string]bool{}
	for _, f := range failed {
		refused[f.ID] = true
	}
	for _, f := range batch {
		if f.RecordState == types.RecordStateArchived && !refused[aws.ToString(f.Id)] {
			res.Archived++
		}
	}
	if err != nil {
		// Stopped part-way: what was not sent was not archived. The archives' batches (every
		// one of them archiving) count exactly; a mixed batch at most what was imported.
		res.Archived = min(res.Archived, imported)
	}
	return res, err
}

// covered returns the kinds of cover that rep really saw whole: not when the run failed as a
// whole (a listing may have been cut short), and not a kind whose baseline was invalid.
func covered(rep *enforce.Report, cover Coverage) Coverage {
	if rep.Error != "" {
		return nil
	}
	var out Coverage
	for _, k := range cover {
		if slices.ContainsFunc(rep.KindErrors, func(e enforce.KindError) bool { return e.Kind == k }) {
			continue // its listing failed: not seen whole
		}
		valid := rep.Baseline.Valid
		for _, b := range rep.Baselines {
			if b.Kind == k {
				valid = b.Valid
			}
		}
		if valid {
			out = append(out, k)
		}
	}
	return out
}

// Filters returns the GetFindings filters of corsguard's active findings of the kinds in
// scope's account, product and Region.
func Filters(scope Scope, kinds []policy.Kind) *types.AwsSecurityFindingFilters {
	eq := func(v string) types.StringFilter {
		return types.StringFilter{Value: aws.String(v), Comparison: types.StringFilterComparisonEquals}
	}
	f := &types.AwsSecurityFindingFilters{
		AwsAccountId: []types.StringFilter{eq(scope.Account)},
		ProductArn:   []types.StringFilter{eq(scope.ProductARN())},
		RecordState:  []types.StringFilter{eq(Active)},
	}
	for _, k := range kinds {
		f.GeneratorId = append(f.GeneratorId, eq(GeneratorID(k)))
	}
	return f
}

// active returns corsguard's active findings of the kinds.
func (p *Publisher) active(ctx context.Context, scope Scope, kinds []policy.Kind) ([]types.AwsSecurityFinding, error) {
	return p.find(ctx, scope, Filters(scope, kinds))
}

// find returns the findings that match filters, page by page at the reads' rate.
func (p *Publisher) find(ctx context.Context, scope Scope, filters *types.AwsSecurityFindingFilters) ([]types.AwsSecurityFinding, error) {
	var out []types.AwsSecurityFinding
	err := p.eachPage(ctx, scope, filters, func(page []types.AwsSecurityFinding) error {
		out = append(out, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachPage reads the findings that match filters a page at a time (MaxBatch to a GetFindings
// call, at the reads' rate) and calls fn with each page before it reads the next, until the
// last page or the first error (of a read or of fn).
func (p *Publisher) eachPage(ctx context.Context, scope Scope, filters *types.AwsSecurityFindingFilters, fn func([]types.AwsSecurityFinding) error) error {
	in := &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(MaxBatch)}
	for {
		if err := p.reads.Wait(ctx); err != nil {
			return outOfBudget{err}
		}
		page, err := p.api.GetFindings(ctx, in)
		if err != nil {
			return classify("get findings", scope, err)
		}
		if err := fn(page.Findings); err != nil {
			return err
		}
		if aws.ToString(page.NextToken) == "" {
			return nil
		}
		in.NextToken = page.NextToken
	}
}

// importAt sends findings in batches of at most MaxBatch, each call waiting for a token of
// lim (the import rate, or the archives'). Findings refused for a reason a retry can fix (an internal error, throttling)
// are sent again up to three times with full-jitter backoff; the others are returned.
func (p *Publisher) importAt(ctx context.Context, lim *rate.Limiter, fs []types.AwsSecurityFinding) (imported int, failed []Failure, err error) {
	pending := fs
	for attempt := 0; len(pending) > 0; attempt++ {
		var again []types.AwsSecurityFinding
		for batch := range slices.Chunk(pending, MaxBatch) {
			if err := lim.Wait(ctx); err != nil {
				return imported, failed, outOfBudget{err}
			}
			out, err := p.api.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
			if err != nil {
				return imported, failed, classify("import findings", Scope{}, err)
			}
			imported += int(aws.ToInt32(out.SuccessCount))
			for _, ff := range out.FailedFindings {
				code := aws.ToString(ff.ErrorCode)
				if isAccessCode(code) {
					return imported, failed, enforce.Terminal(fmt.Errorf("import findings: Security Hub is not enabled, or the account's default product cannot import (%s: %s): %w",
						code, aws.ToString(ff.ErrorMessage), ErrNotEnabled))
				}
				if retryable(code) && attempt < retries {
					if i := slices.IndexFunc(batch, func(f types.AwsSecurityFinding) bool { return aws.ToString(f.Id) == aws.ToString(ff.Id) }); i >= 0 {
						again = append(again, batch[i])
						continue
					}
				}
				failed = append(failed, Failure{ID: aws.ToString(ff.Id), Code: code, Message: aws.ToString(ff.ErrorMessage)})
			}
		}
		if len(again) > 0 {
			if err := p.clock.Sleep(ctx, enforce.FullJitter(attempt, 200*time.Millisecond, 5*time.Second, p.rand)); err != nil {
				return imported, failed, err
			}
		}
		pending = again
	}
	return imported, failed, nil
}

// isAccessCode reports whether a FailedFindings code says Security Hub (or the default
// product's integration) is not enabled, which the user guide answers with InvalidAccess.
func isAccessCode(code string) bool {
	return strings.HasPrefix(code, "InvalidAccess")
}

// retryable reports whether a FailedFindings code is one a later attempt can get past.
func retryable(code string) bool {
	for _, s := range []string{"Internal", "Throttl", "LimitExceeded", "Unavailable", "Timeout"} {
		if strings.Contains(code, s) {
			return true
		}
	}
	return false
}

// classify wraps an error of a whole call: Security Hub not enabled and access denied are
// terminal and say so plainly; others (the SDK's retries exhausted) are returned as they are.
func classify(what string, scope Scope, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch code := api.ErrorCode(); {
		case code == "InvalidAccessException":
			where := ""
			if scope.Account != "" {
				where = fmt.Sprintf(" in account %s, Region %s", scope.Account, scope.Region)
			}
			return enforce.Terminal(fmt.Errorf("%s: Security Hub is not enabled%s (enable it, or turn findings off): %s: %w", what, where, api.ErrorMessage(), ErrNotEnabled))
		case code == "AccessDeniedException" || code == "AccessDenied":
			return enforce.Terminal(fmt.Errorf("%s: %s: %w", what, api.ErrorMessage(), ErrDenied))
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
