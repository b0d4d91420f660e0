package emulator_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corsguard/corsguard/emulator"
)

// s3Client is a real S3 client on the emulator: path-style addressing, no retries, so that each
// API call is exactly one request.
func s3Client(url string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()}, optFns...)
}

var s3Policy = []s3types.CORSRule{
	{ID: aws.String("uploads"), AllowedOrigins: []string{"https://upload.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type", "x-amz-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}}, // no AllowedHeader: S3 allows that
}

func TestS3BucketCorsAndTagsOverTheSDK(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	bucket := aws.String("media-assets")

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	wantCode(t, err, "BucketAlreadyOwnedByYou")
	var already *s3types.BucketAlreadyOwnedByYou
	if !errors.As(err, &already) {
		t.Errorf("the SDK does not see its typed error: %T", err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Not_Valid")})
	wantCode(t, err, "InvalidBucketName")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("elsewhere"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}})
	wantCode(t, err, "IllegalLocationConstraintException")

	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bucket})
	wantCode(t, err, "NoSuchCORSConfiguration")
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: bucket,
		CORSConfiguration: &s3types.CORSConfiguration{CORSRules: s3Policy}}); err != nil {
		t.Fatal(err)
	}
	got := must[*s3.GetBucketCorsOutput](t)(c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bucket}))
	if diff := cmp.Diff(s3Policy, got.CORSRules, cmpopts.IgnoreUnexported(s3types.CORSRule{})); diff != "" {
		t.Errorf("GetBucketCors (-put +got):\n%s", diff)
	}
	info, _ := f.emu.Bucket("media-assets")
	want := `[{"ID": "uploads", "AllowedOrigins": ["https://upload.example.com"], "AllowedMethods": ["PUT", "POST"],
		"AllowedHeaders": ["Content-Type", "x-amz-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
		{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": null}]`
	if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, string(info.CorsPolicy))); diff != "" {
		t.Errorf("stored policy (-want +got):\n%s", diff)
	}
	if info.Region != "us-east-1" || info.ARN != "arn:aws:s3:::media-assets" || !info.CreationTime.Equal(epoch) {
		t.Errorf("bucket info %+v", info)
	}
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bucket})
	wantCode(t, err, "NoSuchCORSConfiguration")

	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	wantCode(t, err, "NoSuchTagSet")
	tags := []s3types.Tag{{Key: aws.String("team"), Value: aws.String("video")}, {Key: aws.String("corsguard:exempt"), Value: aws.String("true")}}
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &s3types.Tagging{TagSet: tags}}); err != nil {
		t.Fatal(err)
	}
	gotTags := must[*s3.GetBucketTaggingOutput](t)(c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket}))
	wantTags := []s3types.Tag{tags[1], tags[0]} // sorted by key
	if diff := cmp.Diff(wantTags, gotTags.TagSet, cmpopts.IgnoreUnexported(s3types.Tag{})); diff != "" {
		t.Errorf("GetBucketTagging (-want +got):\n%s", diff)
	}
	for name, set := range map[string][]s3types.Tag{
		"duplicate keys": {tags[0], tags[0]},
		"a system key":   {{Key: aws.String("aws:cloudformation:stack-name"), Value: aws.String("x")}},
		"a long key":     {{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("x")}},
	} {
		_, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &s3types.Tagging{TagSet: set}})
		if err == nil || errorCode(t, err) != "InvalidTag" {
			t.Errorf("%s: got %v, want InvalidTag", name, err)
		}
	}
	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	wantCode(t, err, "NoSuchTagSet")

	head := must[*s3.HeadBucketOutput](t)(c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket}))
	if aws.ToString(head.BucketRegion) != "us-east-1" {
		t.Errorf("HeadBucket region %q", aws.ToString(head.BucketRegion))
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"GetBucketCors": func() error { _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bucket}); return err },
		"PutBucketCors": func() error {
			_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: bucket, CORSConfiguration: &s3types.CORSConfiguration{CORSRules: s3Policy}})
			return err
		},
		"DeleteBucketCors": func() error { _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: bucket}); return err },
		"GetBucketTagging": func() error { _, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket}); return err },
		"DeleteBucket":     func() error { _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket}); return err },
	} {
		if err := call(); err == nil || errorCode(t, err) != "NoSuchBucket" {
			t.Errorf("%s on a deleted bucket: %v; want NoSuchBucket", name, err)
		}
	}
}

func TestS3ListBucketsFiltersByRegionAndPaginates(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("bucket-%02d", i)
		want = append(want, name)
		if err := f.emu.SeedBucket(name, "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"bucket-05a", "zz-in-ireland"} {
		if err := f.emu.SeedBucket(name, "eu-west-1", nil, nil); err != nil {
			t.Fatal(err)
		}
	}

	var got []string
	pages := 0
	pg := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{BucketRegion: aws.String("us-east-1")},
		func(o *s3.ListBucketsPaginatorOptions) { o.Limit = 10 })
	for pg.HasMorePages() {
		out := must[*s3.ListBucketsOutput](t)(pg.NextPage(ctx))
		pages++
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
			if aws.ToString(b.BucketRegion) != "us-east-1" || b.CreationDate == nil || !b.CreationDate.Equal(epoch) {
				t.Errorf("bucket %+v", b)
			}
		}
		if out.Owner == nil || aws.ToString(out.Owner.ID) == "" {
			t.Errorf("page without an owner")
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buckets in us-east-1 (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("%d pages of at most 10 for 25 buckets, want 3", pages)
	}

	// Without the filter the listing is global, in one page.
	all := must[*s3.ListBucketsOutput](t)(c.ListBuckets(ctx, &s3.ListBucketsInput{}))
	if len(all.Buckets) != 27 || all.ContinuationToken != nil {
		t.Errorf("unfiltered: %d buckets, token %v", len(all.Buckets), all.ContinuationToken)
	}
	prefixed := must[*s3.ListBucketsOutput](t)(c.ListBuckets(ctx, &s3.ListBucketsInput{Prefix: aws.String("zz")}))
	if len(prefixed.Buckets) != 1 || aws.ToString(prefixed.Buckets[0].BucketRegion) != "eu-west-1" {
		t.Errorf("prefix zz: %+v", prefixed.Buckets)
	}
	// A bucket of another Region cannot be used through this Region's endpoint.
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("zz-in-ireland")})
	wantCode(t, err, "PermanentRedirect")

	_, err = c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(0)})
	wantCode(t, err, "InvalidArgument")
	_, err = c.ListBuckets(ctx, &s3.ListBucketsInput{ContinuationToken: aws.String("nonsense")})
	wantCode(t, err, "InvalidArgument")
}

func TestS3PutBucketCorsValidatesWithS3Rules(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	if err := f.emu.SeedBucket("b-1", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	put := func(rules ...s3types.CORSRule) error {
		_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("b-1"),
			CORSConfiguration: &s3types.CORSConfiguration{CORSRules: rules}})
		return err
	}
	ok := s3types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}
	for _, tc := range []struct {
		name  string
		rules []s3types.CORSRule
		code  string
		msg   string
	}{
		{"PATCH is not an S3 CORS method", []s3types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PATCH"}}},
			"InvalidRequest", "Unsupported method is PATCH"},
		{"an origin with two wildcards", []s3types.CORSRule{{AllowedOrigins: []string{"https://*.*.example.com"}, AllowedMethods: []string{"GET"}}},
			"InvalidRequest", "more than one wildcard"},
		{"101 rules", func() []s3types.CORSRule {
			r := make([]s3types.CORSRule, 101)
			for i := range r {
				r[i] = ok
			}
			return r
		}(), "MalformedXML", "did not validate against our published schema"},
		{"a 256-character rule ID", []s3types.CORSRule{{ID: aws.String(strings.Repeat("i", 256)), AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}},
			"InvalidRequest", "ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := put(tc.rules...)
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not say %q", err, tc.msg)
			}
		})
	}
	if info, _ := f.emu.Bucket("b-1"); info.CorsPolicy != nil {
		t.Errorf("a refused configuration was stored: %v", info.CorsPolicy)
	}
	// A policy that MediaStore refuses (POST, an ID, no AllowedHeaders) is fine for S3.
	if err := put(s3types.CORSRule{ID: aws.String("r1"), AllowedOrigins: []string{"*"}, AllowedMethods: []string{"POST"}}); err != nil {
		t.Fatal(err)
	}
}

// rawS3 sends one signed-looking S3 request with the given extra headers and returns the
// status and the error code of the answer ("" on success).
func rawS3(t *testing.T, url, method, path string, body []byte, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, ""
	}
	var e struct {
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s %s: error body is not S3's XML: %q", method, path, data)
	}
	if e.Message == "" || e.RequestID == "" || e.RequestID != resp.Header.Get("X-Amz-Request-Id") || resp.Header.Get("X-Amz-Id-2") == "" {
		t.Errorf("%s %s: error %+v, headers %v", method, path, e, resp.Header)
	}
	return resp.StatusCode, e.Code
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestS3PutBucketCorsChecksums(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.emu.SeedBucket("sums", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	// Every algorithm the SDK can send is accepted and checked.
	for _, algo := range []s3types.ChecksumAlgorithm{"", s3types.ChecksumAlgorithmCrc32, s3types.ChecksumAlgorithmCrc32c,
		s3types.ChecksumAlgorithmCrc64nvme, s3types.ChecksumAlgorithmSha1, s3types.ChecksumAlgorithmSha256, s3types.ChecksumAlgorithmSha512} {
		_, err := s3Client(f.url).PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("sums"), ChecksumAlgorithm: algo,
			CORSConfiguration: &s3types.CORSConfiguration{CORSRules: s3Policy}})
		if err != nil {
			t.Errorf("checksum %q: %v", algo, err)
		}
	}
	if n := f.emu.ResourceCalls("PutBucketCors", "sums"); n != 7 {
		t.Errorf("PutBucketCors counted %d times, want 7", n)
	}

	doc := []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`)
	md := md5.Sum(doc)
	crc := crc32.ChecksumIEEE(doc)
	crcBytes := []byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)}
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   []byte
		status int
		code   string
	}{
		{"a matching Content-MD5", map[string]string{"Content-MD5": b64(md[:])}, doc, 200, ""},
		{"a matching CRC32 named by the SDK header", map[string]string{"x-amz-checksum-crc32": b64(crcBytes), "x-amz-sdk-checksum-algorithm": "CRC32"}, doc, 200, ""},
		{"no integrity header", nil, doc, 400, "InvalidRequest"},
		{"a Content-MD5 of other content", map[string]string{"Content-MD5": b64(md5.New().Sum(nil))}, doc, 400, "BadDigest"},
		{"a Content-MD5 that is not one", map[string]string{"Content-MD5": "abc"}, doc, 400, "InvalidDigest"},
		{"a CRC32 of other content", map[string]string{"x-amz-checksum-crc32": b64([]byte{0, 0, 0, 0})}, doc, 400, "BadDigest"},
		{"an SDK algorithm without its checksum", map[string]string{"x-amz-sdk-checksum-algorithm": "SHA256", "Content-MD5": b64(md[:])}, doc, 400, "InvalidRequest"},
		{"two checksums", map[string]string{"x-amz-checksum-crc32": b64(crcBytes), "x-amz-checksum-sha1": "AAAA"}, doc, 400, "InvalidRequest"},
		{"XML that is not well-formed", map[string]string{"Content-MD5": b64(md5.New().Sum(nil))}, nil, 400, "MalformedXML"},
		{"an element S3 does not know", nil, []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedOrigins>x</AllowedOrigins></CORSRule></CORSConfiguration>`), 400, "MalformedXML"},
		// The SDK checks these itself; the aws CLI and others do not.
		{"a rule without a method", nil, []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`), 400, "MalformedXML"},
		{"a rule without an origin", nil, []byte(`<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`), 400, "MalformedXML"},
		{"no rule at all", nil, []byte(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></CORSConfiguration>`), 400, "MalformedXML"},
		{"a MaxAgeSeconds that is not a number", nil, []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>`), 400, "MalformedXML"},
		{"another root element", nil, []byte(`<CorsPolicy><CORSRule/></CorsPolicy>`), 400, "MalformedXML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil { // a correct MD5 of whatever body, so that only the body is at fault
				sum := md5.Sum(tc.body)
				h = map[string]string{"Content-MD5": b64(sum[:])}
				if tc.code == "InvalidRequest" {
					h = nil
				}
			}
			status, code := rawS3(t, f.url, http.MethodPut, "/sums?cors", tc.body, h)
			if status != tc.status || code != tc.code {
				t.Errorf("got %d %q, want %d %q", status, code, tc.status, tc.code)
			}
		})
	}
}

func TestS3ErrorsAndFaultsUseS3sCodes(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	for _, name := range []string{"a-bucket", "b-bucket"} {
		if err := f.emu.SeedBucket(name, "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	getCors := func(name string) error {
		_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(name)})
		return err
	}
	status := func(err error) int {
		var s interface{ HTTPStatusCode() int }
		if !errors.As(err, &s) {
			t.Fatalf("no status in %v", err)
		}
		return s.HTTPStatusCode()
	}
	f.emu.Script("GetBucketCors", "a-bucket", 1, "ThrottlingException")
	err := getCors("a-bucket")
	wantCode(t, err, "SlowDown")
	if status(err) != 503 {
		t.Errorf("SlowDown status %d", status(err))
	}
	wantCode(t, getCors("b-bucket"), "NoSuchCORSConfiguration")
	f.emu.SetErrorRate("GetBucketCors", 1)
	err = getCors("a-bucket")
	wantCode(t, err, "InternalError")
	if status(err) != 500 {
		t.Errorf("InternalError status %d", status(err))
	}
	f.emu.ClearFaults()
	f.emu.Script("GetBucketCors", "", 1, "NoSuchBucket")
	err = getCors("a-bucket")
	wantCode(t, err, "NoSuchBucket")
	if status(err) != 404 {
		t.Errorf("scripted NoSuchBucket status %d", status(err))
	}
	if n := f.emu.ResourceCalls("GetBucketCors", "a-bucket"); n != 3 {
		t.Errorf("GetBucketCors on a-bucket counted %d times, want 3", n)
	}

	// The request ID of a failed call reaches the SDK.
	var re interface{ ServiceRequestID() string }
	if err := getCors("nope-bucket"); !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Errorf("request ID from the SDK error: %v", err)
	}

	for _, tc := range []struct {
		name, method, path string
		auth               bool
		status             int
		code               string
	}{
		{"no Authorization header", http.MethodGet, "/", false, 403, "AccessDenied"},
		{"an object the bucket does not hold", http.MethodGet, "/a-bucket/key.mp4", true, 404, "NoSuchKey"},
		{"a subresource of an object the emulator does not serve", http.MethodGet, "/a-bucket/key.mp4?acl", true, 501, "NotImplemented"},
		{"a subresource the emulator does not serve", http.MethodPut, "/a-bucket?website", true, 501, "NotImplemented"},
		{"two subresources", http.MethodGet, "/a-bucket?tagging&cors", true, 501, "NotImplemented"},
		{"an unserved method on the service", http.MethodPost, "/", true, 405, "MethodNotAllowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, f.url+tc.path, nil)
			if tc.auth {
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Code string `xml:"Code"`
			}
			data, _ := io.ReadAll(resp.Body)
			_ = xml.Unmarshal(data, &e)
			if resp.StatusCode != tc.status || e.Code != tc.code {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, e.Code, tc.status, tc.code)
			}
		})
	}
	// The unauthenticated request was not counted.
	if n := f.emu.CallCount("ListBuckets"); n != 0 {
		t.Errorf("ListBuckets counted %d times", n)
	}
}

func TestS3Events(t *testing.T) {
	f := newFixture(t)
	c := s3Client(f.url)
	ctx := context.Background()
	var rec recorder
	defer f.emu.Subscribe(rec.add)()
	bucket := aws.String("events-bucket")

	must[*s3.CreateBucketOutput](t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}))
	must[*s3.PutBucketCorsOutput](t)(c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: bucket,
		CORSConfiguration: &s3types.CORSConfiguration{CORSRules: s3Policy}}))
	_, _ = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bucket})
	_, _ = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	must[*s3.DeleteBucketCorsOutput](t)(c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: bucket}))
	// Failed calls emit nothing.
	_, _ = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("missing-bucket"),
		CORSConfiguration: &s3types.CORSConfiguration{CORSRules: s3Policy}})

	evs := rec.take()
	var names []string
	for _, ev := range evs {
		d := ev["detail"].(map[string]any)
		names = append(names, d["eventName"].(string))
		if ev["source"] != "aws.s3" || ev["detail-type"] != "AWS API Call via CloudTrail" || d["eventSource"] != "s3.amazonaws.com" ||
			d["awsRegion"] != "us-east-1" || ev["account"] != "012345678912" {
			t.Errorf("event envelope %v", ev)
		}
		rp := d["requestParameters"].(map[string]any)
		if rp["bucketName"] != "events-bucket" || rp["Host"] == "" {
			t.Errorf("%s requestParameters %v", d["eventName"], rp)
		}
		if d["userIdentity"].(map[string]any)["accessKeyId"] != "AKIDEXAMPLE" {
			t.Errorf("userIdentity %v", d["userIdentity"])
		}
	}
	if diff := cmp.Diff([]string{"CreateBucket", "PutBucketCors", "DeleteBucketCors"}, names); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(evs) == 3 {
		cors := evs[1]["detail"].(map[string]any)["requestParameters"].(map[string]any)["CORSConfiguration"].(map[string]any)
		if rules := cors["CORSRule"].([]any); len(rules) != 2 {
			t.Errorf("PutBucketCors records the configuration: %v", cors)
		}
	}
}

func TestLoadStateWithBuckets(t *testing.T) {
	f := newFixture(t)
	state := `{"buckets":[
		{"name":"seeded-bucket","corsPolicy":[{"AllowedOrigins":["*"],"AllowedMethods":["POST"]}],"tags":{"team":"video"}},
		{"name":"far-bucket","region":"ap-south-1"}]}`
	if err := f.emu.LoadState(strings.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	info, ok := f.emu.Bucket("seeded-bucket")
	want := `[{"AllowedOrigins": ["*"], "AllowedMethods": ["POST"], "AllowedHeaders": null}]`
	if !ok || !cmp.Equal(jsonValue(t, string(info.CorsPolicy)), jsonValue(t, want)) || info.Tags["team"] != "video" {
		t.Errorf("seeded bucket %+v", info)
	}
	if far, _ := f.emu.Bucket("far-bucket"); far.Region != "ap-south-1" {
		t.Errorf("far bucket %+v", far)
	}
	for _, bad := range []string{
		`{"buckets":[{"name":"Bad_Name"}]}`,
		`{"buckets":[{"name":"bad-cors","corsPolicy":[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]}]}`,
		`{"buckets":[{"name":"seeded-bucket"}]}`,
	} {
		if err := f.emu.LoadState(strings.NewReader(bad)); err == nil {
			t.Errorf("state %s was accepted", bad)
		}
	}
}
