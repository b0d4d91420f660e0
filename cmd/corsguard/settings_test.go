package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// cliConfig parses args as audit's and apply's flags and returns the engine configuration
// they map to, as sweep builds it.
func cliConfig(t *testing.T, args []string) (enforce.Config, error) {
	t.Helper()
	var f sweepFlags
	cmd := &cobra.Command{Use: "audit"}
	f.register(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("flags %q: %v", args, err)
	}
	return f.settings.engineConfig(cmd)
}

// lambdaConfig loads env as the function's environment and returns its engine configuration.
func lambdaConfig(env map[string]string) (enforce.Config, error) {
	c, err := config.Load(func(k string) string { return env[k] })
	return c.Engine, err
}

// bothWays gives the same strings to the Lambda (as variables) and to the CLI (as flags), one
// string per setting named by its variable.
func bothWays(t *testing.T, values map[string]string) (cli, lambda enforce.Config, cliErr, lambdaErr error) {
	t.Helper()
	// The function runs in us-east-1, where it may enforce the cloudfront target.
	env := map[string]string{config.BaselineParameter: DefaultBaselineParameter, "AWS_REGION": config.CloudFrontRegion}
	var args []string
	for _, s := range config.Settings() {
		v, ok := values[s.Env]
		if !ok {
			continue
		}
		if s.Flag == "" {
			t.Fatalf("%s has no flag; the table may only give settings both front ends read", s.Env)
		}
		env[s.Env] = v
		args = append(args, "--"+s.Flag+"="+v)
	}
	cli, cliErr = cliConfig(t, args)
	lambda, lambdaErr = lambdaConfig(env)
	return cli, lambda, cliErr, lambdaErr
}

func TestTheCLIAndTheLambdaReadEverySharedSettingAlike(t *testing.T) {
	every := map[string]string{
		config.BaselineParameter: "/team/baseline",
		config.Include:           "live-*, vod-*",
		config.Exclude:           "*-test",
		config.ExemptTag:         "owner=media",
		config.Workers:           "8",
		config.Rate:              "2.5",
		config.BackoffBase:       "200ms",
		config.BackoffCap:        "3s",
		config.Targets:           "s3,mediastore,cloudfront,lambda-url,http-api",
		config.S3Parameter:       "/team/s3-baseline",
		config.S3Include:         "media-*",
		config.S3Exclude:         "media-logs",

		config.CloudFrontParameter:      "/team/cloudfront-baseline",
		config.CloudFrontInclude:        "media-*",
		config.CloudFrontExclude:        "legacy-*",
		config.CloudFrontAddMissingCors: "true",

		config.APIParameter:     "/team/api-baseline",
		config.LambdaURLInclude: "shop-*",
		config.LambdaURLExclude: "shop-test",
		config.HTTPAPIInclude:   "public-*",
		config.HTTPAPIExclude:   "public-legacy",
		config.LambdaRate:       "2",
		config.APIGatewayRate:   "1.5",
		config.SSMRate:          "4",
		config.ProfileTag:       "cors-role",
		config.ProfilePatterns:  "uploads=upload-*,ingest-*;partners=partner-*",
		config.ProfilesPath:     "/team/profiles/",
	}
	// The table must name every setting that has both a variable and a flag: a setting added
	// to config.Settings is held to the same meaning in both front ends from the start.
	for _, s := range config.Settings() {
		if _, ok := every[s.Env]; !ok && s.Flag != "" {
			t.Errorf("%s (--%s) is missing from this test's table", s.Env, s.Flag)
		}
	}
	for _, tc := range []struct {
		name   string
		values map[string]string
	}{
		{"every setting", every},
		{"the defaults", map[string]string{}},
		{"a tag key alone means the value true", map[string]string{config.ExemptTag: "hands-off"}},
		{"a tag value may hold =", map[string]string{config.ExemptTag: "owner=media=live"}},
		{"a tag with an empty value", map[string]string{config.ExemptTag: "owner="}},
		{"every target", map[string]string{config.Targets: "all"}},
		{"buckets only", map[string]string{config.Targets: "S3", config.S3Exclude: "logs-*"}},
		{"policies only", map[string]string{config.Targets: "cloudfront", config.CloudFrontParameter: "/cf", config.CloudFrontAddMissingCors: "FALSE"}},
		{"a whole-number rate", map[string]string{config.Rate: "1000"}},
		{"a backoff in minutes", map[string]string{config.BackoffBase: "1m", config.BackoffCap: "1m30s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli, lambda, cliErr, lambdaErr := bothWays(t, tc.values)
			if cliErr != nil || lambdaErr != nil {
				t.Fatalf("CLI: %v; Lambda: %v", cliErr, lambdaErr)
			}
			if diff := cmp.Diff(lambda, cli); diff != "" {
				t.Errorf("configurations differ (-lambda +cli):\n%s", diff)
			}
		})
	}

	t.Run("owner=media is the key owner with the value media", func(t *testing.T) {
		cli, lambda, _, _ := bothWays(t, map[string]string{config.ExemptTag: "owner=media"})
		for who, c := range map[string]enforce.Config{"CLI": cli, "Lambda": lambda} {
			if c.ExemptTagKey != "owner" || c.ExemptTagValue != "media" {
				t.Errorf("%s: tag key %q, value %q; want owner, media", who, c.ExemptTagKey, c.ExemptTagValue)
			}
		}
	})
}

func TestTheCLIAndTheLambdaRefuseTheSameValues(t *testing.T) {
	for _, tc := range []struct {
		env, value string
	}{
		{config.BaselineParameter, "/team baseline"},
		{config.Include, "live-["},
		{config.Exclude, "["},
		{config.ExemptTag, "=media"},
		{config.ExemptTag, strings.Repeat("k", 129)},
		{config.Workers, "0"},
		{config.Workers, "101"},
		{config.Workers, "four"},
		{config.Rate, "0"},
		{config.Rate, "1001"},
		{config.Rate, "NaN"},
		{config.BackoffBase, "100"},
		{config.BackoffCap, "-1s"},
		{config.BackoffCap, "500ms"}, // under the default base
		{config.Targets, "gcs"},
		{config.Targets, ","},
		{config.S3Parameter, "/s3 baseline"},
		{config.CloudFrontParameter, "/cf baseline"},
		{config.CloudFrontInclude, "["},
		{config.CloudFrontAddMissingCors, "yes"},
		{config.ProfileTag, "corsguard:profile=uploads"},
		{config.ProfileTag, "corsguard:exempt"},
		{config.ProfilePatterns, "uploads"},
		{config.ProfilePatterns, "a/b=x"},
		{config.ProfilePatterns, "a=x;a=y"},
		{config.ProfilesPath, "/corsguard/profiles"},
		{config.ProfilesPath, "/aws/profiles/"},
	} {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			values := map[string]string{tc.env: tc.value}
			if strings.HasPrefix(tc.env, "CORSGUARD_S3_") {
				values[config.Targets] = "all"
			}
			if strings.HasPrefix(tc.env, "CORSGUARD_CLOUDFRONT_") {
				values[config.Targets] = "cloudfront"
				if tc.env != config.CloudFrontParameter {
					values[config.CloudFrontParameter] = "/cf"
				}
			}
			_, _, cliErr, lambdaErr := bothWays(t, values)
			if cliErr == nil || lambdaErr == nil {
				t.Fatalf("CLI: %v; Lambda: %v; want both to refuse it", cliErr, lambdaErr)
			}
			// The same message, once the flags are read as the variables they stand for.
			cliMsg := cliErr.Error()
			for _, s := range config.Settings() {
				if s.Flag != "" {
					cliMsg = strings.ReplaceAll(cliMsg, "--"+s.Flag+":", s.Env+":")
					cliMsg = strings.ReplaceAll(cliMsg, "--"+s.Flag+" ", s.Env+" ")
				}
			}
			lambdaMsg := lambdaErr.Error()
			if lambdaMsg != cliMsg {
				t.Errorf("different refusals:\n Lambda: %s\n CLI:    %s", lambdaErr, cliErr)
			}
		})
	}
}

// Repeated --profile-pattern flags mean what CORSGUARD_PROFILE_PATTERNS means with the same
// patterns joined by ";" (a comma separates one pattern's globs), in the order given.
func TestRepeatedProfilePatternFlagsAreTheVariablesPatterns(t *testing.T) {
	cli, err := cliConfig(t, []string{"--profile-pattern", "uploads=upload-*,ingest-*", "--profile-pattern=partners=partner-*"})
	if err != nil {
		t.Fatal(err)
	}
	lambda, err := lambdaConfig(map[string]string{config.BaselineParameter: DefaultBaselineParameter,
		config.ProfilePatterns: "uploads=upload-*,ingest-*;partners=partner-*"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lambda, cli); diff != "" {
		t.Errorf("configurations differ (-lambda +cli):\n%s", diff)
	}
	if len(cli.ProfilePatterns) != 2 || cli.ProfilePatterns[0].Name != "uploads" || len(cli.ProfilePatterns[0].Globs) != 2 {
		t.Errorf("patterns %+v; want uploads (two globs) then partners", cli.ProfilePatterns)
	}
}
