package e2e

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/policy"
)

// An estate of players, uploads and partners (issue 24), chosen by tags and by patterns,
// driven through the corsguard CLI (profiles, audit, diff, apply in every format, with Security
// Hub) and through the function (the real bootstrap under aws-lambda-rie, in-process and as
// the work queue's router and workers).

// The profiles' baselines for buckets; the default baseline is baseline.
var (
	playersProfile = policy.Policy{{AllowedOrigins: []string{"https://player.example.com"}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"Range"}}}
	uploadsProfile = policy.Policy{{ID: "uploads", AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type", "x-amz-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 600}}
	partnersProfile = policy.Policy{{AllowedOrigins: []string{"https://partner.example.net"}, AllowedMethods: []string{"GET"}}}
)

// estatePatterns give the profiles by name; a tag wins over them.
const estatePatterns = "players=player-*;uploads=upload-*,ingest-*;partners=partner-*"

// estateBucket is one bucket of the estate: its tags, and what corsguard must make of it.
type estateBucket struct {
	name string
	tags map[string]string
	// cors is what it holds before; profile, source and parameter what it gets: "" for an
	// exempt bucket; a failed one (a missing or invalid profile) has want nil.
	cors              policy.Policy
	profile, source   string
	want              policy.Policy
	missingOrInvalid  bool
	exempt, compliant bool
}

// roles is how the estate's buckets name their profiles: the profile tag's key and the
// profiles' path, the defaults or others.
type roles struct{ key, path string }

var defaultRoles = roles{key: "corsguard:profile", path: "/corsguard/profiles/"}

// env is the function's environment for r.
func (r roles) env() map[string]string {
	env := map[string]string{"CORSGUARD_TARGETS": "s3", "CORSGUARD_MODE": "enforce", "CORSGUARD_PROFILE_PATTERNS": estatePatterns}
	if r != defaultRoles {
		env["CORSGUARD_PROFILE_TAG"], env["CORSGUARD_PROFILES_PATH"] = r.key, r.path
	}
	return env
}

// estate is every bucket of the test's account.
func (r roles) estate() []estateBucket {
	profileTag := func(v string) map[string]string { return map[string]string{r.key: v} }
	otherKeys := map[string]string{"corsguard:profiles": "uploads"}
	if r.key != defaultRoles.key {
		otherKeys[defaultRoles.key] = "uploads"
	}
	return []estateBucket{
		{name: "player-web", cors: drifted, profile: "players", source: "pattern", want: playersProfile},
		{name: "media-assets", tags: profileTag("players"), cors: drifted, profile: "players", source: "tag", want: playersProfile},
		{name: "upload-eu", cors: nil, profile: "uploads", source: "pattern", want: uploadsProfile},
		{name: "ingest-raw", cors: drifted, profile: "uploads", source: "pattern", want: uploadsProfile},
		{name: "media-inbox", tags: profileTag("uploads"), cors: drifted, profile: "uploads", source: "tag", want: uploadsProfile},
		{name: "upload-ok", cors: uploadsProfile, profile: "uploads", source: "pattern", want: uploadsProfile, compliant: true},
		{name: "upload-to-partner", tags: profileTag("partners"), cors: drifted, profile: "partners", source: "tag", want: partnersProfile},
		{name: "partner-feed", cors: drifted, profile: "partners", source: "pattern", want: partnersProfile},
		{name: "plain-assets", cors: drifted, profile: "default", source: "default", want: baseline},
		// A tag naming a profile with no parameter for s3, and a tag that is no profile name:
		// terminal failures, untouched, never the default.
		{name: "archive-old", tags: profileTag("archive"), cors: drifted, profile: "archive", source: "tag", missingOrInvalid: true},
		{name: "bad-profile", tags: profileTag("players/extra"), cors: drifted, profile: "players/extra", source: "tag", missingOrInvalid: true},
		// The exemption wins, even over an invalid profile.
		{name: "exempt-odd", tags: map[string]string{"corsguard:exempt": "true", r.key: ".."}, cors: drifted, exempt: true},
		// Another key (the default one, when another is configured): the default baseline.
		{name: "other-key", tags: otherKeys, cors: drifted, profile: "default", source: "default", want: baseline},
	}
}

// newEstate is an account holding the default baseline, the three profiles' parameters for
// s3 and the estate's buckets.
func newEstate(t *testing.T, r roles) *account {
	t.Helper()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount))
	for name, p := range map[string]policy.Policy{"players": playersProfile, "uploads": uploadsProfile, "partners": partnersProfile} {
		if err := a.SeedParameter(r.path+"s3/"+name, "String", string(p.JSON()), ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range r.estate() {
		a.seedBucket(t, b.name, b.cors, b.tags)
	}
	return a
}

// parameterOf is the parameter a bucket's profile reads: "" for a name that is no profile's.
func (r roles) parameterOf(b estateBucket) string {
	switch {
	case b.profile == "default":
		return baselineParam
	case b.profile == "players/extra":
		return ""
	}
	return r.path + "s3/" + b.profile
}

// wantConverged checks every bucket after an enforcing run: each at its profile, a failed one
// and the exempt one untouched (no write at all).
func wantConverged(t *testing.T, a *account, r roles) {
	t.Helper()
	for _, b := range r.estate() {
		switch {
		case b.missingOrInvalid || b.exempt:
			wantBucketPolicy(t, a, b.name, b.cors)
			if n := a.ResourceCalls("PutBucketCors", b.name); n != 0 {
				t.Errorf("%s: %d writes, want none", b.name, n)
			}
		default:
			wantBucketPolicy(t, a, b.name, b.want)
		}
	}
}

// wantEntries checks a report's entries: each bucket's outcome and its profile object. drifted
// is the outcome of a bucket that does not hold its profile (drifted in audit, remediated in
// enforce).
func wantEntries(t *testing.T, rep *enforce.Report, r roles, drifted enforce.Outcome) {
	t.Helper()
	got, want := map[string]string{}, map[string]string{}
	for _, e := range rep.Entries {
		p := e.Profile
		if p == nil {
			p = &enforce.EntryProfile{}
		}
		got[e.Name] = fmt.Sprintf("%s %s %s %s %d", e.Outcome, p.Name, p.Source, p.Parameter, p.Version)
	}
	for _, b := range r.estate() {
		outcome, version := drifted, 1
		switch {
		case b.exempt:
			want[b.name] = fmt.Sprintf("%s  exempt  0", enforce.Exempt)
			continue
		case b.missingOrInvalid:
			outcome, version = enforce.Failed, 0
		case b.compliant:
			outcome = enforce.Compliant
		}
		want[b.name] = fmt.Sprintf("%s %s %s %s %d", outcome, b.profile, b.source, r.parameterOf(b), version)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries: outcome, profile name, source, parameter, version (-want +got):\n%s", diff)
	}
}

func TestAnEstateOfPlayersUploadsAndPartnersThroughTheCLI(t *testing.T) {
	t.Parallel()
	r := defaultRoles
	a := newEstate(t, r)
	flags := []string{"--target", "s3", "--profile-pattern", "players=player-*", "--profile-pattern", "uploads=upload-*,ingest-*", "--profile-pattern", "partners=partner-*"}
	run := func(args ...string) (string, string, int) {
		t.Helper()
		return a.cli(t, append(args, flags...)...)
	}

	// profiles: every bucket's profile and why; exit 1 for the missing and the invalid ones
	// (it does not look at the exemption tag: exempt-odd's ".." is invalid too).
	out, errs, code := run("profiles", "--format", "json")
	if code != 1 || !strings.Contains(errs, "3 resource(s) name a missing or invalid profile") {
		t.Errorf("profiles: exit %d, want 1 naming 3 resources\n%s", code, errs)
	}
	var l enforce.ProfileListing
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("profiles --format json: %v\n%s", err, out)
	}
	listed := map[string]string{}
	for _, e := range l.Entries {
		listed[e.Name] = fmt.Sprintf("%s %s %s %t", e.Profile, e.Source, e.Parameter, e.Error != "")
	}
	wantListed := map[string]string{}
	for _, b := range r.estate() {
		if !b.exempt {
			wantListed[b.name] = fmt.Sprintf("%s %s %s %t", b.profile, b.source, r.parameterOf(b), b.missingOrInvalid)
		}
	}
	wantListed["exempt-odd"] = ".. tag  true"
	if diff := cmp.Diff(wantListed, listed); diff != "" {
		t.Errorf("profiles: name, reason, parameter, problem (-want +got):\n%s", diff)
	}
	if out, _, code := run("profiles"); code != 1 || !strings.Contains(out, "REASON") || !strings.Contains(out, "media-inbox") {
		t.Errorf("profiles as a table: exit %d\n%s", code, out)
	}

	// audit: exit 1 (terminal failures), each entry's profile object in JSON.
	rep, code := a.runCLI(t, append([]string{"audit"}, flags...)...)
	if code != 1 {
		t.Errorf("audit: exit %d, want 1 (a bucket names a missing profile, one an invalid one)", code)
	}
	wantEntries(t, rep, r, enforce.Drifted)
	if out, _, _ := run("audit", "--format", "table"); !strings.Contains(out, "PROFILE") ||
		!strings.Contains(out, "/corsguard/profiles/s3/uploads version 1") || !strings.Contains(out, "archive") {
		t.Errorf("audit as a table lacks the PROFILE column or a profile line:\n%s", out)
	}
	out, _, _ = run("audit", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("audit as CSV: %v\n%s", err, out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	csvGot, csvWant := map[string]string{}, map[string]string{}
	for _, r := range rows[1:] {
		csvGot[r[col["name"]]] = strings.Join([]string{r[col["profile"]], r[col["profile_parameter"]], r[col["profile_version"]]}, " ")
	}
	for _, b := range r.estate() {
		switch {
		case b.exempt:
			csvWant[b.name] = "  "
		case b.missingOrInvalid:
			csvWant[b.name] = b.profile + " " + r.parameterOf(b) + " "
		default:
			csvWant[b.name] = b.profile + " " + r.parameterOf(b) + " 1"
		}
	}
	if diff := cmp.Diff(csvWant, csvGot); diff != "" {
		t.Errorf("audit as CSV: profile, profile_parameter, profile_version (-want +got):\n%s", diff)
	}

	// diff: against the bucket's own profile; a missing or invalid profile is an error.
	for bucket, want := range map[string]struct {
		code int
		says string
	}{
		"media-inbox":  {3, "profile uploads (tag), baseline /corsguard/profiles/s3/uploads version 1"},
		"partner-feed": {3, "profile partners (pattern), baseline /corsguard/profiles/s3/partners version 1"},
		"upload-ok":    {0, ""},
		"archive-old":  {1, "/corsguard/profiles/s3/archive"},
		"bad-profile":  {1, "invalid profile"},
	} {
		out, errs, code := run("diff", "--bucket", bucket)
		if code != want.code || !strings.Contains(out+errs, want.says) {
			t.Errorf("diff --bucket %s: exit %d, want %d saying %q\n%s%s", bucket, code, want.code, want.says, out, errs)
		}
	}

	// apply with Security Hub: exit 1; every bucket at its profile, the failed ones untouched;
	// each finding carries its profile.
	a.ResetCalls()
	rep, code = a.runCLI(t, append([]string{"apply", "--security-hub"}, flags...)...)
	if code != 1 {
		t.Errorf("apply: exit %d, want 1", code)
	}
	wantEntries(t, rep, r, enforce.Remediated)
	wantConverged(t, a, r)
	wantProfileFindings(t, a, r)
	if rep, code = a.runCLI(t, append([]string{"audit"}, flags...)...); code != 1 || rep.Totals[enforce.Failed] != 2 || rep.Totals[enforce.Drifted] != 0 {
		t.Errorf("audit after apply: exit %d, totals %v; want 1 with 2 failed and nothing drifted", code, rep.Totals)
	}
	if _, _, code := run("diff", "--bucket", "media-inbox"); code != 0 {
		t.Errorf("diff --bucket media-inbox after apply: exit %d, want 0", code)
	}
}

// wantProfileFindings checks the Security Hub findings of the estate: each bucket's carries
// its profile, the reason, and the profile's parameter and version as the baseline's.
func wantProfileFindings(t *testing.T, a *account, r roles) {
	t.Helper()
	got, want := map[string]string{}, map[string]string{}
	for _, f := range a.Findings() {
		pf, _ := f["ProductFields"].(map[string]any)
		name, _ := pf["corsguard/Name"].(string)
		got[name] = fmt.Sprintf("%v %v %v %v", pf["corsguard/Profile"], pf["corsguard/ProfileSource"], pf["corsguard/BaselineParameter"], pf["corsguard/BaselineVersion"])
	}
	for _, b := range r.estate() {
		if !b.exempt && !b.missingOrInvalid {
			want[b.name] = fmt.Sprintf("%s %s %s 1", b.profile, b.source, r.parameterOf(b))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			delete(got, name) // the failed and exempt ones: checked by the entries
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Security Hub findings' corsguard/Profile, ProfileSource, BaselineParameter, BaselineVersion (-want +got):\n%s", diff)
	}
}

func TestAnEstateOfPlayersUploadsAndPartnersThroughTheFunction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		queue bool
		roles roles
	}{
		{"in-process", false, defaultRoles},
		{"work queue", true, defaultRoles},
		{"work queue, tag cors-role, profiles under /team/profiles/", true, roles{key: "cors-role", path: "/team/profiles/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.roles
			a := newEstate(t, r)
			env := r.env()
			if !tc.queue {
				env["CORSGUARD_SECURITY_HUB"] = "true"
			}
			fn, drain := onPath(t, a, tc.queue, env)
			inv := fn.invoke(t, sample(t, "scheduled-sweep.json"))
			wantSuccess(t, inv, handler.Sweep)
			drain(t)
			wantConverged(t, a, r)
			if tc.queue {
				// The router stamped every profile's version, the tagged-only ones too.
				// Its one worker instance reads each at most once (version 1), whatever selects
				// it; the router listed them in one call.
				for _, p := range []string{"players", "uploads", "partners"} {
					if v := inv.Result.Report.Stamps[policy.S3][r.path+"s3/"+p]; v != 1 {
						t.Errorf("the router stamped %s version %d, want 1 (%v)", p, v, inv.Result.Report.Stamps)
					}
					if n := a.ResourceCalls("GetParameter", r.path+"s3/"+p); n > 1 {
						t.Errorf("%d reads of the %s profile by one worker instance, want at most 1", n, p)
					}
				}
				if n := a.ResourceCalls("GetParametersByPath", r.path+"s3"); n != 1 {
					t.Errorf("%d listings of %ss3, want 1", n, r.path)
				}
				return
			}
			wantEntries(t, inv.Result.Report, r, enforce.Remediated)
			wantProfileFindings(t, a, r)
			finished := fn.out.logs("run finished")
			if len(finished) != 1 || !strings.Contains(fmt.Sprint(finished[0]["profiles"]), "/corsguard/profiles/s3/uploads") {
				t.Errorf("the run finished line does not list the profiles read: %v", finished)
			}
			if docs := fn.out.metrics(); len(docs) != 1 || docs[0]["TerminalFailures"] != float64(2) {
				t.Errorf("EMF documents %v: want TerminalFailures 2 (the missing and the invalid profile)", docs)
			}

			// A direct audit afterwards: everything holds its profile; the two still fail.
			inv = fn.invoke(t, sample(t, "direct-audit.json"))
			wantSuccess(t, inv, handler.Manual)
			got := map[enforce.Outcome][]string{}
			for _, e := range inv.Result.Report.Entries {
				got[e.Outcome] = append(got[e.Outcome], e.Name)
			}
			want := map[enforce.Outcome][]string{enforce.Failed: {"archive-old", "bad-profile"}, enforce.Exempt: {"exempt-odd"}}
			for _, b := range r.estate() {
				if !b.missingOrInvalid && !b.exempt {
					want[enforce.Compliant] = append(want[enforce.Compliant], b.name)
				}
			}
			for _, m := range []map[enforce.Outcome][]string{got, want} {
				for _, names := range m {
					slices.Sort(names)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("direct audit after the sweep (-want +got):\n%s", diff)
			}
		})
	}
}

// cfProfile is a CorsConfig baseline allowing origin to GET and HEAD.
func cfProfile(origin string) string {
	return fmt.Sprintf(`{"CorsConfig": {
  "AccessControlAllowOrigins": {"Quantity": 1, "Items": [%q]},
  "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["Range"]},
  "AccessControlAllowMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
  "AccessControlAllowCredentials": false,
  "OriginOverride": true}}`, origin)
}

// CloudFront response headers policies carry no tags: the patterns alone give their profile,
// through the function (in-process and the work queue) and the CLI alike. A pattern naming a
// profile with no parameter for cloudfront fails that policy, which is left as it was.
func TestResponseHeadersPoliciesGetTheProfileTheirNameGives(t *testing.T) {
	t.Parallel()
	origins := map[string]string{"player-cors": "https://player.example.com", "partner-cors": "https://partner.example.net", "media-cors": "https://media.example.com"}
	for _, path := range []string{"in-process", "work queue", "cli"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()))
			for param, value := range map[string]string{cfParam: cfProfile(origins["media-cors"]),
				"/corsguard/profiles/cloudfront/players": cfProfile(origins["player-cors"]), "/corsguard/profiles/cloudfront/partners": cfProfile(origins["partner-cors"])} {
				if err := a.SeedParameter(param, "String", value, ""); err != nil {
					t.Fatal(err)
				}
			}
			cf := cloudfront.NewFromConfig(a.aws(t))
			ids := map[string]*string{}
			for _, name := range []string{"player-cors", "partner-cors", "media-cors", "upload-cors"} {
				out, err := cf.CreateResponseHeadersPolicy(context.Background(), &cloudfront.CreateResponseHeadersPolicyInput{
					ResponseHeadersPolicyConfig: &cftypes.ResponseHeadersPolicyConfig{Name: aws.String(name), CorsConfig: anyOrigin()}})
				if err != nil {
					t.Fatal(err)
				}
				ids[name] = out.ResponseHeadersPolicy.Id
			}
			const patterns = "players=player-*;uploads=upload-*;partners=partner-*"
			var rep *enforce.Report
			if path == "cli" {
				var code int
				rep, code = a.runCLI(t, "apply", "--target", "cloudfront", "--cloudfront-baseline-parameter", cfParam,
					"--profile-pattern", "players=player-*", "--profile-pattern", "uploads=upload-*", "--profile-pattern", "partners=partner-*")
				if code != 1 {
					t.Errorf("apply: exit %d, want 1 (upload-cors names a profile with no cloudfront parameter)", code)
				}
			} else {
				env := cfEnv(a, "cloudfront")
				env["CORSGUARD_PROFILE_PATTERNS"] = patterns
				fn, drain := onPath(t, a, path == "work queue", env)
				inv := fn.invoke(t, sample(t, "scheduled-sweep.json"))
				wantSuccess(t, inv, handler.Sweep)
				drain(t)
				rep = inv.Result.Report
			}
			if path != "work queue" {
				got := map[string]string{}
				for _, e := range rep.Entries {
					got[e.Name] = fmt.Sprintf("%s %s %s", e.Outcome, e.Profile.Name, e.Profile.Source)
				}
				want := map[string]string{"player-cors": "remediated players pattern", "partner-cors": "remediated partners pattern",
					"media-cors": "remediated default default", "upload-cors": "failed uploads pattern"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
			}
			for name, id := range ids {
				out, err := cf.GetResponseHeadersPolicy(context.Background(), &cloudfront.GetResponseHeadersPolicyInput{Id: id})
				if err != nil {
					t.Fatal(err)
				}
				got := out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowOrigins.Items
				want := []string{origins[name]}
				if name == "upload-cors" {
					want = []string{"*"} // untouched
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s allows %v, want %v", name, got, want)
				}
			}
		})
	}
}
