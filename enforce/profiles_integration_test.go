package enforce_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// The profiles' baselines of the estate the profile tests build.
var (
	uploadsProfile = policy.Policy{{ID: "uploads", AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type"}, MaxAgeSeconds: 600}}
	partnersProfile = policy.Policy{{AllowedOrigins: []string{"https://partner.example.net"}, AllowedMethods: []string{"GET"}}}
)

// profileEstate seeds buckets of every profile case and the profiles' parameters (v1 each).
func profileEstate(t *testing.T, e *env) {
	t.Helper()
	e.setBaseline(string(baseline.JSON()))
	for name, p := range map[string]policy.Policy{"/corsguard/profiles/s3/uploads": uploadsProfile, "/corsguard/profiles/s3/partners": partnersProfile} {
		if err := e.emu.SeedParameter(name, "String", string(p.JSON()), ""); err != nil {
			t.Fatal(err)
		}
	}
	tag := func(v string) map[string]string { return map[string]string{profile.DefaultTagKey: v} }
	e.seedBucket("player-assets", drift, nil)             // the default baseline
	e.seedBucket("player-ok", sameAsBaseline, nil)        // compliant with the default
	e.seedBucket("media-inbox", drift, tag("uploads"))    // tag
	e.seedBucket("upload-eu", nil, nil)                   // pattern uploads
	e.seedBucket("partner-feed", drift, nil)              // pattern partners
	e.seedBucket("partner-tagged", drift, tag("uploads")) // the tag wins over the pattern
	e.seedBucket("ghost-profile", drift, tag("archive"))  // a profile with no parameter
	e.seedBucket("bad-profile", drift, tag("../uploads")) // an invalid profile
	e.seedBucket("upload-compliant", uploadsProfile, nil) // pattern, already at its profile
	e.seedBucket("upload-other", partnersProfile, nil)    // pattern: another profile's policy is drift here
	e.seedBucket("exempt-ghost", drift, map[string]string{"corsguard:exempt": "true", profile.DefaultTagKey: "archive"})
}

func TestProfilesGiveEachBucketItsOwnBaseline(t *testing.T) {
	for _, mode := range []enforce.Mode{enforce.ModeEnforce, enforce.ModeAudit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOption{})
			profileEstate(t, e)
			patterns, err := profile.ParsePatterns("uploads=upload-*,ingest-*;partners=partner-*")
			if err != nil {
				t.Fatal(err)
			}
			eng := e.engineOf(enforce.Config{Mode: mode, ProfilePatterns: patterns}, policy.S3)

			rep := e.run(context.Background(), eng, enforce.Work{})

			fix := enforce.Remediated
			if mode == enforce.ModeAudit {
				fix = enforce.Drifted
			}
			type want struct {
				outcome   enforce.Outcome
				profile   enforce.EntryProfile
				retryable bool
				holds     policy.Policy
			}
			def := enforce.EntryProfile{Name: "default", Source: profile.SourceDefault, Parameter: param, Version: 1}
			uploads := enforce.EntryProfile{Name: "uploads", Parameter: "/corsguard/profiles/s3/uploads", Version: 1}
			partners := enforce.EntryProfile{Name: "partners", Source: profile.SourcePattern, Parameter: "/corsguard/profiles/s3/partners", Version: 1}
			byTag, byPattern := uploads, uploads
			byTag.Source, byPattern.Source = profile.SourceTag, profile.SourcePattern
			wants := map[string]want{
				"player-assets":    {fix, def, false, baseline},
				"player-ok":        {enforce.Compliant, def, false, nil},
				"media-inbox":      {fix, byTag, false, uploadsProfile},
				"upload-eu":        {fix, byPattern, false, uploadsProfile},
				"partner-feed":     {fix, partners, false, partnersProfile},
				"partner-tagged":   {fix, byTag, false, uploadsProfile},
				"ghost-profile":    {enforce.Failed, enforce.EntryProfile{Name: "archive", Source: profile.SourceTag, Parameter: "/corsguard/profiles/s3/archive"}, false, drift},
				"bad-profile":      {enforce.Failed, enforce.EntryProfile{Name: "../uploads", Source: profile.SourceTag}, false, drift},
				"upload-compliant": {enforce.Compliant, byPattern, false, nil},
				"upload-other":     {fix, byPattern, false, uploadsProfile},
				"exempt-ghost":     {enforce.Exempt, enforce.EntryProfile{Source: profile.SourceExempt}, false, drift},
			}
			ents := entries(rep)
			for name, w := range wants {
				ent, ok := ents[name]
				if !ok {
					t.Errorf("%s: no entry", name)
					continue
				}
				if ent.Outcome != w.outcome || ent.Retryable != w.retryable || ent.Profile == nil {
					t.Errorf("%s: %s (retryable %v, error %q), profile %+v; want %s", name, ent.Outcome, ent.Retryable, ent.Error, ent.Profile, w.outcome)
					continue
				}
				if diff := cmp.Diff(w.profile, *ent.Profile); diff != "" {
					t.Errorf("%s: profile (-want +got):\n%s", name, diff)
				}
				holds := w.holds
				if mode == enforce.ModeAudit || holds == nil {
					continue // audit writes nothing; compliant ones were not written
				}
				if got := e.bucketCors(name); !policy.Equal(got, holds) {
					t.Errorf("%s holds %s; want %s", name, got.JSON(), holds.JSON())
				}
			}
			if e := ents["ghost-profile"].Error; !strings.Contains(e, "/corsguard/profiles/s3/archive") || !strings.Contains(e, "does not exist") {
				t.Errorf("ghost-profile's error %q does not name the missing parameter", e)
			}
			if e := ents["bad-profile"].Error; !strings.Contains(e, "invalid profile") {
				t.Errorf("bad-profile's error %q does not say the profile is invalid", e)
			}
			// Neither failed bucket was written, in either mode.
			for _, name := range []string{"ghost-profile", "bad-profile", "exempt-ghost"} {
				if e.emu.ResourceCalls("PutBucketCors", name) != 0 {
					t.Errorf("%s was written", name)
				}
			}
			if rep.Succeeded || rep.TerminalFailures() != 2 || rep.RetryableFailures() != 0 {
				t.Errorf("succeeded %v, %d terminal and %d retryable failures; want the two bad profiles, terminal",
					rep.Succeeded, rep.TerminalFailures(), rep.RetryableFailures())
			}
			// Each profile parameter used was read once; the missing one is reported.
			var params []string
			for _, b := range rep.Profiles {
				params = append(params, b.Parameter)
				if b.Kind != policy.S3 || b.Valid != (b.Profile != "archive") {
					t.Errorf("profile baseline %+v", b)
				}
			}
			if diff := cmp.Diff([]string{"/corsguard/profiles/s3/archive", "/corsguard/profiles/s3/partners", "/corsguard/profiles/s3/uploads"}, params); diff != "" {
				t.Errorf("profile baselines read (-want +got):\n%s", diff)
			}
			// The fewest calls: the baseline and each valid profile before and after the sweep
			// (the missing one once), one listing, one GetResources for the profile-tagged
			// buckets, a policy read for each bucket with a usable baseline (not the two bad
			// profiles, nor the exempt one whose profile is missing), the tags of the four
			// drifted buckets without the profile tag, and the six writes.
			wantCalls := map[string]int{"ssm:GetParameter": 2 + 2*2 + 1, "s3:ListAllMyBuckets": 1, "tag:GetResources": 1,
				"s3:GetBucketCORS": 8, "s3:GetBucketTagging": 4}
			if mode == enforce.ModeEnforce {
				wantCalls["s3:PutBucketCORS"] = 6
			}
			if diff := cmp.Diff(wantCalls, rep.APICalls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// Without a profile in use, nothing is read under the profiles path.
func TestNoProfileReadsNothingUnderTheProfilesPath(t *testing.T) {
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	e.seedBucket("plain", drift, map[string]string{"team": "media"})
	e.seed("live", "", drift, nil)
	eng := e.engineOf(enforce.Config{}, policy.MediaStore, policy.S3)
	rep := e.run(context.Background(), eng, enforce.Work{})
	if !rep.Succeeded || len(rep.Profiles) != 0 || rep.APICalls["ssm:GetParameter"] != 2 {
		t.Errorf("succeeded %v, profiles %+v, %d GetParameter; want no profile read", rep.Succeeded, rep.Profiles, rep.APICalls["ssm:GetParameter"])
	}
	for _, ent := range rep.Entries {
		if ent.Profile == nil || ent.Profile.Source != profile.SourceDefault || ent.Profile.Parameter != param {
			t.Errorf("%s: profile %+v; want the default", ent.Name, ent.Profile)
		}
	}
}

// The work queue's worker reads its batch's bucket tags in one GetResources by ARN, and a
// container's from its own tags; each item gets its profile's baseline.
func TestReconcileGivesEachItemItsProfile(t *testing.T) {
	e := newEnv(t, envOption{})
	profileEstate(t, e)
	e.seed("live-uploads", "", drift, map[string]string{profile.DefaultTagKey: "uploads"})
	if err := e.emu.SeedParameter("/corsguard/profiles/mediastore/uploads", "String",
		`[{"AllowedOrigins":["https://app.example.com"],"AllowedMethods":["PUT"],"AllowedHeaders":["*"]}]`, ""); err != nil {
		t.Fatal(err)
	}
	eng := e.engineOf(enforce.Config{}, policy.MediaStore, policy.S3)
	rep := eng.Reconcile(context.Background(), []enforce.Item{
		{Kind: policy.S3, Name: "media-inbox"}, {Kind: policy.S3, Name: "player-assets"}, {Kind: policy.S3, Name: "ghost-profile"},
		{Kind: policy.MediaStore, Name: "live-uploads"},
	}, "test")
	got := map[string]string{}
	for _, ent := range rep.Entries {
		got[ent.Name] = string(ent.Outcome) + " " + ent.Profile.Name
	}
	want := map[string]string{"media-inbox": "remediated uploads", "player-assets": "remediated default", "ghost-profile": "failed archive",
		"live-uploads": "remediated uploads"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes and profiles (-want +got):\n%s", diff)
	}
	if !policy.Equal(e.bucketCors("media-inbox"), uploadsProfile) {
		t.Errorf("media-inbox holds %s", e.bucketCors("media-inbox").JSON())
	}
	if rep.APICalls["tag:GetResources"] != 1 || rep.APICalls["s3:GetBucketTagging"] != 0 || rep.APICalls["mediastore:ListTagsForResource"] != 1 {
		t.Errorf("calls %v; want the buckets' tags in one GetResources and the container's own", rep.APICalls)
	}
}

// A run of one MediaStore profile (no bulk tag read: at most 100 containers, each its own
// ListTagsForResource) reconciles exactly the containers of that profile, by tag or by pattern,
// and reads no other container's policy (nor an exempt one's, nor one tagged with another
// profile).
func TestARunOfOneProfileReconcilesOnlyItsResources(t *testing.T) {
	uploadsMS := policy.Policy{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT"}, AllowedHeaders: []string{"*"}}}
	e := newEnv(t, envOption{})
	e.setBaseline(string(baseline.JSON()))
	if err := e.emu.SeedParameter("/corsguard/profiles/mediastore/uploads", "String", string(uploadsMS.JSON()), ""); err != nil {
		t.Fatal(err)
	}
	tag := func(v string) map[string]string { return map[string]string{profile.DefaultTagKey: v} }
	e.seed("live-inbox", "", drift, tag("uploads"))
	e.seed("upload-live", "", drift, nil)
	e.seed("upload-partner", "", drift, tag("partners"))
	e.seed("upload-exempt", "", drift, map[string]string{"corsguard:exempt": "true"})
	e.seed("live-news", "", drift, nil)
	patterns, err := profile.ParsePatterns("uploads=upload-*")
	if err != nil {
		t.Fatal(err)
	}
	eng := e.engineOf(enforce.Config{ProfilePatterns: patterns}, policy.MediaStore)

	rep := e.run(context.Background(), eng, enforce.Work{Profile: &enforce.ProfileRef{Kind: policy.MediaStore, Name: "uploads"}})

	got := map[string]string{}
	for _, ent := range rep.Entries {
		got[ent.Name] = string(ent.Outcome) + " " + string(ent.Profile.Source)
	}
	if diff := cmp.Diff(map[string]string{"live-inbox": "remediated tag", "upload-live": "remediated pattern"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	for _, name := range []string{"upload-partner", "upload-exempt", "live-news"} {
		if n := e.emu.ResourceCalls("GetCorsPolicy", name); n != 0 {
			t.Errorf("%s: %d GetCorsPolicy; want its policy left unread", name, n)
		}
	}
	if !rep.Succeeded || rep.Baseline.Parameter != "/corsguard/profiles/mediastore/uploads" || rep.APICalls["ssm:GetParameter"] != 2 {
		t.Errorf("succeeded %v, baseline %+v, %d GetParameter; want the profile's baseline read, and again after the run", rep.Succeeded, rep.Baseline, rep.APICalls["ssm:GetParameter"])
	}
}
