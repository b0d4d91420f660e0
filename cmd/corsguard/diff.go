package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

func newDiffCmd(opts cliOptions) *cobra.Command {
	awsF := awsFlags{httpClient: opts.httpClient}
	var (
		baselineF                 baselineFlags
		profileF                  settingFlags
		container, bucket, target string
	)
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var cfName, apiName string
			if target == string(policy.LambdaURL) || target == string(policy.HTTPAPI) {
				if len(args) != 1 || container != "" || bucket != "" {
					return fmt.Errorf("--target %s takes the resource's NAME as the one argument (FUNCTION or FUNCTION:ALIAS; an HTTP API's ApiId), without --container or --bucket", target)
				}
				apiName = args[0]
				args = nil
			} else if target == string(policy.CloudFront) {
				if len(args) != 1 || container != "" || bucket != "" {
					return fmt.Errorf("--target cloudfront takes the policy's NAME as the one argument, without --container or --bucket")
				}
				cfName = args[0]
				args = nil
			} else if err := diffTarget(args, target, &container, &bucket); err != nil {
				return err
			}
			kind, what, name, valid := policy.MediaStore, "container", container, policy.ValidContainerName
			switch {
			case cfName != "":
				kind, what, name, valid = policy.CloudFront, "response headers policy", cfName, func(string) error { return nil }
			case apiName != "" && target == string(policy.LambdaURL):
				kind, what, name, valid = policy.LambdaURL, "function URL", apiName, func(string) error { return nil }
			case apiName != "":
				kind, what, name, valid = policy.HTTPAPI, "HTTP API", apiName, func(string) error { return nil }
			case bucket != "":
				kind, what, name, valid = policy.S3, "bucket", bucket, policy.ValidBucketName
			}
			if err := valid(name); err != nil {
				return fmt.Errorf("--%s: %w", what, err)
			}
			if apiName == "" && cmd.Flags().Changed("api-baseline-parameter") {
				return fmt.Errorf("--api-baseline-parameter applies to --target lambda-url and --target http-api")
			}
			if cfName == "" && baselineF.cfParameter != "" {
				return fmt.Errorf("--cloudfront-baseline-parameter applies to --target cloudfront")
			}
			awsCfg, err := awsF.config(ctx)
			if err != nil {
				return err
			}
			if ctx, err = ownAccount(ctx, &caller{cfg: awsCfg}, []policy.Kind{kind}); err != nil {
				return err
			}
			params, paramName, err := baselineF.source(cmd.InOrStdin(), ssm.NewFromConfig(awsCfg))
			if err != nil {
				return err
			}
			cfg := enforce.Config{Parameter: paramName,
				Kinds: map[policy.Kind]enforce.KindConfig{policy.S3: {Parameter: baselineF.s3Parameter},
					policy.CloudFront: {Parameter: baselineF.cfParameter},
					policy.LambdaURL:  {Parameter: baselineF.apiParameter}, policy.HTTPAPI: {Parameter: baselineF.apiParameter}}}
			if err := profileF.apply(&cfg); err != nil {
				return err
			}
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
			if baselineF.file == "" {
				label = fmt.Sprintf("baseline %s version %d", b.Parameter, b.Version)
			}
			if p := in.Profile; p != nil && p.Source != profile.SourceDefault {
				label = fmt.Sprintf("profile %s (%s), %s", p.Name, p.Source, label)
			}
			if writeDiff(cmd.OutOrStdout(), what+" "+name, label, in.Actual, in.Want) {
				return &exitErr{code: exitDrifted}
			}
			return nil
		},
	}
	awsF.register(cmd.Flags())
	baselineF.register(cmd)
	profileF.registerOnly(cmd, config.ProfileTag, config.ProfilePatterns, config.ProfilesPath)
	cmd.Flags().StringVarP(&container, "container", "c", "", "name of the MediaStore container")
	cmd.Flags().StringVarP(&bucket, "bucket", "b", "", "name of the S3 bucket")
	cmd.Flags().StringVarP(&target, "target", "t", "", "kind of the NAME argument: mediastore (default), s3, cloudfront (a response headers policy's name), lambda-url (FUNCTION or FUNCTION:ALIAS) or http-api (an ApiId)")
	_ = cmd.RegisterFlagCompletionFunc("target", cobra.FixedCompletions(
		[]string{string(policy.MediaStore), string(policy.S3), string(policy.CloudFront), string(policy.LambdaURL), string(policy.HTTPAPI)}, cobra.ShellCompDirectiveNoFileComp))
	cmd.MarkFlagsMutuallyExclusive("container", "bucket")
	return cmd
}

// diffTarget resolves which one resource diff looks at: --container, --bucket, or a NAME
// argument whose kind --target gives, and refuses every other combination.
func diffTarget(args []string, target string, container, bucket *string) error {
	named := *container != "" || *bucket != ""
	switch {
	case len(args) == 1 && named:
		return fmt.Errorf("give the name once: as an argument or with --container/--bucket")
	case len(args) == 0 && !named:
		return fmt.Errorf("name a container or a bucket: diff NAME, --container NAME or --bucket NAME")
	}
	switch target {
	case "", string(policy.MediaStore):
		if *bucket != "" && target != "" {
			return fmt.Errorf("--target %s does not go with --bucket", target)
		}
		if len(args) == 1 {
			*container = args[0]
		}
	case string(policy.S3):
		if *container != "" {
			return fmt.Errorf("--target s3 does not go with --container")
		}
		if len(args) == 1 {
			*bucket = args[0]
		}
	default:
		return fmt.Errorf("--target %q: diff looks at one resource, of kind mediastore or s3", target)
	}
	return nil
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
