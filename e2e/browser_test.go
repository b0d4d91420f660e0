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
	chromium := browser.Path(t)
	emu := emulator.New(emulator.WithoutQuotas())
	url, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	ca, err := emulator.NewCA()
	if err != nil {
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
	ctx := context.Background()
	chains, err := cdnchain.BuildAll(ctx, url, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]string{}
	for _, ch := range chains {
		for _, h := range ch.Hosts() {
			hosts[h] = tlsAddr
		}
	}
	b := &browser.Browser{Path: chromium, Hosts: hosts, SPKI: ca.SPKIHashes(),
		GetCertificate: ca.TLSConfig().GetCertificate}
	t.Cleanup(b.Close)
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
