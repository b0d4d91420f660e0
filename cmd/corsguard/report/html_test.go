package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// Hostile values: what anyone who can write to the account can put in a bucket's CORS
// configuration (S3 accepts almost any string), a policy's name or an error message.
const (
	hostileScript = `<script>alert(1)</script>`
	hostileAttr   = `"><img src=x onerror=alert(1)>`
	hostileStyle  = `</style><svg onload=alert(1)>`
)

func htmlMeta() Meta {
	return Meta{Account: "123456789012", Regions: []string{"eu-west-1"}, Version: "v1.2.3",
		Command: "corsguard audit --target=s3", Generated: time.Date(2026, 5, 1, 12, 0, 2, 0, time.UTC)}
}

func hostileReport() *enforce.Report {
	rep := sample()
	rep.Baselines = []enforce.Baseline{{Kind: policy.MediaStore, Parameter: "/corsguard/" + hostileScript, Version: 3, Hash: "sha256:abc", Valid: true}}
	rep.Entries = append(rep.Entries,
		enforce.Entry{Name: "bucket" + hostileAttr, Kind: policy.S3, Outcome: enforce.Drifted, Attempts: 1,
			Diff: []policy.Change{
				{Path: "CorsPolicy[0].AllowedOrigins", Op: "change", Added: []string{"https://a.example.com"}, Removed: []string{hostileScript, hostileAttr}},
				{Path: "CorsPolicy[0].AllowedHeaders", Op: "change", Removed: []string{hostileStyle}},
				{Path: "CorsPolicy[1]", Op: "remove", From: `{"AllowedOrigins":["` + hostileAttr + `"]}`},
			}},
		enforce.Entry{Name: "cf-" + hostileStyle, Kind: policy.CloudFront, Outcome: enforce.Failed, Attempts: 1,
			Error: "update response headers policy: " + hostileScript, Retryable: false},
	)
	rep.Notes = []string{"note " + hostileAttr}
	rep.DeliveryChain = &enforce.ChainReport{Distributions: 1, Behaviors: 1, Findings: []enforce.ChainFinding{{
		Distribution: "E123", Behavior: "/video/*", Problem: "cache key without Origin", Detail: hostileScript, CachePolicy: hostileAttr}}}
	return rep
}

func renderHTML(t *testing.T, rep *enforce.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep, htmlMeta()); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var (
	tagRE        = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	handlerRE    = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	urlAttrRE    = regexp.MustCompile(`(?i)\s(src|href|xlink:href|action|formaction|srcset|poster|data)\s*=`)
	externalRE   = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	scriptTagRE  = regexp.MustCompile(`(?i)<\s*script`)
	cspMetaRegex = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:">`)
)

// checkSelfContained fails the test when page could run anything or load anything: a script
// element, an event-handler attribute, an attribute that takes a URL, or a missing CSP.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Errorf("the page does not start with the doctype: %.40q", page)
	}
	if !cspMetaRegex.MatchString(page) {
		t.Errorf("the page lacks the CSP meta tag %q", CSP)
	}
	if scriptTagRE.MatchString(page) {
		t.Errorf("the page has a script element: %q", scriptTagRE.FindString(page))
	}
	for _, tag := range tagRE.FindAllString(page, -1) {
		if handlerRE.MatchString(tag) {
			t.Errorf("tag with an event handler: %q", tag)
		}
		if urlAttrRE.MatchString(tag) {
			t.Errorf("tag with an attribute that loads or links a URL: %q", tag)
		}
		if externalRE.MatchString(tag) {
			t.Errorf("tag naming a URL: %q", tag)
		}
	}
}

func TestHTMLIsOneSelfContainedPage(t *testing.T) {
	page := renderHTML(t, sample())
	checkSelfContained(t, page)
	for _, want := range []string{
		"<title>corsguard audit · account 123456789012</title>",
		"<dd>123456789012</dd>", "<dd>eu-west-1</dd>", "<dd>2026-05-01 12:00:02 UTC</dd>", "<dd>v1.2.3</dd>",
		"<dd>audit (cli audit)</dd>", "<code>corsguard audit --target=s3</code>",
		"/corsguard/baseline", "sha256:0123456789abcdef0123",
		"<details", "<summary>", "<svg role=\"img\"",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// Every resource is in the page with its outcome, drifted and failed first and unfolded, and a
// drifted one's changes read in words as well as in colour.
func TestHTMLShowsEveryResourceDriftedAndFailedFirst(t *testing.T) {
	page := renderHTML(t, sample())
	for _, want := range []string{
		`<td class="name">live-news<td>uploads<td><span class="o good">compliant</span><td class="n">1`,
		`<td class="name">vod-library<td>default<td><span class="o bad">drifted</span>`,
		`<td class="name">partner, &#34;quoted&#34;<td>default<td><span class="o bad">failed</span><td class="n">4<td><div class="lbl">terminal: a retry cannot fix it</div><div>get cors policy: throttled</div>`,
		`<td class="name">test-1<td><td><span class="o plain">excluded</span>`,
		`<ins>+ add https://*.example.com</ins> <del>− remove *</del>`,
		`<del>− 0</del> → <ins>+ 3000</ins>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	order := []string{`Drifted (1)`, `Failed (1)`, `Compliant (1)`, `Excluded (2)`}
	last := -1
	for _, s := range order {
		i := strings.Index(page, s)
		if i < 0 || i < last {
			t.Fatalf("sections out of order: want %q, %q at %d after %d", order, s, i, last)
		}
		last = i
	}
	if !strings.Contains(page, `<details class="sect-bad" open>
<summary><span class="o bad">Drifted (1)</span>`) || strings.Contains(page, `<details class="sect-good" open>`) {
		t.Errorf("drifted must be unfolded and compliant folded")
	}
}

// What the account controls is text in the page, never markup: a script, an event handler or
// a closing style tag in an origin, a header, a name, an error or a parameter is escaped.
func TestHTMLEscapesWhatTheAccountControls(t *testing.T) {
	page := renderHTML(t, hostileReport())
	checkSelfContained(t, page)
	for _, raw := range []string{hostileScript, hostileAttr, hostileStyle, "<img", "<svg onload"} {
		if strings.Contains(page, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	for _, escaped := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
		"&lt;/style&gt;&lt;svg onload=alert(1)&gt;",
	} {
		if !strings.Contains(page, escaped) {
			t.Errorf("the page lacks the escaped text %q", escaped)
		}
	}
}

// A probe (or any command) renders checks with verdicts and evidence through the same page.
func TestHTMLChecksShowVerdictAndEvidence(t *testing.T) {
	p := &Page{Title: "corsguard probe", Meta: htmlMeta(), Mode: "probe",
		Sections: []Section{{Title: "https://cdn.example.com/canary.txt", Tone: Bad, Open: true, Checks: []Check{{
			Subject: "origin https://evil.invalid", Verdict: "leak", Tone: Bad,
			Detail:   "an origin outside the baseline was allowed",
			Evidence: []Evidence{{"request", "GET /canary.txt HTTP/1.1\nOrigin: https://evil.invalid"}, {"answer", "HTTP/1.1 200 OK\nAccess-Control-Allow-Origin: " + hostileScript}},
		}}}}}
	var buf bytes.Buffer
	if err := WritePage(&buf, p); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	checkSelfContained(t, page)
	for _, want := range []string{`<span class="o bad">leak</span> origin https://evil.invalid`, `<div class="lbl">request</div><pre>GET /canary.txt HTTP/1.1
Origin: https://evil.invalid</pre>`, "Access-Control-Allow-Origin: &lt;script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// A long hostile value is cut, so no row grows without bound (S3 accepts origins of any
// length): a 1 MB origin costs a few hundred bytes.
func TestHTMLCutsLongValues(t *testing.T) {
	rep := sample()
	huge := strings.Repeat("x", 1<<20)
	many := make([]string, 5000)
	for i := range many {
		many[i] = fmt.Sprintf("https://o%d.example.com", i)
	}
	rep.Entries = []enforce.Entry{{Name: "big", Kind: policy.S3, Outcome: enforce.Drifted, Attempts: 1,
		Diff: []policy.Change{{Path: "CorsPolicy[0].AllowedOrigins", Op: "change", Removed: append([]string{huge}, many...)}}}}
	page := renderHTML(t, rep)
	if len(page) > 64<<10 {
		t.Errorf("a report with one 1 MB origin and 5,000 origins is %d bytes; want under 64 KiB", len(page))
	}
	for _, want := range []string{"(1048376 more characters)", "and 4961 more to remove"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say what it cut: lacks %q", want)
		}
	}
}

// scaleReport is an estate of n resources: 2% drifted, 1% failed, 1% exempt, the rest (96%)
// compliant, with 100 excluded names.
func scaleReport(n int) *enforce.Report {
	rep := &enforce.Report{Mode: enforce.ModeAudit, Reason: "cli audit", Started: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Baselines: []enforce.Baseline{{Kind: policy.S3, Parameter: "/corsguard/baseline", Version: 7, Hash: "sha256:0123", Valid: true}},
		Totals:    map[enforce.Outcome]int{}}
	rep.Baseline = rep.Baselines[0]
	for i := range n {
		e := enforce.Entry{Name: fmt.Sprintf("media-bucket-%05d", i), Kind: policy.S3, Outcome: enforce.Compliant, Attempts: 1, Duration: 3 * time.Millisecond}
		switch {
		case i%50 == 7:
			e.Outcome = enforce.Drifted
			e.Diff = []policy.Change{{Path: "CorsPolicy[0].AllowedOrigins", Op: "change", Added: []string{"https://*.example.com"}, Removed: []string{"*"}}}
		case i%100 == 13:
			e.Outcome, e.Error, e.Retryable, e.Attempts = enforce.Failed, "get bucket cors: SlowDown", true, 3
		case i%100 == 21:
			e.Outcome = enforce.Exempt
		}
		rep.Entries = append(rep.Entries, e)
		rep.Totals[e.Outcome]++
	}
	for i := range 100 {
		rep.Excluded = append(rep.Excluded, fmt.Sprintf("logs-%03d", i))
	}
	return rep
}

// 10,000 resources: the page stays small (measured and logged), compliant ones are folded in
// parts of ChunkRows, and drifted and failed come first, unfolded.
func TestHTMLOfTenThousandResources(t *testing.T) {
	page := renderHTML(t, scaleReport(10_000))
	checkSelfContained(t, page)
	t.Logf("HTML report of 10,000 resources (+100 excluded): %d bytes (%.2f MB), %.0f bytes per resource",
		len(page), float64(len(page))/1e6, float64(len(page))/10_100)
	if len(page) > 2_500_000 {
		t.Errorf("the report of 10,000 resources is %d bytes; want under 2.5 MB", len(page))
	}
	if n := strings.Count(page, "<tr><td>s3<td"); n != 10_000 {
		t.Errorf("%d resource rows, want 10,000", n)
	}
	if !strings.Contains(page, "Compliant (9,600)") {
		t.Errorf("no compliant section of 9,600")
	}
	folds := strings.Count(page, "<details><summary>")
	if want := (9600 + ChunkRows - 1) / ChunkRows; folds != want {
		t.Errorf("%d folds of compliant rows, want %d of %d", folds, want, ChunkRows)
	}
	if d, c := strings.Index(page, "Drifted (200)"), strings.Index(page, "Compliant (9,600)"); d < 0 || d > c {
		t.Errorf("drifted (at %d) must come before compliant (at %d)", d, c)
	}
	if f, c := strings.Index(page, "Failed (100)"), strings.Index(page, "Compliant (9,600)"); f < 0 || f > c {
		t.Errorf("failed (at %d) must come before compliant (at %d)", f, c)
	}
}

func TestFormatFromTheOutputExtension(t *testing.T) {
	for file, want := range map[string]Format{"r.html": HTML, "R.HTM": HTML, "r.json": JSON, "r.csv": CSV} {
		if got, err := Choose("", file, false); err != nil || got != want {
			t.Errorf("Choose(%q) = %q, %v; want %q", file, got, err, want)
		}
	}
	for _, s := range []string{"html", "HTML", "ocsf"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
}

// A resource held to a profile shows it, is counted under it, and the profile's baseline is in
// the header.
func TestHTMLShowsEachResourcesProfile(t *testing.T) {
	rep := sample()
	rep.Entries[1].Profile = &enforce.EntryProfile{Name: "uploads", Parameter: "/corsguard/profiles/mediastore/uploads", Version: 2}
	rep.Profiles = []enforce.Baseline{{Kind: policy.MediaStore, Profile: "uploads", Parameter: "/corsguard/profiles/mediastore/uploads", Version: 2, Hash: "sha256:feed", Valid: true}}
	page := renderHTML(t, rep)
	for _, want := range []string{
		`<td class="name">vod-library<td>uploads<td><span class="o bad">drifted</span>`,
		`<td>mediastore</td><td>uploads</td><td class="mono name">/corsguard/profiles/mediastore/uploads</td><td class="n">2</td><td class="mono name">sha256:feed</td>`,
		`<tr><td>uploads</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
