package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/cmd/corsguard/report"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// dummyCredentials sets the environment the CLI's credential chain reads: dummy keys and no
// configuration file of this machine.
func dummyCredentials(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

// domRowRE reads one resource row of the report as Chromium serializes its DOM.
var domRowRE = regexp.MustCompile(`<tr><td>([^<]*)</td><td class="name">([^<]*)</td><td>([^<]*)</td><td><span class="o [a-z]+">([a-z_]+)</span></td><td class="n">(\d+)</td>`)

// rowsOf maps each resource row of a DOM to its outcome: "KIND/NAME" -> outcome.
func rowsOf(dom string) map[string]string {
	rows := map[string]string{}
	for _, m := range domRowRE.FindAllStringSubmatch(dom, -1) {
		rows[m[1]+"/"+m[2]] = m[4]
	}
	return rows
}

// The held-out look: `corsguard demo --report` (what make report runs) writes the audit of the
// demo's account; headless Chromium loads it, the DOM it builds holds every resource with the
// outcome a JSON audit of the same account gives, the page makes no request, and it takes a
// screenshot and prints to PDF.
func TestHTMLReportOfTheDemoAccountInChromium(t *testing.T) {
	dummyCredentials(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if r := corsguard(t, "", "demo", "--report", page); r.code != 0 {
		t.Fatalf("demo --report: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// What the report must show: the JSON audit of the same account.
	url, stop, err := startDemoAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	r := corsguard(t, "", append(demoAuditArgs(url), "--format", "json")...)
	if r.code != exitDrifted {
		t.Fatalf("json audit of the demo's account: exit %d, want %d\n%s", r.code, exitDrifted, r.stderr)
	}
	rep := parseReport(t, r)
	want := map[string]string{}
	for _, e := range rep.Entries {
		want[string(e.Kind)+"/"+e.Name] = string(e.Outcome)
	}
	for _, n := range rep.Excluded {
		want["–/"+n] = report.Excluded
	}
	outcomes := map[string]bool{}
	for _, o := range want {
		outcomes[o] = true
	}
	for _, o := range []string{"compliant", "drifted", "exempt", report.Excluded} {
		if !outcomes[o] {
			t.Errorf("the demo's account has no %s resource: the report test would not see one", o)
		}
	}

	run := chromium(t, page, "--dump-dom")
	if diff := cmp.Diff(want, rowsOf(run.stdout)); diff != "" {
		t.Errorf("resources in Chromium's DOM (-json audit +html report):\n%s", diff)
	}
	for _, s := range []string{"<h1>corsguard audit</h1>", "<dd>012345678912</dd>", "us-east-1, global (CloudFront)", "/corsguard/cloudfront",
		"Drifted (5)", "Delivery chain"} {
		if !strings.Contains(run.stdout, s) {
			t.Errorf("Chromium's DOM lacks %q", s)
		}
	}
	if strings.Contains(strings.ToLower(run.stdout), "<script") {
		t.Errorf("Chromium's DOM holds a script element")
	}
	if len(run.pageRequests) > 0 {
		t.Errorf("the report made requests: %q", run.pageRequests)
	}

	shot := filepath.Join(dir, "report.png")
	chromium(t, page, "--screenshot="+shot, "--window-size=1280,1600")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1600 {
		t.Errorf("screenshot is %v, want 1280x1600", b)
	}

	pdf := filepath.Join(dir, "report.pdf")
	chromium(t, page, "--print-to-pdf="+pdf, "--no-pdf-header-footer")
	data, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("printing to PDF: %v, %.20q", err, data)
	}
}

// The hostile-content test: a drifted bucket whose CORS origins and headers hold a script and
// an attribute-breaking image, seeded with --state and put-bucket-cors through the aws CLI
// against `corsguard emulator`, is reported as text: no element, no handler, no request.
func TestHTMLReportOfAHostileBucketIsInert(t *testing.T) {
	dummyCredentials(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	baseline := `[{"AllowedOrigins":["https://*.example.com"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000}]`
	stateJSON, _ := json.Marshal(map[string]any{
		"parameters": []map[string]string{{"name": DefaultBaselineParameter, "value": baseline}},
		"buckets":    []map[string]any{{"name": "media-hostile"}, {"name": "media-fine", "corsPolicy": json.RawMessage(baseline)}},
	})
	must(t, os.WriteFile(state, stateJSON, 0o644))
	url := startEmulator(t, "--state", state)

	const script = `<script>alert(1)</script>`
	const img = `"><img src=x onerror=alert(1)>`
	cors, _ := json.Marshal(map[string]any{"CORSRules": []map[string]any{{
		"AllowedOrigins": []string{script, img}, "AllowedMethods": []string{"GET"},
		"AllowedHeaders": []string{img, script}, "ExposeHeaders": []string{script},
	}}})
	aws := awsCLI(t, url, "3")
	aws.ok("s3api", "put-bucket-cors", "--bucket", "media-hostile", "--cors-configuration", string(cors))

	page := filepath.Join(dir, "hostile.html")
	r := corsguard(t, "", "audit", "--target", "s3", "--endpoint-url", url, "--format", "html", "--output", page)
	if r.code != exitDrifted {
		t.Fatalf("audit: exit %d, want %d\n%s", r.code, exitDrifted, r.stderr)
	}
	raw, err := os.ReadFile(page)
	must(t, err)
	html := string(raw)
	for _, s := range []string{script, img, "<img", "onerror=alert(1)>"} {
		if strings.Contains(html, s) {
			t.Errorf("the report holds %q unescaped", s)
		}
	}
	if c := strings.Count(html, "&lt;script&gt;alert(1)&lt;/script&gt;"); c < 2 {
		t.Errorf("the script shows %d times as text; want it among the origins and the headers", c)
	}

	run := chromium(t, page, "--dump-dom")
	dom := run.stdout
	if !strings.Contains(dom, `media-hostile`) || !strings.Contains(dom, `&lt;script&gt;alert(1)&lt;/script&gt;`) ||
		!strings.Contains(dom, `"&gt;&lt;img src=x onerror=alert(1)&gt;`) {
		t.Errorf("Chromium's DOM does not show the hostile values as text:\n%s", dom)
	}
	for _, tag := range []string{"<script", "<img"} {
		if strings.Contains(strings.ToLower(dom), tag) {
			t.Errorf("Chromium built a %s element from the report", tag)
		}
	}
	if regexp.MustCompile(`(?i)<[^>]+\son[a-z]+=`).MatchString(dom) {
		t.Errorf("Chromium's DOM has an event-handler attribute")
	}
	if len(run.pageRequests) > 0 {
		t.Errorf("the report made requests: %q", run.pageRequests)
	}
}

// The exit status does not depend on the format: a drifted account exits 3 in each.
func TestExitStatusIsTheSameInEveryFormat(t *testing.T) {
	a := newAccount(t)
	for _, format := range []string{"table", "json", "csv", "html", "ocsf", "asff"} {
		out := filepath.Join(t.TempDir(), "report."+format)
		if r := a.sweep(t, "audit", "--format", format, "--output", out); r.code != exitDrifted {
			t.Errorf("--format %s: exit %d, want %d\n%s", format, r.code, exitDrifted, r.stderr)
		}
	}
}

// --format ocsf writes one Compliance Finding per checked resource, in the caller's account.
func TestAuditWritesOCSF(t *testing.T) {
	a := newAccount(t)
	r := a.sweep(t, "audit", "--format", "ocsf")
	if r.code != exitDrifted {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var events []struct {
		ClassUID int `json:"class_uid"`
		Cloud    struct {
			Account struct{ UID string } `json:"account"`
		} `json:"cloud"`
		Resources []struct{ Name string } `json:"resources"`
		Unmapped  struct {
			Corsguard struct{ Outcome string } `json:"corsguard"`
		} `json:"unmapped"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &events); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	for _, e := range events {
		if e.ClassUID != 2003 || e.Cloud.Account.UID != emulator.DefaultAccount {
			t.Errorf("event of class %d in account %q", e.ClassUID, e.Cloud.Account.UID)
		}
		got[e.Resources[0].Name] = e.Unmapped.Corsguard.Outcome
	}
	want := map[string]string{"live-news": "compliant", "live-sports": "drifted", "vod-library": "drifted", "partner-feed": "exempt"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ocsf findings (-want +got):\n%s", diff)
	}
}

// The header's command line reproduces the run: the command and every flag set, quoted.
func TestHTMLHeaderHasTheCommandLine(t *testing.T) {
	a := newAccount(t)
	out := filepath.Join(t.TempDir(), "r.html")
	r := a.sweep(t, "audit", "--output", out, "--include", "live-*,vod-*")
	if r.code != exitDrifted {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	raw, err := os.ReadFile(out)
	must(t, err)
	want := fmt.Sprintf("<code>corsguard audit --endpoint-url=%s --exclude=&#39;test-*&#39; --include=&#39;live-*,vod-*&#39; --output=%s</code>", a.url, out)
	if !strings.Contains(string(raw), want) {
		t.Errorf("the header lacks %s\nit has %s", want, regexp.MustCompile(`<code>[^<]*</code>`).FindString(string(raw)))
	}
	// A run of containers only asks for the account for the header alone.
	if !strings.Contains(string(raw), "<dt>Account</dt><dd>"+emulator.DefaultAccount+"</dd>") {
		t.Errorf("the header does not name the account: %s", regexp.MustCompile(`<dt>Account</dt><dd>[^<]*</dd>`).FindString(string(raw)))
	}
}

// The report prints whole: printing unfolds the folded groups (300 compliant resources fill
// several pages, not the one page their folded summary would), and Chromium prints it to PDF.
func TestHTMLReportPrintsFoldedGroups(t *testing.T) {
	rep := &enforce.Report{Mode: enforce.ModeAudit, Reason: "cli audit", Totals: map[enforce.Outcome]int{}}
	for i := range 300 {
		rep.Entries = append(rep.Entries, enforce.Entry{Name: fmt.Sprintf("bucket-%03d", i), Kind: policy.S3, Outcome: enforce.Compliant, Attempts: 1})
	}
	rep.Totals[enforce.Compliant] = 300
	page := filepath.Join(t.TempDir(), "folded.html")
	f, err := os.Create(page)
	must(t, err)
	must(t, report.WriteHTML(f, rep, report.Meta{Account: "123456789012"}))
	must(t, f.Close())
	if html, _ := os.ReadFile(page); !strings.Contains(string(html), `<details class="sect-good">`) {
		t.Fatalf("the compliant group is not folded on screen")
	}
	pdf := filepath.Join(t.TempDir(), "folded.pdf")
	chromium(t, page, "--print-to-pdf="+pdf, "--no-pdf-header-footer")
	data, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("printing to PDF: %v, %.20q", err, data)
	}
	m := regexp.MustCompile(`/Count (\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("the PDF names no page count")
	}
	pages, _ := strconv.Atoi(string(m[1]))
	t.Logf("300 folded rows print on %d pages", pages)
	if pages < 4 {
		t.Errorf("the PDF has %d pages: the folded rows were not printed", pages)
	}
}

// A report of 10,000 resources opens in Chromium: the DOM it builds holds every row, drifted
// first, and the page makes no request.
func TestHTMLReportOfTenThousandResourcesOpensInChromium(t *testing.T) {
	rep := &enforce.Report{Mode: enforce.ModeAudit, Reason: "cli audit", Totals: map[enforce.Outcome]int{}}
	for i := range 10_000 {
		e := enforce.Entry{Name: fmt.Sprintf("media-%05d", i), Kind: policy.S3, Outcome: enforce.Compliant, Attempts: 1}
		if i%100 == 0 {
			e.Outcome = enforce.Drifted
			e.Diff = []policy.Change{{Path: "CorsPolicy[0].AllowedOrigins", Op: "change", Added: []string{"https://*.example.com"}, Removed: []string{"*"}}}
		}
		rep.Entries = append(rep.Entries, e)
		rep.Totals[e.Outcome]++
	}
	page := filepath.Join(t.TempDir(), "big.html")
	f, err := os.Create(page)
	must(t, err)
	must(t, report.WriteHTML(f, rep, report.Meta{Account: "123456789012"}))
	must(t, f.Close())
	info, err := os.Stat(page)
	must(t, err)
	t.Logf("10,000 resources: %d bytes", info.Size())

	run := chromium(t, page, "--dump-dom")
	rows := rowsOf(run.stdout)
	if len(rows) != 10_000 {
		t.Errorf("Chromium's DOM has %d resource rows, want 10,000", len(rows))
	}
	if d, c := strings.Index(run.stdout, "Drifted (100)"), strings.Index(run.stdout, "Compliant (9,900)"); d < 0 || c < 0 || d > c {
		t.Errorf("drifted (at %d) must come before compliant (at %d)", d, c)
	}
	if len(run.pageRequests) > 0 {
		t.Errorf("the report made requests: %q", run.pageRequests)
	}
}

// An account that cannot be named (sts:GetCallerIdentity refused) does not fail an HTML report:
// the header says so and the exit status is the audit's.
func TestHTMLHeaderSaysWhenTheAccountIsUnknown(t *testing.T) {
	a := newAccount(t)
	a.emu.Script("GetCallerIdentity", "", 1, "AccessDenied")
	out := filepath.Join(t.TempDir(), "r.html")
	if r := a.sweep(t, "audit", "--output", out); r.code != exitDrifted {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitDrifted, r.stderr)
	}
	raw, err := os.ReadFile(out)
	must(t, err)
	if !regexp.MustCompile(`<dt>Account</dt><dd>unknown \(sts:GetCallerIdentity: [^<]*AccessDenied[^<]*\)</dd>`).Match(raw) {
		t.Errorf("the header does not say the account is unknown and why:\n%s", regexp.MustCompile(`<dt>Account</dt><dd>[^<]*</dd>`).Find(raw))
	}
}
