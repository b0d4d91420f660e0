package emulator

import "time"

// addIngested counts n findings that BatchImportFindings accepted.
func (c *counter) addIngested(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ingested += n
}

// FindingsIngested returns the findings BatchImportFindings accepted since the last ResetCalls
// (the sum of its SuccessCount): Security Hub CSPM bills each one as a finding ingestion
// event, a new finding or an update alike (https://aws.amazon.com/security-hub/cspm/pricing/).
// Refused findings (FailedFindings) and throttled calls are not counted.
func (e *Emulator) FindingsIngested() int {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return e.calls.ingested
}

// findingTimes are the timestamps of a finding that AgeFindings moves.
var findingTimes = []string{"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt", "ProcessedAt"}

// AgeFindings moves the timestamps of every stored finding d into the past, as if each had
// been imported d earlier: what a benchmark needs to see a sweep after a finding's refresh
// period without waiting for it. It counts no call.
func (e *Emulator) AgeFindings(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range e.findings {
		for _, field := range findingTimes {
			s, ok := f[field].(string)
			if !ok {
				continue
			}
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				f[field] = t.Add(-d).UTC().Format("2006-01-02T15:04:05.000Z")
			}
		}
	}
}
