package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/spf13/cobra"

	"cmp"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// diffFlags are diff's flags: the one resource, and the settings table's target, baseline and
// profile settings (config.Settings), with the parsers and help the Lambda's variables have.
type diffFlags struct {
	aws                     awsFlags
	settings                settingFlags
	file, container, bucket string
}

func newDiffCmd(opts cliOptions) *cobra.Command {
	f := &diffFlags{aws: awsFlags{httpClient: opts.httpClient}}
	cmd := &cobra.Command{
		Use:   "diff --container NAME | --bucket NAME | [--target mediastore|s3|cloudfront|lambda-url|http-api] NAME",
		Short: "Show how one container's or bucket's CORS policy differs from the baseline",
		Long: `Diff reads one MediaStore container's (--container) or S3 bucket's (--bucket) CORS policy
and the baseline that applies to it, validated with that service's rules, and prints the
difference: a line diff of the two in canonical form (lists sorted, so only real differences
show; rule order kept, since the first matching rule wins), then the changes that applying the
baseline would make. Nothing is written. "diff --target s3 NAME" is "diff --bucket NAME", and
"diff NAME" (--target mediastore, the default) is "diff --container NAME". "diff --target
cloudfront NAME" compares the CorsConfig of the custom response headers policy named NAME (names
are unique in an account) with --cloudfront-baseline-parameter's, in CloudFront's field names.
"diff --target lambda-url NAME" compares a function URL's Cors (NAME is the function, or
FUNCTION:ALIAS for an alias's URL), "diff --target http-api ID" an HTTP API's CorsConfiguration
(by ApiId), with --api-baseline-parameter's, in the service's field names.

Exit status: 0 when it complies, 3 when it differs, 1 on an error (an unusable baseline
included).`,
		Example: `  corsguard diff --container live-news
  corsguard diff --bucket media-assets --s3-baseline-parameter /corsguard/s3-baseline
  corsguard diff --target s3 media-assets
  corsguard diff --target cloudfront media-cors --cloudfront-baseline-parameter /corsguard/cloudfront
  corsguard diff --target lambda-url orders
  corsguard diff --target http-api a1b2c3d4e5 --api-baseline-parameter /corsguard/api`,
		Args: cobra.MaximumNArgs(1),
		RunE: f.run,
	}
	f.aws.register(cmd.Flags())
	f.settings.registerOnly(cmd, config.Targets, config.BaselineParameter, config.S3Parameter, config.CloudFrontParameter,
		config.APIParameter, config.ProfileTag, config.ProfilePatterns, config.ProfilesPath)
	registerBaselineFile(cmd, &f.file)
	cmd.Flags().Lookup("target").Usage = "kind of the NAME argument: mediastore (default), s3, cloudfront (a response headers policy's name), lambda-url (FUNCTION or FUNCTION:ALIAS) or http-api (an ApiId)"
	cmd.Flags().StringVarP(&f.container, "container", "c", "", "name of the MediaStore container")
	cmd.Flags().StringVarP(&f.bucket, "bucket", "b", "", "name of the S3 bucket")
	cmd.MarkFlagsMutuallyExclusive("container", "bucket")
	return cmd
}

// resourceWords are, per kind, what diff calls its resource, and how its name is checked.
var resourceWords = map[policy.Kind]struct {
	what  string
	valid func(string) error
}{
	policy.MediaStore: {"container", policy.ValidContainerName},
	policy.S3:         {"bucket", policy.ValidBucketName},
	policy.CloudFront: {"response headers policy", func(string) error { return nil }},
	policy.LambdaURL:  {"function URL", func(string) error { return nil }},
	policy.HTTPAPI:    {"HTTP API", func(string) error { return nil }},
}

func (f *diffFlags) run(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	cfg, kind, name, err := f.config(cmd, args)
	if err != nil {
		return err
	}
	awsCfg, err := f.aws.config(ctx)
	if err != nil {
		return err
	}
	if ctx, err = ownAccount(ctx, &caller{cfg: awsCfg}, []policy.Kind{kind}); err != nil {
		return err
	}
	params, paramName, err := baselineSource(cmd.InOrStdin(), ssm.NewFromConfig(awsCfg), f.file, cfg.Parameter)
	if err != nil {
		return err
	}
	cfg.Parameter = paramName
	engine, err := enforce.New(cfg, params, awsclient.Stores(awsCfg, []policy.Kind{kind})...)
	if err != nil {
		return err
	}
	in, err := engine.Inspect(ctx, kind, name)
	if err != nil {
		return err
	}
	b := in.Baseline
	if !b.Valid {
		return fmt.Errorf("baseline unusable for %s: %s", kind, b.Error)
	}
	label := fmt.Sprintf("baseline %s", b.Parameter)
	if f.file == "" {
		label = fmt.Sprintf("baseline %s version %d", b.Parameter, b.Version)
	}
	if p := in.Profile; p != nil && p.Source != profile.SourceDefault {
		label = fmt.Sprintf("profile %s (%s), %s", p.Name, p.Source, label)
	}
	if writeDiff(cmd.OutOrStdout(), resourceWords[kind].what+" "+name, label, in.Actual, in.Want) {
		return &exitErr{code: exitDrifted}
	}
	return nil
}

// config maps the flags onto the engine's configuration through the settings table
// (config.Parse, as audit's flags), and resolves the one resource diff looks at: a NAME
// argument whose kind --target gives, or --container or --bucket.
func (f *diffFlags) config(cmd *cobra.Command, args []string) (enforce.Config, policy.Kind, string, error) {
	cfg, err := config.Parse(func(s config.Setting) string {
		if v := f.settings.values[s.Flag]; s.Flag != "" && v != nil {
			return v.String()
		}
		return ""
	}, func(s config.Setting) string { return "--" + cmp.Or(s.Flag, s.Env) })
	if err != nil {
		return enforce.Config{}, "", "", err
	}
	if len(cfg.Targets) != 1 {
		return enforce.Config{}, "", "", fmt.Errorf("--target %s: diff looks at one resource, of one kind", f.settings.values["target"])
	}
	kind, name, err := f.resource(cmd.Flags().Changed("target"), cfg.Targets[0], args)
	if err != nil {
		return enforce.Config{}, "", "", err
	}
	if err := resourceWords[kind].valid(name); err != nil {
		return enforce.Config{}, "", "", fmt.Errorf("--%s: %w", resourceWords[kind].what, err)
	}
	// A setting of another kind would change nothing: say so rather than ignore it.
	for _, s := range config.Settings() {
		if s.Kind != "" && s.Kind != kind && s.Flag != "" && cmd.Flags().Changed(s.Flag) {
			return enforce.Config{}, "", "", fmt.Errorf("--%s applies to --target %s", s.Flag, s.Kind)
		}
	}
	if kind != policy.LambdaURL && kind != policy.HTTPAPI && cmd.Flags().Changed("api-baseline-parameter") {
		return enforce.Config{}, "", "", fmt.Errorf("--api-baseline-parameter applies to --target lambda-url and --target http-api")
	}
	cfg.Targets = []policy.Kind{kind}
	return cfg, kind, name, nil
}

// resource resolves which one resource diff looks at: --container, --bucket, or a NAME argument
// of the kind --target names (mediastore when not given), and refuses every other combination.
func (f *diffFlags) resource(targetGiven bool, kind policy.Kind, args []string) (policy.Kind, string, error) {
	named := f.container != "" || f.bucket != ""
	switch {
	case len(args) == 1 && named:
		return "", "", fmt.Errorf("give the name once: as an argument or with --container/--bucket")
	case len(args) == 0 && !named:
		return "", "", fmt.Errorf("name a resource: diff NAME, --container NAME or --bucket NAME")
	case len(args) == 1:
		return kind, args[0], nil
	case f.bucket != "" && (!targetGiven || kind == policy.S3):
		return policy.S3, f.bucket, nil
	case f.container != "" && (!targetGiven || kind == policy.MediaStore):
		return policy.MediaStore, f.container, nil
	case kind == policy.S3 || kind == policy.MediaStore:
		return "", "", fmt.Errorf("--target %s does not go with --container or --bucket of another kind", kind)
	}
	return "", "", fmt.Errorf("--target %s takes the resource's NAME as the one argument, without --container or --bucket", kind)
}

// writeDiff writes the difference between actual (nil: no policy) and want, and reports
// whether there is one.
func writeDiff(w io.Writer, actualLabel, wantLabel string, actual, want policy.Policy) bool {
	if actual != nil && policy.Equal(actual, want) {
		fmt.Fprintf(w, "%s complies with the %s\n", actualLabel, wantLabel)
		return false
	}
	var a []string
	if actual != nil {
		a = strings.Split(canonicalJSON(actual), "\n")
	}
	b := strings.Split(canonicalJSON(want), "\n")
	fmt.Fprintf(w, "--- %s", actualLabel)
	if actual == nil {
		fmt.Fprint(w, " (no CORS policy)")
	}
	fmt.Fprintf(w, "\n+++ %s\n", wantLabel)
	for _, l := range lineDiff(a, b) {
		fmt.Fprintln(w, l)
	}
	changes := policy.Diff(actual, want)
	fmt.Fprintf(w, "\n%d change%s to apply the baseline:\n", len(changes), plural(len(changes)))
	for _, c := range changes {
		fmt.Fprintf(w, "  %s\n", c)
	}
	return true
}

// lineDiff returns b's lines against a's, each prefixed with " " (in both), "-" (only in a) or
// "+" (only in b), from a longest common subsequence; removals come before additions. Policies are small, so the quadratic
// table is cheap.
func lineDiff(a, b []string) []string {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, " "+a[i])
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "-"+a[i])
			i++
		default:
			out = append(out, "+"+b[j])
			j++
		}
	}
	return out
}

// canonicalJSON renders p in canonical form: a CloudFront CorsConfig in CloudFront's shape and
// field names, a rule list as one.
func canonicalJSON(p policy.Policy) string {
	c := policy.Canonical(p)
	if cf, err := policy.CorsConfigOf(c); err == nil {
		return string(cf.JSON())
	}
	if cors, err := policy.CorsOf(c); err == nil {
		return string(cors.JSON())
	}
	return string(c.JSON())
}
