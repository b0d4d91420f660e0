package router

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// at parses an event's time.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

const baseline = "/corsguard/baseline"

// home is the account and Region of the sample events: the account aws-lambda-rie puts in the
// function ARN.
var home = Home{Account: "012345678912", Region: "us-east-1"}

// TestRouteSendsEverySampleEventWhereTheDesignSays holds each file in events/ to its route:
// a new sample without an expectation here fails the test.
func TestRouteSendsEverySampleEventWhereTheDesignSays(t *testing.T) {
	one := func(kind Event, name, reason string) Decision {
		return Decision{Event: kind, Work: enforce.Work{Containers: []string{name}, Mode: enforce.ModeEnforce, Reason: reason}}
	}
	all := func(kind Event, mode enforce.Mode, reason string) Decision {
		return Decision{Event: kind, Work: enforce.Work{Mode: mode, Reason: reason}}
	}
	const user = " by arn:aws:iam::012345678912:user/ExampleUser"
	bucket := func(kind Event, name, reason string) Decision {
		return Decision{Event: kind, Work: enforce.Work{Buckets: []string{name}, Mode: enforce.ModeEnforce, Reason: reason}}
	}
	// A baseline's change carries its event's time (when the change's sweep may send).
	changed := func(d Decision) Decision {
		d.Changed = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
		return d
	}
	want := map[string]Decision{
		"mediastore-container-created.json":  one(ContainerCreated, "live-news", "MediaStore Container State Change CREATE live-news"),
		"cloudtrail-create-container.json":   one(ContainerCreated, "vod-library", "CloudTrail CreateContainer vod-library"+user),
		"cloudtrail-put-cors-policy.json":    one(CorsChanged, "live-news", "CloudTrail PutCorsPolicy live-news"+user),
		"cloudtrail-delete-cors-policy.json": one(CorsChanged, "live-sports", "CloudTrail DeleteCorsPolicy live-sports"+user),
		"ssm-baseline-create.json":           changed(all(BaselineChanged, enforce.ModeEnforce, "SSM Create /corsguard/baseline")),
		"ssm-baseline-update.json":           changed(all(BaselineChanged, enforce.ModeEnforce, "SSM Update /corsguard/baseline")),
		"ssm-baseline-label.json":            changed(all(BaselineChanged, enforce.ModeEnforce, "SSM LabelParameterVersion /corsguard/baseline")),
		"ssm-baseline-delete.json": {Event: BaselineDeleted,
			Parameter: baseline, Note: "SSM Delete /corsguard/baseline: nothing changed; every container and bucket keeps its CORS configuration until a new baseline exists"},
		"scheduled-sweep.json": all(Sweep, enforce.ModeEnforce, "Scheduled Event arn:aws:events:us-east-1:012345678912:rule/corsguard-sweep"),
		"direct-audit.json":    all(Manual, enforce.ModeAudit, "direct invocation: audit"),
		"direct-enforce.json":  all(Manual, enforce.ModeEnforce, "direct invocation: enforce"),
		"mediastore-container-removed.json": {Event: ResourceDeleted, Gone: findings.Gone{Kind: policy.MediaStore, Name: "live-news", At: at("2025-03-14T11:02:10Z")},
			Work: enforce.Work{Mode: enforce.ModeAudit, Reason: "MediaStore Container State Change REMOVE live-news"}},
		"cloudtrail-delete-container.json": {Event: ResourceDeleted, Gone: findings.Gone{Kind: policy.MediaStore, Name: "vod-library", At: at("2025-03-14T12:31:07Z")},
			Work: enforce.Work{Mode: enforce.ModeAudit, Reason: "CloudTrail DeleteContainer vod-library" + user}},
		"cloudtrail-s3-delete-bucket.json": {Event: ResourceDeleted, Gone: findings.Gone{Kind: policy.S3, Name: "media-uploads", At: at("2025-03-14T12:30:41Z")},
			Work: enforce.Work{Mode: enforce.ModeAudit, Reason: "CloudTrail DeleteBucket media-uploads" + user}},
		// The versioned spelling; named by the policy's Id, found by its ARN.
		"cloudtrail-delete-response-headers-policy.json": {Event: ResourceDeleted, Gone: findings.Gone{Kind: policy.CloudFront,
			ARN: "arn:aws:cloudfront::012345678912:response-headers-policy/57f99797-3b20-4e1b-a728-27972a74082a", At: at("2026-11-30T02:05:19Z")},
			Work: enforce.Work{Mode: enforce.ModeAudit, Reason: "CloudTrail DeleteResponseHeadersPolicy 57f99797-3b20-4e1b-a728-27972a74082a by arn:aws:iam::012345678912:user/alice"}},
		"mediastore-object-state-change.json": {Event: Ignored,
			Note: `no route for source "aws.mediastore", detail-type "MediaStore Object State Change"`},
		"mediastore-object-upload-state-change.json": {Event: Ignored,
			Note: `no route for source "aws.mediastore", detail-type "MediaStore Object Upload State Change"`},
		"cloudtrail-other-call.json":            {Event: Ignored, Note: "CloudTrail PutLifecyclePolicy cannot change a CORS policy"},
		"ssm-other-parameter.json":              {Event: Ignored, Note: `parameter "/media/transcoder/settings" is not the baseline "/corsguard/baseline"`},
		"direct-unknown-action.json":            {Event: Ignored, Note: `direct invocation: action "repair" is neither audit nor enforce`},
		"unknown-source.json":                   {Event: Ignored, Note: `no route for source "aws.s3", detail-type "Object Created"`},
		"cloudtrail-s3-create-bucket.json":      bucket(BucketCreated, "media-uploads", "CloudTrail CreateBucket media-uploads"+user),
		"cloudtrail-s3-put-bucket-cors.json":    bucket(CorsChanged, "media-assets", "CloudTrail PutBucketCors media-assets"+user),
		"cloudtrail-s3-delete-bucket-cors.json": bucket(CorsChanged, "media-assets", "CloudTrail DeleteBucketCors media-assets"+user),
		"cloudtrail-s3-other-call.json":         {Event: Ignored, Note: "CloudTrail PutBucketVersioning cannot change a bucket's CORS configuration"},
		"cloudtrail-s3-put-bucket-tagging.json": freshTags(bucket(CorsChanged, "media-assets", "CloudTrail PutBucketTagging media-assets"+user)),
		"ssm-profile-update.json":               {Event: Ignored, Note: `parameter "/corsguard/profiles/s3/uploads" is not the baseline "/corsguard/baseline"`},
		"cloudtrail-create-response-headers-policy.json": {Event: CorsChanged, Work: enforce.Work{Policies: []string{"media-cors"},
			Mode: enforce.ModeEnforce, Reason: "CloudTrail CreateResponseHeadersPolicy media-cors by arn:aws:iam::012345678912:user/alice"}},
		"cloudtrail-update-response-headers-policy.json": {Event: CorsChanged, Work: enforce.Work{Policies: []string{"media-cors"},
			Mode: enforce.ModeEnforce, Reason: "CloudTrail UpdateResponseHeadersPolicy media-cors by arn:aws:iam::012345678912:user/alice"}},
		"cloudtrail-s3-create-bucket-failed.json": {Event: Ignored,
			Note: "CloudTrail CreateBucket their-bucket failed (BucketAlreadyExists): it changed nothing"},
		"cloudtrail-put-cors-policy-failed.json": {Event: Ignored,
			Note: "CloudTrail PutCorsPolicy live-news failed (AccessDeniedException): it changed nothing"},
		"cloudtrail-s3-put-bucket-cors-other-account.json": {Event: Ignored,
			Note: `event of account "444455556666" ignored: this function acts only on events of its own account 012345678912`},
		"cloudtrail-lambda-create-function-url-config.json": {Event: CorsChanged, Work: enforce.Work{FunctionURLs: []string{"orders"},
			Mode: enforce.ModeEnforce, Reason: "CloudTrail CreateFunctionUrlConfig orders by arn:aws:iam::012345678912:user/alice"}},
		"cloudtrail-lambda-update-function-url-config.json": {Event: CorsChanged, Work: enforce.Work{FunctionURLs: []string{"orders:live"},
			Mode: enforce.ModeEnforce, Reason: "CloudTrail UpdateFunctionUrlConfig orders:live by arn:aws:iam::012345678912:user/alice"}},
		"cloudtrail-apigateway-create-api.json": {Event: CorsChanged, Work: enforce.Work{APIs: []string{"a1b2c3d4e5"},
			Mode: enforce.ModeEnforce, Reason: "CloudTrail CreateApi a1b2c3d4e5 by arn:aws:iam::012345678912:user/alice"}},
		"cloudtrail-apigateway-update-api.json": {Event: CorsChanged, Work: enforce.Work{APIs: []string{"a1b2c3d4e5"},
			Mode: enforce.ModeEnforce, Reason: "CloudTrail UpdateApi a1b2c3d4e5 by arn:aws:iam::012345678912:user/alice"}},
		"cloudtrail-apigateway-delete-cors-configuration.json": {Event: CorsChanged, Work: enforce.Work{APIs: []string{"a1b2c3d4e5"},
			Mode: enforce.ModeEnforce, Reason: "CloudTrail DeleteCorsConfiguration a1b2c3d4e5 by arn:aws:iam::012345678912:user/alice"}},
		"direct-audit-buckets.json": {Event: Manual, Work: enforce.Work{Buckets: []string{"media-assets", "media-uploads"},
			Mode: enforce.ModeAudit, Reason: "direct invocation: audit buckets media-assets,media-uploads"}},
	}
	files, err := filepath.Glob("../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		seen[name] = true
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("events/%s has no expected route in this test", name)
			}
			input, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(w, Route(input, home, []string{baseline}, enforce.ModeEnforce)); d != "" {
				t.Errorf("route (-want +got):\n%s", d)
			}
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("expected a sample events/%s", name)
		}
	}
}

func TestRouteUsesTheConfiguredModeExceptForDirectInvocations(t *testing.T) {
	for file, wantMode := range map[string]enforce.Mode{
		"mediastore-container-created.json": enforce.ModeAudit,
		"cloudtrail-put-cors-policy.json":   enforce.ModeAudit,
		"ssm-baseline-update.json":          enforce.ModeAudit,
		"scheduled-sweep.json":              enforce.ModeAudit,
		"direct-enforce.json":               enforce.ModeEnforce,
	} {
		input, err := os.ReadFile(filepath.Join("../events", file))
		if err != nil {
			t.Fatal(err)
		}
		if got := Route(input, home, []string{baseline}, enforce.ModeAudit).Work.Mode; got != wantMode {
			t.Errorf("%s with mode audit configured: mode %s, want %s", file, got, wantMode)
		}
	}
}

func TestRouteIgnoresInputItCannotUse(t *testing.T) {
	malformed, err := os.ReadFile("testdata/malformed.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, input, note string
	}{
		{"truncated JSON", string(malformed), "input is not an event: unexpected end of JSON input"},
		{"an empty input", "", "input is not an event: unexpected end of JSON input"},
		{"a JSON string", `"audit"`, "input is not an event: json: cannot unmarshal string"},
		{"a JSON array", `[]`, "input is not an event: json: cannot unmarshal array"},
		{"null", `null`, "neither an EventBridge event nor a direct invocation"},
		{"an empty object", `{}`, "neither an EventBridge event nor a direct invocation"},
		{"an event with a time that is not a time", `{"account":"012345678912","region":"us-east-1","source":"aws.events","detail-type":"Scheduled Event","time":"yesterday"}`, "input is not an event"},
		{"a container event without detail", `{"account":"012345678912","region":"us-east-1","source":"aws.mediastore","detail-type":"MediaStore Container State Change"}`, "no detail"},
		{"a container event with a detail that is not an object", `{"account":"012345678912","region":"us-east-1","source":"aws.mediastore","detail-type":"MediaStore Container State Change","detail":"x"}`, "detail: json: cannot unmarshal"},
		{"a container event with an unknown operation", `{"account":"012345678912","region":"us-east-1","source":"aws.mediastore","detail-type":"MediaStore Container State Change","detail":{"ContainerName":"a","Operation":"UPDATE"}}`, `operation "UPDATE" is neither CREATE nor REMOVE`},
		{"a created container with a name MediaStore would refuse", `{"account":"012345678912","region":"us-east-1","source":"aws.mediastore","detail-type":"MediaStore Container State Change","detail":{"ContainerName":"a b","Operation":"CREATE"}}`, `container name "a b"`},
		{"a created container without a name", `{"account":"012345678912","region":"us-east-1","source":"aws.mediastore","detail-type":"MediaStore Container State Change","detail":{"Operation":"CREATE"}}`, `container name ""`},
		{"a CloudTrail PutCorsPolicy without a container name", `{"account":"012345678912","region":"us-east-1","source":"aws.mediastore","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"PutCorsPolicy"}}`, `container name ""`},
		{"a CloudTrail record from another service", `{"account":"012345678912","region":"us-east-1","source":"aws.dynamodb","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"CreateTable"}}`, `no route for source "aws.dynamodb"`},
		{"a CloudTrail PutBucketCors without a bucket name", `{"account":"012345678912","region":"us-east-1","source":"aws.s3","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"PutBucketCors"}}`, `bucket name ""`},
		{"a CloudTrail CreateBucket with a name S3 would refuse", `{"account":"012345678912","region":"us-east-1","source":"aws.s3","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"CreateBucket","requestParameters":{"bucketName":"Media_Assets"}}}`, `bucket name "Media_Assets"`},
		{"an SSM change to a parameter that is neither baseline", `{"account":"012345678912","region":"us-east-1","source":"aws.ssm","detail-type":"Parameter Store Change","detail":{"operation":"Update","name":"/corsguard/other"}}`, "is not the baseline"},
		{"a direct invocation naming a bad bucket", `{"action":"audit","buckets":["ok-bucket","192.168.1.1"]}`, `bucket name "192.168.1.1"`},
		{"an SSM change to the baseline with an unknown operation", `{"account":"012345678912","region":"us-east-1","source":"aws.ssm","detail-type":"Parameter Store Change","detail":{"operation":"Rename","name":"/corsguard/baseline"}}`, `operation "Rename"`},
		{"an SSM change to a parameter that shares the baseline's prefix", `{"account":"012345678912","region":"us-east-1","source":"aws.ssm","detail-type":"Parameter Store Change","detail":{"operation":"Update","name":"/corsguard/baseline-old"}}`, "is not the baseline"},
		{"a direct invocation in capitals", `{"action":"AUDIT"}`, `action "AUDIT"`},
		{"a direct invocation naming a bad container", `{"action":"audit","containers":["ok","no/slash"]}`, `container name "no/slash"`},
		{"a direct invocation with a list that is not a list", `{"action":"audit","containers":"ok"}`, "input is not an event"},
		{"input over the EventBridge size limit", `{"action":"audit","pad":"` + strings.Repeat("x", maxInput) + `"}`, "an EventBridge event is at most 262144"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Route([]byte(tc.input), home, []string{baseline}, enforce.ModeEnforce)
			if d.Event != Ignored || !strings.Contains(d.Note, tc.note) || d.Reconciles() {
				t.Errorf("got %+v, want ignored with a note containing %q", d, tc.note)
			}
		})
	}
}

func TestRouteNarrowsADirectInvocationToTheNamedContainers(t *testing.T) {
	d := Route([]byte(`{"action":"enforce","containers":["live-news","vod-library"]}`), home, []string{baseline}, enforce.ModeAudit)
	want := Decision{Event: Manual, Work: enforce.Work{
		Containers: []string{"live-news", "vod-library"}, Mode: enforce.ModeEnforce,
		Reason: "direct invocation: enforce live-news,vod-library"}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("route (-want +got):\n%s", diff)
	}
}

func TestRouteIgnoresFailedCloudFrontCalls(t *testing.T) {
	data, err := os.ReadFile("../events/cloudtrail-update-response-headers-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	failed := strings.Replace(string(data), `"eventType"`, `"errorCode": "PreconditionFailed", "eventType"`, 1)
	if d := Route([]byte(failed), home, []string{baseline}, enforce.ModeEnforce); d.Event != Ignored || !strings.Contains(d.Note, "PreconditionFailed") {
		t.Errorf("a failed update: %+v", d)
	}
	versioned := strings.Replace(string(data), `"UpdateResponseHeadersPolicy"`, `"UpdateResponseHeadersPolicy2020_05_31"`, 1)
	if d := Route([]byte(versioned), home, []string{baseline}, enforce.ModeEnforce); d.Event != CorsChanged || !cmp.Equal(d.Work.Policies, []string{"media-cors"}) {
		t.Errorf("an event name with the API version: %+v", d)
	}
}

func TestRouteActsOnlyOnSuccessfulCallsOfItsOwnAccountAndRegion(t *testing.T) {
	routable := []string{
		"mediastore-container-created.json", "cloudtrail-create-container.json", "cloudtrail-put-cors-policy.json",
		"cloudtrail-delete-cors-policy.json", "ssm-baseline-update.json", "ssm-baseline-delete.json", "scheduled-sweep.json",
		"cloudtrail-s3-create-bucket.json", "cloudtrail-s3-put-bucket-cors.json", "cloudtrail-s3-delete-bucket-cors.json",
		"cloudtrail-update-response-headers-policy.json", "cloudtrail-lambda-create-function-url-config.json",
		"cloudtrail-lambda-update-function-url-config.json", "cloudtrail-apigateway-create-api.json",
		"cloudtrail-apigateway-update-api.json", "cloudtrail-apigateway-delete-cors-configuration.json",
	}
	cloudTrail := func(name string) bool { return strings.HasPrefix(name, "cloudtrail-") }
	for _, tc := range []struct {
		name    string
		applies func(file string) bool
		change  func(ev map[string]any)
		home    Home
		note    string
	}{
		{"a record of a call that failed", cloudTrail, func(ev map[string]any) {
			ev["detail"].(map[string]any)["errorCode"] = "AccessDenied"
		}, home, "failed (AccessDenied): it changed nothing"},
		{"an event of another account", nil, func(ev map[string]any) { ev["account"] = "444455556666" }, home,
			`event of account "444455556666" ignored: this function acts only on events of its own account 012345678912`},
		{"an event without an account", nil, func(ev map[string]any) { delete(ev, "account") }, home,
			`event of account "" ignored`},
		{"an event of another Region", nil, func(ev map[string]any) { ev["region"] = "eu-west-1" }, home,
			`event of Region "eu-west-1" ignored: this function acts only on events of its own Region us-east-1`},
		{"any event when the function's account is unknown", nil, func(map[string]any) {}, Home{Region: "us-east-1"},
			"the function's own account is unknown"},
		{"any event when the function's Region is unknown", nil, func(map[string]any) {}, Home{Account: "012345678912"},
			"the function's own Region is unknown"},
	} {
		for _, file := range routable {
			if tc.applies != nil && !tc.applies(file) {
				continue
			}
			t.Run(tc.name+"/"+file, func(t *testing.T) {
				// The sample as it is takes its route: the change alone makes it ignored.
				if d := Route(changed(t, file, func(map[string]any) {}), home, []string{baseline}, enforce.ModeEnforce); d.Event == Ignored {
					t.Fatalf("the sample itself is ignored: %s", d.Note)
				}
				d := Route(changed(t, file, tc.change), tc.home, []string{baseline}, enforce.ModeEnforce)
				if d.Event != Ignored || d.Reconciles() || !strings.Contains(d.Note, tc.note) {
					t.Errorf("got %+v, want ignored with a note containing %q", d, tc.note)
				}
			})
		}
	}
	// A direct invocation is no event: it has no account or Region to check, and whoever may
	// invoke the function may ask for a run.
	if d := Route([]byte(`{"action":"audit"}`), Home{}, []string{baseline}, enforce.ModeEnforce); d.Event != Manual {
		t.Errorf("direct invocation with an unknown home: %+v", d)
	}
}

// changed returns the sample event in file after change has edited its decoded JSON.
func changed(t *testing.T, file string, change func(ev map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../events", file))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	change(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHomeOfTakesTheAccountFromTheFunctionARN(t *testing.T) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:210987654321:function:corsguard:live"})
	if got, want := HomeOf(ctx, "eu-west-1"), (Home{Account: "210987654321", Region: "eu-west-1", Partition: "aws"}); got != want {
		t.Errorf("homeOf = %+v, want %+v", got, want)
	}
	if got := HomeOf(context.Background(), "eu-west-1"); got.Account != "" {
		t.Errorf("homeOf without an invocation context = %+v, want no account", got)
	}
}

// A change to a profile's parameter under the profiles path is a baseline change; one outside
// it, or not <kind>/<NAME>, is not. A tag call reconciles its resource.
func TestProfileParametersAndTagCallsAreRouted(t *testing.T) {
	ssmEvent := func(op, name string) []byte {
		return []byte(`{"account":"012345678912","region":"us-east-1","source":"aws.ssm","detail-type":"Parameter Store Change","detail":{"operation":"` + op + `","name":"` + name + `"}}`)
	}
	baselines := []string{baseline, "/corsguard/profiles/"}
	for name, want := range map[string]Event{
		"/corsguard/profiles/s3/uploads":          BaselineChanged,
		"/corsguard/profiles/cloudfront/partners": BaselineChanged,
		"/corsguard/profiles/s3/..":               Ignored,
		"/corsguard/profiles/s3/a/b":              Ignored,
		"/corsguard/profiles/gcs/uploads":         Ignored,
		"/other/profiles/s3/uploads":              Ignored,
	} {
		if d := Route(ssmEvent("Update", name), home, baselines, enforce.ModeEnforce); d.Event != want {
			t.Errorf("Update %s: %s (%s), want %s", name, d.Event, d.Note, want)
		}
	}
	// The change converges exactly that profile of that kind; the default baseline's, everything.
	if d := Route(ssmEvent("Update", "/corsguard/profiles/cloudfront/partners"), home, baselines, enforce.ModeEnforce); !cmp.Equal(d.Work.Profile,
		&enforce.ProfileRef{Kind: policy.CloudFront, Name: "partners"}) {
		t.Errorf("Update of the partners' CloudFront profile: work %+v; want that profile only", d.Work)
	}
	if d := Route(ssmEvent("Update", baseline), home, baselines, enforce.ModeEnforce); d.Work.Profile != nil {
		t.Errorf("Update of the default baseline: profile %+v; want none (a sweep)", d.Work.Profile)
	}
	if d := Route(ssmEvent("Delete", "/corsguard/profiles/s3/uploads"), home, baselines, enforce.ModeEnforce); d.Event != BaselineDeleted {
		t.Errorf("Delete of a profile: %s, want %s (alarmed, nothing changed)", d.Event, BaselineDeleted)
	}
	tagged := func(call, resource string) []byte {
		return []byte(`{"account":"012345678912","region":"us-east-1","source":"aws.mediastore","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"mediastore.amazonaws.com","eventName":"` + call + `","requestParameters":{"resource":"` + resource + `"}}}`)
	}
	d := Route(tagged("TagResource", "arn:aws:mediastore:us-east-1:012345678912:container/live-news"), home, baselines, enforce.ModeEnforce)
	if d.Event != CorsChanged || !cmp.Equal(d.Work.Containers, []string{"live-news"}) || !d.Work.FreshTags {
		t.Errorf("TagResource: %+v; want live-news reconciled with its own tags read", d)
	}
	if d := Route(tagged("UntagResource", "arn:aws:mediastore:us-east-1:012345678912:container/../x"), home, baselines, enforce.ModeEnforce); d.Event != Ignored {
		t.Errorf("UntagResource of a bad ARN: %+v; want ignored", d)
	}
}

// Lambda's function URL calls are routed by the URL they name, whatever the spelling of the
// call (with Lambda's API version or without) and of the function (name, partial ARN, ARN, with
// the alias in the ARN or in Qualifier); API Gateway's by the ApiId in the request or, for
// CreateApi and ImportApi, in the answer. What names no URL or API is ignored.
func TestRouteNamesTheFunctionURLOrAPIACallChanged(t *testing.T) {
	lambdaCall := func(name string, req map[string]any) []byte {
		return changed(t, "cloudtrail-lambda-update-function-url-config.json", func(ev map[string]any) {
			d := ev["detail"].(map[string]any)
			d["eventName"], d["requestParameters"] = name, req
		})
	}
	apiCall := func(name string, req, resp map[string]any) []byte {
		return changed(t, "cloudtrail-apigateway-update-api.json", func(ev map[string]any) {
			d := ev["detail"].(map[string]any)
			d["eventName"], d["requestParameters"], d["responseElements"] = name, req, resp
		})
	}
	fn := func(s string) map[string]any { return map[string]any{"functionName": s} }
	for _, tc := range []struct {
		name  string
		event []byte
		want  enforce.Work // zero: ignored
	}{
		{"CreateFunctionUrlConfig", lambdaCall("CreateFunctionUrlConfig", fn("orders")), enforce.Work{FunctionURLs: []string{"orders"}}},
		{"CreateFunctionUrlConfig20211031", lambdaCall("CreateFunctionUrlConfig20211031", fn("orders")), enforce.Work{FunctionURLs: []string{"orders"}}},
		{"UpdateFunctionUrlConfig20211031", lambdaCall("UpdateFunctionUrlConfig20211031", fn("orders")), enforce.Work{FunctionURLs: []string{"orders"}}},
		{"UpdateFunctionUrlConfig20211031v2", lambdaCall("UpdateFunctionUrlConfig20211031v2", fn("orders")), enforce.Work{FunctionURLs: []string{"orders"}}},
		{"an alias in Qualifier", lambdaCall("UpdateFunctionUrlConfig", map[string]any{"functionName": "orders", "qualifier": "live"}),
			enforce.Work{FunctionURLs: []string{"orders:live"}}},
		{"an alias in the ARN", lambdaCall("UpdateFunctionUrlConfig", fn("arn:aws:lambda:us-east-1:012345678912:function:orders:live")),
			enforce.Work{FunctionURLs: []string{"orders:live"}}},
		{"a partial ARN", lambdaCall("UpdateFunctionUrlConfig", fn("012345678912:function:orders")), enforce.Work{FunctionURLs: []string{"orders"}}},
		{"ARN and Qualifier disagree", lambdaCall("UpdateFunctionUrlConfig",
			map[string]any{"functionName": "arn:aws:lambda:us-east-1:012345678912:function:orders:live", "qualifier": "test"}), enforce.Work{}},
		{"no function", lambdaCall("UpdateFunctionUrlConfig", map[string]any{}), enforce.Work{}},
		{"a function name with a slash", lambdaCall("UpdateFunctionUrlConfig", fn("orders/../x")), enforce.Work{}},
		{"$LATEST", lambdaCall("UpdateFunctionUrlConfig", map[string]any{"functionName": "orders", "qualifier": "$LATEST"}), enforce.Work{}},
		{"another Lambda call", lambdaCall("UpdateFunctionConfiguration20150331v2", fn("orders")), enforce.Work{}},
		{"a name that only shares the prefix", lambdaCall("UpdateFunctionUrlConfigs", fn("orders")), enforce.Work{}},
		{"DeleteFunctionUrlConfig", lambdaCall("DeleteFunctionUrlConfig", fn("orders")), enforce.Work{}},
		{"CreateApi", apiCall("CreateApi", map[string]any{}, map[string]any{"apiId": "z9y8x7w6v5"}), enforce.Work{APIs: []string{"z9y8x7w6v5"}}},
		{"ImportApi", apiCall("ImportApi", map[string]any{"body": "openapi"}, map[string]any{"apiId": "z9y8x7w6v5"}), enforce.Work{APIs: []string{"z9y8x7w6v5"}}},
		{"ReimportApi", apiCall("ReimportApi", map[string]any{"apiId": "z9y8x7w6v5"}, map[string]any{}), enforce.Work{APIs: []string{"z9y8x7w6v5"}}},
		{"UpdateApi", apiCall("UpdateApi", map[string]any{"apiId": "z9y8x7w6v5"}, nil), enforce.Work{APIs: []string{"z9y8x7w6v5"}}},
		{"DeleteCorsConfiguration", apiCall("DeleteCorsConfiguration", map[string]any{"apiId": "z9y8x7w6v5"}, nil), enforce.Work{APIs: []string{"z9y8x7w6v5"}}},
		{"CreateApi without an id in the answer", apiCall("CreateApi", map[string]any{"apiId": "z9y8x7w6v5"}, map[string]any{}), enforce.Work{}},
		{"an ApiId that is no id", apiCall("UpdateApi", map[string]any{"apiId": "../apis"}, nil), enforce.Work{}},
		{"DeleteApi", apiCall("DeleteApi", map[string]any{"apiId": "z9y8x7w6v5"}, nil), enforce.Work{}},
		{"UpdateApi2018_11_29 (not a spelling of API Gateway's)", apiCall("UpdateApi2018_11_29", map[string]any{"apiId": "z9y8x7w6v5"}, nil), enforce.Work{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Route(tc.event, home, []string{baseline}, enforce.ModeEnforce)
			if len(tc.want.FunctionURLs)+len(tc.want.APIs) == 0 {
				if d.Event != Ignored {
					t.Errorf("got %+v, want it ignored", d)
				}
				return
			}
			if d.Event != CorsChanged || !slices.Equal(d.Work.FunctionURLs, tc.want.FunctionURLs) || !slices.Equal(d.Work.APIs, tc.want.APIs) ||
				len(d.Work.Containers)+len(d.Work.Buckets)+len(d.Work.Policies) != 0 {
				t.Errorf("got %+v (%s), want %v %v", d.Work, d.Note, tc.want.FunctionURLs, tc.want.APIs)
			}
		})
	}
}

// freshTags is d for a tag call's record: the resource's own tags are read, not the bulk ones.
func freshTags(d Decision) Decision {
	d.Work.FreshTags = true
	return d
}
