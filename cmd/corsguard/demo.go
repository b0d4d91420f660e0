package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/cmd/corsguard/report"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/events"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// demoCreating is how long the demo's new container stays CREATING: long enough that the
// function visibly waits for it, short enough for a demo.
const demoCreating = 1500 * time.Millisecond

// demoClock is the emulator's clock in the demo: the wall clock less a lag, which part 2 takes
// away ("a minute later"). So the baseline's version 2, published in part 1, was made a minute
// before part 2's router reads it, as it would have been by the next scheduled sweep: it has
// settled (enforce.StampSettle), and the router stamps it without waiting.
type demoClock struct{ lag atomic.Int64 }

// demoLag is how far the emulator's clock runs behind the wall clock in part 1.
const demoLag = time.Minute

func (c *demoClock) Now() time.Time { return time.Now().Add(-time.Duration(c.lag.Load())) }

func (*demoClock) Sleep(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, d) }

func newDemoCmd() *cobra.Command {
	creating := demoCreating
	var reportFile string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Show corsguard's whole job offline, against an in-process AWS emulator",
		Long: `Demo starts the AWS emulator in this process, seeds a baseline parameter (the embedded
default baseline), eight MediaStore containers (compliant, drifted, without a policy, exempt,
excluded by name, one still CREATING) and four S3 buckets (compliant, drifted, without CORS,
exempt) and a CloudFront response headers policy, configures the function for the three kinds, then feeds the real Lambda handler the sample
events of events/ in order and prints what each one did. It needs no AWS account and no
credentials, and makes no request beyond the loopback interface.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if reportFile != "" {
				return demoReport(cmd.Context(), cmd, reportFile)
			}
			d, err := runDemo(cmd.Context(), cmd.OutOrStdout(), creating)
			if d != nil {
				d.close()
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&creating, "creating", creating, "how long the new container stays CREATING")
	cmd.Flags().StringVar(&reportFile, "report", "", "instead of the story, audit the demo's account as it starts (every kind, with the CLI's audit) and write the HTML report to this file (make report)")
	return cmd
}

// The demo's names. The sample events name live-news and the parameter /corsguard/baseline.
const (
	demoParameter    = DefaultBaselineParameter
	demoExempt       = "partner-feed"
	demoExemptBucket = "media-partner"
	demoExclude      = "test-*"
)

// demoAnyOriginPost is what a colleague puts on a bucket by hand (as in
// cloudtrail-s3-put-bucket-cors.json): S3 allows POST, MediaStore does not.
var demoAnyOriginPost = policy.Policy{{
	AllowedOrigins: []string{"*"},
	AllowedMethods: []string{"GET", "PUT", "POST", "DELETE"},
	AllowedHeaders: []string{"*"},
}}

// demoAnyOrigin is the hand-made policy the demo's containers and buckets drift to.
var demoAnyOrigin = policy.Policy{{
	AllowedOrigins: []string{"*"},
	AllowedMethods: []string{"GET", "HEAD", "PUT", "DELETE"},
	AllowedHeaders: []string{"*"},
	MaxAgeSeconds:  3000,
}}

// demoContainer is one container the demo seeds.
type demoContainer struct {
	name   string
	status string
	cors   policy.Policy
	tags   map[string]string
	why    string
}

func demoContainers() []demoContainer {
	return []demoContainer{
		{name: "live-news", status: emulator.StatusCreating, why: "just created, still CREATING, no policy yet"},
		{name: "live-sports", cors: policy.Default(), why: "compliant"},
		{name: "highlights", cors: policy.Default(), why: "compliant"},
		{name: "vod-library", cors: demoAnyOrigin, why: "drifted: any origin may PUT and DELETE"},
		{name: "vod-archive", why: "no CORS policy: players are blocked"},
		{name: demoExempt, cors: demoAnyOrigin, tags: map[string]string{enforce.DefaultExemptTagKey: "true"}, why: "drifted, but tagged exempt"},
		{name: "test-scratch", cors: demoAnyOrigin, why: "drifted, but excluded by the pattern " + demoExclude},
		{name: "test-load", why: "no policy, excluded by the pattern " + demoExclude},
	}
}

// demoBucket is one bucket the demo seeds.
type demoBucket struct {
	name string
	cors policy.Policy
	tags map[string]string
	why  string
}

// demoBuckets are the buckets seeded; the S3 sample events name media-uploads (created during
// the demo) and media-assets.
func demoBuckets() []demoBucket {
	return []demoBucket{
		{name: "media-assets", cors: policy.Default(), why: "compliant"},
		{name: "media-library", cors: demoAnyOrigin, why: "drifted: any origin may PUT and DELETE"},
		{name: "media-archive", why: "no CORS configuration"},
		{name: demoExemptBucket, cors: demoAnyOrigin, tags: map[string]string{enforce.DefaultExemptTagKey: "true"}, why: "drifted, but tagged exempt"},
	}
}

// demoNewBucket is the bucket created during the demo (cloudtrail-s3-create-bucket.json).
const demoNewBucket = "media-uploads"

// The demo's CloudFront response headers policy (named in
// cloudtrail-update-response-headers-policy.json) and its baseline parameter.
const (
	demoPolicy            = "media-cors"
	demoCloudFrontParam   = "/corsguard/cloudfront"
	demoCloudFrontComment = "HLS players; security headers owned by the web team"
)

// demoCloudFrontBaseline is the CloudFront baseline: the CorsConfig a player needs, as
// aws cloudfront get-response-headers-policy prints it.
const demoCloudFrontBaseline = `{"CorsConfig": {
  "AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://player.example.com"]},
  "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["Range"]},
  "AccessControlAllowMethods": {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"]},
  "AccessControlAllowCredentials": false,
  "AccessControlExposeHeaders": {"Quantity": 2, "Items": ["ETag", "Content-Length"]},
  "AccessControlMaxAgeSec": 600,
  "OriginOverride": true}}`

// demoResponseHeadersPolicy is media-cors with cors as its CorsConfig and security headers
// corsguard must keep.
func demoResponseHeadersPolicy(cors *cftypes.ResponseHeadersPolicyCorsConfig) *cftypes.ResponseHeadersPolicyConfig {
	return &cftypes.ResponseHeadersPolicyConfig{Name: aws.String(demoPolicy), Comment: aws.String(demoCloudFrontComment), CorsConfig: cors,
		SecurityHeadersConfig: &cftypes.ResponseHeadersPolicySecurityHeadersConfig{
			StrictTransportSecurity: &cftypes.ResponseHeadersPolicyStrictTransportSecurity{Override: aws.Bool(true), AccessControlMaxAgeSec: aws.Int32(63072000)},
			ContentTypeOptions:      &cftypes.ResponseHeadersPolicyContentTypeOptions{Override: aws.Bool(true)},
		}}
}

// demoStep is one step of the story: what a person or AWS does, then the event the function
// receives.
type demoStep struct {
	title string
	story string
	act   func(ctx context.Context, d *demo) error
	event string
}

// demoStepResult is what the handler returned for one step.
type demoStepResult struct {
	event  string
	result *handler.Result
	err    error
	calls  int // AWS calls the emulator received during the invocation
}

// demo is one run of the demo: the emulator, clients to it, and the real handler.
type demo struct {
	out     io.Writer
	emu     *emulator.Emulator
	stop    func(context.Context) error
	ms      *mediastore.Client
	s3      *s3.Client
	ssm     *ssm.Client
	cf      *cloudfront.Client
	hub     *securityhub.Client
	handler *handler.Handler
	// policyID is the ID of the response headers policy media-cors.
	policyID string
	steps    []demoStepResult
	// baseline is the policy in the parameter after the last step.
	baseline policy.Policy
	// queue is what the work queue part did (demo_queue.go); quietBatches stops it printing
	// each worker batch (its second sweep).
	queue        demoQueueResult
	quietBatches bool
	// apis is what the function URL and HTTP API part did (demo_apis.go).
	apis demoAPIsResult
	// clock is the emulator's.
	clock *demoClock
}

func (d *demo) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.stop(ctx)
}

// demoBaselineV2 is the new baseline of step 2: the default with a shorter preflight cache.
func demoBaselineV2() policy.Policy {
	p := policy.Default()
	p[0].MaxAgeSeconds = 600
	return p
}

// demoSteps is the demo's script, one entry per event told (a named exception to the 80-line
// limit of funclen_test.go: it is a table, read top to bottom as the story it prints).
func demoSteps() []demoStep {
	return []demoStep{
		{
			title: "A container is created",
			story: "Someone creates live-news. MediaStore emits a state-change event while the container is still\nCREATING; the function waits (full-jitter backoff) until it is ACTIVE, then applies the baseline.",
			event: "mediastore-container-created.json",
		},
		{
			title: "A bucket is created",
			story: "The team moving off MediaStore creates the S3 bucket media-uploads. CloudTrail records\nCreateBucket; the function gives the new bucket the same baseline.",
			act: func(ctx context.Context, d *demo) error {
				_, err := d.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(demoNewBucket)})
				return err
			},
			event: "cloudtrail-s3-create-bucket.json",
		},
		{
			title: "The baseline is updated",
			story: "The platform team shortens the preflight cache to 600 s and publishes version 2 of the baseline.\nSSM emits a change event; the function converges every matching container and bucket to it.",
			act: func(ctx context.Context, d *demo) error {
				_, err := d.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(demoParameter),
					Value: aws.String(string(demoBaselineV2().JSON())), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
				d.baseline = demoBaselineV2()
				return err
			},
			event: "ssm-baseline-update.json",
		},
		{
			title: "A policy is changed by hand",
			story: "A colleague opens live-news to any origin with `aws mediastore put-cors-policy`. CloudTrail\nrecords the call; the function repairs the container within seconds.",
			act: func(ctx context.Context, d *demo) error {
				_, err := d.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("live-news"),
					CorsPolicy: corsconv.ToMediaStore(demoAnyOrigin)})
				return err
			},
			event: "cloudtrail-put-cors-policy.json",
		},
		{
			title: "A bucket's CORS is changed by hand",
			story: "Another colleague lets any origin POST to media-assets with `aws s3api put-bucket-cors`.\nCloudTrail records PutBucketCors; the function repairs the bucket the same way.",
			act: func(ctx context.Context, d *demo) error {
				_, err := d.s3.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("media-assets"),
					CORSConfiguration: &s3types.CORSConfiguration{CORSRules: corsconv.ToS3(demoAnyOriginPost)}})
				return err
			},
			event: "cloudtrail-s3-put-bucket-cors.json",
		},
		{
			title: "A CloudFront response headers policy is changed by hand",
			story: "Players get their CORS answer from CloudFront. A colleague opens media-cors to any origin and\nevery method in the console. CloudTrail records UpdateResponseHeadersPolicy (in us-east-1); the\nfunction writes the CORS back with the ETag it just read, keeping the policy's security headers.",
			act: func(ctx context.Context, d *demo) error {
				got, err := d.cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(d.policyID)})
				if err != nil {
					return err
				}
				cfg := got.ResponseHeadersPolicy.ResponseHeadersPolicyConfig
				cfg.CorsConfig.AccessControlAllowOrigins = &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: []string{"*"}}
				cfg.CorsConfig.AccessControlAllowMethods = &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(1),
					Items: []cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues{cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValuesAll}}
				_, err = d.cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: aws.String(d.policyID), IfMatch: got.ETag, ResponseHeadersPolicyConfig: cfg})
				return err
			},
			event: "cloudtrail-update-response-headers-policy.json",
		},
		{
			title: "Events are lost; the scheduled sweep repairs them",
			story: "Someone deletes the policy of vod-archive and the CORS of media-archive, and neither event\narrives. The scheduled sweep reads every container and bucket anyway and repairs what drifted:\nevents are only hints.",
			act: func(ctx context.Context, d *demo) error {
				if _, err := d.ms.DeleteCorsPolicy(ctx, &mediastore.DeleteCorsPolicyInput{ContainerName: aws.String("vod-archive")}); err != nil {
					return err
				}
				_, err := d.s3.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("media-archive")})
				return err
			},
			event: "scheduled-sweep.json",
		},
		{
			title: "An event that changes nothing",
			story: "A segment is uploaded to live-news. The function is subscribed to MediaStore events, but an\nobject event cannot change a CORS policy: it is logged and ignored, without any AWS call.",
			event: "mediastore-object-upload-state-change.json",
		},
		{
			title: "The compliance audit",
			story: "A direct invocation {\"action\":\"audit\"} checks every matching container and bucket without writing.",
			event: "direct-audit.json",
		},
	}
}

// demoAWS is the SDK configuration of the demo's clients: the emulator's (dummy keys, nothing
// on this machine read), with the retryer the function uses.
func demoAWS(region, url string) aws.Config {
	cfg := emulator.SDKConfig(url, region)
	cfg.Retryer = func() aws.Retryer {
		return awsclient.NewRetryer(awsclient.DefaultMaxAttempts, awsclient.DefaultMaxBackoff)
	}
	return cfg
}

// printTotals says what part 1 did: the steps' calls and writes, and the time since started.
func (d *demo) printTotals(last *enforce.Report, started time.Time) {
	total, written := 0, 0
	for _, s := range d.steps {
		total += s.calls
		if s.result.Report != nil {
			written += s.result.Report.Totals[enforce.Remediated]
		}
	}
	fmt.Fprintf(d.out, "\nEvery matching container, bucket and response headers policy is compliant: %s.\n", report.Totals(last))
	fmt.Fprintf(d.out, "%d events handled, %d AWS calls, %d policies written, in %s.\n",
		len(d.steps), total, written, time.Since(started).Round(100*time.Millisecond))
}

// runDemo runs the whole demo, writing the story to out. It returns the demo (for its
// emulator and step results) even on error; the caller closes it.
func runDemo(ctx context.Context, out io.Writer, creating time.Duration) (*demo, error) {
	started := time.Now()
	clk := &demoClock{}
	clk.lag.Store(int64(demoLag))
	emu := emulator.New(emulator.WithCreatingDuration(creating), emulator.WithClock(clk))
	url, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	d := &demo{out: out, emu: emu, stop: stop, baseline: policy.Default(), clock: clk}

	awsCfg := demoAWS(emu.Region(), url)
	d.ms, d.ssm = mediastore.NewFromConfig(awsCfg), ssm.NewFromConfig(awsCfg)
	d.s3 = s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	d.cf = cloudfront.NewFromConfig(awsCfg)

	// The function's configuration, read as the Lambda reads its environment.
	env := map[string]string{
		config.BaselineParameter:   demoParameter,
		config.Exclude:             demoExclude,
		config.Targets:             "mediastore,s3,cloudfront",
		config.CloudFrontParameter: demoCloudFrontParam,
		"AWS_REGION":               emu.Region(), // us-east-1: where a stack enforces CloudFront
		config.BackoffBase:         "200ms",
		config.BackoffCap:          "1s",
		config.SecurityHub:         "true",
	}
	d.hub = securityhub.NewFromConfig(awsCfg)
	var cfg config.Config
	if d.handler, cfg, err = handler.FromEnvironment(func(k string) string { return env[k] }, awsCfg,
		handler.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), handler.WithMetrics(io.Discard)); err != nil {
		return d, err
	}

	containers, buckets, err := d.seed(ctx)
	if err != nil {
		return d, err
	}

	fmt.Fprintf(out, "corsguard demo: an emulated AWS account at %s (no AWS account, no credentials)\n\n", url)
	fmt.Fprintf(out, "The function is configured as the SAM template would: targets %s (containers, buckets and\n", env[config.Targets])
	fmt.Fprintf(out, "CloudFront response headers policies; a stack in us-east-1), baseline %s for containers and\n", demoParameter)
	fmt.Fprintf(out, "buckets, %s (a CorsConfig) for policies, containers %s excluded, exempt tag %s=%s,\n", demoCloudFrontParam, demoExclude,
		cfg.Engine.ExemptTagKey, cfg.Engine.ExemptTagValue)
	fmt.Fprintf(out, "mode %s, %d workers, %g requests/s per API, Security Hub findings on.\n\n", cfg.Engine.Mode, cfg.Engine.Workers, cfg.Engine.Rate)
	fmt.Fprintf(out, "Version 1 of the baseline is corsguard's embedded default:\n%s\n\n", indent(string(policy.DefaultJSON())))
	fmt.Fprintln(out, "The account before corsguard:")
	d.printState(containers, buckets)

	if err := d.runSteps(ctx); err != nil {
		return d, err
	}

	fmt.Fprintf(out, "\n%s\nThe account after corsguard:\n", strings.Repeat("─", 96))
	d.printState(containers, buckets)
	last := d.steps[len(d.steps)-1].result.Report
	if last == nil || !last.Succeeded || last.Totals[enforce.Drifted] > 0 || last.Totals[enforce.Failed] > 0 {
		return d, fmt.Errorf("the final audit did not find every matching container and bucket compliant")
	}
	if err := d.printFindings(ctx); err != nil {
		return d, err
	}
	d.printTotals(last, started)
	if err := d.runQueue(ctx, awsCfg, env); err != nil {
		return d, fmt.Errorf("work queue: %w", err)
	}
	if err := d.runAPIs(ctx, awsCfg, env); err != nil {
		return d, fmt.Errorf("function URLs and HTTP APIs: %w", err)
	}
	if err := runProfiles(ctx, out); err != nil {
		return d, fmt.Errorf("profiles: %w", err)
	}
	return d, nil
}

// seed puts the story's baselines, containers, buckets and response headers policy in the
// account, and returns the containers and buckets the state tables show (the bucket step 2
// creates included).
func (d *demo) seed(ctx context.Context) ([]demoContainer, []demoBucket, error) {
	if err := d.emu.SeedParameter(demoParameter, "String", string(policy.DefaultJSON()), "corsguard baseline"); err != nil {
		return nil, nil, err
	}
	containers := demoContainers()
	for _, c := range containers {
		if err := d.emu.SeedContainer(c.name, c.status, c.cors, c.tags); err != nil {
			return nil, nil, err
		}
	}
	buckets := demoBuckets()
	for _, b := range buckets {
		if err := d.emu.SeedBucket(b.name, "", b.cors, b.tags); err != nil {
			return nil, nil, err
		}
	}
	buckets = append(buckets, demoBucket{name: demoNewBucket, why: "created in step 2"})
	if err := d.emu.SeedParameter(demoCloudFrontParam, "String", demoCloudFrontBaseline, "corsguard CloudFront baseline"); err != nil {
		return nil, nil, err
	}
	want, err := policy.ParseCorsConfig([]byte(demoCloudFrontBaseline))
	if err != nil {
		return nil, nil, err
	}
	cors, err := corsconv.ToCloudFront(want.Policy())
	if err != nil {
		return nil, nil, err
	}
	created, err := d.cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: demoResponseHeadersPolicy(cors)})
	if err != nil {
		return nil, nil, err
	}
	d.policyID = aws.ToString(created.ResponseHeadersPolicy.Id)
	return containers, buckets, nil
}

// runSteps tells and runs each step of the story: what happens, then the event it causes.
func (d *demo) runSteps(ctx context.Context) error {
	steps := demoSteps()
	for i, s := range steps {
		fmt.Fprintf(d.out, "\n%s\n%d/%d  %s\n%s\n", strings.Repeat("─", 96), i+1, len(steps), s.title, strings.Repeat("─", 96))
		fmt.Fprintln(d.out, s.story)
		if s.act != nil {
			if err := s.act(ctx, d); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
		}
		if err := d.invoke(ctx, s.event); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}

// invoke feeds the handler one sample event, as Lambda would, and prints what it did.
func (d *demo) invoke(ctx context.Context, name string) error {
	event, err := events.Sample(name)
	if err != nil {
		return err
	}
	before := d.emu.TotalCalls()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // the function's timeout
	defer cancel()
	// The invocation context Lambda gives the function: its ARN names the emulator's account,
	// which the sample events carry, and the findings belong to.
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("demo-%d", len(d.steps)+1),
		InvokedFunctionArn: "arn:aws:lambda:" + d.emu.Region() + ":" + d.emu.Account() + ":function:corsguard"})
	res, err := d.handler.Invoke(ctx, json.RawMessage(event))
	calls := d.emu.TotalCalls() - before
	d.steps = append(d.steps, demoStepResult{event: name, result: res, err: err, calls: calls})
	if res == nil {
		return fmt.Errorf("invoke %s: %w", name, err)
	}

	fmt.Fprintf(d.out, "\nevent     events/%s -> %s\n", name, res.Event)
	if res.Note != "" {
		fmt.Fprintf(d.out, "note      %s\n", res.Note)
	}
	if res.Report == nil {
		fmt.Fprintf(d.out, "result    %d AWS calls; the invocation succeeds\n", calls)
		return nil
	}
	if err := report.WriteTable(d.out, res.Report); err != nil {
		return err
	}
	if h := res.SecurityHub; h != nil {
		fmt.Fprintf(d.out, "findings  %d imported into Security Hub, %d archived\n", h.Imported, h.Archived)
	}
	if err != nil {
		fmt.Fprintf(d.out, "result    the invocation fails and Lambda retries it: %v\n", err)
	}
	return nil
}

// printFindings prints corsguard's findings as Security Hub holds them, read back with
// GetFindings as an auditor would: one per container and bucket, updated in place by every run.
func (d *demo) printFindings(ctx context.Context) error {
	fmt.Fprintf(d.out, "\nSecurity Hub (aws securityhub get-findings, GeneratorId PREFIX corsguard/cors-baseline/):\n")
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RESOURCE\tCOMPLIANCE\tSEVERITY\tRECORD\tTITLE")
	p := securityhub.NewGetFindingsPaginator(d.hub, &securityhub.GetFindingsInput{Filters: &shtypes.AwsSecurityFindingFilters{
		GeneratorId: []shtypes.StringFilter{{Value: aws.String("corsguard/cors-baseline/"), Comparison: shtypes.StringFilterComparisonPrefix}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("get findings: %w", err)
		}
		for _, f := range page.Findings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", aws.ToString(f.Resources[0].Id), f.Compliance.Status, f.Severity.Label, f.RecordState, aws.ToString(f.Title))
		}
	}
	_ = tw.Flush()
	for line := range strings.Lines(buf.String()) {
		fmt.Fprintln(d.out, strings.TrimRight(line, " \n"))
	}
	return nil
}

// printState prints every container's status and every bucket, how its policy compares with
// the current baseline, and its tags, straight from the emulator (no API call is counted).
func (d *demo) printState(containers []demoContainer, buckets []demoBucket) {
	// One tabwriter for both tables keeps their columns aligned; the lines are trimmed after.
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CONTAINER\tSTATUS\tCORS POLICY\tTAGS\tSEEDED AS")
	for _, c := range containers {
		info, ok := d.emu.Container(c.name)
		if !ok {
			fmt.Fprintf(tw, "  %s\tgone\t\t\t%s\n", c.name, c.why)
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.name, info.Status, d.state(emulatedPolicy(info.CorsPolicy)), tagList(info.Tags), c.why)
	}
	fmt.Fprintln(tw, "\t\t\t\t")
	fmt.Fprintln(tw, "  BUCKET\t\tCORS\tTAGS\tSEEDED AS")
	for _, b := range buckets {
		info, ok := d.emu.Bucket(b.name)
		if !ok {
			fmt.Fprintf(tw, "  %s\t\tnot created yet\t\t%s\n", b.name, b.why)
			continue
		}
		fmt.Fprintf(tw, "  %s\t\t%s\t%s\t%s\n", b.name, d.state(emulatedPolicy(info.CorsPolicy)), tagList(info.Tags), b.why)
	}
	_ = tw.Flush()
	for line := range strings.Lines(buf.String()) {
		fmt.Fprintln(d.out, strings.TrimRight(line, " \n"))
	}
}

// state says how a policy compares with the current baseline.
func (d *demo) state(p policy.Policy) string {
	switch {
	case p == nil:
		return "none"
	case policy.Equal(p, d.baseline):
		return "= baseline " + policy.Hash(d.baseline)[:len("sha256:")+8]
	}
	return "differs from the baseline"
}

func tagList(tags map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, k+"="+tags[k])
	}
	return strings.Join(out, ",")
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ")
}

// emulatedPolicy reads the CORS rules the emulator reports (nil: none). The emulator keeps only
// rules it accepted, which policy reads; an unreadable answer shows as no policy.
func emulatedPolicy(raw json.RawMessage) policy.Policy {
	if raw == nil {
		return nil
	}
	p, _ := policy.Parse(raw)
	return p
}
