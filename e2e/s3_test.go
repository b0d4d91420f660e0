package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

// The S3 scenarios mirror the MediaStore ones: the same bootstrap under aws-lambda-rie, the
// same emulator, with CORSGUARD_TARGETS naming s3.

// s3Env is fastEnv with the given targets (CORSGUARD_TARGETS syntax: comma-separated).
func s3Env(a *account, targets string) map[string]string {
	env := fastEnv(a)
	env["CORSGUARD_TARGETS"] = targets
	return env
}

// seedBucket adds a bucket in the function's Region with a CORS configuration (none if nil)
// and tags.
func (a *account) seedBucket(t *testing.T, name string, cors policy.Policy, tags map[string]string) {
	t.Helper()
	if err := a.SeedBucket(name, "", cors, tags); err != nil {
		t.Fatal(err)
	}
}

// s3 returns an S3 client of the account, as an operator would use (path-style: the
// emulator's loopback address has no bucket host names).
func (a *account) s3(t *testing.T) *s3.Client {
	return s3.NewFromConfig(a.aws(t), func(o *s3.Options) { o.UsePathStyle = true })
}

func wantBucketPolicy(t *testing.T, a *account, bucket string, want policy.Policy) {
	t.Helper()
	b, ok := a.Bucket(bucket)
	if !ok {
		t.Fatalf("bucket %s does not exist", bucket)
	}
	if !policy.Equal(corscases.Emulated(t, b.CorsPolicy), want) || (b.CorsPolicy == nil) != (want == nil) {
		t.Errorf("bucket %s has CORS %s, want %s", bucket, b.CorsPolicy, want.JSON())
	}
}

func TestACreatedBucketGetsTheBaseline(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	fn := startFunction(t, s3Env(a, "s3"))
	if _, err := a.s3(t).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("media-uploads")}); err != nil {
		t.Fatal(err)
	}

	inv := fn.invoke(t, sample(t, "cloudtrail-s3-create-bucket.json"))

	wantSuccess(t, inv, handler.BucketCreated)
	wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
	if got := inv.Result.Entries; len(got) != 1 || got[0].Name != "media-uploads" || got[0].Kind != policy.S3 {
		t.Errorf("entries %+v, want only the bucket media-uploads", got)
	}
	wantBucketPolicy(t, a, "media-uploads", baseline)
	if n := a.CallCount("PutBucketCors"); n != 1 {
		t.Errorf("%d PutBucketCors calls, want 1", n)
	}
	if s := fn.out.logs("run finished"); len(s) != 1 || s[0]["event"] != "bucket_created" || s[0]["succeeded"] != true {
		t.Errorf("summary lines %v, want one succeeded bucket_created", s)
	}
	if docs := fn.out.metrics(); len(docs) != 1 || docs[0]["Remediated"] != float64(1) {
		t.Errorf("EMF documents %v, want one with Remediated 1", docs)
	}
}

func TestABucketCorsChangedByHandIsRepaired(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seedBucket(t, "media-assets", baseline, nil)
	a.seedBucket(t, "media-library", drifted, nil)
	fn := startFunction(t, s3Env(a, "s3"))
	client := a.s3(t)
	ctx := context.Background()

	for _, tc := range []struct {
		sample string
		edit   func() error
	}{
		{"cloudtrail-s3-put-bucket-cors.json", func() error {
			_, err := client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("media-assets"),
				CORSConfiguration: &s3types.CORSConfiguration{CORSRules: corsconv.ToS3(drifted)}})
			return err
		}},
		{"cloudtrail-s3-delete-bucket-cors.json", func() error {
			_, err := client.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("media-assets")})
			return err
		}},
	} {
		if err := tc.edit(); err != nil {
			t.Fatal(err)
		}
		inv := fn.invoke(t, sample(t, tc.sample))
		wantSuccess(t, inv, handler.CorsChanged)
		wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
		if got := inv.Result.Entries; len(got) != 1 || got[0].Name != "media-assets" {
			t.Errorf("%s: entries %+v, want only media-assets", tc.sample, got)
		}
		wantBucketPolicy(t, a, "media-assets", baseline)
	}
	wantBucketPolicy(t, a, "media-library", drifted) // not named by either event
	if n := a.CallCount("PutBucketCors"); n != 3 {
		t.Errorf("%d PutBucketCors calls, want 3: the hand-made one and two repairs", n)
	}
}

// TestABaselineChangeConvergesContainersAndBucketsInOneSweep: a mixed estate, both kinds
// targeted, converges in the one invocation the baseline change causes.
func TestABaselineChangeConvergesContainersAndBucketsInOneSweep(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seed(t, "live-news", drifted, nil)
	a.seed(t, "live-sports", nil, nil)
	a.seed(t, "vod-library", baseline, nil)
	a.seed(t, "live-hands-off", drifted, map[string]string{"corsguard:exempt": "true"})
	a.seedBucket(t, "media-assets", drifted, nil)
	a.seedBucket(t, "media-vod", nil, nil)
	a.seedBucket(t, "media-library", baseline, nil)
	a.seedBucket(t, "media-partner", drifted, map[string]string{"corsguard:exempt": "true"})
	a.seedBucket(t, "logs-access", drifted, nil)
	env := s3Env(a, "mediastore,s3")
	env["CORSGUARD_S3_EXCLUDE"] = "logs-*"
	fn := startFunction(t, env)

	inv := fn.invoke(t, sample(t, "ssm-baseline-update.json"))

	wantSuccess(t, inv, handler.BaselineChanged)
	wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 4, enforce.Compliant: 2, enforce.Exempt: 2})
	kinds := map[policy.Kind]int{}
	for _, e := range inv.Result.Entries {
		kinds[e.Kind]++
	}
	if kinds[policy.MediaStore] != 4 || kinds[policy.S3] != 4 {
		t.Errorf("entries per kind %v, want 4 containers and 4 buckets", kinds)
	}
	for _, name := range []string{"live-news", "live-sports", "vod-library"} {
		wantPolicy(t, a, name, baseline)
	}
	for _, name := range []string{"media-assets", "media-vod", "media-library"} {
		wantBucketPolicy(t, a, name, baseline)
	}
	wantPolicy(t, a, "live-hands-off", drifted)
	wantBucketPolicy(t, a, "media-partner", drifted)
	wantBucketPolicy(t, a, "logs-access", drifted) // excluded
	if w := a.CallCount("PutCorsPolicy") + a.CallCount("PutBucketCors"); w != 4 {
		t.Errorf("%d writes, want 4: only where a container or bucket drifted", w)
	}

	again := fn.invoke(t, sample(t, "ssm-baseline-update.json"))
	wantSuccess(t, again, handler.BaselineChanged)
	wantTotals(t, again, map[enforce.Outcome]int{enforce.Compliant: 6, enforce.Exempt: 2})
	if w := a.CallCount("PutCorsPolicy") + a.CallCount("PutBucketCors"); w != 4 {
		t.Errorf("%d writes after a repeat, want still 4", w)
	}
}

func TestAScheduledAuditReportsBucketDriftWithoutWriting(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seedBucket(t, "media-assets", drifted, nil)
	a.seedBucket(t, "media-uploads", baseline, nil)
	env := s3Env(a, "s3")
	env["CORSGUARD_MODE"] = "audit"
	fn := startFunction(t, env)

	for _, tc := range []struct {
		sample string
		kind   handler.Event
	}{
		{"scheduled-sweep.json", handler.Sweep},
		{"direct-audit-buckets.json", handler.Manual},
	} {
		inv := fn.invoke(t, sample(t, tc.sample))
		wantSuccess(t, inv, tc.kind)
		wantTotals(t, inv, map[enforce.Outcome]int{enforce.Drifted: 1, enforce.Compliant: 1})
		if inv.Result.Mode != enforce.ModeAudit {
			t.Errorf("%s: report mode %q, want audit", tc.sample, inv.Result.Mode)
		}
		for _, e := range inv.Result.Entries {
			if e.Outcome == enforce.Drifted && (e.Name != "media-assets" || len(e.Diff) == 0) {
				t.Errorf("%s: drifted entry %+v, want media-assets with a diff", tc.sample, e)
			}
		}
	}
	if n := a.CallCount("PutBucketCors"); n != 0 {
		t.Errorf("%d PutBucketCors calls in an audit", n)
	}
	wantBucketPolicy(t, a, "media-assets", drifted)
	if docs := fn.out.metrics(); len(docs) != 2 || docs[0]["Drifted"] != float64(1) || docs[0]["Mode"] != "audit" {
		t.Errorf("EMF documents %v, want two, the first with Drifted 1 in mode audit", docs)
	}
}

func TestBucketEventsAreIgnoredWhenS3IsNotATarget(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	a.seedBucket(t, "media-assets", drifted, nil)
	a.seedBucket(t, "media-uploads", nil, nil)
	fn := startFunction(t, fastEnv(a)) // CORSGUARD_TARGETS unset: mediastore only

	samples := []string{
		"cloudtrail-s3-create-bucket.json", "cloudtrail-s3-put-bucket-cors.json",
		"cloudtrail-s3-delete-bucket-cors.json", "cloudtrail-s3-other-call.json", "direct-audit-buckets.json",
	}
	for _, name := range samples {
		inv := fn.invoke(t, sample(t, name))
		wantSuccess(t, inv, handler.Ignored)
		if inv.Result.Note == "" {
			t.Errorf("%s: no note says why it was ignored", name)
		}
		if n := a.TotalCalls(); n != 0 {
			t.Errorf("%s: %d AWS calls (%v), want none", name, n, a.Calls())
		}
	}
	if n := len(fn.out.logs("event ignored")); n != len(samples) {
		t.Errorf("%d 'event ignored' log lines, want %d", n, len(samples))
	}
	wantBucketPolicy(t, a, "media-assets", drifted)
	wantBucketPolicy(t, a, "media-uploads", nil)
}
