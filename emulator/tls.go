package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CA is a certificate authority of the emulator's own: it issues a certificate for every host
// name a TLS client asks for (the SNI), so that the data plane answers over https as AWS does
// (https://BUCKET.s3.REGION.amazonaws.com, https://dXXXX.cloudfront.net) and a test can serve
// its pages (https://player.example.com) with a certificate clients trust the same way. Clients
// trust it by its PEM (the aws CLI's --ca-bundle, an x509.CertPool) or, as Chromium does with
// --ignore-certificate-errors-spki-list, by the hashes of its public keys. Every leaf shares
// one key, so that one hash covers them all. It lives in memory only.
type CA struct {
	cert    *x509.Certificate
	certDER []byte
	key     *ecdsa.PrivateKey
	leafKey *ecdsa.PrivateKey

	mu     sync.Mutex
	leaves map[string]*tls.Certificate // by host name
}

// NewCA makes a CA with a fresh key, valid from an hour ago for 30 days.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca key: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("leaf key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "corsguard emulator CA", Organization: []string{"corsguard emulator"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("ca certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca certificate: %w", err)
	}
	return &CA{cert: cert, certDER: der, key: key, leafKey: leafKey, leaves: map[string]*tls.Certificate{}}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// PEM returns the CA's certificate in PEM, for --ca-bundle and --ca-out.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.certDER})
}

// CertPool returns a pool holding only the CA, for Go clients (tls.Config.RootCAs).
func (ca *CA) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// SPKIHashes returns the base64 SHA-256 hashes of the leaves' and the CA's public keys, the
// value of Chromium's --ignore-certificate-errors-spki-list (comma-joined).
func (ca *CA) SPKIHashes() []string {
	var out []string
	for _, pub := range []any{&ca.leafKey.PublicKey, &ca.key.PublicKey} {
		der, _ := x509.MarshalPKIXPublicKey(pub)
		sum := sha256.Sum256(der)
		out = append(out, base64.StdEncoding.EncodeToString(sum[:]))
	}
	return out
}

// Certificate returns a certificate for host (a DNS name or an IP address), issued once and
// kept.
func (ca *CA) Certificate(host string) (*tls.Certificate, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.leaves[host]; ok {
		return c, nil
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    ca.cert.NotBefore,
		NotAfter:     ca.cert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &ca.leafKey.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("certificate for %s: %w", host, err)
	}
	c := &tls.Certificate{Certificate: [][]byte{der, ca.certDER}, PrivateKey: ca.leafKey}
	ca.leaves[host] = c
	return c, nil
}

// TLSConfig returns a server configuration that presents a certificate for the name the
// client asks for; a client that names none (one that dialled an IP address, as the aws CLI
// does for https://127.0.0.1:PORT) gets one for the address it reached.
func (ca *CA) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" && hello.Conn != nil {
				name, _, _ = net.SplitHostPort(hello.Conn.LocalAddr().String())
			}
			if name == "" {
				name = "localhost"
			}
			return ca.Certificate(name)
		},
	}
}

// StartTLS serves the emulator over TLS on addr, with certificates from ca, in the background,
// beside (not instead of) Start's plain HTTP. It returns the https base URL and a function that
// shuts the TLS server down. The lifecycle ticker and Close belong to Start's stop.
func (e *Emulator) StartTLS(addr string, ca *CA) (url string, stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, TLSConfig: ca.TLSConfig()}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	var once sync.Once
	stop = func(ctx context.Context) error {
		var err error
		once.Do(func() {
			err = srv.Shutdown(ctx)
			if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
				err = errors.Join(err, serr)
			}
		})
		return err
	}
	return "https://" + ln.Addr().String(), stop, nil
}
