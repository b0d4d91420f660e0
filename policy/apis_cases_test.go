package policy_test

import (
	"testing"

	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

// The Lambda function URL and HTTP API cases of the shared table (testdata/cors-cases.json):
// the policy package judges each as the service does, or as the table records corsguard's own,
// stricter rule; the emulator is held to the services' verdicts in emulator.
func TestCorsKindsJudgeTheSharedCases(t *testing.T) {
	cases, err := corscases.Load("../testdata/cors-cases.json")
	if err != nil {
		t.Fatal(err)
	}
	n := map[policy.Kind]int{}
	for _, c := range cases {
		kind := policy.Kind(c.Kind)
		if kind != policy.LambdaURL && kind != policy.HTTPAPI {
			continue
		}
		n[kind]++
		t.Run(c.Name, func(t *testing.T) {
			got := "accept"
			p, err := policy.ParseKind(kind, c.Policy)
			if err == nil {
				err = policy.Validate(p, kind)
			}
			if err != nil {
				got = "reject"
			}
			if got != c.Want() {
				t.Errorf("policy %ss it (%v); want %s (%s)", got, err, c.Want(), c.Source)
			}
		})
	}
	if n[policy.LambdaURL] == 0 || n[policy.HTTPAPI] == 0 {
		t.Fatalf("the table lacks lambda-url or http-api cases: %v", n)
	}
}
