package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/cmd/corsguard/report"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/probe"
	"github.com/corsguard/corsguard/profile"
)

// ProbePathTag is the tag of a CloudFront distribution that names the canary path the probe
// requests (e.g. /corsguard/canary.txt). A distribution without it is skipped.
const ProbePathTag = "corsguard:probe-path"

type probeFlags struct {
	aws                                       awsFlags
	urls, resolve                             []string
	target                                    string
	distribution, path                        string
	parameter, cfParameter, s3Parameter, file string
	format, output                            string
	caBundle                                  string
	timeout                                   time.Duration
	rate                                      float64
	// profiles are the profile settings (tag, patterns, path, exemption tag): a distribution's
	// intent is its origin bucket's profile, or its response headers policy's by pattern.
	profiles settingFlags
}

func newProbeCmd(opts cliOptions) *cobra.Command {
	f := probeFlags{aws: awsFlags{httpClient: opts.httpClient}}
	cmd := &cobra.Command{
		Use:   "probe --url URL... | --target cloudfront [--distribution ID --path PATH]",
		Short: "Ask a canary object as browsers do and judge the CORS answers against the baseline",
		Long: `Probe sends the requests a browser sends for a cross-origin fetch of a canary object (GET,
HEAD and OPTIONS only) from each origin the baseline allows, from one outside it
(https://corsguard-probe.invalid) and without Origin, and judges every answer as the Fetch
standard's CORS check and CORS-preflight fetch do, with the baseline as the intent. It sees what
configuration cannot: an answer cached for another origin, a refused preflight, a missing Vary.

Point it only at a canary object no player uses: a probe through a behaviour that does not key
on Origin caches its own answers, and a player would get them. See docs/probe.md.

--url URL (repeatable) probes that URL. --target cloudfront probes every distribution of the
account on the path its corsguard:probe-path tag names (untagged ones are skipped and
reported), or one distribution with --distribution ID --path PATH. The intent is the baseline
(--baseline-parameter, or --baseline-file: a rule list or a CloudFront CorsConfig); for a
distribution whose behaviour has a response headers policy with CORS, the CloudFront baseline
(--cloudfront-baseline-parameter, or the profile a --profile-pattern gives the policy's name),
else the profile of the behaviour's origin bucket: its corsguard:profile tag or first
--profile-pattern (<--profiles-path>s3/<NAME>), else the buckets' baseline
(--s3-baseline-parameter). A distribution whose origin bucket is exempt, names an invalid
profile, or has a profile without a parameter is skipped and reported. With --url and
--baseline-file no AWS call is made.

Verdicts: ok, blocked, leak, cached_cross_origin, missing_vary, preflight_blocked,
credentials_with_wildcard, error. Exit status: 0 all ok, 3 any other verdict but error, 1 an
error (an answer that could not be judged, a bad flag, AWS).`,
		Example: `  corsguard probe --url https://d111111abcdef8.cloudfront.net/corsguard/canary.txt --baseline-file baseline.json
  corsguard probe --target cloudfront --cloudfront-baseline-parameter /corsguard/cloudfront
  corsguard probe --target cloudfront --distribution E2VIDEO --path /corsguard/canary.txt
  corsguard probe --url https://d1.cloudfront.net/canary.txt --resolve d1.cloudfront.net=127.0.0.1:8443 --ca-bundle ca.pem --baseline-file b.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd) },
	}
	fs := cmd.Flags()
	f.aws.register(fs)
	fs.StringArrayVar(&f.urls, "url", nil, "probe this URL (http:// or https://; repeatable): a canary object no player uses")
	fs.StringVarP(&f.target, "target", "t", "", "cloudfront: probe the account's distributions on their corsguard:probe-path tag's path")
	fs.StringVar(&f.distribution, "distribution", "", "with --target cloudfront and --path: probe only this distribution (its ID)")
	fs.StringVar(&f.path, "path", "", "with --distribution: the canary path to probe on it")
	fs.StringVar(&f.parameter, "baseline-parameter", DefaultBaselineParameter, "SSM parameter holding the baseline (the intent)")
	fs.StringVar(&f.cfParameter, "cloudfront-baseline-parameter", "", "--target cloudfront: SSM parameter holding the CloudFront baseline, the intent where a behaviour has a response headers policy with CORS (default: --baseline-parameter)")
	fs.StringVar(&f.s3Parameter, "s3-baseline-parameter", "", "--target cloudfront: SSM parameter holding the buckets' baseline, the intent where the origin's CORS answers (default: --baseline-parameter)")
	fs.StringVar(&f.file, "baseline-file", "", "read the baseline from this file (\"-\" for stdin), a rule list or a CorsConfig, instead of SSM")
	cmd.MarkFlagsMutuallyExclusive("baseline-parameter", "baseline-file")
	cmd.MarkFlagsMutuallyExclusive("cloudfront-baseline-parameter", "baseline-file")
	cmd.MarkFlagsMutuallyExclusive("s3-baseline-parameter", "baseline-file")
	cmd.MarkFlagsMutuallyExclusive("url", "target")
	_ = cmd.MarkFlagFilename("baseline-file", "json")
	fs.StringArrayVar(&f.resolve, "resolve", nil, "HOST=ADDR:PORT: connect to ADDR:PORT for HOST on any port, keeping Host and TLS server name HOST, as curl's --connect-to (repeatable)")
	fs.StringVar(&f.caBundle, "ca-bundle", "", "PEM file of certificate authorities to trust besides the system's (tests, staging)")
	fs.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "the longest one request may take, body included")
	fs.Float64Var(&f.rate, "rate", probe.DefaultRate, "requests per second, across every URL (at most 100)")
	f.profiles.registerOnly(cmd, config.ProfileTag, config.ProfilePatterns, config.ProfilesPath, config.ExemptTag)
	fs.StringVarP(&f.format, "format", "f", "", "output format: table, json, csv or html (one self-contained page) (default: table on a terminal, else from the --output extension, else json)")
	fs.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout (checked before anything is sent)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
		[]string{string(report.Table), string(report.JSON), string(report.CSV), string(report.HTML)}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// check refuses flags that do not make one clear run, before anything is read or sent.
func (f *probeFlags) check() error {
	switch {
	case len(f.urls) == 0 && f.target == "":
		return errors.New("say what to probe: --url URL, or --target cloudfront")
	case f.target != "" && f.target != string(policy.CloudFront):
		return fmt.Errorf("--target %q: the probe knows only cloudfront (use --url for anything else)", f.target)
	case (f.distribution == "") != (f.path == ""):
		return errors.New("--distribution and --path go together: the path to probe on that distribution")
	case f.distribution != "" && f.target == "":
		return errors.New("--distribution applies to --target cloudfront")
	case len(f.urls) > 0 && (f.cfParameter != "" || f.s3Parameter != ""):
		return errors.New("--cloudfront-baseline-parameter and --s3-baseline-parameter apply to --target cloudfront; with --url give --baseline-parameter or --baseline-file")
	case len(f.urls) > 0 && f.profiles.changed():
		return errors.New("--profile-tag, --profile-pattern, --profiles-path and --exempt-tag choose a distribution's intent from its origin bucket; they apply to --target cloudfront")
	case f.rate <= 0 || f.rate > 100:
		return fmt.Errorf("--rate %v: want more than 0 and at most 100 requests per second", f.rate)
	case f.timeout <= 0:
		return fmt.Errorf("--timeout %v: want a positive duration", f.timeout)
	}
	for _, u := range f.urls {
		if err := checkURL(u); err != nil {
			return err
		}
	}
	if f.path != "" {
		if err := checkPath(f.path); err != nil {
			return fmt.Errorf("--path: %w", err)
		}
	}
	return nil
}

// checkURL accepts an absolute http or https URL with a host and no user information.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("--url %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("--url %q: want http:// or https://HOST/PATH, without user information or fragment", s)
	}
	return nil
}

// checkPath accepts a URL path (with an optional query) to append to a distribution's domain.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t\r\n#") || strings.HasPrefix(p, "//") {
		return fmt.Errorf("%q is not a path: want /PATH (a canary object), without spaces or fragment", p)
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return fmt.Errorf("%q is not a path: %w", p, err)
	}
	return nil
}

// options are the probe's options from the flags: timeout, rate, --resolve and --ca-bundle.
func (f *probeFlags) options() (probe.Options, error) {
	opts := probe.Options{Timeout: f.timeout, Rate: f.rate, Resolve: map[string]string{}}
	for _, r := range f.resolve {
		host, addr, err := probe.ParseResolve(r)
		if err != nil {
			return opts, err
		}
		opts.Resolve[host] = addr
	}
	if f.caBundle != "" {
		data, err := os.ReadFile(f.caBundle)
		if err != nil {
			return opts, fmt.Errorf("--ca-bundle: %w", err)
		}
		if opts.RootCAs, err = probe.CAPool(data); err != nil {
			return opts, fmt.Errorf("--ca-bundle %s: %w", f.caBundle, err)
		}
	}
	return opts, nil
}

// targets are what the probe requests: the URLs given, with the file's intent or the baseline
// parameter's, or, without URLs, the account's distributions with their baselines' intents.
func (f *probeFlags) targets(ctx context.Context, fileIntent *probe.Intent) ([]probe.Target, []probe.Skipped, error) {
	var targets []probe.Target
	if len(f.urls) > 0 && fileIntent != nil {
		for _, u := range f.urls {
			targets = append(targets, probe.Target{URL: u, Intent: *fileIntent})
		}
		return targets, nil, nil
	}
	awsCfg, err := f.aws.config(ctx)
	if err != nil {
		return nil, nil, err
	}
	b := &baselines{ssm: ssm.NewFromConfig(awsCfg), file: fileIntent, read: map[string]probe.Intent{}}
	if len(f.urls) == 0 {
		var settings enforce.Config
		if err := f.profiles.apply(&settings); err != nil {
			return nil, nil, err
		}
		o := &origins{s3: s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = awsCfg.BaseEndpoint != nil }),
			rules: settings.ProfileRules(), tags: map[string]map[string]string{}}
		return f.distributions(ctx, cloudfront.NewFromConfig(awsCfg), b, o)
	}
	in, err := b.intent(ctx, f.parameter)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range f.urls {
		targets = append(targets, probe.Target{URL: u, Intent: in})
	}
	return targets, nil, nil
}

func (f *probeFlags) run(cmd *cobra.Command) error {
	if err := f.check(); err != nil {
		return err
	}
	format, err := report.Choose(f.format, f.output, f.output == "" && isTerminal(cmd.OutOrStdout()))
	if err != nil || !slices.Contains([]report.Format{report.Table, report.JSON, report.CSV, report.HTML}, format) {
		return fmt.Errorf("--format %q: the probe writes table, json, csv or html", cmp.Or(f.format, string(format)))
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	var fileIntent *probe.Intent
	if f.file != "" {
		name, data, err := readBaseline(cmd.InOrStdin(), f.file)
		if err != nil {
			return err
		}
		in, err := intentOf(name, data)
		if err != nil {
			return err
		}
		fileIntent = &in
	}
	out, err := openOutput(cmd.OutOrStdout(), f.output)
	if err != nil {
		return err
	}
	defer out.discard()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	targets, skipped, err := f.targets(ctx, fileIntent)
	if err != nil {
		return err
	}

	p := probe.New(opts)
	defer p.Close()
	rep := p.Run(ctx, targets, skipped)
	meta := report.Meta{Version: version(), Command: commandLine(cmd), Generated: time.Now().UTC()}
	if len(f.urls) > 0 {
		meta.Account, meta.Regions = "none: the URLs were probed directly", []string{"none: the URLs were probed directly"}
	}
	write := func(w io.Writer) error { return writeProbe(w, rep, format, meta) }
	if out == nil {
		err = write(cmd.OutOrStdout())
	} else {
		err = out.commit(write)
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &exitErr{code: exitError, msg: "interrupted: the requests not sent are errors in the report"}
	}
	switch {
	case rep.Failed():
		return &exitErr{code: exitError, msg: fmt.Sprintf("%d answers could not be judged (verdict error)", rep.Totals[probe.Error])}
	case rep.Findings():
		return &exitErr{code: exitDrifted}
	}
	return nil
}

// writeProbe writes the probe's report in format; the HTML page's header takes m.
func writeProbe(w io.Writer, rep *probe.Report, format report.Format, m report.Meta) error {
	switch format {
	case report.Table:
		return probe.WriteTable(w, rep)
	case report.CSV:
		return probe.WriteCSV(w, rep)
	case report.HTML:
		return report.WritePage(w, report.ProbePage(rep, m))
	}
	return probe.WriteJSON(w, rep)
}

// intentOf reads a baseline, a rule list (validated by S3's rules) or a CloudFront CorsConfig
// (by CloudFront's), as the intent named name.
func intentOf(name string, data []byte) (probe.Intent, error) {
	p, err := policy.Parse(data)
	kind := policy.S3
	if err != nil {
		trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
		if !bytes.HasPrefix(trimmed, []byte("{")) || bytes.Contains(trimmed, []byte(`"CorsPolicy"`)) {
			return probe.Intent{}, fmt.Errorf("baseline %s: %w", name, err)
		}
		c, cerr := policy.ParseCorsConfig(data)
		if cerr != nil {
			return probe.Intent{}, fmt.Errorf("baseline %s: neither a rule list (%v) nor a CorsConfig (%w)", name, err, cerr)
		}
		p, kind = c.Policy(), policy.CloudFront
	}
	if err := policy.Validate(p, kind); err != nil {
		return probe.Intent{}, fmt.Errorf("baseline %s is invalid: %w", name, err)
	}
	return probe.IntentOf(name, p), nil
}

// baselines reads each SSM parameter once (or serves the file's baseline for every one).
type baselines struct {
	ssm  *ssm.Client
	file *probe.Intent
	read map[string]probe.Intent
}

func (b *baselines) intent(ctx context.Context, parameter string) (probe.Intent, error) {
	if b.file != nil {
		return *b.file, nil
	}
	if in, ok := b.read[parameter]; ok {
		return in, nil
	}
	out, err := b.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(parameter)})
	if err != nil {
		return probe.Intent{}, fmt.Errorf("read baseline %s: %w", parameter, err)
	}
	name := parameter
	if out.Parameter != nil && out.Parameter.Version != 0 {
		name = fmt.Sprintf("%s version %d", parameter, out.Parameter.Version)
	}
	var value string
	if out.Parameter != nil {
		value = aws.ToString(out.Parameter.Value)
	}
	in, err := intentOf(name, []byte(value))
	if err != nil {
		return probe.Intent{}, err
	}
	b.read[parameter] = in
	return in, nil
}

// distributionAPI is what the probe asks CloudFront: the distributions, their tags, and the
// response headers policies of the behaviours it probes.
type distributionAPI interface {
	ListDistributions(ctx context.Context, in *cloudfront.ListDistributionsInput, optFns ...func(*cloudfront.Options)) (*cloudfront.ListDistributionsOutput, error)
	ListTagsForResource(ctx context.Context, in *cloudfront.ListTagsForResourceInput, optFns ...func(*cloudfront.Options)) (*cloudfront.ListTagsForResourceOutput, error)
	GetResponseHeadersPolicy(ctx context.Context, in *cloudfront.GetResponseHeadersPolicyInput, optFns ...func(*cloudfront.Options)) (*cloudfront.GetResponseHeadersPolicyOutput, error)
}

var _ distributionAPI = (*cloudfront.Client)(nil)

// distributions returns a target for every distribution to probe (the one --distribution
// names with --path, or each with a corsguard:probe-path tag) and the ones skipped.
func (f *probeFlags) distributions(ctx context.Context, api distributionAPI, b *baselines, o *origins) ([]probe.Target, []probe.Skipped, error) {
	var targets []probe.Target
	var skipped []probe.Skipped
	found := false
	var marker *string
	for {
		out, err := api.ListDistributions(ctx, &cloudfront.ListDistributionsInput{Marker: marker})
		if err != nil {
			return nil, nil, fmt.Errorf("list distributions: %w", err)
		}
		l := out.DistributionList
		if l == nil {
			break
		}
		for _, d := range l.Items {
			id := aws.ToString(d.Id)
			if f.distribution != "" && id != f.distribution {
				continue
			}
			found = true
			if d.Enabled != nil && !*d.Enabled {
				skipped = append(skipped, probe.Skipped{Distribution: id, Reason: "disabled: its domain answers nothing"})
				continue
			}
			path := f.path
			if path == "" {
				tags, err := api.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: d.ARN})
				if err != nil {
					return nil, nil, fmt.Errorf("list tags of distribution %s: %w", id, err)
				}
				if tags.Tags != nil {
					for _, t := range tags.Tags.Items {
						if aws.ToString(t.Key) == ProbePathTag {
							path = aws.ToString(t.Value)
						}
					}
				}
				if path == "" {
					skipped = append(skipped, probe.Skipped{Distribution: id, Reason: "no " + ProbePathTag + " tag: nothing names a canary to probe"})
					continue
				}
				if err := checkPath(path); err != nil {
					skipped = append(skipped, probe.Skipped{Distribution: id, Reason: ProbePathTag + " tag: " + err.Error()})
					continue
				}
			}
			in, skip, err := f.distributionIntent(ctx, api, b, o, d, path)
			if err != nil {
				return nil, nil, fmt.Errorf("distribution %s: %w", id, err)
			}
			if skip != "" {
				skipped = append(skipped, probe.Skipped{Distribution: id, Reason: skip})
				continue
			}
			targets = append(targets, probe.Target{URL: "https://" + aws.ToString(d.DomainName) + path, Distribution: id, Intent: in})
		}
		if !aws.ToBool(l.IsTruncated) || aws.ToString(l.NextMarker) == "" {
			break
		}
		marker = l.NextMarker
	}
	if f.distribution != "" && !found {
		return nil, nil, fmt.Errorf("--distribution %s: no such distribution in the account", f.distribution)
	}
	return targets, skipped, nil
}

// distributionIntent is the baseline the answer on path should follow. Where the behaviour
// serving path has a response headers policy with CORS, the CloudFront baseline: the profile
// a pattern gives the policy's name, else --cloudfront-baseline-parameter. Otherwise the origin
// answers: for an S3 origin, the baseline of its bucket's profile (its profile tag, else its
// first pattern), else --s3-baseline-parameter. skip says why the distribution cannot be judged
// (its origin bucket exempt, or its profile unusable).
func (f *probeFlags) distributionIntent(ctx context.Context, api distributionAPI, b *baselines, o *origins, d cftypes.DistributionSummary, path string) (in probe.Intent, skip string, err error) {
	rhp, origin := "", ""
	if d.DefaultCacheBehavior != nil {
		rhp, origin = aws.ToString(d.DefaultCacheBehavior.ResponseHeadersPolicyId), aws.ToString(d.DefaultCacheBehavior.TargetOriginId)
	}
	if d.CacheBehaviors != nil {
		for _, cb := range d.CacheBehaviors.Items {
			if pathMatches(aws.ToString(cb.PathPattern), path) {
				rhp, origin = aws.ToString(cb.ResponseHeadersPolicyId), aws.ToString(cb.TargetOriginId)
				break
			}
		}
	}
	if rhp != "" {
		out, err := api.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(rhp)})
		if err != nil {
			return probe.Intent{}, "", fmt.Errorf("get response headers policy %s: %w", rhp, err)
		}
		if p := out.ResponseHeadersPolicy; p != nil && p.ResponseHeadersPolicyConfig != nil && p.ResponseHeadersPolicyConfig.CorsConfig != nil {
			name := aws.ToString(p.ResponseHeadersPolicyConfig.Name)
			if c := o.rules.Resolve(policy.CloudFront, name, nil); c.Profiled() && b.file == nil {
				return b.profileIntent(ctx, c, "response headers policy "+name)
			}
			in, err := b.intent(ctx, cmp.Or(f.cfParameter, f.parameter))
			return in, "", err
		}
	}
	if bucket, ok := o.bucketOf(d, origin); ok && b.file == nil {
		tags, err := o.tagsOf(ctx, bucket)
		if err != nil {
			return probe.Intent{}, fmt.Sprintf("origin bucket %s: its tags cannot be read, so neither can its profile: %v", bucket, err), nil
		}
		switch c := o.rules.Resolve(policy.S3, bucket, tags); {
		case c.Source == profile.SourceExempt:
			return probe.Intent{}, fmt.Sprintf("origin bucket %s is exempt (%s=%s): no baseline to judge its answers by", bucket, o.rules.ExemptKey, o.rules.ExemptValue), nil
		case c.Profiled():
			return b.profileIntent(ctx, c, "origin bucket "+bucket)
		}
	}
	in, err = b.intent(ctx, cmp.Or(f.s3Parameter, f.parameter))
	return in, "", err
}

// origins finds a behaviour's origin bucket and reads its tags, once per bucket.
type origins struct {
	s3    bucketTagsAPI
	rules profile.Rules
	tags  map[string]map[string]string
}

// bucketTagsAPI is the S3 call the probe makes: an origin bucket's tags, for its profile.
type bucketTagsAPI interface {
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

var _ bucketTagsAPI = (*s3.Client)(nil)

// bucketOf returns the S3 bucket of d's origin whose id is origin, if it is one.
func (o *origins) bucketOf(d cftypes.DistributionSummary, origin string) (string, bool) {
	if d.Origins == nil {
		return "", false
	}
	for _, or := range d.Origins.Items {
		if aws.ToString(or.Id) == origin {
			return probe.OriginBucket(aws.ToString(or.DomainName))
		}
	}
	return "", false
}

// tagsOf reads bucket's tags (none: an empty map), once per run.
func (o *origins) tagsOf(ctx context.Context, bucket string) (map[string]string, error) {
	if t, ok := o.tags[bucket]; ok {
		return t, nil
	}
	out, err := o.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	tags := map[string]string{}
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae) && ae.ErrorCode() == "NoSuchTagSet":
	case err != nil:
		return nil, err
	default:
		for _, t := range out.TagSet {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	o.tags[bucket] = tags
	return tags, nil
}

// profileIntent is the intent of the profile c chose for what (a bucket or a policy); an
// invalid profile, or one whose parameter cannot be read or is invalid, is a reason to skip.
func (b *baselines) profileIntent(ctx context.Context, c profile.Choice, what string) (probe.Intent, string, error) {
	if c.Err != nil {
		return probe.Intent{}, fmt.Sprintf("%s: %v", what, c.Err), nil
	}
	in, err := b.intent(ctx, c.Parameter)
	if err != nil {
		return probe.Intent{}, fmt.Sprintf("%s has the profile %s (%s): %v", what, c.Name, c.Source, err), nil
	}
	in.Name = fmt.Sprintf("%s (profile %s of %s, by %s)", in.Name, c.Name, what, c.Source)
	return in, "", nil
}

// pathMatches reports whether a cache behaviour's path pattern matches path as CloudFront
// matches it: * any run of characters (/ included), ? one character, case-sensitive, the
// leading / optional in the pattern; the query string is not part of the path.
func pathMatches(pattern, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	if !strings.HasPrefix(pattern, "/") {
		pattern = "/" + pattern
	}
	return wildcard(pattern, path)
}

func wildcard(p, s string) bool {
	star, next := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && p[i] == '*':
			star, next = i, j
			i++
		case i < len(p) && (p[i] == '?' || p[i] == s[j]):
			i++
			j++
		case star >= 0:
			next++
			i, j = star+1, next
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}
