package enforce_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// The integration tests about buckets alone or about both kinds in one engine: a mixed estate,
// the baselines per kind, named buckets, the listing's pages. The scenarios that containers and
// buckets share run on both kinds in integration_test.go.

// uploads is a baseline only S3 accepts: POST, a rule ID, a rule without AllowedHeaders.
var uploads = policy.Policy{
	{ID: "uploads", AllowedOrigins: []string{"https://upload.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type"}, MaxAgeSeconds: 600},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
}

func TestMixedEstateConvergesInOneSweep(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	for i := range 6 {
		p := drift
		if i%3 == 0 {
			p = sameAsBaseline
		}
		e.seed(fmt.Sprintf("container-%d", i), "", p, nil)
		e.seedBucket(fmt.Sprintf("bucket-%d", i), p, nil)
	}
	e.seed("same-name", "", nil, nil)
	e.seedBucket("same-name", nil, nil)
	eng := e.engineOf(enforce.Config{}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if !rep.Succeeded || rep.Totals[enforce.Remediated] != 10 || rep.Totals[enforce.Compliant] != 4 || len(rep.Entries) != 14 {
		t.Fatalf("succeeded %v, totals %v, %d entries; want 10 remediated and 4 compliant of 14", rep.Succeeded, rep.Totals, len(rep.Entries))
	}
	// Entries come kind by kind, in the engine's order, then by name.
	var order []string
	for _, ent := range rep.Entries {
		order = append(order, string(ent.Kind)+"/"+ent.Name)
	}
	if !slices.IsSortedFunc(order, func(a, b string) int {
		return strings.Compare(strings.Replace(a, "mediastore/", "0/", 1), strings.Replace(b, "mediastore/", "0/", 1))
	}) || !strings.HasPrefix(order[0], "mediastore/") || !strings.HasPrefix(order[13], "s3/") {
		t.Errorf("entry order %v", order)
	}
	for i := range 6 {
		if c, b := e.corsOf(fmt.Sprintf("container-%d", i)), e.bucketCors(fmt.Sprintf("bucket-%d", i)); !policy.Equal(c, baseline) || !policy.Equal(b, baseline) {
			t.Errorf("container-%d or bucket-%d did not converge", i, i)
		}
	}
	if !policy.Equal(e.corsOf("same-name"), baseline) || !policy.Equal(e.bucketCors("same-name"), baseline) {
		t.Error("a container and a bucket of the same name are two resources; both converge")
	}
	if len(rep.Baselines) != 2 || rep.Baselines[0].Kind != policy.MediaStore || rep.Baselines[1].Kind != policy.S3 || rep.Baseline.Kind != "" {
		t.Errorf("baselines %+v, summary %+v", rep.Baselines, rep.Baseline)
	}
	// One shared parameter is read once before and once after the sweep.
	if n := rep.APICalls["ssm:GetParameter"]; n != 2 {
		t.Errorf("%d GetParameter calls; want 2", n)
	}

	e.emu.ResetCalls()
	again := e.run(context.Background(), eng, enforce.Work{})
	if again.Totals[enforce.Compliant] != 14 || e.emu.CallCount("PutCorsPolicy")+e.emu.CallCount("PutBucketCors") != 0 {
		t.Errorf("second sweep: totals %v, %d writes; want all compliant, none", again.Totals, e.emu.CallCount("PutCorsPolicy")+e.emu.CallCount("PutBucketCors"))
	}
}

func TestBaselineWithPOSTIsRefusedForContainersAndAcceptedForBuckets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(uploads.JSON()))
	e.seed("container", "", drift, nil)
	e.seedBucket("bucket", drift, nil)
	eng := e.engineOf(enforce.Config{}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if rep.Succeeded || rep.Baseline.Valid {
		t.Errorf("succeeded %v, baseline valid %v; want a failed run: the containers' baseline is invalid", rep.Succeeded, rep.Baseline.Valid)
	}
	ms, s3 := rep.Baselines[0], rep.Baselines[1]
	if ms.Valid || !strings.Contains(ms.Error, `method "POST" is not one of PUT, GET, DELETE, HEAD`) || !strings.Contains(ms.Error, "invalid mediastore CORS policy") {
		t.Errorf("MediaStore baseline %+v; want invalid, saying POST is not a MediaStore method", ms)
	}
	if !slices.ContainsFunc(ms.Errors, func(p policy.Problem) bool { return p.Path == "CorsPolicy[0].AllowedMethods[1]" }) ||
		!slices.ContainsFunc(ms.Errors, func(p policy.Problem) bool { return p.Path == "CorsPolicy[0].ID" }) {
		t.Errorf("MediaStore problems %v; want the POST and the rule ID", ms.Errors)
	}
	if !s3.Valid || s3.Error != "" {
		t.Errorf("S3 baseline %+v; want valid", s3)
	}
	if !strings.HasPrefix(rep.Baseline.Error, "mediastore: ") {
		t.Errorf("summary error %q; want it to name the kind", rep.Baseline.Error)
	}
	if diff := cmp.Diff(map[string]enforce.Outcome{"bucket": enforce.Remediated}, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !cmp.Equal(e.corsOf("container"), drift) || e.emu.CallCount("ListContainers")+e.emu.CallCount("GetCorsPolicy") != 0 {
		t.Error("a container was listed, read or written under an invalid baseline")
	}
	if !policy.Equal(e.bucketCors("bucket"), uploads) {
		t.Errorf("bucket holds %v", e.bucketCors("bucket"))
	}
}

func TestEachKindHasItsOwnBaselineAndSelector(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	if err := e.emu.SeedParameter("/corsguard/s3-baseline", "String", string(uploads.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	e.seed("media-live", "", drift, nil)
	e.seed("media-test", "", drift, nil)
	e.seedBucket("media-live", drift, nil)
	e.seedBucket("media-test", drift, nil)
	eng := e.engineOf(enforce.Config{
		Selector: policy.Selector{Exclude: []string{"*-test"}},
		Kinds: map[policy.Kind]enforce.KindConfig{
			policy.S3: {Parameter: "/corsguard/s3-baseline", Selector: policy.Selector{Include: []string{"*-test"}}},
		},
	}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if !rep.Succeeded || len(rep.Entries) != 2 || !slices.Equal(rep.Excluded, []string{"media-live", "media-test"}) {
		t.Fatalf("succeeded %v, entries %+v, excluded %v", rep.Succeeded, rep.Entries, rep.Excluded)
	}
	if !policy.Equal(e.corsOf("media-live"), baseline) || !cmp.Equal(e.corsOf("media-test"), drift) {
		t.Error("containers: want media-live remediated to the baseline, media-test left alone")
	}
	if !policy.Equal(e.bucketCors("media-test"), uploads) || !cmp.Equal(e.bucketCors("media-live"), drift) {
		t.Error("buckets: want media-test remediated to the S3 baseline, media-live left alone")
	}
	if rep.Baselines[1].Parameter != "/corsguard/s3-baseline" || rep.Baselines[1].Hash != policy.Hash(uploads) {
		t.Errorf("S3 baseline %+v", rep.Baselines[1])
	}
	if n := rep.APICalls["ssm:GetParameter"]; n != 4 {
		t.Errorf("%d GetParameter calls; want each parameter read before and after the sweep", n)
	}
}

func TestNamedBucketsTouchOnlyThoseBuckets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	// The containers' baseline is invalid; an event about a bucket does not need it.
	e.setBaseline(string(uploads.JSON()))
	e.seed("container", "", drift, nil)
	e.seedBucket("live-bucket", drift, nil)
	e.seedBucket("scratch-bucket", drift, nil)
	e.seedBucket("other-bucket", drift, nil)
	eng := e.engineOf(enforce.Config{Kinds: map[policy.Kind]enforce.KindConfig{
		policy.S3: {Selector: policy.Selector{Exclude: []string{"scratch-*"}}}}}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{Buckets: []string{"live-bucket", "never-made", "scratch-bucket", "live-bucket"}})

	want := map[string]enforce.Outcome{"live-bucket": enforce.Remediated, "never-made": enforce.Gone}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !rep.Succeeded || !rep.Baseline.Valid || len(rep.Baselines) != 1 || !slices.Equal(rep.Excluded, []string{"scratch-bucket"}) {
		t.Errorf("succeeded %v, baselines %+v, excluded %v", rep.Succeeded, rep.Baselines, rep.Excluded)
	}
	if n := e.emu.ResourceCalls("PutBucketCors", "live-bucket"); n != 1 {
		t.Errorf("%d writes to a bucket named twice; want 1", n)
	}
	if e.emu.CallCount("ListBuckets") != 0 || !cmp.Equal(e.bucketCors("other-bucket"), drift) || !cmp.Equal(e.corsOf("container"), drift) {
		t.Error("a named run listed buckets or touched a resource it did not name")
	}
	// An engine without S3 leaves named buckets out.
	msOnly := e.engineOf(enforce.Config{Parameter: "/none"}, policy.MediaStore)
	rep = e.run(context.Background(), msOnly, enforce.Work{Buckets: []string{"other-bucket"}})
	if len(rep.Entries) != 0 || !slices.Equal(rep.Excluded, []string{"other-bucket"}) {
		t.Errorf("MediaStore-only engine: entries %+v, excluded %v", rep.Entries, rep.Excluded)
	}
}

func TestBucketListingPagesAndKeepsToTheRegion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	// More than one page of 1,000; most are excluded, so only the listing is exercised.
	for i := range 1200 {
		if err := e.emu.SeedBucket(fmt.Sprintf("archive-%04d", i), "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.seedBucket("keep-first", drift, nil)
	e.seedBucket("zz-keep-last", drift, nil)
	if err := e.emu.SeedBucket("keep-abroad", "ap-south-1", drift, nil); err != nil {
		t.Fatal(err)
	}
	eng := e.engineOf(enforce.Config{Selector: policy.Selector{Include: []string{"keep-*", "zz-keep-*"}}}, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	want := map[string]enforce.Outcome{"keep-first": enforce.Remediated, "zz-keep-last": enforce.Remediated}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" || !rep.Succeeded {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if n := rep.APICalls["s3:ListAllMyBuckets"]; n != 2 || len(rep.Excluded) != 1200 {
		t.Errorf("%d ListBuckets pages, %d excluded; want 2 pages and the 1,200 archives excluded", n, len(rep.Excluded))
	}
}

// Header names are case-insensitive: a container or bucket whose allowed and exposed header
// names differ from the baseline's only in case is compliant, and nothing is written.
func TestHeaderNameCaseIsNotDrift(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	lower := policy.Policy{
		{AllowedOrigins: []string{"https://player.example.com", "https://*.example.org"}, AllowedMethods: []string{"GET", "HEAD"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"etag", "CONTENT-LENGTH"}, MaxAgeSeconds: 3000},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"range"}},
	}
	e.seed("lower", "", lower, nil)
	e.seedBucket("lower", lower, nil)
	eng := e.engineOf(enforce.Config{}, policy.MediaStore, policy.S3)

	rep := e.run(context.Background(), eng, enforce.Work{})

	if rep.Totals[enforce.Compliant] != 2 || len(rep.Entries) != 2 {
		t.Errorf("totals %v; want the container and the bucket compliant", rep.Totals)
	}
	if n := e.emu.CallCount("PutCorsPolicy") + e.emu.CallCount("PutBucketCors"); n != 0 {
		t.Errorf("%d writes for a difference of case in header names", n)
	}
}
