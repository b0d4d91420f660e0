package emulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
)

func lambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

func apiGatewayClient(url string) *apigatewayv2.Client {
	return apigatewayv2.New(apigatewayv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

const testRole = "arn:aws:iam::012345678912:role/does-not-exist"

func createFunction(t *testing.T, lc *lambda.Client, name string, zip []byte) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := lc.CreateFunction(context.Background(), &lambda.CreateFunctionInput{FunctionName: aws.String(name),
		Role: aws.String(testRole), Runtime: ltypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &ltypes.FunctionCode{ZipFile: zip}, Tags: map[string]string{"team": "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// CreateFunction keeps the code (its SHA-256 and size come back) without running it, and needs
// no existing role; ListFunctions pages through every function.
func TestLambdaCreatesFunctionsAndListsThemPageByPage(t *testing.T) {
	f := newFixture(t)
	lc := lambdaClient(f.url)
	ctx := context.Background()
	zip := []byte("PK\x03\x04 not really a zip")
	out := createFunction(t, lc, "orders", zip)
	sum := sha256.Sum256(zip)
	if aws.ToString(out.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || out.CodeSize != int64(len(zip)) {
		t.Errorf("code: sha %s size %d", aws.ToString(out.CodeSha256), out.CodeSize)
	}
	if got := aws.ToString(out.FunctionArn); got != "arn:aws:lambda:us-east-1:012345678912:function:orders" {
		t.Errorf("FunctionArn = %s", got)
	}
	_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String(testRole),
		Runtime: ltypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &ltypes.FunctionCode{ZipFile: zip}})
	var conflict *ltypes.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("a second CreateFunction: %v, want ResourceConflictException", err)
	}
	for _, n := range []string{"a", "b", "c", "d"} {
		createFunction(t, lc, n, zip)
	}
	var names []string
	p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, fn := range page.Functions {
			names = append(names, aws.ToString(fn.FunctionName))
		}
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "orders"}, names); diff != "" || pages != 3 {
		t.Errorf("ListFunctions in %d pages (-want +got):\n%s", pages, diff)
	}
}

// UpdateFunctionUrlConfig with only Cors keeps AuthType and InvokeMode; header names come back
// in lower case, as Lambda stores them; a qualifier must be an alias; every URL is listed.
func TestLambdaFunctionURLsKeepWhatAnUpdateDoesNotSend(t *testing.T) {
	f := newFixture(t)
	if err := f.emu.SeedFunction(emulator.SeedFunction{Name: "orders", Aliases: []string{"live"}}); err != nil {
		t.Fatal(err)
	}
	lc := lambdaClient(f.url)
	ctx := context.Background()
	created, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"),
		AuthType: ltypes.FunctionUrlAuthTypeAwsIam, InvokeMode: ltypes.InvokeModeResponseStream,
		Cors: &ltypes.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(created.FunctionUrl), ".lambda-url.us-east-1.on.aws/") {
		t.Errorf("FunctionUrl = %s", aws.ToString(created.FunctionUrl))
	}
	_, err = lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"), AuthType: ltypes.FunctionUrlAuthTypeNone})
	var conflict *ltypes.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("a second URL for the same qualifier: %v, want ResourceConflictException", err)
	}
	want := &ltypes.Cors{AllowOrigins: []string{"https://shop.example.com"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"Content-Type", "X-Api-Key"}, ExposeHeaders: []string{"ETag"}, MaxAge: aws.Int32(300), AllowCredentials: aws.Bool(true)}
	if _, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"), Cors: want}); err != nil {
		t.Fatal(err)
	}
	got, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if got.AuthType != ltypes.FunctionUrlAuthTypeAwsIam || got.InvokeMode != ltypes.InvokeModeResponseStream {
		t.Errorf("AuthType %s InvokeMode %s after a Cors-only update; want AWS_IAM and RESPONSE_STREAM", got.AuthType, got.InvokeMode)
	}
	wantBack := *want
	wantBack.AllowHeaders, wantBack.ExposeHeaders = []string{"content-type", "x-api-key"}, []string{"etag"}
	if diff := cmp.Diff(&wantBack, got.Cors, cmp.AllowUnexported(ltypes.Cors{})); diff != "" {
		t.Errorf("Cors (-want +got):\n%s", diff)
	}

	_, err = lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders"), Qualifier: aws.String("nope"), AuthType: ltypes.FunctionUrlAuthTypeNone})
	var notFound *ltypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("a URL for a qualifier that is no alias: %v, want ResourceNotFoundException", err)
	}
	if _, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("orders:live"), AuthType: ltypes.FunctionUrlAuthTypeNone}); err != nil {
		t.Fatal(err)
	}
	list, err := lc.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, u := range list.FunctionUrlConfigs {
		arns = append(arns, aws.ToString(u.FunctionArn))
	}
	if diff := cmp.Diff([]string{"arn:aws:lambda:us-east-1:012345678912:function:orders", "arn:aws:lambda:us-east-1:012345678912:function:orders:live"}, arns); diff != "" {
		t.Errorf("ListFunctionUrlConfigs (-want +got):\n%s", diff)
	}
	if _, err := lc.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders:live")})
	if !errors.As(err, &notFound) {
		t.Errorf("a deleted URL: %v, want ResourceNotFoundException", err)
	}
	_, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("missing")})
	if !errors.As(err, &notFound) {
		t.Errorf("a missing function: %v, want ResourceNotFoundException", err)
	}
}

func TestLambdaRefusesACorsItsModelRefusesAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	if err := f.emu.SeedFunction(emulator.SeedFunction{Name: "orders", URLs: []emulator.SeedFunctionURL{{Cors: []byte(`{"AllowOrigins":["*"]}`)}}}); err != nil {
		t.Fatal(err)
	}
	lc := lambdaClient(f.url)
	ctx := context.Background()
	for name, cors := range map[string]*ltypes.Cors{
		"OPTIONS":       {AllowMethods: []string{"OPTIONS"}},
		"MaxAge -1":     {MaxAge: aws.Int32(-1)},
		"a long origin": {AllowOrigins: []string{"https://" + strings.Repeat("a", 250)}},
	} {
		_, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("orders"), Cors: cors}, func(o *lambda.Options) {
			o.APIOptions = append(o.APIOptions, withoutInputValidation)
		})
		if code := errorCode(t, err); code != "ValidationException" && code != "InvalidParameterValueException" {
			t.Errorf("%s: %s, want a validation error", name, code)
		}
	}
	got, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"*"}, got.Cors.AllowOrigins); diff != "" {
		t.Errorf("a refused update changed the Cors: %s", diff)
	}
}

func TestLambdaTagsAFunction(t *testing.T) {
	f := newFixture(t)
	lc := lambdaClient(f.url)
	ctx := context.Background()
	arn := aws.ToString(createFunction(t, lc, "orders", []byte("zip")).FunctionArn)
	if _, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"corsguard:exempt": "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	out, err := lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"corsguard:exempt": "true"}, out.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	_, err = lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn + "x")})
	var notFound *ltypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("tags of a missing function: %v", err)
	}
}

// UpdateApi merges top-level properties and, in the emulator, CorsConfiguration's members;
// DeleteCorsConfiguration removes it; headers come back in lower case.
func TestAPIGatewayUpdateApiMergesAndDeleteCorsConfigurationRemoves(t *testing.T) {
	f := newFixture(t)
	ag := apiGatewayClient(f.url)
	ctx := context.Background()
	created, err := ag.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("orders"), ProtocolType: agtypes.ProtocolTypeHttp,
		Description: aws.String("shop"), Tags: map[string]string{"team": "shop"},
		CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"X-Api-Key"}, MaxAge: aws.Int32(60)}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.ApiId)
	if _, err := ag.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: aws.String(id),
		CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"https://shop.example.com"}, AllowMethods: []string{"GET"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Description) != "shop" || got.Tags["team"] != "shop" || aws.ToString(got.Name) != "orders" {
		t.Errorf("UpdateApi changed other properties: %+v", got)
	}
	want := &agtypes.Cors{AllowOrigins: []string{"https://shop.example.com"}, AllowMethods: []string{"GET"}, AllowHeaders: []string{"x-api-key"}, MaxAge: aws.Int32(60)}
	if diff := cmp.Diff(want, got.CorsConfiguration, cmp.AllowUnexported(agtypes.Cors{})); diff != "" {
		t.Errorf("CorsConfiguration after a partial update (-want +got):\n%s", diff)
	}
	if _, err := ag.DeleteCorsConfiguration(ctx, &apigatewayv2.DeleteCorsConfigurationInput{ApiId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	got, err = ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)})
	if err != nil || got.CorsConfiguration != nil {
		t.Errorf("after DeleteCorsConfiguration: %v, %+v", err, got.CorsConfiguration)
	}
	_, err = ag.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: aws.String(id),
		CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"*"}, AllowCredentials: aws.Bool(true)}})
	var bad *agtypes.BadRequestException
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "allow-credentials is not supported") {
		t.Errorf("credentials with *: %v, want BadRequestException", err)
	}
	_, err = ag.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String("nope")})
	var notFound *agtypes.NotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("a missing API: %v, want NotFoundException", err)
	}
	_, err = ag.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("chat"), ProtocolType: agtypes.ProtocolTypeWebsocket,
		RouteSelectionExpression: aws.String("$request.body.action"), CorsConfiguration: &agtypes.Cors{AllowOrigins: []string{"*"}}})
	if !errors.As(err, &bad) {
		t.Errorf("CORS on a WebSocket API: %v, want BadRequestException", err)
	}
}

func TestAPIGatewayListsAPIsPageByPageAndTagsThem(t *testing.T) {
	f := newFixture(t)
	ag := apiGatewayClient(f.url)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if _, err := f.emu.SeedAPI(emulator.SeedAPI{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := ag.GetApis(ctx, &apigatewayv2.GetApisInput{MaxResults: aws.String("2"), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Items {
			names = append(names, aws.ToString(a.Name))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(names) != 3 {
		t.Errorf("GetApis listed %v", names)
	}
	id, err := f.emu.SeedAPI(emulator.SeedAPI{ID: "a1b2c3d4e5", Name: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:apigateway:us-east-1::/apis/" + id
	if _, err := ag.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"corsguard:exempt": "true", "x": "y"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ag.UntagResource(ctx, &apigatewayv2.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := ag.GetTags(ctx, &apigatewayv2.GetTagsInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"corsguard:exempt": "true"}, tags.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

// Lambda's control plane answers 15 requests per second across its APIs, API Gateway's
// management 10 per second with a burst of 40; beyond, TooManyRequestsException (429), which
// the SDK's retryer takes for throttling.
func TestLambdaAndAPIGatewayApplyTheirQuotasByDefault(t *testing.T) {
	f := newFixture(t, emulator.WithQuotas(emulator.AWSQuotas())) // the fixture chooses none; this test AWS's
	lc, ag := lambdaClient(f.url), apiGatewayClient(f.url)
	ctx := context.Background()
	for i := range 15 {
		if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	_, err := lc.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("x")})
	var tooMany *ltypes.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Fatalf("the 16th Lambda call in one second: %v, want TooManyRequestsException", err)
	}
	for i := range 40 {
		if _, err := ag.GetApis(ctx, &apigatewayv2.GetApisInput{}); err != nil {
			t.Fatalf("API Gateway call %d: %v", i+1, err)
		}
	}
	_, err = ag.GetApis(ctx, &apigatewayv2.GetApisInput{})
	var agTooMany *agtypes.TooManyRequestsException
	if !errors.As(err, &agTooMany) {
		t.Fatalf("the 41st API Gateway call at once: %v, want TooManyRequestsException", err)
	}
	f.clock.Advance(time.Second)
	for i := range 10 {
		if _, err := ag.GetApis(ctx, &apigatewayv2.GetApisInput{}); err != nil {
			t.Fatalf("a second later, API Gateway call %d: %v", i+1, err)
		}
	}
	if _, err := ag.GetApis(ctx, &apigatewayv2.GetApisInput{}); !errors.As(err, &agTooMany) {
		t.Fatalf("the 11th API Gateway call of the next second: %v", err)
	}
	if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatalf("a second later, Lambda: %v", err)
	}
	qs, err := emulator.ParseQuotas("apigateway=0")
	if err != nil {
		t.Fatal(err)
	}
	f.emu.SetQuotas(qs)
	if _, err := ag.GetApis(ctx, &apigatewayv2.GetApisInput{}); err != nil {
		t.Fatalf("with the quota removed: %v", err)
	}
}

func TestStateSeedsFunctionsURLsAndAPIs(t *testing.T) {
	f := newFixture(t)
	state := `{"containers": [], "buckets": [], "parameters": [],
	  "functions": [{"name": "orders", "aliases": ["live"], "tags": {"team": "shop"},
	    "urls": [{"authType": "AWS_IAM", "invokeMode": "RESPONSE_STREAM", "cors": {"AllowOrigins": ["*"], "AllowHeaders": ["X-Api-Key"]}},
	             {"qualifier": "live"}]}],
	  "apis": [{"id": "a1b2c3d4e5", "name": "orders", "corsConfiguration": {"AllowOrigins": ["*"], "AllowMethods": ["*"]}, "tags": {"team": "shop"}},
	           {"name": "chat", "protocolType": "WEBSOCKET"}]}`
	if err := f.emu.LoadState(strings.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := lambdaClient(f.url).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if u.AuthType != ltypes.FunctionUrlAuthTypeAwsIam || u.InvokeMode != ltypes.InvokeModeResponseStream || u.Cors.AllowHeaders[0] != "x-api-key" {
		t.Errorf("seeded URL: %+v %+v", u, u.Cors)
	}
	a, err := apiGatewayClient(f.url).GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String("a1b2c3d4e5")})
	if err != nil {
		t.Fatal(err)
	}
	if a.CorsConfiguration == nil || a.CorsConfiguration.AllowOrigins[0] != "*" || a.Tags["team"] != "shop" {
		t.Errorf("seeded API: %+v", a)
	}
	for name, bad := range map[string]string{
		"a URL with an unknown alias":     `{"functions": [{"name": "f", "urls": [{"qualifier": "nope"}]}]}`,
		"a Cors Lambda refuses":           `{"functions": [{"name": "g", "urls": [{"cors": {"MaxAge": -1}}]}]}`,
		"a typo in a Cors field":          `{"functions": [{"name": "h", "urls": [{"cors": {"AllowOrigin": ["*"]}}]}]}`,
		"credentials with * on an API":    `{"apis": [{"name": "x", "corsConfiguration": {"AllowOrigins": ["*"], "AllowCredentials": true}}]}`,
		"CORS on a WebSocket API":         `{"apis": [{"name": "y", "protocolType": "WEBSOCKET", "corsConfiguration": {"AllowOrigins": ["*"]}}]}`,
		"an API whose id is already used": `{"apis": [{"id": "a1b2c3d4e5", "name": "again"}]}`,
	} {
		if err := f.emu.LoadState(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: LoadState accepted it", name)
		}
	}
}
