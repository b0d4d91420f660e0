package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AccessKey and SecretKey are the dummy keys SDKConfig signs with: the emulator wants a signed
// request, never a real key.
const (
	AccessKey = "AKIDCORSGUARDEMULATOR"
	SecretKey = "emulator-secret"
)

// SDKConfig returns the aws.Config of SDK clients that talk to the emulator served at url, in
// region: every service's requests to url, signed with the dummy keys, over HTTPClient, with
// the SDK's standard retryer (set Retryer to change it). Nothing on the machine matters: no
// shared config file, profile or environment variable is read. The demo's clients and the
// tests' are built from it.
func SDKConfig(url, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   HTTPClient(),
	}
}

// HTTPClient returns an HTTP client for aws-sdk-go-v2 clients that talk to an emulator on
// loopback (set it as the service client's Options.HTTPClient).
//
// Why: after each attempt smithy-go closes the request body while net/http may still be
// finishing the request write; a server as fast as this one answers before that, the write
// fails, the transport closes the connection, and the SDK reports "failed to decode response
// body ... use of closed network connection" on a 200 answer (aws/aws-sdk-go-v2#2737; the
// SDK's standard retryer retries it, which would send a write twice and skew call counts).
// This client reads the request body into memory before handing the request to the
// transport, so the SDK's close cannot race with the write.
func HTTPClient() *http.Client {
	return &http.Client{Transport: bufferedBody{http.DefaultTransport.(*http.Transport).Clone()}}
}

// HTTPClientVia is HTTPClient with its connections made by dial: an in-memory network
// (internal/testrig/pipenet), where a testing/synctest bubble's clock times the SDK's calls.
func HTTPClientVia(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = dial
	return &http.Client{Transport: bufferedBody{t}}
}

// bufferedBody is a RoundTripper that sends a private in-memory copy of the request body.
type bufferedBody struct{ next http.RoundTripper }

func (b bufferedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.RoundTrip(r)
	}
	data, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r.ContentLength = int64(len(data))
	return b.next.RoundTrip(r)
}
