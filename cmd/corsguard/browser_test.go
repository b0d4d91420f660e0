package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath is $CHROMIUM or Debian's chromium, which .ci/run installs when it is missing. A test that
// needs it fails, never skips, without it: what the report does in a browser is the claim.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("headless Chromium is not installed (/usr/bin/chromium): the HTML report's tests load it in a real browser; install it with `apt-get install -y chromium` (.ci/run does)")
	return ""
}

// browserRun is what one headless Chromium run of a page left behind.
type browserRun struct {
	stdout string
	// pageRequests are the URLs of the network requests the page made (not Chromium's own).
	pageRequests []string
}

// chromium loads the file at page in headless Chromium with args added (such as --dump-dom or
// --screenshot=FILE). No request can leave the machine: every host name resolves to nothing
// (Chromium's own background requests fail at once), and the network log records every request
// the page tried to make, which pageRequests lists.
func chromium(t *testing.T, page string, args ...string) browserRun {
	t.Helper()
	bin := chromiumPath(t)
	dir := t.TempDir()
	netlog := filepath.Join(dir, "netlog.json")
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + filepath.Join(dir, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-default-apps", "--disable-extensions", "--no-pings", "--hide-scrollbars",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--log-net-log=" + netlog,
	}, append(args, "file://"+abs)...)...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	return browserRun{stdout: stdout.String(), pageRequests: pageRequests(t, netlog)}
}

// pageRequests reads a Chromium network log and returns the URL of every request a file://
// page started (its network isolation key names file://); Chromium's own requests (updates,
// time) carry other keys.
func pageRequests(t *testing.T, netlog string) []string {
	t.Helper()
	data, err := os.ReadFile(netlog)
	if err != nil {
		t.Fatalf("chromium wrote no network log: %v", err)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int            `json:"type"`
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		// Chromium may stop before it closes the events array: close it.
		text := strings.TrimRight(strings.TrimSpace(string(data)), ",") + "]}"
		if err2 := json.Unmarshal([]byte(text), &log); err2 != nil {
			t.Fatalf("chromium's network log does not parse: %v", err)
		}
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatal("chromium's network log has no URL_REQUEST_START_JOB event type")
	}
	var urls []string
	for _, e := range log.Events {
		if e.Type != start {
			continue
		}
		if nik, _ := e.Params["network_isolation_key"].(string); strings.Contains(nik, "file://") {
			url, _ := e.Params["url"].(string)
			urls = append(urls, url)
		}
	}
	return urls
}

// The network check can fail: a page that loads an image and a style sheet from elsewhere is
// caught making both requests.
func TestChromiumSeesAPageThatLoadsFromElsewhere(t *testing.T) {
	page := filepath.Join(t.TempDir(), "leaky.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><html><body><img src="http://corsguard-probe.invalid/x.png">`+
		`<link rel="stylesheet" href="https://corsguard-probe.invalid/a.css"></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := chromium(t, page, "--dump-dom")
	if len(run.pageRequests) != 2 {
		t.Errorf("the page's requests: %q; want the image and the style sheet", run.pageRequests)
	}
}
