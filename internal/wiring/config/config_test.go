package config_test

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadAppliesTheDocumentedDefaults(t *testing.T) {
	c, err := config.Load(env(map[string]string{config.BaselineParameter: "/corsguard/baseline"}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Engine: enforce.Config{
			Parameter: "/corsguard/baseline",
			Kinds: map[policy.Kind]enforce.KindConfig{policy.S3: {}, policy.CloudFront: {},
				policy.LambdaURL: {Parameter: "/corsguard/api"}, policy.HTTPAPI: {Parameter: "/corsguard/api"}},
			LambdaRate:     5,
			APIGatewayRate: 3,
			SSMRate:        10,
			ExemptTagKey:   "corsguard:exempt",
			ExemptTagValue: "true",
			ProfileTag:     "corsguard:profile",
			ProfilesPath:   "/corsguard/profiles/",
			Mode:           enforce.ModeEnforce,
			Workers:        4,
			Rate:           10,
			BackoffBase:    time.Second,
			BackoffCap:     15 * time.Second,
			Margin:         10 * time.Second,
			Targets:        []policy.Kind{policy.MediaStore},
		},
		MetricsNamespace:   "CorsGuard",
		MaxConcurrency:     2,
		SecurityHubRate:    5,
		SweepInterval:      24 * time.Hour,
		SecurityHubRefresh: 30 * 24 * time.Hour,
	}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
}

func TestVarsDefaultsAreWhatLoadUses(t *testing.T) {
	// Setting every variable to its documented default must give the same config as leaving
	// them all unset: the documentation cannot drift from the code.
	set := map[string]string{}
	for _, v := range templateVars() {
		set[v.Env] = v.Default
	}
	set[config.BaselineParameter] = "/p"
	explicit, err := config.Load(env(set))
	if err != nil {
		t.Fatal(err)
	}
	implicit, err := config.Load(env(map[string]string{config.BaselineParameter: "/p"}))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(implicit, explicit); d != "" {
		t.Errorf("(-unset +defaults):\n%s", d)
	}
	for _, v := range templateVars() {
		if !strings.HasPrefix(v.Env, "CORSGUARD_") || v.Doc == "" {
			t.Errorf("%s: every variable is CORSGUARD_-prefixed and documented", v.Env)
		}
		if v.Required != (v.Default == "" && v.Env == config.BaselineParameter) {
			t.Errorf("%s: only the baseline parameter is required", v.Env)
		}
	}
}

// templateVars are the settings whose variables the template sets: all but those Lambda sets.
func templateVars() []config.Setting {
	var out []config.Setting
	for _, s := range config.Settings() {
		if !s.Runtime {
			out = append(out, s)
		}
	}
	return out
}

func TestLoadReadsEverySetting(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		config.BaselineParameter:  "corsguard-baseline",
		config.ProfileTag:         "cors-role",
		config.ProfilePatterns:    "uploads=upload-*,ingest-*;partners=partner-*",
		config.ProfilesPath:       "/org/cors/",
		config.Include:            "live-*, vod-* ,,",
		config.Exclude:            "*-test",
		config.ExemptTag:          "owner=hands-off",
		config.Mode:               "audit",
		config.Workers:            "8",
		config.Rate:               "2.5",
		config.BackoffBase:        "200ms",
		config.BackoffCap:         "3s",
		config.DeadlineMargin:     "250ms",
		config.MetricsNamespace:   "Media/CorsGuard",
		config.Targets:            "S3, mediastore,s3",
		config.S3Parameter:        "/corsguard/s3-baseline",
		config.S3Include:          "media-*",
		config.S3Exclude:          "media-logs",
		config.QueueURL:           "https://sqs.us-east-1.amazonaws.com/111122223333/corsguard-work.fifo",
		config.MaxConcurrency:     "50",
		config.SecurityHub:        "TRUE",
		config.SecurityHubRate:    "0.5",
		config.SecurityHubRefresh: "240h",
		config.SweepSchedule:      "rate(30 minutes)",
		config.APIParameter:       "/corsguard/api-baseline",
		config.LambdaURLInclude:   "shop-*",
		config.LambdaURLExclude:   "shop-test",
		config.HTTPAPIInclude:     "public-*",
		config.HTTPAPIExclude:     "public-legacy",
		config.LambdaRate:         "2",
		config.APIGatewayRate:     "1.5",
		config.SSMRate:            "4",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Engine: enforce.Config{
			Parameter: "corsguard-baseline",
			Selector:  policy.Selector{Include: []string{"live-*", "vod-*"}, Exclude: []string{"*-test"}},
			Kinds: map[policy.Kind]enforce.KindConfig{policy.CloudFront: {}, policy.S3: {Parameter: "/corsguard/s3-baseline",
				Selector: policy.Selector{Include: []string{"media-*"}, Exclude: []string{"media-logs"}}},
				policy.LambdaURL: {Parameter: "/corsguard/api-baseline", Selector: policy.Selector{Include: []string{"shop-*"}, Exclude: []string{"shop-test"}}},
				policy.HTTPAPI:   {Parameter: "/corsguard/api-baseline", Selector: policy.Selector{Include: []string{"public-*"}, Exclude: []string{"public-legacy"}}}},
			LambdaRate:     2,
			APIGatewayRate: 1.5,
			SSMRate:        4,
			ExemptTagKey:   "owner",
			ExemptTagValue: "hands-off",
			ProfileTag:     "cors-role",
			ProfilePatterns: []profile.Pattern{{Name: "uploads", Globs: []string{"upload-*", "ingest-*"}},
				{Name: "partners", Globs: []string{"partner-*"}}},
			ProfilesPath: "/org/cors/",
			Mode:         enforce.ModeAudit,
			Workers:      8,
			Rate:         2.5,
			BackoffBase:  200 * time.Millisecond,
			BackoffCap:   3 * time.Second,
			Margin:       250 * time.Millisecond,
			Targets:      []policy.Kind{policy.MediaStore, policy.S3},
		},
		MetricsNamespace:   "Media/CorsGuard",
		QueueURL:           "https://sqs.us-east-1.amazonaws.com/111122223333/corsguard-work.fifo",
		MaxConcurrency:     50,
		SecurityHub:        true,
		SecurityHubRate:    0.5,
		SweepInterval:      30 * time.Minute,
		SecurityHubRefresh: 10 * 24 * time.Hour,
	}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
}

func TestLoadNamesTheBadVariable(t *testing.T) {
	for _, tc := range []struct {
		name, variable, value, want string
	}{
		{"a missing baseline parameter", config.BaselineParameter, "", "is required"},
		{"a baseline parameter with a space", config.BaselineParameter, "/cors guard", "not an SSM parameter name"},
		{"a malformed include pattern", config.Include, "live-[", "syntax error in pattern"},
		{"a malformed exclude pattern", config.Exclude, "ok,[", "syntax error in pattern"},
		{"an overlong tag key", config.ExemptTag, strings.Repeat("k", 129), "at most 128"},
		{"an overlong tag value", config.ExemptTag, "k=" + strings.Repeat("v", 257), "at most 256"},
		{"a tag without a key", config.ExemptTag, "=true", "no tag key"},
		{"an unknown mode", config.Mode, "repair", `"repair" is neither enforce nor audit`},
		{"a profile tag with a value", config.ProfileTag, "corsguard:profile=uploads", "want a tag KEY alone"},
		{"an overlong profile tag", config.ProfileTag, strings.Repeat("k", 129), "at most 128"},
		{"the exemption tag's key as profile tag", config.ProfileTag, "corsguard:exempt", "also the exemption tag's key"},
		{"a pattern without =", config.ProfilePatterns, "uploads", "has no ="},
		{"a pattern naming ..", config.ProfilePatterns, "..=x", ". and .. are not profile names"},
		{"a profile with two patterns", config.ProfilePatterns, "a=x;a=y", "has two patterns"},
		{"a malformed pattern glob", config.ProfilePatterns, "a=x[", "syntax error in pattern"},
		{"a profiles path without its last slash", config.ProfilesPath, "/corsguard/profiles", "begins and ends with /"},
		{"a profiles path with ..", config.ProfilesPath, "/corsguard/../x/", "not . or .."},
		{"a mode in capitals", config.Mode, "ENFORCE", "neither enforce nor audit"},
		{"zero workers", config.Workers, "0", "whole number from 1 to 100"},
		{"too many workers", config.Workers, "101", "whole number from 1 to 100"},
		{"workers that are not a number", config.Workers, "four", "whole number"},
		{"a zero rate", config.Rate, "0", "above 0"},
		{"a rate that is not a number", config.Rate, "fast", "above 0"},
		{"a NaN rate", config.Rate, "NaN", "above 0"},
		{"a backoff base without a unit", config.BackoffBase, "100", "not a Go duration"},
		{"a zero backoff base", config.BackoffBase, "0s", "must be positive"},
		{"a negative backoff cap", config.BackoffCap, "-1s", "must be positive"},
		{"a cap below the base", config.BackoffCap, "500ms", "less than CORSGUARD_BACKOFF_BASE 1s"},
		{"a negative deadline margin", config.DeadlineMargin, "-5s", "must be positive"},
		{"a zero deadline margin", config.DeadlineMargin, "0s", `"0s" must be positive`},
		{"a bare zero deadline margin", config.DeadlineMargin, "0", `"0" must be positive`},
		{"a namespace with a bad character", config.MetricsNamespace, "Cors$Guard", "not a CloudWatch namespace"},
		{"a reserved namespace", config.MetricsNamespace, "AWS/CorsGuard", "reserved"},
		{"a Security Hub switch that is not a boolean", config.SecurityHub, "yes", `"yes" is neither true nor false`},
		{"a Security Hub rate above the quota", config.SecurityHubRate, "11", "at most 10"},
		{"a Security Hub refresh of 90 days, when Security Hub deletes the finding", config.SecurityHubRefresh, "2160h", "not between 1h and 1440h"},
		{"a Security Hub refresh of a minute", config.SecurityHubRefresh, "1m", "not between 1h and 1440h"},
		{"a FIFO findings queue", config.FindingsQueueURL, "https://sqs.us-east-1.amazonaws.com/123456789012/findings.fifo", "not the URL of an SQS standard queue"},
		{"a findings queue that is not a URL", config.FindingsQueueURL, "findings", "not the URL of an SQS standard queue"},
		{"a findings queue without the work queue and Security Hub", config.FindingsQueueURL, "https://sqs.us-east-1.amazonaws.com/123456789012/findings", "needs CORSGUARD_QUEUE_URL and CORSGUARD_SECURITY_HUB=true"},
		{"a Security Hub refresh in days, not a Go duration", config.SecurityHubRefresh, "30d", "not a Go duration"},
		{"a namespace of 256 characters", config.MetricsNamespace, strings.Repeat("n", 256), "not a CloudWatch namespace"},
		{"a standard queue", config.QueueURL, "https://sqs.us-east-1.amazonaws.com/111122223333/work", "FIFO queue"},
		{"a queue name, not its URL", config.QueueURL, "work.fifo", "FIFO queue"},
		{"a concurrency below Lambda's minimum", config.MaxConcurrency, "1", "whole number from 2 to 1000"},
		{"a concurrency above Lambda's maximum", config.MaxConcurrency, "1001", "whole number from 2 to 1000"},
		{"an unknown target", config.Targets, "mediastore,dynamodb", `"dynamodb" is not a target; want mediastore, s3, cloudfront, lambda-url, http-api or all`},
		{"no target", config.Targets, ",", "names no target"},
		{"an S3 baseline parameter with a space", config.S3Parameter, "/s3 baseline", "not an SSM parameter name"},
		{"a malformed S3 include pattern", config.S3Include, "media-[", "syntax error in pattern"},
		{"a malformed S3 exclude pattern", config.S3Exclude, "[", "syntax error in pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{config.BaselineParameter: "/corsguard/baseline", tc.variable: tc.value}
			_, err := config.Load(env(vars))
			if err == nil {
				t.Fatalf("%s=%q loaded without error", tc.variable, tc.value)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tc.variable+": ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q: want it to start with %q and contain %q", msg, tc.variable+": ", tc.want)
			}
		})
	}
}

func TestLoadReportsEveryBadVariableAtOnce(t *testing.T) {
	_, err := config.Load(env(map[string]string{config.Mode: "x", config.Workers: "x"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{config.BaselineParameter, config.Mode, config.Workers} {
		if !strings.Contains(err.Error(), name+": ") {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestDefaultsAreTheEngines(t *testing.T) {
	c, err := config.Load(env(map[string]string{config.BaselineParameter: "/p"}))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Engine
	got := []any{e.ExemptTagKey, e.ExemptTagValue, e.Mode, e.Workers, e.Rate, e.BackoffBase, e.BackoffCap, e.Margin}
	want := []any{enforce.DefaultExemptTagKey, enforce.DefaultExemptTagValue, enforce.DefaultMode, enforce.DefaultWorkers, enforce.DefaultRate,
		enforce.DefaultBackoffBase, enforce.DefaultBackoffCap, enforce.DefaultMargin}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("defaults (-engine +config):\n%s", d)
	}
}

func TestBaselineParametersAndTheEngineConfigPerKind(t *testing.T) {
	for _, tc := range []struct {
		name    string
		targets string
		s3param string
		want    []string
	}{
		{"containers only", "mediastore", "/s3", []string{"/p"}},
		{"both, one baseline", "mediastore,s3", "", []string{"/p"}},
		{"both, each its own", "all", "/s3", []string{"/p", "/s3"}},
		{"buckets with their own", "s3", "/s3", []string{"/s3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(env(map[string]string{config.BaselineParameter: "/p", config.Targets: tc.targets,
				config.S3Parameter: tc.s3param, config.S3Exclude: "logs-*"}))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, c.Engine.Parameters()); d != "" {
				t.Errorf("baseline parameters (-want +got):\n%s", d)
			}
			k := c.Engine.Kinds[policy.S3]
			if k.Parameter != tc.s3param || !cmp.Equal(k.Selector, policy.Selector{Exclude: []string{"logs-*"}}) {
				t.Errorf("engine's S3 config %+v", k)
			}
		})
	}
}

func TestTheWorkersTogetherKeepToTheRate(t *testing.T) {
	for _, tc := range []struct {
		name, queue string
		want        float64
	}{
		{"in-process: the whole rate", "", 10},
		{"with a queue: the rate divided by the concurrency", "http://localhost:4566/111122223333/work.fifo", 10.0 / 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(env(map[string]string{config.BaselineParameter: "/p", config.Rate: "10",
				config.MaxConcurrency: "4", config.QueueURL: tc.queue}))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Invocation().Rate; got != tc.want {
				t.Errorf("engine rate %v, want %v", got, tc.want)
			}
			if c.Engine.Rate != 10 {
				t.Errorf("the configured rate changed to %v", c.Engine.Rate)
			}
		})
	}
}

func TestTheCloudFrontTargetOnlyInUSEast1(t *testing.T) {
	base := map[string]string{config.BaselineParameter: "/corsguard/baseline",
		config.CloudFrontParameter: "/corsguard/cloudfront", config.CloudFrontExclude: "legacy-*"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	c, err := config.Load(env(with(config.Targets, "mediastore,cloudfront", "AWS_REGION", "us-east-1", config.CloudFrontAddMissingCors, "TRUE")))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Engine
	if !cmp.Equal(e.Targets, []policy.Kind{policy.MediaStore, policy.CloudFront}) || len(c.Notes) != 0 || !e.CloudFrontAddMissingCors ||
		!cmp.Equal(e.Parameters(), []string{"/corsguard/baseline", "/corsguard/cloudfront"}) {
		t.Errorf("in us-east-1: %+v", c)
	}
	if k := e.Kinds[policy.CloudFront]; k.Parameter != "/corsguard/cloudfront" || !cmp.Equal(k.Selector.Exclude, []string{"legacy-*"}) {
		t.Errorf("engine kind config %+v", k)
	}

	c, err = config.Load(env(with(config.Targets, "mediastore,cloudfront", "AWS_REGION", "eu-west-1")))
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(c.Engine.Targets, []policy.Kind{policy.MediaStore}) || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "refused in eu-west-1") {
		t.Errorf("in eu-west-1: targets %v, notes %q", c.Engine.Targets, c.Notes)
	}
	if _, err := config.Load(env(with(config.Targets, "cloudfront", "AWS_REGION", "eu-west-1"))); err == nil || !strings.Contains(err.Error(), "only a function in us-east-1") {
		t.Errorf("only cloudfront in eu-west-1: %v", err)
	}
	// Without a baseline of its own, cloudfront reads the baseline parameter, as s3 does.
	if c, err := config.Load(env(with(config.Targets, "cloudfront", "AWS_REGION", "us-east-1", config.CloudFrontParameter, ""))); err != nil ||
		!cmp.Equal(c.Engine.Parameters(), []string{"/corsguard/baseline"}) {
		t.Errorf("cloudfront without its own baseline: %v, parameters %v", err, c.Engine.Parameters())
	}
	if _, err := config.Load(env(with(config.CloudFrontAddMissingCors, "yes"))); err == nil || !strings.HasPrefix(err.Error(), config.CloudFrontAddMissingCors) {
		t.Errorf("a bad boolean: %v", err)
	}
	if k, _ := policy.ParseKinds("all"); !cmp.Equal(k, []policy.Kind{policy.MediaStore, policy.S3}) {
		t.Errorf("all = %v, want mediastore and s3 (cloudfront's baseline has another shape)", k)
	}
}

// With a work queue, Lambda's, API Gateway's and Parameter Store's shares are divided among the workers and the
// router, as their quotas bind every invocation of the account together.
func TestInvocationDividesTheServiceSharesAmongTheInvocations(t *testing.T) {
	c, err := config.Load(env(map[string]string{config.BaselineParameter: "/p", config.MaxConcurrency: "4",
		config.QueueURL: "https://sqs.us-east-1.amazonaws.com/111122223333/corsguard-work.fifo"}))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Invocation()
	if e.LambdaRate != 1 || e.APIGatewayRate != 0.6 || e.SSMRate != 2 {
		t.Errorf("LambdaRate %v, APIGatewayRate %v and SSMRate %v per invocation; want 5/5, 3/5 and 10/5", e.LambdaRate, e.APIGatewayRate, e.SSMRate)
	}
}

// With the findings queue, Security Hub's callers are the PublisherConcurrency publishers and a
// sweep's router, whatever the workers' MaximumConcurrency: the publishers import at the share
// less ArchiveImportShare, divided between them, the router's archive steps at that part; the
// listing reads at ListingReadShare of the read share, and the publishers and the router divide
// the rest. Without it, every worker imports and the share is divided among them all.
func TestThePublishersShareOfSecurityHubDoesNotDependOnTheWorkers(t *testing.T) {
	for _, conc := range []string{"2", "50", "1000"} {
		env := map[string]string{config.BaselineParameter: "/corsguard/baseline", config.QueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/work.fifo",
			config.MaxConcurrency: conc, config.SecurityHub: "true", config.SecurityHubRate: "6",
			config.FindingsQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/findings"}
		c, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		// The publishers import at the share less the router's archive steps' part.
		if got, want := c.FindingsRate(), 6*(1-config.ArchiveImportShare)/config.PublisherConcurrency; math.Abs(got-want) > 1e-12 {
			t.Errorf("MaximumConcurrency %s: FindingsRate %v, want %v", conc, got, want)
		}
		if got, want := c.ArchiveImportRate(), 6*config.ArchiveImportShare; math.Abs(got-want) > 1e-12 {
			t.Errorf("MaximumConcurrency %s: ArchiveImportRate %v, want %v", conc, got, want)
		}
		// The listing's bulk read takes ListingReadShare of the read share; the publishers and
		// the router divide the rest.
		if got, want := c.FindingsReadRate(), findings.DefaultReadRate*(1-config.ListingReadShare)/(config.PublisherConcurrency+1); math.Abs(got-want) > 1e-12 {
			t.Errorf("MaximumConcurrency %s: FindingsReadRate %v, want %v", conc, got, want)
		}
		if got := c.ListingReadRate(); got != findings.DefaultReadRate*config.ListingReadShare {
			t.Errorf("MaximumConcurrency %s: ListingReadRate %v, want %v × %v", conc, got, findings.DefaultReadRate, config.ListingReadShare)
		}
		// Every reader that can run at once: the listing, the publishers and the router.
		if total := c.ListingReadRate() + c.FindingsReadRate()*(config.PublisherConcurrency+1); total > findings.DefaultReadRate+1e-9 || total > findings.AccountReadRate {
			t.Errorf("reads together %v/s, above the share %v/s", total, findings.DefaultReadRate)
		}
		// Together they never exceed the share, nor the quotas.
		if total := c.FindingsRate()*config.PublisherConcurrency + c.ArchiveImportRate(); total > c.SecurityHubRate+1e-9 || total > findings.AccountImportRate {
			t.Errorf("imports together %v/s", total)
		}
		if total := c.FindingsReadRate() * (config.PublisherConcurrency + 1); total > findings.AccountReadRate {
			t.Errorf("reads together %v/s, above GetFindings' quota", total)
		}
		delete(env, config.FindingsQueueURL)
		c, err = config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := strconv.Atoi(conc); c.FindingsRate() != 6/float64(n+1) {
			t.Errorf("without the findings queue, MaximumConcurrency %s: FindingsRate %v", conc, c.FindingsRate())
		}
	}
}

// Load reads no variable the table does not hold: AWS_REGION and the function's own settings
// are rows of config.Settings like the engine's.
func TestLoadReadsOnlyTheTablesVariables(t *testing.T) {
	table := map[string]bool{}
	for _, s := range config.Settings() {
		table[s.Env] = true
	}
	read := map[string]bool{}
	_, err := config.Load(func(k string) string {
		read[k] = true
		return map[string]string{config.BaselineParameter: "/p", config.Targets: "cloudfront,s3", config.SecurityHub: "true",
			config.Region: "eu-west-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range read {
		if !table[k] {
			t.Errorf("Load reads %s, which config.Settings does not hold", k)
		}
	}
	for k := range table {
		if !read[k] {
			t.Errorf("config.Settings holds %s, which Load does not read", k)
		}
	}
}
