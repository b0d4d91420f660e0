package e2e

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/browser"
	"github.com/corsguard/corsguard/internal/testrig/cdnchain"
)

// Headless Chromium, on pages whose origins are exactly the baseline's
// (https://a.example.com, https://b.example.com) and one outside it, fetches a media object
// through each of issue 26's six emulated chains (S3 bucket behind a CloudFront distribution,
// over the emulator's TLS data plane), and resolves or throws as each scenario says: the
// emulator's answers are what a browser acts on, not only what a test reads.
func TestABrowserGetsWhatEachChainGives(t *testing.T) {
	emu, chains, b, _, _ := chainsInABrowser(t)
	ctx := context.Background()
	dir := t.TempDir()
	for _, ch := range chains {
		t.Run(ch.Scenario, func(t *testing.T) {
			for i, f := range ch.Fetches {
				fetch := browser.Fetch{Origin: f.Origin, URL: ch.URL}
				if f.Preflight {
					fetch.Header = map[string]string{"X-Player": "1"}
				}
				before := emu.ResourceCalls("EdgeRequest", ch.DistributionID)
				res, err := b.Run(ctx, dir, fetch)
				if err != nil {
					t.Fatalf("fetch %d from %s: %v", i, f.Origin, err)
				}
				// A fetch that throws must have thrown on the answer, not on the way: the
				// request reached the distribution (a TLS or name error would not).
				if emu.ResourceCalls("EdgeRequest", ch.DistributionID) == before {
					t.Fatalf("fetch %d from %s never reached %s: %+v", i, f.Origin, ch.Domain, res)
				}
				got := cdnchain.Throws
				if res.Resolved {
					got = cdnchain.Resolves
				}
				if got != f.Want {
					t.Errorf("fetch %d from %s (preflight %v): Chromium's fetch %s (status %d, %s), want %s: %s",
						i, f.Origin, f.Preflight, got, res.Status, res.Error, f.Want, f.Why)
				}
			}
		})
	}
}

// chainsInABrowser builds issue 26's six chains in an emulator that serves its data plane over
// TLS with a CA of its own, and a headless Chromium that reaches every chain's hosts there and
// trusts that CA (emu is that emulator); hosts maps each host to the emulator's TLS address (for the probe's --resolve).
func chainsInABrowser(t *testing.T) (emu *emulator.Emulator, chains []cdnchain.Chain, b *browser.Browser, ca *emulator.CA, hosts map[string]string) {
	t.Helper()
	chromium := browser.Path(t)
	emu = emulator.New(emulator.WithoutQuotas())
	url, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	if ca, err = emulator.NewCA(); err != nil {
		t.Fatal(err)
	}
	tlsURL, stopTLS, err := emu.StartTLS("127.0.0.1:0", ca)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopTLS(context.Background()) })
	tlsAddr := strings.TrimPrefix(tlsURL, "https://")
	if _, _, err := net.SplitHostPort(tlsAddr); err != nil {
		t.Fatal(err)
	}
	if chains, err = cdnchain.BuildAll(context.Background(), url, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	hosts = map[string]string{}
	for _, ch := range chains {
		for _, h := range ch.Hosts() {
			hosts[h] = tlsAddr
		}
	}
	b = &browser.Browser{Path: chromium, Hosts: hosts, SPKI: ca.SPKIHashes(), GetCertificate: ca.TLSConfig().GetCertificate}
	t.Cleanup(b.Close)
	return emu, chains, b, ca, hosts
}
