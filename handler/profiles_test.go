package handler

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// The profiles of the estate below: players read, browsers upload, a partner reads its feed.
var (
	playersCors  = policy.Policy{{AllowedOrigins: []string{"https://player.example.com"}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"Range"}}}
	uploadsCors  = policy.Policy{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"}, AllowedHeaders: []string{"Content-Type"}}}
	partnersCors = policy.Policy{{AllowedOrigins: []string{"https://partner.example.net"}, AllowedMethods: []string{"GET"}}}
)

// The two paths a profile change takes: in-process, and the work queue's router and workers.
var profilePaths = []struct {
	name string
	env  map[string]string
}{
	{"in-process", map[string]string{config.Targets: "s3", config.Rate: "1000", config.ProfilePatterns: "players=player-*;uploads=upload-*;partners=partner-*"}},
	{"router and workers", map[string]string{config.QueueURL: workQueue, config.Targets: "s3", config.Rate: "1000",
		config.ProfilePatterns: "players=player-*;uploads=upload-*;partners=partner-*"}},
}

// profileEstate seeds the default baseline, each profile's S3 baseline, and buckets of every
// profile by tag and by pattern, every one drifted (loose). It returns each bucket's profile
// as the rules resolve it ("" when exempt).
func profileEstate(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	must(t, f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""))
	for name, p := range map[string]policy.Policy{"players": playersCors, "uploads": uploadsCors, "partners": partnersCors} {
		must(t, f.emu.SeedParameter(profile.DefaultPath+"s3/"+name, "String", string(p.JSON()), ""))
	}
	tag := func(v string) map[string]string { return map[string]string{profile.DefaultTagKey: v, "team": "media"} }
	buckets := []struct {
		name, profile string
		tags          map[string]string
	}{
		{"player-web", "players", nil},
		{"media-vod", "players", tag("players")},
		{"upload-eu", "uploads", nil},
		{"upload-us", "uploads", map[string]string{"team": "app"}},
		{"media-inbox", "uploads", tag("uploads")},
		{"partner-drop", "uploads", tag("uploads")},        // the tag wins over the partners pattern
		{"upload-to-partner", "partners", tag("partners")}, // the tag wins over the uploads pattern
		{"partner-feed", "partners", nil},
		{"upload-exempt", "", map[string]string{"corsguard:exempt": "true"}}, // the exemption wins
		{"plain-assets", "default", nil},
	}
	out := map[string]string{}
	for _, b := range buckets {
		must(t, f.emu.SeedBucket(b.name, "", loose, b.tags))
		out[b.name] = b.profile
	}
	return out
}

// invokeAndDrain invokes the function with payload and, with a work queue, delivers every
// message to it until the queue is empty.
func (f *fixture) invokeAndDrain(t *testing.T, payload []byte, queued bool) {
	t.Helper()
	var res Result
	if err := f.invoke(t, invocation(), payload, &res); err != nil {
		t.Fatal(err)
	}
	if queued {
		f.drain(t)
	}
}

func ssmChange(id, op, name string) []byte {
	return event(id, "aws.ssm", "Parameter Store Change", fmt.Sprintf(`{"operation":%q,"name":%q,"type":"String"}`, op, name))
}

// A change of the uploads profile's S3 parameter converges exactly the buckets whose profile is
// uploads (by tag, or by pattern with no tag naming another profile), on both paths: it writes
// only them, reads no other bucket's CORS nor any bucket's tags one by one, and reads the tags
// in bulk (one GetResources for the tagged buckets, one for the pattern's candidates).
func TestAProfileChangeConvergesExactlyThatProfilesBuckets(t *testing.T) {
	for _, tc := range profilePaths {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.env)
			profiles := profileEstate(t, f)
			f.emu.ResetCalls()

			f.invokeAndDrain(t, ssmChange("uploads-v2", "Update", "/corsguard/profiles/s3/uploads"), tc.env[config.QueueURL] != "")

			for _, name := range slices.Sorted(maps.Keys(profiles)) {
				uploads := profiles[name] == "uploads"
				reads, writes := f.emu.ResourceCalls("GetBucketCors", name), f.emu.ResourceCalls("PutBucketCors", name)
				switch {
				case uploads && (reads != 1 || writes != 1 || !policy.Equal(f.bucketCors(t, name), uploadsCors)):
					t.Errorf("%s (uploads): %d reads, %d writes, holds %s; want uploads' baseline written once", name, reads, writes, f.bucketCors(t, name).JSON())
				case !uploads && (reads != 0 || writes != 0):
					t.Errorf("%s (%q): %d CORS reads and %d writes; want none", name, profiles[name], reads, writes)
				}
			}
			if n := f.emu.CallCount("GetBucketTagging"); n != 0 {
				t.Errorf("%d GetBucketTagging calls; want none (tags in bulk)", n)
			}
			// Router: the uploads-tagged buckets (one page) and the pattern's candidates (one
			// page); workers: each batch's tags by ARN (one batch of three).
			wantBulk := 2
			if tc.env[config.QueueURL] != "" {
				wantBulk = 3
			}
			if n, l := f.emu.CallCount("GetResources"), f.emu.CallCount("ListBuckets"); n != wantBulk || l != 1 {
				t.Errorf("%d GetResources and %d ListBuckets; want %d and 1", n, l, wantBulk)
			}
		})
	}
}

// A profile used by tags only (no pattern names it) is converged without listing the buckets
// at all: one GetResources per 100 of its tagged buckets, whatever the estate's size.
func TestATagOnlyProfileChangeListsNoBucket(t *testing.T) {
	for _, tc := range profilePaths {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			delete(env, config.ProfilePatterns)
			f := newFixture(t, env)
			profiles := profileEstate(t, f)
			f.emu.ResetCalls()

			f.invokeAndDrain(t, ssmChange("uploads-v2", "Update", "/corsguard/profiles/s3/uploads"), env[config.QueueURL] != "")

			var written []string
			for name := range profiles {
				if f.emu.ResourceCalls("PutBucketCors", name) > 0 {
					written = append(written, name)
				}
			}
			slices.Sort(written)
			if diff := cmp.Diff([]string{"media-inbox", "partner-drop"}, written); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
			if n := f.emu.CallCount("ListBuckets"); n != 0 {
				t.Errorf("%d ListBuckets; want none: no pattern names the profile", n)
			}
		})
	}
}

// A tag call moves a bucket to another profile: the event of that call reconciles it against
// its new profile at once, on both paths, although the Tagging API's bulk answer still holds
// the old tag (the emulator lags it by a minute): the worker reads the bucket's own tags.
func TestATagEventMovesTheBucketToItsNewProfileAtOnce(t *testing.T) {
	for _, tc := range profilePaths {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureOf(t, tc.env, emulator.WithTaggingLag(time.Hour))
			profileEstate(t, f)
			must(t, f.emu.SeedBucket("media-moving", "", playersCors, map[string]string{profile.DefaultTagKey: "players"}))
			c := s3.NewFromConfig(f.cfg, func(o *s3.Options) { o.UsePathStyle = true })
			if _, err := c.PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{Bucket: aws.String("media-moving"),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(profile.DefaultTagKey), Value: aws.String("uploads")}}}}); err != nil {
				t.Fatal(err)
			}
			f.emu.ResetCalls()

			f.invokeAndDrain(t, event("tag-call", "aws.s3", "AWS API Call via CloudTrail",
				`{"eventSource":"s3.amazonaws.com","eventName":"PutBucketTagging","awsRegion":"us-east-1","requestParameters":{"bucketName":"media-moving"}}`),
				tc.env[config.QueueURL] != "")

			if got := f.bucketCors(t, "media-moving"); !policy.Equal(got, uploadsCors) {
				t.Errorf("media-moving holds %s; want its new profile uploads' %s", got.JSON(), uploadsCors.JSON())
			}
			if n := f.emu.ResourceCalls("GetBucketTagging", "media-moving"); n != 1 {
				t.Errorf("%d GetBucketTagging of the moved bucket; want its own tags read once", n)
			}
		})
	}
}

// A change event of a profile whose parameter is invalid for its kind (an S3 rule without
// methods) changes nothing, on both paths: the
// router checks the profile's baseline once and enqueues nothing, the report says why, and no
// bucket is listed or read.
func TestAnInvalidProfileChangesNothing(t *testing.T) {
	for _, tc := range profilePaths {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.env)
			profileEstate(t, f)
			must(t, f.emu.SeedParameter("/corsguard/profiles/s3/uploads", "String", `[{"AllowedOrigins":["https://app.example.com"]}]`, ""))
			f.emu.ResetCalls()
			var res Result
			if err := f.invoke(t, invocation(), ssmChange("uploads-bad", "Update", "/corsguard/profiles/s3/uploads"), &res); err != nil {
				t.Fatalf("a terminal failure failed the invocation: %v", err)
			}
			if res.Report == nil || res.Succeeded || res.Baseline.Valid || !strings.Contains(res.Baseline.Error, "/corsguard/profiles/s3/uploads") {
				t.Fatalf("report %+v; want the uploads profile reported invalid", res.Report)
			}
			if res.Queue != nil && res.Queue.Enqueued != 0 {
				t.Errorf("%d messages enqueued under an invalid profile", res.Queue.Enqueued)
			}
			// Alarmed once: the profile's baseline, not once per resource.
			if m := f.metrics.String(); !strings.Contains(m, `"TerminalFailures":1`) || !strings.Contains(m, `"BaselineInvalid":1`) {
				t.Errorf("metrics %s: want TerminalFailures 1 and BaselineInvalid 1", m)
			}
			for _, op := range []string{"ListBuckets", "GetResources", "GetBucketCors", "PutBucketCors"} {
				if n := f.emu.CallCount(op); n != 0 {
					t.Errorf("%d %s calls under an invalid profile", n, op)
				}
			}
		})
	}
}

// A change of a profile of a kind that is not among the targets is ignored, with no AWS call.
func TestAProfileChangeOfAnotherKindIsIgnored(t *testing.T) {
	f := newFixture(t, map[string]string{config.Targets: "mediastore", config.Rate: "1000"})
	profileEstate(t, f)
	f.emu.ResetCalls()
	var res Result
	if err := f.invoke(t, invocation(), ssmChange("uploads-v2", "Update", "/corsguard/profiles/s3/uploads"), &res); err != nil {
		t.Fatal(err)
	}
	if res.Event != Ignored || !strings.Contains(res.Note, "not among the targets") {
		t.Errorf("event %s (%s); want ignored: s3 is not a target", res.Event, res.Note)
	}
	if n := f.emu.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls", n)
	}
}

// Nothing is read under the profiles path when no profile is configured or tagged (issue 24):
// a queue sweep of buckets and a container that carry other tags but not the profile tag's
// key, with no pattern, makes no GetParametersByPath and no GetParameter but the baseline's.
// The router learns that no bucket carries the key from one GetResources filtered by it; it
// cannot learn it of containers (MediaStore's tags are read per container), so it lists none
// of their profiles. Once a bucket and a container are tagged with a profile, the next sweep's
// router lists the buckets' profiles and stamps the bucket's, and the container's worker reads
// the container's at its latest version: each gets its profile.
func TestAQueueSweepWithoutProfilesReadsNothingUnderTheProfilesPath(t *testing.T) {
	f := queueFixture(t, settledChanges())
	for i := range 30 {
		must(t, f.emu.SeedBucket(fmt.Sprintf("media-%03d", i), "", loose, map[string]string{"team": "media"}))
	}
	must(t, f.emu.SeedContainer("live-news", "ACTIVE", loose, map[string]string{"team": "live"}))
	workers := []*Handler{f.instance(t), f.instance(t)}

	f.sweepOn(t, f.h, "sweep-1")
	if n := f.emu.CallCount("GetResources"); n != 1 {
		t.Errorf("the router made %d GetResources calls, want 1 (is any bucket tagged %s?)", n, profile.DefaultTagKey)
	}
	f.drainOn(t, workers...)
	if calls := f.emu.Calls(); calls["GetParametersByPath"] != 0 || calls["GetParameter"] != f.reads() {
		t.Errorf("SSM calls %v: want no listing under %s and GetParameter of the baseline only (%d)", calls, profile.DefaultPath, f.reads())
	}
	for i := range 30 {
		if name := fmt.Sprintf("media-%03d", i); !policy.Equal(f.bucketCors(t, name), want) {
			t.Fatalf("bucket %s has %v, want the baseline", name, f.bucketCors(t, name))
		}
	}
	if got := f.containerCors(t, "live-news"); !policy.Equal(got, want) {
		t.Errorf("container live-news has %v, want the baseline", got)
	}

	// A bucket tagged with a profile (through S3's own call) and a container seeded with one.
	players, livePlayers := profile.DefaultPath+"s3/players", profile.DefaultPath+"mediastore/players"
	must(t, f.emu.SeedParameter(players, "String", string(playersCors.JSON()), ""))
	must(t, f.emu.SeedParameter(livePlayers, "String", string(playersCors.JSON()), ""))
	if _, err := s3.NewFromConfig(f.cfg).PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{Bucket: aws.String("media-007"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(profile.DefaultTagKey), Value: aws.String("players")}}}}); err != nil {
		t.Fatal(err)
	}
	must(t, f.emu.SeedContainer("live-players", "ACTIVE", loose, map[string]string{profile.DefaultTagKey: "players"}))
	f.emu.ResetCalls()
	res := f.sweepOn(t, f.instance(t), "sweep-2") // a rested router: the first one's SSM tokens are spent
	if got := res.Report.Stamps[policy.S3][players]; got != 1 {
		t.Errorf("the router stamped %s version %d, want 1 (stamps %v)", players, got, res.Report.Stamps)
	}
	if s3List, msList := f.emu.ResourceCalls("GetParametersByPath", profile.DefaultPath+"s3"),
		f.emu.ResourceCalls("GetParametersByPath", profile.DefaultPath+"mediastore"); s3List != 1 || msList != 0 {
		t.Errorf("the router listed the buckets' profiles %d times and the containers' %d, want 1 and 0", s3List, msList)
	}
	f.drainOn(t, workers...)
	if got := f.bucketCors(t, "media-007"); !policy.Equal(got, playersCors) {
		t.Errorf("bucket media-007 has %v, want the players profile", got)
	}
	if got := f.containerCors(t, "live-players"); !policy.Equal(got, playersCors) {
		t.Errorf("container live-players has %v, want the players profile", got)
	}
	if n := f.emu.ResourceCalls("GetParameter", livePlayers); n != 1 {
		t.Errorf("%d reads of %s by the container's worker, want 1 (its latest version)", n, livePlayers)
	}

	// The router's question denied (an SCP on tag:GetResources): it cannot tell, so it lists
	// the profiles as without the question, and says why.
	f.emu.Script("GetResources", "", 1, "AccessDeniedException")
	f.emu.ResetCalls()
	res = f.sweepOn(t, f.instance(t), "sweep-3")
	if n := f.emu.ResourceCalls("GetParametersByPath", profile.DefaultPath+"s3"); n != 1 {
		t.Errorf("after a denied GetResources the router listed the buckets' profiles %d times, want 1", n)
	}
	if !slices.ContainsFunc(res.Report.Notes, func(n string) bool {
		return strings.Contains(n, "AccessDenied") && strings.Contains(n, profile.DefaultTagKey)
	}) {
		t.Errorf("notes %q: want one saying the tag question was denied", res.Report.Notes)
	}
	f.drainOn(t, workers...)
}
