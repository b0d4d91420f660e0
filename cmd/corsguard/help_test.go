package main

import (
	"strings"
	"testing"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/policy"
)

// The help of every command that takes --target names every target; the emulator's names every
// service it serves (CloudFront and STS among them).
func TestHelpNamesEveryTargetAndEveryEmulatedService(t *testing.T) {
	for _, cmd := range []string{"audit", "apply", "validate", "diff", "profiles"} {
		r := corsguard(t, "", cmd, "--help")
		for _, k := range policy.Kinds() {
			if !strings.Contains(r.stdout, string(k)) {
				t.Errorf("corsguard %s --help does not name the target %s:\n%s", cmd, k, r.stdout)
			}
		}
	}
	r := corsguard(t, "", "emulator", "--help")
	for _, s := range emulator.Services() {
		if !strings.Contains(r.stdout, s.Name) {
			t.Errorf("corsguard emulator --help does not name %s", s.Name)
		}
	}
	for _, name := range []string{"CloudFront", "STS", "Lambda", "API Gateway"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("corsguard emulator --help does not name %s", name)
		}
	}
}
