package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

func newValidateCmd() *cobra.Command {
	var targets settingFlags
	cmd := &cobra.Command{
		Use:   "validate FILE|-",
		Short: "Check a baseline CORS policy offline against the service's rules",
		Long: `Validate parses a baseline CORS policy (a bare rule array, or {"CorsPolicy": [...]} as
'aws mediastore get-cors-policy' prints it) and checks it against the rules of each target's
service: PutCorsPolicy's for mediastore (the default), PutBucketCors's for s3 (POST and rule
IDs allowed; no cap on the number or length of origins and headers, at most 100 rules and 64 KB
of XML as the SDK sends it), both for all, which is what one baseline for containers and
buckets must pass.
For cloudfront the baseline is a response headers policy's CorsConfig (alone, as
{"CorsConfig": {...}}, or the whole output of 'aws cloudfront get-response-headers-policy'),
judged by CloudFront's rules. For lambda-url and http-api it is a Cors object (as 'aws lambda
get-function-url-config' prints it), judged by Lambda's rules for function URLs and by API
Gateway's for HTTP APIs (CorsConfiguration). A key given twice in one object is an error naming its path; a
UTF-8 byte order mark is ignored. It prints every problem with
its path and exits 0 when the baseline is valid for every target, 2 when it is not, and 1 when
the file cannot be read. "-" reads standard input, so it fits a pre-commit hook or a CI step.
No AWS call is made.`,
		Example: `  corsguard validate baseline.json
  corsguard validate --target s3 s3-baseline.json
  corsguard validate --target cloudfront cors-config.json
  corsguard validate --target lambda-url,http-api api-cors.json
  git show HEAD:baseline.json | corsguard validate --target all -`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: fileCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("kind") {
				fmt.Fprintln(cmd.ErrOrStderr(), "corsguard: --kind is deprecated; use --target")
			}
			var cfg enforce.Config
			if err := targets.apply(&cfg); err != nil {
				return err
			}
			return runValidate(cmd.InOrStdin(), cmd.OutOrStdout(), args[0], cfg.Targets)
		},
	}
	// --target is the settings table's (config.Targets): one parser, one help text.
	targets.registerOnly(cmd, config.Targets)
	// --kind was this flag's first name; it stays as a hidden, deprecated alias of --target.
	// RunE says so itself: pflag's own deprecation notice goes to a buffer cobra discards.
	cmd.Flags().Var(targets.values["target"], "kind", "deprecated: use --target")
	_ = cmd.Flags().MarkHidden("kind")
	return cmd
}

// runValidate checks the baseline in file ("-" for in) against the rules of every kind and
// writes the verdict to out, one line per kind (after its problems).
func runValidate(in io.Reader, out io.Writer, file string, kinds []policy.Kind) error {
	name, data, err := readBaseline(in, file)
	if err != nil {
		return err
	}
	invalid := false
	for _, kind := range kinds {
		p, err := policy.ParseKind(kind, data)
		if err != nil {
			fmt.Fprintf(out, "%s: %v\n", name, err)
			invalid = true
			continue
		}
		err = policy.Validate(p, kind)
		if err == nil && kind == policy.CloudFront {
			fmt.Fprintf(out, "%s: valid %s CorsConfig, %s\n", name, kind, policy.Hash(p))
			continue
		}
		if err == nil && (kind == policy.LambdaURL || kind == policy.HTTPAPI) {
			fmt.Fprintf(out, "%s: valid %s Cors, %s\n", name, kind, policy.Hash(p))
			continue
		}
		if err == nil {
			fmt.Fprintf(out, "%s: valid %s CORS policy: %d rule%s, %s\n", name, kind, len(p), plural(len(p)), policy.Hash(p))
			continue
		}
		var verr *policy.ValidationError
		if !errors.As(err, &verr) {
			return fmt.Errorf("validate %s: %w", name, err)
		}
		invalid = true
		prefix := name + ": " // with several kinds, each problem says whose rule it breaks
		if len(kinds) > 1 {
			prefix += string(kind) + ": "
		}
		for _, prob := range verr.Problems {
			fmt.Fprintf(out, "%s%s\n", prefix, prob)
		}
		fmt.Fprintf(out, "%s: invalid %s CORS policy: %d problem%s\n", name, kind, len(verr.Problems), plural(len(verr.Problems)))
	}
	if invalid {
		return &exitErr{code: exitInvalid}
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fileCompletion completes file names, for commands whose argument is a file.
func fileCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}
