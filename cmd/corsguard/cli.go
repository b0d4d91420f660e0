package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/awsclient"
	"github.com/corsguard/corsguard/internal/report"
	"github.com/corsguard/corsguard/policy"
)

// cliOptions carries what main leaves at its zero value and tests replace.
type cliOptions struct {
	// httpClient, when set, carries every AWS request (tests pass the emulator's client).
	httpClient aws.HTTPClient
}

// addCommands adds the audit, apply, validate, diff and demo commands to root. Run root with
// execute, which prints a command's error once and returns the exit code it chose (exit.go).
func addCommands(root *cobra.Command, opts cliOptions) {
	root.AddCommand(newAuditCmd(opts), newApplyCmd(opts), newValidateCmd(), newDiffCmd(opts), newDemoCmd())
}

// DefaultBaselineParameter is the SSM parameter the CLI reads when neither --baseline-parameter
// nor --baseline-file is given: the SAM template's default.
const DefaultBaselineParameter = "/corsguard/baseline"

// awsFlags are the flags that say how to reach AWS. Unset ones leave the SDK's standard
// resolution in charge (environment, shared config and credentials files), as the aws CLI does.
type awsFlags struct {
	region, profile, endpointURL string
	httpClient                   aws.HTTPClient
}

func (f *awsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.region, "region", "", "AWS Region (default: AWS_REGION or the profile's region)")
	fs.StringVar(&f.profile, "profile", "", "shared config profile (default: AWS_PROFILE or default)")
	fs.StringVar(&f.endpointURL, "endpoint-url", "", "send every AWS request to this URL, such as an emulator (default: AWS_ENDPOINT_URL or AWS)")
}

// config loads the aws.Config the flags describe, with the retryer the Lambda uses.
func (f *awsFlags) config(ctx context.Context, extra ...awsclient.Option) (aws.Config, error) {
	opts := []awsclient.Option{}
	if f.region != "" {
		opts = append(opts, awsclient.WithRegion(f.region))
	}
	if f.profile != "" {
		opts = append(opts, awsclient.WithProfile(f.profile))
	}
	if f.endpointURL != "" {
		opts = append(opts, awsclient.WithEndpoint(f.endpointURL))
	}
	cfg, err := awsclient.Load(ctx, append(opts, extra...)...)
	if err == nil && f.httpClient != nil {
		cfg.HTTPClient = f.httpClient
	}
	return cfg, err
}

// baselineFlags say where the baseline comes from.
type baselineFlags struct {
	parameter, s3Parameter, file string
}

func (f *baselineFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.parameter, "baseline-parameter", DefaultBaselineParameter, "SSM parameter holding the baseline CORS policy")
	fs.StringVar(&f.s3Parameter, "s3-baseline-parameter", "", "SSM parameter holding the S3 buckets' baseline (default: --baseline-parameter)")
	fs.StringVar(&f.file, "baseline-file", "", "read the baseline of every target from this file (\"-\" for stdin) instead of SSM")
	cmd.MarkFlagsMutuallyExclusive("baseline-parameter", "baseline-file")
	cmd.MarkFlagsMutuallyExclusive("s3-baseline-parameter", "baseline-file")
	_ = cmd.MarkFlagFilename("baseline-file", "json")
}

// source returns the client the engine reads the baseline through and the name the report
// gives the baseline: the SSM client, or a file read once and served as version 0.
func (f *baselineFlags) source(in io.Reader, client *ssm.Client) (enforce.SSMAPI, string, error) {
	if f.file == "" {
		return client, f.parameter, nil
	}
	var data []byte
	var err error
	name := f.file
	if f.file == "-" {
		name = "<stdin>"
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(f.file)
	}
	if err != nil {
		return nil, "", fmt.Errorf("read baseline: %w", err)
	}
	return fileBaseline{name: name, value: string(data)}, name, nil
}

// sweepFlags are the flags of audit and apply.
type sweepFlags struct {
	aws       awsFlags
	baseline  baselineFlags
	targets   targetFlag
	include   []string
	exclude   []string
	s3Include []string
	s3Exclude []string
	exempt    string
	workers   int
	rate      float64
	format    string
	output    string
}

func (f *sweepFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	f.aws.register(fs)
	f.baseline.register(cmd)
	f.targets.register(cmd)
	fs.StringSliceVar(&f.include, "include", nil, "glob patterns (path.Match) of container names to check; repeatable or comma-separated (default: all)")
	fs.StringSliceVar(&f.exclude, "exclude", nil, "glob patterns of container names never to check; exclude wins over include")
	fs.StringSliceVar(&f.s3Include, "s3-include", nil, "glob patterns of bucket names to check (default: all)")
	fs.StringSliceVar(&f.s3Exclude, "s3-exclude", nil, "glob patterns of bucket names never to check; exclude wins over include")
	fs.StringVar(&f.exempt, "exempt-tag", enforce.DefaultExemptTagKey+"="+enforce.DefaultExemptTagValue, "tag KEY=VALUE (or KEY, meaning KEY=true) that exempts a container or bucket")
	fs.IntVar(&f.workers, "workers", enforce.DefaultWorkers, "containers and buckets checked at once")
	fs.Float64Var(&f.rate, "rate", enforce.DefaultRate, "client-side requests per second per API operation")
	fs.StringVarP(&f.format, "format", "f", "", "output format: table, json or csv (default: table on a terminal, else from the --output extension, else json)")
	fs.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
		[]string{string(report.Table), string(report.JSON), string(report.CSV)}, cobra.ShellCompDirectiveNoFileComp))
}

// targetFlag is --target: the kinds of resource a command covers.
type targetFlag struct {
	names []string
}

// Target names beside the policy kinds: all is every kind.
const targetAll = "all"

func (f *targetFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVarP(&f.names, "target", "t", []string{string(policy.MediaStore)},
		"what to check: mediastore (containers), s3 (buckets in the Region), or all; repeatable or comma-separated")
	_ = cmd.RegisterFlagCompletionFunc("target", cobra.FixedCompletions(
		[]string{string(policy.MediaStore), string(policy.S3), targetAll}, cobra.ShellCompDirectiveNoFileComp))
}

// kinds returns the kinds named, each once, containers first (as the Lambda orders them).
func (f *targetFlag) kinds() ([]policy.Kind, error) {
	var out []policy.Kind
	for _, n := range f.names {
		var add []policy.Kind
		switch k := policy.Kind(strings.ToLower(strings.TrimSpace(n))); k {
		case policy.MediaStore, policy.S3:
			add = []policy.Kind{k}
		case targetAll:
			add = []policy.Kind{policy.MediaStore, policy.S3}
		default:
			return nil, fmt.Errorf("--target %q: want mediastore, s3 or all", n)
		}
		for _, k := range add {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--target: want mediastore, s3 or all")
	}
	slices.Sort(out) // "mediastore" < "s3"
	return out, nil
}

// engineConfig returns the engine's Config for the flags and the kinds to check. Fields the
// CLI has no flag for take the engine's defaults, which are the Lambda's too. As in the
// Lambda's configuration, --include and --exclude choose containers and --s3-include and
// --s3-exclude buckets; a selection flag for a kind that is not a target is a mistake.
func (f *sweepFlags) engineConfig(cmd *cobra.Command, parameter string, kinds []policy.Kind) (enforce.Config, error) {
	for _, fk := range []struct {
		flag string
		kind policy.Kind
	}{{"include", policy.MediaStore}, {"exclude", policy.MediaStore},
		{"s3-include", policy.S3}, {"s3-exclude", policy.S3}, {"s3-baseline-parameter", policy.S3}} {
		if cmd.Flags().Changed(fk.flag) && !slices.Contains(kinds, fk.kind) {
			hint := ""
			if fk.kind == policy.MediaStore {
				hint = "; for buckets use --s3-" + fk.flag
			}
			return enforce.Config{}, fmt.Errorf("--%s applies to %s, which --target does not name%s", fk.flag, fk.kind, hint)
		}
	}
	sel, err := policy.NewSelector(f.include, f.exclude)
	if err != nil {
		return enforce.Config{}, fmt.Errorf("--include/--exclude: %w", err)
	}
	s3Sel, err := policy.NewSelector(f.s3Include, f.s3Exclude)
	if err != nil {
		return enforce.Config{}, fmt.Errorf("--s3-include/--s3-exclude: %w", err)
	}
	key, value, found := strings.Cut(f.exempt, "=")
	if !found {
		value = enforce.DefaultExemptTagValue
	}
	if key == "" {
		return enforce.Config{}, fmt.Errorf("--exempt-tag %q: want KEY=VALUE or KEY", f.exempt)
	}
	if f.workers < 1 || f.workers > enforce.MaxWorkers {
		return enforce.Config{}, fmt.Errorf("--workers %d: want 1 to %d", f.workers, enforce.MaxWorkers)
	}
	if !(f.rate > 0) {
		return enforce.Config{}, fmt.Errorf("--rate %v: want a number above 0", f.rate)
	}
	return enforce.Config{
		Parameter: parameter,
		Selector:  sel,
		Kinds: map[policy.Kind]enforce.KindConfig{
			policy.S3: {Parameter: f.baseline.s3Parameter, Selector: s3Sel},
		},
		ExemptTagKey:   key,
		ExemptTagValue: value,
		Workers:        f.workers,
		Rate:           f.rate,
	}, nil
}

// sweep runs one audit or enforce sweep of every matching container and bucket of the
// targets, and writes the report. Ctrl-C stops starting more; the report of what was done is
// still written.
func (f *sweepFlags) sweep(cmd *cobra.Command, mode enforce.Mode, reason string) error {
	format, err := report.Choose(f.format, f.output, f.output == "" && isTerminal(cmd.OutOrStdout()))
	if err != nil {
		return err
	}
	kinds, err := f.targets.kinds()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the default handling returns: a second Ctrl-C ends the process.
	context.AfterFunc(ctx, stop)

	awsCfg, err := f.aws.config(ctx)
	if err != nil {
		return err
	}
	params, name, err := f.baseline.source(cmd.InOrStdin(), ssm.NewFromConfig(awsCfg))
	if err != nil {
		return err
	}
	cfg, err := f.engineConfig(cmd, name, kinds)
	if err != nil {
		return err
	}
	bar := report.NewProgress(cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr()), string(mode))
	cfg.OnTargets, cfg.OnEntry = bar.Start, bar.Entry
	engine, err := enforce.New(cfg, params, awsclient.Stores(awsCfg, kinds)...)
	if err != nil {
		return err
	}
	rep := engine.Run(ctx, enforce.Work{Mode: mode, Reason: reason})
	bar.Finish()
	if ctx.Err() != nil && cmd.Context().Err() == nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "interrupted: the report shows what was done")
	}
	if err := f.write(cmd, rep, format); err != nil {
		return err
	}
	return verdict(rep)
}

// write writes rep to --output or stdout.
func (f *sweepFlags) write(cmd *cobra.Command, rep *enforce.Report, format report.Format) error {
	if f.output == "" {
		return report.Write(cmd.OutOrStdout(), rep, format)
	}
	file, err := os.Create(f.output)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := report.Write(file, rep, format); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// verdict turns a report into the command's result: nil when every matching container and
// bucket complies (or was repaired), exit 3 when one drifted, exit 1 when the run or a
// resource failed, or a baseline was unusable.
func verdict(rep *enforce.Report) error {
	switch {
	case !rep.Baseline.Valid && len(rep.Entries) > 0:
		// Several kinds, and only some baselines invalid: the others' resources were checked.
		return &exitErr{code: exitError, msg: "baseline unusable, nothing of its kind checked: " + rep.Baseline.Error}
	case !rep.Baseline.Valid:
		return &exitErr{code: exitError, msg: "baseline unusable, nothing checked: " + rep.Baseline.Error}
	case rep.Error != "":
		return &exitErr{code: exitError, msg: rep.Error}
	case !rep.Succeeded:
		return &exitErr{code: exitError, msg: fmt.Sprintf("run incomplete: %d failed, %d not started",
			rep.Totals[enforce.Failed], rep.Totals[enforce.NotStarted])}
	case rep.Totals[enforce.Drifted] > 0:
		return &exitErr{code: exitDrifted}
	}
	return nil
}

// fileBaseline serves a baseline read from a file as if it were the SSM parameter, version 0,
// so that the engine validates and applies it exactly as one from SSM.
type fileBaseline struct {
	name  string
	value string
}

var _ enforce.SSMAPI = fileBaseline{}

// GetParameter returns the file's content as the parameter's value.
func (b fileBaseline) GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: aws.String(b.name), Value: aws.String(b.value)}}, nil
}

// execute runs root with args and returns the process's exit code. It prints a command's
// error once, on stderr, and the usage only for a usage mistake.
func execute(ctx context.Context, root *cobra.Command, args []string) int {
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && err.Error() != "" {
		fmt.Fprintln(root.ErrOrStderr(), "corsguard:", err)
	}
	return codeOf(err)
}
