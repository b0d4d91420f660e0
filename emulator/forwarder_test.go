package emulator

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log destination safe for the forwarder's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A target that does not answer fills the queue; later events are dropped at once, counted
// and logged, and closing gives up on the post in flight when its context ends: nothing waits
// for the target. Channels, not sleeps, order the steps.
func TestASlowTargetLosesEventsButNeverHoldsUpTheEmulator(t *testing.T) {
	entered, release := make(chan struct{}, 16), make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer target.Close()
	defer close(release)
	var logs syncBuffer
	f := newForwarder(target.URL, 2, slog.New(slog.NewTextHandler(&logs, nil)))

	f.send([]byte(`{"n":1}`))
	<-entered // the first event is being posted and the target holds it
	for range 5 {
		f.send([]byte(`{"n":2}`)) // two fit in the queue; three are dropped without waiting
	}
	if got := f.dropped.Load(); got != 3 {
		t.Errorf("dropped %d events with a full queue, want 3", got)
	}
	if n := strings.Count(logs.String(), "dropping events"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a shutdown whose time is already up
	f.close(ctx)
	if d, l := f.delivered.Load(), f.dropped.Load(); d != 0 || l != 6 {
		t.Errorf("after close: delivered %d, dropped %d; want 0 and 6", d, l)
	}
	if !strings.Contains(logs.String(), "events were dropped") {
		t.Errorf("no summary at close:\n%s", logs.String())
	}
	f.send([]byte(`{"n":3}`)) // after close: dropped, not a panic on the closed queue
	if got := f.dropped.Load(); got != 7 {
		t.Errorf("an event sent after close: dropped %d, want 7", got)
	}
}

func TestADeadOrRefusingTargetLosesEventsAndRecovers(t *testing.T) {
	refuse := true
	var mu sync.Mutex
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	var logs syncBuffer
	f := newForwarder(target.URL, 8, slog.New(slog.NewTextHandler(&logs, nil)))
	f.send([]byte(`{}`))
	f.send([]byte(`{}`))
	f.close(context.Background()) // the first 503 is a failing target: the second is dropped unsent, if it was not refused already
	if d, l := f.delivered.Load(), f.dropped.Load(); d != 0 || l != 2 {
		t.Errorf("a refusing target: delivered %d, dropped %d", d, l)
	}

	mu.Lock()
	refuse = false
	mu.Unlock()
	f = newForwarder(target.URL, 8, slog.New(slog.NewTextHandler(&logs, nil)))
	f.send([]byte(`{}`))
	f.close(context.Background())
	if d, l := f.delivered.Load(), f.dropped.Load(); d != 1 || l != 0 {
		t.Errorf("a working target: delivered %d, dropped %d", d, l)
	}

	target.Close() // now nothing listens there
	f = newForwarder(target.URL, 8, slog.New(slog.NewTextHandler(&logs, nil)))
	f.send([]byte(`{}`))
	f.close(context.Background())
	if d, l := f.delivered.Load(), f.dropped.Load(); d != 0 || l != 1 {
		t.Errorf("a dead target: delivered %d, dropped %d", d, l)
	}
}

// Through the API: with a target that never answers, calls keep being answered past the
// queue's size, and the server stops without waiting for the target.
func TestAPICallsAndShutdownDoNotWaitForTheEventTarget(t *testing.T) {
	release := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer target.Close()
	defer close(release)
	e := New(WithEventURL(target.URL), WithCreatingDuration(0), WithoutQuotas())
	url, stop, err := e.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Each PutParameter emits one event; more calls than the queue holds (the 101st version
	// of a parameter pushes out the oldest).
	for i := range eventQueueLen + 10 {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"Name":"/p","Value":"v","Type":"String","Overwrite":true}`))
		req.Header.Set("X-Amz-Target", "AmazonSSM.PutParameter")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: status %d", i, resp.StatusCode)
		}
	}
	if _, dropped := e.EventDeliveries(); dropped < 9 {
		t.Errorf("dropped %d events past a full queue, want at least 9", dropped)
	}
	// No deadline: the target is failing (the queue overflowed), so what is queued for it is
	// dropped at once rather than waited for.
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, l := e.EventDeliveries(); d != 0 || l != eventQueueLen+10 {
		t.Errorf("after stop: delivered %d, dropped %d; want 0 and %d", d, l, eventQueueLen+10)
	}
}
