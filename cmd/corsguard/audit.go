package main

import (
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/enforce"
)

func newAuditCmd(opts cliOptions) *cobra.Command {
	f := sweepFlags{aws: awsFlags{httpClient: opts.httpClient, credentials: opts.credentials}}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Report every matching container or bucket whose CORS policy differs from the baseline",
		Long: `Audit reads the baseline, checks every matching MediaStore container (--target mediastore,
the default), S3 bucket of the Region (--target s3) or both (--target all) against it with the
same engine the Lambda runs, and reports each one's outcome without changing anything.

With --security-hub each checked container or bucket also gets one AWS Security Hub finding in
the account's default product (PASSED, FAILED; NOT_AVAILABLE when exempt, WARNING when it could
not be checked), updated in place by every later run, and the findings of resources deleted or
no longer selected are archived. --format asff writes the same findings to stdout or --output
instead of the report, for accounts without Security Hub and for CI artifacts.

Exit status: 0 when everything matching complies (exempt and vanished ones count as
complying), 3 when anything drifted, 1 on an error (unusable baseline, AWS errors, a container
or bucket that could not be checked, an --output that cannot be written, an interruption,
a baseline that changed during the run). Ctrl-C works as for apply.`,
		Example: `  corsguard audit
  corsguard audit --exclude 'test-*' --format csv --output audit.csv
  corsguard audit --target s3 --s3-exclude 'logs-*'
  corsguard audit --target all --s3-baseline-parameter /corsguard/s3-baseline
  corsguard audit --baseline-file baseline.json --endpoint-url http://127.0.0.1:4566
  corsguard audit --security-hub
  corsguard audit --format asff --output findings.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.sweep(cmd, enforce.ModeAudit, "cli audit")
		},
	}
	f.register(cmd)
	return cmd
}
