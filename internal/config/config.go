// Package config reads corsguard's Lambda settings from environment variables, in one place,
// and validates them at cold start with errors that name the variable. Vars lists every
// variable with its default and meaning; the SAM template test and the README are held to it.
//
// The log level is not one of these variables: the function honours Lambda's own
// AWS_LAMBDA_LOG_LEVEL (and AWS_LAMBDA_LOG_FORMAT), which Lambda sets from the function's
// LoggingConfig and lambdacontext.NewLogger reads.
package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// The names of the environment variables corsguard reads.
const (
	BaselineParameter = "CORSGUARD_BASELINE_PARAMETER"
	Include           = "CORSGUARD_INCLUDE"
	Exclude           = "CORSGUARD_EXCLUDE"
	ExemptTag         = "CORSGUARD_EXEMPT_TAG"
	Mode              = "CORSGUARD_MODE"
	Workers           = "CORSGUARD_WORKERS"
	Rate              = "CORSGUARD_RATE"
	BackoffBase       = "CORSGUARD_BACKOFF_BASE"
	BackoffCap        = "CORSGUARD_BACKOFF_CAP"
	DeadlineMargin    = "CORSGUARD_DEADLINE_MARGIN"
	MetricsNamespace  = "CORSGUARD_METRICS_NAMESPACE"
	Targets           = "CORSGUARD_TARGETS"
	S3Parameter       = "CORSGUARD_S3_BASELINE_PARAMETER"
	S3Include         = "CORSGUARD_S3_INCLUDE"
	S3Exclude         = "CORSGUARD_S3_EXCLUDE"
)

// Limits on the numeric settings. MediaStore allows at most 100 containers per Region and
// account, so more workers than that could never be busy.
const (
	MaxWorkers = enforce.MaxWorkers
	MaxRate    = 1000
)

// Config is the function's whole configuration.
type Config struct {
	// BaselineParameter is the name of the SSM parameter holding the baseline CORS policy.
	BaselineParameter string
	// Selector chooses the containers the baseline applies to.
	Selector policy.Selector
	// ExemptTag is the tag key that, with the value "true", exempts a container.
	ExemptTag string
	// Mode is the mode of event-driven and scheduled runs; direct invocations may ask for another.
	Mode enforce.Mode
	// Workers bounds the containers reconciled at once.
	Workers int
	// Rate is the client-side request rate per API operation, in requests per second.
	Rate float64
	// BackoffBase and BackoffCap shape the full-jitter backoff while a container is CREATING.
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// DeadlineMargin is the time kept free before the Lambda deadline: no container is started,
	// and no wait begun, that could not end before it.
	DeadlineMargin time.Duration
	// MetricsNamespace is the CloudWatch namespace of the EMF metrics.
	MetricsNamespace string
	// Targets are the kinds of resource to enforce the baseline on, in a stable order
	// (MediaStore containers before S3 buckets).
	Targets []policy.Kind
	// S3BaselineParameter is the SSM parameter of the S3 buckets' baseline; empty means
	// BaselineParameter, one baseline for both kinds.
	S3BaselineParameter string
	// S3Selector chooses the buckets the baseline applies to (Selector is the containers').
	S3Selector policy.Selector
}

// Enforces reports whether kind is one of c's targets.
func (c Config) Enforces(kind policy.Kind) bool { return slices.Contains(c.Targets, kind) }

// BaselineParameters returns the baseline parameters of the configured targets, each once.
func (c Config) BaselineParameters() []string {
	out := []string{c.BaselineParameter}
	if c.Enforces(policy.S3) && c.S3BaselineParameter != "" && c.S3BaselineParameter != c.BaselineParameter {
		out = append(out, c.S3BaselineParameter)
	}
	return out
}

// Var describes one environment variable.
type Var struct {
	Name string
	// Default is the value used when the variable is unset or empty; "" with Required set means
	// there is none.
	Default  string
	Required bool
	// Doc says in one line what the variable sets.
	Doc string
}

// Vars lists every variable Load reads, in a stable order.
func Vars() []Var {
	return []Var{
		{Name: BaselineParameter, Required: true, Doc: "name of the SSM parameter holding the baseline CORS policy, e.g. /corsguard/baseline"},
		{Name: Include, Doc: "comma-separated glob patterns (path.Match syntax) of the container names to manage; empty means all"},
		{Name: Exclude, Doc: "comma-separated glob patterns of container names never to manage; exclude wins over include"},
		{Name: ExemptTag, Default: "corsguard:exempt", Doc: "tag key that, with the value true, exempts a container: a drifted one with the tag is skipped and reported exempt, a compliant one is reported compliant"},
		{Name: Mode, Default: string(enforce.ModeEnforce), Doc: "enforce (repair drift) or audit (only report it) for events and schedules"},
		{Name: Workers, Default: "4", Doc: "containers reconciled at once (1-100)"},
		{Name: Rate, Default: "10", Doc: "client-side requests per second per API operation, shared by all workers"},
		{Name: BackoffBase, Default: "1s", Doc: "base of the full-jitter backoff while a container is CREATING (Go duration)"},
		{Name: BackoffCap, Default: "15s", Doc: "cap of one backoff sleep (Go duration, at least the base)"},
		{Name: DeadlineMargin, Default: "10s", Doc: "time kept free before the Lambda deadline (above 0); work that cannot finish before it is not started"},
		{Name: MetricsNamespace, Default: "CorsGuard", Doc: "CloudWatch namespace of the EMF metrics"},
		{Name: Targets, Default: string(policy.MediaStore), Doc: "comma-separated kinds of resource to enforce the baseline on: mediastore (containers), s3 (buckets in the function's Region), or both"},
		{Name: S3Parameter, Doc: "SSM parameter holding the S3 buckets' baseline (S3's rules: POST and rule IDs allowed); empty means the baseline parameter"},
		{Name: S3Include, Doc: "comma-separated glob patterns of the bucket names to manage; empty means all"},
		{Name: S3Exclude, Doc: "comma-separated glob patterns of bucket names never to manage; exclude wins over include"},
	}
}

// parameterName is SSM's pattern for a parameter name (hierarchies use "/"; at most 2048).
var parameterName = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

// namespace is CloudWatch's pattern for a metric namespace, less its length (1-255), which Load
// checks: a counted repetition compiles into a large program at package init, slowing every
// cold start.
var namespace = regexp.MustCompile(`^[a-zA-Z0-9._\-/#: ]+$`)

// Load reads and validates every variable through getenv (os.Getenv in main). It reports every
// bad variable at once, each error naming its variable.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv, defaults: map[string]string{}}
	for _, v := range Vars() {
		r.defaults[v.Name] = v.Default
	}
	var c Config

	c.BaselineParameter = r.get(BaselineParameter)
	switch {
	case c.BaselineParameter == "":
		r.fail(BaselineParameter, "is required: the name of the SSM parameter holding the baseline")
	case len(c.BaselineParameter) > 2048 || !parameterName.MatchString(c.BaselineParameter):
		r.fail(BaselineParameter, fmt.Sprintf("%q is not an SSM parameter name (letters, digits, _ . - /)", c.BaselineParameter))
	}

	c.Selector = r.selector(Include, Exclude)
	c.S3Selector = r.selector(S3Include, S3Exclude)

	bad := false
	for _, t := range r.list(Targets) {
		switch k := policy.Kind(strings.ToLower(t)); k {
		case policy.MediaStore, policy.S3:
			if !slices.Contains(c.Targets, k) {
				c.Targets = append(c.Targets, k)
			}
		default:
			bad = true
			r.fail(Targets, fmt.Sprintf("%q is neither mediastore nor s3", t))
		}
	}
	if len(c.Targets) == 0 && !bad {
		r.fail(Targets, "names no kind; want mediastore, s3 or both")
	}
	slices.Sort(c.Targets) // "mediastore" < "s3": containers first

	c.S3BaselineParameter = r.get(S3Parameter)
	if p := c.S3BaselineParameter; p != "" && (len(p) > 2048 || !parameterName.MatchString(p)) {
		r.fail(S3Parameter, fmt.Sprintf("%q is not an SSM parameter name (letters, digits, _ . - /)", p))
	}

	c.ExemptTag = r.get(ExemptTag)
	if n := len(c.ExemptTag); n > 128 {
		r.fail(ExemptTag, fmt.Sprintf("is %d characters; a tag key has at most 128", n))
	}

	if m, ok := enforce.ParseMode(r.get(Mode)); ok {
		c.Mode = m
	} else {
		r.fail(Mode, fmt.Sprintf("%q is neither enforce nor audit", r.get(Mode)))
	}

	c.Workers = r.int(Workers, 1, MaxWorkers)
	c.Rate = r.float(Rate, MaxRate)
	c.BackoffBase = r.duration(BackoffBase)
	c.BackoffCap = r.duration(BackoffCap)
	if c.BackoffBase > 0 && c.BackoffCap > 0 && c.BackoffCap < c.BackoffBase {
		r.fail(BackoffCap, fmt.Sprintf("%s is less than %s %s", c.BackoffCap, BackoffBase, c.BackoffBase))
	}
	// Zero is refused rather than passed on: the engine reads a zero margin as "the default".
	c.DeadlineMargin = r.duration(DeadlineMargin)

	c.MetricsNamespace = r.get(MetricsNamespace)
	switch {
	case len(c.MetricsNamespace) > 255 || !namespace.MatchString(c.MetricsNamespace):
		r.fail(MetricsNamespace, fmt.Sprintf("%q is not a CloudWatch namespace (1-255 of letters, digits, . _ - / # : space)", c.MetricsNamespace))
	case strings.HasPrefix(c.MetricsNamespace, "AWS/"):
		r.fail(MetricsNamespace, "namespaces starting with AWS/ are reserved for AWS")
	}

	if err := errors.Join(r.errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// selector reads an include and an exclude list of glob patterns.
func (r *reader) selector(include, exclude string) policy.Selector {
	in, ex := r.list(include), r.list(exclude)
	if _, err := policy.NewSelector(in, nil); err != nil {
		r.fail(include, err.Error())
	}
	if _, err := policy.NewSelector(nil, ex); err != nil {
		r.fail(exclude, err.Error())
	}
	return policy.Selector{Include: in, Exclude: ex}
}

// reader reads variables with their defaults and collects the errors.
type reader struct {
	getenv   func(string) string
	defaults map[string]string
	errs     []error
}

func (r *reader) get(name string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return r.defaults[name]
}

func (r *reader) fail(name, msg string) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, msg))
}

func (r *reader) list(name string) []string {
	var out []string
	for item := range strings.SplitSeq(r.get(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (r *reader) int(name string, lo, hi int) int {
	s := r.get(name)
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("%q is not a whole number from %d to %d", s, lo, hi))
		return 0
	}
	return n
}

func (r *reader) float(name string, hi float64) float64 {
	s := r.get(name)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= hi) {
		r.fail(name, fmt.Sprintf("%q is not a number above 0 and at most %g", s, hi))
		return 0
	}
	return f
}

func (r *reader) duration(name string) time.Duration {
	s := r.get(name)
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		r.fail(name, fmt.Sprintf("%q is not a Go duration such as 500ms or 2s", s))
	case d <= 0:
		r.fail(name, fmt.Sprintf("%q must be positive", s))
	default:
		return d
	}
	return 0
}

// Engine returns the engine's configuration for c.
func (c Config) Engine() enforce.Config {
	return enforce.Config{
		Parameter:    c.BaselineParameter,
		Selector:     c.Selector,
		ExemptTagKey: c.ExemptTag,
		Mode:         c.Mode,
		Workers:      c.Workers,
		Rate:         c.Rate,
		BackoffBase:  c.BackoffBase,
		BackoffCap:   c.BackoffCap,
		Margin:       c.DeadlineMargin,
		Kinds: map[policy.Kind]enforce.KindConfig{
			policy.S3: {Parameter: c.S3BaselineParameter, Selector: c.S3Selector},
		},
	}
}
