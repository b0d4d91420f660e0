package policy_test

import (
	"testing"

	"github.com/corsguard/corsguard/internal/corscases"
	"github.com/corsguard/corsguard/policy"
)

// s3CapGaps are the cases Validate does not yet judge as S3 does: it still applies
// MediaStore's per-item caps (100 items, 2048/8192 characters) to S3 rules, which S3's model
// does not have. Issue 12 removes them; this test fails once a gap is closed, so that its entry
// goes with the fix. Every other case must agree now.
var s3CapGaps = map[string]bool{
	"S3: 101 origins":                  true,
	"S3: 101 allowed headers":          true,
	"S3: an origin of 2049 characters": true,
	"S3: a header of 8193 characters":  true,
}

// Validate judges every MediaStore and S3 case of the shared table (testdata/cors-cases.json)
// as the service does, except where the table records corsguard's own, stricter rule. The emulator is held to the same table
// (internal/emulator/cors_cases_test.go), so a rule both get wrong cannot hide.
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
			if s3CapGaps[c.Name] {
				if got == c.Want() {
					t.Errorf("policy now judges %q as S3 does: remove it from s3CapGaps", c.Name)
				} else {
					t.Logf("known gap (issue 12): policy %ss it (%v); S3 %ss it (%s)", got, err, c.Want(), c.Source)
				}
				return
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
