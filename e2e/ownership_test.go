package e2e

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
)

// The function acts only on the CloudTrail records of calls that succeeded, in its own account
// (the one aws-lambda-rie puts in the function ARN: 012345678912) and Region. Everything else
// is ignored before any AWS call: a refused CreateBucket names someone else's bucket, and an
// event forwarded from another account or Region names resources that are not ours.
func TestOnlySuccessfulCallsOfTheFunctionsOwnAccountAndRegionAreActedOn(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seed(t, "live-news", drifted, nil)
	a.seedBucket(t, "their-bucket", drifted, nil)
	a.seedBucket(t, "media-assets", drifted, nil)
	fn := startFunction(t, s3Env(a, "mediastore,s3"))

	otherRegion := bytes.ReplaceAll(sample(t, "cloudtrail-s3-put-bucket-cors.json"), []byte(`"region": "us-east-1"`), []byte(`"region": "eu-west-1"`))
	if bytes.Equal(otherRegion, sample(t, "cloudtrail-s3-put-bucket-cors.json")) {
		t.Fatal("the sample has no region to change")
	}
	for _, tc := range []struct {
		name  string
		event []byte
		note  string
	}{
		{"a CreateBucket refused with BucketAlreadyExists", sample(t, "cloudtrail-s3-create-bucket-failed.json"), "failed (BucketAlreadyExists): it changed nothing"},
		{"a PutCorsPolicy refused with AccessDeniedException", sample(t, "cloudtrail-put-cors-policy-failed.json"), "failed (AccessDeniedException): it changed nothing"},
		{"a PutBucketCors of another account", sample(t, "cloudtrail-s3-put-bucket-cors-other-account.json"), `event of account "444455556666" ignored`},
		{"a PutBucketCors of another Region", otherRegion, `event of Region "eu-west-1" ignored`},
	} {
		inv := fn.invoke(t, tc.event)
		wantSuccess(t, inv, handler.Ignored)
		if !strings.Contains(inv.Result.Note, tc.note) {
			t.Errorf("%s: note %q, want one saying %q", tc.name, inv.Result.Note, tc.note)
		}
		if n := a.TotalCalls(); n != 0 {
			t.Errorf("%s: %d AWS calls (%v), want none", tc.name, n, a.Calls())
		}
	}
	wantBucketPolicy(t, a, "their-bucket", drifted)
	wantBucketPolicy(t, a, "media-assets", drifted)
	wantPolicy(t, a, "live-news", drifted)
	if n := len(fn.out.logs("event ignored")); n != 4 {
		t.Errorf("%d 'event ignored' log lines, want 4", n)
	}

	// The same calls, succeeded and in our account and Region, are acted on.
	inv := fn.invoke(t, sample(t, "cloudtrail-put-cors-policy.json"))
	wantSuccess(t, inv, handler.CorsChanged)
	wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
	wantPolicy(t, a, "live-news", baseline)
	inv = fn.invoke(t, sample(t, "cloudtrail-s3-put-bucket-cors.json"))
	wantSuccess(t, inv, handler.CorsChanged)
	wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
	wantBucketPolicy(t, a, "media-assets", baseline)
	wantBucketPolicy(t, a, "their-bucket", drifted)
}
