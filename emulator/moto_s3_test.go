package emulator_test

import (
	"bufio"
	"encoding/json"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

// boto3Answers runs calls through testdata/boto3_calls.py against endpoint and returns one
// answer per call.
func boto3Answers(t *testing.T, py, endpoint string, calls []boto3Call) []map[string]any {
	t.Helper()
	in, _ := json.Marshal(calls)
	cmd := exec.Command(py, "testdata/boto3_calls.py", endpoint)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3_calls.py against %s: %v\n%s", endpoint, err, stderr.String())
	}
	lines := bufio.NewScanner(strings.NewReader(string(out)))
	lines.Buffer(nil, 1<<20)
	lines.Scan() // the versions
	var answers []map[string]any
	for lines.Scan() {
		var a map[string]any
		if err := json.Unmarshal(lines.Bytes(), &a); err != nil {
			t.Fatalf("%s: %v", lines.Text(), err)
		}
		answers = append(answers, a)
	}
	if len(answers) != len(calls) {
		t.Fatalf("%d answers to %d calls from %s\n%s", len(answers), len(calls), endpoint, stderr.String())
	}
	return answers
}

// The same S3 bucket CORS requests to moto_server and to the emulator get the same answers
// (codes, statuses and what GetBucketCors returns).
func TestS3BucketCorsParityWithMoto(t *testing.T) {
	py := awsref.Python(t)
	moto := startMoto(t)
	emu := httptest.NewServer(emulator.New(emulator.WithoutQuotas()))
	defer emu.Close()
	s3 := func(op string, params map[string]any) boto3Call {
		return boto3Call{Service: "s3", Op: op, Params: params}
	}
	bucket := map[string]any{"Bucket": "media-assets"}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{"Bucket": "media-assets"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cors := func(rules ...map[string]any) map[string]any {
		return with(map[string]any{"CORSConfiguration": map[string]any{"CORSRules": rules}})
	}
	hundredAndOne := make([]map[string]any, 101)
	for i := range hundredAndOne {
		hundredAndOne[i] = map[string]any{"AllowedOrigins": []string{"*"}, "AllowedMethods": []string{"GET"}}
	}
	calls := []boto3Call{
		s3("get_bucket_cors", bucket),
		s3("create_bucket", bucket),
		s3("get_bucket_cors", bucket),
		s3("put_bucket_cors", cors(
			map[string]any{"ID": "uploads", "AllowedOrigins": []string{"https://upload.example.com"}, "AllowedMethods": []string{"PUT", "POST"},
				"AllowedHeaders": []string{"Content-Type"}, "ExposeHeaders": []string{"ETag"}, "MaxAgeSeconds": 600},
			map[string]any{"AllowedOrigins": []string{"*"}, "AllowedMethods": []string{"GET", "HEAD"}})),
		s3("get_bucket_cors", bucket),
		s3("delete_bucket_cors", bucket),
		s3("get_bucket_cors", bucket),
		s3("delete_bucket_cors", bucket),
		// Refused requests after the delete: moto clears the configuration before it checks
		// one, where S3 changes nothing on a refused request.
		s3("put_bucket_cors", cors(map[string]any{"AllowedOrigins": []string{"*"}, "AllowedMethods": []string{"PATCH"}})),
		s3("put_bucket_cors", cors()),
		s3("put_bucket_cors", cors(hundredAndOne...)),
		s3("get_bucket_cors", bucket),
		s3("put_bucket_cors", with(map[string]any{"Bucket": "no-such-bucket", "CORSConfiguration": map[string]any{"CORSRules": []any{map[string]any{"AllowedOrigins": []string{"*"}, "AllowedMethods": []string{"GET"}}}}})),
	}
	want := boto3Answers(t, py, moto, calls)
	got := boto3Answers(t, py, emu.URL, calls)
	for i, c := range calls {
		if diff := cmp.Diff(want[i], got[i]); diff != "" {
			t.Errorf("step %d %s (-moto +emulator):\n%s", i, c.Op, diff)
		}
	}
}
