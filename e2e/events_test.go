package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
)

// variant returns the sample event in file after change has edited its decoded JSON.
func variant(t *testing.T, file string, change func(ev map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(sample(t, file), &ev); err != nil {
		t.Fatal(err)
	}
	change(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// detailOf is an event's detail, for variant's edits.
func detailOf(ev map[string]any) map[string]any { return ev["detail"].(map[string]any) }

// requestOf is a CloudTrail record's requestParameters, for variant's edits.
func requestOf(ev map[string]any) map[string]any {
	return detailOf(ev)["requestParameters"].(map[string]any)
}

// TestEventVariantsOnBothPaths sends the same events a hostile or confused account could
// produce to the real bootstrap twice: with no work queue (the engine runs in the invocation)
// and as the work queue's router. Each variant of an event the function would act on is
// ignored before any AWS call, with a note saying why, and nothing reaches the queue; events
// naming an excluded or an exempt bucket write nothing. The unchanged sample, sent last, is
// acted on: the change alone is what made each variant ignored.
func TestEventVariantsOnBothPaths(t *testing.T) {
	t.Parallel()
	ignored := []struct {
		name  string
		event func(t *testing.T) []byte
		note  string
	}{
		{"another account", func(t *testing.T) []byte {
			return sample(t, "cloudtrail-s3-put-bucket-cors-other-account.json")
		}, `event of account "444455556666" ignored`},
		{"another Region", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-put-bucket-cors.json", func(ev map[string]any) { ev["region"] = "eu-west-1" })
		}, `event of Region "eu-west-1" ignored`},
		{"no account", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-put-bucket-cors.json", func(ev map[string]any) { delete(ev, "account") })
		}, `event of account "" ignored`},
		{"the account as a JSON number", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-put-bucket-cors.json", func(ev map[string]any) { ev["account"] = 12345678912 })
		}, "input is not an event"},
		{"a failed PutCorsPolicy (errorCode)", func(t *testing.T) []byte {
			return sample(t, "cloudtrail-put-cors-policy-failed.json")
		}, "failed (AccessDeniedException): it changed nothing"},
		{"a failed CreateBucket (errorCode)", func(t *testing.T) []byte {
			return sample(t, "cloudtrail-s3-create-bucket-failed.json")
		}, "failed (BucketAlreadyExists): it changed nothing"},
		{"a bucket name with /..", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-put-bucket-cors.json", func(ev map[string]any) {
				requestOf(ev)["bucketName"] = "media-assets/../their-bucket"
			})
		}, `bucket name "media-assets/../their-bucket"`},
		{"a container name with /..", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-put-cors-policy.json", func(ev map[string]any) {
				requestOf(ev)["containerName"] = "live-news/../live-sports"
			})
		}, `container name "live-news/../live-sports"`},
		{"a bucket name S3 would refuse", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-create-bucket.json", func(ev map[string]any) { requestOf(ev)["bucketName"] = "Media_Assets" })
		}, `bucket name "Media_Assets"`},
		{"another SSM parameter sharing the baseline's prefix", func(t *testing.T) []byte {
			return variant(t, "ssm-baseline-update.json", func(ev map[string]any) { detailOf(ev)["name"] = baselineParam + "-old" })
		}, "is not the baseline"},
		{"the baseline named by its ARN", func(t *testing.T) []byte {
			return variant(t, "ssm-baseline-update.json", func(ev map[string]any) {
				detailOf(ev)["name"] = "arn:aws:ssm:us-east-1:012345678912:parameter" + baselineParam
			})
		}, "is not the baseline"},
		{"the detail-type in lower case", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-put-bucket-cors.json", func(ev map[string]any) { ev["detail-type"] = "aws api call via cloudtrail" })
		}, `no route for source "aws.s3", detail-type "aws api call via cloudtrail"`},
		{"the source in capitals", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-put-bucket-cors.json", func(ev map[string]any) { ev["source"] = "AWS.S3" })
		}, `no route for source "AWS.S3"`},
		{"a DeleteBucket of another account", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-s3-delete-bucket.json", func(ev map[string]any) { ev["account"] = "444455556666" })
		}, `event of account "444455556666" ignored`},
		{"a DeleteContainer of another Region", func(t *testing.T) []byte {
			return variant(t, "cloudtrail-delete-container.json", func(ev map[string]any) { ev["region"] = "eu-west-1" })
		}, `event of Region "eu-west-1" ignored`},
		{"a CloudFront event when cloudfront is not a target", func(t *testing.T) []byte {
			return sample(t, "cloudtrail-update-response-headers-policy.json")
		}, "not among the targets"},
	}

	for _, queue := range []bool{false, true} {
		path := "in-process"
		if queue {
			path = "work queue"
		}
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()))
			a.seed(t, "live-news", drifted, nil)
			a.seed(t, "live-sports", drifted, nil)
			a.seedBucket(t, "media-assets", drifted, nil)
			a.seedBucket(t, "their-bucket", drifted, nil)
			a.seedBucket(t, "logs-access", drifted, nil)
			a.seedBucket(t, "media-partner", drifted, map[string]string{"corsguard:exempt": "true"})
			env := map[string]string{"CORSGUARD_TARGETS": "mediastore,s3", "CORSGUARD_S3_EXCLUDE": "logs-*"}
			fn, drain := onPath(t, a, queue, env)

			for _, v := range ignored {
				before := a.TotalCalls()
				inv := fn.invoke(t, v.event(t))
				if inv.failed() || inv.Result.Event != handler.Ignored || !strings.Contains(inv.Result.Note, v.note) {
					t.Errorf("%s: %s; want ignored with a note saying %q", v.name, inv, v.note)
				}
				if n := a.TotalCalls() - before; n != 0 {
					t.Errorf("%s: %d AWS calls (%v), want none", v.name, n, a.Calls())
				}
			}

			// An excluded and an exempt bucket, named by a CloudTrail record: nothing written.
			for _, name := range []string{"logs-access", "media-partner"} {
				inv := fn.invoke(t, variant(t, "cloudtrail-s3-put-bucket-cors.json", func(ev map[string]any) { requestOf(ev)["bucketName"] = name }))
				if inv.failed() {
					t.Errorf("%s: %s", name, inv)
				}
				drain(t)
				if !queue {
					if name == "logs-access" && (len(inv.Result.Excluded) != 1 || inv.Result.Excluded[0] != name) {
						t.Errorf("%s: excluded %v, want it reported excluded", name, inv.Result.Excluded)
					}
					if name == "media-partner" {
						wantTotals(t, inv, map[enforce.Outcome]int{enforce.Exempt: 1})
					}
				}
				if n := a.ResourceCalls("PutBucketCors", name); n != 0 {
					t.Errorf("%s: %d PutBucketCors calls", name, n)
				}
				wantBucketPolicy(t, a, name, drifted)
			}

			// The unchanged sample is acted on.
			inv := fn.invoke(t, sample(t, "cloudtrail-s3-put-bucket-cors.json"))
			if inv.failed() || inv.Result.Event != handler.CorsChanged {
				t.Fatalf("the sample itself: %s", inv)
			}
			drain(t)
			wantBucketPolicy(t, a, "media-assets", baseline)
			wantBucketPolicy(t, a, "their-bucket", drifted)
			wantPolicy(t, a, "live-news", drifted)
			wantPolicy(t, a, "live-sports", drifted)
		})
	}
}
