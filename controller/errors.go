package controller

import (
	"fmt"
	"strings"

	"github.com/corsguard/corsguard/enforce"
)

// RunError is the invocation's error when a request left work that a retry can fix: a failure
// marked retryable (throttling or server errors past the SDK's retries, a timeout, a resource
// still busy), a resource not started before the deadline, a baseline or listing that could not
// be read for such a reason. Returning it makes Lambda retry the event and then hand it to the
// on-failure destination. Terminal failures (denied, invalid, a missing or invalid baseline)
// never make one: they are logged at ERROR and counted in the TerminalFailures metric.
type RunError struct {
	Report *enforce.Report
}

// runError returns the *RunError of r when a retry can fix some of it, nil otherwise.
func runError(r *enforce.Report) error {
	if r.RetryableFailures() > 0 {
		return &RunError{Report: r}
	}
	return nil
}

// Error says what did not finish, leading with the run's own error when it has one.
func (e *RunError) Error() string {
	r := e.Report
	if !r.Baseline.Valid && r.Baseline.Error != "" && r.Baseline.Retryable {
		return fmt.Sprintf("baseline %s unreadable for now, nothing changed: %s", r.Baseline.Parameter, r.Baseline.Error)
	}
	var parts []string
	if r.Error != "" {
		parts = append(parts, "run failed: "+r.Error)
	}
	for _, k := range r.KindErrors {
		if k.Retryable {
			parts = append(parts, fmt.Sprintf("%s not planned: %s", k.Kind, k.Error))
		}
	}
	if r.Totals[enforce.Failed] > 0 || r.Totals[enforce.NotStarted] > 0 || len(parts) == 0 {
		parts = append(parts, e.incomplete())
	}
	return strings.Join(parts, "; ")
}

// incomplete names the resources that failed or were not started, those a retry can fix first.
func (e *RunError) incomplete() string {
	r := e.Report
	var names []string
	terminal := 0
	for _, e := range r.Entries {
		switch {
		case e.Outcome != enforce.Failed && e.Outcome != enforce.NotStarted:
		case e.Retryable:
			names = append(names, e.Name+" "+string(e.Outcome))
		default:
			terminal++
		}
	}
	const show = 5
	if len(names) > show {
		names = append(names[:show], fmt.Sprintf("and %d more", len(names)-show))
	}
	msg := fmt.Sprintf("run incomplete: %d failed, %d not started: %s",
		r.Totals[enforce.Failed], r.Totals[enforce.NotStarted], strings.Join(names, ", "))
	if terminal > 0 {
		msg += fmt.Sprintf(" (%d of them terminal, not named: a retry cannot fix them)", terminal)
	}
	return msg
}
