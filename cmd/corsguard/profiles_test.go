package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// The profiles of the CLI's estate.
var (
	uploadsBaseline = policy.Policy{{ID: "uploads", AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type"}, MaxAgeSeconds: 600}}
	partnersBaseline = policy.Policy{{AllowedOrigins: []string{"https://partner.example.net"}, AllowedMethods: []string{"GET"}}}
)

// newProfilesAccount is an account of buckets, each for a role: a player bucket at the
// default baseline, an upload bucket by tag, one by pattern, a partner bucket by pattern, and
// one whose tag names a profile that does not exist.
func newProfilesAccount(t *testing.T) *account {
	t.Helper()
	a := newAccount(t)
	must(t, a.emu.SeedParameter("/corsguard/profiles/s3/uploads", "String", string(uploadsBaseline.JSON()), ""))
	must(t, a.emu.SeedParameter("/corsguard/profiles/s3/partners", "String", string(partnersBaseline.JSON()), ""))
	must(t, a.emu.SeedBucket("player-assets", "", drifted, nil))
	must(t, a.emu.SeedBucket("media-inbox", "", drifted, map[string]string{"corsguard:profile": "uploads"}))
	must(t, a.emu.SeedBucket("upload-eu", "", nil, nil))
	must(t, a.emu.SeedBucket("partner-feed", "", drifted, nil))
	must(t, a.emu.SeedBucket("archive-old", "", drifted, map[string]string{"corsguard:profile": "archive"}))
	return a
}

var profileFlags = []string{"--target", "s3", "--profile-pattern", "uploads=upload-*,ingest-*", "--profile-pattern", "partners=partner-*"}

func TestAuditAndApplyHoldEachBucketToItsProfile(t *testing.T) {
	a := newProfilesAccount(t)
	args := func(cmd string) []string {
		return append([]string{cmd, "--endpoint-url", a.url, "-f", "json"}, profileFlags...)
	}
	audit := corsguard(t, "", args("audit")...)
	if audit.code != exitError {
		t.Errorf("audit: exit %d, want %d (a bucket names a missing profile)\n%s", audit.code, exitError, audit.stderr)
	}
	rep := parseReport(t, audit)
	got := map[string]string{}
	for _, e := range rep.Entries {
		got[e.Name] = string(e.Outcome) + " " + e.Profile.Name + " " + string(e.Profile.Source)
	}
	want := map[string]string{"player-assets": "drifted default default", "media-inbox": "drifted uploads tag",
		"upload-eu": "drifted uploads pattern", "partner-feed": "drifted partners pattern", "archive-old": "failed archive tag"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}

	apply := corsguard(t, "", args("apply")...)
	if apply.code != exitError {
		t.Errorf("apply: exit %d, want %d (a bucket names a missing profile)\n%s", apply.code, exitError, apply.stderr)
	}
	a.holdTheirProfiles(t, "apply")

	table := corsguard(t, "", append([]string{"audit", "--endpoint-url", a.url, "-f", "table"}, profileFlags...)...)
	for _, want := range []string{"PROFILE", "profile   s3 uploads: /corsguard/profiles/s3/uploads version 1", "archive"} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, table.stdout)
		}
	}
}

func TestProfilesCommandListsEachBucketsProfileAndFailsOnAMissingOne(t *testing.T) {
	a := newProfilesAccount(t)
	res := corsguard(t, "", append([]string{"profiles", "--endpoint-url", a.url, "-f", "json"}, profileFlags...)...)
	if res.code != exitError || !strings.Contains(res.stderr, "1 resource(s) name a missing or invalid profile") {
		t.Errorf("exit %d, want %d with the reason\n%s", res.code, exitError, res.stderr)
	}
	var l enforce.ProfileListing
	if err := json.Unmarshal([]byte(res.stdout), &l); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	got := map[string]string{}
	for _, e := range l.Entries {
		got[e.Name] = strings.Join([]string{e.Profile, string(e.Source), e.Parameter}, " ")
		if (e.Error != "") != (e.Name == "archive-old") {
			t.Errorf("%s: problem %q", e.Name, e.Error)
		}
	}
	want := map[string]string{
		"player-assets": "default default /corsguard/baseline",
		"media-inbox":   "uploads tag /corsguard/profiles/s3/uploads",
		"upload-eu":     "uploads pattern /corsguard/profiles/s3/uploads",
		"partner-feed":  "partners pattern /corsguard/profiles/s3/partners",
		"archive-old":   "archive tag /corsguard/profiles/s3/archive",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	// Reading the profiles writes nothing and reads the tagged buckets' tags in bulk.
	if n := a.emu.CallCount("PutBucketCors") + a.emu.CallCount("GetBucketTagging"); n != 0 {
		t.Errorf("%d PutBucketCors and GetBucketTagging calls; want none", n)
	}

	must(t, a.emu.SeedParameter("/corsguard/profiles/s3/archive", "String", string(partnersBaseline.JSON()), ""))
	if ok := corsguard(t, "", append([]string{"profiles", "--endpoint-url", a.url}, profileFlags...)...); ok.code != 0 || !strings.Contains(ok.stdout, "REASON") {
		t.Errorf("with every profile present: exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
}

func TestDiffComparesAgainstTheBucketsOwnProfile(t *testing.T) {
	a := newProfilesAccount(t)
	res := corsguard(t, "", "diff", "--endpoint-url", a.url, "--bucket", "media-inbox")
	if res.code != exitDrifted || !strings.Contains(res.stdout, "profile uploads (tag), baseline /corsguard/profiles/s3/uploads version 1") {
		t.Errorf("diff media-inbox: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	must(t, a.emu.SeedBucket("upload-ok", "", uploadsBaseline, nil))
	if ok := corsguard(t, "", "diff", "--endpoint-url", a.url, "--bucket", "upload-ok", "--profile-pattern", "uploads=upload-*"); ok.code != 0 {
		t.Errorf("diff upload-ok against its pattern's profile: exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
	if missing := corsguard(t, "", "diff", "--endpoint-url", a.url, "--bucket", "archive-old"); missing.code != exitError ||
		!strings.Contains(missing.stderr, "/corsguard/profiles/s3/archive") {
		t.Errorf("diff archive-old (missing profile): exit %d\n%s", missing.code, missing.stderr)
	}
}

// A baseline file replaces the default baseline only: a bucket's profile is still read from
// its own parameter, and a missing one still fails, never taking the file's baseline.
func TestABaselineFileReplacesOnlyTheDefaultBaseline(t *testing.T) {
	a := newProfilesAccount(t)
	file := filepath.Join(t.TempDir(), "baseline.json")
	must(t, os.WriteFile(file, policy.Default().JSON(), 0o600))
	res := corsguard(t, "", append([]string{"apply", "--endpoint-url", a.url, "-f", "json", "--baseline-file", file}, profileFlags...)...)
	if res.code != exitError {
		t.Errorf("apply --baseline-file: exit %d, want %d (a bucket names a missing profile)\n%s", res.code, exitError, res.stderr)
	}
	a.holdTheirProfiles(t, "apply --baseline-file")
}

// holdTheirProfiles checks that newProfilesAccount's buckets hold their profiles' baselines
// after what (archive-old, whose profile is missing, untouched).
func (a *account) holdTheirProfiles(t *testing.T, what string) {
	t.Helper()
	for name, holds := range map[string]policy.Policy{"player-assets": policy.Default(), "media-inbox": uploadsBaseline,
		"upload-eu": uploadsBaseline, "partner-feed": partnersBaseline, "archive-old": drifted} {
		if got := a.bucketCors(t, name); !policy.Equal(got, holds) {
			t.Errorf("%s holds %s after %s; want %s", name, got.JSON(), what, holds.JSON())
		}
	}
}
