package handler

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
)

func TestMetricNameIsTheOutcomeInPascalCase(t *testing.T) {
	want := map[enforce.Outcome]string{
		enforce.Compliant: "Compliant", enforce.Remediated: "Remediated", enforce.Drifted: "Drifted",
		enforce.Exempt: "Exempt", enforce.Gone: "Gone", enforce.Failed: "Failed", enforce.NotStarted: "NotStarted",
	}
	for _, o := range enforce.Outcomes() {
		if got := metricName(o); got != want[o] {
			t.Errorf("MetricName(%q) = %q, want %q", o, got, want[o])
		}
	}
}

// TestEMFWritesTheSpecificationsEnvelope checks the document against the EMF specification's
// shape: a root "_aws" member with Timestamp (epoch milliseconds) and CloudWatchMetrics, each
// directive with Namespace, Dimensions (a list of dimension sets) and Metrics (Name, Unit); and
// the values of every dimension and metric as root members.
func TestEMFWritesTheSpecificationsEnvelope(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 26, 53, 250e6, time.UTC)
	doc, err := emf("CorsGuard", enforce.ModeAudit, at, []metric{{"Drifted", 2}, {"RunFailed", 0}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(doc); doc[n-1] != '\n' || !json.Valid(doc[:n-1]) {
		t.Fatalf("not one JSON line: %q", doc)
	}
	var got map[string]any
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"_aws": map[string]any{
			"Timestamp": float64(at.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "CorsGuard",
				"Dimensions": []any{[]any{"Mode"}},
				"Metrics": []any{
					map[string]any{"Name": "Drifted", "Unit": "Count"},
					map[string]any{"Name": "RunFailed", "Unit": "Count"},
				},
			}},
		},
		"Mode":      "audit",
		"Drifted":   float64(2),
		"RunFailed": float64(0),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("EMF document (-want +got):\n%s", d)
	}
}

func TestReportMetricsCountEveryOutcomeAndTheRunsFlags(t *testing.T) {
	r := &enforce.Report{
		Baseline:                 enforce.Baseline{Valid: false},
		Totals:                   map[enforce.Outcome]int{enforce.Remediated: 3, enforce.NotStarted: 1},
		BaselineChangedDuringRun: true,
	}
	want := []metric{
		{"Compliant", 0}, {"Remediated", 3}, {"Drifted", 0}, {"Exempt", 0}, {"Gone", 0}, {"Failed", 0}, {"NotStarted", 1},
		{"BaselineInvalid", 1}, {"BaselineChangedDuringRun", 1}, {"RunFailed", 1}, {"TerminalFailures", 1},
	}
	if d := cmp.Diff(want, reportMetrics(r, true)); d != "" {
		t.Errorf("metrics (-want +got):\n%s", d)
	}
}
