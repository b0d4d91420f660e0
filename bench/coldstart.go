package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/corsguard/corsguard/internal/testrig/rie"
)

// Start is one cold start of a Lambda binary under aws-lambda-rie.
type Start struct {
	// FirstResponse is the time from sending the first invocation (on which the runtime
	// emulator starts the bootstrap process) to its complete answer.
	FirstResponse time.Duration
	// Init is the init phase as the runtime emulator reports it (INIT REPORT): from starting
	// the process to its first request for an invocation.
	Init time.Duration
}

// initReport is the runtime emulator's log line for the init phase.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// ColdStart starts bootstrap under the runtime emulator rie with env (and nothing of this
// process's environment but PATH), sends it event once, and stops it. The answer must be a
// success.
func ColdStart(ctx context.Context, rieBin, bootstrap string, env map[string]string, event []byte) (Start, error) {
	// The process runs in the bootstrap's directory; relative paths must not change meaning.
	rieBin, err := filepath.Abs(rieBin)
	if err != nil {
		return Start{}, err
	}
	bootstrap, err = filepath.Abs(bootstrap)
	if err != nil {
		return Start{}, err
	}
	home, err := os.MkdirTemp("", "corsguard-coldstart-")
	if err != nil {
		return Start{}, err
	}
	defer os.RemoveAll(home)
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "LOG_LEVEL=info"}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	fn, err := rie.Start(rieBin, bootstrap, environ)
	if err != nil {
		return Start{}, err
	}
	defer fn.Stop()
	out := fn.Output

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fn.InvokeURL, bytes.NewReader(event))
	if err != nil {
		return Start{}, err
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	begin := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Start{}, fmt.Errorf("invoke: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	first := time.Since(begin)
	if err != nil {
		return Start{}, fmt.Errorf("invoke: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errorType"`)) {
		return Start{}, fmt.Errorf("invoke: HTTP %d %s\n%s", resp.StatusCode, body, out)
	}
	// The runtime emulator logs the init report before it forwards the invocation.
	m := initReport.FindStringSubmatch(out.String())
	if m == nil {
		return Start{}, fmt.Errorf("no INIT REPORT in the runtime emulator's log:\n%s", out)
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return Start{}, fmt.Errorf("INIT REPORT %q: %w", m[1], err)
	}
	return Start{FirstResponse: first, Init: time.Duration(ms * float64(time.Millisecond))}, nil
}

// PackageInit is the time the Go runtime spent initialising one package at start-up.
type PackageInit struct {
	Package string
	Time    time.Duration
}

// inittraceLine is one line of GODEBUG=inittrace=1: "init <package> @<t> ms, <d> ms clock, ...".
var inittraceLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock`)

// InitTrace starts binary with GODEBUG=inittrace=1 and nothing else in its environment but
// PATH, and returns the package initialisations the Go runtime reports before main runs. A
// Lambda bootstrap started outside Lambda exits with an error after that; its exit status is
// not looked at.
func InitTrace(ctx context.Context, binary string) ([]PackageInit, error) {
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GODEBUG=inittrace=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	var out []PackageInit
	for line := range strings.Lines(stderr.String()) {
		m := inittraceLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ms, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, fmt.Errorf("inittrace %q: %w", line, err)
		}
		out = append(out, PackageInit{Package: m[1], Time: time.Duration(ms * float64(time.Millisecond))})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s printed no inittrace lines:\n%s", binary, stderr.Bytes())
	}
	return out, nil
}
