package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
)

// newProfilesCmd lists every matching resource with the baseline it gets (docs/profiles.md).
func newProfilesCmd(opts cliOptions) *cobra.Command {
	var (
		awsF     = awsFlags{httpClient: opts.httpClient}
		settings settingFlags
		file     string
		format   string
	)
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List every matching resource with its profile, the reason (tag, pattern or default) and its baseline parameter",
		Long: `Profiles lists every matching container, bucket or response headers policy of the targets
with the baseline a run holds it to: the profile its tag names (--profile-tag, default
corsguard:profile), else the first --profile-pattern whose glob matches its name, else its
kind's default baseline; with the profile's parameter (<--profiles-path><kind>/<NAME>) and
version. It reads tags as a sweep does (S3's in bulk through the Tagging API) and writes
nothing; the exemption tag is not looked at (audit reports exempt resources).

Exit status: 0 when every resource's baseline can be used, 1 when a resource names a missing
or invalid profile (or a kind could not be listed).`,
		Example: `  corsguard profiles --target s3 --profile-pattern 'uploads=upload-*,ingest-*' --profile-pattern 'partners=partner-*'
  corsguard profiles --target all --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := settings.engineConfig(cmd)
			if err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return fmt.Errorf("output format %q: want table or json", format)
			}
			ctx := cmd.Context()
			awsCfg, err := awsF.config(ctx)
			if err != nil {
				return err
			}
			if ctx, err = ownAccount(ctx, &caller{cfg: awsCfg}, cfg.Targets); err != nil {
				return err
			}
			params, name, err := baselineSource(cmd.InOrStdin(), ssm.NewFromConfig(awsCfg), file, cfg.Parameter)
			if err != nil {
				return err
			}
			cfg.Parameter = name
			engine, err := enforce.New(cfg, params, awsclient.Stores(awsCfg, cfg.Targets)...)
			if err != nil {
				return err
			}
			l := engine.Profiles(ctx)
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				err = enc.Encode(l)
			} else {
				err = writeProfiles(cmd.OutOrStdout(), l)
			}
			if err != nil {
				return err
			}
			switch {
			case l.Error != "":
				return fmt.Errorf("listing: %s", l.Error)
			case l.Unusable() > 0:
				return fmt.Errorf("%d resource(s) name a missing or invalid profile", l.Unusable())
			}
			return nil
		},
	}
	awsF.register(cmd.Flags())
	settings.register(cmd)
	registerBaselineFile(cmd, &file)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")
	return cmd
}

// writeProfiles writes the listing as aligned columns, the problem of an unusable profile in
// the last one.
func writeProfiles(w io.Writer, l *enforce.ProfileListing) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tPROFILE\tREASON\tPARAMETER\tVERSION\tPROBLEM")
	for _, e := range l.Entries {
		version := "-"
		if e.Version > 0 {
			version = fmt.Sprint(e.Version)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Kind, cmp.Or(e.Profile, "-"), cmp.Or(string(e.Source), "-"),
			cmp.Or(e.Parameter, "-"), version, e.Error)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(l.Excluded) > 0 {
		fmt.Fprintf(w, "\nexcluded  %s\n", strings.Join(l.Excluded, ", "))
	}
	return nil
}
