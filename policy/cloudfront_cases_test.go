package policy_test

import (
	"testing"

	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

// The CloudFront cases of the shared table (testdata/cors-cases.json): the policy package
// judges each as the service does, or as the table records corsguard's own, stricter rule; the
// emulator is held to the service's verdicts in emulator.
func TestCloudFrontJudgesTheSharedCases(t *testing.T) {
	cases, err := corscases.Load("../testdata/cors-cases.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		if c.Kind != string(policy.CloudFront) {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			got := "accept"
			p, err := policy.ParseKind(policy.CloudFront, c.Policy)
			if err == nil {
				err = policy.Validate(p, policy.CloudFront)
			}
			if err != nil {
				got = "reject"
			}
			if got != c.Want() {
				t.Errorf("policy %ss it (%v); want %s (%s)", got, err, c.Want(), c.Source)
			}
		})
	}
	if n == 0 {
		t.Fatal("the table has no cloudfront case")
	}
}
