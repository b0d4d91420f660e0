package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	mstypes "github.com/aws/aws-sdk-go-v2/service/mediastore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/policy"
)

func newDiffCmd(opts cliOptions) *cobra.Command {
	awsF := awsFlags{httpClient: opts.httpClient}
	var (
		baselineF baselineFlags
		container string
	)
	cmd := &cobra.Command{
		Use:   "diff --container NAME",
		Short: "Show how one container's CORS policy differs from the baseline",
		Long: `Diff reads one container's CORS policy and the baseline, and prints the difference: a
line diff of the two in canonical form (lists sorted, so only real differences show; rule order
kept, since the first matching rule wins), then the changes that applying the baseline would
make. Nothing is written.

Exit status: 0 when the container complies, 3 when it differs, 1 on an error.`,
		Example: `  corsguard diff --container live-news`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := policy.ValidContainerName(container); err != nil {
				return fmt.Errorf("--container: %w", err)
			}
			awsCfg, err := awsF.config(ctx)
			if err != nil {
				return err
			}
			params, name, err := baselineF.source(cmd.InOrStdin(), ssm.NewFromConfig(awsCfg))
			if err != nil {
				return err
			}
			out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err != nil {
				return fmt.Errorf("get baseline %s: %w", name, err)
			}
			want, err := policy.Parse([]byte(aws.ToString(out.Parameter.Value)))
			if err == nil {
				err = policy.Validate(want, policy.MediaStore)
			}
			if err != nil {
				return fmt.Errorf("baseline %s: %w", name, err)
			}
			label := fmt.Sprintf("baseline %s", name)
			if baselineF.file == "" {
				label = fmt.Sprintf("baseline %s version %d", name, out.Parameter.Version)
			}

			actual, err := corsPolicy(ctx, mediastore.NewFromConfig(awsCfg), container)
			if err != nil {
				return err
			}
			if writeDiff(cmd.OutOrStdout(), "container "+container, label, actual, want) {
				return &exitErr{code: exitDrifted}
			}
			return nil
		},
	}
	awsF.register(cmd.Flags())
	baselineF.register(cmd)
	cmd.Flags().StringVarP(&container, "container", "c", "", "name of the MediaStore container")
	_ = cmd.MarkFlagRequired("container")
	return cmd
}

// corsPolicy returns a container's CORS policy, nil when it has none.
func corsPolicy(ctx context.Context, c *mediastore.Client, name string) (policy.Policy, error) {
	out, err := c.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: aws.String(name)})
	var none *mstypes.CorsPolicyNotFoundException
	switch {
	case errors.As(err, &none):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get cors policy %s: %w", name, err)
	}
	p := make(policy.Policy, len(out.CorsPolicy))
	for i, r := range out.CorsPolicy {
		p[i] = policy.Rule{
			AllowedOrigins: r.AllowedOrigins,
			AllowedMethods: methods(r.AllowedMethods),
			AllowedHeaders: r.AllowedHeaders,
			ExposeHeaders:  r.ExposeHeaders,
			MaxAgeSeconds:  int64(r.MaxAgeSeconds),
		}
	}
	return p, nil
}

func methods(ms []mstypes.MethodName) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
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
		a = strings.Split(string(policy.Canonical(actual).JSON()), "\n")
	}
	b := strings.Split(string(policy.Canonical(want).JSON()), "\n")
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
