package emulator_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Buckets whose names look like other services' paths are S3's all the same: requests are
// routed by the service they were signed for, not by the path.
func TestRequestsAreRoutedByTheServiceTheyAreSignedFor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s3c := s3Client(f.url)
	for _, name := range []string{"findings", "2020-05-31", "mediastore", "ssm"} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("create bucket %s: %v", name, err)
		}
		if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("head bucket %s: %v", name, err)
		}
	}
	if _, ok := f.emu.Bucket("findings"); !ok {
		t.Error("bucket findings was not created")
	}
	// A presigned S3 request carries its scope in the query string.
	ps, err := s3.NewPresignClient(s3c).PresignHeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("findings")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(ps.Method, ps.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("presigned HeadBucket: %d", resp.StatusCode)
	}
	// MediaStore and SSM are still served at the same address.
	if _, err := f.ms.ListContainers(ctx, &mediastore.ListContainersInput{}); err != nil {
		t.Error(err)
	}
}

func TestRequestsThatCannotBeRoutedGetAnAWSShapedError(t *testing.T) {
	f := newFixture(t)
	sign := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	for _, tc := range []struct {
		name, target, auth string
		status             int
		code               string
	}{
		{"unsigned JSON", "MediaStore_20170901.ListContainers", "", 400, "MissingAuthenticationTokenException"},
		{"unsigned REST", "", "", 403, "AccessDenied"},
		{"JSON signed for an unknown service", "MediaStore_20170901.ListContainers", sign("lightsail"), 403, "InvalidSignatureException"},
		{"REST signed for an unknown service", "", sign("lightsail"), 400, "AuthorizationHeaderMalformed"},
		{"a scope without a service", "AmazonSSM.GetParameter", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1, SignedHeaders=host, Signature=00", 400, "IncompleteSignatureException"},
		{"MediaStore's target signed for SSM", "MediaStore_20170901.ListContainers", sign("ssm"), 400, "UnknownOperationException"},
		{"SSM without a target", "", sign("ssm"), 400, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(`{}`))
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			var code, msg string
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-amz-json") {
				var raw map[string]string
				_ = json.Unmarshal(data, &raw)
				code, msg = raw["__type"], raw["message"]
			} else {
				var body struct{ Code, Message string }
				_ = xml.Unmarshal(data, &body)
				code, msg = body.Code, body.Message
			}
			if resp.StatusCode != tc.status || code != tc.code || msg == "" {
				t.Errorf("got %d %q %q, want %d %s", resp.StatusCode, code, msg, tc.status, tc.code)
			}
		})
	}
	if n := f.emu.TotalCalls(); n != 0 {
		t.Errorf("%d refused requests were counted", n)
	}
}
