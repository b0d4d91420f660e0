package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// formatASFF is --format asff: the run's Security Hub findings as an ASFF JSON array instead
// of the report, for accounts without Security Hub and for CI artifacts.
const formatASFF = "asff"

// findingsFlags are --security-hub and the asff format.
type findingsFlags struct {
	securityHub bool
}

func (f *findingsFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.securityHub, "security-hub", false,
		"import one Security Hub finding per checked container or bucket into the account's default product (and archive the findings of resources gone or no longer selected)")
}

// wantsASFF reports whether --format asks for ASFF findings instead of the report.
func wantsASFF(format string) bool { return strings.EqualFold(strings.TrimSpace(format), formatASFF) }

// findingsScope returns the account and Region the findings belong to: the caller's account
// and partition, and the configured Region.
func findingsScope(ctx context.Context, who *caller, region string) (findings.Scope, error) {
	out, err := who.identity(ctx)
	if err != nil {
		return findings.Scope{}, fmt.Errorf("security hub findings need the caller's account: %w", err)
	}
	partition := "aws"
	if arn := aws.ToString(out.Arn); strings.HasPrefix(arn, "arn:") {
		if p := strings.SplitN(arn, ":", 3); len(p) == 3 {
			partition = p[1]
		}
	}
	return findings.Scope{Account: aws.ToString(out.Account), Region: region, Partition: partition}, nil
}

// writeASFF writes the findings of rep to w.
func writeASFF(w io.Writer, scope findings.Scope, rep *enforce.Report) error {
	return findings.WriteJSON(w, findings.Build(scope, rep, rep.Started.Add(rep.Duration), nil))
}

// publish imports rep's findings into Security Hub. A sweep that ran to its end covers its
// kinds: the findings of their resources that it no longer produces are archived. It says
// what it did on stderr; a Security Hub that is not enabled is an error.
func publish(ctx context.Context, cmd *cobra.Command, cfg aws.Config, scope findings.Scope, rep *enforce.Report, kinds []policy.Kind, whole bool) error {
	p := findings.NewPublisher(securityhub.NewFromConfig(cfg), findings.WithImportRate(findings.DefaultImportRate))
	var cover findings.Coverage
	if whole {
		cover = kinds
	}
	res, err := p.Publish(ctx, scope, rep, cover)
	if err != nil {
		return &exitErr{code: exitError, msg: "security hub: " + err.Error()}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "security hub: %d findings imported into %s (%d archived)\n", res.Imported, scope.ProductARN(), res.Archived)
	for _, ff := range res.Failed {
		fmt.Fprintf(cmd.ErrOrStderr(), "security hub: finding %s refused: %s: %s\n", ff.ID, ff.Code, ff.Message)
	}
	if len(res.Failed) > 0 {
		return &exitErr{code: exitError, msg: fmt.Sprintf("security hub: %d findings refused", len(res.Failed))}
	}
	return nil
}
