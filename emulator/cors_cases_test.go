package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	mstypes "github.com/aws/aws-sdk-go-v2/service/mediastore/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/corscases"
)

// withoutInputValidation removes the SDK's client-side check of required members, so that a
// request the service would refuse reaches the emulator, as boto3's parameter_validation=False
// lets it reach AWS.
func withoutInputValidation(stack *middleware.Stack) error {
	_, err := stack.Initialize.Remove("OperationInputValidation")
	return err
}

// The emulator judges every case of the shared table as the service would (the policy package
// is held to the same table in policy/cases_test.go).
func TestTheEmulatorJudgesTheSharedCORSCasesAsTheServices(t *testing.T) {
	cases, err := corscases.Load("../testdata/cors-cases.json")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, emulator.WithCreatingDuration(0))
	ctx := context.Background()
	ms := mediastore.New(mediastore.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.url), Credentials: creds,
		Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient(), APIOptions: []func(*middleware.Stack) error{withoutInputValidation}})
	s3c := s3Client(f.url, func(o *s3.Options) { o.APIOptions = append(o.APIOptions, withoutInputValidation) })
	cf := cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.url), Credentials: creds,
		Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient(), APIOptions: []func(*middleware.Stack) error{withoutInputValidation}})
	if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String("cases")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cases")}); err != nil {
		t.Fatal(err)
	}
	if err := f.emu.SeedFunction(emulator.SeedFunction{Name: "cases", URLs: []emulator.SeedFunctionURL{{}}}); err != nil {
		t.Fatal(err)
	}
	apiID, err := f.emu.SeedAPI(emulator.SeedAPI{Name: "cases"})
	if err != nil {
		t.Fatal(err)
	}
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.url), Credentials: creds,
		Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient(), APIOptions: []func(*middleware.Stack) error{withoutInputValidation}})
	ag := apigatewayv2.New(apigatewayv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.url), Credentials: creds,
		Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient(), APIOptions: []func(*middleware.Stack) error{withoutInputValidation}})
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var err error
			var code string
			switch {
			case c.Kind == "mediastore" && c.Wire:
				code = rawPutCorsPolicy(t, f.url, "cases", c.Policy)
			case c.Kind == "mediastore":
				var rules []mstypes.CorsRule
				if err := json.Unmarshal(c.Policy, &rules); err != nil {
					t.Fatal(err)
				}
				_, err = ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("cases"), CorsPolicy: rules})
			case c.Kind == "s3" && !c.Wire:
				var rules []s3types.CORSRule
				if err := json.Unmarshal(c.Policy, &rules); err != nil {
					t.Fatal(err)
				}
				_, err = s3c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cases"),
					CORSConfiguration: &s3types.CORSConfiguration{CORSRules: rules}})
			case c.Kind == "cloudfront" && !c.Wire:
				var cors cftypes.ResponseHeadersPolicyCorsConfig
				if err := json.Unmarshal(c.Policy, &cors); err != nil {
					t.Fatal(err)
				}
				_, err = cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{
					ResponseHeadersPolicyConfig: &cftypes.ResponseHeadersPolicyConfig{Name: aws.String(fmt.Sprintf("case-%d", i)), CorsConfig: &cors}})
			case c.Kind == "lambda-url" && !c.Wire:
				var cors ltypes.Cors
				if err := json.Unmarshal(c.Policy, &cors); err != nil {
					t.Fatal(err)
				}
				_, err = lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("cases"), Cors: &cors})
			case c.Kind == "http-api" && !c.Wire:
				var cors agtypes.Cors
				if err := json.Unmarshal(c.Policy, &cors); err != nil {
					t.Fatal(err)
				}
				// DeleteCorsConfiguration first: UpdateApi merges CorsConfiguration's members.
				if _, err := ag.DeleteCorsConfiguration(ctx, &apigatewayv2.DeleteCorsConfigurationInput{ApiId: aws.String(apiID)}); err != nil {
					t.Fatal(err)
				}
				_, err = ag.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: aws.String(apiID), CorsConfiguration: &cors})
			default:
				t.Fatalf("no way to send a raw %s case", c.Kind)
			}
			if err != nil {
				code = errorCode(t, err)
			}
			want := map[string][]string{"mediastore": {"ValidationException"}, "s3": {"MalformedXML", "InvalidRequest", "MaxMessageLengthExceeded"},
				"cloudfront": {"InvalidArgument", "InconsistentQuantities"},
				"lambda-url": {"ValidationException", "InvalidParameterValueException"}, "http-api": {"BadRequestException"}}[c.Kind]
			switch {
			case c.Service == "accept" && code != "":
				t.Errorf("%s refused it (%s: %v), the service accepts it (%s)", c.Kind, code, err, c.Source)
			case c.Service == "reject" && !contains(want, code):
				t.Errorf("%s answered %q (%v), the service refuses it with one of %v (%s)", c.Kind, code, err, want, c.Source)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// rawPutCorsPolicy sends a PutCorsPolicy request whose CorsPolicy is exactly raw, and returns
// the error code of the answer ("" on success).
func rawPutCorsPolicy(t *testing.T, url, container string, raw json.RawMessage) string {
	t.Helper()
	body := fmt.Sprintf(`{"ContainerName": %q, "CorsPolicy": %s}`, container, raw)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "MediaStore_20170901.PutCorsPolicy")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/mediastore/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		return ""
	}
	var e map[string]string
	_ = json.Unmarshal(data, &e)
	return e["__type"]
}
