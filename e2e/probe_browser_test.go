package e2e

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/internal/testrig/browser"
	"github.com/corsguard/corsguard/internal/testrig/cdnchain"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/probe"
)

// throwsAs is the verdict the probe must give an allowed origin whose fetch throws in
// Chromium, per scenario: the reason the browser refused, in the probe's words.
var throwsAs = map[string]probe.Verdict{
	"poisoned-cache":          probe.CachedCrossOrigin,
	"options-not-allowed":     probe.PreflightBlocked,
	"baseline-origin-missing": probe.Blocked,
}

// resolvesAs is the verdict the probe gives an allowed origin whose fetch resolves in Chromium
// where it is not ok, per scenario: the fetch works, and the probe warns of what may break it.
// With OriginOverride the response headers policy writes Access-Control-Allow-Origin: A on an
// answer without Vary: Origin (S3's rule did not match, so S3 sent no Vary; CloudFront's guide
// does not say it adds one): Chromium resolves, each page having a fresh profile with its cache
// off, but a shared cache, or the HTTP cache of a same-site page on b.example.com, may hand
// that answer to B.
var resolvesAs = map[string]probe.Verdict{
	"origin-override": probe.MissingVary,
}

// TestTheProbeAgreesWithChromium runs headless Chromium and the probe over issue 26's six
// emulated chains (S3 behind CloudFront, on the emulator's TLS data plane) and holds the
// probe's verdicts to the browser's outcomes (issue 27, "Proven against a real browser"). For
// each fetch a page made:
//
//   - an allowed origin's fetch resolves: the probe's verdicts for that origin and that kind of
//     request (a simple GET, or the preflight of a non-simple one) are all ok (or the warning
//     resolvesAs names: missing_vary);
//   - it throws: the probe gives the verdict naming why (throwsAs);
//   - the outside origin's fetch resolves: the probe says leak; it throws: ok.
//
// The pages' outside origin (https://other.example.net) and the probe's
// (https://corsguard-probe.invalid) are both outside the baseline; neither chain tells them
// apart. The browser goes first, so the probe meets the cache the pages left, as a probe run
// after real players does.
func TestTheProbeAgreesWithChromium(t *testing.T) {
	_, chains, b, ca, hosts := chainsInABrowser(t)
	ctx := context.Background()
	dir := t.TempDir()

	// The intent: the scenarios' baseline origins, GET and HEAD, and the request header the
	// pages' non-simple fetches send.
	intent := probe.IntentOf("scenario baseline", policy.Policy{{
		AllowedOrigins: cdnchain.Baseline, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"X-Player"},
	}})
	p := probe.New(probe.Options{Rate: 100, Resolve: hosts, RootCAs: ca.CertPool()})
	t.Cleanup(p.Close)

	for _, ch := range chains {
		t.Run(ch.Scenario, func(t *testing.T) {
			type seen struct {
				f        cdnchain.Fetch
				resolved bool
			}
			var fetches []seen
			for i, f := range ch.Fetches {
				fetch := browser.Fetch{Origin: f.Origin, URL: ch.URL}
				if f.Preflight {
					fetch.Header = map[string]string{"X-Player": "1"}
				}
				res, err := b.Run(ctx, dir, fetch)
				if err != nil {
					t.Fatalf("fetch %d from %s: %v", i, f.Origin, err)
				}
				fetches = append(fetches, seen{f, res.Resolved})
			}

			results, _ := p.Probe(ctx, probe.Target{URL: ch.URL, Distribution: ch.DistributionID, Intent: intent})
			for _, s := range fetches {
				origin, allowed := s.f.Origin, slices.Contains(cdnchain.Baseline, s.f.Origin)
				if !allowed {
					origin = probe.OutsideOrigin
				}
				kind := probe.Simple
				if s.f.Preflight {
					kind = probe.Preflight
				}
				got := verdictsFor(results, origin, kind)
				var want probe.Verdict
				switch {
				case allowed && s.resolved:
					want = cmp.Or(resolvesAs[ch.Scenario], probe.OK)
				case allowed:
					want = throwsAs[ch.Scenario]
				case s.resolved:
					want = probe.Leak
				default:
					want = probe.OK
				}
				if want == "" || !slices.Equal(got, []probe.Verdict{want}) {
					t.Errorf("%s's %s fetch: Chromium's resolved=%v (scenario wants %s: %s); the probe says %v for %s, want [%s]\n%s",
						s.f.Origin, kind, s.resolved, s.f.Want, s.f.Why, got, origin, want, evidence(results, origin))
				}
			}
		})
	}
}

// verdictsFor returns the probe's verdicts (mode omit) for origin on one kind of request: the
// verdicts other than ok whose judged exchange is of that kind, or [ok] when there is none.
func verdictsFor(results []probe.Result, origin string, kind probe.StepKind) []probe.Verdict {
	var out []probe.Verdict
	for _, r := range results {
		if r.Origin != origin || r.Credentials != probe.Omit || r.Verdict == probe.OK || len(r.Evidence) == 0 {
			continue
		}
		if r.Evidence[0].Step.Kind == kind {
			out = append(out, r.Verdict)
		}
	}
	if len(out) == 0 {
		return []probe.Verdict{probe.OK}
	}
	return out
}

// evidence prints the probe's results for origin, for a failure message.
func evidence(results []probe.Result, origin string) string {
	var b strings.Builder
	rep := &probe.Report{Totals: map[probe.Verdict]int{}}
	for _, r := range results {
		if r.Origin == origin {
			rep.Results = append(rep.Results, r)
		}
	}
	_ = probe.WriteTable(&b, rep)
	return b.String()
}
