package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

func sample() *enforce.Report {
	return &enforce.Report{
		Baseline: enforce.Baseline{Parameter: "/corsguard/baseline", Version: 3, Hash: "sha256:0123456789abcdef0123", Valid: true},
		Mode:     enforce.ModeAudit,
		Reason:   "cli audit",
		Started:  time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Duration: 1234 * time.Millisecond,
		Entries: []enforce.Entry{
			{Name: "live-news", Kind: policy.MediaStore, Outcome: enforce.Compliant, Attempts: 1, Duration: 12 * time.Millisecond,
				Profile: &enforce.EntryProfile{Name: "uploads", Source: profile.SourceTag, Parameter: "/corsguard/profiles/mediastore/uploads", Version: 4}},
			{Name: "vod-library", Kind: policy.MediaStore, Outcome: enforce.Drifted, Attempts: 1, Duration: 20 * time.Millisecond,
				Diff: []policy.Change{
					{Path: "CorsPolicy[0].AllowedOrigins", Op: "change", Added: []string{"https://*.example.com"}, Removed: []string{"*"}},
					{Path: "CorsPolicy[0].MaxAgeSeconds", Op: "change", From: "0", To: "3000"},
				}},
			{Name: "partner, \"quoted\"", Kind: policy.MediaStore, Outcome: enforce.Failed, Attempts: 4, Duration: 2 * time.Second,
				Error: "get cors policy: throttled"},
		},
		Totals:   map[enforce.Outcome]int{enforce.Compliant: 1, enforce.Drifted: 1, enforce.Failed: 1},
		APICalls: map[string]int{"mediastore:GetCorsPolicy": 3, "ssm:GetParameter": 2},
		Excluded: []string{"test-1", "test-2"},
	}
}

func TestJSONIsTheReportItself(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), JSON); err != nil {
		t.Fatal(err)
	}
	var got enforce.Report
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("json output does not parse back: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(sample(), &got); diff != "" {
		t.Errorf("json round trip (-want +got):\n%s", diff)
	}
}

func TestCSVHasOneRowPerContainer(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), CSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("csv output does not parse back: %v", err)
	}
	want := [][]string{
		CSVHeader(),
		{"live-news", "mediastore", "compliant", "1", "12", "", "", "uploads", "/corsguard/profiles/mediastore/uploads", "4"},
		{"vod-library", "mediastore", "drifted", "1", "20",
			"CorsPolicy[0].AllowedOrigins: +https://*.example.com -*; CorsPolicy[0].MaxAgeSeconds: 0 -> 3000", "", "", "", ""},
		{"partner, \"quoted\"", "mediastore", "failed", "4", "2000", "", "get cors policy: throttled", "", "", ""},
		{"test-1", "", "excluded", "0", "0", "", "", "", "", ""},
		{"test-2", "", "excluded", "0", "0", "", "", "", "", ""},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("csv rows (-want +got):\n%s", diff)
	}
}

func TestTableShowsEveryContainerChangeAndTotal(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), Table); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"baseline  /corsguard/baseline version 3 (sha256:0123456789ab)",
		"mode      audit (cli audit)",
		"CONTAINER",
		"live-news",
		"CorsPolicy[0].AllowedOrigins: +https://*.example.com -*",
		"CorsPolicy[0].MaxAgeSeconds: 0 -> 3000",
		"get cors policy: throttled",
		"excluded  test-1, test-2",
		"totals    1 compliant, 1 drifted, 1 failed, 2 excluded",
		"5 API calls in 1.23s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The second change of a drifted container is on its own line, under DETAIL.
	lines := strings.Split(out, "\n")
	// Each resource says its profile, "-" where none was chosen.
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 2 && (f[0] == "CONTAINER" || f[0] == "live-news" || f[0] == "vod-library") {
			if want := map[string]string{"CONTAINER": "PROFILE", "live-news": "uploads", "vod-library": "-"}[f[0]]; f[2] != want {
				t.Errorf("line %q: third column %q, want %q", l, f[2], want)
			}
		}
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "vod-library") {
			next := lines[i+1]
			if strings.TrimSpace(next) != "CorsPolicy[0].MaxAgeSeconds: 0 -> 3000" || strings.Index(next, "C") != strings.Index(l, "C") {
				t.Errorf("second change not aligned under the first:\n%s\n%s", l, next)
			}
		}
	}
}

func TestTableOfAnInvalidBaselineListsItsProblems(t *testing.T) {
	rep := &enforce.Report{
		Baseline: enforce.Baseline{Parameter: "/corsguard/baseline", Version: 4, Error: "invalid",
			Errors: []policy.Problem{{Path: "CorsPolicy[0].AllowedOrigins[0]", Message: "more than one wildcard"}}},
		Mode: enforce.ModeAudit, Reason: "cli audit", Totals: map[enforce.Outcome]int{},
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INVALID: nothing was touched", "CorsPolicy[0].AllowedOrigins[0]: more than one wildcard", "totals    nothing checked"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name     string
		asked    string
		file     string
		terminal bool
		want     Format
		wantErr  bool
	}{
		{name: "a terminal gets a table", terminal: true, want: Table},
		{name: "a pipe gets json", want: JSON},
		{name: "an asked format wins over the terminal", asked: "csv", terminal: true, want: CSV},
		{name: "an asked format is case-insensitive", asked: "JSON", want: JSON},
		{name: "a .csv file gets csv", file: "out/audit.csv", want: CSV},
		{name: "a .json file gets json", file: "audit.JSON", want: JSON},
		{name: "a .txt file gets a table", file: "audit.txt", want: Table},
		{name: "another file gets json", file: "audit.out", terminal: true, want: JSON},
		{name: "an asked format wins over the extension", asked: "table", file: "a.csv", want: Table},
		{name: "an unknown format is an error", asked: "yaml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(tt.asked, tt.file, tt.terminal)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Choose(%q, %q, %v) = %q, %v; want %q, error %v", tt.asked, tt.file, tt.terminal, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestProgressDrawsOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	var off *Progress = NewProgress(&buf, false, "audit")
	off.Start(3)
	off.Entry(enforce.Entry{Name: "a", Outcome: enforce.Compliant})
	off.Finish()
	if buf.Len() != 0 {
		t.Errorf("progress off the terminal wrote %q", buf.String())
	}

	p := NewProgress(&buf, true, "audit")
	p.Start(4)
	if got, want := p.Line(), "audit [------------------------------] 0/4"; got != want {
		t.Errorf("at start: %q, want %q", got, want)
	}
	p.Entry(enforce.Entry{Name: "live-news", Outcome: enforce.Compliant})
	if got, want := p.Line(), "audit [#######-----------------------] 1/4 live-news compliant"; got != want {
		t.Errorf("after one: %q, want %q", got, want)
	}
	for range 3 {
		p.Entry(enforce.Entry{Name: "x", Outcome: enforce.Drifted})
	}
	if got, want := p.Line(), "audit [##############################] 4/4 x drifted"; got != want {
		t.Errorf("at the end: %q, want %q", got, want)
	}
	p.Finish()
	if !strings.HasSuffix(buf.String(), "\r\033[K") {
		t.Errorf("Finish did not erase the bar: %q", buf.String())
	}
	n := buf.Len()
	p.Entry(enforce.Entry{Name: "late"})
	if buf.Len() != n {
		t.Errorf("the bar drew after Finish")
	}
}

// TestTableOfAMixedRunHasAKindColumnAndABaselinePerKind: containers and buckets in one run
// get NAME and KIND columns and one baseline line per kind; a run of buckets says BUCKET.
func TestTableOfAMixedRunHasAKindColumnAndABaselinePerKind(t *testing.T) {
	rep := sample()
	rep.Entries = append(rep.Entries, enforce.Entry{Name: "media-assets", Kind: policy.S3, Outcome: enforce.Drifted, Attempts: 1,
		Diff: []policy.Change{{Path: "CorsPolicy[0]", Op: "add"}, {Path: "CorsPolicy[1]", Op: "add"}}})
	rep.Baselines = []enforce.Baseline{
		{Kind: policy.MediaStore, Parameter: "/corsguard/baseline", Version: 3, Hash: "sha256:0123456789abcdef0123", Valid: true},
		{Kind: policy.S3, Parameter: "/corsguard/s3-baseline", Version: 2, Error: "invalid",
			Errors: []policy.Problem{{Path: "CorsPolicy[0]", Message: "bad"}}},
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"baseline  mediastore: /corsguard/baseline version 3 (sha256:0123456789ab)\n",
		"baseline  s3: /corsguard/s3-baseline INVALID: nothing was touched\n",
		"            CorsPolicy[0]: bad\n",
		"NAME               KIND        OUTCOME",
		"live-news          mediastore  compliant",
		"media-assets       s3          drifted",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "media-assets") && strings.Index(lines[i+1], "CorsPolicy[1]") != strings.Index(l, "CorsPolicy[0]") {
			t.Errorf("second change not aligned under the first:\n%s\n%s", l, lines[i+1])
		}
	}

	rep.Entries, rep.Baselines = rep.Entries[3:], nil
	buf.Reset()
	if err := WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "BUCKET        OUTCOME") {
		t.Errorf("a run of buckets lacks the BUCKET header:\n%s", buf.String())
	}
}
