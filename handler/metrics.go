package handler

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/corsguard/corsguard/enforce"
)

// metric names besides one per outcome (named by MetricName).
const (
	// MetricBaselineInvalid is 1 when a run found the baseline missing or invalid.
	MetricBaselineInvalid = "BaselineInvalid"
	// MetricRunFailed is 1 when a run returned an error (and Lambda will retry the event):
	// some failure was retryable.
	MetricRunFailed = "RunFailed"
	// MetricTerminalFailures counts the failures of a run that no retry can fix (denied,
	// invalid, a missing or invalid baseline); they are not retried, so the template alarms
	// on this metric.
	MetricTerminalFailures = "TerminalFailures"
	// MetricBaselineDeleted is 1 when the baseline parameter was deleted.
	MetricBaselineDeleted = "BaselineDeleted"
	// MetricBaselineChanged is 1 when the baseline moved while a run was under way.
	MetricBaselineChanged = "BaselineChangedDuringRun"
	// MetricFindingsFailed counts the Security Hub findings refused (FailedFindings), plus one
	// when the calls failed as a whole; any of them also counts one TerminalFailures (alarmed).
	MetricFindingsFailed = "FindingsFailed"
	// MetricForeignRecords counts the SQS records of another queue than the function's own:
	// never acted on, never given back.
	MetricForeignRecords = "ForeignRecords"
)

// DimensionMode is the one dimension of every metric: the run's mode.
const DimensionMode = "Mode"

// metricName is the CloudWatch metric counting an outcome: "not_started" is "NotStarted".
func metricName(o enforce.Outcome) string {
	var b strings.Builder
	for part := range strings.SplitSeq(string(o), "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// metric is one value of an EMF document.
type metric struct {
	Name  string
	Value float64
}

// reportMetrics are the metrics of one run: a count per outcome, BaselineInvalid,
// BaselineChangedDuringRun, RunFailed and TerminalFailures.
func reportMetrics(r *enforce.Report, failed bool) []metric {
	var ms []metric
	for _, o := range enforce.Outcomes() {
		ms = append(ms, metric{metricName(o), float64(r.Totals[o])})
	}
	return append(ms,
		metric{MetricBaselineInvalid, flag(!r.Baseline.Valid)},
		metric{MetricBaselineChanged, flag(r.BaselineChangedDuringRun)},
		metric{MetricRunFailed, flag(failed)},
		metric{MetricTerminalFailures, float64(r.TerminalFailures())},
	)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// emfMetadata is the "_aws" member of the CloudWatch Embedded Metric Format specification.
type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfDirective struct {
	Namespace  string          `json:"Namespace"`
	Dimensions [][]string      `json:"Dimensions"`
	Metrics    []emfDefinition `json:"Metrics"`
}

type emfDefinition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// emf renders metrics as one CloudWatch Embedded Metric Format document (a single line, ending
// in a newline): every metric a Count in namespace, with the dimension Mode.
func emf(namespace string, mode enforce.Mode, at time.Time, metrics []metric) ([]byte, error) {
	doc := map[string]any{DimensionMode: string(mode)}
	directive := emfDirective{Namespace: namespace, Dimensions: [][]string{{DimensionMode}}}
	for _, m := range metrics {
		directive.Metrics = append(directive.Metrics, emfDefinition{Name: m.Name, Unit: "Count"})
		doc[m.Name] = m.Value
	}
	doc["_aws"] = emfMetadata{Timestamp: at.UnixMilli(), CloudWatchMetrics: []emfDirective{directive}}
	line, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("emf: %w", err)
	}
	return append(line, '\n'), nil
}
