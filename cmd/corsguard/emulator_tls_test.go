package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// `corsguard emulator --tls-addr --ca-out` serves the data plane over TLS with certificates
// from a CA it writes out: the aws CLI trusts it as --ca-bundle and uploads over https (an
// aws-chunked body with a CRC32 trailer); a client trusting only that CA reads the object back
// from BUCKET.s3.REGION.amazonaws.com; the SPKI hashes it prints include the CA's key.
func TestTheStandaloneEmulatorServesTLSWithItsOwnCA(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	cmd := exec.Command(binary, "emulator", "--addr", "127.0.0.1:0", "--tls-addr", "127.0.0.1:0", "--ca-out", caFile)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_, _ = io.Copy(io.Discard, stdout)
		if err := cmd.Wait(); err != nil {
			t.Errorf("emulator exit after SIGTERM: %v; stderr: %s", err, stderr.String())
		}
	})
	lines := bufio.NewScanner(stdout)
	var plain, secure, hashes string
	for range 2 {
		if !lines.Scan() {
			t.Fatalf("the emulator said too little; stderr: %s", stderr.String())
		}
		_, rest, _ := strings.Cut(lines.Text(), "listening on ")
		url, more, _ := strings.Cut(rest, " ")
		if strings.HasPrefix(url, "https://") {
			secure = url
			_, hashes, _ = strings.Cut(more, "CA SPKI hashes ")
			hashes = strings.TrimSuffix(hashes, ")")
		} else {
			plain = url
		}
	}
	if plain == "" || secure == "" {
		t.Fatalf("want a plain and a TLS address, got %q and %q", plain, secure)
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("--ca-out wrote no PEM: %q", data)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("--ca-out wrote no CA certificate: %v", err)
	}
	der, _ := x509.MarshalPKIXPublicKey(ca.PublicKey)
	sum := sha256.Sum256(der)
	if !strings.Contains(hashes, base64.StdEncoding.EncodeToString(sum[:])) {
		t.Errorf("the printed SPKI hashes %q leave out the CA's key", hashes)
	}

	aws := awsCLI(t, secure, "1")
	aws.env = append(aws.env, "AWS_CA_BUNDLE="+caFile)
	aws.ok("s3api", "create-bucket", "--bucket", "media")
	body := filepath.Join(dir, "clip.mp4")
	if err := os.WriteFile(body, []byte(strings.Repeat("frame ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	aws.ok("s3api", "put-object", "--bucket", "media", "--key", "clip.mp4", "--body", body, "--content-type", "video/mp4")

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(secure, "https://"))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
		}}}
	resp, err := client.Get("https://media.s3.us-east-1.amazonaws.com/clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != strings.Repeat("frame ", 500) || resp.Header.Get("Content-Type") != "video/mp4" {
		t.Errorf("GET over TLS by host: %d %q", resp.StatusCode, got)
	}
}

// A --ca-out that cannot be written, or a --tls-addr that cannot be listened on, stops the
// emulator before it serves anything.
func TestEmulatorRefusesBadTLSFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--ca-out", "/nonexistent/dir/ca.pem"},
		{"--tls-addr", "256.0.0.1:0"},
	} {
		out, err := exec.Command(binary, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...).CombinedOutput()
		if err == nil {
			t.Errorf("emulator %v started; output %s", args, out)
		}
	}
}
