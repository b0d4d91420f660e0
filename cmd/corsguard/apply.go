package main

import (
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/enforce"
)

func newApplyCmd(opts cliOptions) *cobra.Command {
	f := sweepFlags{aws: awsFlags{httpClient: opts.httpClient, credentials: opts.credentials}}
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Write the baseline to every matching container or bucket whose CORS policy drifted",
		Long: `Apply enforces the baseline now: every matching MediaStore container (--target mediastore,
the default), S3 bucket of the Region (--target s3) or both (--target all) whose CORS policy
differs from it gets the baseline, with the same engine the Lambda runs. What already complies
is not written. With --dry-run nothing is written and apply behaves as audit. With
--security-hub each checked container or bucket gets its Security Hub finding, as with audit:
a repaired one's finding is PASSED.

Ctrl-C (or SIGTERM) starts nothing new and lets the calls in flight finish within --grace; a
second one cancels them. The report of what was done is still written, to stdout or --output,
which is checked before anything is read or written in AWS.

Exit status: 0 when everything matching complies or was repaired, 3 (only with --dry-run)
when anything drifted, 1 on an error, an --output that cannot be written, an interruption, or
a baseline that changed during the run (run again).`,
		Example: `  corsguard apply --dry-run
  corsguard apply --include 'live-*'
  corsguard apply --target s3 --s3-include 'media-*'
  corsguard apply --security-hub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dryRun {
				return f.sweep(cmd, enforce.ModeAudit, "cli apply --dry-run")
			}
			return f.sweep(cmd, enforce.ModeEnforce, "cli apply")
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "write nothing; report what would change, as audit does")
	return cmd
}
