// Command corsguard is the CLI of corsguard: audit and repair the CORS configurations of
// MediaStore containers, S3 buckets, CloudFront response headers policies, Lambda function URLs
// and HTTP APIs against their baselines with the Lambda's own engine (audit, apply), check a
// baseline offline (validate), compare one resource (diff), show each resource's profile
// (profiles), ask as a browser does (probe), print the function's IAM policy (iam-policy), run
// the local AWS emulator (emulator) and show the whole story offline (demo).
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
		Short: "Keep the CORS configuration of every matching AWS resource equal to its baseline",
		Long: `corsguard keeps the CORS configuration of every matching AWS Elemental MediaStore container,
Amazon S3 bucket, CloudFront response headers policy, Lambda function URL and HTTP API equal to a
baseline held in SSM Parameter Store (one per kind, or per profile). The CLI shares the Lambda's
engine, so an audit here and one by the function give the same answer. --target chooses
containers (mediastore, the default), buckets (s3), CloudFront response headers policies
(cloudfront), Lambda function URLs (lambda-url), HTTP APIs (http-api), or several.

probe asks a canary object as browsers do and judges the CORS answers against the baseline
(docs/probe.md). iam-policy prints the function's least-privilege IAM policy for deployments
without SAM (docs/deploy.md).

Exit status: 0 compliant or valid, 3 drifted (audit, apply --dry-run, diff), 2 invalid baseline
(validate), 1 error (audit and apply also: --output not writable, interrupted, or the baseline
changed during the run).`,
	}
	addCommands(root, opts)
	root.AddCommand(newEmulatorCommand())
	return root
}
