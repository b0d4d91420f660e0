package main

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

// printedPolicy runs iam-policy with args and decodes what it prints.
func printedPolicy(t *testing.T, args ...string) (doc map[string]any, stderr string) {
	t.Helper()
	r := corsguard(t, "", append([]string{"iam-policy"}, args...)...)
	if r.code != exitOK {
		t.Fatalf("iam-policy %v: exit %d\n%s", args, r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("iam-policy %v printed no JSON document: %v\n%s", args, err, r.stdout)
	}
	return doc, r.stderr
}

// statements returns a policy's statements by Sid, and the Sids in order.
func statements(t *testing.T, doc map[string]any) (map[string]map[string]any, []string) {
	t.Helper()
	out := map[string]map[string]any{}
	var sids []string
	list, _ := doc["Statement"].([]any)
	for _, s := range list {
		st := s.(map[string]any)
		sid, _ := st["Sid"].(string)
		out[sid] = st
		sids = append(sids, sid)
	}
	return out, sids
}

// validIAM holds a printed policy, its placeholders replaced as CloudFormation's Fn::Sub
// would, to IAM's grammar as moto's IAM validator (the checks of CreatePolicy and
// PutRolePolicy) applies it, and to IAM's 10,240-character quota of a role's inline policies
// (whitespace not counted).
func validIAM(t *testing.T, doc map[string]any) {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(strings.NewReplacer(partitionPlaceholder, "aws", regionPlaceholder, "eu-west-1", accountPlaceholder, "111122223333",
		workQueuePlaceholder, "arn:aws:sqs:eu-west-1:111122223333:w.fifo", findingsQueuePlaceholder, "arn:aws:sqs:eu-west-1:111122223333:f").Replace(string(raw)))
	if n := len(strings.Join(strings.Fields(string(b)), "")); n > 10240 {
		t.Errorf("the policy has %d characters without whitespace; IAM allows a role 10,240 of inline policy", n)
	}
	cmd := exec.Command(awsref.Python(t), "-c", `import sys
from moto.iam.policy_validation import IAMPolicyDocumentValidator
IAMPolicyDocumentValidator(sys.stdin.read()).validate()`)
	cmd.Stdin = strings.NewReader(string(b))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("moto's IAM validator refuses the policy: %v\n%s\n%s", err, out, b)
	}
}

func TestIAMPolicyGrantsEachConfiguredTargetOnItsOwnResources(t *testing.T) {
	const queue = "arn:aws:sqs:eu-west-1:111122223333:corsguard-work.fifo"
	doc, _ := printedPolicy(t, "--target", "s3", "--account", "111122223333", "--region", "eu-west-1", "--partition", "aws",
		"--work-queue-arn", queue, "--s3-baseline-parameter", "s3-baseline", "--profiles-path", "/org/profiles/")
	validIAM(t, doc)
	st, sids := statements(t, doc)
	if diff := cmp.Diff([]string{"S3Buckets", "S3List", "S3TagsInBulk", "WorkQueue", "BaselineParameter", "ProfileParametersByPath"}, sids); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	want := map[string]any{"Sid": "S3Buckets", "Effect": "Allow",
		"Action":    []any{"s3:GetBucketCORS", "s3:GetBucketTagging", "s3:PutBucketCORS"},
		"Resource":  "arn:aws:s3:::*",
		"Condition": map[string]any{"StringEquals": map[string]any{"s3:ResourceAccount": "111122223333"}}}
	if diff := cmp.Diff(want, st["S3Buckets"]); diff != "" {
		t.Errorf("S3Buckets (-want +got):\n%s", diff)
	}
	if got := st["WorkQueue"]["Resource"]; got != queue {
		t.Errorf("WorkQueue's Resource = %v, want %s only", got, queue)
	}
	wantParams := []any{"arn:aws:ssm:eu-west-1:111122223333:parameter/corsguard/baseline",
		"arn:aws:ssm:eu-west-1:111122223333:parameter/s3-baseline", "arn:aws:ssm:eu-west-1:111122223333:parameter/org/profiles/*"}
	if diff := cmp.Diff(wantParams, st["BaselineParameter"]["Resource"]); diff != "" {
		t.Errorf("BaselineParameter's Resource (-want +got):\n%s", diff)
	}
}

// Without values the scope is printed as CloudFormation's placeholders (Fn::Sub syntax), and
// the targets are the function's default.
func TestIAMPolicyPrintsPlaceholdersForWhatIsNotGiven(t *testing.T) {
	doc, _ := printedPolicy(t)
	validIAM(t, doc)
	st, sids := statements(t, doc)
	if diff := cmp.Diff([]string{"MediaStoreContainers", "MediaStoreList", "WorkQueue", "BaselineParameter", "ProfileParametersByPath"}, sids); diff != "" {
		t.Errorf("statements of the default target (-want +got):\n%s", diff)
	}
	if got, want := st["MediaStoreContainers"]["Resource"], "arn:${AWS::Partition}:mediastore:${AWS::Region}:${AWS::AccountId}:container/*"; got != want {
		t.Errorf("MediaStoreContainers' Resource = %v, want %s", got, want)
	}
	if got := st["WorkQueue"]["Resource"]; got != "${WorkQueueArn}" {
		t.Errorf("WorkQueue's Resource = %v, want ${WorkQueueArn}", got)
	}
}

// CloudFront is granted only to the function in us-east-1, which alone enforces it; elsewhere
// the command says it left it out.
func TestIAMPolicyGrantsCloudFrontOnlyInUSEast1(t *testing.T) {
	for _, tc := range []struct {
		region string
		want   bool
	}{{"us-east-1", true}, {"eu-west-1", false}, {regionPlaceholder, false}} {
		t.Run(tc.region, func(t *testing.T) {
			doc, stderr := printedPolicy(t, "--target", "s3,cloudfront", "--region", tc.region)
			_, sids := statements(t, doc)
			if got := slices.Contains(sids, "CloudFrontResponseHeadersPolicies") && slices.Contains(sids, "CloudFrontList"); got != tc.want {
				t.Errorf("CloudFront granted = %v, want %v: %v", got, tc.want, sids)
			}
			if said := strings.Contains(stderr, "cloudfront left out"); said == tc.want {
				t.Errorf("stderr %q: want a note exactly when cloudfront is left out", stderr)
			}
		})
	}
}

func TestIAMPolicyFollowsTheQueueSecurityHubAndKey(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	every := []string{"--region", "us-east-1", "--account", "111122223333", "--partition", "aws"}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"every target, findings through the findings queue, a key",
			[]string{"--target", "all,cloudfront,lambda-url,http-api", "--security-hub", "--kms-key-arn", key, "--work-queue-arn", "arn:aws:sqs:us-east-1:111122223333:w.fifo",
				"--findings-queue-arn", "arn:aws:sqs:us-east-1:111122223333:f"},
			[]string{"MediaStoreContainers", "MediaStoreList", "S3Buckets", "S3List", "S3TagsInBulk", "WorkQueue",
				"CloudFrontResponseHeadersPolicies", "CloudFrontList", "LambdaFunctionURLs", "LambdaList", "HttpApisRead",
				"HttpApisUpdate", "HttpApisDeleteCors", "BaselineParameter", "ProfileParametersByPath", "FindingsQueue", "SecurityHubImport", "SecurityHubRead", "BaselineKey"}},
		{"findings without a findings queue", []string{"--security-hub", "--findings-queue-arn", "", "--target", "s3"},
			[]string{"S3Buckets", "S3List", "S3TagsInBulk", "WorkQueue", "BaselineParameter", "ProfileParametersByPath", "SecurityHubImport", "SecurityHubRead"}},
		{"no work queue", []string{"--queue=false", "--security-hub", "--target", "http-api"},
			[]string{"HttpApisRead", "HttpApisUpdate", "HttpApisDeleteCors", "BaselineParameter", "ProfileParametersByPath", "SecurityHubImport", "SecurityHubRead"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := printedPolicy(t, append(slices.Clone(every), tc.args...)...)
			validIAM(t, doc)
			st, sids := statements(t, doc)
			if diff := cmp.Diff(tc.want, sids); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
			if k, ok := st["BaselineKey"]; ok {
				want := map[string]any{"StringEquals": map[string]any{"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}
				if diff := cmp.Diff(want, k["Condition"]); diff != "" || k["Resource"] != key {
					t.Errorf("BaselineKey = %v: want kms:Decrypt on %s through SSM only", k, key)
				}
			}
		})
	}
}

// Bad input gets a clear error naming its flag, and prints no policy.
func TestIAMPolicyRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--account", "1234"}, "--account"},
		{[]string{"--region", "Europe"}, "--region"},
		{[]string{"--partition", "amazon"}, "--partition"},
		{[]string{"--work-queue-arn", "arn:aws:sqs:us-east-1:111122223333:work"}, "FIFO"},
		{[]string{"--security-hub", "--findings-queue-arn", "arn:aws:sqs:us-east-1:111122223333:f.fifo"}, "standard"},
		{[]string{"--findings-queue-arn", "arn:aws:sqs:us-east-1:111122223333:f"}, "without --security-hub"},
		{[]string{"--queue=false", "--work-queue-arn", "arn:aws:sqs:us-east-1:111122223333:w.fifo"}, "--queue=false"},
		{[]string{"--work-queue-arn", ""}, "--queue=false"},
		{[]string{"--kms-key-arn", "alias/aws/ssm"}, "--kms-key-arn"},
		{[]string{"--target", "dynamodb"}, "--target"},
		{[]string{"--s3-baseline-parameter", "/x"}, "which --target does not name"},
		{[]string{"--baseline-parameter", "no spaces"}, "--baseline-parameter"},
		{[]string{"--profiles-path", "profiles"}, "--profiles-path"},
		{[]string{"extra"}, "unknown command"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := corsguard(t, "", append([]string{"iam-policy"}, tc.args...)...)
			if r.code != exitError || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q: want exit 1, nothing printed, an error saying %q", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
}

// A deployment without the template creates the work queue itself: the help says the least
// maxReceiveCount the busy waits need (121: 10 minutes at one receive per 5 s, and the first).
func TestIAMPolicyHelpSaysWhatTheWorkQueueNeeds(t *testing.T) {
	r := corsguard(t, "", "iam-policy", "--help")
	if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), "maxReceiveCount is at least 121") {
		t.Errorf("iam-policy --help does not give the work queue's least maxReceiveCount:\n%s", r.stdout)
	}
}
