package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/corsguard/corsguard/cmd/corsguard/report"
	"github.com/corsguard/corsguard/controller"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/awsconfig"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// cliOptions carries what main leaves at its zero value and tests replace.
type cliOptions struct {
	// httpClient, when set, carries every AWS request (tests pass the emulator's client).
	httpClient aws.HTTPClient
	// credentials, when set, replace the SDK's credential chain (demo --report's dummy keys).
	credentials aws.CredentialsProvider
}

// addCommands adds the audit, apply, validate, diff and demo commands to root. Run root with
// execute, which prints a command's error once and returns the exit code it chose (exit.go).
func addCommands(root *cobra.Command, opts cliOptions) {
	root.AddCommand(newAuditCmd(opts), newApplyCmd(opts), newValidateCmd(), newDiffCmd(opts), newDemoCmd(), newProbeCmd(opts))
	root.AddCommand(newProfilesCmd(opts), newIAMPolicyCmd())
}

// DefaultBaselineParameter is the SSM parameter the CLI reads when neither --baseline-parameter
// nor --baseline-file is given: the SAM template's default.
const DefaultBaselineParameter = "/corsguard/baseline"

// awsFlags are the flags that say how to reach AWS. Unset ones leave the SDK's standard
// resolution in charge (environment, shared config and credentials files), as the aws CLI does.
type awsFlags struct {
	region, profile, endpointURL string
	httpClient                   aws.HTTPClient
	credentials                  aws.CredentialsProvider
}

func (f *awsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.region, "region", "", "AWS Region (default: AWS_REGION or the profile's region)")
	fs.StringVar(&f.profile, "profile", "", "shared config profile (default: AWS_PROFILE or default)")
	fs.StringVar(&f.endpointURL, "endpoint-url", "", "send every AWS request to this URL, such as an emulator (default: AWS_ENDPOINT_URL or AWS)")
}

// config loads the aws.Config the flags describe, with the retryer the Lambda uses.
func (f *awsFlags) config(ctx context.Context, extra ...awsconfig.Option) (aws.Config, error) {
	opts := []awsconfig.Option{}
	if f.region != "" {
		opts = append(opts, awsconfig.WithRegion(f.region))
	}
	if f.profile != "" {
		opts = append(opts, awsconfig.WithProfile(f.profile))
	}
	if f.endpointURL != "" {
		opts = append(opts, awsconfig.WithEndpoint(f.endpointURL))
	}
	cfg, err := awsconfig.Load(ctx, append(opts, extra...)...)
	if err == nil && f.httpClient != nil {
		cfg.HTTPClient = f.httpClient
	}
	if err == nil && f.credentials != nil {
		cfg.Credentials = f.credentials
	}
	return cfg, err
}

// registerBaselineFile adds --baseline-file, which replaces the baseline parameters.
func registerBaselineFile(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVar(file, "baseline-file", "", "read the baseline of every target from this file (\"-\" for stdin) instead of SSM")
	cmd.MarkFlagsMutuallyExclusive("baseline-parameter", "baseline-file")
	cmd.MarkFlagsMutuallyExclusive("s3-baseline-parameter", "baseline-file")
	cmd.MarkFlagsMutuallyExclusive("cloudfront-baseline-parameter", "baseline-file")
	_ = cmd.MarkFlagFilename("baseline-file", "json")
}

// baselineSource returns the client the engine reads the baseline through and the name the
// report gives the baseline: the SSM client and parameter, or file ("-" for in) read once and
// served as version 0 in place of the default baseline; the profiles' parameters are still
// read from SSM.
func baselineSource(in io.Reader, client *ssm.Client, file, parameter string) (enforce.SSMAPI, string, error) {
	if file == "" {
		return client, parameter, nil
	}
	name, data, err := readBaseline(in, file)
	if err != nil {
		return nil, "", err
	}
	return fileBaseline{name: name, value: string(data), ssm: client}, name, nil
}

// readBaseline reads a baseline file, or in for "-", and returns the name to show for it.
func readBaseline(in io.Reader, file string) (name string, data []byte, err error) {
	name = file
	if file == "-" {
		name = "<stdin>"
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read baseline: %w", err)
	}
	return name, data, nil
}

// sweepFlags are the flags of audit and apply.
type sweepFlags struct {
	aws      awsFlags
	settings settingFlags
	file     string
	format   string
	output   string
	chain    bool
	findings findingsFlags
	grace    time.Duration
}

func (f *sweepFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	f.aws.register(fs)
	f.settings.register(cmd)
	registerBaselineFile(cmd, &f.file)
	fs.BoolVar(&f.chain, "delivery-chain", true, "audit --target cloudfront: also check every distribution's cache behaviours for what breaks CORS in a browser (reads distributions and cache policies; writes nothing)")
	fs.StringVarP(&f.format, "format", "f", "", "output format: table, json, csv, html (one self-contained page), ocsf (OCSF Compliance Findings), or asff (the Security Hub findings instead of the report) (default: table on a terminal, else from the --output extension, else json)")
	f.findings.register(cmd)
	fs.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout (checked before anything is read or written in AWS)")
	fs.DurationVar(&f.grace, "grace", defaultGrace, "after Ctrl-C (SIGINT) or SIGTERM, how long the calls in flight may finish before they are cancelled; a second signal cancels them at once")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(sweepFormats(), cobra.ShellCompDirectiveNoFileComp))
}

// checkFormat checks --format (asff: the findings instead of the report) and --grace before
// anything else.
func (f *sweepFlags) checkFormat(cmd *cobra.Command) (format report.Format, asff bool, err error) {
	if asff = wantsASFF(f.format); !asff {
		if format, err = report.Choose(f.format, f.output, f.output == "" && isTerminal(cmd.OutOrStdout())); err != nil {
			return "", false, fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(sweepFormats(), ", "))
		}
	}
	if f.grace < 0 {
		return "", false, fmt.Errorf("--grace %v: must not be negative (0 cancels the calls in flight at the first signal)", f.grace)
	}
	return format, asff, nil
}

// openOutput checks where the report goes before anything is read or written in AWS: the
// file output (nil without one; discard is then a no-op) or, without one, stdout.
func openOutput(stdout io.Writer, output string) (*reportFile, error) {
	if output != "" {
		return openReport(output)
	}
	if err := probeWriter(stdout); err != nil {
		return nil, fmt.Errorf("stdout: cannot write the report: %w", err)
	}
	return nil, nil
}

// writeSweep writes the report in format, or the findings for asff, to out (a file it
// commits) or, without one, to stdout.
func writeSweep(stdout io.Writer, out *reportFile, rep *enforce.Report, format report.Format, asff bool, scope findings.Scope, meta report.Meta) error {
	write := func(w io.Writer) error { return report.WriteWith(w, rep, format, meta) }
	if asff {
		write = func(w io.Writer) error { return writeASFF(w, scope, rep) }
	}
	if out == nil {
		return write(stdout)
	}
	return out.commit(write)
}

// sweepFormats names every --format of audit and apply: the report's formats and asff.
func sweepFormats() []string {
	var names []string
	for _, f := range report.Formats() {
		names = append(names, string(f))
	}
	return append(names, formatASFF)
}

// settingFlags are the flags of the settings the CLI shares with the Lambda
// (config.Settings): each flag takes the string its environment variable takes, read by the
// same parser, so --exempt-tag owner=media means what CORSGUARD_EXEMPT_TAG=owner=media means.
type settingFlags struct {
	values map[string]*settingValue // by flag name
}

// settingValue is one setting's flag. A list setting's flag may be repeated; its values join
// with the setting's separator (a comma unless it says otherwise), the list syntax of the
// environment.
type settingValue struct {
	setting config.Setting
	def     string
	values  []string
}

func (v *settingValue) String() string {
	if v.values == nil {
		return v.def
	}
	return strings.Join(v.values, cmp.Or(v.setting.Sep, ","))
}

func (v *settingValue) Set(s string) error {
	if v.setting.List {
		v.values = append(v.values, s)
	} else {
		v.values = []string{s}
	}
	return nil
}

func (v *settingValue) Type() string {
	if v.setting.List {
		return "strings"
	}
	return "string"
}

func (f *settingFlags) register(cmd *cobra.Command) { f.registerOnly(cmd) }

// changed reports whether any of the registered settings was given.
func (f *settingFlags) changed() bool {
	for _, v := range f.values {
		if v.values != nil {
			return true
		}
	}
	return false
}

// registerOnly registers the flags of the settings read from the variables envs (every
// setting's when none is given).
func (f *settingFlags) registerOnly(cmd *cobra.Command, envs ...string) {
	f.values = map[string]*settingValue{}
	for _, s := range config.Settings() {
		if s.Flag == "" || (len(envs) > 0 && !slices.Contains(envs, s.Env)) {
			continue
		}
		v := &settingValue{setting: s, def: s.Default}
		if s.Env == config.BaselineParameter {
			v.def = DefaultBaselineParameter // the template's; the Lambda has no default
		}
		f.values[s.Flag] = v
		short := ""
		if s.Env == config.Targets {
			short = "t"
		}
		flag := cmd.Flags().VarPF(v, s.Flag, short, cmp.Or(s.FlagDoc, s.Doc)+" (as "+s.Env+")")
		flag.DefValue = v.def
		if s.Env == config.CloudFrontAddMissingCors {
			flag.NoOptDefVal = "true" // a switch: --cloudfront-add-missing-cors alone means true
		}
	}
	if cmd.Flags().Lookup("target") != nil {
		_ = cmd.RegisterFlagCompletionFunc("target", cobra.FixedCompletions(targetNames(), cobra.ShellCompDirectiveNoFileComp))
	}
}

// targetNames are the words --target takes: every kind, and all.
func targetNames() []string {
	var names []string
	for _, k := range policy.Kinds() {
		names = append(names, string(k))
	}
	return append(names, policy.AllKinds)
}

// apply sets the registered settings' values (their defaults when not given) on c, with the
// parsers of the settings table; every bad flag is reported at once.
func (f *settingFlags) apply(c *enforce.Config) error {
	var errs []error
	for _, s := range config.Settings() {
		if v := f.values[s.Flag]; s.Flag != "" && v != nil {
			if err := s.Apply(c, v.String()); err != nil {
				errs = append(errs, fmt.Errorf("--%s: %w", s.Flag, err))
			}
		}
	}
	return errors.Join(errs...)
}

// engineConfig maps the flags onto the engine's Config with the parsers the Lambda's
// environment goes through (config.Parse); settings the CLI has no flag for take their
// defaults, which are the Lambda's too. A flag for a kind that --target does not name is a
// mistake: it would change nothing.
func (f *settingFlags) engineConfig(cmd *cobra.Command) (enforce.Config, error) {
	cfg, err := config.Parse(func(s config.Setting) string {
		if v := f.values[s.Flag]; s.Flag != "" && v != nil {
			return v.String()
		}
		return ""
	}, func(s config.Setting) string {
		if s.Flag == "" {
			return s.Env
		}
		return "--" + s.Flag
	})
	if err != nil {
		return enforce.Config{}, err
	}
	for _, s := range config.Settings() {
		if s.Kind == "" || s.Flag == "" || !cmd.Flags().Changed(s.Flag) || cfg.Enforces(s.Kind) {
			continue
		}
		hint := ""
		if s.Kind == policy.MediaStore {
			hint = "; for buckets use --s3-" + s.Flag
		}
		return enforce.Config{}, fmt.Errorf("--%s applies to %s, which --target does not name%s", s.Flag, s.Kind, hint)
	}
	return cfg, nil
}

// sweep runs one audit or enforce sweep of every matching container and bucket of the
// targets, and writes the report. --output is checked before the first AWS call. The first
// Ctrl-C (or SIGTERM) starts nothing new and lets the calls in flight finish within --grace;
// a second one cancels them. The report of what was done is still written, and says which.
func (f *sweepFlags) sweep(cmd *cobra.Command, mode enforce.Mode, reason string) error {
	format, asff, err := f.checkFormat(cmd)
	if err != nil {
		return err
	}
	cfg, err := f.settings.engineConfig(cmd)
	if err != nil {
		return err
	}
	out, err := openOutput(cmd.OutOrStdout(), f.output)
	if err != nil {
		return err
	}
	defer out.discard()
	in, unwatch := watchSignals(cmd.Context(), cmd.ErrOrStderr(), f.grace)
	defer unwatch()
	ctx := in.calls

	awsCfg, err := f.aws.config(ctx)
	if err != nil {
		return err
	}
	who := &caller{cfg: awsCfg}
	if ctx, err = ownAccount(ctx, who, cfg.Targets); err != nil {
		return err
	}
	params, name, err := baselineSource(cmd.InOrStdin(), ssm.NewFromConfig(awsCfg), f.file, cfg.Parameter)
	if err != nil {
		return err
	}
	cfg.Parameter = name
	var scope findings.Scope
	if asff || format == report.OCSF || f.findings.securityHub {
		if scope, err = findingsScope(ctx, who, awsCfg.Region); err != nil {
			return err
		}
	}
	var meta report.Meta
	if format == report.HTML || format == report.OCSF {
		// Asked before the run: its context is over once the run is interrupted.
		meta = runMeta(ctx, cmd, who, scope, awsCfg.Region, cfg.Targets)
	}
	bar := report.NewProgress(cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr()), string(mode))
	cfg.OnTargets, cfg.OnEntry = bar.Start, bar.Entry
	engine, err := enforce.New(cfg, params, awsclient.Stores(awsCfg, cfg.Targets,
		awsclient.WithCloudFrontOptions(enforce.CloudFrontOptions{AddMissingCors: cfg.CloudFrontAddMissingCors}))...)
	if err != nil {
		return err
	}
	// The CLI's mode is its command: it is the ceiling too. In-process, one report.
	ctl := controller.New(engine, controller.Config{Mode: mode})
	rep := ctl.Serve(ctx, controller.Request{Work: enforce.Work{Mode: mode, Reason: reason, Stop: in.stop}, Direct: true}).Report
	bar.Finish()
	if mode == enforce.ModeAudit && f.chain && slices.Contains(cfg.Targets, policy.CloudFront) && in.stop.Err() == nil {
		rep.DeliveryChain = engine.CheckChain(ctx, cloudfront.NewFromConfig(awsCfg))
		if rep.DeliveryChain.Error != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), "corsguard: delivery-chain check incomplete:", rep.DeliveryChain.Error)
		}
	}
	unwatch()
	if why := in.why(); why != "" {
		// The run as a whole did not finish: the report says so, and the exit status is 1.
		rep.Error = strings.Join(slices.DeleteFunc([]string{rep.Error, why}, func(s string) bool { return s == "" }), "; ")
		rep.Succeeded = false
	}
	meta.Generated = time.Now().UTC()
	if err := writeSweep(cmd.OutOrStdout(), out, rep, format, asff, scope, meta); err != nil {
		return err
	}
	if f.findings.securityHub {
		// An interrupted sweep did not see everything: it archives nothing.
		if err := publish(cmd.Context(), cmd, awsCfg, scope, rep, cfg.Targets, in.why() == ""); err != nil {
			return err
		}
	}
	return verdict(rep)
}

// verdict turns a report into the command's result: nil when every matching container and
// bucket complies (or was repaired), exit 3 when one drifted, exit 1 when the run or a
// resource failed, a baseline was unusable, the run was interrupted, or a baseline changed
// while it ran.
func verdict(rep *enforce.Report) error {
	switch {
	case !rep.Baseline.Valid && len(rep.Entries) > 0:
		// Several kinds, and only some baselines invalid: the others' resources were checked.
		return &exitErr{code: exitError, msg: "baseline unusable, nothing of its kind checked: " + rep.Baseline.Error}
	case !rep.Baseline.Valid:
		return &exitErr{code: exitError, msg: "baseline unusable, nothing checked: " + rep.Baseline.Error}
	case rep.Error != "":
		return &exitErr{code: exitError, msg: rep.Error}
	case rep.BaselineChangedDuringRun:
		// What this run checked or wrote was the old baseline; its report is not the estate's.
		return &exitErr{code: exitError, msg: "the baseline changed during the run: the estate no longer matches the current baseline; run again"}
	case !rep.Succeeded:
		return &exitErr{code: exitError, msg: fmt.Sprintf("run incomplete: %d failed, %d not started",
			rep.Totals[enforce.Failed], rep.Totals[enforce.NotStarted])}
	case rep.Totals[enforce.Drifted] > 0:
		return &exitErr{code: exitDrifted}
	}
	return nil
}

// fileBaseline serves a baseline read from a file as if it were the SSM parameter, version 0,
// so that the engine validates and applies it exactly as one from SSM. It stands for the
// default baseline only: every other parameter (a profile's) is read from ssm, so that a
// resource whose profile is missing fails rather than taking the file's baseline.
type fileBaseline struct {
	name  string
	value string
	ssm   enforce.SSMAPI
}

var _ enforce.SSMAPI = fileBaseline{}

// GetParameter returns the file's content as the value of the parameter named as the file,
// and asks SSM for any other.
func (b fileBaseline) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if aws.ToString(in.Name) != b.name {
		return b.ssm.GetParameter(ctx, in, optFns...)
	}
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

// caller is the identity of the CLI's credentials, asked of sts:GetCallerIdentity (allowed to
// every identity; no IAM permission needed) at most once per command: S3's ExpectedBucketOwner
// and Security Hub's findings both need its account.
type caller struct {
	cfg aws.Config
	out *sts.GetCallerIdentityOutput
}

func (c *caller) identity(ctx context.Context) (*sts.GetCallerIdentityOutput, error) {
	if c.out == nil {
		out, err := sts.NewFromConfig(c.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, err
		}
		c.out = out
	}
	return c.out, nil
}

// ownAccount returns ctx carrying the account of the CLI's credentials when S3 is among the
// targets: every bucket call then sends it as ExpectedBucketOwner, and S3 refuses to let a
// bucket of another account be read or written under a name we were given.
func ownAccount(ctx context.Context, who *caller, targets []policy.Kind) (context.Context, error) {
	if !slices.Contains(targets, policy.S3) {
		return ctx, nil
	}
	out, err := who.identity(ctx)
	if err != nil {
		return ctx, fmt.Errorf("learn the account of the credentials (sts:GetCallerIdentity), which S3 calls name as ExpectedBucketOwner: %w", err)
	}
	return enforce.WithAccount(ctx, aws.ToString(out.Account)), nil
}
