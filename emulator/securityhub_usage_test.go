package emulator_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestIngestedFindingsAreCountedAsSecurityHubBillsThem counts the findings BatchImportFindings
// accepted, new and updated alike, and leaves out the ones it refused: what Security Hub CSPM
// bills as finding ingestion events. ResetCalls starts the count again.
func TestIngestedFindingsAreCountedAsSecurityHubBillsThem(t *testing.T) {
	f := newHubFixture(t)
	c := securityHubClient(f.url)
	bad := finding("bad", 1)
	bad.SchemaVersion = aws.String("2020-01-01") // not ASFF's: refused in FailedFindings
	importFindings(t, c, finding("a", 1), finding("b", 1), bad)
	importFindings(t, c, finding("a", 2)) // an update is an ingestion event too
	if got := f.emu.FindingsIngested(); got != 3 {
		t.Errorf("FindingsIngested %d, want 3 (two new, one update; the refused one not)", got)
	}
	f.emu.ResetCalls()
	if got := f.emu.FindingsIngested(); got != 0 {
		t.Errorf("after ResetCalls: %d, want 0", got)
	}
}

// TestAgedFindingsAreOlderByTheAgeGiven moves every finding's timestamps into the past, as a
// benchmark does to reach a sweep after the refresh period: GetFindings reads them older, and
// the next import of the same finding is later again, so it updates it.
func TestAgedFindingsAreOlderByTheAgeGiven(t *testing.T) {
	f := newHubFixture(t)
	c := securityHubClient(f.url)
	importFindings(t, c, finding("a", 10))
	f.emu.AgeFindings(31 * 24 * time.Hour)
	got := getFindings(t, c, nil)
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1", len(got))
	}
	for name, v := range map[string]*string{"CreatedAt": got[0].CreatedAt, "UpdatedAt": got[0].UpdatedAt} {
		at, err := time.Parse(time.RFC3339Nano, aws.ToString(v))
		want := epoch.Add(-31 * 24 * time.Hour)
		if name == "UpdatedAt" {
			want = want.Add(10 * time.Second)
		}
		if err != nil || !at.Equal(want) {
			t.Errorf("%s %s, want %s", name, aws.ToString(v), want.Format(time.RFC3339))
		}
	}
	importFindings(t, c, finding("a", 0)) // epoch: after the aged UpdatedAt
	if got := getFindings(t, c, nil); aws.ToString(got[0].UpdatedAt) != epoch.Format(time.RFC3339) {
		t.Errorf("the import after ageing left UpdatedAt %s", aws.ToString(got[0].UpdatedAt))
	}
}
