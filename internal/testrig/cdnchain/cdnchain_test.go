package cdnchain_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/cdnchain"
)

// allowed is the part of the Fetch standard's CORS check these scenarios exercise: a
// preflight needs an ok status, the origin and the method and header allowed; an answer
// needs Access-Control-Allow-Origin to be * or the origin. The browser test (e2e) holds the
// outcomes to Chromium; this one checks that the chains the rig builds give the answers the
// scenarios are about, without one.
func allowed(resp *http.Response, f cdnchain.Fetch) bool {
	acao := resp.Header.Get("Access-Control-Allow-Origin")
	if acao != "*" && acao != f.Origin {
		return false
	}
	if !f.Preflight {
		return true
	}
	methods := strings.Split(resp.Header.Get("Access-Control-Allow-Methods"), ", ")
	headers := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	return resp.StatusCode/100 == 2 && (slices.Contains(methods, "GET") || slices.Contains(methods, "*")) &&
		(headers == "*" || slices.Contains(strings.Split(headers, ", "), "x-player"))
}

func TestEveryScenarioGivesTheAnswersItIsAbout(t *testing.T) {
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	chains, err := cdnchain.BuildAll(ctx, srv.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(chains) != 6 {
		t.Fatalf("%d chains, want issue 26's six", len(chains))
	}
	for _, ch := range chains {
		t.Run(ch.Scenario, func(t *testing.T) {
			if !strings.HasSuffix(ch.Domain, ".cloudfront.net") || ch.URL != "https://"+ch.Domain+"/"+cdnchain.MediaKey {
				t.Errorf("chain %+v: want a distribution domain and its media URL", ch)
			}
			for i, f := range ch.Fetches {
				req, err := ch.Request(ctx, srv.URL, f)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				got := cdnchain.Throws
				if allowed(resp, f) {
					got = cdnchain.Resolves
				}
				if got != f.Want {
					t.Errorf("fetch %d from %s (preflight %v): %s, want %s (%s); answer %d %v", i, f.Origin, f.Preflight, got, f.Want, f.Why, resp.StatusCode, resp.Header)
				}
			}
		})
	}
}
