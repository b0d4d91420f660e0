package main

import (
	"context"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/corsguard/corsguard/cmd/corsguard/report"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// runMeta is what the HTML and OCSF reports say beyond the engine's report: the account (the
// findings scope's when the run already asked sts:GetCallerIdentity, else asked now; an HTML
// report of an account that cannot be named says "unknown" rather than fail the run), the
// Regions, corsguard's version and the command line that reproduces the run.
func runMeta(ctx context.Context, cmd *cobra.Command, who *caller, scope findings.Scope, region string, targets []policy.Kind) report.Meta {
	m := report.Meta{Account: scope.Account, Partition: scope.Partition, Regions: []string{region},
		Version: version(), Command: commandLine(cmd)}
	if m.Account == "" {
		if out, err := who.identity(ctx); err == nil {
			m.Account = aws.ToString(out.Account)
		} else {
			m.Account = "unknown (sts:GetCallerIdentity: " + err.Error() + ")"
		}
	}
	if slices.Contains(targets, policy.CloudFront) {
		m.Regions = append(m.Regions, "global (CloudFront)")
	}
	return m
}

// commandLine is the command as a shell would run it again: the command's path and every flag
// that was set, in the order the help lists them, each value quoted for a POSIX shell.
func commandLine(cmd *cobra.Command) string {
	parts := strings.Fields(cmd.CommandPath())
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Changed {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				parts = append(parts, "--"+f.Name+"="+shellQuote(v))
			}
			return
		}
		if f.Value.Type() == "bool" {
			parts = append(parts, "--"+f.Name+"="+f.Value.String())
			return
		}
		parts = append(parts, "--"+f.Name+"="+shellQuote(f.Value.String()))
	})
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// version is corsguard's version as the Go toolchain recorded it: the module version, or the
// VCS commit (marked +dirty when the tree had changes) of a build from a checkout.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+dirty"
		}
		if v == "" || v == "(devel)" {
			return "commit " + rev
		}
		return v + " (commit " + rev + ")"
	}
	if v == "" || v == "(devel)" {
		return "development build (no version or commit recorded)"
	}
	return v
}
