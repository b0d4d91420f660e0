package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// policyID is the Id of the CloudFront response headers policy the delete tests name.
const policyID = "57f99797-3b20-4e1b-a728-27972a74082a"

// deleteEvent is a delete event of the function's account and Region at the given time:
// CloudTrail's DeleteBucket, DeleteContainer and DeleteResponseHeadersPolicy (with the API
// version CloudTrail may append), or MediaStore's own REMOVE.
func deleteEvent(t *testing.T, call, name string, at time.Time, edit func(map[string]any)) []byte {
	t.Helper()
	source, detailType := "aws.s3", "AWS API Call via CloudTrail"
	detail := map[string]any{"eventName": call, "userIdentity": map[string]any{"arn": "arn:aws:iam::012345678912:user/alice"}}
	switch call {
	case "DeleteBucket":
		detail["eventSource"], detail["requestParameters"] = "s3.amazonaws.com", map[string]any{"bucketName": name}
	case "DeleteContainer":
		source = "aws.mediastore"
		detail["eventSource"], detail["requestParameters"] = "mediastore.amazonaws.com", map[string]any{"containerName": name}
	case "DeleteResponseHeadersPolicy", "DeleteResponseHeadersPolicy2020_05_31":
		source = "aws.cloudfront"
		detail["eventSource"], detail["requestParameters"] = "cloudfront.amazonaws.com", map[string]any{"id": name, "ifMatch": "E3UN6WX5RRO2AG"}
	case "REMOVE":
		source, detailType = "aws.mediastore", "MediaStore Container State Change"
		detail = map[string]any{"ContainerName": name, "Operation": "REMOVE"}
	default:
		t.Fatalf("no delete event %s", call)
	}
	ev := map[string]any{"version": "0", "id": fmt.Sprintf("delete-%s-%s", call, name), "source": source, "detail-type": detailType,
		"account": "012345678912", "region": "us-east-1", "time": at.UTC().Format(time.RFC3339), "resources": []string{}, "detail": detail}
	if edit != nil {
		edit(ev)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestADeleteEventArchivesItsFindingAtOnce: on both paths (in-process, and the work queue's
// router), a delete event of each kind archives that resource's finding in the invocation that
// receives it, with one GetFindings and one BatchImportFindings, the same Id, and no read of
// any resource and nothing enqueued. Events that are not the function's to act on change
// nothing: another account or Region, a name the selector excludes, a kind outside the targets,
// a finding another provider made about the same resource, a finding updated after the
// deletion (the resource made again), a resource corsguard never reported.
func TestADeleteEventArchivesItsFindingAtOnce(t *testing.T) {
	for _, path := range []string{"in-process", "router"} {
		t.Run(path, func(t *testing.T) {
			env := map[string]string{config.Targets: "mediastore,s3,cloudfront", config.Rate: "1000", config.SecurityHub: "true",
				config.S3Exclude: "logs-*"}
			if path == "router" {
				env[config.QueueURL] = workQueue
			}
			f := newFixture(t, env)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
				AwsRequestID: "test-request", InvokedFunctionArn: "arn:aws:lambda:us-east-1:012345678912:function:corsguard"})
			scope := findings.Scope{Account: f.emu.Account(), Region: "us-east-1"}
			rep := &enforce.Report{Entries: []enforce.Entry{
				{Name: "media-uploads", Kind: policy.S3, Outcome: enforce.Compliant},
				{Name: "media-assets", Kind: policy.S3, Outcome: enforce.Compliant},
				{Name: "logs-access", Kind: policy.S3, Outcome: enforce.Drifted}, // reported before the exclusion
				{Name: "vod-library", Kind: policy.MediaStore, Outcome: enforce.Drifted},
				{Name: "live-news", Kind: policy.MediaStore, Outcome: enforce.Compliant},
				{Name: "media-cors", Kind: policy.CloudFront, ID: policyID, Outcome: enforce.Compliant},
			}}
			if _, err := findings.NewPublisher(f.hub).Publish(ctx, scope, rep, nil); err != nil {
				t.Fatal(err)
			}
			// Another provider's finding about the same policy, in the account's default product.
			foreign := findings.Build(scope, &enforce.Report{Entries: []enforce.Entry{rep.Entries[5]}}, time.Now(), nil)[0].SDK()
			foreign.Id, foreign.GeneratorId = aws.String("custom/media-cors"), aws.String("custom/cors-check")
			if _, err := f.hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{foreign}}); err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{}
			for _, d := range f.emu.Findings() {
				ids[d["Id"].(string)] = d["CreatedAt"].(string)
			}
			later := time.Now().Add(time.Minute)
			invoke := func(t *testing.T, ev []byte) (*Result, error) {
				t.Helper()
				f.emu.ResetCalls()
				var res Result
				err := f.invoke(t, ctx, ev, &res)
				return &res, err
			}
			wantCalls := func(t *testing.T, what string, want map[string]int) {
				t.Helper()
				if diff := cmp.Diff(want, f.emu.Calls()); diff != "" {
					t.Errorf("%s: AWS calls (-want +got):\n%s", what, diff)
				}
			}

			// Nothing to archive: no call at all, or a read and no import.
			for _, tc := range []struct {
				name  string
				event []byte
				want  Event
				note  string
				calls map[string]int
			}{
				{"another account", deleteEvent(t, "DeleteBucket", "media-uploads", later, func(ev map[string]any) { ev["account"] = "444455556666" }),
					Ignored, `event of account "444455556666" ignored`, map[string]int{}},
				{"another Region", deleteEvent(t, "DeleteContainer", "vod-library", later, func(ev map[string]any) { ev["region"] = "eu-west-1" }),
					Ignored, `event of Region "eu-west-1" ignored`, map[string]int{}},
				{"a name the selector excludes", deleteEvent(t, "DeleteBucket", "logs-access", later, nil),
					ResourceDeleted, "the selector leaves logs-access out", map[string]int{}},
				{"a bucket name S3 would refuse", deleteEvent(t, "DeleteBucket", "Media_Uploads", later, nil),
					Ignored, `bucket name "Media_Uploads"`, map[string]int{}},
				{"a policy Id that is not one", deleteEvent(t, "DeleteResponseHeadersPolicy", "../other", later, nil),
					Ignored, `"../other" is not a response headers policy's Id`, map[string]int{}},
				{"a delete call of a kind corsguard does not check", deleteEvent(t, "DeleteBucket", "media-uploads", later, func(ev map[string]any) {
					ev["detail"].(map[string]any)["eventName"] = "DeleteBucketPolicy"
				}), Ignored, "cannot change a bucket's CORS", map[string]int{}},
				{"a resource made again after the deletion", deleteEvent(t, "DeleteBucket", "media-uploads", later.Add(-time.Hour), nil),
					ResourceDeleted, "", map[string]int{"GetFindings": 1}},
				{"a resource corsguard never reported", deleteEvent(t, "DeleteBucket", "never-seen", later, nil),
					ResourceDeleted, "", map[string]int{"GetFindings": 1}},
			} {
				res, err := invoke(t, tc.event)
				if err != nil || res.Event != tc.want || !strings.Contains(res.Note, tc.note) {
					t.Errorf("%s: %+v, %v; want %s with a note saying %q", tc.name, res, err, tc.want, tc.note)
				}
				if res.SecurityHub != nil && (res.SecurityHub.Imported != 0 || res.SecurityHub.Archived != 0) {
					t.Errorf("%s: security_hub %+v, want nothing imported", tc.name, res.SecurityHub)
				}
				wantCalls(t, tc.name, tc.calls)
			}

			// Each kind's delete archives its finding, and only its own.
			for _, tc := range []struct{ call, name, id string }{
				{"DeleteBucket", "media-uploads", "s3/media-uploads"},
				{"DeleteContainer", "vod-library", "mediastore/vod-library"},
				{"REMOVE", "live-news", "mediastore/live-news"},
				{"DeleteResponseHeadersPolicy2020_05_31", policyID, "cloudfront/media-cors"},
			} {
				res, err := invoke(t, deleteEvent(t, tc.call, tc.name, later, nil))
				if err != nil || res.Event != ResourceDeleted || res.SecurityHub == nil || res.SecurityHub.Archived != 1 || res.SecurityHub.Imported != 1 {
					t.Errorf("%s %s: %+v (security_hub %+v), %v; want its finding archived", tc.call, tc.name, res, res.SecurityHub, err)
				}
				wantCalls(t, tc.call, map[string]int{"GetFindings": 1, "BatchImportFindings": 1})
			}
			got := map[string]string{}
			for _, d := range f.emu.Findings() {
				id := d["Id"].(string)
				got[strings.TrimPrefix(strings.Replace(id, "global", "us-east-1", 1), "corsguard/012345678912/us-east-1/")] = d["RecordState"].(string)
				if d["CreatedAt"] != ids[id] {
					t.Errorf("%s: CreatedAt %v, want the first import's %s", id, d["CreatedAt"], ids[id])
				}
			}
			want := map[string]string{"s3/media-uploads": "ARCHIVED", "s3/media-assets": "ACTIVE", "s3/logs-access": "ACTIVE",
				"mediastore/vod-library": "ARCHIVED", "mediastore/live-news": "ARCHIVED", "cloudfront/media-cors": "ARCHIVED",
				"custom/media-cors": "ACTIVE"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings after the deletes (-want +got):\n%s", diff)
			}
			if path == "router" {
				if d, _, _, _ := f.emu.QueueDepth(workQueue); d != 0 {
					t.Errorf("%d messages enqueued; an archive needs none", d)
				}
			}
		})
	}
}

// TestSecurityHubFailingOnAnArchive: throttled past the SDK's retries, the delete event's
// invocation fails so that Lambda retries it, the finding still active; denied, it is a
// terminal failure, logged and counted (TerminalFailures), never retried. Findings off, or the
// kind not a target: no call.
func TestSecurityHubFailingOnAnArchive(t *testing.T) {
	f := newFixture(t, map[string]string{config.Targets: "s3", config.Rate: "1000", config.SecurityHub: "true"})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID: "test-request", InvokedFunctionArn: "arn:aws:lambda:us-east-1:012345678912:function:corsguard"})
	scope := findings.Scope{Account: f.emu.Account(), Region: "us-east-1"}
	rep := &enforce.Report{Entries: []enforce.Entry{{Name: "media-uploads", Kind: policy.S3, Outcome: enforce.Compliant}}}
	if _, err := findings.NewPublisher(f.hub).Publish(ctx, scope, rep, nil); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	state := func() string { return f.emu.Findings()[0]["RecordState"].(string) }

	f.emu.Script("BatchImportFindings", "", sdkAttempts, "ThrottlingException")
	var res Result
	err := f.invoke(t, ctx, deleteEvent(t, "DeleteBucket", "media-uploads", later, nil), &res)
	if err == nil || !strings.Contains(err.Error(), "archive the finding of the deleted s3 media-uploads") || state() != "ACTIVE" {
		t.Errorf("throttled: %v (finding %s); want an error that makes Lambda retry the event", err, state())
	}

	f.emu.Script("GetFindings", "", 1, "AccessDeniedException")
	f.metrics.Reset()
	if err := f.invoke(t, ctx, deleteEvent(t, "DeleteBucket", "media-uploads", later, nil), &res); err != nil {
		t.Errorf("denied: %v; terminal, Lambda must not retry", err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(f.metrics.String())), &doc); err != nil || doc[MetricTerminalFailures] != float64(1) {
		t.Errorf("denied: EMF %v (%v), want TerminalFailures 1", doc, err)
	}
	if res.SecurityHub == nil || !strings.Contains(res.SecurityHub.Error, "denied") || state() != "ACTIVE" {
		t.Errorf("denied: security_hub %+v (finding %s)", res.SecurityHub, state())
	}

	// Retried, it archives.
	if err := f.invoke(t, ctx, deleteEvent(t, "DeleteBucket", "media-uploads", later, nil), &res); err != nil || state() != "ARCHIVED" {
		t.Errorf("the retry: %v (finding %s), want it archived", err, state())
	}

	// Findings off, or a kind that is not a target: nothing to archive, no call.
	off := newFixture(t, map[string]string{config.Targets: "s3"})
	off.emu.ResetCalls()
	if err := off.invoke(t, ctx, deleteEvent(t, "DeleteBucket", "media-uploads", later, nil), &res); err != nil ||
		res.Event != ResourceDeleted || !strings.Contains(res.Note, "findings are off") || off.emu.TotalCalls() != 0 {
		t.Errorf("findings off: %+v, %v, %d calls", res, err, off.emu.TotalCalls())
	}
	f.emu.ResetCalls()
	if err := f.invoke(t, ctx, deleteEvent(t, "REMOVE", "live-news", later, nil), &res); err != nil ||
		res.Event != ResourceDeleted || !strings.Contains(res.Note, "mediastore is not among the targets") || f.emu.TotalCalls() != 0 {
		t.Errorf("a kind outside the targets: %+v, %v, %d calls", res, err, f.emu.TotalCalls())
	}
}
