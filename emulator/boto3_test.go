package emulator_test

import (
	"bufio"
	"encoding/json"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

// boto3Call is one request boto3 sends with parameter_validation=False, so that values the
// model forbids reach the emulator, and the answer the model or the service's documentation
// gives for it.
type boto3Call struct {
	Service string         `json:"service"`
	Op      string         `json:"op"`
	Params  map[string]any `json:"params,omitempty"`
	code    string
	status  int
	source  string
}

// Per operation, the error code and HTTP status of a request the service refuses (and of the
// few it accepts that an SDK would not send), as boto3 reads them.
func TestBoto3WithoutValidationGetsTheServicesAnswers(t *testing.T) {
	py := awsref.Python(t)
	emu := emulator.New(emulator.WithCreatingDuration(0), emulator.WithoutQuotas())
	if err := emu.SeedContainer("movies", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := emu.SeedBucket("media", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := emu.SeedParameter("/p", "String", "v", ""); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	arn := "arn:aws:mediastore:us-east-1:" + emu.Account() + ":container/movies"
	ms := func(op string, params map[string]any, code string, status int, source string) boto3Call {
		return boto3Call{"mediastore", op, params, code, status, source}
	}
	sm := func(op string, params map[string]any, code string, status int, source string) boto3Call {
		return boto3Call{"ssm", op, params, code, status, source}
	}
	s3 := func(op string, params map[string]any, code string, status int, source string) boto3Call {
		return boto3Call{"s3", op, params, code, status, source}
	}
	rule := func(methods ...string) map[string]any {
		return map[string]any{"AllowedOrigins": []string{"*"}, "AllowedMethods": methods, "AllowedHeaders": []string{}}
	}
	const msModel, ssmModel, s3Model = "mediastore model", "ssm model", "s3 model"
	calls := []boto3Call{
		ms("create_container", map[string]any{"ContainerName": ""}, "ValidationException", 400, msModel+" ContainerName: min 1"),
		ms("create_container", map[string]any{"ContainerName": strings.Repeat("c", 256)}, "ValidationException", 400, msModel+" ContainerName: max 255"),
		ms("create_container", map[string]any{"ContainerName": "x", "Tags": []any{}}, "ValidationException", 400, msModel+" TagList: min 1"),
		ms("describe_container", map[string]any{}, "ValidationException", 400, msModel+" DescribeContainerInput: ContainerName (MediaStore answers a missing name as invalid)"),
		ms("describe_container", map[string]any{"ContainerName": "nope"}, "ContainerNotFoundException", 400, msModel+" DescribeContainer errors"),
		ms("list_containers", map[string]any{"MaxResults": 0}, "ValidationException", 400, msModel+" ContainerListLimit: min 1"),
		ms("list_containers", map[string]any{"MaxResults": 101}, "ValidationException", 400, msModel+" ContainerListLimit: max 100"),
		ms("list_containers", map[string]any{"NextToken": "a-b_c"}, "ValidationException", 400, msModel+" PaginationToken: pattern [0-9A-Za-z=/+]+"),
		ms("put_cors_policy", map[string]any{"ContainerName": "movies", "CorsPolicy": []any{}}, "ValidationException", 400, msModel+" CorsPolicy: min 1"),
		ms("put_cors_policy", map[string]any{"ContainerName": "movies", "CorsPolicy": []any{rule("POST")}}, "ValidationException", 400, msModel+" MethodName enum"),
		ms("put_cors_policy", map[string]any{"ContainerName": "movies"}, "ValidationException", 400, msModel+" PutCorsPolicyInput: required CorsPolicy"),
		ms("put_cors_policy", map[string]any{"ContainerName": "movies", "CorsPolicy": []any{rule("GET")}}, "", 200, msModel),
		ms("get_cors_policy", map[string]any{"ContainerName": "nope"}, "ContainerNotFoundException", 400, msModel+" GetCorsPolicy errors"),
		ms("delete_cors_policy", map[string]any{"ContainerName": "nope"}, "ContainerNotFoundException", 400, msModel+" DeleteCorsPolicy errors"),
		ms("list_tags_for_resource", map[string]any{"Resource": "movies"}, "ValidationException", 400, msModel+" ContainerARN pattern"),
		ms("tag_resource", map[string]any{"Resource": arn, "Tags": []any{}}, "ValidationException", 400, msModel+" TagList: min 1"),
		ms("tag_resource", map[string]any{"Resource": arn, "Tags": []any{map[string]any{"Key": "a#b", "Value": "v"}}}, "ValidationException", 400, msModel+" TagKey pattern"),
		ms("untag_resource", map[string]any{"Resource": arn}, "ValidationException", 400, msModel+" UntagResourceInput: required TagKeys"),
		ms("delete_container", map[string]any{"ContainerName": "nope"}, "ContainerNotFoundException", 400, msModel+" DeleteContainer errors"),

		sm("get_parameter", map[string]any{"Name": ""}, "ValidationException", 400, ssmModel+" PSParameterName: min 1"),
		sm("get_parameter", map[string]any{"Name": "/p:9"}, "ParameterVersionNotFound", 400, ssmModel+" GetParameter errors"),
		sm("get_parameters", map[string]any{"Names": []string{}}, "ValidationException", 400, ssmModel+" ParameterNameList: min 1"),
		sm("get_parameters", map[string]any{"Names": strings.Split("a b c d e f g h i j k", " ")}, "ValidationException", 400, ssmModel+" ParameterNameList: max 10"),
		sm("get_parameter_history", map[string]any{"Name": "/p", "MaxResults": 51}, "ValidationException", 400, ssmModel+" MaxResults: max 50"),
		sm("get_parameter_history", map[string]any{"Name": "/p", "NextToken": "bogus"}, "InvalidNextToken", 400, ssmModel+" GetParameterHistory errors: InvalidNextToken"),
		sm("get_parameter_history", map[string]any{"Name": "/nope"}, "ParameterNotFound", 400, ssmModel+" GetParameterHistory errors"),
		sm("put_parameter", map[string]any{"Name": "/d", "Value": "v", "Type": "String", "Description": strings.Repeat("d", 1025)}, "ValidationException", 400, ssmModel+" ParameterDescription: max 1024"),
		sm("put_parameter", map[string]any{"Name": "/t", "Value": "v", "Type": "Text"}, "ValidationException", 400, ssmModel+" ParameterType enum"),
		sm("put_parameter", map[string]any{"Name": "/" + strings.Repeat("n", 1000), "Value": "v", "Type": "String"}, "ValidationException", 400, ssmModel+" PutParameterRequest Name: 1011 characters with the ARN"),
		sm("label_parameter_version", map[string]any{"Name": "/p", "Labels": []string{}}, "ValidationException", 400, ssmModel+" ParameterLabelList: min 1"),
		sm("label_parameter_version", map[string]any{"Name": "/nope", "Labels": []string{"a"}}, "ParameterNotFound", 400, ssmModel+" LabelParameterVersion errors"),
		sm("label_parameter_version", map[string]any{"Name": "/p", "ParameterVersion": 9, "Labels": []string{"a"}}, "ParameterVersionNotFound", 400, ssmModel+" LabelParameterVersion errors"),
		sm("delete_parameter", map[string]any{"Name": "/nope"}, "ParameterNotFound", 400, ssmModel+" DeleteParameter errors"),

		s3("create_bucket", map[string]any{"Bucket": "ab"}, "InvalidBucketName", 400, "S3 bucket naming rules: 3-63 characters"),
		s3("create_bucket", map[string]any{"Bucket": "sthree-media"}, "InvalidBucketName", 400, "S3 bucket naming rules: reserved prefix"),
		s3("create_bucket", map[string]any{"Bucket": "media"}, "BucketAlreadyOwnedByYou", 409, "CreateBucket reference"),
		s3("head_bucket", map[string]any{"Bucket": "nope-bucket"}, "404", 404, "HeadBucket reference: no body, 404"),
		s3("get_bucket_cors", map[string]any{"Bucket": "nope-bucket"}, "NoSuchBucket", 404, "S3 error codes"),
		s3("get_bucket_cors", map[string]any{"Bucket": "media"}, "NoSuchCORSConfiguration", 404, "S3 error codes"),
		s3("put_bucket_cors", map[string]any{"Bucket": "media", "CORSConfiguration": map[string]any{"CORSRules": []any{}}}, "MalformedXML", 400, s3Model+" CORSConfiguration: required CORSRules"),
		s3("put_bucket_cors", map[string]any{"Bucket": "media", "CORSConfiguration": map[string]any{"CORSRules": []any{rule("PATCH")}}}, "InvalidRequest", 400, "CORSRule reference: GET PUT HEAD POST DELETE"),
		s3("put_bucket_cors", map[string]any{"Bucket": "media", "CORSConfiguration": map[string]any{"CORSRules": []any{map[string]any{"AllowedMethods": []string{"GET"}}}}}, "MalformedXML", 400, s3Model+" CORSRule: required AllowedOrigins"),
		s3("put_bucket_tagging", map[string]any{"Bucket": "media", "Tagging": map[string]any{"TagSet": []any{map[string]any{"Key": "aws:x", "Value": "v"}}}}, "InvalidTag", 400, "S3 tagging: aws: keys are reserved"),
		s3("list_buckets", map[string]any{"MaxBuckets": 0}, "InvalidArgument", 400, "ListBuckets reference: max-buckets 1-10000"),
	}
	in, _ := json.Marshal(calls)
	cmd := exec.Command(py, "testdata/boto3_calls.py", srv.URL)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3_calls.py: %v\n%s", err, stderr.String())
	}
	lines := bufio.NewScanner(strings.NewReader(string(out)))
	lines.Scan()
	t.Logf("boto3_calls.py ran with %s", lines.Text())
	for _, c := range calls {
		if !lines.Scan() {
			t.Fatalf("boto3_calls.py stopped early\n%s", stderr.String())
		}
		var got struct {
			Code   string
			Status int
		}
		if err := json.Unmarshal(lines.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", lines.Text(), err)
		}
		if got.Code != c.code || got.Status != c.status {
			params, _ := json.Marshal(c.Params)
			if len(params) > 120 {
				params = append(params[:120], "..."...)
			}
			t.Errorf("%s %s %s: got %d %q, want %d %q (%s)", c.Service, c.Op, params, got.Status, got.Code, c.status, c.code, c.source)
		}
	}
}
