package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/policy"
)

func newValidateCmd() *cobra.Command {
	kind := string(policy.MediaStore)
	cmd := &cobra.Command{
		Use:   "validate FILE|-",
		Short: "Check a baseline CORS policy offline against the service's rules",
		Long: `Validate parses a baseline CORS policy (a bare rule array, or {"CorsPolicy": [...]} as
'aws mediastore get-cors-policy' prints it) and checks it against the rules PutCorsPolicy
enforces. It prints every problem with its path and exits 0 when the baseline is valid, 2 when
it is not, and 1 when the file cannot be read. "-" reads standard input, so it fits a
pre-commit hook or a CI step. No AWS call is made.`,
		Example: `  corsguard validate baseline.json
  git show HEAD:baseline.json | corsguard validate -`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: fileCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			k := policy.Kind(kind)
			if k != policy.MediaStore && k != policy.S3 {
				return fmt.Errorf("--kind %q: want mediastore or s3", kind)
			}
			return runValidate(cmd.InOrStdin(), cmd.OutOrStdout(), args[0], k)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", kind, "whose rules to check: mediastore or s3")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(
		[]string{string(policy.MediaStore), string(policy.S3)}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// runValidate checks the baseline in file ("-" for in) and writes the verdict to out.
func runValidate(in io.Reader, out io.Writer, file string, kind policy.Kind) error {
	name := file
	var data []byte
	var err error
	if file == "-" {
		name = "<stdin>"
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("read baseline: %w", err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		fmt.Fprintf(out, "%s: %v\n", name, err)
		return &exitErr{code: exitInvalid}
	}
	if err := policy.Validate(p, kind); err != nil {
		var verr *policy.ValidationError
		if !errors.As(err, &verr) {
			return fmt.Errorf("validate %s: %w", name, err)
		}
		for _, prob := range verr.Problems {
			fmt.Fprintf(out, "%s: %s\n", name, prob)
		}
		fmt.Fprintf(out, "%s: invalid %s CORS policy: %d problem%s\n", name, kind, len(verr.Problems), plural(len(verr.Problems)))
		return &exitErr{code: exitInvalid}
	}
	fmt.Fprintf(out, "%s: valid %s CORS policy: %d rule%s, %s\n", name, kind, len(p), plural(len(p)), policy.Hash(p))
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
