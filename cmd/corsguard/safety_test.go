package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// DESIGN.md §3, "The CLI reports before it is done": the output is checked before the first
// write, Ctrl-C starts nothing new and lets the calls in flight finish (a second one aborts),
// and a baseline that changed during the run makes the exit status non-zero.

func TestAnUnwritableOutputFailsBeforeAnyAWSCall(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	must(t, os.WriteFile(notADir, []byte("x"), 0o644))
	for name, path := range map[string]string{
		"in a directory that does not exist": filepath.Join(dir, "missing", "report.json"),
		"that is a directory":                dir,
		"under a regular file":               filepath.Join(notADir, "report.json"),
	} {
		for _, cmd := range []string{"apply", "audit"} {
			t.Run(cmd+" to a path "+name, func(t *testing.T) {
				a := newAccount(t)
				r := a.sweep(t, cmd, "--output", path)
				if r.code != exitError {
					t.Errorf("exit %d, want %d; stderr:\n%s", r.code, exitError, r.stderr)
				}
				if !strings.Contains(r.stderr, "--output") {
					t.Errorf("stderr does not name --output: %q", r.stderr)
				}
				if n := a.emu.CallCount("PutCorsPolicy"); n != 0 {
					t.Errorf("%d PutCorsPolicy calls before the unwritable report", n)
				}
				if n := a.emu.TotalCalls(); n != 0 {
					t.Errorf("%d AWS calls before the unwritable report: %v", n, a.emu.Calls())
				}
			})
		}
	}
}

func TestAnUnwritableOutputFailsBeforeTheCallerIdentityAndAnyBucketCall(t *testing.T) {
	a := newMixedAccount(t)
	r := corsguard(t, "", "apply", "--endpoint-url", a.url, "--target", "all", "--output", filepath.Join(t.TempDir(), "missing", "r.json"))
	if r.code != exitError || !strings.Contains(r.stderr, "--output") {
		t.Errorf("exit %d, stderr %q; want 1 naming --output", r.code, r.stderr)
	}
	if n := a.emu.TotalCalls(); n != 0 {
		t.Errorf("%d AWS calls before the unwritable report: %v", n, a.emu.Calls())
	}
}

// An output that opens but cannot take a byte (/dev/full answers every write with ENOSPC),
// named by --output or given as stdout, fails before the run: not after the repairs whose only
// record the report was to be.
func TestAnOutputThatCannotBeWrittenFailsBeforeAnyAWSCall(t *testing.T) {
	const full = "/dev/full"
	if _, err := os.Stat(full); err != nil {
		t.Fatalf("this test needs %s (Linux): %v", full, err)
	}
	for _, cmd := range []string{"apply", "audit"} {
		t.Run(cmd+" --output "+full, func(t *testing.T) {
			a := newAccount(t)
			r := a.sweep(t, cmd, "--output", full)
			if r.code != exitError || !strings.Contains(r.stderr, "--output "+full) || !strings.Contains(r.stderr, "no space left on device") {
				t.Errorf("exit %d, stderr %q; want 1 naming --output and ENOSPC", r.code, r.stderr)
			}
			if n := a.emu.TotalCalls(); n != 0 {
				t.Errorf("%d AWS calls before the unwritable report: %v", n, a.emu.Calls())
			}
		})
		t.Run(cmd+" with stdout "+full, func(t *testing.T) {
			a := newAccount(t)
			stdout, err := os.OpenFile(full, os.O_WRONLY, 0)
			must(t, err)
			defer stdout.Close()
			root := newRoot(cliOptions{httpClient: emulator.HTTPClient()})
			var errOut bytes.Buffer
			root.SetIn(strings.NewReader(""))
			root.SetOut(stdout)
			root.SetErr(&errOut)
			code := execute(context.Background(), root, []string{cmd, "--endpoint-url", a.url, "--format", "json"})
			if code != exitError || !strings.Contains(errOut.String(), "stdout: cannot write the report") {
				t.Errorf("exit %d, stderr %q; want 1 saying stdout cannot take the report", code, errOut.String())
			}
			if n := a.emu.TotalCalls(); n != 0 {
				t.Errorf("%d AWS calls before the unwritable report: %v", n, a.emu.Calls())
			}
		})
	}
	// The probe writes nothing: a report to a character device that takes writes is whole.
	a := newAccount(t)
	if r := a.sweep(t, "audit", "--output", os.DevNull); r.code != exitDrifted {
		t.Errorf("audit --output %s: exit %d, stderr %q; want 3", os.DevNull, r.code, r.stderr)
	}
}

func TestOutputReplacesAFileOnlyWithACompleteReport(t *testing.T) {
	a := newAccount(t)
	file := filepath.Join(t.TempDir(), "report.json")
	must(t, os.WriteFile(file, []byte("old report"), 0o600))
	r := a.sweep(t, "apply", "--output", file)
	if r.code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(file)
	must(t, err)
	var rep enforce.Report
	if err := json.Unmarshal(data, &rep); err != nil || rep.Totals[enforce.Remediated] != 2 {
		t.Errorf("--output holds %q (%v), want the report of 2 repairs", data, err)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the report's mode: %v, %v; want the old file's 0600", info.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// hook calls fn (once) when the first request whose X-Amz-Target ends in "."+op arrives, before
// the emulator answers it.
func hook(next http.Handler, op string, fn func(*http.Request)) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), "."+op) {
			once.Do(func() { fn(r) })
		}
		next.ServeHTTP(w, r)
	})
}

func TestABaselineChangedDuringTheRunExits1(t *testing.T) {
	for _, cmd := range []string{"audit", "apply"} {
		t.Run(cmd, func(t *testing.T) {
			a := newAccount(t)
			// Someone updates the baseline (version 2) while the sweep reads the first policy.
			srv := httptest.NewServer(hook(a.emu, "GetCorsPolicy", func(*http.Request) {
				must(t, a.emu.SeedParameter(DefaultBaselineParameter, "", string(policy.DefaultJSON()), "updated"))
			}))
			t.Cleanup(srv.Close)
			a.url = srv.URL
			r := a.sweep(t, cmd, "--format", "json", "--workers", "1")
			if r.code != exitError {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, exitError, r.stderr)
			}
			for _, want := range []string{"the estate no longer matches the current baseline", "run again"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
			}
			if rep := parseReport(t, r); !rep.BaselineChangedDuringRun || rep.Baseline.Version != 1 {
				t.Errorf("report: baseline %+v, changed during run %v; want version 1, changed", rep.Baseline, rep.BaselineChangedDuringRun)
			}
		})
	}
}

// gate holds every request of one operation until release is closed (or the client gives up,
// and then the emulator never sees it): a call kept in flight as long as the test needs,
// without sleeping. arrived is closed when the first one is held.
type gate struct {
	op               string
	arrived, release chan struct{}
	once             sync.Once
}

// gated serves a's emulator behind a gate on op and points a at it.
func (a *account) gated(t *testing.T, op string) *gate {
	g := &gate{op: op, arrived: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(g.wrap(a.emu))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { // before srv.Close, which waits for the held requests
		select {
		case <-g.release:
		default:
			close(g.release)
		}
	})
	a.url = srv.URL
	return g
}

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), "."+g.op) {
			g.once.Do(func() { close(g.arrived) })
			select {
			case <-g.release:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// running is the corsguard binary running one sweep.
type running struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	lines  chan string // stderr, line by line
}

func startSweep(t *testing.T, url string, args ...string) *running {
	t.Helper()
	r := &running{lines: make(chan string, 100)}
	r.cmd = exec.Command(binary, append(args, "--endpoint-url", url, "--exclude", "test-*", "--workers", "1", "--format", "json")...)
	r.cmd.Stdout = &r.stdout
	stderr, err := r.cmd.StderrPipe()
	must(t, err)
	must(t, r.cmd.Start())
	go func() {
		defer close(r.lines)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			r.lines <- s.Text()
		}
	}()
	t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	return r
}

// waitFor reads stderr until a line contains want.
func (r *running) waitFor(t *testing.T, want string) {
	t.Helper()
	var seen []string
	for line := range r.lines {
		if strings.Contains(line, want) {
			return
		}
		seen = append(seen, line)
	}
	t.Fatalf("stderr ended without %q:\n%s", want, strings.Join(seen, "\n"))
}

// wait waits for the exit and returns its code, the rest of stderr and the report.
func (r *running) wait(t *testing.T) (int, string, *enforce.Report) {
	t.Helper()
	var rest []string
	for line := range r.lines {
		rest = append(rest, line)
	}
	err := r.cmd.Wait()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	stderr := strings.Join(rest, "\n")
	var rep enforce.Report
	if err := json.Unmarshal(r.stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not a report: %v\n%s\nstderr:\n%s", err, r.stdout.String(), stderr)
	}
	return code, stderr, &rep
}

func TestTheFirstSignalLetsTheCallsInFlightFinishAndStartsNothingNew(t *testing.T) {
	for name, sig := range map[string]syscall.Signal{"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM} {
		t.Run(name, func(t *testing.T) {
			a := newAccount(t)
			g := a.gated(t, "GetCorsPolicy")
			run := startSweep(t, a.url, "apply")
			<-g.arrived // live-news's GetCorsPolicy is in flight
			must(t, run.cmd.Process.Signal(sig))
			run.waitFor(t, "starting nothing new")
			close(g.release)
			code, stderr, rep := run.wait(t)

			if code != exitError {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitError, stderr)
			}
			if !strings.Contains(rep.Error, "interrupted by "+name) || strings.Contains(rep.Error, "abort") || rep.Succeeded {
				t.Errorf("report error %q, succeeded %v; want an interruption by %s, not an abort", rep.Error, rep.Succeeded, name)
			}
			for _, e := range rep.Entries {
				switch {
				case e.Name == "live-news":
					if e.Outcome != enforce.Compliant {
						t.Errorf("the resource in flight: %+v, want it finished (compliant)", e)
					}
				case e.Outcome != enforce.NotStarted || !strings.Contains(e.Error, "interrupted by "+name):
					t.Errorf("%s: %s %q, want not_started, interrupted by %s", e.Name, e.Outcome, e.Error, name)
				}
			}
			if len(rep.Entries) != 4 {
				t.Errorf("%d entries, want 4", len(rep.Entries))
			}
			if n := a.emu.CallCount("PutCorsPolicy"); n != 0 {
				t.Errorf("%d writes started after the interrupt", n)
			}
		})
	}
}

func TestASecondSignalAborts(t *testing.T) {
	a := newAccount(t)
	g := a.gated(t, "GetCorsPolicy")
	run := startSweep(t, a.url, "apply")
	<-g.arrived
	must(t, run.cmd.Process.Signal(syscall.SIGINT))
	run.waitFor(t, "starting nothing new")
	must(t, run.cmd.Process.Signal(syscall.SIGINT))
	code, stderr, rep := run.wait(t)

	if code != exitError {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitError, stderr)
	}
	if !strings.Contains(rep.Error, "aborted by a second SIGINT") || rep.Succeeded {
		t.Errorf("report error %q, succeeded %v; want an abort by a second SIGINT", rep.Error, rep.Succeeded)
	}
	for _, e := range rep.Entries {
		want := enforce.NotStarted
		if e.Name == "live-news" {
			want = enforce.Failed // cancelled in flight
		}
		if e.Outcome != want {
			t.Errorf("%s: %s %q, want %s", e.Name, e.Outcome, e.Error, want)
		}
	}
	if live := rep.Entries[0]; !strings.Contains(live.Error, "aborted by a second SIGINT") {
		t.Errorf("the cancelled entry does not say why: %q", live.Error)
	}
}

func TestTheGracePeriodEndsInAnAbort(t *testing.T) {
	a := newAccount(t)
	g := a.gated(t, "GetCorsPolicy") // never released while the CLI runs
	run := startSweep(t, a.url, "audit", "--grace", "1ms")
	<-g.arrived
	must(t, run.cmd.Process.Signal(syscall.SIGINT))
	code, stderr, rep := run.wait(t)
	if code != exitError {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitError, stderr)
	}
	if !strings.Contains(rep.Error, "grace period") || rep.Totals[enforce.Failed] != 1 || rep.Totals[enforce.NotStarted] != 3 {
		t.Errorf("report error %q, totals %v; want the end of the grace period, 1 failed, 3 not started", rep.Error, rep.Totals)
	}
}
