package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
	"github.com/corsguard/corsguard/policy"
)

// TestDemo runs the whole demo as `make demo` does and checks what it did, step by step and in
// the account at the end, not only that it returned no error.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	d, err := runDemo(context.Background(), &out, demoCreating)
	if d != nil {
		defer d.close()
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	checkDemoAPIs(t, d, &out)

	type step struct {
		Event    string
		Kind     handler.Event
		Outcomes map[string]enforce.Outcome
		Calls    bool
	}
	var got []step
	for _, s := range d.steps {
		if s.err != nil {
			t.Errorf("%s: invocation error %v", s.event, s.err)
		}
		st := step{Event: s.event, Kind: s.result.Event, Calls: s.calls > 0}
		if r := s.result.Report; r != nil {
			st.Outcomes = map[string]enforce.Outcome{}
			for _, e := range r.Entries {
				st.Outcomes[e.Name] = e.Outcome
			}
		}
		got = append(got, st)
	}
	// Every matching container and bucket: the exempt ones exempt, the rest o, or remediated
	// when named in changed.
	all := func(o enforce.Outcome, changed ...string) map[string]enforce.Outcome {
		m := map[string]enforce.Outcome{"live-news": o, "live-sports": o, "highlights": o, "vod-library": o,
			"vod-archive": o, demoExempt: enforce.Exempt,
			"media-assets": o, "media-library": o, "media-archive": o, demoNewBucket: o, demoExemptBucket: enforce.Exempt}
		for _, n := range changed {
			m[n] = enforce.Remediated
		}
		if _, ok := m[demoPolicy]; !ok {
			m[demoPolicy] = enforce.Compliant // its own baseline, which the SSM update does not change
		}
		return m
	}
	want := []step{
		{Event: "mediastore-container-created.json", Kind: handler.ContainerCreated, Calls: true,
			Outcomes: map[string]enforce.Outcome{"live-news": enforce.Remediated}},
		{Event: "cloudtrail-s3-create-bucket.json", Kind: handler.BucketCreated, Calls: true,
			Outcomes: map[string]enforce.Outcome{demoNewBucket: enforce.Remediated}},
		{Event: "ssm-baseline-update.json", Kind: handler.BaselineChanged, Calls: true, Outcomes: all(enforce.Remediated)},
		{Event: "cloudtrail-put-cors-policy.json", Kind: handler.CorsChanged, Calls: true,
			Outcomes: map[string]enforce.Outcome{"live-news": enforce.Remediated}},
		{Event: "cloudtrail-s3-put-bucket-cors.json", Kind: handler.CorsChanged, Calls: true,
			Outcomes: map[string]enforce.Outcome{"media-assets": enforce.Remediated}},
		{Event: "cloudtrail-update-response-headers-policy.json", Kind: handler.CorsChanged, Calls: true,
			Outcomes: map[string]enforce.Outcome{demoPolicy: enforce.Remediated}},
		{Event: "scheduled-sweep.json", Kind: handler.Sweep, Calls: true, Outcomes: all(enforce.Compliant, "vod-archive", "media-archive")},
		{Event: "mediastore-object-upload-state-change.json", Kind: handler.Ignored},
		{Event: "direct-audit.json", Kind: handler.Manual, Calls: true, Outcomes: all(enforce.Compliant)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}

	// The account at the end: every matching container holds version 2 of the baseline, the
	// exempt and the excluded ones are as they were seeded.
	for _, c := range demoContainers() {
		info, ok := d.emu.Container(c.name)
		if !ok {
			t.Errorf("%s is gone", c.name)
			continue
		}
		wantPolicy := demoBaselineV2()
		if c.name == demoExempt || strings.HasPrefix(c.name, "test-") {
			wantPolicy = c.cors
		}
		if info.Status != "ACTIVE" || !cmp.Equal(info.CorsPolicy == nil, wantPolicy == nil) ||
			(wantPolicy != nil && !policy.Equal(corscases.Emulated(t, info.CorsPolicy), wantPolicy)) {
			t.Errorf("%s at the end: %s %v, want ACTIVE %v", c.name, info.Status, info.CorsPolicy, wantPolicy)
		}
	}
	// Every matching bucket too; the exempt one as it was seeded.
	for _, b := range append(demoBuckets(), demoBucket{name: demoNewBucket}) {
		info, ok := d.emu.Bucket(b.name)
		if !ok {
			t.Errorf("bucket %s does not exist", b.name)
			continue
		}
		wantPolicy := demoBaselineV2()
		if b.name == demoExemptBucket {
			wantPolicy = b.cors
		}
		if !policy.Equal(corscases.Emulated(t, info.CorsPolicy), wantPolicy) {
			t.Errorf("bucket %s at the end: %v, want %v", b.name, info.CorsPolicy, wantPolicy)
		}
	}
	got2, err := d.cf.GetResponseHeadersPolicy(context.Background(), &cloudfront.GetResponseHeadersPolicyInput{Id: &d.policyID})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := got2.ResponseHeadersPolicy.ResponseHeadersPolicyConfig; cfg.SecurityHeadersConfig == nil || cfg.SecurityHeadersConfig.StrictTransportSecurity == nil ||
		*cfg.Comment != demoCloudFrontComment || cfg.CorsConfig.AccessControlAllowOrigins.Items[0] != "https://player.example.com" {
		t.Errorf("%s at the end: %+v", demoPolicy, cfg)
	}
	if !strings.Contains(out.String(), "Every matching container, bucket and response headers policy is compliant: 10 compliant, 2 exempt, 2 excluded.") {
		t.Errorf("the demo does not end with the totals:\n%s", out.String())
	}

	// Part 2, the work queue: the router enqueued one message per matching resource (those the
	// final audit covered, and the new container), the workers converged them, the new
	// container went back to the queue while CREATING and got the baseline once ACTIVE.
	matching := len(d.steps[len(d.steps)-1].result.Entries) + 1
	if r := d.queue.router; r == nil || r.Queue == nil || r.Queue.Enqueued != matching || r.APICalls["mediastore:GetCorsPolicy"] != 0 {
		t.Errorf("router result %+v: want %d messages and no policy read", r, matching)
	}
	if s := d.queue.stats; s.Failed < 1 || s.FunctionErrors != 0 || s.Records != matching+s.Failed {
		t.Errorf("event source mapping stats %+v: want the CREATING container given back, every other record deleted", s)
	}
	for _, name := range []string{demoNewContainer, "live-sports"} {
		info, _ := d.emu.Container(name)
		if info.Status != "ACTIVE" || !policy.Equal(corscases.Emulated(t, info.CorsPolicy), demoBaselineV2()) {
			t.Errorf("%s after the queue: %s %v", name, info.Status, info.CorsPolicy)
		}
	}
	// Through the findings queue and its publishers, as the template wires them: the first
	// sweep imports the findings that changed (live-sports repaired, live-events new), the
	// second, by new instances of an unchanged account, none.
	first, second := d.queue.sweeps[0], d.queue.sweeps[1]
	if first.imported != 2 || first.publish.Invocations == 0 || first.publish.Records == 0 {
		t.Errorf("first queue sweep: %d findings imported by %d publisher invocations (%d records); want 2 through the findings queue",
			first.imported, first.publish.Invocations, first.publish.Records)
	}
	if second.imported != 0 || second.enqueued != matching || second.work.FunctionErrors != 0 {
		t.Errorf("second queue sweep: %d findings imported, %d enqueued; want 0 and %d", second.imported, second.enqueued, matching)
	}
	for _, line := range []string{"-> sweep (router)", fmt.Sprintf("%d messages on corsguard-work.fifo", matching), "worker    batch 1:", "back on the queue after a delay",
		"findings  2 imported by the first sweep (what changed), 0 by the second"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the demo's output does not show %q", line)
		}
	}

	// One Security Hub finding per matching container, bucket and response headers policy, none
	// for the excluded ones, shown at the end of part 1; and live-events', which part 2's
	// publisher imported.
	status := map[string]int{}
	for _, f := range d.emu.Findings() {
		status[f["Compliance"].(map[string]any)["Status"].(string)+" "+f["RecordState"].(string)]++
	}
	if diff := cmp.Diff(map[string]int{"PASSED ACTIVE": 11, "NOT_AVAILABLE ACTIVE": 2}, status); diff != "" {
		t.Errorf("findings at the end (-want +got):\n%s", diff)
	}
	if !strings.Contains(out.String(), "Security Hub (aws securityhub get-findings") {
		t.Errorf("the demo does not show the findings:\n%s", out.String())
	}
}

// checkDemoAPIs checks part 3 of the demo: the open function URL and HTTP API are drifted,
// then repaired, then compliant; the compliant URL is never written, the exempt one stays
// exempt. (TestDemo calls it: one run of the demo serves both.)
func checkDemoAPIs(t *testing.T, d *demo, out *bytes.Buffer) {
	t.Helper()
	count := func(m map[string]enforce.Outcome) map[enforce.Outcome]int {
		c := map[enforce.Outcome]int{}
		for name, o := range m {
			if name == "cart" && o != enforce.Compliant || name == "internal-tools" && o != enforce.Exempt {
				t.Errorf("%s: %s", name, o)
			}
			c[o]++
		}
		return c
	}
	for _, tc := range []struct {
		name string
		got  map[string]enforce.Outcome
		want map[enforce.Outcome]int
	}{
		{"audit", d.apis.audit, map[enforce.Outcome]int{enforce.Drifted: 2, enforce.Compliant: 1, enforce.Exempt: 1}},
		{"apply", d.apis.apply, map[enforce.Outcome]int{enforce.Remediated: 2, enforce.Compliant: 1, enforce.Exempt: 1}},
		{"audit again", d.apis.again, map[enforce.Outcome]int{enforce.Compliant: 3, enforce.Exempt: 1}},
	} {
		if diff := cmp.Diff(tc.want, count(tc.got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if !strings.Contains(out.String(), "Part 3: Lambda function URLs and API Gateway HTTP APIs") ||
		!strings.Contains(out.String(), "Cors.AllowOrigins: +https://shop.example.com -*") {
		t.Errorf("the demo's output lacks part 3 or its diff:\n%s", out.String())
	}
}
