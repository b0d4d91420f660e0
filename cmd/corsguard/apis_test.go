package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apiBaselineJSON is the lambda-url and http-api baseline as it sits in SSM: a Cors object as
// aws lambda get-function-url-config prints it.
const apiBaselineJSON = `{"Cors": {"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET", "POST"],
  "AllowHeaders": ["Content-Type"], "AllowCredentials": false, "MaxAge": 300}}`

// TestFunctionURLsAndHTTPAPIsMadeWithTheAWSCLI is the check issue 25 is done by: function URLs
// and an HTTP API created with the aws CLI and opened to any origin are audited (exit 3),
// repaired (exit 0) and audited again (exit 0); AuthType, InvokeMode and the API's other
// properties are as they were; diff names the differences in Lambda's field names first.
func TestFunctionURLsAndHTTPAPIsMadeWithTheAWSCLI(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	url := startEmulator(t) // the real binary's emulator, with Lambda's and API Gateway's quotas
	aws := awsCLI(t, url, "3")
	zip := filepath.Join(t.TempDir(), "f.zip")
	must(t, os.WriteFile(zip, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o600))
	for _, fn := range []struct{ name, auth, mode string }{{"orders", "AWS_IAM", "RESPONSE_STREAM"}, {"cart", "NONE", "BUFFERED"}} {
		aws.ok("lambda", "create-function", "--function-name", fn.name, "--runtime", "provided.al2023", "--handler", "bootstrap",
			"--role", "arn:aws:iam::012345678912:role/none", "--zip-file", "fileb://"+zip)
		aws.ok("lambda", "create-function-url-config", "--function-name", fn.name, "--auth-type", fn.auth, "--invoke-mode", fn.mode,
			"--cors", `{"AllowOrigins":["*"],"AllowMethods":["*"],"AllowHeaders":["*"]}`)
	}
	api := aws.ok("apigatewayv2", "create-api", "--name", "shop", "--protocol-type", "HTTP", "--description", "the shop's API",
		"--cors-configuration", "AllowOrigins=*,AllowMethods=*,AllowHeaders=*,MaxAge=600")
	id := api["ApiId"].(string)
	aws.ok("ssm", "put-parameter", "--name", "/corsguard/api", "--type", "String", "--value", apiBaselineJSON)

	d := corsguard(t, "", "diff", "--target", "lambda-url", "orders", "--endpoint-url", url)
	if d.code != exitDrifted || !strings.Contains(d.stdout, "Cors.AllowOrigins: +https://shop.example.com -*") {
		t.Errorf("diff exit %d:\n%s%s", d.code, d.stdout, d.stderr)
	}
	args := []string{"--target", "lambda-url,http-api", "--endpoint-url", url, "--lambda-rate", "15", "--apigateway-rate", "10"}
	for i, step := range []struct {
		cmd  string
		code int
	}{{"audit", exitDrifted}, {"apply", 0}, {"audit", 0}} {
		if r := corsguard(t, "", append([]string{step.cmd}, args...)...); r.code != step.code {
			t.Fatalf("step %d, %s: exit %d, want %d\n%s%s", i+1, step.cmd, r.code, step.code, r.stdout, r.stderr)
		}
	}
	u := aws.ok("lambda", "get-function-url-config", "--function-name", "orders")
	if u["AuthType"] != "AWS_IAM" || u["InvokeMode"] != "RESPONSE_STREAM" {
		t.Errorf("orders' URL after apply: AuthType %v, InvokeMode %v; want AWS_IAM and RESPONSE_STREAM as created", u["AuthType"], u["InvokeMode"])
	}
	wantCors := map[string]any{"AllowOrigins": []any{"https://shop.example.com"}, "AllowMethods": []any{"GET", "POST"},
		"AllowHeaders": []any{"content-type"}, "AllowCredentials": false, "MaxAge": float64(300)}
	if diff := cmp.Diff(wantCors, u["Cors"]); diff != "" {
		t.Errorf("orders' Cors after apply (-want +got):\n%s", diff)
	}
	got := aws.ok("apigatewayv2", "get-api", "--api-id", id)
	if got["Description"] != "the shop's API" || got["Name"] != "shop" || got["ProtocolType"] != "HTTP" {
		t.Errorf("the API's other properties changed: %v", got)
	}
	if diff := cmp.Diff(wantCors, got["CorsConfiguration"]); diff != "" {
		t.Errorf("the API's CorsConfiguration after apply (-want +got):\n%s", diff)
	}
}
