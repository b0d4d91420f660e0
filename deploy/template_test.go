package deploy_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/deploy/cfn"
	"github.com/corsguard/corsguard/deploy/eventpattern"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/internal/wiring/iampolicy"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
	"github.com/corsguard/corsguard/workqueue"
)

const (
	templatePath = "../template.yaml"
	eventsDir    = "../events"
	function     = "EnforcerFunction"
	queue        = "FailureQueue"
	workQueue    = "WorkQueue"
	workDLQ      = "WorkDeadLetterQueue"
	workQueueURL = "https://sqs." + region + ".amazonaws.com/" + account + "/corsguard-WorkQueue-WqZ.fifo"
	workQueueARN = "arn:aws:sqs:" + region + ":" + account + ":corsguard-WorkQueue-WqZ.fifo"
	// findingsQueueARN is what CloudFormation might name the findings queue (standard).
	findingsQueueARN = "arn:aws:sqs:" + region + ":" + account + ":corsguard-FindingsQueue-FqZ"
	account          = "111122223333"
	region           = "us-east-1"
	// roleName is what CloudFormation might name the function's role (SAM's EnforcerFunctionRole).
	roleName = "corsguard-EnforcerFunctionRole-1A2B3C4D5E6F"
)

func readTemplate(t *testing.T) *cfn.Template {
	t.Helper()
	tpl, err := cfn.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tpl.Root["Globals"]; ok {
		t.Fatal("template.yaml has Globals: these checks read the function's own properties; set them there")
	}
	return tpl
}

// events returns the function's event sources by name (each a map with Type and Properties).
func events(t *testing.T, tpl *cfn.Template) map[string]map[string]any {
	t.Helper()
	evs, ok := props(t, tpl, function)["Events"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no Events", function)
	}
	out := map[string]map[string]any{}
	for name, ev := range evs {
		out[name] = ev.(map[string]any)
	}
	return out
}

// ruleID is the logical ID SAM gives the AWS::Events::Rule of the function's event source.
func ruleID(event string) string { return function + event }

// evaluator returns an evaluator for the template deployed with params in partition.
func evaluator(t *testing.T, tpl *cfn.Template, partition string, params map[string]string) *cfn.Evaluator {
	t.Helper()
	return evaluatorIn(t, tpl, partition, region, params)
}

// evaluatorIn is evaluator for a stack in another Region.
func evaluatorIn(t *testing.T, tpl *cfn.Template, partition, region string, params map[string]string) *cfn.Evaluator {
	t.Helper()
	env := cfn.Env{
		Partition: partition, Region: region, AccountID: account, StackName: "corsguard",
		Parameters: params,
		Refs: map[string]string{
			function:                       "corsguard-EnforcerFunction-AbC",
			function + "Role":              roleName,
			queue:                          "https://sqs." + region + ".amazonaws.com/" + account + "/corsguard-FailureQueue-XyZ",
			"AlarmTopic":                   "arn:aws:sns:" + region + ":" + account + ":corsguard-AlarmTopic-Q",
			"EnforcerLogGroup":             "corsguard-EnforcerLogGroup-L",
			"FunctionErrorsAlarm":          "errors-alarm",
			"FailureQueueAlarm":            "queue-alarm",
			"BaselineDeletedAlarm":         "deleted-alarm",
			"TerminalFailuresAlarm":        "terminal-alarm",
			workQueue:                      workQueueURL,
			workDLQ:                        "https://sqs." + region + ".amazonaws.com/" + account + "/corsguard-WorkDeadLetterQueue-D.fifo",
			"WorkQueueMapping":             "mapping-uuid",
			"WorkDeadLetterQueueAlarm":     "work-dlq-alarm",
			"FindingsQueue":                "https://sqs." + region + ".amazonaws.com/" + account + "/corsguard-FindingsQueue-FqZ",
			"FindingsDeadLetterQueue":      "https://sqs." + region + ".amazonaws.com/" + account + "/corsguard-FindingsDeadLetterQueue-D",
			"FindingsQueueMapping":         "findings-mapping-uuid",
			"FindingsDeadLetterQueueAlarm": "findings-dlq-alarm",
		},
		GetAtts: map[string]string{
			function + ".Arn":                   "arn:aws:lambda:" + region + ":" + account + ":function:corsguard-EnforcerFunction-AbC",
			queue + ".Arn":                      "arn:aws:sqs:" + region + ":" + account + ":corsguard-FailureQueue-XyZ",
			queue + ".QueueName":                "corsguard-FailureQueue-XyZ",
			workQueue + ".Arn":                  workQueueARN,
			workDLQ + ".Arn":                    "arn:aws:sqs:" + region + ":" + account + ":corsguard-WorkDeadLetterQueue-D.fifo",
			workDLQ + ".QueueName":              "corsguard-WorkDeadLetterQueue-D.fifo",
			"FindingsQueue.Arn":                 findingsQueueARN,
			"FindingsDeadLetterQueue.Arn":       "arn:aws:sqs:" + region + ":" + account + ":corsguard-FindingsDeadLetterQueue-D",
			"FindingsDeadLetterQueue.QueueName": "corsguard-FindingsDeadLetterQueue-D",
			cloudFrontRule + ".Arn":             "arn:aws:events:" + region + ":" + account + ":rule/corsguard-" + cloudFrontRule,
			functionURLRule + ".Arn":            "arn:aws:events:" + region + ":" + account + ":rule/corsguard-" + functionURLRule,
			httpAPIRule + ".Arn":                "arn:aws:events:" + region + ":" + account + ":rule/corsguard-" + httpAPIRule,
		},
	}
	for name := range events(t, tpl) {
		env.Refs[ruleID(name)] = "corsguard-" + name + "-rule"
		env.GetAtts[ruleID(name)+".Arn"] = "arn:aws:events:" + region + ":" + account + ":rule/corsguard-" + name + "-rule"
	}
	ev, err := cfn.NewEvaluator(tpl, env)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func props(t *testing.T, tpl *cfn.Template, id string) map[string]any {
	t.Helper()
	r := tpl.Resource(id)
	if r == nil {
		t.Fatalf("template.yaml has no resource %s", id)
	}
	p, _ := r["Properties"].(map[string]any)
	return p
}

func eval(t *testing.T, ev *cfn.Evaluator, v any) any {
	t.Helper()
	out, err := ev.Eval(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTheFunctionIsTheArm64BootstrapBuiltByTheMakefile(t *testing.T) {
	tpl := readTemplate(t)
	if tr := tpl.Root["Transform"]; tr != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v", tr)
	}
	r := tpl.Resource(function)
	if r["Type"] != "AWS::Serverless::Function" {
		t.Fatalf("%s Type = %v", function, r["Type"])
	}
	if diff := cmp.Diff(map[string]any{"BuildMethod": "makefile"}, r["Metadata"]); diff != "" {
		t.Errorf("Metadata (-want +got):\n%s", diff)
	}
	p := props(t, tpl, function)
	want := map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
		"CodeUri":       ".", // any package's change rebuilds
	}
	for k, w := range want {
		if diff := cmp.Diff(w, p[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	// No reserved concurrency anywhere: a reservation fails the stack in an account whose
	// concurrency quota is small (design, section 4); the work queue's message groups keep
	// runs on one resource apart instead.
	for id, r := range tpl.Section("Resources") {
		rp, _ := r.(map[string]any)["Properties"].(map[string]any)
		if _, ok := rp["ReservedConcurrentExecutions"]; ok {
			t.Errorf("%s sets ReservedConcurrentExecutions", id)
		}
	}
	logging, _ := p["LoggingConfig"].(map[string]any)
	if logging["LogFormat"] != "JSON" {
		t.Errorf("LoggingConfig.LogFormat = %v, want JSON", logging["LogFormat"])
	}
	if diff := cmp.Diff(map[string]any{"Ref": "LogLevel"}, logging["ApplicationLogLevel"]); diff != "" {
		t.Errorf("LoggingConfig.ApplicationLogLevel (-want +got):\n%s", diff)
	}
}

// The EMF metric lines carry no "level"; Lambda's log-level filtering files such lines as INFO,
// so a WARN or ERROR application level would drop every metric (and with them
// BaselineDeletedAlarm).
func TestTheLogLevelCannotDropTheMetrics(t *testing.T) {
	tpl := readTemplate(t)
	level, _ := tpl.Section("Parameters")["LogLevel"].(map[string]any)
	if diff := cmp.Diff([]any{"DEBUG", "INFO"}, level["AllowedValues"]); diff != "" {
		t.Errorf("LogLevel AllowedValues (-want +got):\n%s", diff)
	}
}

func TestEveryParameterHasADefaultAndADescription(t *testing.T) {
	tpl := readTemplate(t)
	for name, p := range tpl.Section("Parameters") {
		p := p.(map[string]any)
		if _, ok := p["Default"]; !ok {
			t.Errorf("parameter %s has no Default", name)
		}
		if d, _ := p["Description"].(string); strings.TrimSpace(d) == "" {
			t.Errorf("parameter %s has no Description", name)
		}
	}
}

// environment evaluates the function's environment variables under params.
func environment(t *testing.T, tpl *cfn.Template, params map[string]string) map[string]string {
	t.Helper()
	ev := evaluator(t, tpl, "aws", params)
	p := props(t, tpl, function)
	vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	out := map[string]string{}
	for name, v := range vars {
		s, err := ev.String(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

func TestTheEnvironmentIsExactlyWhatConfigReads(t *testing.T) {
	tpl := readTemplate(t)
	var want []string
	for _, s := range config.Settings() {
		if !s.Runtime { // AWS_REGION: Lambda sets it
			want = append(want, s.Env)
		}
	}
	env := environment(t, tpl, nil)
	if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(maps.Keys(env))); diff != "" {
		t.Errorf("environment variables (-config.Settings +template):\n%s", diff)
	}

	// Each variable comes from the Parameter that documents it; the queue's URL from the queue.
	vars := props(t, tpl, function)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"Ref": workQueue}, vars[config.QueueURL]); diff != "" {
		t.Errorf("%s (-want +got):\n%s", config.QueueURL, diff)
	}
	delete(vars, config.QueueURL)
	// The findings queue's URL, from the queue, only with Security Hub on (the queue exists
	// only then); empty otherwise, so the workers import their own findings.
	if diff := cmp.Diff(map[string]any{"Fn::If": []any{"SecurityHubOn", map[string]any{"Ref": "FindingsQueue"}, ""}}, vars[config.FindingsQueueURL]); diff != "" {
		t.Errorf("%s (-want +got):\n%s", config.FindingsQueueURL, diff)
	}
	delete(vars, config.FindingsQueueURL)
	for name, v := range vars {
		ref, _ := v.(map[string]any)["Ref"].(string)
		param, _ := tpl.Section("Parameters")[ref].(map[string]any)
		if param == nil {
			t.Errorf("%s is %v, not a Ref to a parameter", name, v)
			continue
		}
		if d, _ := param["Description"].(string); !strings.Contains(d, name) {
			t.Errorf("parameter %s sets %s, but its description does not say so", ref, name)
		}
	}
}

func TestTheTemplateDefaultsAreTheCodeDefaults(t *testing.T) {
	tpl := readTemplate(t)
	env := environment(t, tpl, nil)
	got, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config.Load rejects the template's defaults: %v", err)
	}
	// The code's default is no queue (in-process); the template always has one.
	if got.QueueURL != workQueueURL {
		t.Errorf("QueueURL = %q, want the work queue's %q", got.QueueURL, workQueueURL)
	}
	got.QueueURL = ""
	// The code has no default for the baseline's name; the template's is the documented one.
	want, err := config.Load(func(k string) string {
		if k == config.BaselineParameter {
			return "/corsguard/baseline"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config from the template's defaults (-code defaults +template):\n%s", diff)
	}
}

func TestTheParametersReachTheFunction(t *testing.T) {
	tpl := readTemplate(t)
	env := environment(t, tpl, map[string]string{
		"BaselineParameterName":   "corsguard-baseline",
		"IncludePatterns":         "live-*,vod-*",
		"ExcludePatterns":         "live-test",
		"ExemptTagKey":            "team:exempt=yes",
		"Mode":                    "audit",
		"Workers":                 "8",
		"RequestRate":             "2.5",
		"BackoffBase":             "500ms",
		"BackoffCap":              "30s",
		"DeadlineMargin":          "20s",
		"MetricsNamespace":        "Media/CorsGuard",
		"Targets":                 "mediastore,s3,cloudfront,lambda-url,http-api",
		"S3BaselineParameterName": "/corsguard/s3-baseline",
		"S3IncludePatterns":       "media-*",
		"S3ExcludePatterns":       "media-logs",
		"MaximumConcurrency":      "50",

		"CloudFrontBaselineParameterName": "/corsguard/cloudfront",
		"CloudFrontIncludePatterns":       "media-*",
		"CloudFrontExcludePatterns":       "legacy-*",
		"CloudFrontAddMissingCors":        "true",
		"SecurityHubFindings":             "true",
		"SecurityHubImportRate":           "0.5",
		"SecurityHubRefresh":              "240h",

		"ApiBaselineParameterName": "/corsguard/api-baseline",
		"LambdaUrlIncludePatterns": "shop-*",
		"LambdaUrlExcludePatterns": "shop-test",
		"HttpApiIncludePatterns":   "public-*",
		"HttpApiExcludePatterns":   "public-legacy",
		"LambdaRequestRate":        "2",
		"ApiGatewayRequestRate":    "1.5",
		"SsmRequestRate":           "4",
		"ProfileTag":               "cors-role",
		"ProfilePatterns":          "uploads=upload-*,ingest-*;partners=partner-*",
		"ProfilesPath":             "/org/cors/",
	})
	env["AWS_REGION"] = region // Lambda's own: a stack in us-east-1 enforces cloudfront
	got, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Engine: enforce.Config{
			Parameter: "corsguard-baseline",
			Selector:  policy.Selector{Include: []string{"live-*", "vod-*"}, Exclude: []string{"live-test"}},
			Kinds: map[policy.Kind]enforce.KindConfig{policy.S3: {Parameter: "/corsguard/s3-baseline",
				Selector: policy.Selector{Include: []string{"media-*"}, Exclude: []string{"media-logs"}}},
				policy.CloudFront: {Parameter: "/corsguard/cloudfront",
					Selector: policy.Selector{Include: []string{"media-*"}, Exclude: []string{"legacy-*"}}},
				policy.LambdaURL: {Parameter: "/corsguard/api-baseline", Selector: policy.Selector{Include: []string{"shop-*"}, Exclude: []string{"shop-test"}}},
				policy.HTTPAPI:   {Parameter: "/corsguard/api-baseline", Selector: policy.Selector{Include: []string{"public-*"}, Exclude: []string{"public-legacy"}}}},
			LambdaRate:               2,
			APIGatewayRate:           1.5,
			SSMRate:                  4,
			CloudFrontAddMissingCors: true,
			ExemptTagKey:             "team:exempt",
			ExemptTagValue:           "yes",
			ProfileTag:               "cors-role",
			ProfilePatterns: []profile.Pattern{{Name: "uploads", Globs: []string{"upload-*", "ingest-*"}},
				{Name: "partners", Globs: []string{"partner-*"}}},
			ProfilesPath: "/org/cors/",
			Mode:         enforce.ModeAudit,
			Workers:      8,
			Rate:         2.5,
			BackoffBase:  500 * time.Millisecond,
			BackoffCap:   30 * time.Second,
			Margin:       20 * time.Second,
			Targets:      []policy.Kind{policy.MediaStore, policy.S3, policy.CloudFront, policy.LambdaURL, policy.HTTPAPI},
		},
		MetricsNamespace:   "Media/CorsGuard",
		QueueURL:           workQueueURL,
		MaxConcurrency:     50,
		Region:             region,
		SecurityHub:        true,
		SecurityHubRate:    0.5,
		SweepInterval:      24 * time.Hour,
		SecurityHubRefresh: 240 * time.Hour,
		FindingsQueueURL:   "https://sqs." + region + ".amazonaws.com/" + account + "/corsguard-FindingsQueue-FqZ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestTheParameterLimitsAreTheCodeLimits(t *testing.T) {
	tpl := readTemplate(t)
	params := tpl.Section("Parameters")
	for _, tt := range []struct {
		param, key string
		want       any
	}{
		{"Workers", "MinValue", 1},
		{"Workers", "MaxValue", config.MaxWorkers},
		{"RequestRate", "MaxValue", config.MaxRate},
		{"MaximumConcurrency", "MinValue", config.MinConcurrency},
		{"MaximumConcurrency", "MaxValue", config.MaxConcurrencyLimit},
		{"SecurityHubImportRate", "MaxValue", config.MaxSecurityHubRate},
	} {
		if got := params[tt.param].(map[string]any)[tt.key]; got != tt.want {
			t.Errorf("%s %s = %v, want %v", tt.param, tt.key, got, tt.want)
		}
	}
}

func TestTheTimeoutFitsAFullSweepAtTheDefaultRate(t *testing.T) {
	tpl := readTemplate(t)
	env := environment(t, tpl, nil)
	c, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// 100 containers is MediaStore's per-Region quota (not adjustable). Each takes at most
	// DescribeContainer, ListTagsForResource, GetCorsPolicy and PutCorsPolicy; the rate applies
	// per operation, so taking the four in series is the slow bound. Then the deadline margin.
	// A direct invocation's in-process sweep keeps to one worker's share of the rate (the rate
	// divided by MaximumConcurrency; the queue's sweeps have no such bound).
	const containers, callsEach = 100, 4
	rate := c.Invocation().Rate
	sweep := time.Duration((1 + containers*callsEach) / rate * float64(time.Second))
	need := sweep + c.Engine.Margin
	timeout, _ := props(t, tpl, function)["Timeout"].(int)
	if got := time.Duration(timeout) * time.Second; got < need || got > 900*time.Second {
		t.Errorf("Timeout %v: want at least %v (a sweep at %g requests/s, %v margin) and at most Lambda's 900s",
			got, need, rate, c.Engine.Margin)
	}
}

// grants returns, per IAM action, the resources the function's policies grant it under ev.
func grants(t *testing.T, tpl *cfn.Template, ev *cfn.Evaluator) map[string][]string {
	t.Helper()
	p := props(t, tpl, function)
	for _, k := range []string{"Role", "PermissionsBoundary"} {
		if _, ok := p[k]; ok {
			t.Errorf("%s sets %s; these checks read Policies", function, k)
		}
	}
	policies, ok := p["Policies"].([]any)
	if !ok || len(policies) != 1 {
		t.Fatalf("Policies = %v, want one inline policy document", p["Policies"])
	}
	doc, _ := eval(t, ev, policies[0]).(map[string]any)
	if _, ok := doc["Statement"]; !ok || len(doc) != 2 || doc["Version"] != "2012-10-17" {
		// a managed policy is a string; a SAM policy template a map without Statement
		t.Fatalf("Policies[0] = %v: want an inline document {Version, Statement}, not a SAM policy template or managed policy", doc)
	}
	return docGrants(t, doc)
}

// docGrants returns, per IAM action, the resources an evaluated policy document grants.
func docGrants(t *testing.T, doc map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for i, s := range doc["Statement"].([]any) {
		st := s.(map[string]any)
		for k := range st {
			if k != "Sid" && k != "Effect" && k != "Action" && k != "Resource" && k != "Condition" {
				t.Errorf("statement %d has %s; only Allow with Action, Resource (and Condition) is expected", i, k)
			}
		}
		// kms:Decrypt is for SSM to decrypt the baseline on the function's behalf, and only
		// that; the bucket calls only for buckets of the stack's own account (bucket ARNs name
		// no account, so s3:ResourceAccount does); no other statement has a condition.
		var wantCondition any
		if slices.Contains(strs(st["Action"]), "kms:Decrypt") {
			wantCondition = map[string]any{"StringEquals": map[string]any{"kms:ViaService": "ssm." + region + ".amazonaws.com"}}
		}
		if slices.Contains(strs(st["Action"]), "s3:GetBucketCORS") {
			wantCondition = map[string]any{"StringEquals": map[string]any{"s3:ResourceAccount": account}}
		}
		if diff := cmp.Diff(wantCondition, st["Condition"]); diff != "" {
			t.Errorf("statement %d Condition (-want +got):\n%s", i, diff)
		}
		if st["Effect"] != "Allow" {
			t.Errorf("statement %d Effect = %v", i, st["Effect"])
		}
		for _, a := range strs(st["Action"]) {
			if strings.ContainsAny(a, "*?") {
				t.Errorf("statement %d grants the wildcard action %s", i, a)
			}
			out[a] = append(out[a], strs(st["Resource"])...)
		}
	}
	for a := range out {
		slices.Sort(out[a])
	}
	return out
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, s := range x {
			out = append(out, fmt.Sprint(s))
		}
		return out
	}
	return nil
}

// policyCase is one deployment of the template and what its policy must grant.
type policyCase struct {
	name      string
	partition string
	params    map[string]string
	parameter string // the baseline parameters' ARNs, separated by a space
	key       string // the key kms:Decrypt is granted on, if any
}

func policyCases() []policyCase {
	const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	return []policyCase{
		{"the default hierarchical name", "aws", nil,
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"a flat name", "aws", map[string]string{"BaselineParameterName": "corsguard-baseline"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard-baseline", ""},
		{"a SecureString under a given key", "aws", map[string]string{"BaselineKmsKeyArn": key},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", key},
		{"another partition", "aws-cn", map[string]string{"BaselineParameterName": "/media/cors"},
			"arn:aws-cn:ssm:us-east-1:111122223333:parameter/media/cors", ""},
		{"only s3", "aws", map[string]string{"Targets": "s3"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"every target", "aws", map[string]string{"Targets": "mediastore,s3,cloudfront"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"an S3 baseline of its own", "aws", map[string]string{"Targets": "mediastore,s3", "S3BaselineParameterName": "/corsguard/s3-baseline"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/s3-baseline", ""},
		// The function reads the buckets' baseline only when s3 is a target; so may its role.
		{"an S3 baseline while s3 is not a target", "aws", map[string]string{"S3BaselineParameterName": "/corsguard/s3-baseline"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"an S3 baseline while only mediastore and cloudfront are targets", "aws", map[string]string{"Targets": "mediastore,cloudfront", "S3BaselineParameterName": "/corsguard/s3-baseline"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"a flat S3 baseline name", "aws", map[string]string{"Targets": "s3", "S3BaselineParameterName": "s3-baseline"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline arn:aws:ssm:us-east-1:111122223333:parameter/s3-baseline", ""},
		{"the cloudfront target with its baseline", "aws", map[string]string{"Targets": "mediastore,s3,cloudfront", "CloudFrontBaselineParameterName": "/corsguard/cloudfront"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/cloudfront", ""},
		{"only cloudfront, a flat baseline name", "aws", map[string]string{"Targets": "cloudfront", "CloudFrontBaselineParameterName": "cf-baseline"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/cf-baseline arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"profiles under another path", "aws", map[string]string{"Targets": "s3", "ProfilesPath": "/org/cors-profiles/"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"Security Hub findings on", "aws", map[string]string{"SecurityHubFindings": "true"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"function URLs and HTTP APIs with the default api baseline", "aws", map[string]string{"Targets": "lambda-url,http-api"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/api arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"only http-api, a flat api baseline name, another partition", "aws-cn", map[string]string{"Targets": "http-api", "ApiBaselineParameterName": "api-baseline"},
			"arn:aws-cn:ssm:us-east-1:111122223333:parameter/api-baseline arn:aws-cn:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"all five targets", "aws", map[string]string{"Targets": "s3,lambda-url,mediastore,cloudfront,http-api"},
			"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/api arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
		{"Security Hub findings on in another partition", "aws-cn", map[string]string{"SecurityHubFindings": "true"},
			"arn:aws-cn:ssm:us-east-1:111122223333:parameter/corsguard/baseline", ""},
	}
}

// wantGrants is what the policy must grant in tt: exactly the calls the engine makes
// (enforce.Actions), each on its resources.
func wantGrants(t *testing.T, tt policyCase) map[string][]string {
	t.Helper()
	containers := "arn:" + tt.partition + ":mediastore:us-east-1:111122223333:container/*"
	want := map[string][]string{}
	targets := tt.params["Targets"]
	if targets == "" {
		targets = "mediastore" // the template's default
	}
	cloudFront := strings.Contains(targets, "cloudfront") // the cases deploy in us-east-1
	for _, a := range enforce.Actions() {
		switch {
		// Each target's calls are granted only when it is configured.
		case strings.HasPrefix(a, "cloudfront:") && !cloudFront:
		case strings.HasPrefix(a, "mediastore:") && !strings.Contains(targets, "mediastore"):
		case strings.HasPrefix(a, "s3:") && !strings.Contains(targets, "s3"):
		case strings.HasPrefix(a, "lambda:") && !strings.Contains(targets, "lambda-url"):
		case strings.HasPrefix(a, "apigateway:") && !strings.Contains(targets, "http-api"):
		case a == "lambda:ListFunctions": // no resource-level permission exists
			want[a] = []string{"*"}
		case strings.HasPrefix(a, "lambda:"): // an alias's URL is function:NAME:ALIAS, which function:* covers
			want[a] = []string{"arn:" + tt.partition + ":lambda:us-east-1:111122223333:function:*"}
		case a == "apigateway:GET": // GetApis on /apis, GetApi on /apis/ID
			want[a] = []string{"arn:" + tt.partition + ":apigateway:us-east-1::/apis", "arn:" + tt.partition + ":apigateway:us-east-1::/apis/*"}
		case a == "apigateway:PATCH": // UpdateApi
			want[a] = []string{"arn:" + tt.partition + ":apigateway:us-east-1::/apis/*"}
		case a == "apigateway:DELETE": // DeleteCorsConfiguration only: never DeleteApi
			want[a] = []string{"arn:" + tt.partition + ":apigateway:us-east-1::/apis/*/cors"}
		case a == "cloudfront:ListResponseHeadersPolicies": // no resource-level permission exists
			want[a] = []string{"*"}
		case strings.HasPrefix(a, "cloudfront:"): // global: no Region in the ARN
			want[a] = []string{"arn:" + tt.partition + ":cloudfront::111122223333:response-headers-policy/*"}
		case a == "mediastore:ListContainers": // no resource-level permission exists
			want[a] = []string{"*"}
		case strings.HasPrefix(a, "mediastore:"):
			want[a] = []string{containers}
		case a == "s3:ListAllMyBuckets": // no resource-level permission exists
			want[a] = []string{"*"}
		case strings.HasPrefix(a, "s3:"):
			want[a] = []string{"arn:" + tt.partition + ":s3:::*"}
		case a == "ssm:GetParameter": // the baselines, and the profiles' under their path
			path := tt.params["ProfilesPath"]
			if path == "" {
				path = "/corsguard/profiles/" // the template's default
			}
			want[a] = append(strings.Fields(tt.parameter), "arn:"+tt.partition+":ssm:us-east-1:111122223333:parameter"+path+"*")
			slices.Sort(want[a])
		case a == "ssm:GetParametersByPath": // the router's listing of <ProfilesPath><kind>: the profiles path only
			path := tt.params["ProfilesPath"]
			if path == "" {
				path = "/corsguard/profiles/" // the template's default
			}
			want[a] = []string{"arn:" + tt.partition + ":ssm:us-east-1:111122223333:parameter" + path + "*"}
		case a == "tag:GetResources" && !strings.Contains(targets, "s3"):
		case a == "tag:GetResources": // the buckets' tags in bulk: no resource-level permission exists
			want[a] = []string{"*"}
		default:
			t.Fatalf("enforce.Actions has %s: say here (and in template.yaml) on which resources", a)
		}
	}
	if tt.key != "" {
		want["kms:Decrypt"] = []string{tt.key}
	}
	// The work queue: the router's and the worker's calls, and the event source mapping's,
	// on that queue only (not SAM's Type: SQS managed policy, which covers every queue).
	// (The queue's ARN is its GetAtt, so in the partition CloudFormation gives it.)
	for _, a := range append(workqueue.Actions(), workqueue.MappingActions()...) {
		want[a] = []string{workQueueARN}
	}
	if tt.params["SecurityHubFindings"] == "true" {
		// The findings queue: the workers' hand-off and the publisher's event source mapping,
		// on that queue only.
		for _, a := range append(findings.OutboxActions(), findings.QueueMappingActions()...) {
			want[a] = append(want[a], findingsQueueARN)
			slices.Sort(want[a])
		}
		for _, a := range findings.Actions() {
			switch a {
			case "securityhub:BatchImportFindings": // the account's default product only
				want[a] = []string{"arn:" + tt.partition + ":securityhub:us-east-1:111122223333:product/111122223333/default"}
			case "securityhub:GetFindings":
				want[a] = []string{"arn:" + tt.partition + ":securityhub:us-east-1:111122223333:hub/default"}
			default:
				t.Fatalf("findings.Actions has %s: say here (and in template.yaml) on which resources", a)
			}
		}
	}
	return want
}

func TestThePolicyGrantsExactlyTheCallsTheEngineMakes(t *testing.T) {
	tpl := readTemplate(t)
	for _, tt := range policyCases() {
		t.Run(tt.name, func(t *testing.T) {
			got := grants(t, tpl, evaluator(t, tpl, tt.partition, tt.params))
			if diff := cmp.Diff(wantGrants(t, tt), got); diff != "" {
				t.Errorf("granted actions and resources (-want +got):\n%s", diff)
			}
		})
	}
}

// policyDoc returns the function's inline policy document evaluated under ev.
func policyDoc(t *testing.T, tpl *cfn.Template, ev *cfn.Evaluator) any {
	t.Helper()
	policies, _ := props(t, tpl, function)["Policies"].([]any)
	if len(policies) != 1 {
		t.Fatalf("Policies = %v, want one inline policy document", policies)
	}
	return eval(t, ev, policies[0])
}

// The template's policy is, statement for statement, what `corsguard iam-policy` prints for
// the function the template configures: its environment read by config.Load, in the stack's
// partition, Region and account, with its queues and key. So a deployment without SAM
// (Terraform, plain CloudFormation) gets the same least privilege as the template.
func TestTheTemplatesPolicyIsWhatIAMPolicyPrints(t *testing.T) {
	tpl := readTemplate(t)
	type stack struct {
		policyCase
		region string // empty: us-east-1
	}
	var cases []stack
	for _, c := range policyCases() {
		cases = append(cases, stack{policyCase: c})
	}
	for _, r := range []string{"eu-west-1", "us-west-2"} { // the cloudfront target is refused outside us-east-1
		cases = append(cases, stack{policyCase{name: "every target and findings in " + r, partition: "aws",
			params: map[string]string{"Targets": "mediastore,s3,cloudfront,lambda-url,http-api", "SecurityHubFindings": "true",
				"CloudFrontBaselineParameterName": "/corsguard/cloudfront"}}, r})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			region := region
			if tt.region != "" {
				region = tt.region
			}
			ev := evaluatorIn(t, tpl, tt.partition, region, tt.params)
			env := environment(t, tpl, tt.params)
			c, err := config.Load(func(k string) string {
				if k == config.Region {
					return region
				}
				return env[k]
			})
			if err != nil {
				t.Fatalf("config.Load rejects the template's environment: %v", err)
			}
			scope := iampolicy.Scope{Partition: tt.partition, Region: region, Account: account, SecurityHub: c.SecurityHub,
				KMSKeyARN: tt.key}
			if c.QueueURL != "" {
				scope.WorkQueueARN = eval(t, ev, map[string]any{"Fn::GetAtt": []any{workQueue, "Arn"}}).(string)
			}
			if c.FindingsQueueURL != "" {
				scope.FindingsQueueARN = eval(t, ev, map[string]any{"Fn::GetAtt": []any{"FindingsQueue", "Arn"}}).(string)
			}
			doc, err := iampolicy.New(c.Engine, scope)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			var printed any
			if err := json.Unmarshal(b, &printed); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(printed, policyDoc(t, tpl, ev)); diff != "" {
				t.Errorf("template.yaml's policy (-corsguard iam-policy +template):\n%s", diff)
			}
		})
	}
}

// routes says which of the function's event sources each sample in events/ reaches it through;
// "" means none (it arrives by direct invocation, or not at all).
func routes() map[string]string {
	return map[string]string{
		"mediastore-container-created.json":          "ContainerCreated",
		"cloudtrail-create-container.json":           "ContainerCreatedTrail",
		"cloudtrail-put-cors-policy.json":            "CorsChangedTrail",
		"cloudtrail-delete-cors-policy.json":         "CorsChangedTrail",
		"ssm-baseline-create.json":                   "BaselineChanged",
		"ssm-baseline-update.json":                   "BaselineChanged",
		"ssm-baseline-label.json":                    "BaselineChanged",
		"ssm-baseline-delete.json":                   "BaselineChanged",
		"scheduled-sweep.json":                       "Sweep",
		"direct-audit.json":                          "",
		"direct-enforce.json":                        "",
		"direct-unknown-action.json":                 "",
		"mediastore-container-removed.json":          "ContainerCreated",
		"cloudtrail-delete-container.json":           "ContainerCreatedTrail",
		"cloudtrail-s3-delete-bucket.json":           "BucketCreatedTrail",
		"mediastore-object-state-change.json":        "",
		"mediastore-object-upload-state-change.json": "",
		"cloudtrail-other-call.json":                 "",
		"ssm-other-parameter.json":                   "",
		"unknown-source.json":                        "",
		"cloudtrail-s3-create-bucket.json":           "BucketCreatedTrail",
		"cloudtrail-s3-put-bucket-cors.json":         "BucketCorsChangedTrail",
		"cloudtrail-s3-delete-bucket-cors.json":      "BucketCorsChangedTrail",
		"cloudtrail-s3-other-call.json":              "",
		"cloudtrail-s3-put-bucket-tagging.json":      "BucketCorsChangedTrail",
		"ssm-profile-update.json":                    "BaselineChanged",
		"direct-audit-buckets.json":                  "",
		// CloudFront's records reach the function through the standalone ResponseHeadersPolicyChangedRule.
		"cloudtrail-create-response-headers-policy.json": "",
		"cloudtrail-update-response-headers-policy.json": "",
		"cloudtrail-delete-response-headers-policy.json": "",
		// Lambda's and API Gateway's through FunctionUrlChangedRule and HttpApiChangedRule.
		"cloudtrail-lambda-create-function-url-config.json":    "",
		"cloudtrail-lambda-update-function-url-config.json":    "",
		"cloudtrail-apigateway-create-api.json":                "",
		"cloudtrail-apigateway-update-api.json":                "",
		"cloudtrail-apigateway-delete-cors-configuration.json": "",
		// A call that failed matches no rule (errorCode exists); an event of another account
		// reaches the rule and is ignored by the function (router.Route).
		"cloudtrail-s3-create-bucket-failed.json":          "",
		"cloudtrail-put-cors-policy-failed.json":           "",
		"cloudtrail-s3-put-bucket-cors-other-account.json": "BucketCorsChangedTrail",
	}
}

// patterns returns the checked pattern of every EventBridgeRule event source under ev.
func patterns(t *testing.T, tpl *cfn.Template, ev *cfn.Evaluator) map[string]eventpattern.Pattern {
	t.Helper()
	out := map[string]eventpattern.Pattern{}
	for name, src := range events(t, tpl) {
		if src["Type"] != "EventBridgeRule" {
			continue
		}
		p, err := eventpattern.New(eval(t, ev, src["Properties"].(map[string]any)["Pattern"]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = p
	}
	return out
}

// matching returns the names of the patterns the event matches.
func matching(t *testing.T, ps map[string]eventpattern.Pattern, event []byte) []string {
	t.Helper()
	var names []string
	for name, p := range ps {
		ok, err := p.Match(event)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEachRuleMatchesItsSampleEventsAndNoOthers(t *testing.T) {
	tpl := readTemplate(t)
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	route := routes()
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(route)), names); diff != "" {
		t.Errorf("events/ and this test's route table differ: say which source delivers each sample (-table +events/):\n%s", diff)
	}
	srcs := events(t, tpl)
	ps := patterns(t, tpl, evaluator(t, tpl, "aws", nil))
	reached := map[string]bool{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			want := route[name]
			var wantRules []string
			if want != "" {
				src, ok := srcs[want]
				if !ok {
					t.Fatalf("the template has no event source %s", want)
				}
				reached[want] = true
				if src["Type"] == "EventBridgeRule" {
					wantRules = []string{want}
				}
			}
			if diff := cmp.Diff(wantRules, matching(t, ps, readEvent(t, name))); diff != "" {
				t.Errorf("rules matching the sample (-want +got):\n%s", diff)
			}
		})
	}
	for name := range srcs {
		if !reached[name] {
			t.Errorf("event source %s has no sample in events/ (add one, and a row to route)", name)
		}
	}
}

func TestTheSweepIsAScheduleRuleDeliveringTheScheduledEvent(t *testing.T) {
	tpl := readTemplate(t)
	src := events(t, tpl)["Sweep"]
	if src["Type"] != "Schedule" {
		t.Fatalf("Sweep Type = %v; a Schedule rule delivers the Scheduled Event envelope the handler routes", src["Type"])
	}
	p := src["Properties"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"Ref": "SweepSchedule"}, p["Schedule"]); diff != "" {
		t.Errorf("Schedule (-want +got):\n%s", diff)
	}
	if _, ok := p["Input"]; ok {
		t.Error("Sweep sets Input; the sample and the handler expect the Scheduled Event envelope")
	}
	var ev struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	if err := json.Unmarshal(readEvent(t, "scheduled-sweep.json"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" {
		t.Errorf("scheduled-sweep.json is %s / %s, not what a schedule rule delivers", ev.Source, ev.DetailType)
	}
}

// edit returns the sample with one field changed.
func edit(t *testing.T, name string, change func(ev map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(readEvent(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	change(ev)
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestTheCorsRuleLeavesOutTheFunctionsOwnWrites(t *testing.T) {
	tpl := readTemplate(t)
	ps := patterns(t, tpl, evaluator(t, tpl, "aws", nil))
	rules := map[string]string{
		"cloudtrail-put-cors-policy.json": "CorsChangedTrail", "cloudtrail-delete-cors-policy.json": "CorsChangedTrail",
		"cloudtrail-s3-put-bucket-cors.json": "BucketCorsChangedTrail", "cloudtrail-s3-delete-bucket-cors.json": "BucketCorsChangedTrail",
	}
	for name, rule := range rules {
		own := edit(t, name, func(ev map[string]any) {
			id := ev["detail"].(map[string]any)["userIdentity"].(map[string]any)
			id["type"] = "AssumedRole"
			id["arn"] = "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/corsguard-EnforcerFunction-AbC"
		})
		if got := matching(t, ps, own); len(got) != 0 {
			t.Errorf("%s by the function's own role matches %v; want none", name, got)
		}
		other := edit(t, name, func(ev map[string]any) {
			id := ev["detail"].(map[string]any)["userIdentity"].(map[string]any)
			id["type"] = "AssumedRole"
			id["arn"] = "arn:aws:sts::" + account + ":assumed-role/MediaAdmin/alice"
		})
		if diff := cmp.Diff([]string{rule}, matching(t, ps, other)); diff != "" {
			t.Errorf("%s by another role (-want +got):\n%s", name, diff)
		}
		// anything-but does not match a missing field; the rule must still let these in.
		noARN := edit(t, name, func(ev map[string]any) {
			id := ev["detail"].(map[string]any)["userIdentity"].(map[string]any)
			delete(id, "arn")
			id["type"] = "AWSService"
			id["invokedBy"] = "mediastore.amazonaws.com"
		})
		if diff := cmp.Diff([]string{rule}, matching(t, ps, noARN)); diff != "" {
			t.Errorf("%s without userIdentity.arn (-want +got):\n%s", name, diff)
		}
		noIdentity := edit(t, name, func(ev map[string]any) {
			delete(ev["detail"].(map[string]any), "userIdentity")
		})
		if diff := cmp.Diff([]string{rule}, matching(t, ps, noIdentity)); diff != "" {
			t.Errorf("%s without userIdentity (-want +got):\n%s", name, diff)
		}
	}
}

func TestTheBaselineRuleFollowsTheParameterName(t *testing.T) {
	tpl := readTemplate(t)
	ps := patterns(t, tpl, evaluator(t, tpl, "aws", map[string]string{"BaselineParameterName": "corsguard-baseline"}))
	renamed := edit(t, "ssm-baseline-update.json", func(ev map[string]any) {
		ev["detail"].(map[string]any)["name"] = "corsguard-baseline"
		ev["resources"] = []any{"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard-baseline"}
	})
	if diff := cmp.Diff([]string{"BaselineChanged"}, matching(t, ps, renamed)); diff != "" {
		t.Errorf("update of the configured parameter (-want +got):\n%s", diff)
	}
	if got := matching(t, ps, readEvent(t, "ssm-baseline-update.json")); len(got) != 0 {
		t.Errorf("update of /corsguard/baseline, which is not the configured one, matches %v", got)
	}
}

// The buckets' own baseline is watched, like it is read, only when s3 is a target: the
// function would ignore its changes otherwise (it is not one of its baselines).
func TestTheS3BaselineIsWatchedOnlyWhenS3IsATarget(t *testing.T) {
	tpl := readTemplate(t)
	update := edit(t, "ssm-baseline-update.json", func(ev map[string]any) {
		ev["detail"].(map[string]any)["name"] = "/corsguard/s3-baseline"
		ev["resources"] = []any{"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/s3-baseline"}
	})
	for targets, want := range map[string][]string{
		"mediastore":            nil,
		"mediastore,cloudfront": nil,
		"s3":                    {"BaselineChanged"},
		"mediastore,s3":         {"BaselineChanged"},
	} {
		ps := patterns(t, tpl, evaluator(t, tpl, "aws", map[string]string{"Targets": targets, "S3BaselineParameterName": "/corsguard/s3-baseline"}))
		if diff := cmp.Diff(want, matching(t, ps, update)); diff != "" {
			t.Errorf("Targets %s: rules matching an update of the S3 baseline (-want +got):\n%s", targets, diff)
		}
	}
}

// TestTheAPIBaselineIsWatchedOnlyWhenAnAPIKindIsATarget: a change of the function URLs' and
// HTTP APIs' baseline reaches the function (which converges both kinds) where either is a target.
func TestTheAPIBaselineIsWatchedOnlyWhenAnAPIKindIsATarget(t *testing.T) {
	tpl := readTemplate(t)
	update := edit(t, "ssm-baseline-update.json", func(ev map[string]any) {
		ev["detail"].(map[string]any)["name"] = "/corsguard/api"
		ev["resources"] = []any{"arn:aws:ssm:us-east-1:111122223333:parameter/corsguard/api"}
	})
	for targets, want := range map[string][]string{
		"s3":            nil,
		"mediastore,s3": nil,
		"lambda-url":    {"BaselineChanged"},
		"s3,http-api":   {"BaselineChanged"},
	} {
		ps := patterns(t, tpl, evaluator(t, tpl, "aws", map[string]string{"Targets": targets, "ApiBaselineParameterName": "/corsguard/api"}))
		if diff := cmp.Diff(want, matching(t, ps, update)); diff != "" {
			t.Errorf("Targets %s: rules matching an update of the API baseline (-want +got):\n%s", targets, diff)
		}
	}
}

func TestFailuresEndInTheEncryptedFailureQueue(t *testing.T) {
	tpl := readTemplate(t)
	ev := evaluator(t, tpl, "aws", nil)
	queueARN := "arn:aws:sqs:" + region + ":" + account + ":corsguard-FailureQueue-XyZ"

	q := props(t, tpl, queue)
	if q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
		t.Errorf("%s is not encrypted", queue)
	}

	// Function errors: Lambda's retries, then the on-failure destination.
	cfg, _ := props(t, tpl, function)["EventInvokeConfig"].(map[string]any)
	for _, k := range []string{"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} {
		if _, ok := cfg[k].(int); !ok {
			t.Errorf("EventInvokeConfig.%s is not set", k)
		}
	}
	onFailure := eval(t, ev, cfg["DestinationConfig"])
	wantDest := map[string]any{"OnFailure": map[string]any{"Type": "SQS", "Destination": queueARN}}
	if diff := cmp.Diff(wantDest, onFailure); diff != "" {
		t.Errorf("EventInvokeConfig.DestinationConfig (-want +got):\n%s", diff)
	}

	// Delivery failures: each rule's retries, then its dead-letter queue, which must let
	// exactly these rules send to it.
	var ruleARNs []string
	for name, src := range events(t, tpl) {
		p := src["Properties"].(map[string]any)
		retry, _ := p["RetryPolicy"].(map[string]any)
		for _, k := range []string{"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} {
			if _, ok := retry[k].(int); !ok {
				t.Errorf("%s RetryPolicy.%s is not set", name, k)
			}
		}
		if diff := cmp.Diff(map[string]any{"Arn": queueARN}, eval(t, ev, p["DeadLetterConfig"])); diff != "" {
			t.Errorf("%s DeadLetterConfig (-want +got):\n%s", name, diff)
		}
		ruleARNs = append(ruleARNs, "arn:aws:events:"+region+":"+account+":rule/corsguard-"+name+"-rule")
	}
	slices.Sort(ruleARNs)

	var policy *struct {
		Queues []any `json:"Queues"`
		Doc    struct {
			Statement []struct {
				Effect    string
				Principal map[string]any
				Action    any
				Resource  any
				Condition map[string]map[string]any
			}
		} `json:"PolicyDocument"`
	}
	for id, r := range tpl.Section("Resources") {
		if r.(map[string]any)["Type"] != "AWS::SQS::QueuePolicy" {
			continue
		}
		data, err := json.Marshal(eval(t, ev, props(t, tpl, id)))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &policy); err != nil {
			t.Fatal(err)
		}
	}
	if policy == nil {
		t.Fatal("no AWS::SQS::QueuePolicy lets EventBridge dead-letter into the queue")
	}
	if diff := cmp.Diff([]any{refOf(t, ev, queue)}, policy.Queues); diff != "" {
		t.Errorf("QueuePolicy Queues (-want +got):\n%s", diff)
	}
	if len(policy.Doc.Statement) != 1 {
		t.Fatalf("QueuePolicy has %d statements, want 1", len(policy.Doc.Statement))
	}
	st := policy.Doc.Statement[0]
	if st.Effect != "Allow" || st.Principal["Service"] != "events.amazonaws.com" ||
		st.Action != "sqs:SendMessage" || st.Resource != queueARN {
		t.Errorf("QueuePolicy statement = %+v", st)
	}
	got := slices.Sorted(slices.Values(strs(st.Condition["ArnEquals"]["aws:SourceArn"])))
	if diff := cmp.Diff(ruleARNs, got); diff != "" {
		t.Errorf("rules allowed to dead-letter (-every rule +policy):\n%s", diff)
	}
}

// refOf evaluates a Ref to a resource.
func refOf(t *testing.T, ev *cfn.Evaluator, id string) any {
	t.Helper()
	return eval(t, ev, map[string]any{"Ref": id})
}

func TestAlarmsWatchErrorsTheQueueAndTheBaseline(t *testing.T) {
	tpl := readTemplate(t)
	type metric struct{ Namespace, Name, Dimension, Value string }
	wantMetrics := []metric{
		{"AWS/Lambda", "Errors", "FunctionName", "corsguard-EnforcerFunction-AbC"},
		{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "corsguard-FailureQueue-XyZ"},
		{"CorsGuard", handler.MetricBaselineDeleted, handler.DimensionMode, "enforce"},
		{"CorsGuard", handler.MetricTerminalFailures, handler.DimensionMode, "enforce"},
		{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "corsguard-WorkDeadLetterQueue-D.fifo"},
	}
	const topic = "arn:aws:sns:" + region + ":" + account + ":corsguard-AlarmTopic-Q"
	for _, tt := range []struct {
		email   string
		actions []any
		hub     string
	}{{"", nil, "false"}, {"ops@example.com", []any{topic}, "false"}, {"ops@example.com", []any{topic}, "true"}} {
		ev := evaluator(t, tpl, "aws", map[string]string{"AlarmEmail": tt.email, "SecurityHubFindings": tt.hub})
		wantMetrics := wantMetrics
		if tt.hub == "true" {
			// The findings queue's dead-letter queue exists only with Security Hub on.
			wantMetrics = append(slices.Clone(wantMetrics), metric{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "corsguard-FindingsDeadLetterQueue-D"})
		}
		hasTopic, err := ev.Condition(tpl.Resource("AlarmTopic")["Condition"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if hasTopic != (tt.email != "") {
			t.Errorf("AlarmEmail %q: the topic exists = %v", tt.email, hasTopic)
		}
		var got []metric
		for id, r := range tpl.Section("Resources") {
			if r.(map[string]any)["Type"] != "AWS::CloudWatch::Alarm" {
				continue
			}
			if c, ok := r.(map[string]any)["Condition"].(string); ok {
				if on, err := ev.Condition(c); err != nil || !on {
					continue
				}
			}
			p := eval(t, ev, props(t, tpl, id)).(map[string]any)
			dims := p["Dimensions"].([]any)
			if len(dims) != 1 {
				t.Fatalf("%s has %d dimensions", id, len(dims))
			}
			d := dims[0].(map[string]any)
			got = append(got, metric{p["Namespace"].(string), p["MetricName"].(string), d["Name"].(string), d["Value"].(string)})
			actions, _ := p["AlarmActions"].([]any)
			if diff := cmp.Diff(tt.actions, actions); diff != "" {
				t.Errorf("AlarmEmail %q: %s AlarmActions (-want +got):\n%s", tt.email, id, diff)
			}
		}
		byName := func(a, b metric) int {
			return strings.Compare(a.Namespace+"/"+a.Name+"/"+a.Value, b.Namespace+"/"+b.Name+"/"+b.Value)
		}
		slices.SortFunc(got, byName)
		slices.SortFunc(wantMetrics, byName)
		if diff := cmp.Diff(wantMetrics, got); diff != "" {
			t.Errorf("alarmed metrics (-want +got):\n%s", diff)
		}
	}
	sub := eval(t, evaluator(t, tpl, "aws", map[string]string{"AlarmEmail": "ops@example.com"}),
		props(t, tpl, "AlarmTopic")["Subscription"])
	if diff := cmp.Diff([]any{map[string]any{"Protocol": "email", "Endpoint": "ops@example.com"}}, sub); diff != "" {
		t.Errorf("AlarmTopic Subscription (-want +got):\n%s", diff)
	}
}

func TestOutputsNameTheFunctionTheQueueAndEveryRule(t *testing.T) {
	tpl := readTemplate(t)
	want := map[string]any{
		"Fn::GetAtt:" + function + ".Arn": true,
		"Ref:" + queue:                    true,
		"Ref:" + workQueue:                true,
		"Ref:" + workDLQ:                  true,
	}
	for name := range events(t, tpl) {
		want["Ref:"+ruleID(name)] = true
	}
	got := map[string]any{}
	for _, o := range tpl.Section("Outputs") {
		switch v := o.(map[string]any)["Value"].(map[string]any); {
		case v["Ref"] != nil:
			got["Ref:"+v["Ref"].(string)] = true
		case v["Fn::GetAtt"] != nil:
			a := v["Fn::GetAtt"].([]any)
			got[fmt.Sprintf("Fn::GetAtt:%s.%s", a[0], a[1])] = true
		}
	}
	for k := range want {
		if got[k] == nil {
			t.Errorf("no output is %s", k)
		}
	}
}

// The duration parameters' AllowedPattern lets CloudFormation refuse what config.Load would
// refuse at cold start: every value it admits is a Go duration config takes (zero aside:
// "0s" passes the pattern and fails at cold start), and the usual mistakes are refused.
func TestTheDurationParametersAdmitOnlyGoDurations(t *testing.T) {
	tpl := readTemplate(t)
	vars := map[string]string{"BackoffBase": config.BackoffBase, "BackoffCap": config.BackoffCap, "DeadlineMargin": config.DeadlineMargin}
	for name, variable := range vars {
		p, _ := tpl.Section("Parameters")[name].(map[string]any)
		pattern, _ := p["AllowedPattern"].(string)
		re, err := regexp.Compile(pattern)
		if err != nil {
			t.Fatalf("%s AllowedPattern %q: %v", name, pattern, err)
		}
		for _, v := range []string{fmt.Sprint(p["Default"]), "500ms", "2s", "1.5s", "1m30s", "1h", "250us", "250µs", "100000ns"} {
			if !re.MatchString(v) {
				t.Errorf("%s refuses %q", name, v)
				continue
			}
			env := map[string]string{config.BaselineParameter: "/corsguard/baseline", config.BackoffBase: v, config.BackoffCap: v, config.DeadlineMargin: v}
			if _, err := config.Load(func(k string) string { return env[k] }); err != nil {
				t.Errorf("%s admits %q, which %s refuses: %v", name, v, variable, err)
			}
		}
		for _, v := range []string{"", "10", "1 s", "1sec", "-1s", "s", "1S", "1d", "one second"} {
			if re.MatchString(v) {
				t.Errorf("%s admits %q", name, v)
			}
		}
	}
}

// The work queue (design, sections 4 and 6): FIFO with a FIFO dead-letter queue, a redrive
// policy that never dead-letters a container CREATING for up to 10 minutes, a visibility
// timeout the event source mapping accepts, and an explicit mapping with partial batch
// responses and MaximumConcurrency from its parameter.
func TestTheWorkQueueFeedsTheFunctionInBatchesWithPartialFailures(t *testing.T) {
	tpl := readTemplate(t)
	ev := evaluator(t, tpl, "aws", map[string]string{"MaximumConcurrency": "40"})
	q := eval(t, ev, props(t, tpl, workQueue)).(map[string]any)
	dlq := eval(t, ev, props(t, tpl, workDLQ)).(map[string]any)
	for id, p := range map[string]map[string]any{workQueue: q, workDLQ: dlq} {
		if p["FifoQueue"] != true {
			t.Errorf("%s is not FIFO (a FIFO queue's dead-letter queue must be FIFO too)", id)
		}
		if p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
			t.Errorf("%s is not encrypted", id)
		}
	}
	if q["ContentBasedDeduplication"] == true {
		t.Error("content-based deduplication would drop a later, distinct request with the same body")
	}
	redrive, _ := q["RedrivePolicy"].(map[string]any)
	if redrive["deadLetterTargetArn"] != "arn:aws:sqs:"+region+":"+account+":corsguard-WorkDeadLetterQueue-D.fifo" {
		t.Errorf("RedrivePolicy.deadLetterTargetArn = %v", redrive["deadLetterTargetArn"])
	}
	n, _ := redrive["maxReceiveCount"].(int)
	if least := workqueue.MinReceiveCount(workqueue.MaxBusyWait); n < least || n > 1000 {
		t.Errorf("maxReceiveCount %d: want %d (a %v wait at %v per receive) to 1000", n, least, workqueue.MaxBusyWait, workqueue.MinDelay)
	}
	timeout, _ := props(t, tpl, function)["Timeout"].(int)
	if vt, _ := q["VisibilityTimeout"].(int); vt < timeout {
		t.Errorf("VisibilityTimeout %d is below the function's Timeout %d: the event source mapping cannot be created", vt, timeout)
	}

	var mappings []string
	for id, r := range tpl.Section("Resources") {
		if r.(map[string]any)["Type"] == "AWS::Lambda::EventSourceMapping" && r.(map[string]any)["Condition"] == nil {
			mappings = append(mappings, id)
		}
	}
	if len(mappings) != 1 {
		t.Fatalf("event source mappings without a condition %v, want one (the work queue's)", mappings)
	}
	got := eval(t, ev, props(t, tpl, mappings[0]))
	want := map[string]any{
		"EventSourceArn":        workQueueARN,
		"FunctionName":          "corsguard-EnforcerFunction-AbC",
		"BatchSize":             10, // FIFO's most
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		"ScalingConfig":         map[string]any{"MaximumConcurrency": "40"}, // the parameter's value
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event source mapping (-want +got):\n%s", diff)
	}
	for name, src := range events(t, tpl) {
		if src["Type"] == "SQS" {
			t.Errorf("event %s is SAM's Type: SQS, whose managed policy covers every queue", name)
		}
	}
}

// cloudFrontRule is the standalone rule of CloudFront's CloudTrail events: SAM ignores
// Condition on a function's event source, and this one exists only in us-east-1.
const cloudFrontRule = "ResponseHeadersPolicyChangedRule"

func TestTheCloudFrontRuleAndGrantsExistOnlyInUSEast1WithTheTarget(t *testing.T) {
	tpl := readTemplate(t)
	with := map[string]string{"Targets": "mediastore,cloudfront", "CloudFrontBaselineParameterName": "/corsguard/cloudfront"}
	for _, tc := range []struct {
		name   string
		region string
		params map[string]string
		active bool
	}{
		{"configured, in us-east-1", "us-east-1", with, true},
		{"configured, in eu-west-1", "eu-west-1", with, false},
		{"not configured, in us-east-1", "us-east-1", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := evaluatorIn(t, tpl, "aws", tc.region, tc.params)
			for _, id := range []string{cloudFrontRule, "ResponseHeadersPolicyChangedPermission"} {
				r := tpl.Resource(id)
				if r == nil || r["Condition"] != "CloudFrontActive" {
					t.Fatalf("%s: want a resource with Condition CloudFrontActive, got %v", id, r)
				}
			}
			active, err := ev.Condition("CloudFrontActive")
			if err != nil {
				t.Fatal(err)
			}
			if active != tc.active {
				t.Errorf("CloudFrontActive = %v, want %v", active, tc.active)
			}
			got := grants(t, tpl, ev)
			var cf []string
			for a := range got {
				if strings.HasPrefix(a, "cloudfront:") {
					cf = append(cf, a)
				}
			}
			if (len(cf) == 3) != tc.active || (len(cf) != 0 && len(cf) != 3) {
				t.Errorf("cloudfront grants %v with the target active %v", cf, tc.active)
			}
			params := strings.Join(got["ssm:GetParameter"], " ")
			if strings.Contains(params, "cloudfront") != tc.active {
				t.Errorf("ssm:GetParameter on %s", params)
			}
			// A change of the CloudFront baseline reaches the function where the target is active.
			changed, err := eventpattern.New(eval(t, ev, events(t, tpl)["BaselineChanged"]["Properties"].(map[string]any)["Pattern"]))
			if err != nil {
				t.Fatal(err)
			}
			ok, err := changed.Match([]byte(`{"source":"aws.ssm","detail-type":"Parameter Store Change","detail":{"name":"/corsguard/cloudfront","operation":"Update"}}`))
			if err != nil || ok != (tc.active && tc.params["CloudFrontBaselineParameterName"] != "") {
				t.Errorf("BaselineChanged matches an update of /corsguard/cloudfront: %v (%v)", ok, err)
			}
		})
	}

	ev := evaluator(t, tpl, "aws", with)
	p := props(t, tpl, cloudFrontRule)
	pattern, err := eventpattern.New(eval(t, ev, p["EventPattern"]))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cloudtrail-create-response-headers-policy.json", "cloudtrail-delete-response-headers-policy.json", "cloudtrail-update-response-headers-policy.json"}
	var matched []string
	for _, f := range files {
		ok, err := pattern.Match(readEvent(t, filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			matched = append(matched, filepath.Base(f))
		}
	}
	if diff := cmp.Diff(want, matched); diff != "" {
		t.Errorf("samples the CloudFront rule matches (-want +got):\n%s", diff)
	}
	failed := strings.Replace(string(readEvent(t, want[2])), `"eventType"`, `"errorCode": "PreconditionFailed", "eventType"`, 1)
	own := strings.Replace(string(readEvent(t, want[2])), `"arn": "arn:aws:iam::012345678912:user/alice"`,
		`"arn": "arn:aws:sts::111122223333:assumed-role/`+roleName+`/corsguard-EnforcerFunction-AbC"`, 1)
	for name, ev := range map[string]string{"a failed call": failed, "our own update": own} {
		if ok, err := pattern.Match([]byte(ev)); err != nil || ok {
			t.Errorf("the CloudFront rule matches %s (%v)", name, err)
		}
	}
	targets := eval(t, ev, p["Targets"]).([]any)
	target := targets[0].(map[string]any)
	if len(targets) != 1 || target["Arn"] != "arn:aws:lambda:"+region+":"+account+":function:corsguard-EnforcerFunction-AbC" || target["DeadLetterConfig"] == nil || target["RetryPolicy"] == nil {
		t.Errorf("rule targets %v", targets)
	}
	perm := eval(t, ev, props(t, tpl, "ResponseHeadersPolicyChangedPermission")).(map[string]any)
	if perm["Principal"] != "events.amazonaws.com" || perm["SourceArn"] != "arn:aws:events:"+region+":"+account+":rule/corsguard-"+cloudFrontRule {
		t.Errorf("permission %v", perm)
	}
}

// The findings queue (docs/security-hub.md, "The publisher"): only with Security Hub on, a
// standard, encrypted queue with a dead-letter queue, fed to the function by a mapping of large
// batches with a window, partial batch responses and the publishers' fixed MaximumConcurrency,
// the one the code divides Security Hub's share by (config.PublisherConcurrency).
func TestTheFindingsQueueFeedsThePublisherOnlyWithSecurityHubOn(t *testing.T) {
	tpl := readTemplate(t)
	ids := []string{"FindingsQueue", "FindingsDeadLetterQueue", "FindingsQueueMapping", "FindingsDeadLetterQueueAlarm"}
	for _, hub := range []string{"false", "true"} {
		ev := evaluator(t, tpl, "aws", map[string]string{"SecurityHubFindings": hub, "MaximumConcurrency": "50"})
		for _, id := range append(ids, "Outputs:FindingsQueueUrl") {
			var r map[string]any
			if name, ok := strings.CutPrefix(id, "Outputs:"); ok {
				r, _ = tpl.Section("Outputs")[name].(map[string]any)
			} else {
				r = tpl.Resource(id)
			}
			if r == nil {
				t.Fatalf("%s is missing", id)
			}
			c, _ := r["Condition"].(string)
			on, err := ev.Condition(c)
			if err != nil || on != (hub == "true") {
				t.Errorf("SecurityHubFindings %s: %s exists = %v (%v)", hub, id, on, err)
			}
		}
	}
	ev := evaluator(t, tpl, "aws", map[string]string{"SecurityHubFindings": "true", "MaximumConcurrency": "50"})
	q := eval(t, ev, props(t, tpl, "FindingsQueue")).(map[string]any)
	dlq := eval(t, ev, props(t, tpl, "FindingsDeadLetterQueue")).(map[string]any)
	for id, p := range map[string]map[string]any{"FindingsQueue": q, "FindingsDeadLetterQueue": dlq} {
		if p["FifoQueue"] == true {
			t.Errorf("%s is FIFO: Lambda batches at most 10 FIFO messages and takes no window", id)
		}
		if p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
			t.Errorf("%s is not encrypted", id)
		}
		if p["MessageRetentionPeriod"] != 1209600 {
			t.Errorf("%s keeps messages %v s, want 14 days", id, p["MessageRetentionPeriod"])
		}
	}
	redrive, _ := q["RedrivePolicy"].(map[string]any)
	if redrive["deadLetterTargetArn"] != "arn:aws:sqs:"+region+":"+account+":corsguard-FindingsDeadLetterQueue-D" {
		t.Errorf("RedrivePolicy.deadLetterTargetArn = %v", redrive["deadLetterTargetArn"])
	}
	if n, _ := redrive["maxReceiveCount"].(int); n < 3 {
		t.Errorf("maxReceiveCount %d: a throttled batch must get more than one more try", n)
	}
	m := eval(t, ev, props(t, tpl, "FindingsQueueMapping")).(map[string]any)
	timeout, _ := props(t, tpl, function)["Timeout"].(int)
	window, _ := m["MaximumBatchingWindowInSeconds"].(int)
	if vt, _ := q["VisibilityTimeout"].(int); vt < timeout+window {
		t.Errorf("VisibilityTimeout %d is below the function's Timeout %d plus the window %d", vt, timeout, window)
	}
	if size, _ := m["BatchSize"].(int); size <= esm.MaxBatchSize || size > esm.MaxStandardBatchSize || window < 1 || window > 300 {
		t.Errorf("BatchSize %v, window %v: want a batch above %d (at most %d) and a window of 1-300 s, as Lambda requires above 10",
			m["BatchSize"], m["MaximumBatchingWindowInSeconds"], esm.MaxBatchSize, esm.MaxStandardBatchSize)
	}
	delete(m, "BatchSize")
	delete(m, "MaximumBatchingWindowInSeconds")
	want := map[string]any{
		"EventSourceArn":        findingsQueueARN,
		"FunctionName":          "corsguard-EnforcerFunction-AbC",
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		// Fixed, not the workers' MaximumConcurrency (50 here).
		"ScalingConfig": map[string]any{"MaximumConcurrency": config.PublisherConcurrency},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("findings queue mapping (-want +got):\n%s", diff)
	}
}
