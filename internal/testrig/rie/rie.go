// Package rie runs a Lambda bootstrap under AWS's Lambda Runtime Interface Emulator
// (aws-lambda-rie) on loopback ports, for the end-to-end tests and the cold-start benchmark.
package rie

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// InvokePath is the runtime emulator's invoke endpoint, as Lambda's Invoke API spells it.
const InvokePath = "/2015-03-31/functions/function/invocations"

// ErrNotListening is Start's error when the runtime emulator runs but never listens.
var ErrNotListening = errors.New("not listening")

// Function is a bootstrap running under the runtime emulator.
type Function struct {
	// InvokeURL is where an invocation is POSTed.
	InvokeURL string
	// Output is the runtime emulator's and the function's stdout and stderr.
	Output *Output

	cmd    *exec.Cmd
	exited chan struct{}
}

// Start runs bootstrap under the runtime emulator binary rie with exactly the environment
// environ, in the bootstrap's directory, on two loopback ports found free. It returns once the
// emulator itself holds both ports: a port found free may be taken by another process before
// the emulator binds it, and then a bare "something listens there" would send invocations to
// somebody else's function, so Start checks the listener's owner and tries new ports (three
// tries in all).
func Start(rie, bootstrap string, environ []string) (*Function, error) {
	for attempt := 1; ; attempt++ {
		f, err := start(rie, bootstrap, environ)
		if err == nil || attempt == 3 || errors.Is(err, ErrNotListening) {
			return f, err
		}
	}
}

func start(rie, bootstrap string, environ []string) (*Function, error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	invokeAddr, apiAddr := addrs[0], addrs[1]
	f := &Function{InvokeURL: "http://" + invokeAddr + InvokePath, Output: &Output{}, exited: make(chan struct{})}
	f.cmd = exec.Command(rie, "--runtime-interface-emulator-address", invokeAddr, "--runtime-api-address", apiAddr, bootstrap)
	f.cmd.Env, f.cmd.Stdout, f.cmd.Stderr, f.cmd.Dir = environ, f.Output, f.Output, filepath.Dir(bootstrap)
	// Its own process group, so that stopping it also stops the bootstrap it runs.
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", rie, err)
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }()
	if err := waitOwnListeners(f.cmd.Process.Pid, f.exited, invokeAddr, apiAddr); err != nil {
		f.Stop()
		return nil, fmt.Errorf("aws-lambda-rie: %w\n%s", err, f.Output)
	}
	return f, nil
}

// Stop ends the runtime emulator and the bootstrap it runs, and waits for them.
func (f *Function) Stop() {
	// SIGTERM lets the runtime emulator stop the bootstrap; the group kill is for whatever is
	// left after that.
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(3 * time.Second):
	}
	_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
	<-f.exited
}

// Output collects a process's stdout and stderr, which two goroutines copy at once. The zero
// value is ready to use.
type Output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed, and replaced, by every Write
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.written != nil {
		close(o.written)
		o.written = nil
	}
	return o.buf.Write(p)
}

// WaitFor waits until done holds for everything written so far, checking it again after each
// write, and reports whether it did before timeout (a bound on a hung test, not a timing
// claim).
func (o *Output) WaitFor(timeout time.Duration, done func(string) bool) bool {
	expired := time.After(timeout)
	for {
		o.mu.Lock()
		if done(o.buf.String()) {
			o.mu.Unlock()
			return true
		}
		if o.written == nil {
			o.written = make(chan struct{})
		}
		written := o.written
		o.mu.Unlock()
		select {
		case <-written:
		case <-expired:
			return false
		}
	}
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// freeAddrs returns n different loopback addresses whose ports were free a moment ago: all n
// are held open together, so none is handed out twice.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// waitOwnListeners waits until process pid itself holds a listening socket on every one of addrs
// (Linux: its /proc/PID/fd against /proc/net/tcp{,6}), or the process exits, which it does when
// an address is taken. Reading /proc/net/tcp costs milliseconds, so it is asked only once
// something accepts connections on every address; where /proc is not there, that is all.
func waitOwnListeners(pid int, exited <-chan struct{}, addrs ...string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if accepting(addrs) {
			ok, err := ownsListeners(pid, addrs)
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before listening on %s", strings.Join(addrs, " and "))
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Errorf("%w on %s after 15s", ErrNotListening, strings.Join(addrs, " and "))
}

// accepting reports whether something accepts connections on every one of addrs.
func accepting(addrs []string) bool {
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, time.Second)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

// ownsListeners reports whether process pid holds a listening TCP socket on the port of each of
// addrs. An error wrapping os.ErrNotExist means /proc cannot say (not Linux).
func ownsListeners(pid int, addrs []string) (bool, error) {
	var tables []string
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(name)
		if err != nil && (name == "/proc/net/tcp" || !errors.Is(err, os.ErrNotExist)) {
			return false, fmt.Errorf("read %s: %w", name, err)
		}
		tables = append(tables, string(data))
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil // exited: the caller sees it on its channel
		}
		return false, fmt.Errorf("read fds of %d: %w", pid, err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	listening := map[string]bool{} // upper-case hex port of each listener the process holds
	for _, table := range tables {
		for _, line := range strings.Split(table, "\n") {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			if i := strings.LastIndexByte(f[1], ':'); i >= 0 {
				listening[f[1][i+1:]] = true
			}
		}
	}
	for _, a := range addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			return false, err
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			return false, fmt.Errorf("port of %s: %w", a, err)
		}
		if !listening[fmt.Sprintf("%04X", n)] {
			return false, nil
		}
	}
	return true, nil
}

// Pid is the runtime emulator's process id; the bootstrap is its child.
func (f *Function) Pid() int { return f.cmd.Process.Pid }
