// Package pipenet is an in-memory network for tests that run inside a testing/synctest
// bubble: each dial is a net.Pipe whose server end the Listener's Accept returns. Made inside
// a bubble, its connections block durably (a real socket does not), so the bubble's fake clock
// moves while a client waits: an HTTP server (the emulator) and the real SDK clients then run
// on that clock, and a test can wait, time out and retry for minutes of fake time in no time.
package pipenet

import (
	"context"
	"net"
	"sync"
)

// Listener is an in-memory net.Listener; Dial connects to it, whatever the address.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

var _ net.Listener = (*Listener)(nil)

// Listen returns a Listener (make it inside the bubble that uses it).
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and Dial.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the listener's address: "pipe".
func (l *Listener) Addr() net.Addr { return addr{} }

// Dial connects to the listener, whatever the network and address (an http.Transport's
// DialContext).
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, net.ErrClosed
	}
}

type addr struct{}

func (addr) Network() string { return "pipe" }
func (addr) String() string  { return "pipe" }
