package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/events"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/awsconfig"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

// TestCLIAndLambdaAuditsAgree audits one account state twice, with the CLI and with the
// Lambda handler on a direct {"action":"audit"} invocation, and requires equal reports apart
// from the timings and the reason (which says who asked).
func TestCLIAndLambdaAuditsAgree(t *testing.T) {
	a := newAccount(t)

	cli := parseReport(t, a.sweep(t, "audit", "--format", "json"))

	lambda := lambdaAudit(t, a.url, map[string]string{config.BaselineParameter: DefaultBaselineParameter, config.Exclude: "test-*"})

	if cli.Reason == lambda.Reason {
		t.Errorf("both reasons are %q; the test no longer tells the two runs apart", cli.Reason)
	}
	assertSameReport(t, cli, lambda)
	if len(cli.Entries) != 4 || cli.Totals[enforce.Drifted] != 2 {
		t.Errorf("the audit saw %d containers, %d drifted; want 4 and 2", len(cli.Entries), cli.Totals[enforce.Drifted])
	}
}

// lambdaAudit runs the Lambda handler, configured by env as the function's environment would
// be, on a direct {"action":"audit"} invocation against the emulator at url, and returns its
// report as the function's caller receives it: through JSON, as the CLI's was.
func lambdaAudit(t *testing.T, url string, env map[string]string) *enforce.Report {
	t.Helper()
	awsCfg, err := awsconfig.Load(context.Background(), awsconfig.WithEndpoint(url))
	must(t, err)
	awsCfg.HTTPClient = emulator.HTTPClient()
	h, _, err := handler.FromEnvironment(func(k string) string { return env[k] }, awsCfg,
		handler.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), handler.WithMetrics(io.Discard))
	must(t, err)
	event, err := events.Sample("direct-audit.json")
	must(t, err)
	res, err := h.Invoke(context.Background(), event)
	must(t, err)
	data, err := json.Marshal(res.Report)
	must(t, err)
	var lambda enforce.Report
	must(t, json.Unmarshal(data, &lambda))
	return &lambda
}

// assertSameReport requires equal reports apart from the timings and the reason (which says
// who asked).
func assertSameReport(t *testing.T, cli, lambda *enforce.Report) {
	t.Helper()
	ignore := cmp.Options{
		cmpopts.IgnoreFields(enforce.Report{}, "Started", "Duration", "Reason"),
		cmpopts.IgnoreFields(enforce.Entry{}, "Duration"),
	}
	if diff := cmp.Diff(cli, lambda, ignore); diff != "" {
		t.Errorf("CLI and Lambda audits differ (-cli +lambda):\n%s", diff)
	}
}
