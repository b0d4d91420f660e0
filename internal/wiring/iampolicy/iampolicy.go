// Package iampolicy computes the least-privilege IAM policy document the corsguard function's
// role needs for one configuration: the action of every call the engine, the work queue, the
// findings publisher and Lambda's event source mappings make (enforce.Actions,
// workqueue.Actions, findings.Actions and their mappings' lists), each granted only for the
// targets configured and only on the resources the call touches, scoped to the account and
// Region. `corsguard iam-policy` prints it for deployments without SAM (Terraform, plain
// CloudFormation); deploy's tests hold template.yaml's inline policy equal to it.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// Scope says where the function runs and which of its queues and keys exist: what the policy's
// resources name.
type Scope struct {
	// Partition, Region and Account place the function (aws, us-east-1, 111122223333); any of
	// them may be a placeholder such as ${AWS::Region}, printed as given.
	Partition, Region, Account string
	// WorkQueueARN is the SQS FIFO work queue's ARN; empty: no queue (every invocation
	// reconciles in-process), so no SQS grant.
	WorkQueueARN string
	// SecurityHub says findings are on (CORSGUARD_SECURITY_HUB=true).
	SecurityHub bool
	// FindingsQueueARN is the findings queue's ARN, with SecurityHub; empty: the workers
	// import their own findings.
	FindingsQueueARN string
	// KMSKeyARN is the customer managed key of a SecureString baseline; empty: none.
	KMSKeyARN string
}

// Document is an IAM policy document, as IAM's JSON grammar spells it.
type Document struct {
	Version   string
	Statement []Statement
}

// Statement is one Allow statement of a Document.
type Statement struct {
	Sid       string
	Effect    string
	Action    Items
	Resource  Items
	Condition map[string]map[string]string `json:",omitempty"`
}

// Items is a statement's Action or Resource: one item is written as a string, more as a list,
// as the template writes them.
type Items []string

// MarshalJSON writes one item as a string and more as a list.
func (l Items) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]string(l))
}

// grant is one statement of the policy: the actions of one list it takes, when it is on.
type grant struct {
	sid       string
	list      string // the name of the list the actions come from, a key of lists
	takes     func(action string) bool
	on        bool
	resources []string
	condition map[string]map[string]string
}

// lists are the action lists the policy grants from, by the name errors give them.
func lists() map[string][]string {
	return map[string][]string{
		"enforce.Actions":        enforce.Actions(),
		"workqueue.Actions":      slices.Concat(workqueue.Actions(), workqueue.MappingActions()),
		"findings.OutboxActions": slices.Concat(findings.OutboxActions(), findings.QueueMappingActions()),
		"findings.Actions":       findings.Actions(),
	}
}

// New returns the policy of the function configured as e (the engine's configuration: targets,
// baseline parameters, profiles path) in s. The cloudfront target is granted only in
// config.CloudFrontRegion, where the function enforces it. An action of the lists that no
// statement grants is an error: a new call must say on which resources it is allowed.
func New(e enforce.Config, s Scope) (Document, error) {
	grants, all := grants(e, s), lists()
	if err := unplaced(grants, all); err != nil {
		return Document{}, err
	}
	doc := Document{Version: "2012-10-17"}
	for _, g := range grants {
		if !g.on {
			continue
		}
		var actions []string
		if g.list == "" {
			actions = []string{"kms:Decrypt"}
		}
		for _, a := range all[g.list] {
			if g.takes(a) && !slices.Contains(actions, a) {
				actions = append(actions, a)
			}
		}
		slices.Sort(actions)
		doc.Statement = append(doc.Statement, Statement{Sid: g.sid, Effect: "Allow", Action: actions,
			Resource: g.resources, Condition: g.condition})
	}
	return doc, nil
}

// unplaced returns an error naming an action of lists that no grant takes (on or off).
func unplaced(grants []grant, lists map[string][]string) error {
	for _, name := range slices.Sorted(maps.Keys(lists)) {
		for _, a := range lists[name] {
			if !slices.ContainsFunc(grants, func(g grant) bool { return g.list == name && g.takes(a) }) {
				return fmt.Errorf("iam policy: %s has %s, which no statement grants: say on which resources", name, a)
			}
		}
	}
	return nil
}

// targets reports which kinds the function enforces in s's Region.
func targets(e enforce.Config, s Scope) map[policy.Kind]bool {
	on := map[policy.Kind]bool{}
	for _, k := range policy.Kinds() {
		on[k] = e.Enforces(k)
	}
	on[policy.CloudFront] = on[policy.CloudFront] && s.Region == config.CloudFrontRegion
	return on
}

// grants are the policy's statements, in the template's order, each on when its target (queue,
// findings, key) is.
func grants(e enforce.Config, s Scope) []grant {
	on := targets(e, s)
	arn := func(service, region, account, resource string) string {
		return "arn:" + s.Partition + ":" + service + ":" + region + ":" + account + ":" + resource
	}
	anywhere := []string{"*"} // the calls without resource-level permissions
	return []grant{
		{"MediaStoreContainers", "enforce.Actions", except("mediastore:", "mediastore:ListContainers"), on[policy.MediaStore],
			[]string{arn("mediastore", s.Region, s.Account, "container/*")}, nil},
		{"MediaStoreList", "enforce.Actions", is("mediastore:ListContainers"), on[policy.MediaStore], anywhere, nil},
		// Bucket ARNs name no Region or account: the condition scopes them to ours.
		{"S3Buckets", "enforce.Actions", except("s3:", "s3:ListAllMyBuckets"), on[policy.S3],
			[]string{"arn:" + s.Partition + ":s3:::*"}, map[string]map[string]string{"StringEquals": {"s3:ResourceAccount": s.Account}}},
		{"S3List", "enforce.Actions", is("s3:ListAllMyBuckets"), on[policy.S3], anywhere, nil},
		{"S3TagsInBulk", "enforce.Actions", is("tag:GetResources"), on[policy.S3], anywhere, nil},
		{"WorkQueue", "workqueue.Actions", prefix("sqs:"), s.WorkQueueARN != "", []string{s.WorkQueueARN}, nil},
		// CloudFront is global: no Region in its ARNs.
		{"CloudFrontResponseHeadersPolicies", "enforce.Actions", except("cloudfront:", "cloudfront:ListResponseHeadersPolicies"), on[policy.CloudFront],
			[]string{arn("cloudfront", "", s.Account, "response-headers-policy/*")}, nil},
		{"CloudFrontList", "enforce.Actions", is("cloudfront:ListResponseHeadersPolicies"), on[policy.CloudFront], anywhere, nil},
		// An alias's URL is function:NAME:ALIAS, which function:* covers.
		{"LambdaFunctionURLs", "enforce.Actions", except("lambda:", "lambda:ListFunctions"), on[policy.LambdaURL],
			[]string{arn("lambda", s.Region, s.Account, "function:*")}, nil},
		{"LambdaList", "enforce.Actions", is("lambda:ListFunctions"), on[policy.LambdaURL], anywhere, nil},
		// API Gateway's actions are the HTTP methods of its resources: GetApis and GetApi,
		// UpdateApi, and DeleteCorsConfiguration (never DeleteApi).
		{"HttpApisRead", "enforce.Actions", is("apigateway:GET"), on[policy.HTTPAPI],
			[]string{arn("apigateway", s.Region, "", "/apis"), arn("apigateway", s.Region, "", "/apis/*")}, nil},
		{"HttpApisUpdate", "enforce.Actions", is("apigateway:PATCH"), on[policy.HTTPAPI], []string{arn("apigateway", s.Region, "", "/apis/*")}, nil},
		{"HttpApisDeleteCors", "enforce.Actions", is("apigateway:DELETE"), on[policy.HTTPAPI], []string{arn("apigateway", s.Region, "", "/apis/*/cors")}, nil},
		{"BaselineParameter", "enforce.Actions", is("ssm:GetParameter"), true, parameters(e, on, func(name string) string {
			return arn("ssm", s.Region, s.Account, "parameter"+name)
		}), nil},
		// A sweep's router lists a kind's profiles (<ProfilesPath><kind>, one level) when a
		// pattern names one or a resource may carry the profile tag, authorized on the path's
		// own ARN: only paths under the profiles path.
		{"ProfileParametersByPath", "enforce.Actions", is("ssm:GetParametersByPath"), true,
			[]string{arn("ssm", s.Region, s.Account, "parameter"+e.ProfilesPath+"*")}, nil},
		{"FindingsQueue", "findings.OutboxActions", prefix("sqs:"), s.SecurityHub && s.FindingsQueueARN != "", []string{s.FindingsQueueARN}, nil},
		{"SecurityHubImport", "findings.Actions", is("securityhub:BatchImportFindings"), s.SecurityHub,
			[]string{arn("securityhub", s.Region, s.Account, "product/"+s.Account+"/default")}, nil},
		{"SecurityHubRead", "findings.Actions", is("securityhub:GetFindings"), s.SecurityHub,
			[]string{arn("securityhub", s.Region, s.Account, "hub/default")}, nil},
		// Only for SSM decrypting a SecureString baseline on the function's behalf.
		{"BaselineKey", "", func(string) bool { return false }, s.KMSKeyARN != "", []string{s.KMSKeyARN},
			map[string]map[string]string{"StringEquals": {"kms:ViaService": "ssm." + s.Region + ".amazonaws.com"}}},
	}
}

// parameters are the ARNs (by arn, from a name with its leading /) of the baseline parameters
// the function reads: the default one, each kind's own when its target is on, and every
// profile's under the profiles path (<path><kind>/<NAME>, and nothing else under the path's
// parent). A GetParameter with a version selector (NAME:VERSION) is authorized on the
// parameter's own ARN.
func parameters(e enforce.Config, on map[policy.Kind]bool, arn func(name string) string) []string {
	names := []string{e.Parameter}
	if p := e.Kinds[policy.S3].Parameter; on[policy.S3] && p != "" {
		names = append(names, p)
	}
	if on[policy.LambdaURL] || on[policy.HTTPAPI] {
		names = append(names, e.Kinds[policy.LambdaURL].Parameter)
	}
	if p := e.Kinds[policy.CloudFront].Parameter; on[policy.CloudFront] && p != "" {
		names = append(names, p)
	}
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "/") {
			n = "/" + n
		}
		out = append(out, arn(n))
	}
	return append(out, arn(e.ProfilesPath+"*"))
}

func is(action string) func(string) bool { return func(a string) bool { return a == action } }

func prefix(service string) func(string) bool {
	return func(a string) bool { return strings.HasPrefix(a, service) }
}

// except takes the actions of service other than the one without resource-level permissions.
func except(service, unscoped string) func(string) bool {
	return func(a string) bool { return strings.HasPrefix(a, service) && a != unscoped }
}
