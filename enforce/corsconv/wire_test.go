package corsconv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/policy"
)

// recorder passes requests to the emulator and keeps the body of each one it is asked about.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	body map[string][]byte // by X-Amz-Target, or "PutBucketCors"
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	data, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(data))
	key := req.Header.Get("X-Amz-Target")
	if req.Method == http.MethodPut && req.URL.Query().Has("cors") {
		key = "PutBucketCors"
	}
	r.mu.Lock()
	r.body[key] = data
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

// What policy measures for S3's 64 KB and MediaStore's 398,000 characters is what the SDK
// sends: S3Document is the PutBucketCors body byte for byte, and MediaStoreDocument has the
// characters of the CorsPolicy member of PutCorsPolicy.
func TestPolicyMeasuresWhatTheSDKSends(t *testing.T) {
	emu := emulator.New(emulator.WithCreatingDuration(0), emulator.WithoutQuotas())
	rec := &recorder{next: emu, body: map[string][]byte{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
	ms := mediastore.New(mediastore.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String("live")}); err != nil {
		t.Fatal(err)
	}

	s3Policy := policy.Policy{
		{ID: `up"loads é`, AllowedOrigins: []string{"https://a.example?x=1&y=<2>", "https://*.bücher.example"},
			AllowedMethods: []string{"PUT", "POST"}, AllowedHeaders: []string{"*", "it's"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 600},
		{AllowedOrigins: []string{"*\t\u0085\u2028€"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}},
		{AllowedOrigins: []string{"https://" + strings.Repeat("o", 3000)}, AllowedMethods: []string{"HEAD"}},
	}
	if _, err := s3c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("media"),
		CORSConfiguration: &s3types.CORSConfiguration{CORSRules: corsconv.ToS3(s3Policy)}}); err != nil {
		t.Fatal(err)
	}
	if got, want := string(rec.body["PutBucketCors"]), string(policy.S3Document(s3Policy)); got != want {
		t.Errorf("PutBucketCors sent\n%s\npolicy.S3Document is\n%s", got, want)
	}

	msPolicy := policy.Policy{
		{AllowedOrigins: []string{"https://a.example?x=1&y=<2>", "https://*.bücher.example"}, AllowedMethods: []string{"GET", "HEAD"},
			AllowedHeaders: []string{"*", `x-"q"\`}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 3000},
		{AllowedOrigins: []string{"*\t\n\r"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{}},
	}
	if _, err := ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("live"),
		CorsPolicy: corsconv.ToMediaStore(msPolicy)}); err != nil {
		t.Fatal(err)
	}
	var req struct{ CorsPolicy json.RawMessage }
	if err := json.Unmarshal(rec.body["MediaStore_20170901.PutCorsPolicy"], &req); err != nil {
		t.Fatal(err)
	}
	got, want := utf8.RuneCount(req.CorsPolicy), utf8.RuneCount(policy.MediaStoreDocument(msPolicy))
	if got != want {
		t.Errorf("PutCorsPolicy sent a CorsPolicy of %d characters:\n%s\npolicy.MediaStoreDocument has %d:\n%s",
			got, req.CorsPolicy, want, policy.MediaStoreDocument(msPolicy))
	}
}
