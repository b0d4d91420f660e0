package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/corsguard/corsguard/probe"
)

// canary is a test server answering CORS for the origins it allows ("*" for any), as S3
// answers an object: the origin echoed with Vary: Origin, a preflight refused with 403. It
// counts the requests it got.
type canary struct {
	srv   *httptest.Server
	count atomic.Int64
}

func newCanary(t *testing.T, allow ...string) *canary {
	t.Helper()
	c := &canary{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.count.Add(1)
		o := r.Header.Get("Origin")
		if o != "" && (slices.Contains(allow, o) || slices.Contains(allow, "*")) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD")
			w.Header().Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
			w.Header().Set("Vary", "Origin")
		} else if r.Method == http.MethodOptions {
			http.Error(w, "This CORS request is not allowed.", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("canary"))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// writeBaseline writes a baseline file allowing origins GET and HEAD with the Range header.
func writeBaseline(t *testing.T, origins ...string) string {
	t.Helper()
	quoted, _ := json.Marshal(origins)
	path := filepath.Join(t.TempDir(), "baseline.json")
	must(t, os.WriteFile(path, []byte(`[{"AllowedOrigins":`+string(quoted)+`,"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["Range"]}]`), 0o644))
	return path
}

func probeReport(t *testing.T, r result) *probe.Report {
	t.Helper()
	var rep probe.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("output is not a JSON probe report: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return &rep
}

func TestProbeWithAURLAndABaselineFileMakesNoAWSCall(t *testing.T) {
	a := newAccount(t)
	t.Setenv("AWS_ENDPOINT_URL", a.url) // any AWS call would reach the emulator and be counted
	c := newCanary(t, "https://player.example.com")
	r := corsguard(t, "", "probe", "--url", c.srv.URL+"/canary.txt", "--baseline-file", writeBaseline(t, "https://player.example.com"), "--rate", "100", "--format", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := a.emu.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls: %v", n, a.emu.Calls())
	}
	rep := probeReport(t, r)
	if len(rep.Results) != 2 || rep.Totals[probe.OK] != 2 {
		t.Errorf("results %+v, want two ok (the allowed origin, the outside one)", rep.Totals)
	}
	// Every JSON result has a verdict field holding a verdict's name.
	var raw struct {
		Results []map[string]any `json:"results"`
	}
	must(t, json.Unmarshal([]byte(r.stdout), &raw))
	for _, res := range raw.Results {
		if v, _ := res["verdict"].(string); !slices.Contains(probe.Verdicts(), probe.Verdict(v)) {
			t.Errorf("result without a verdict's name: %v", res)
		}
	}
}

func TestProbeExitStatusIs0ForOK3ForAFindingAnd1ForAnError(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing there: an AWS call would fail
	base := writeBaseline(t, "https://player.example.com")
	good := newCanary(t, "https://player.example.com")
	leaky := newCanary(t, "*")
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hung.Close)
	cases := []struct {
		name string
		urls []string
		want int
	}{
		{"all ok", []string{good.srv.URL}, exitOK},
		{"a leak", []string{good.srv.URL, leaky.srv.URL}, exitDrifted},
		{"an answer that never comes, beside a leak", []string{leaky.srv.URL, hung.URL}, exitError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"probe", "--baseline-file", base, "--rate", "100", "--timeout", "300ms", "-f", "json"}
			for _, u := range c.urls {
				args = append(args, "--url", u)
			}
			r := corsguard(t, "", args...)
			if r.code != c.want {
				t.Errorf("exit %d, want %d\n%s%s", r.code, c.want, r.stdout, r.stderr)
			}
			probeReport(t, r) // the report is written whatever the status
		})
	}
}

func TestProbeWritesTableAndCSV(t *testing.T) {
	c := newCanary(t, "*")
	base := writeBaseline(t, "https://player.example.com")
	r := corsguard(t, "", "probe", "--url", c.srv.URL, "--baseline-file", base, "--rate", "100", "-f", "table")
	if r.code != exitDrifted || !strings.Contains(r.stdout, "leak") || !strings.Contains(r.stdout, "> GET  "+c.srv.URL) ||
		!strings.Contains(r.stdout, "< 200  ") || !strings.Contains(r.stdout, "Access-Control-Allow-Origin: "+probe.OutsideOrigin) {
		t.Errorf("exit %d, table:\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "probe.csv")
	r = corsguard(t, "", "probe", "--url", c.srv.URL, "--baseline-file", base, "--rate", "100", "--output", out)
	data, err := os.ReadFile(out)
	must(t, err)
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	must(t, err)
	if r.code != exitDrifted || len(rows) != 3 || rows[0][6] != "verdict" || rows[2][6] != string(probe.Leak) {
		t.Errorf("exit %d, csv %q", r.code, rows)
	}
}

func TestProbeReadsTheBaselineParameter(t *testing.T) {
	a := newAccount(t) // the default baseline: https://*.example.com
	c := newCanary(t, "https://corsguard-probe.example.com")
	r := corsguard(t, "", "probe", "--url", c.srv.URL, "--endpoint-url", a.url, "--rate", "100", "-f", "json")
	rep := probeReport(t, r)
	if r.code != exitOK || rep.Totals[probe.OK] != 2 {
		t.Errorf("exit %d, totals %v\n%s", r.code, rep.Totals, r.stderr)
	}
	if got := a.emu.Calls(); got["GetParameter"] != 1 || a.emu.TotalCalls() != 1 {
		t.Errorf("AWS calls %v, want one GetParameter", got)
	}
	if rep.Results[0].Baseline != DefaultBaselineParameter+" version 1" {
		t.Errorf("baseline %q", rep.Results[0].Baseline)
	}
}

func TestProbeRefusesBadInputBeforeSendingAnything(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	c := newCanary(t, "*")
	base := writeBaseline(t, "https://player.example.com")
	invalid := filepath.Join(t.TempDir(), "invalid.json")
	must(t, os.WriteFile(invalid, []byte(`[{"AllowedOrigins":["https://a.example.com"],"AllowedMethods":["TRACE"]}]`), 0o644))
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o644))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"nothing to probe", []string{"--baseline-file", base}, "--url URL, or --target cloudfront"},
		{"a URL that is not http", []string{"--url", "ftp://example.com/x", "--baseline-file", base}, "want http:// or https://"},
		{"a relative URL", []string{"--url", "/canary.txt", "--baseline-file", base}, "want http:// or https://"},
		{"--url and --target together", []string{"--url", c.srv.URL, "--target", "cloudfront", "--baseline-file", base}, "none of the others can be"},
		{"a target other than cloudfront", []string{"--target", "s3", "--baseline-file", base}, "knows only cloudfront"},
		{"--distribution without --path", []string{"--target", "cloudfront", "--distribution", "E1", "--baseline-file", base}, "go together"},
		{"--path that is not a path", []string{"--target", "cloudfront", "--distribution", "E1", "--path", "canary.txt", "--baseline-file", base}, "is not a path"},
		{"a --resolve without a port", []string{"--url", c.srv.URL, "--resolve", "a.example.com=127.0.0.1", "--baseline-file", base}, "ADDR:PORT"},
		{"a --ca-bundle without a certificate", []string{"--url", c.srv.URL, "--ca-bundle", notPEM, "--baseline-file", base}, "no PEM certificate"},
		{"an invalid baseline", []string{"--url", c.srv.URL, "--baseline-file", invalid}, "is invalid"},
		{"an --output that cannot be written", []string{"--url", c.srv.URL, "--baseline-file", base, "--output", filepath.Join(t.TempDir(), "missing", "r.json")}, "--output"},
		{"an --output that takes no byte", []string{"--url", c.srv.URL, "--baseline-file", base, "--output", "/dev/full"}, "no space left on device"},
		{"a format the probe does not write", []string{"--url", c.srv.URL, "--baseline-file", base, "--format", "xml"}, "--format \"xml\""},
		{"a rate above 100", []string{"--url", c.srv.URL, "--baseline-file", base, "--rate", "1000"}, "--rate"},
		{"a profile pattern with --url", []string{"--url", c.srv.URL, "--baseline-file", base, "--profile-pattern", "uploads=upload-*"}, "apply to --target cloudfront"},
		{"a profile pattern without a glob", []string{"--target", "cloudfront", "--profile-pattern", "uploads"}, "--profile-pattern"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.count.Load()
			r := corsguard(t, "", append([]string{"probe"}, tc.args...)...)
			if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tc.want)
			}
			if n := c.count.Load() - before; n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func TestProbeReadsACloudFrontCorsConfigBaselineWithCredentials(t *testing.T) {
	c := newCanary(t, "https://player.example.com") // echoes without Allow-Credentials
	path := filepath.Join(t.TempDir(), "cf.json")
	must(t, os.WriteFile(path, []byte(`{"CorsConfig":{
		"AccessControlAllowOrigins":{"Quantity":1,"Items":["https://player.example.com"]},
		"AccessControlAllowHeaders":{"Quantity":1,"Items":["Range"]},
		"AccessControlAllowMethods":{"Quantity":3,"Items":["GET","HEAD","OPTIONS"]},
		"AccessControlAllowCredentials":true,"OriginOverride":true}}`), 0o644))
	r := corsguard(t, "", "probe", "--url", c.srv.URL, "--baseline-file", path, "--rate", "100", "-f", "json")
	rep := probeReport(t, r)
	var include []probe.Verdict
	for _, res := range rep.Results {
		if res.Credentials == probe.Include {
			include = append(include, res.Verdict)
		}
	}
	if r.code != exitDrifted || !slices.Equal(include, []probe.Verdict{probe.Blocked, probe.PreflightBlocked}) {
		t.Errorf("exit %d, include verdicts %v; want 3, blocked and preflight_blocked (no Access-Control-Allow-Credentials)\n%s", r.code, include, r.stderr)
	}
}

func TestPathMatchesAsCloudFrontPathPatterns(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/hls/*", "/hls/a/b.m3u8", true},
		{"hls/*", "/hls/x", true},
		{"/hls/*", "/HLS/x", false},
		{"*.m3u8", "/live/x.m3u8?token=1", true},
		{"/a?c", "/abc", true},
		{"/a?c", "/ac", false},
		{"*", "/anything", true},
	}
	for _, c := range cases {
		if got := pathMatches(c.pattern, c.path); got != c.want {
			t.Errorf("pathMatches(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}
