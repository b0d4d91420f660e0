package policy_test

import (
	"testing"

	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

// Validate judges every MediaStore and S3 case of the shared table (testdata/cors-cases.json)
// as the service does, except where the table records corsguard's own, stricter rule. The emulator is held to the same table
// (emulator/cors_cases_test.go), so a rule both get wrong cannot hide.
func TestValidateJudgesTheSharedMediaStoreAndS3Cases(t *testing.T) {
	cases, err := corscases.Load("../testdata/cors-cases.json")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]policy.Kind{"mediastore": policy.MediaStore, "s3": policy.S3}
	n := 0
	for _, c := range cases {
		if _, ok := kinds[c.Kind]; !ok {
			continue // CloudFront's cases: cloudfront_cases_test.go
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			p, err := policy.Parse(c.Policy)
			if err == nil {
				err = policy.Validate(p, kinds[c.Kind])
			}
			got := "accept"
			if err != nil {
				got = "reject"
			}
			if got != c.Want() {
				t.Errorf("policy %ss it (%v); want %s (%s)", got, err, c.Want(), c.Source)
			}
		})
	}
	if n == 0 {
		t.Fatal("the table has no MediaStore or S3 case")
	}
}
