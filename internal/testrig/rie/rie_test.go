package rie

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The guard against port collisions: a listener on the port is not enough, it must be the
// runtime emulator's own.
func TestOwnsListenersTellsWhoseListenerItIs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if ok, err := ownsListeners(os.Getpid(), []string{addr}); err != nil || !ok {
		t.Errorf("ownsListeners(this process, %s) = %v, %v; want true", addr, ok, err)
	}

	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	if ok, err := ownsListeners(other.Process.Pid, []string{addr}); err != nil || ok {
		t.Errorf("ownsListeners(another process, %s) = %v, %v; want false: the listener is ours", addr, ok, err)
	}
	free, err := freeAddrs(2)
	if err != nil {
		t.Fatal(err)
	}
	if free[0] == free[1] {
		t.Errorf("freeAddrs handed out %s twice", free[0])
	}
	if ok, err := ownsListeners(os.Getpid(), []string{addr, free[0]}); err != nil || ok {
		t.Errorf("ownsListeners(this process, %s and the closed %s) = %v, %v; want false", addr, free[0], ok, err)
	}
}

func TestOutputWaitForWakesOnTheWriteThatMakesItTrue(t *testing.T) {
	var out Output
	go func() {
		for _, s := range []string{"starting\n", "still starting\n", "ready\n"} {
			_, _ = out.Write([]byte(s))
		}
	}()
	if !out.WaitFor(time.Minute, func(s string) bool { return strings.Contains(s, "ready") }) {
		t.Fatalf("WaitFor gave up; output %q", out.String())
	}
	if out.WaitFor(time.Millisecond, func(s string) bool { return strings.Contains(s, "never written") }) {
		t.Error("WaitFor held for text that was never written")
	}
}
