// Package config maps strings onto corsguard's one configuration, enforce.Config, in one
// syntax: the Lambda's environment variables (Load) and the CLI's flags (cmd/corsguard, through
// Settings and Parse) read the same setting with the same parser and give it the same
// meaning. Settings lists every environment variable with its default and meaning; the SAM
// template test and the README are held to it.
//
// The log level is not one of these variables: the function honours Lambda's own
// AWS_LAMBDA_LOG_LEVEL (and AWS_LAMBDA_LOG_FORMAT), which Lambda sets from the function's
// LoggingConfig and lambdacontext.NewLogger reads.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
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
	QueueURL          = "CORSGUARD_QUEUE_URL"
	MaxConcurrency    = "CORSGUARD_MAX_CONCURRENCY"
	ProfileTag        = "CORSGUARD_PROFILE_TAG"
	ProfilePatterns   = "CORSGUARD_PROFILE_PATTERNS"
	ProfilesPath      = "CORSGUARD_PROFILES_PATH"

	CloudFrontParameter      = "CORSGUARD_CLOUDFRONT_BASELINE_PARAMETER"
	CloudFrontInclude        = "CORSGUARD_CLOUDFRONT_INCLUDE"
	CloudFrontExclude        = "CORSGUARD_CLOUDFRONT_EXCLUDE"
	CloudFrontAddMissingCors = "CORSGUARD_CLOUDFRONT_ADD_MISSING_CORS"
	SecurityHub              = "CORSGUARD_SECURITY_HUB"
	SecurityHubRate          = "CORSGUARD_SECURITY_HUB_RATE"
	SweepSchedule            = "CORSGUARD_SWEEP_SCHEDULE"
	SecurityHubRefresh       = "CORSGUARD_SECURITY_HUB_REFRESH"
	FindingsQueueURL         = "CORSGUARD_FINDINGS_QUEUE_URL"

	APIParameter     = "CORSGUARD_API_BASELINE_PARAMETER"
	LambdaURLInclude = "CORSGUARD_LAMBDA_URL_INCLUDE"
	LambdaURLExclude = "CORSGUARD_LAMBDA_URL_EXCLUDE"
	HTTPAPIInclude   = "CORSGUARD_HTTP_API_INCLUDE"
	HTTPAPIExclude   = "CORSGUARD_HTTP_API_EXCLUDE"
	LambdaRate       = "CORSGUARD_LAMBDA_RATE"
	APIGatewayRate   = "CORSGUARD_APIGATEWAY_RATE"
	SSMRate          = "CORSGUARD_SSM_RATE"

	// Region is Lambda's own variable: the function's Region.
	Region = "AWS_REGION"
)

// DefaultAPIParameter is the default SSM parameter of the lambda-url and http-api baseline.
const DefaultAPIParameter = "/corsguard/api"

// targetsDoc says what each target names.
const targetsDoc = "mediastore (containers), s3 (buckets in the Region), cloudfront (custom response headers policies; global), lambda-url (function URLs in the Region), http-api (HTTP APIs in the Region), or all (mediastore and s3, which share a baseline's shape)"

// CloudFrontRegion is the one Region whose function enforces the cloudfront target: CloudFront
// is global, its CloudTrail events arrive there, and stacks in every other Region (a StackSet)
// must not all sweep and write the same policies.
const CloudFrontRegion = "us-east-1"

// DefaultNamespace is the metrics' CloudWatch namespace when the variable is unset (the
// handler's default too).
const DefaultNamespace = "CorsGuard"

// Limits on the numeric settings. MediaStore allows at most 100 containers per Region and
// account, so more workers than that could never be busy.
const (
	MaxWorkers = enforce.MaxWorkers
	MaxRate    = enforce.MaxRate
	// MinConcurrency and MaxConcurrencyLimit bound the work queue's event source mapping's
	// ScalingConfig.MaximumConcurrency, as Lambda does.
	MinConcurrency      = 2
	MaxConcurrencyLimit = 1000
	// MaxSecurityHubRate is BatchImportFindings' quota per account and Region.
	MaxSecurityHubRate = int(findings.AccountImportRate)
)

// Config is the function's whole configuration: the engine's, and what only the Lambda has.
type Config struct {
	// Engine is the configuration of the engine, and of the handler's routing.
	Engine enforce.Config
	// MetricsNamespace is the CloudWatch namespace of the EMF metrics.
	MetricsNamespace string
	// QueueURL is the SQS FIFO work queue's URL. Set, EventBridge events and schedules are
	// routed onto the queue, one message per resource, and SQS batches are reconciled as they
	// arrive; empty, every invocation reconciles in-process. Direct invocations always do.
	QueueURL string
	// MaxConcurrency is the most worker invocations at once (the event source mapping's
	// MaximumConcurrency); see Invocation.
	MaxConcurrency int
	// Notes are start-up warnings the function logs: a target refused in this Region.
	Notes []string
	// Region is the function's Region, from Lambda's own AWS_REGION (a Runtime setting: the
	// template does not set it): the handler acts only on events of this Region.
	Region string
	// SecurityHub turns on one Security Hub finding per checked resource (package findings).
	// The CLI's --security-hub is its own flag: the CLI imports at the rate of a single process.
	SecurityHub bool
	// SecurityHubRate is corsguard's BatchImportFindings calls per second, all instances
	// together: its share of the account's quota of 10; see FindingsRate.
	SecurityHubRate float64
	// SweepInterval is the time between two scheduled sweeps, read from the schedule
	// expression (CORSGUARD_SWEEP_SCHEDULE, the template's SweepSchedule).
	SweepInterval time.Duration
	// SecurityHubRefresh is how old an unchanged finding's last import may grow before it is
	// imported again (findings.WithRefresh): findings are imported when their state changes,
	// and refreshed once per period so that Security Hub, which deletes findings not updated
	// for 90 days, keeps them.
	SecurityHubRefresh time.Duration
	// FindingsQueueURL is the SQS standard findings queue's URL (with QueueURL and
	// SecurityHub): the workers hand their findings to it and the publisher, fed by its event
	// source mapping, imports them. Empty: the workers import their own.
	FindingsQueueURL string
}

// PublisherConcurrency is the findings queue's event source mapping's MaximumConcurrency: the
// fewest Lambda allows, and fixed, so that the publishers' share of Security Hub's
// account-wide quotas does not depend on the workers' MaximumConcurrency.
const PublisherConcurrency = 2

// FindingsBatch and FindingsWindow are the findings queue's event source mapping's BatchSize
// and MaximumBatchingWindow, as template.yaml's FindingsQueueMapping sets them (the bench's
// TestTheFindingsMappingIsTheTemplates holds them to it): the demo and the bench play it so.
const (
	FindingsBatch  = 100
	FindingsWindow = 5 * time.Second
)

// StaleSweeps is how many sweep intervals a finding may go without an update before a sweep
// archives it: its resource is gone, or no longer selected.
const StaleSweeps = 2

// StaleFindings is the age past which a sweep archives corsguard's active findings that no run
// updated: the refresh period (an unchanged finding is imported only that often) plus
// StaleSweeps sweep intervals.
func (c Config) StaleFindings() time.Duration {
	return c.SecurityHubRefresh + StaleSweeps*c.SweepInterval
}

// DefaultSecurityHubRefresh is 30 days: a third of Security Hub's 90 days, so that many
// failed sweeps in a row still cannot lose a finding. MaxSecurityHubRefresh leaves 30 days of
// margin.
const (
	DefaultSecurityHubRefresh = 30 * 24 * time.Hour
	MaxSecurityHubRefresh     = 60 * 24 * time.Hour
)

// FindingsRate is one invocation's BatchImportFindings calls per second: SecurityHubRate
// divided among the invocations that may import at once, so that together they stay under
// corsguard's share of the account's quota. With the findings queue those are the
// PublisherConcurrency publishers, whatever MaxConcurrency is, beside the router's archive
// steps at ArchiveImportRate; without it, the MaxConcurrency workers and the router.
func (c Config) FindingsRate() float64 {
	if c.findingsQueue() {
		return c.SecurityHubRate * (1 - ArchiveImportShare) / PublisherConcurrency
	}
	return c.SecurityHubRate / float64(c.importers())
}

// ArchiveImportShare is the part of corsguard's BatchImportFindings share that, with the
// findings queue, the router's archive steps take (a sweep's archive of what no run updated, a
// delete event's archive): they import one call now and then, while the publishers import
// every other finding and so take the rest, SecurityHubRate × (1 − ArchiveImportShare) ÷
// PublisherConcurrency each (FindingsRate).
const ArchiveImportShare = 0.04

// ArchiveImportRate is one invocation's BatchImportFindings calls per second for its archive
// steps: with the findings queue, ArchiveImportShare of SecurityHubRate; without it, the same
// as FindingsRate.
func (c Config) ArchiveImportRate() float64 {
	if c.findingsQueue() {
		return c.SecurityHubRate * ArchiveImportShare
	}
	return c.FindingsRate()
}

// findingsQueue reports whether the workers hand their findings to the findings queue.
func (c Config) findingsQueue() bool { return c.QueueURL != "" && c.FindingsQueueURL != "" }

// ListingReadShare is the part of corsguard's GetFindings share (findings.DefaultReadRate) that
// a sweep's listing takes for its bulk read of the previous findings (with the findings
// queue): during a sweep the listing reads nearly every GetFindings page corsguard needs (100
// findings a call), while the publishers read back only what events hand them, 20 Ids a call.
// One listing carrier reads at a time per sweep: S3's, the one kind listed in name order. Two
// sweeps that overlap (a baseline change during the scheduled sweep) read 3.6 per second
// together, over the account's 3: the SDK's standard retryer absorbs the excess
// (docs/security-hub.md).
const ListingReadShare = 0.9

// ListingReadRate is the GetFindings calls per second of a sweep's listing (its bulk read of
// the previous findings): ListingReadShare of findings.DefaultReadRate.
func (c Config) ListingReadRate() float64 {
	return findings.DefaultReadRate * ListingReadShare
}

// FindingsReadRate is one invocation's GetFindings calls per second for its other reads (the
// publishers' reads by Id, a sweep's archive step, a delete event's): with the findings queue,
// what ListingReadShare leaves of corsguard's share (findings.DefaultReadRate of the account's
// 3), divided among the PublisherConcurrency publishers and the router, so that every reader
// that can run at once, the listing included, stays within the share; without it, the share
// divided as FindingsRate divides its own.
func (c Config) FindingsReadRate() float64 {
	if c.findingsQueue() {
		return findings.DefaultReadRate * (1 - ListingReadShare) / float64(c.importers())
	}
	return findings.DefaultReadRate / float64(c.importers())
}

// importers is how many invocations may call Security Hub at once.
func (c Config) importers() int {
	if c.findingsQueue() {
		return PublisherConcurrency + 1
	}
	return max(c.MaxConcurrency, 1) + 1
}

// Invocation is the engine's configuration for one invocation of the function. With a work
// queue, each invocation keeps to the rate divided by MaxConcurrency, so that the concurrent
// workers together stay at the configured account-wide rate.
func (c Config) Invocation() enforce.Config {
	e := c.Engine
	if c.QueueURL != "" && c.MaxConcurrency > 0 {
		e.Rate /= float64(c.MaxConcurrency)
		// Lambda's and API Gateway's shares bind every invocation of the account together, as
		// the rate does: each worker keeps to its part, the router to one more.
		e.LambdaRate = cmp.Or(e.LambdaRate, enforce.DefaultLambdaRate) / float64(c.MaxConcurrency+1)
		e.APIGatewayRate = cmp.Or(e.APIGatewayRate, enforce.DefaultAPIGatewayRate) / float64(c.MaxConcurrency+1)
		e.SSMRate = cmp.Or(e.SSMRate, enforce.DefaultSSMRate) / float64(c.MaxConcurrency+1)
	}
	return e
}

// Setting is one setting of enforce.Config that the Lambda's environment and the CLI's flags
// both set: the same syntax, the same parser, the same meaning. Add a setting here, not in
// either front end.
type Setting struct {
	// Env is the environment variable, Flag the CLI's flag without "--" ("" when the CLI has
	// none: the mode is the command, audit or apply; the CLI has no deadline).
	Env, Flag string
	// Default is the value used when the setting is unset or empty; "" with Required set means
	// there is none.
	Default  string
	Required bool
	// List says the value is a list, its items separated by Sep (a comma when empty); a flag
	// may then also be repeated, its values joined by Sep.
	List bool
	Sep  string
	// Kind, when set, is the only kind the setting applies to.
	Kind policy.Kind
	// Function says only the Lambda function reads the setting (the CLI has no flag for it and
	// Parse leaves it out); Runtime, that Lambda itself sets the variable (AWS_REGION), so the
	// template does not.
	Function, Runtime bool
	// Doc says in one line what the setting sets; FlagDoc, when set, is the CLI flag's help
	// where the CLI words it differently (its defaults are flags, not variables).
	Doc, FlagDoc string
	// set parses a value (its default when unset) onto c.
	set func(c *Config, value string) error
}

// engine is the setter of a setting of the engine's configuration.
func engine(set func(c *enforce.Config, value string) error) func(*Config, string) error {
	return func(c *Config, v string) error { return set(&c.Engine, v) }
}

// Settings returns every setting, in a stable order: the engine's, which the Lambda's
// environment and the CLI's flags both read, then those only the function reads.
func Settings() []Setting {
	return slices.Concat(selectionSettings(), engineSettings(), kindSettings(), apiSettings(), quotaSettings(), functionSettings())
}

// selectionSettings say which resources are managed and with which baseline.
func selectionSettings() []Setting {
	return []Setting{
		{Env: BaselineParameter, Flag: "baseline-parameter", Required: true,
			FlagDoc: "SSM parameter holding the baseline CORS policy",
			Doc:     "name of the SSM parameter holding the baseline CORS policy, e.g. /corsguard/baseline",
			set:     engine(func(c *enforce.Config, v string) (err error) { c.Parameter, err = parameter(v); return err })},
		{Env: Include, Flag: "include", List: true, Kind: policy.MediaStore,
			FlagDoc: "glob patterns (path.Match) of container names to check; repeatable or comma-separated (default: all)",
			Doc:     "comma-separated glob patterns (path.Match syntax) of the container names to manage; empty means all",
			set:     engine(func(c *enforce.Config, v string) (err error) { c.Selector.Include, err = patterns(v); return err })},
		{Env: Exclude, Flag: "exclude", List: true, Kind: policy.MediaStore,
			FlagDoc: "glob patterns of container names never to check; exclude wins over include",
			Doc:     "comma-separated glob patterns of container names never to manage; exclude wins over include",
			set:     engine(func(c *enforce.Config, v string) (err error) { c.Selector.Exclude, err = patterns(v); return err })},
		{Env: ExemptTag, Flag: "exempt-tag", Default: enforce.DefaultExemptTagKey + "=" + enforce.DefaultExemptTagValue,
			Doc: "tag KEY=VALUE, or KEY alone meaning KEY=true, that exempts a container or bucket: a drifted one with the tag is skipped and reported exempt, a compliant one is reported compliant; the value compares without regard to case",
			set: engine(func(c *enforce.Config, v string) (err error) {
				c.ExemptTagKey, c.ExemptTagValue, err = enforce.ParseTag(v)
				return err
			})},
		{Env: ProfileTag, Flag: "profile-tag", Default: profile.DefaultTagKey,
			Doc: "tag KEY whose value names a resource's profile (1-64 of A-Z a-z 0-9 _ . -); the profile's baseline of a kind is the parameter <profiles path><kind>/<NAME>; a tag naming a missing or invalid profile is a terminal failure of that resource, never the default baseline",
			set: engine(func(c *enforce.Config, v string) error {
				key, value, err := enforce.ParseTag(v)
				if err == nil && strings.Contains(v, "=") {
					err = fmt.Errorf("%q: want a tag KEY alone (its value names the profile), not KEY=%s", v, value)
				}
				c.ProfileTag = key
				return err
			})},
		{Env: ProfilePatterns, Flag: "profile-pattern", List: true, Sep: profile.PatternSep,
			Doc: "profiles by name, NAME=GLOB[,GLOB...] joined by ; (\"uploads=upload-*,ingest-*;partners=partner-*\"), tried in order after the profile tag: the first whose glob matches the resource's name gives its profile; the only way for kinds without tags (CloudFront response headers policies)",
			set: engine(func(c *enforce.Config, v string) (err error) {
				c.ProfilePatterns, err = profile.ParsePatterns(v)
				return err
			})},
		{Env: ProfilesPath, Flag: "profiles-path", Default: profile.DefaultPath,
			Doc: "SSM path of the profiles' baselines, beginning and ending with /: a profile NAME's baseline for a kind is the parameter <path><kind>/<NAME>, such as /corsguard/profiles/s3/uploads",
			set: engine(func(c *enforce.Config, v string) (err error) { c.ProfilesPath, err = profile.ParsePath(v); return err })},
	}
}

// engineSettings set how the engine works: its mode, pace and targets.
func engineSettings() []Setting {
	return []Setting{
		{Env: Mode, Default: string(enforce.ModeEnforce),
			Doc: "enforce (repair drift) or audit (only report it) for events and schedules",
			set: engine(func(c *enforce.Config, v string) error {
				m, ok := enforce.ParseMode(v)
				if !ok {
					return fmt.Errorf("%q is neither enforce nor audit", v)
				}
				c.Mode = m
				return nil
			})},
		{Env: Workers, Flag: "workers", Default: strconv.Itoa(enforce.DefaultWorkers),
			FlagDoc: fmt.Sprintf("containers and buckets checked at once (1-%d)", MaxWorkers),
			Doc:     fmt.Sprintf("containers and buckets reconciled at once (1-%d)", MaxWorkers),
			set:     engine(func(c *enforce.Config, v string) (err error) { c.Workers, err = whole(v, 1, MaxWorkers); return err })},
		{Env: Rate, Flag: "rate", Default: strconv.FormatFloat(enforce.DefaultRate, 'f', -1, 64),
			Doc: fmt.Sprintf("client-side requests per second per API operation, shared by all workers (above 0, at most %d)", MaxRate),
			set: engine(func(c *enforce.Config, v string) (err error) { c.Rate, err = positive(v, MaxRate); return err })},
		{Env: BackoffBase, Flag: "backoff-base", Default: enforce.DefaultBackoffBase.String(),
			Doc: "base of the full-jitter backoff while a resource is busy, such as a container CREATING (Go duration)",
			set: engine(func(c *enforce.Config, v string) (err error) { c.BackoffBase, err = duration(v); return err })},
		{Env: BackoffCap, Flag: "backoff-cap", Default: enforce.DefaultBackoffCap.String(),
			Doc: "cap of one backoff wait (Go duration, at least the base)",
			set: engine(func(c *enforce.Config, v string) (err error) { c.BackoffCap, err = duration(v); return err })},
		{Env: DeadlineMargin, Default: enforce.DefaultMargin.String(),
			Doc: "time kept free before the Lambda deadline (above 0); work that cannot finish before it is not started",
			// Zero is refused rather than passed on: the engine reads a zero margin as "the default".
			set: engine(func(c *enforce.Config, v string) (err error) { c.Margin, err = duration(v); return err })},
		{Env: Targets, Flag: "target", Default: string(policy.MediaStore), List: true,
			FlagDoc: "what to check: " + targetsDoc + "; repeatable or comma-separated",
			Doc:     "comma-separated kinds of resource to enforce the baseline on: " + targetsDoc + "; only a function in " + CloudFrontRegion + " enforces cloudfront",
			set:     engine(func(c *enforce.Config, v string) (err error) { c.Targets, err = policy.ParseKinds(v); return err })},
	}
}

// kindSettings are the settings of one kind each: its baseline parameter and its selector.
func kindSettings() []Setting {
	return []Setting{
		{Env: S3Parameter, Flag: "s3-baseline-parameter", Kind: policy.S3,
			FlagDoc: "SSM parameter holding the S3 buckets' baseline (default: --baseline-parameter)",
			Doc:     "SSM parameter holding the S3 buckets' baseline (S3's rules: POST and rule IDs allowed); empty means the baseline parameter",
			set: engine(func(c *enforce.Config, v string) error {
				if v == "" {
					return nil
				}
				p, err := parameter(v)
				c.Kinds[policy.S3] = enforce.KindConfig{Parameter: p, Selector: c.Kinds[policy.S3].Selector}
				return err
			})},
		{Env: S3Include, Flag: "s3-include", List: true, Kind: policy.S3,
			FlagDoc: "glob patterns of bucket names to check (default: all)",
			Doc:     "comma-separated glob patterns of the bucket names to manage; empty means all",
			set: engine(func(c *enforce.Config, v string) error {
				k := c.Kinds[policy.S3]
				var err error
				k.Selector.Include, err = patterns(v)
				c.Kinds[policy.S3] = k
				return err
			})},
		{Env: S3Exclude, Flag: "s3-exclude", List: true, Kind: policy.S3,
			FlagDoc: "glob patterns of bucket names never to check; exclude wins over include",
			Doc:     "comma-separated glob patterns of bucket names never to manage; exclude wins over include",
			set: engine(func(c *enforce.Config, v string) error {
				k := c.Kinds[policy.S3]
				var err error
				k.Selector.Exclude, err = patterns(v)
				c.Kinds[policy.S3] = k
				return err
			})},
		{Env: CloudFrontParameter, Flag: "cloudfront-baseline-parameter", Kind: policy.CloudFront,
			FlagDoc: "SSM parameter holding the CloudFront response headers policies' baseline, a CorsConfig (default: --baseline-parameter, which must then hold a CorsConfig)",
			Doc:     "SSM parameter holding the CloudFront baseline, a CorsConfig as aws cloudfront get-response-headers-policy prints it; empty means the baseline parameter, which must then hold a CorsConfig",
			set: engine(func(c *enforce.Config, v string) error {
				if v == "" {
					return nil
				}
				p, err := parameter(v)
				k := c.Kinds[policy.CloudFront]
				k.Parameter = p
				c.Kinds[policy.CloudFront] = k
				return err
			})},
		{Env: CloudFrontInclude, Flag: "cloudfront-include", List: true, Kind: policy.CloudFront,
			FlagDoc: "glob patterns of custom response headers policy names to check (default: all); policies carry no tags, so patterns are the way to exempt one",
			Doc:     "comma-separated glob patterns of the custom response headers policy names to manage; empty means all (policies carry no tags: the patterns are the way to exempt one)",
			set: engine(func(c *enforce.Config, v string) error {
				k := c.Kinds[policy.CloudFront]
				var err error
				k.Selector.Include, err = patterns(v)
				c.Kinds[policy.CloudFront] = k
				return err
			})},
		{Env: CloudFrontExclude, Flag: "cloudfront-exclude", List: true, Kind: policy.CloudFront,
			FlagDoc: "glob patterns of response headers policy names never to check; exclude wins over include",
			Doc:     "comma-separated glob patterns of response headers policy names never to manage; exclude wins over include",
			set: engine(func(c *enforce.Config, v string) error {
				k := c.Kinds[policy.CloudFront]
				var err error
				k.Selector.Exclude, err = patterns(v)
				c.Kinds[policy.CloudFront] = k
				return err
			})},
		{Env: CloudFrontAddMissingCors, Flag: "cloudfront-add-missing-cors", Kind: policy.CloudFront, Default: "false",
			FlagDoc: "add the baseline to a selected response headers policy without a CorsConfig (default: report it exempt and leave it alone)",
			Doc:     "true: add the baseline to a selected response headers policy that has no CorsConfig; false: report it exempt and leave it alone",
			set: engine(func(c *enforce.Config, v string) (err error) {
				c.CloudFrontAddMissingCors, err = boolean(v)
				return err
			})},
	}
}

// apiSettings are the settings of Lambda function URLs and HTTP APIs, which share a baseline.
func apiSettings() []Setting {
	return []Setting{
		{Env: APIParameter, Flag: "api-baseline-parameter", Default: DefaultAPIParameter,
			FlagDoc: "SSM parameter holding the baseline of Lambda function URLs and HTTP APIs, a Cors object",
			Doc:     "SSM parameter holding the baseline of Lambda function URLs and HTTP APIs (the lambda-url and http-api targets), a Cors object as aws lambda get-function-url-config prints it",
			set: engine(func(c *enforce.Config, v string) error {
				p, err := parameter(v)
				for _, k := range []policy.Kind{policy.LambdaURL, policy.HTTPAPI} {
					kc := c.Kinds[k]
					kc.Parameter = p
					c.Kinds[k] = kc
				}
				return err
			})},
		kindPatterns(LambdaURLInclude, "lambda-url-include", policy.LambdaURL, true,
			"comma-separated glob patterns of the function names whose URLs to manage (FUNCTION, or FUNCTION:ALIAS for an alias's URL); empty means all"),
		kindPatterns(LambdaURLExclude, "lambda-url-exclude", policy.LambdaURL, false,
			"comma-separated glob patterns of function URLs never to manage; exclude wins over include"),
		kindPatterns(HTTPAPIInclude, "http-api-include", policy.HTTPAPI, true,
			"comma-separated glob patterns of the HTTP API names to manage (APIs are reported by ApiId, selected by name); empty means all"),
		kindPatterns(HTTPAPIExclude, "http-api-exclude", policy.HTTPAPI, false,
			"comma-separated glob patterns of HTTP API names never to manage; exclude wins over include"),
	}
}

// quotaSettings are corsguard's shares of the control planes' account-wide quotas.
func quotaSettings() []Setting {
	return []Setting{
		{Env: LambdaRate, Flag: "lambda-rate", Default: strconv.FormatFloat(enforce.DefaultLambdaRate, 'f', -1, 64),
			Doc: fmt.Sprintf("corsguard's share of Lambda's control-plane quota (about %g requests per second across its APIs, per account, not raisable): requests per second of every Lambda call together (above 0, at most %g)", enforce.LambdaQuota, enforce.LambdaQuota),
			set: engine(func(c *enforce.Config, v string) (err error) {
				c.LambdaRate, err = positive(v, enforce.LambdaQuota)
				return err
			})},
		{Env: APIGatewayRate, Flag: "apigateway-rate", Default: strconv.FormatFloat(enforce.DefaultAPIGatewayRate, 'f', -1, 64),
			Doc: fmt.Sprintf("corsguard's share of API Gateway's management quota (%g requests per second per account, not raisable): requests per second of every API Gateway call together (above 0, at most %g)", enforce.APIGatewayQuota, enforce.APIGatewayQuota),
			set: engine(func(c *enforce.Config, v string) (err error) {
				c.APIGatewayRate, err = positive(v, enforce.APIGatewayQuota)
				return err
			})},
		{Env: SSMRate, Flag: "ssm-rate", Default: strconv.FormatFloat(enforce.DefaultSSMRate, 'f', -1, 64),
			Doc: fmt.Sprintf("corsguard's share of Parameter Store's standard throughput (%g reads per second per account, shared by GetParameter, GetParameters and GetParametersByPath of every application): baseline reads per second, all invocations together (above 0, at most %g); a router without a token at once stamps no baseline version and lets the worker read it", enforce.SSMQuota, enforce.SSMQuota),
			set: engine(func(c *enforce.Config, v string) (err error) {
				c.SSMRate, err = positive(v, enforce.SSMQuota)
				return err
			})},
	}
}

// Apply parses value (its default when empty) onto c as Parse does for this setting, for the
// commands that take a few settings alone (diff takes the profile settings).
func (s Setting) Apply(c *enforce.Config, value string) error {
	v := strings.TrimSpace(value)
	if v == "" {
		v = s.Default
	}
	w := Config{Engine: *c}
	err := s.set(&w, v)
	*c = w.Engine
	return err
}

// Parse maps the strings of every setting of the engine onto an enforce.Config and validates
// it: the CLI's flags. value returns the string given for a setting ("" when unset: its
// default applies); name says how the user wrote the setting (the variable, or the flag), for
// the errors, which cover every bad setting at once.
func Parse(value func(Setting) string, name func(Setting) string) (enforce.Config, error) {
	c, err := parse(value, name, false)
	return c.Engine, err
}

// parse maps the strings of the settings onto a Config and validates it; the settings only
// the function reads are left out unless function is set.
func parse(value func(Setting) string, name func(Setting) string, function bool) (Config, error) {
	// Buckets and response headers policies always have their own selector: the containers'
	// patterns never choose them.
	c := Config{Engine: enforce.Config{Kinds: map[policy.Kind]enforce.KindConfig{policy.S3: {}, policy.CloudFront: {}, policy.LambdaURL: {}, policy.HTTPAPI: {}}}}
	var errs []error
	for _, s := range Settings() {
		if s.Function && !function {
			continue
		}
		v := strings.TrimSpace(value(s))
		if v == "" {
			v = s.Default
		}
		if v == "" && s.Required {
			errs = append(errs, fmt.Errorf("%s: is required", name(s)))
			continue
		}
		if err := s.set(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name(s), err))
		}
	}
	e := c.Engine
	if e.BackoffBase > 0 && e.BackoffCap > 0 && e.BackoffCap < e.BackoffBase {
		errs = append(errs, fmt.Errorf("%s: %s is less than %s %s", name(setting(BackoffCap)), e.BackoffCap,
			name(setting(BackoffBase)), e.BackoffBase))
	}
	if e.ProfileTag != "" && e.ProfileTag == e.ExemptTagKey {
		errs = append(errs, fmt.Errorf("%s: %q is also the exemption tag's key, the key of %s: a tag cannot both exempt and name a profile",
			name(setting(ProfileTag)), e.ProfileTag, name(setting(ExemptTag))))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	// Whatever the strings can say, the engine must accept: its own checks are the last word.
	if err := c.Engine.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// kindPatterns is the include (or exclude) patterns setting of one kind's selector.
func kindPatterns(env, flag string, kind policy.Kind, include bool, doc string) Setting {
	return Setting{Env: env, Flag: flag, List: true, Kind: kind, Doc: doc,
		set: engine(func(c *enforce.Config, v string) error {
			p, err := patterns(v)
			k := c.Kinds[kind]
			if include {
				k.Selector.Include = p
			} else {
				k.Selector.Exclude = p
			}
			c.Kinds[kind] = k
			return err
		})}
}

// setting returns the setting read from the variable env.
func setting(env string) Setting {
	i := slices.IndexFunc(Settings(), func(s Setting) bool { return s.Env == env })
	return Settings()[i]
}

// functionSettings are the settings only the Lambda function reads: the CLI has no flag for
// them (its --security-hub is its own: the CLI imports at the rate of a single process).
func functionSettings() []Setting {
	return []Setting{
		{Env: QueueURL, Function: true,
			Doc: "URL of the SQS FIFO work queue; set, events and schedules enqueue one message per resource and SQS batches are reconciled; empty, everything runs in-process",
			set: func(c *Config, v string) error {
				if v != "" && !queueURL.MatchString(v) {
					return fmt.Errorf("%q is not the URL of an SQS FIFO queue (https://..., ending in .fifo)", v)
				}
				c.QueueURL = v
				return nil
			}},
		{Env: MaxConcurrency, Function: true, Default: strconv.Itoa(MinConcurrency),
			Doc: fmt.Sprintf("most worker invocations at once (the event source mapping's MaximumConcurrency, %d-%d); with a queue each invocation keeps to the rate divided by it", MinConcurrency, MaxConcurrencyLimit),
			set: func(c *Config, v string) (err error) {
				c.MaxConcurrency, err = whole(v, MinConcurrency, MaxConcurrencyLimit)
				return err
			}},
		{Env: MetricsNamespace, Function: true, Default: DefaultNamespace, Doc: "CloudWatch namespace of the EMF metrics",
			set: func(c *Config, v string) error {
				switch {
				case len(v) > 255 || !namespace.MatchString(v):
					return fmt.Errorf("%q is not a CloudWatch namespace (1-255 of letters, digits, . _ - / # : space)", v)
				case strings.HasPrefix(v, "AWS/"):
					return errors.New("namespaces starting with AWS/ are reserved for AWS")
				}
				c.MetricsNamespace = v
				return nil
			}},
		{Env: SecurityHub, Function: true, Default: "false",
			Doc: "true: import one Security Hub finding per checked resource into the account's default product, and archive the findings of resources a sweep no longer covers",
			set: func(c *Config, v string) (err error) { c.SecurityHub, err = boolean(v); return err }},
		{Env: SweepSchedule, Function: true, Default: "rate(1 day)",
			Doc: fmt.Sprintf("the sweep's EventBridge schedule expression (the template's SweepSchedule): a sweep archives the findings no run updated for %d of its intervals (a cron expression counts as 7 days, so nothing is archived early)", StaleSweeps),
			set: func(c *Config, v string) (err error) { c.SweepInterval, err = scheduleInterval(v); return err }},
		{Env: SecurityHubRefresh, Function: true, Default: DefaultSecurityHubRefresh.String(),
			Doc: fmt.Sprintf("a finding is imported when its state changes, and an unchanged one again once its last import is older than this (a Go duration, at least 1h, at most %s: Security Hub deletes findings not updated for 90 days)", MaxSecurityHubRefresh),
			set: func(c *Config, v string) error {
				d, err := duration(v)
				if err == nil && (d < time.Hour || d > MaxSecurityHubRefresh) {
					err = fmt.Errorf("%s is not between 1h and %s", d, MaxSecurityHubRefresh)
				}
				c.SecurityHubRefresh = d
				return err
			}},
		{Env: SecurityHubRate, Function: true, Default: "5",
			Doc: fmt.Sprintf("corsguard's BatchImportFindings calls per second, every instance together (above 0, at most %d, the account's quota, which other finding providers share); with the findings queue each of its %d publishers takes %g of it divided by %d and each router invocation that archives (a sweep's, a delete event's) %g of it, whatever %s is; without it each invocation takes it divided by %s + 1", MaxSecurityHubRate, PublisherConcurrency, 1-ArchiveImportShare, PublisherConcurrency, ArchiveImportShare, MaxConcurrency, MaxConcurrency),
			set: func(c *Config, v string) (err error) {
				c.SecurityHubRate, err = positive(v, float64(MaxSecurityHubRate))
				return err
			}},
		{Env: FindingsQueueURL, Function: true,
			Doc: fmt.Sprintf("URL of the SQS standard findings queue (with %s and %s=true): workers hand their findings to it and the publisher, fed by its event source mapping at MaximumConcurrency %d, imports the changed ones 100 to a call; empty, workers import their own", QueueURL, SecurityHub, PublisherConcurrency),
			set: func(c *Config, v string) error {
				if v != "" && (!standardQueueURL.MatchString(v) || strings.HasSuffix(v, ".fifo")) {
					return fmt.Errorf("%q is not the URL of an SQS standard queue (https://..., not ending in .fifo)", v)
				}
				c.FindingsQueueURL = v
				return nil
			}},
		{Env: Region, Function: true, Runtime: true,
			Doc: "the function's Region, which Lambda sets: the handler acts only on events of this Region, and only a function in " + CloudFrontRegion + " enforces the cloudfront target",
			set: func(c *Config, v string) error { c.Region = v; return nil }},
	}
}

// queueURL is the URL of an SQS FIFO queue (the work queue must be FIFO: its message groups
// keep one resource to one worker at a time).
var queueURL = regexp.MustCompile(`^https?://[^\s/]+/[^\s]*\.fifo$`)

// standardQueueURL is the URL of an SQS queue with an account and a name, not a FIFO one (the
// findings queue is standard: Lambda batches up to 10,000 of its messages).
var standardQueueURL = regexp.MustCompile(`^https?://[^\s/]+/[^\s/]+/[^\s/]+$`)

// Load reads and validates every setting through getenv (os.Getenv in main). It reports every
// bad variable at once, each error naming its variable.
func Load(getenv func(string) string) (Config, error) {
	c, err := parse(func(s Setting) string { return getenv(s.Env) }, func(s Setting) string { return s.Env }, true)
	if err != nil {
		return Config{}, err
	}
	if c.FindingsQueueURL != "" && (c.QueueURL == "" || !c.SecurityHub) {
		return Config{}, fmt.Errorf("%s: set, it needs %s and %s=true (the workers hand it their findings)", FindingsQueueURL, QueueURL, SecurityHub)
	}
	// CloudFront is global: only a function in us-east-1 enforces it. Elsewhere the target is
	// refused with a note, and the others still run (one StackSet, every Region).
	if slices.Contains(c.Engine.Targets, policy.CloudFront) && c.Region != CloudFrontRegion {
		region := cmp.Or(c.Region, "an unknown Region")
		c.Engine.Targets = slices.DeleteFunc(c.Engine.Targets, func(k policy.Kind) bool { return k == policy.CloudFront })
		c.Notes = append(c.Notes, fmt.Sprintf("%s: the cloudfront target is refused in %s: CloudFront is global and only a function in %s (where its CloudTrail events arrive) enforces it", Targets, region, CloudFrontRegion))
		if len(c.Engine.Targets) == 0 {
			return Config{}, fmt.Errorf("%s: names only cloudfront, which only a function in %s enforces; this one runs in %s", Targets, CloudFrontRegion, region)
		}
	}
	return c, nil
}

// boolean parses true or false, without regard to case.
func boolean(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither true nor false", v)
}

// parameterName is SSM's pattern for a parameter name (hierarchies use "/"; at most 2048).
var parameterName = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

// namespace is CloudWatch's pattern for a metric namespace, less its length (1-255), which Load
// checks: a counted repetition compiles into a large program at package init, slowing every
// cold start.
var namespace = regexp.MustCompile(`^[a-zA-Z0-9._\-/#: ]+$`)

func parameter(s string) (string, error) {
	if len(s) > 2048 || !parameterName.MatchString(s) {
		return "", fmt.Errorf("%q is not an SSM parameter name (letters, digits, _ . - /)", s)
	}
	return s, nil
}

// List splits a comma-separated list, trimming spaces and dropping empty items: the one
// syntax of every list setting.
func List(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func patterns(s string) ([]string, error) {
	p := List(s)
	if _, err := policy.NewSelector(p, nil); err != nil {
		return nil, err
	}
	return p, nil
}

func whole(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

func positive(s string, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= hi) {
		return 0, fmt.Errorf("%q is not a number above 0 and at most %g", s, hi)
	}
	return f, nil
}

func duration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a Go duration such as 500ms or 2s", s)
	case d <= 0:
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// rateExpression is EventBridge's rate(value unit).
var rateExpression = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// scheduleInterval returns the time between two runs of an EventBridge schedule expression:
// rate(N unit) exactly; a cron(...) expression, whose period this does not compute, as 7 days
// (the longest usual one), so that findings are archived late rather than early.
func scheduleInterval(expr string) (time.Duration, error) {
	if strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")") {
		return 7 * 24 * time.Hour, nil
	}
	m := rateExpression.FindStringSubmatch(expr)
	if m == nil {
		return 0, fmt.Errorf("%q is not a schedule expression: want rate(N minutes|hours|days) or cron(...)", expr)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q: the rate must be a whole number of at least 1", expr)
	}
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
	return time.Duration(n) * unit, nil
}
