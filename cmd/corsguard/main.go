// Command corsguard is the CLI of corsguard: audit and repair the CORS policies of MediaStore
// containers and S3 buckets against the baseline with the Lambda's own engine (audit, apply),
// check a baseline offline (validate), compare one container or bucket (diff), and show the
// whole story offline (demo).
// It only wires; `corsguard help` lists the commands.
package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(execute(context.Background(), newRoot(cliOptions{}), os.Args[1:]))
}

// newRoot returns the corsguard command with every subcommand.
func newRoot(opts cliOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "corsguard",
		Short: "Keep the CORS policy of every MediaStore container and S3 bucket equal to one baseline",
		Long: `corsguard keeps the CORS policy of every matching AWS Elemental MediaStore container and
Amazon S3 bucket equal to a baseline held in SSM Parameter Store. The CLI shares the Lambda's
engine, so an audit here and one by the function give the same answer. --target chooses
containers (mediastore, the default), buckets (s3) or both (all).

probe asks a canary object as browsers do and judges the CORS answers against the baseline
(docs/probe.md).

Exit status: 0 compliant or valid, 3 drifted (audit, apply --dry-run, diff), 2 invalid baseline
(validate), 1 error (audit and apply also: --output not writable, interrupted, or the baseline
changed during the run).`,
	}
	addCommands(root, opts)
	root.AddCommand(newEmulatorCommand())
	return root
}
