package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// createDriftedPolicy creates the custom response headers policy media-cors with anyOrigin's
// CORS and returns its ID and ETag.
func createDriftedPolicy(t *testing.T, cf *cloudfront.Client) (id, etag string) {
	t.Helper()
	out, err := cf.CreateResponseHeadersPolicy(context.Background(), &cloudfront.CreateResponseHeadersPolicyInput{
		ResponseHeadersPolicyConfig: &cftypes.ResponseHeadersPolicyConfig{Name: aws.String("media-cors"), Comment: aws.String("players"), CorsConfig: anyOrigin()}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ResponseHeadersPolicy.Id), aws.ToString(out.ETag)
}

// An AWS-managed response headers policy (Managed-SimpleCORS) is never written, whether a
// sweep lists it, a CloudTrail record names it or a work-queue message names it: through the
// real bootstrap, in-process and as the work queue's router and worker. The custom policy
// beside it is repaired, so the runs did write where they should.
func TestAManagedPolicyIsNeverWritten(t *testing.T) {
	t.Parallel()
	for _, queue := range []bool{false, true} {
		path := "in-process"
		if queue {
			path = "work queue"
		}
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()))
			if err := a.SeedParameter(cfParam, "String", cfBaseline, ""); err != nil {
				t.Fatal(err)
			}
			cf := cloudfront.NewFromConfig(a.aws(t))
			createDriftedPolicy(t, cf)
			managed, err := cf.GetResponseHeadersPolicy(context.Background(), &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(emulator.ManagedSimpleCORS)})
			if err != nil {
				t.Fatal(err)
			}
			name := aws.ToString(managed.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Name)

			env := cfEnv(a, "mediastore,cloudfront")
			var fn *function
			var q *queued
			if queue {
				q = newQueued(t, a, 1, map[string]string{"CORSGUARD_TARGETS": env["CORSGUARD_TARGETS"],
					"CORSGUARD_CLOUDFRONT_BASELINE_PARAMETER": env["CORSGUARD_CLOUDFRONT_BASELINE_PARAMETER"]}, nil)
				fn = q.router
			} else {
				fn = startFunction(t, env)
			}
			drain := func(t *testing.T) {
				t.Helper()
				if q == nil {
					return
				}
				m, _ := q.mapping(nil)
				if _, err := m.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
					t.Errorf("%d messages left in the queues", d)
				}
			}

			// Named by a CloudTrail record.
			inv := fn.invoke(t, variant(t, "cloudtrail-update-response-headers-policy.json", func(ev map[string]any) {
				requestOf(ev)["responseHeadersPolicyConfig"].(map[string]any)["name"] = name
			}))
			if inv.failed() || inv.Result.Event != handler.CorsChanged {
				t.Fatalf("an event naming %s: %s", name, inv)
			}
			if !queue {
				if got := inv.Result.Entries; len(got) != 1 || got[0].Name != name || got[0].Outcome != enforce.Gone {
					t.Errorf("an event naming %s: entries %+v, want it gone (not ours)", name, got)
				}
			}
			drain(t)

			// Named by a message on the work queue, as a forged or stale message would.
			if queue {
				if err := workqueue.New(q.sqs, q.queueURL).Send(context.Background(), []workqueue.Message{
					workqueue.Reconcile(policy.CloudFront, name, enforce.ModeEnforce, "a message naming a managed policy", "e2e-managed")}); err != nil {
					t.Fatal(err)
				}
				drain(t)
			}

			// Listed by a sweep: the custom policy is repaired, the managed one not listed.
			inv = fn.invoke(t, scheduled("sweep-e2e-managed"))
			if inv.failed() {
				t.Fatalf("sweep: %s", inv)
			}
			drain(t)
			if n := a.ResourceCalls("UpdateResponseHeadersPolicy", emulator.ManagedSimpleCORS) + a.ResourceCalls("UpdateResponseHeadersPolicy", name); n != 0 {
				t.Errorf("%d updates of the managed policy %s", n, name)
			}
			if n := a.CallCount("UpdateResponseHeadersPolicy"); n != 1 {
				t.Errorf("%d UpdateResponseHeadersPolicy calls, want 1 (media-cors's repair)", n)
			}
			after, err := cf.GetResponseHeadersPolicy(context.Background(), &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(emulator.ManagedSimpleCORS)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(after.ETag) != aws.ToString(managed.ETag) {
				t.Errorf("the managed policy's ETag moved: %s -> %s", aws.ToString(managed.ETag), aws.ToString(after.ETag))
			}
		})
	}
}

// A custom policy that distributions use (CloudFront lets an update through while a policy is
// in use; only a delete is refused) is repaired like any other, and stays attached.
func TestAPolicyInUseIsRepairedAndStaysAttached(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()))
	if err := a.SeedParameter(cfParam, "String", cfBaseline, ""); err != nil {
		t.Fatal(err)
	}
	cf := cloudfront.NewFromConfig(a.aws(t))
	id, etag := createDriftedPolicy(t, cf)
	a.AddDistribution(emulator.Distribution{ID: "E2VIDEO", OriginDomain: "media.s3.us-east-1.amazonaws.com",
		DefaultBehavior: emulator.Behavior{TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized, ResponseHeadersPolicyID: id},
		Behaviors:       []emulator.Behavior{{PathPattern: "/hls/*", TargetOriginID: "s3", CachePolicyID: emulator.ManagedCachingOptimized, ResponseHeadersPolicyID: id}}})
	if _, err := cf.DeleteResponseHeadersPolicy(context.Background(), &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(id), IfMatch: aws.String(etag)}); err == nil {
		t.Fatal("the emulator deleted a policy in use; it is not in use as CloudFront sees it")
	}
	fn := startFunction(t, cfEnv(a, "mediastore,cloudfront"))
	inv := fn.invoke(t, scheduled("sweep-e2e-in-use"))
	wantSuccess(t, inv, handler.Sweep)
	wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1})
	got, err := cf.GetResponseHeadersPolicy(context.Background(), &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.ETag) == etag || aws.ToString(got.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Comment) != "players" {
		t.Errorf("policy after the sweep: ETag %s (was %s), config %+v", aws.ToString(got.ETag), etag, got.ResponseHeadersPolicy.ResponseHeadersPolicyConfig)
	}
	list, err := cf.ListDistributions(context.Background(), &cloudfront.ListDistributionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if l := list.DistributionList; len(l.Items) != 1 || aws.ToString(l.Items[0].DefaultCacheBehavior.ResponseHeadersPolicyId) != id ||
		l.Items[0].CacheBehaviors == nil || len(l.Items[0].CacheBehaviors.Items) != 1 || aws.ToString(l.Items[0].CacheBehaviors.Items[0].ResponseHeadersPolicyId) != id {
		t.Errorf("the distribution no longer uses the policy: %+v", l)
	}
}
