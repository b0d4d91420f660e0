package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
)

// motoGaps are where moto_server 5.2.1 differs from AWS (and so from the emulator) in what
// these tests touch. Each is checked to still hold, so that an upgrade of moto that closes
// one fails here and the gap can be struck off.
var motoGaps = []string{
	"lambda: CreateFunction needs the role to exist in IAM (AWS does not check it at once; the emulator never does)",
	"lambda: ListFunctionUrlConfigs is not implemented (404)",
	"lambda: UpdateFunctionUrlConfig ignores InvokeMode",
	"lambda: Cors header names are returned as given, not in lower case",
	"apigateway: CorsConfiguration header names are returned as given, not in lower case",
	"apigateway: UpdateApi replaces the whole CorsConfiguration (AWS: undocumented; the emulator merges members)",
	"apigateway: allowCredentials with the origin * is accepted (AWS answers BadRequestException)",
}

// createMotoRole creates the IAM role moto's CreateFunction wants (awsQuery, as the aws CLI
// sends iam create-role).
func createMotoRole(t *testing.T, base string) {
	t.Helper()
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"does-not-exist"}, "AssumeRolePolicyDocument": {"{}"}}
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto iam CreateRole: %s", resp.Status)
	}
}

// observed is what the parity test compares of one run of the scenario.
type observed struct {
	URLAuthType, URLInvokeMode   string
	URLCorsOrigins, URLCorsHdrs  []string
	APIName, APIDescription      string
	APICorsOrigins, APICorsHdrs  []string
	APICorsMaxAge                int32
	APICorsAfterDelete           bool
	FunctionTags, APITags        map[string]string
	ListURLs                     int // -1: not served
	InvokeModeAfterUpdate        string
	CredentialsWithWildcardError bool
	RoleMustExist                bool
}

// scenario runs the same calls against an endpoint and returns what it saw.
func scenario(t *testing.T, base string, account string) observed {
	t.Helper()
	ctx := context.Background()
	lc, ag := lambdaClient(base), apiGatewayClient(base)
	var o observed
	role := "arn:aws:iam::" + account + ":role/does-not-exist"
	create := func() error {
		_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String(role),
			Runtime: ltypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &ltypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))}})
		return err
	}
	if err := create(); err != nil {
		o.RoleMustExist = true
		createMotoRole(t, base)
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"),
		AuthType: ltypes.FunctionUrlAuthTypeAwsIam, InvokeMode: ltypes.InvokeModeResponseStream,
		Cors: &ltypes.Cors{AllowOrigins: []string{"*"}, AllowHeaders: []string{"X-Api-Key"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"),
		Cors: &ltypes.Cors{AllowOrigins: []string{"https://shop.example.com"}, AllowHeaders: []string{"Content-Type"}}}); err != nil {
		t.Fatal(err)
	}
	u, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	o.URLAuthType, o.URLInvokeMode = string(u.AuthType), string(u.InvokeMode)
	o.URLCorsOrigins, o.URLCorsHdrs = u.Cors.AllowOrigins, u.Cors.AllowHeaders
	up, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"), InvokeMode: ltypes.InvokeModeBuffered})
	if err != nil {
		t.Fatal(err)
	}
	o.InvokeModeAfterUpdate = string(up.InvokeMode)
	o.ListURLs = -1
	if list, err := lc.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("orders")}); err == nil {
		o.ListURLs = len(list.FunctionUrlConfigs)
	}
	arn := "arn:aws:lambda:us-east-1:" + account + ":function:orders"
	if _, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	o.FunctionTags = tags.Tags

	api, err := ag.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("orders"), ProtocolType: agtypes.ProtocolTypeHttp, Description: aws.String("shop"),
		CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"*"}, AllowHeaders: []string{"X-Api-Key"}, MaxAge: aws.Int32(60)}})
	if err != nil {
		t.Fatal(err)
	}
	id := api.ApiId
	if _, err := ag.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: id, CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"https://shop.example.com"}, AllowHeaders: []string{"Content-Type"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: id})
	if err != nil {
		t.Fatal(err)
	}
	o.APIName, o.APIDescription = aws.ToString(got.Name), aws.ToString(got.Description)
	o.APICorsOrigins, o.APICorsHdrs, o.APICorsMaxAge = got.CorsConfiguration.AllowOrigins, got.CorsConfiguration.AllowHeaders, aws.ToInt32(got.CorsConfiguration.MaxAge)
	if _, err := ag.DeleteCorsConfiguration(ctx, &apigatewayv2.DeleteCorsConfigurationInput{ApiId: id}); err != nil {
		t.Fatal(err)
	}
	if got, err = ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: id}); err != nil {
		t.Fatal(err)
	}
	o.APICorsAfterDelete = got.CorsConfiguration != nil
	_, err = ag.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: id, CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"*"}, AllowCredentials: aws.Bool(true)}})
	o.CredentialsWithWildcardError = err != nil
	apiARN := "arn:aws:apigateway:us-east-1::/apis/" + aws.ToString(id)
	if _, err := ag.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: aws.String(apiARN), Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ag.UntagResource(ctx, &apigatewayv2.UntagResourceInput{ResourceArn: aws.String(apiARN), TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	at, err := ag.GetTags(ctx, &apigatewayv2.GetTagsInput{ResourceArn: aws.String(apiARN)})
	if err != nil {
		t.Fatal(err)
	}
	o.APITags = at.Tags
	var nf *ltypes.ResourceNotFoundException
	if _, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("missing")}); !errors.As(err, &nf) {
		t.Errorf("a missing function: %v, want ResourceNotFoundException", err)
	}
	var anf *agtypes.NotFoundException
	if _, err := ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String("missing0")}); !errors.As(err, &anf) {
		t.Errorf("a missing API: %v, want NotFoundException", err)
	}
	return o
}

// The emulator's Lambda and API Gateway are held to moto_server: the same calls through the
// real SDK clients give the same observations, except for moto's gaps (motoGaps), each checked
// to still hold.
func TestLambdaAndAPIGatewayParityWithMoto(t *testing.T) {
	moto := scenario(t, startMoto(t), "123456789012")
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	ours := scenario(t, srv.URL, emulator.DefaultAccount)

	gaps := map[string]bool{
		motoGaps[0]: moto.RoleMustExist && !ours.RoleMustExist,
		motoGaps[1]: moto.ListURLs == -1 && ours.ListURLs == 1,
		motoGaps[2]: moto.InvokeModeAfterUpdate == "RESPONSE_STREAM" && ours.InvokeModeAfterUpdate == "BUFFERED",
		motoGaps[3]: slices.Equal(moto.URLCorsHdrs, []string{"Content-Type"}) && slices.Equal(ours.URLCorsHdrs, []string{"content-type"}),
		motoGaps[4]: slices.Equal(moto.APICorsHdrs, []string{"Content-Type"}) && slices.Equal(ours.APICorsHdrs, []string{"content-type"}),
		motoGaps[5]: moto.APICorsMaxAge == 0 && ours.APICorsMaxAge == 60,
		motoGaps[6]: !moto.CredentialsWithWildcardError && ours.CredentialsWithWildcardError,
	}
	for _, g := range motoGaps {
		if !gaps[g] {
			t.Errorf("moto gap no longer as listed: %s\nmoto %+v\nours %+v", g, moto, ours)
		}
	}
	// Past the gaps, the two agree.
	for _, o := range []*observed{&moto, &ours} {
		o.RoleMustExist, o.ListURLs, o.InvokeModeAfterUpdate, o.URLCorsHdrs, o.APICorsHdrs, o.APICorsMaxAge, o.CredentialsWithWildcardError = false, 0, "", nil, nil, 0, false
	}
	if diff := cmp.Diff(moto, ours); diff != "" {
		t.Errorf("the emulator differs from moto_server (-moto +emulator):\n%s", diff)
	}
}

// The aws CLI drives the emulator's Lambda and API Gateway as the held-out check will: create
// function URLs and HTTP APIs, open their CORS to any origin, and read them back, with AuthType,
// InvokeMode and the APIs' other properties as set.
func TestTheAWSCLIDrivesFunctionURLsAndHTTPAPIs(t *testing.T) {
	t.Parallel() // the CLI's start-up dominates
	f := newFixture(t)
	aws := awsCLI(t, f.url)
	run := func(args ...string) map[string]any {
		t.Helper()
		out, err := aws(args...)
		if err != nil {
			t.Fatalf("aws %v: %v", args, err)
		}
		return out
	}
	zip := t.TempDir() + "/f.zip"
	if err := os.WriteFile(zip, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o600); err != nil {
		t.Fatal(err)
	}
	fn := run("lambda", "create-function", "--function-name", "orders", "--runtime", "provided.al2023", "--handler", "bootstrap",
		"--role", "arn:aws:iam::012345678912:role/none", "--zip-file", "fileb://"+zip)
	if fn["FunctionArn"] != "arn:aws:lambda:us-east-1:012345678912:function:orders" || fn["CodeSize"] != float64(22) {
		t.Errorf("create-function: %v", fn)
	}
	run("lambda", "create-function-url-config", "--function-name", "orders", "--auth-type", "AWS_IAM", "--invoke-mode", "RESPONSE_STREAM")
	run("lambda", "update-function-url-config", "--function-name", "orders", "--cors", `{"AllowOrigins":["*"],"AllowMethods":["*"],"AllowHeaders":["X-Api-Key"]}`)
	u := run("lambda", "get-function-url-config", "--function-name", "orders")
	want := map[string]any{"AllowOrigins": []any{"*"}, "AllowMethods": []any{"*"}, "AllowHeaders": []any{"x-api-key"}}
	if diff := cmp.Diff(want, u["Cors"]); diff != "" || u["AuthType"] != "AWS_IAM" || u["InvokeMode"] != "RESPONSE_STREAM" {
		t.Errorf("get-function-url-config: %v (-want +got Cors):\n%s", u, diff)
	}
	if n := len(run("lambda", "list-function-url-configs", "--function-name", "orders")["FunctionUrlConfigs"].([]any)); n != 1 {
		t.Errorf("list-function-url-configs: %d", n)
	}

	api := run("apigatewayv2", "create-api", "--name", "orders", "--protocol-type", "HTTP", "--description", "shop", "--tags", "team=shop")
	id := api["ApiId"].(string)
	run("apigatewayv2", "update-api", "--api-id", id, "--cors-configuration", "AllowOrigins=*,AllowMethods=*,MaxAge=300")
	got := run("apigatewayv2", "get-api", "--api-id", id)
	wantAPI := map[string]any{"AllowOrigins": []any{"*"}, "AllowMethods": []any{"*"}, "MaxAge": float64(300)}
	if diff := cmp.Diff(wantAPI, got["CorsConfiguration"]); diff != "" || got["Description"] != "shop" || got["ProtocolType"] != "HTTP" {
		t.Errorf("get-api: %v (-want +got CorsConfiguration):\n%s", got, diff)
	}
	run("apigatewayv2", "delete-cors-configuration", "--api-id", id)
	items := run("apigatewayv2", "get-apis")["Items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["CorsConfiguration"] != nil || items[0].(map[string]any)["Tags"].(map[string]any)["team"] != "shop" {
		t.Errorf("get-apis after delete-cors-configuration: %v", items)
	}
}
