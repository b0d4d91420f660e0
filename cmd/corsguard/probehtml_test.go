package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// probe --format html: every verdict with the exact requests and answers that prove it, in the
// same self-contained page as audit's, and an answer's hostile headers are text in it.
func TestProbeWritesHTMLWithVerdictsAndEvidence(t *testing.T) {
	const script = `<script>alert(1)</script>`
	const img = `"><img src=x onerror=alert(1)>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o) // any origin: a leak
			w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD")
			w.Header().Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
			w.Header().Set("Vary", "Origin")
		}
		w.Header().Set("X-Canary", script+img)
		_, _ = w.Write([]byte("canary"))
	}))
	t.Cleanup(srv.Close)
	page := filepath.Join(t.TempDir(), "probe.html")
	r := corsguard(t, "", "probe", "--url", srv.URL+"/canary.txt", "--baseline-file", writeBaseline(t, "https://player.example.com"),
		"--rate", "100", "--output", page)
	if r.code != exitDrifted {
		t.Fatalf("exit %d, want %d (a leak)\n%s", r.code, exitDrifted, r.stderr)
	}
	raw, err := os.ReadFile(page)
	must(t, err)
	html := string(raw)
	for _, want := range []string{
		"<h1>corsguard probe</h1>",
		`<span class="o bad">leak</span> origin https://corsguard-probe.invalid (outside the baseline), credentials omit`,
		`<pre>GET ` + srv.URL + `/canary.txt`, "Origin: https://corsguard-probe.invalid",
		"Access-Control-Allow-Origin: https://corsguard-probe.invalid",
		"X-Canary: &lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
		`<span class="o good">ok</span> origin https://player.example.com`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(html, script) || strings.Contains(html, "<img") {
		t.Errorf("the page holds the answer's header unescaped")
	}
	if strings.Index(html, `class="o bad">leak<`) > strings.Index(html, `class="o good">ok<`) {
		t.Errorf("the leak must come before the ok verdicts")
	}
	run := chromium(t, page, "--dump-dom")
	if strings.Contains(run.stdout, "<script") || strings.Contains(run.stdout, "<img") {
		t.Errorf("Chromium built an element from an answer's header")
	}
	if len(run.pageRequests) > 0 {
		t.Errorf("the probe's report made requests: %q", run.pageRequests)
	}
	if r := corsguard(t, "", "probe", "--url", srv.URL, "--baseline-file", writeBaseline(t, "https://a.example.com"), "--format", "ocsf"); r.code != exitError ||
		!strings.Contains(r.stderr, `--format "ocsf": the probe writes table, json, csv or html`) {
		t.Errorf("--format ocsf: exit %d, %q; want 1 and the formats probe writes", r.code, r.stderr)
	}
}
