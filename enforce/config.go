package enforce

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// Defaults for the zero fields of Config.
const (
	DefaultExemptTagKey   = "corsguard:exempt"
	DefaultExemptTagValue = "true"
	DefaultMode           = ModeEnforce
	DefaultWorkers        = 4
	// DefaultRate is cautious: AWS publishes no request rate for MediaStore's control plane,
	// and at 10 calls per second per operation a sweep of the 100-container quota takes
	// about 10 s of GetCorsPolicy calls.
	DefaultRate = 10.0
	// DefaultBackoffBase and DefaultBackoffCap: a container is CREATING for seconds to a few
	// minutes; waits start around a second and never exceed 15 s, so an ACTIVE container is
	// noticed within about 15 s and a minute of waiting costs only a handful of calls.
	DefaultBackoffBase = time.Second
	DefaultBackoffCap  = 15 * time.Second
	// DefaultMargin is kept free before the Lambda deadline to finish the calls in flight,
	// write the report and return it.
	DefaultMargin = 10 * time.Second
	// DefaultMinDuration is the least time a resource is assumed to need before its start
	// is allowed near the deadline.
	DefaultMinDuration = time.Second
	// MaxWorkers bounds Workers; there are at most 100 containers per Region.
	MaxWorkers = 100
	// DefaultLambdaRate is corsguard's share of Lambda's control-plane quota (about 15
	// requests per second across most APIs, per account and Region, not raisable): a third,
	// leaving the account's own deployments most of it.
	DefaultLambdaRate = 5.0
	// DefaultAPIGatewayRate is corsguard's share of API Gateway's management quota (10
	// requests per second, burst 40, per account, not raisable): under a third.
	DefaultAPIGatewayRate = 3.0
	// LambdaQuota and APIGatewayQuota are the services' quotas, which a share cannot exceed.
	LambdaQuota     = 15.0
	APIGatewayQuota = 10.0
	// DefaultSSMRate is corsguard's share of Parameter Store's standard throughput (40
	// transactions per second per account and Region, shared by GetParameter, GetParameters
	// and GetParametersByPath of every application in the account): a quarter. corsguard needs
	// about one read per worker instance per baseline version and one per router invocation
	// (see docs/RELIABILITY.md, "Baseline reads"), and the account's other applications read
	// their own configuration from the same 40 (often at every cold start): they keep the rest.
	DefaultSSMRate = 10.0
	// SSMQuota is Parameter Store's standard throughput, which the share cannot exceed.
	SSMQuota = 40.0
)

// Config is everything an Engine needs besides its clients. Zero fields take the defaults
// above; Parameter is required.
type Config struct {
	// Parameter is the name of the SSM parameter that holds the baseline.
	Parameter string
	// Selector chooses the resources the baseline applies to by name.
	Selector policy.Selector
	// Targets are the kinds of resource to reconcile (policy.ParseKinds reads them). New
	// wants exactly one store for each; empty means the kinds of the stores New is given.
	Targets []policy.Kind
	// Kinds, per kind of resource, replaces Parameter and Selector for the stores of that
	// kind: an S3 baseline of its own, include and exclude patterns for bucket names. A kind
	// without an entry uses Parameter and Selector.
	Kinds map[policy.Kind]KindConfig
	// CloudFrontAddMissingCors makes the front ends build the CloudFront store with
	// CloudFrontOptions.AddMissingCors: the baseline is added to a selected response headers
	// policy that has no CorsConfig (by default such a policy is reported exempt and left alone).
	CloudFrontAddMissingCors bool
	// ExemptTagKey and ExemptTagValue name the tag that exempts a resource; the value is
	// compared without regard to case.
	ExemptTagKey   string
	ExemptTagValue string
	// ProfileTag is the tag whose value names a resource's profile (profile.DefaultTagKey when
	// empty); ProfilePatterns give profiles by name, the first that matches winning; a
	// profile's baseline of a kind is the parameter <ProfilesPath><kind>/<NAME>
	// (profile.DefaultPath when empty). See ProfileRules.
	ProfileTag      string
	ProfilePatterns []profile.Pattern
	ProfilesPath    string
	// Mode is used when Work.Mode is empty.
	Mode Mode
	// Workers is how many resources are reconciled at once.
	Workers int
	// Rate is the most requests per second per API operation, shared by all workers, retries
	// included. math.Inf(1) means no limit.
	Rate float64
	// LambdaRate and APIGatewayRate are the most requests per second of all the Lambda calls,
	// and of all the API Gateway calls, together (the lambda-url and http-api kinds): these
	// services' quotas are account-wide across their operations, so the engine keeps one
	// bucket per service instead of one per operation. math.Inf(1) means no limit.
	LambdaRate     float64
	APIGatewayRate float64
	// SSMRate is the most Parameter Store reads per second, every SSM call together (its
	// quota is account-wide across GetParameter, GetParameters and GetParametersByPath). A
	// worker's read waits for its token; the router's read takes one only if it is there at
	// once, and otherwise stamps no baseline version (the worker then reads). math.Inf(1)
	// means no limit.
	SSMRate float64
	// BackoffBase and BackoffCap shape the wait while a resource is busy (being created, or
	// in use): sleep = rand(0, min(BackoffCap, BackoffBase·2^n)) before the n-th retry.
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// Margin is the time kept free before the context's deadline: no call, wait or resource
	// is started that would end inside it.
	Margin time.Duration
	// MinDuration is the least time a resource is assumed to need; the engine estimates the
	// time of the next one as the larger of this and the mean of those finished so far.
	MinDuration time.Duration
	// Clock is the source of time; nil means the wall clock. A replacement must agree with the
	// wall clock that context deadlines use (a test clock can start at time.Now()).
	Clock Clock
	// Rand returns uniform random numbers in [0, 1) for the backoff jitter; nil means
	// math/rand/v2. It is called from several goroutines at once.
	Rand func() float64
	// OnTargets and OnEntry, when set, follow a run as it goes (the CLI's progress bar):
	// OnTargets gets the number of resources to reconcile once it is known, OnEntry each
	// resource's entry as soon as it is decided, from the worker that decided it, so possibly
	// from several goroutines at once. Both must return quickly.
	OnTargets func(n int)
	OnEntry   func(Entry)
}

// KindConfig is the baseline and selection of one kind of resource.
type KindConfig struct {
	// Parameter names the SSM parameter of this kind's baseline; empty means Config.Parameter.
	Parameter string
	// Selector chooses this kind's resources by name.
	Selector policy.Selector
}

// forKind returns the parameter and selector that apply to kind.
func (c Config) forKind(kind policy.Kind) (string, policy.Selector) {
	k, ok := c.Kinds[kind]
	if !ok {
		return c.Parameter, c.Selector
	}
	if k.Parameter == "" {
		k.Parameter = c.Parameter
	}
	return k.Parameter, k.Selector
}

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&c.ExemptTagKey, DefaultExemptTagKey)
	def(&c.ExemptTagValue, DefaultExemptTagValue)
	def(&c.ProfileTag, profile.DefaultTagKey)
	def(&c.ProfilesPath, profile.DefaultPath)
	if c.Mode == "" {
		c.Mode = DefaultMode
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.LambdaRate == 0 {
		c.LambdaRate = DefaultLambdaRate
	}
	if c.APIGatewayRate == 0 {
		c.APIGatewayRate = DefaultAPIGatewayRate
	}
	if c.SSMRate == 0 {
		c.SSMRate = DefaultSSMRate
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffCap == 0 {
		c.BackoffCap = max(DefaultBackoffCap, c.BackoffBase)
	}
	if c.Margin == 0 {
		c.Margin = DefaultMargin
	}
	if c.MinDuration == 0 {
		c.MinDuration = DefaultMinDuration
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c
}

// validate checks a Config that has its defaults, naming the field of every problem.
func (c Config) validate() error {
	var errs []error
	badf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Parameter == "" {
		badf("Parameter is empty; want the name of the baseline's SSM parameter")
	}
	if _, err := policy.NewSelector(c.Selector.Include, c.Selector.Exclude); err != nil {
		badf("Selector: %w", err)
	}
	for kind, k := range c.Kinds {
		if _, err := policy.NewSelector(k.Selector.Include, k.Selector.Exclude); err != nil {
			badf("Kinds[%s].Selector: %w", kind, err)
		}
	}
	if c.ProfileTag == c.ExemptTagKey {
		badf("ProfileTag %q is also the exemption tag's key; a tag cannot both exempt and name a profile", c.ProfileTag)
	}
	if _, err := profile.ParsePath(c.ProfilesPath); err != nil {
		badf("ProfilesPath: %w", err)
	}
	if _, err := profile.ParsePatterns(profile.FormatPatterns(c.ProfilePatterns)); err != nil {
		badf("ProfilePatterns: %w", err)
	}
	if _, ok := ParseMode(string(c.Mode)); !ok {
		badf("Mode %q: want %q or %q", c.Mode, ModeEnforce, ModeAudit)
	}
	for _, k := range c.Targets {
		if !slices.Contains(policy.Kinds(), k) {
			badf("Targets: unknown kind %q", k)
		}
	}
	if c.Workers < 1 || c.Workers > MaxWorkers {
		badf("Workers is %d; want 1 to %d", c.Workers, MaxWorkers)
	}
	if math.IsNaN(c.Rate) || c.Rate < 0 {
		badf("Rate is %v; want a positive number of requests per second", c.Rate)
	}
	if math.IsNaN(c.LambdaRate) || c.LambdaRate < 0 || (c.LambdaRate > LambdaQuota && !math.IsInf(c.LambdaRate, 1)) {
		badf("LambdaRate is %v; want above 0 and at most Lambda's quota of %v requests per second", c.LambdaRate, LambdaQuota)
	}
	if math.IsNaN(c.APIGatewayRate) || c.APIGatewayRate < 0 || (c.APIGatewayRate > APIGatewayQuota && !math.IsInf(c.APIGatewayRate, 1)) {
		badf("APIGatewayRate is %v; want above 0 and at most API Gateway's quota of %v requests per second", c.APIGatewayRate, APIGatewayQuota)
	}
	if math.IsNaN(c.SSMRate) || c.SSMRate < 0 || (c.SSMRate > SSMQuota && !math.IsInf(c.SSMRate, 1)) {
		badf("SSMRate is %v; want above 0 and at most Parameter Store's quota of %v reads per second", c.SSMRate, SSMQuota)
	}
	if c.BackoffBase < 0 || c.BackoffCap < c.BackoffBase {
		badf("BackoffBase %v and BackoffCap %v: want 0 < BackoffBase <= BackoffCap", c.BackoffBase, c.BackoffCap)
	}
	if c.Margin < 0 {
		badf("Margin is %v; want a positive duration", c.Margin)
	}
	if c.MinDuration < 0 {
		badf("MinDuration is %v; want a positive duration", c.MinDuration)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("enforce config: %w", err)
	}
	return nil
}

// ProfileRules returns how c chooses each resource's baseline: the exemption tag, the profile
// tag, the patterns and the profiles path, with their defaults.
func (c Config) ProfileRules() profile.Rules {
	d := c.withDefaults()
	return profile.Rules{ExemptKey: d.ExemptTagKey, ExemptValue: d.ExemptTagValue,
		TagKey: d.ProfileTag, Patterns: d.ProfilePatterns, Path: d.ProfilesPath}
}
