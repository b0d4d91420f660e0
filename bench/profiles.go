package bench

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// The profiles of the estate RunProfiles sweeps (issue 24): players read, browsers upload, a
// partner reads its feed, and the rest keeps the default baseline.
const (
	ProfilePlayers  = "players"
	ProfileUploads  = "uploads"
	ProfilePartners = "partners"
	// ProfileMissing is the profile the estate's one orphan bucket is tagged with: it has no
	// parameter, so that bucket must be reported and left untouched.
	ProfileMissing = "archive"
	// UploadsPattern gives the uploads profile by name (CORSGUARD_PROFILE_PATTERNS).
	UploadsPattern = "upload-*"
	// orphanBucket names a profile without a parameter.
	orphanBucket = "archive-orphan"
)

// profileBaselines are the profiles' S3 baselines; uploadsV2 is the uploads profile after the
// change RunProfiles makes.
var (
	playersBaseline = policy.Policy{{AllowedOrigins: []string{"https://player.example.com"}, AllowedMethods: []string{"GET", "HEAD"},
		AllowedHeaders: []string{"Range"}, MaxAgeSeconds: 3000}}
	uploadsBaseline = policy.Policy{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type"}, MaxAgeSeconds: 600}}
	uploadsV2 = policy.Policy{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type", "x-amz-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 600}}
	partnersBaseline = policy.Policy{{AllowedOrigins: []string{"https://partner.example.net"}, AllowedMethods: []string{"GET"}}}
)

// ProfilesSpec is the profiles benchmark: an estate of N S3 buckets.
type ProfilesSpec struct {
	N int
	// Rate is the engine's request rate per operation (CORSGUARD_RATE).
	Rate float64
}

// ProfilesRun is what one run of the engine over the estate cost and left behind.
type ProfilesRun struct {
	// Calls are the emulator's counts per operation of S3 and the Tagging API (every call but
	// SSM's), Minimum the least number of each (docs/profiles.md, "The minimum of calls").
	Calls, Minimum map[string]int
	// ParameterReads counts GetParameter calls per parameter name, ParameterMinimum the least
	// number: each baseline the run uses read once to use it and once more when the run ends
	// (the engine's check that no baseline changed during a sweep,
	// Report.BaselineChangedDuringRun), a missing one once. SSMCalls counts every SSM call.
	ParameterReads, ParameterMinimum map[string]int
	SSMCalls                         int
	// Converged is the number of buckets of the run's scope holding their profile's baseline
	// afterwards, of Want; Wrong names up to ten that do not.
	Converged, Want int
	Wrong           []string
	// CorsReadsOutside counts GetBucketCors and PutBucketCors on buckets outside the run's scope
	// (a profile change's scope is its profile's buckets).
	CorsReadsOutside int
	Throttled        int
	Wall             time.Duration
}

// Total is the run's calls, all operations together.
func (r ProfilesRun) Total() int { return sumValues(r.Calls) }

// MinimumTotal is the run's least number of calls, all operations together.
func (r ProfilesRun) MinimumTotal() int { return sumValues(r.Minimum) }

// AtMinimum reports whether every operation made exactly its least number of calls.
func (r ProfilesRun) AtMinimum() bool {
	for _, op := range slices.Collect(maps.Keys(r.Calls)) {
		if r.Calls[op] != r.Minimum[op] {
			return false
		}
	}
	for op, n := range r.Minimum {
		if r.Calls[op] != n {
			return false
		}
	}
	return true
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// ProfilesResult is what RunProfiles measured.
type ProfilesResult struct {
	Spec ProfilesSpec
	// Estate counts the buckets per profile ("default" for the kind's baseline, ProfileMissing
	// for the orphan), Drifted the drifted ones before the sweep.
	Estate  map[string]int
	Drifted int
	// Sweep is the enforce sweep of the whole estate; Change, the run a change of the uploads
	// profile's S3 parameter starts (enforce.Work.Profile, as the router routes the event).
	Sweep, Change ProfilesRun
	// OrphanReported says the sweep reported the bucket naming a missing profile as a terminal
	// failure; OrphanUntouched, that it still holds what it held and got no write.
	OrphanReported, OrphanUntouched bool
	OrphanError                     string
}

// Ratio returns calls ÷ minimum of a run.
func (r ProfilesRun) Ratio() float64 { return float64(r.Total()) / float64(r.MinimumTotal()) }

// profileBucket is one bucket of the estate.
type profileBucket struct {
	name, profile string
	tagged        bool
	drifted       bool
	holds         policy.Policy
}

// profileEstate returns the estate of n buckets: by tens, two in ten players (tagged), two
// uploads (by the name pattern), one partners (tagged), five default; 30 % drifted in each
// (drifted(i)); and one orphan tagged with a profile that has no parameter, holding another
// policy.
func profileEstate(n int) []profileBucket {
	want := map[string]policy.Policy{ProfilePlayers: playersBaseline, ProfileUploads: uploadsBaseline,
		ProfilePartners: partnersBaseline, enforce.DefaultProfile: baseline()}
	var out []profileBucket
	for i := range n - 1 {
		var b profileBucket
		switch (i / 10) % 10 {
		case 0, 1:
			b = profileBucket{name: fmt.Sprintf("media-%05d", i), profile: ProfilePlayers, tagged: true}
		case 2, 3:
			b = profileBucket{name: fmt.Sprintf("upload-%05d", i), profile: ProfileUploads}
		case 4:
			b = profileBucket{name: fmt.Sprintf("feed-%05d", i), profile: ProfilePartners, tagged: true}
		default:
			b = profileBucket{name: fmt.Sprintf("assets-%05d", i), profile: enforce.DefaultProfile}
		}
		isDrifted, p := drifted(i)
		b.drifted, b.holds = isDrifted, p
		if !isDrifted {
			b.holds = want[b.profile]
		}
		out = append(out, b)
	}
	return append(out, profileBucket{name: orphanBucket, profile: ProfileMissing, tagged: true, holds: other()})
}

// profileParam is the S3 parameter of profile name.
func profileParam(name string) string { return profile.DefaultPath + string(policy.S3) + "/" + name }

// RunProfiles builds the estate of spec.N buckets in a fresh emulator at AWS's default quotas,
// sweeps it in enforce mode with the engine built as the Lambda builds it (profiles by tag and
// by pattern), then changes the uploads profile's parameter and runs what its change event
// asks. It counts each run's calls against the least number docs/profiles.md states, computed
// from the estate, and reads every bucket's CORS back from the emulator.
func RunProfiles(ctx context.Context, spec ProfilesSpec) (ProfilesResult, error) {
	if spec.N < 2 {
		return ProfilesResult{}, fmt.Errorf("profiles spec: N = %d; want at least 2 (the estate and its orphan)", spec.N)
	}
	a, err := StartAccount(emulator.WithCreatingDuration(0))
	if err != nil {
		return ProfilesResult{}, err
	}
	defer a.Close()
	res := ProfilesResult{Spec: spec, Estate: map[string]int{}}
	estate, err := seedProfiles(a, spec.N, &res)
	if err != nil {
		return ProfilesResult{}, err
	}
	env := map[string]string{
		config.BaselineParameter: BaselineParam,
		config.Targets:           string(policy.S3),
		config.ProfilePatterns:   ProfileUploads + "=" + UploadsPattern,
		config.Rate:              strconv.FormatFloat(spec.Rate, 'f', -1, 64),
		"AWS_REGION":             Region,
		"AWS_ENDPOINT_URL":       a.URL,
		"AWS_ACCESS_KEY_ID":      AccessKey,
		"AWS_SECRET_ACCESS_KEY":  SecretKey,
	}
	engine, err := engineFromEnv(func(k string) string { return env[k] })
	if err != nil {
		return ProfilesResult{}, err
	}
	if err := profilesSweep(ctx, a, engine, estate, &res); err != nil {
		return ProfilesResult{}, err
	}

	// The change of the uploads profile's parameter.
	if err := a.SeedParameter(profileParam(ProfileUploads), "String", string(uploadsV2.JSON()), ""); err != nil {
		return ProfilesResult{}, err
	}
	a.ResetCalls()
	rep, err := runEngine(ctx, engine, enforce.Work{Mode: enforce.ModeEnforce, Reason: "SSM Update " + profileParam(ProfileUploads),
		Profile: &enforce.ProfileRef{Kind: policy.S3, Name: ProfileUploads}})
	if err != nil {
		return ProfilesResult{}, err
	}
	res.Change = measureRun(a, rep, estate, slices.Collect(maps.Keys(profileParams())), func(b profileBucket) (policy.Policy, bool) {
		return uploadsV2, b.profile == ProfileUploads
	})
	res.Change.Minimum = changeMinimum(estate, ProfileUploads)
	res.Change.ParameterMinimum = map[string]int{profileParam(ProfileUploads): 2}
	return res, nil
}

// profileParams are the baselines the estate's profiles have: the default and three profiles
// (the fourth, ProfileMissing, has none).
func profileParams() map[string]policy.Policy {
	return map[string]policy.Policy{BaselineParam: baseline(), profileParam(ProfilePlayers): playersBaseline,
		profileParam(ProfileUploads): uploadsBaseline, profileParam(ProfilePartners): partnersBaseline}
}

// seedProfiles stores the profiles' baselines and the estate of n buckets in a, counting
// them into res.
func seedProfiles(a *Account, n int, res *ProfilesResult) ([]profileBucket, error) {
	for name, p := range profileParams() {
		if err := a.SeedParameter(name, "String", string(p.JSON()), ""); err != nil {
			return nil, err
		}
	}
	estate := profileEstate(n)
	for _, b := range estate {
		var tags map[string]string
		if b.tagged {
			tags = map[string]string{profile.DefaultTagKey: b.profile}
		}
		var cors any
		if b.holds != nil {
			cors = b.holds
		}
		if err := a.SeedBucket(b.name, "", cors, tags); err != nil {
			return nil, err
		}
		res.Estate[b.profile]++
		if b.drifted {
			res.Drifted++
		}
	}
	return estate, nil
}

// profilesSweep runs the enforce sweep of the estate and measures it into res: every bucket
// but the orphan at its profile's baseline, the orphan reported and untouched.
func profilesSweep(ctx context.Context, a *Account, engine *enforce.Engine, estate []profileBucket, res *ProfilesResult) error {
	a.ResetCalls()
	rep, err := runEngine(ctx, engine, enforce.Work{Mode: enforce.ModeEnforce, Reason: "benchmark sweep with profiles"})
	if err != nil {
		return err
	}
	params := profileParams()
	want := map[string]policy.Policy{ProfilePlayers: playersBaseline, ProfileUploads: uploadsBaseline,
		ProfilePartners: partnersBaseline, enforce.DefaultProfile: baseline()}
	res.Sweep = measureRun(a, rep, estate, append(slices.Collect(maps.Keys(params)), profileParam(ProfileMissing)),
		func(b profileBucket) (policy.Policy, bool) {
			p, ok := want[b.profile]
			return p, ok
		})
	res.Sweep.Minimum = sweepMinimum(estate)
	res.Sweep.ParameterMinimum = map[string]int{profileParam(ProfileMissing): 1}
	for name := range params {
		res.Sweep.ParameterMinimum[name] = 2
	}
	for _, e := range rep.Entries {
		if e.Name == orphanBucket {
			res.OrphanReported = e.Outcome == enforce.Failed && !e.Retryable
			res.OrphanError = e.Error
		}
	}
	if info, ok := a.Bucket(orphanBucket); ok {
		held, err := policy.Parse(info.CorsPolicy)
		res.OrphanUntouched = err == nil && policy.Equal(held, other()) && a.ResourceCalls("PutBucketCors", orphanBucket) == 0
	}
	return nil
}

// runEngine runs w under the sweep's deadline.
func runEngine(ctx context.Context, engine *enforce.Engine, w enforce.Work) (*enforce.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, SweepTimeout)
	defer cancel()
	rep := engine.Run(ctx, w)
	if rep.Error != "" && len(rep.Entries) == 0 {
		return rep, fmt.Errorf("%s: %s", w.Reason, rep.Error)
	}
	return rep, nil
}

// measureRun counts a run's calls and checks, from the emulator's state, that every bucket
// in scope (scope says which, and the policy it must hold) holds its baseline and that none
// outside it had its CORS read or written.
func measureRun(a *Account, rep *enforce.Report, estate []profileBucket, params []string, scope func(profileBucket) (policy.Policy, bool)) ProfilesRun {
	r := ProfilesRun{Calls: map[string]int{}, ParameterReads: map[string]int{}, Throttled: a.Throttled(), Wall: rep.Duration}
	for op, n := range a.Calls() {
		switch op {
		case "GetParameter", "GetParameters", "GetParametersByPath":
			r.SSMCalls += n
		default:
			r.Calls[op] = n
		}
	}
	for _, p := range params {
		if n := a.ResourceCalls("GetParameter", p); n > 0 {
			r.ParameterReads[p] = n
		}
	}
	for _, b := range estate {
		want, in := scope(b)
		if !in {
			r.CorsReadsOutside += a.ResourceCalls("GetBucketCors", b.name) + a.ResourceCalls("PutBucketCors", b.name)
			continue
		}
		r.Want++
		info, ok := a.Bucket(b.name)
		held, err := policy.Parse(info.CorsPolicy)
		if ok && err == nil && policy.Equal(held, want) {
			r.Converged++
		} else if len(r.Wrong) < 10 {
			r.Wrong = append(r.Wrong, b.name)
		}
	}
	return r
}

// sweepMinimum is the least number of calls of an in-process S3 sweep with profiles
// (docs/profiles.md): the listing, the profile-tagged buckets' tags in bulk, a drifted
// untagged bucket's own tags (the exemption check), one CORS read per bucket whose profile has
// a baseline, one write per drifted one.
func sweepMinimum(estate []profileBucket) map[string]int {
	tagged, untaggedDrifted, reads, drifted := 0, 0, 0, 0
	for _, b := range estate {
		if b.tagged {
			tagged++
		} else if b.drifted {
			untaggedDrifted++
		}
		if b.profile != ProfileMissing {
			reads++
			if b.drifted {
				drifted++
			}
		}
	}
	return map[string]int{
		"ListBuckets":      (len(estate) + S3PageSize - 1) / S3PageSize,
		"GetResources":     max(1, (tagged+99)/100),
		"GetBucketTagging": untaggedDrifted,
		"GetBucketCors":    reads,
		"PutBucketCors":    drifted,
	}
}

// changeMinimum is the least number of calls of a change of profile p's S3 parameter
// (docs/profiles.md): the listing (a pattern names p), the buckets tagged p in bulk (at least
// one call), the pattern's candidates' tags by ARN list per listed page, and one CORS read and
// write per bucket of p (every one of them holds p's previous baseline).
func changeMinimum(estate []profileBucket, p string) map[string]int {
	names := make([]string, 0, len(estate))
	tagged, members := 0, 0
	for _, b := range estate {
		names = append(names, b.name)
		if b.tagged && b.profile == p {
			tagged++
		}
		if b.profile == p {
			members++
		}
	}
	slices.Sort(names)
	byARN := 0
	for page := range slices.Chunk(names, S3PageSize) {
		candidates := 0
		for _, n := range page {
			if ok, _ := path.Match(UploadsPattern, n); ok {
				candidates++
			}
		}
		byARN += (candidates + 99) / 100
	}
	return map[string]int{
		"ListBuckets":   (len(estate) + S3PageSize - 1) / S3PageSize,
		"GetResources":  max(1, (tagged+99)/100) + byARN,
		"GetBucketCors": members,
		"PutBucketCors": members,
	}
}
