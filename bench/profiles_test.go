package bench

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A sweep of an estate with profiles by tag and by pattern converges every bucket to its own
// profile's baseline at exactly the least number of calls, reads each profile's parameter
// once, and reports and leaves alone the bucket naming a missing profile; a change of the
// uploads profile's parameter converges exactly the upload buckets, at the least number of
// calls, reading no other bucket's CORS.
func TestProfilesSweepAndChangeAreAtTheMinimum(t *testing.T) {
	r, err := RunProfiles(context.Background(), ProfilesSpec{N: 250, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct {
		name string
		r    ProfilesRun
	}{{"sweep", r.Sweep}, {"uploads change", r.Change}} {
		if diff := cmp.Diff(run.r.Minimum, run.r.Calls); diff != "" {
			t.Errorf("%s: calls per operation (-minimum +got):\n%s", run.name, diff)
		}
		if run.r.Converged != run.r.Want || run.r.Want == 0 {
			t.Errorf("%s: %d of %d buckets at their profile's baseline; not: %v", run.name, run.r.Converged, run.r.Want, run.r.Wrong)
		}
		if run.r.CorsReadsOutside != 0 {
			t.Errorf("%s: %d CORS reads or writes outside its scope", run.name, run.r.CorsReadsOutside)
		}
		if diff := cmp.Diff(run.r.ParameterMinimum, run.r.ParameterReads); diff != "" {
			t.Errorf("%s: GetParameter per parameter (-minimum +got):\n%s", run.name, diff)
		}
		if n := sumValues(run.r.ParameterReads); run.r.SSMCalls != n {
			t.Errorf("%s: %d SSM calls, %d of them GetParameter of the baselines", run.name, run.r.SSMCalls, n)
		}
		if run.r.Throttled != 0 {
			t.Errorf("%s: %d throttles at AWS's default quotas", run.name, run.r.Throttled)
		}
	}
	if len(r.Sweep.ParameterMinimum) != 5 || len(r.Change.ParameterMinimum) != 1 {
		t.Errorf("the minimum names %v and %v; want the default and the four profiles, then the uploads profile", r.Sweep.ParameterMinimum, r.Change.ParameterMinimum)
	}
	if !r.OrphanReported || !r.OrphanUntouched {
		t.Errorf("orphan: reported terminal %v (%q), untouched %v; want both", r.OrphanReported, r.OrphanError, r.OrphanUntouched)
	}
}
