package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/corsguard/corsguard/bench"
	"github.com/corsguard/corsguard/profile"
)

// profilesSpec is section 1d's estate (issue 24): 1,000 buckets at an engine rate of 1000/s
// per operation, so that the sweep takes about a second.
var profilesSpec = bench.ProfilesSpec{N: 1000, Rate: 1000}

// profilesSection is section 1d, measured by make bench and apart by -profiles.
var profilesSection = section{heading: "## 1d. Profiles", prefix: "| profiles, ",
	note: "Profiles (section 1d and the summary's profiles rows) measured apart:", before: []string{"\n## 2. "}}

func measureProfiles(ctx context.Context) (*bench.ProfilesResult, error) {
	logf("profiles: sweep of %d buckets and a change of the uploads profile", profilesSpec.N)
	r, err := bench.RunProfiles(ctx, profilesSpec)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// profilesOK says whether a run met issue 24's targets: every operation at its minimum, every
// bucket of its scope converged, no CORS call outside it, the minimum of parameter reads, no
// throttle.
func profilesOK(r bench.ProfilesRun) bool {
	return r.AtMinimum() && r.Converged == r.Want && r.CorsReadsOutside == 0 && r.Throttled == 0 &&
		maps.Equal(r.ParameterReads, r.ParameterMinimum) && r.SSMCalls == sumInts(r.ParameterReads)
}

func sumInts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// profilesSummaryRows are the summary's rows of section 1d.
func profilesSummaryRows(r *bench.ProfilesResult) []string {
	if r == nil {
		return nil
	}
	p := profilesSection.prefix
	return []string{
		fmt.Sprintf("%ssweep of %d buckets (players, uploads, partners, default): calls ÷ minimum | 1.00, every bucket at its profile's baseline | %s | | %s: %d of %d converged; the bucket naming a missing profile reported and untouched: %s |",
			p, r.Spec.N, ratio(float64(r.Sweep.Total()), float64(r.Sweep.MinimumTotal())), verdict(profilesOK(r.Sweep) && r.OrphanReported && r.OrphanUntouched),
			r.Sweep.Converged, r.Sweep.Want, yesNo(r.OrphanReported && r.OrphanUntouched)),
		fmt.Sprintf("%schange of the uploads profile's S3 parameter: calls ÷ minimum | 1.00, exactly the upload buckets | %s | | %s: %d of %d converged, %d CORS calls on other buckets |",
			p, ratio(float64(r.Change.Total()), float64(r.Change.MinimumTotal())), verdict(profilesOK(r.Change)),
			r.Change.Converged, r.Change.Want, r.Change.CorsReadsOutside),
	}
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// renderProfiles writes section 1d.
func renderProfiles(b *w, r *bench.ProfilesResult) {
	if r == nil {
		return
	}
	b.pf("%s", profilesSection.heading)
	b.pf("")
	b.pf("Issue 24: an estate of %d S3 buckets, each held to its own profile (docs/profiles.md): %d `players` tagged",
		r.Spec.N, r.Estate[bench.ProfilePlayers])
	b.pf("`%s=%s`, %d `uploads` by the pattern `%s=%s`, %d `partners` tagged, %d on the default baseline, and one",
		profile.DefaultTagKey, bench.ProfilePlayers, r.Estate[bench.ProfileUploads], bench.ProfileUploads, bench.UploadsPattern,
		r.Estate[bench.ProfilePartners], r.Estate["default"])
	b.pf("tagged with the profile `%s`, which has no parameter; %d drifted (30 %% of each profile). The engine is built from", bench.ProfileMissing, r.Drifted)
	b.pf("the environment as the Lambda builds it (CORSGUARD_TARGETS=s3, CORSGUARD_PROFILE_PATTERNS, CORSGUARD_RATE=%g)", r.Spec.Rate)
	b.pf("and runs in-process against the emulator at AWS's default quotas: first an enforce sweep, then the run a change")
	b.pf("of `/corsguard/profiles/s3/uploads` starts (`enforce.Work.Profile`, as the router routes that event). Calls are counted")
	b.pf("by the emulator; the minimum of each operation is computed from the estate by the rules of docs/profiles.md (\"The")
	b.pf("minimum of calls\"); convergence is read back from the emulator's state, bucket by bucket. `TestProfilesSweepAndChangeAreAtTheMinimum`")
	b.pf("holds the same at 250 buckets under `make test`.")
	b.pf("")
	b.pf("| run | operation | calls | minimum | ÷ minimum |")
	b.pf("|---|---|---|---|---|")
	for _, run := range []struct {
		name string
		r    bench.ProfilesRun
	}{{"sweep", r.Sweep}, {"uploads change", r.Change}} {
		ops := slices.Sorted(maps.Keys(run.r.Minimum))
		for op := range maps.Keys(run.r.Calls) {
			if !slices.Contains(ops, op) {
				ops = append(ops, op)
			}
		}
		for _, op := range ops {
			b.pf("| %s | %s | %d | %d | %s |", run.name, op, run.r.Calls[op], run.r.Minimum[op], ratio(float64(run.r.Calls[op]), float64(run.r.Minimum[op])))
		}
		b.pf("| %s | **all** | %d | %d | **%s** |", run.name, run.r.Total(), run.r.MinimumTotal(), ratio(float64(run.r.Total()), float64(run.r.MinimumTotal())))
	}
	b.pf("")
	b.pf("| run | buckets at their profile's baseline | CORS calls outside the run's scope | SSM calls | GetParameter per parameter (minimum) | throttles | wall |")
	b.pf("|---|---|---|---|---|---|---|")
	for _, run := range []struct {
		name string
		r    bench.ProfilesRun
	}{{"sweep", r.Sweep}, {"uploads change", r.Change}} {
		var reads []string
		for _, p := range slices.Sorted(maps.Keys(run.r.ParameterMinimum)) {
			reads = append(reads, fmt.Sprintf("`%s` %d (%d)", p, run.r.ParameterReads[p], run.r.ParameterMinimum[p]))
		}
		b.pf("| %s | %d of %d | %d | %d | %s | %d | %s |", run.name, run.r.Converged, run.r.Want, run.r.CorsReadsOutside,
			run.r.SSMCalls, strings.Join(reads, ", "), run.r.Throttled, secs(run.r.Wall))
	}
	b.pf("")
	b.pf("The sweep's scope is every bucket but the one naming a missing profile; that one was reported as a terminal failure")
	b.pf("(%s) and left untouched (it still holds what it held, no PutBucketCors): %s. The change's scope is the",
		orphanReason(r.OrphanError), yesNo(r.OrphanReported && r.OrphanUntouched))
	b.pf("upload buckets: every one of them is drifted from the new baseline. A sweep reads each baseline it uses twice:")
	b.pf("once to use it and once when it ends, to say whether it changed during the run (`Report.BaselineChangedDuringRun`);")
	b.pf("a missing profile's parameter is read once. Wall is the engine's own `Report.Duration`.")
	b.pf("")
}

// orphanReason is the orphan's error up to the SDK's own text, which carries a request id that
// differs from run to run.
func orphanReason(e string) string {
	e, _, _ = strings.Cut(e, ": operation error")
	return "`" + strings.ReplaceAll(e, "`", "'") + "`"
}

// spliceProfiles rewrites section 1d and its summary rows with a -profiles run's figures.
func spliceProfiles(path string, began time.Time, took time.Duration, r *bench.ProfilesResult) error {
	var body w
	renderProfiles(&body, r)
	note := fmt.Sprintf("`go run ./bench/cmd/report -profiles`, %s, %s, at commit %s; load average after it %s.",
		began.UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second), commit(), loadAvg())
	return spliceSection(path, profilesSection, body.String(), profilesSummaryRows(r), note)
}
