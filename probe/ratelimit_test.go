package probe

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/corsguard/corsguard/internal/testrig/pipenet"
	"github.com/corsguard/corsguard/policy"
)

// TestTheRateLimitSpacesEveryRequestAcrossURLs runs a probe of two URLs at --rate 4 on the
// fake clock of a synctest bubble, the server and the connections inside it: the server
// receives each request exactly 250 ms after the one before, the first at once, across both
// URLs, and never more than the cap per URL. No real time passes.
func TestTheRateLimitSpacesEveryRequestAcrossURLs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := pipenet.Listen()
		var mu sync.Mutex
		type arrival struct {
			host string
			at   time.Time
		}
		var arrivals []arrival
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			arrivals = append(arrivals, arrival{r.Host, time.Now()})
			mu.Unlock()
			s3Like(w, r)
		})}
		go func() { _ = srv.Serve(l) }()

		const rate, perURL = 4, 8
		p := New(Options{Rate: rate, Timeout: time.Minute, MaxRequests: perURL})
		p.transport.DialContext = l.Dial
		// More origins than the cap: the plan is cut to perURL requests for each URL.
		var origins []string
		for i := range 20 {
			origins = append(origins, fmt.Sprintf("https://player-%02d.example.com", i))
		}
		intent := IntentOf("many", policy.Policy{{AllowedOrigins: origins, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"Range"}}})
		start := time.Now()
		rep := p.Run(context.Background(), []Target{
			{URL: "http://canary-one.example/canary.txt", Intent: intent},
			{URL: "http://canary-two.example/canary.txt", Intent: intent},
		}, nil)
		p.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		synctest.Wait()

		if rep.Failed() {
			t.Fatalf("the probe failed: %+v", rep.Totals)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(arrivals) != 2*perURL || p.Sent() != 2*perURL {
			t.Fatalf("%d requests received, %d sent; want %d per URL, both URLs", len(arrivals), p.Sent(), perURL)
		}
		per := map[string]int{}
		for i, a := range arrivals {
			per[a.host]++
			want := time.Duration(i) * time.Second / rate
			if got := a.at.Sub(start); got != want {
				t.Errorf("request %d (%s) arrived at %v; want %v: one every %v", i, a.host, got, want, time.Second/rate)
			}
		}
		if per["canary-one.example"] != perURL || per["canary-two.example"] != perURL {
			t.Errorf("requests per URL %v; want %d each", per, perURL)
		}
	})
}

// slowInBubble probes a server that never finishes its answer (handler), inside a synctest
// bubble with the probe's default timeout: the first request ends in an error saying timeout
// exactly DefaultTimeout after it was sent, and nothing more is sent to that URL (its other
// requests are errors, not sent). The bubble's clock moves only when everything waits, so the
// ten seconds pass at once.
func slowInBubble(t *testing.T, handler http.HandlerFunc) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		l := pipenet.Listen()
		var mu sync.Mutex
		received := 0
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			received++
			mu.Unlock()
			handler(w, r)
		})}
		go func() { _ = srv.Serve(l) }()
		p := New(Options{})
		p.transport.DialContext = l.Dial
		one := IntentOf("one", policy.Policy{{AllowedOrigins: []string{player}, AllowedMethods: []string{"GET"}}})
		start := time.Now()
		rep := p.Run(context.Background(), []Target{{URL: "http://slow.example/canary", Intent: one}}, nil)
		took := time.Since(start)
		p.Close()
		_ = srv.Close()
		synctest.Wait()

		if took != DefaultTimeout {
			t.Errorf("the probe took %v; want exactly the timeout, %v", took, DefaultTimeout)
		}
		if !rep.Failed() || rep.Totals[Error] != len(rep.Results) {
			t.Fatalf("totals %+v; want only errors", rep.Totals)
		}
		mu.Lock()
		defer mu.Unlock()
		if received != 1 || p.Sent() != 1 {
			t.Errorf("%d requests received, %d sent; want one: a URL that hangs is not asked again", received, p.Sent())
		}
		timedOut := false
		for _, r := range rep.Results {
			for _, e := range r.Evidence {
				timedOut = timedOut || strings.Contains(e.Error, "timeout")
			}
		}
		if !timedOut {
			t.Errorf("no evidence says timeout: %+v", rep.Results)
		}
	})
}
