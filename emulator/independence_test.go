package emulator_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The emulator is the witness corsguard's code is tested against: if it judged requests with
// corsguard's own packages, a shared mistake would pass every test.
func TestTheEmulatorDoesNotDependOnCorsguardsDomainPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/corsguard/corsguard/emulator").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "github.com/corsguard/corsguard/policy", "github.com/corsguard/corsguard/enforce", "github.com/corsguard/corsguard/handler":
			t.Errorf("emulator depends on %s", dep)
		}
	}
}
