package corscases

import (
	"encoding/json"
	"testing"

	"github.com/corsguard/corsguard/policy"
)

// Emulated reads the CORS rules the emulator reports for a container or bucket (nil: none)
// with policy's parser, failing the test when policy cannot read them: the emulator keeps only
// rules it accepted, so an unreadable answer is a disagreement between the two readings.
func Emulated(t testing.TB, raw json.RawMessage) policy.Policy {
	t.Helper()
	if raw == nil {
		return nil
	}
	p, err := policy.Parse(raw)
	if err != nil {
		t.Fatalf("the emulator reports CORS rules policy cannot read: %v\n%s", err, raw)
	}
	return p
}
