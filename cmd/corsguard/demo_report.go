package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/emulator"
)

// demoKeys are the demo's dummy credentials: the emulator wants a signed request, never a real key.
var demoKeys = credentials.NewStaticCredentialsProvider("AKIDCORSGUARDDEMO", "demo-secret", "")

// startDemoAccount starts an emulator of its own holding the demo's account as the story
// starts (drifted, without a policy, exempt, excluded, CREATING, and the CloudFront policy) and
// returns its URL and the function that stops it.
func startDemoAccount(ctx context.Context) (url string, stop func(), err error) {
	emu := emulator.New(emulator.WithCreatingDuration(demoCreating))
	url, stopEmu, err := emu.Start("127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start emulator: %w", err)
	}
	stop = func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stopEmu(shutdown)
	}
	d := &demo{emu: emu, cf: cloudfront.NewFromConfig(aws.Config{Region: emu.Region(), Credentials: demoKeys,
		BaseEndpoint: aws.String(url), HTTPClient: emulator.HTTPClient()})}
	if _, _, err := d.seed(ctx); err != nil {
		stop()
		return "", nil, fmt.Errorf("seed the demo's account: %w", err)
	}
	return url, stop, nil
}

// demoAuditArgs is the audit of the demo's account at url: every kind, as the demo's function
// is configured.
func demoAuditArgs(url string) []string {
	return []string{"audit", "--region", emulator.DefaultRegion, "--endpoint-url", url,
		"--target", "mediastore,s3,cloudfront", "--exclude", demoExclude, "--baseline-parameter", demoParameter,
		"--cloudfront-baseline-parameter", demoCloudFrontParam}
}

// demoReport audits the demo's account with the CLI's own audit and writes the HTML report to
// file (make report). The drift it finds is the point of the report: only an audit that could
// not write it is an error.
func demoReport(ctx context.Context, cmd *cobra.Command, file string) error {
	url, stop, err := startDemoAccount(ctx)
	if err != nil {
		return err
	}
	defer stop()
	root := newRoot(cliOptions{httpClient: emulator.HTTPClient(), credentials: demoKeys})
	root.SetOut(cmd.OutOrStdout())
	root.SetErr(cmd.ErrOrStderr())
	code := execute(ctx, root, append(demoAuditArgs(url), "--format", "html", "--output", file))
	if code != exitOK && code != exitDrifted {
		return &exitErr{code: exitError, msg: fmt.Sprintf("the audit of the demo's account exited %d", code)}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "corsguard demo: the audit of the demo's account (exit status %d) is in %s\n", code, file)
	return nil
}
