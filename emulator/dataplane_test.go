package emulator_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

// corsHeaders are the answer headers a CORS evaluation decides.
var corsHeaders = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age", "Vary"}

// dataPlane sends an unsigned request to the emulator at url, addressed by host as a browser
// addresses AWS, and returns the status, the CORS headers present and the S3 error code.
func dataPlane(t *testing.T, url, method, host, path string, header map[string]string) (int, map[string]string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := map[string]string{}
	for _, h := range corsHeaders {
		if v := resp.Header.Get(h); v != "" {
			got[h] = v
		}
	}
	var doc struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(body, &doc)
	return resp.StatusCode, got, doc.Code
}

const vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// S3's data plane answers CORS as S3's documents say: the first rule that matches origin,
// method and requested headers; "*" answered as "*" without credentials; the Access-Control-*
// headers and Vary only when the evaluation succeeds; the preflight's refusals.
func TestS3DataPlaneAnswersCORSAsS3Does(t *testing.T) {
	f := newFixture(t)
	must[error](t)(nil, f.emu.SeedBucket("media", "", []map[string]any{
		{"AllowedOrigins": []string{"https://a.example.com"}, "AllowedMethods": []string{"PUT"}, "AllowedHeaders": []string{"x-amz-*"}},
		{"AllowedOrigins": []string{"https://*.example.com"}, "AllowedMethods": []string{"GET", "HEAD"}, "AllowedHeaders": []string{"Range"},
			"ExposeHeaders": []string{"ETag", "Content-Length"}, "MaxAgeSeconds": 300},
		{"AllowedOrigins": []string{"*"}, "AllowedMethods": []string{"GET"}},
	}, nil))
	must[error](t)(nil, f.emu.SeedBucket("plain", "", nil, nil))
	must[error](t)(nil, f.emu.SeedBucket("west", "us-west-2", nil, nil))
	for _, b := range []string{"media", "plain", "west"} {
		must[error](t)(nil, f.emu.PutObject(b, "v/clip.mp4", "video/mp4", []byte("clip")))
	}
	pattern := map[string]string{"Access-Control-Allow-Origin": "https://a.example.com", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Expose-Headers": "ETag, Content-Length", "Access-Control-Max-Age": "300", "Vary": vary}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	host := "media.s3.us-east-1.amazonaws.com"
	for _, tc := range []struct {
		name, method, host, path string
		header                   map[string]string
		status                   int
		cors                     map[string]string
		code                     string
	}{
		{"a GET without Origin is not a CORS request: no CORS headers, no Vary", "GET", host, "/v/clip.mp4", nil, 200, map[string]string{}, ""},
		{"the first rule that matches answers: the PUT rule does not, the wildcard origin rule does", "GET", host, "/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com"}, 200, pattern, ""},
		{"HEAD is answered as GET", "HEAD", host, "/v/clip.mp4", map[string]string{"Origin": "https://a.example.com"}, 200, pattern, ""},
		{"an origin allowed by * is answered * without credentials", "GET", host, "/v/clip.mp4", map[string]string{"Origin": "https://elsewhere.net"}, 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET", "Vary": vary}, ""},
		{"a GET no rule allows gets 200 without CORS headers", "HEAD", host, "/v/clip.mp4", map[string]string{"Origin": "https://elsewhere.net"}, 200, map[string]string{}, ""},
		{"a GET on a bucket without CORS gets 200 without CORS headers", "GET", "plain.s3.us-east-1.amazonaws.com", "/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com"}, 200, map[string]string{}, ""},
		{"a preflight names the requested headers it allows", "OPTIONS", host, "/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-amz-meta-title, X-Amz-Acl"}, 200,
			map[string]string{"Access-Control-Allow-Origin": "https://a.example.com", "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "PUT",
				"Access-Control-Allow-Headers": "x-amz-meta-title, X-Amz-Acl", "Vary": vary}, ""},
		{"a preflight whose headers no rule allows is refused", "OPTIONS", host, "/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"}, 403, map[string]string{}, "AccessForbidden"},
		{"a preflight for a GET with Range takes the second rule", "OPTIONS", host, "/anything",
			map[string]string{"Origin": "https://b.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}, 200,
			with(pattern, "Access-Control-Allow-Origin", "https://b.example.com", "Access-Control-Allow-Headers", "range"), ""},
		{"a preflight for a method no rule allows is refused", "OPTIONS", host, "/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "DELETE"}, 403, map[string]string{}, "AccessForbidden"},
		{"a preflight without Origin is a bad request", "OPTIONS", host, "/v/clip.mp4",
			map[string]string{"Access-Control-Request-Method": "GET"}, 400, map[string]string{}, "BadRequest"},
		{"a preflight without Access-Control-Request-Method is a bad request", "OPTIONS", host, "/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com"}, 400, map[string]string{}, "BadRequest"},
		{"a preflight to a bucket without CORS: CORS is not enabled", "OPTIONS", "plain.s3.amazonaws.com", "/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "GET"}, 403, map[string]string{}, "CORSResponse"},
		{"a missing key answers NoSuchKey, with the CORS headers of the evaluation", "GET", host, "/v/none.mp4",
			map[string]string{"Origin": "https://a.example.com"}, 404, pattern, "NoSuchKey"},
		{"path style on the regional endpoint", "GET", "s3.us-east-1.amazonaws.com", "/media/v/clip.mp4",
			map[string]string{"Origin": "https://a.example.com"}, 200, pattern, ""},
		{"a bucket of another Region answers PermanentRedirect", "GET", "west.s3.us-east-1.amazonaws.com", "/v/clip.mp4", nil, 301, map[string]string{}, "PermanentRedirect"},
		{"the legacy dash endpoint names the Region too", "GET", "west.s3-us-west-2.amazonaws.com", "/v/clip.mp4", nil, 200, map[string]string{}, ""},
		{"a missing bucket answers NoSuchBucket", "GET", "nobucket.s3.amazonaws.com", "/v/clip.mp4", nil, 404, map[string]string{}, "NoSuchBucket"},
		{"anonymous writes are refused", "PUT", host, "/v/clip.mp4", nil, 403, map[string]string{}, "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, cors, code := dataPlane(t, f.url, tc.method, tc.host, tc.path, tc.header)
			if status != tc.status || code != tc.code {
				t.Errorf("answer %d %s, want %d %s", status, code, tc.status, tc.code)
			}
			if diff := cmp.Diff(tc.cors, cors); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
		})
	}
	if got, want := f.emu.Object("media", "v/clip.mp4"); !want || string(got.Body) != "clip" {
		t.Errorf("the refused anonymous PUT changed the object: %q", got.Body)
	}
	calls := f.emu.Calls()
	if calls["GetObject"] == 0 || calls["OptionsObject"] == 0 || calls["HeadObject"] == 0 {
		t.Errorf("data plane calls are counted per operation: %v", calls)
	}
}

// The body of an object GET is the object, with its type, ETag and length.
func TestS3DataPlaneServesTheObject(t *testing.T) {
	f := newFixture(t)
	must[error](t)(nil, f.emu.SeedBucket("media", "", nil, nil))
	c := s3Client(f.url)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("media"), Key: aws.String("a b/c.mp4"),
		Body: strings.NewReader("video bytes"), ContentType: aws.String("video/mp4"), CacheControl: aws.String("max-age=60"),
		Metadata: map[string]string{"title": "clip"}}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.url+"/a%20b/c.mp4", nil)
	req.Host = "media.s3.amazonaws.com"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "video bytes" || resp.Header.Get("Content-Type") != "video/mp4" || resp.Header.Get("Cache-Control") != "max-age=60" ||
		resp.Header.Get("X-Amz-Meta-Title") != "clip" || resp.Header.Get("Etag") != `"`+fmt.Sprintf("%x", md5sum("video bytes"))+`"` {
		t.Errorf("GET: %q %v", body, resp.Header)
	}
	// The signed API serves the same object, path style and virtual-hosted style.
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("media"), Key: aws.String("a b/c.mp4")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	if string(got) != "video bytes" || aws.ToString(out.ContentType) != "video/mp4" {
		t.Errorf("GetObject: %q %s", got, aws.ToString(out.ContentType))
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("media"), Key: aws.String("missing")}); err == nil {
		t.Error("HeadObject of a missing key succeeded")
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("media")})
	wantCode(t, err, "BucketNotEmpty")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("media"), Key: aws.String("a b/c.mp4")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.emu.Object("media", "a b/c.mp4"); ok {
		t.Error("DeleteObject left the object")
	}
}

// chunked builds an aws-chunked body as the SDKs send it over https: the data in one chunk,
// the last chunk, and a trailer with the checksum.
func chunked(data, trailer string) string {
	return fmt.Sprintf("%x\r\n%s\r\n0\r\n%s\r\n\r\n", len(data), data, trailer)
}

func crc32b64(s string) string {
	sum := crc32.ChecksumIEEE([]byte(s))
	return base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
}

// PutObject accepts aws-chunked bodies with a trailing checksum and verifies it; a bad one
// stores nothing.
func TestS3PutObjectDecodesAwsChunkedBodies(t *testing.T) {
	f := newFixture(t)
	must[error](t)(nil, f.emu.SeedBucket("media", "", nil, nil))
	streaming := map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length": "5"}
	for _, tc := range []struct {
		name, key, body string
		header          map[string]string
		status          int
		code            string
	}{
		{"a good trailer", "good", chunked("hello", "x-amz-checksum-crc32:"+crc32b64("hello")), streaming, 200, ""},
		{"a trailer that does not match", "bad", chunked("hello", "x-amz-checksum-crc32:"+crc32b64("world")), streaming, 400, "BadDigest"},
		{"a missing trailer", "none", chunked("hello", ""), streaming, 400, "MalformedTrailerError"},
		{"a truncated body", "short", "5\r\nhel", streaming, 400, "IncompleteBody"},
		{"a bad chunk size", "size", "zz\r\nhello\r\n0\r\n\r\n", streaming, 400, "InvalidRequest"},
		{"a decoded length that does not match", "length", chunked("hello", "x-amz-checksum-crc32:"+crc32b64("hello")),
			map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length": "6"}, 400, "IncompleteBody"},
		{"a signed chunk", "signed", "5;chunk-signature=00ff\r\nhello\r\n0;chunk-signature=00ff\r\n\r\n",
			map[string]string{"X-Amz-Content-Sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "X-Amz-Decoded-Content-Length": "5"}, 200, ""},
		{"a plain body with a header checksum", "plain", "hello", map[string]string{"X-Amz-Checksum-Crc32": crc32b64("hello")}, 200, ""},
		{"a plain body whose checksum does not match", "plainbad", "hello", map[string]string{"X-Amz-Checksum-Crc32": crc32b64("x")}, 400, "BadDigest"},
		{"a Content-MD5 that does not match", "md5", "hello", map[string]string{"Content-Md5": b64(md5sum("x"))}, 400, "BadDigest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code := rawS3(t, f.url, "PUT", "/media/"+tc.key, []byte(tc.body), tc.header)
			if status != tc.status || code != tc.code {
				t.Fatalf("PUT: %d %s, want %d %s", status, code, tc.status, tc.code)
			}
			obj, ok := f.emu.Object("media", tc.key)
			if ok != (tc.status == 200) || ok && string(obj.Body) != "hello" {
				t.Errorf("stored %v %q", ok, obj.Body)
			}
		})
	}
}

// The aws CLI over https (the emulator's TLS address, its CA as --ca-bundle) puts objects
// with aws-chunked bodies and a CRC32 trailer; s3api and s3 cp both land the bytes, and the
// object is then served over TLS by Host.
func TestAwsCLIPutsObjectsOverTLS(t *testing.T) {
	bin := awsref.CLI(t)
	emu := emulator.New(emulator.WithoutQuotas())
	ca, err := emulator.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	_, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	tlsURL, stopTLS, err := emu.StartTLS("127.0.0.1:0", ca)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopTLS(context.Background()) })
	dir := t.TempDir()
	caFile, file := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "clip.mp4")
	must[error](t)(nil, os.WriteFile(caFile, ca.PEM(), 0o600))
	media := bytes.Repeat([]byte("frame "), 1000)
	must[error](t)(nil, os.WriteFile(file, media, 0o600))
	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", tlsURL, "--ca-bundle", caFile, "--region", "us-east-1"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	aws("s3api", "create-bucket", "--bucket", "media")
	aws("s3api", "put-object", "--bucket", "media", "--key", "v/one.mp4", "--body", file, "--content-type", "video/mp4")
	aws("s3", "cp", file, "s3://media/v/two.mp4")
	for _, key := range []string{"v/one.mp4", "v/two.mp4"} {
		obj, ok := emu.Object("media", key)
		if !ok || !bytes.Equal(obj.Body, media) {
			t.Errorf("%s: stored %v, %d bytes, want %d", key, ok, len(obj.Body), len(media))
		}
	}
	// Over TLS by Host, with a certificate for that host from the same CA.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(tlsURL, "https://"))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.CertPool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
		}}}
	resp, err := client.Get("https://media.s3.us-east-1.amazonaws.com/v/one.mp4")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, media) || resp.TLS.PeerCertificates[0].DNSNames[0] != "media.s3.us-east-1.amazonaws.com" {
		t.Errorf("GET over TLS: %d, %d bytes", resp.StatusCode, len(got))
	}
}

// The Go SDK's PutObject over https sends the same streaming body with its trailer.
func TestSDKPutObjectOverTLS(t *testing.T) {
	emu := emulator.New(emulator.WithoutQuotas())
	ca, err := emulator.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	tlsURL, stop, err := emu.StartTLS("127.0.0.1:0", ca)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.CertPool()}}}
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(tlsURL), UsePathStyle: true, Credentials: creds,
		Retryer: aws.NopRetryer{}, HTTPClient: hc})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("media"), Key: aws.String("k"), Body: strings.NewReader("payload"),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32}); err != nil {
		t.Fatal(err)
	}
	if obj, ok := emu.Object("media", "k"); !ok || string(obj.Body) != "payload" {
		t.Errorf("stored %v %q", ok, obj.Body)
	}
}

func md5sum(s string) []byte {
	sum := md5.Sum([]byte(s))
	return sum[:]
}
