package deploy_test

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/deploy/cfn"
)

// The StackSets rendering of template.yaml (make stackset, deploy/stackset.py): plain
// CloudFormation whose function code sits in a bucket per Region. These tests derive what it
// must hold from template.yaml and the code, so they keep holding as template.yaml grows.
const (
	stacksetScript = "stackset.py"
	// The parameters the rendering adds for the code location (docs/organizations.md).
	codeBucketPrefix = "CodeBucketPrefix"
	codeKey          = "CodeKey"
	bucketPrefix     = "corsguard-code"
)

// python is the interpreter that runs deploy/stackset.py, as the Makefile's PYTHON.
func python() string {
	if p := os.Getenv("PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// renderStackSet runs deploy/stackset.py on template.yaml, as make stackset does, and returns
// the template it writes. Without the SAM translator it fails (never skips): make stackset
// would fail the same way.
func renderStackSet(t *testing.T) ([]byte, *cfn.Template) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stackset.yaml")
	cmd := exec.Command(python(), stacksetScript, "template", templatePath, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s template: %v\n%s", stacksetScript, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Parse(data)
	if err != nil {
		t.Fatalf("the rendered template: %v", err)
	}
	return data, tpl
}

// references adds to env a made-up value for every resource and attribute a template refers to
// that env does not give yet, so that whole resources evaluate; the values the checks compare
// against come from evaluator's Env.
func references(env cfn.Env, tpls ...*cfn.Template) cfn.Env {
	env.Refs = maps.Clone(env.Refs)
	env.GetAtts = maps.Clone(env.GetAtts)
	getAtt := func(id, attr string) {
		if _, ok := env.GetAtts[id+"."+attr]; !ok {
			env.GetAtts[id+"."+attr] = "getatt:" + id + "." + attr
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if a, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 && len(a) == 2 {
				id, _ := a[0].(string)
				attr, _ := a[1].(string)
				getAtt(id, attr)
			}
			if s, ok := x["Fn::Sub"]; ok && len(x) == 1 {
				text, _ := s.(string)
				if l, ok := s.([]any); ok && len(l) > 0 {
					text, _ = l[0].(string)
				}
				for _, part := range strings.Split(text, "${")[1:] {
					name, _, _ := strings.Cut(part, "}")
					if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") && !strings.HasPrefix(name, "!") {
						getAtt(id, attr)
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, tpl := range tpls {
		for id := range tpl.Section("Resources") {
			if _, ok := env.Refs[id]; !ok {
				env.Refs[id] = "ref:" + id
			}
		}
		walk(tpl.Root)
	}
	return env
}

// evaluators returns evaluators of template.yaml and of its rendering under the same values:
// evaluator's, the code location, and made-up values for the other references.
func evaluators(t *testing.T, sam, stack *cfn.Template, partition string, params map[string]string) (samEv, stackEv *cfn.Evaluator) {
	t.Helper()
	env := references(evaluator(t, sam, partition, params).Env(), sam, stack)
	samEv, err := cfn.NewEvaluator(sam, env)
	if err != nil {
		t.Fatal(err)
	}
	env.Parameters = maps.Clone(env.Parameters)
	if env.Parameters == nil {
		env.Parameters = map[string]string{}
	}
	env.Parameters[codeBucketPrefix] = bucketPrefix
	stackEv, err = cfn.NewEvaluator(stack, env)
	if err != nil {
		t.Fatal(err)
	}
	return samEv, stackEv
}

// serverless reports whether a resource type is one the SAM transform expands.
func serverless(typ any) bool {
	s, _ := typ.(string)
	return strings.HasPrefix(s, "AWS::Serverless::")
}

// samOnly are AWS::Serverless::Function properties that AWS::Lambda::Function does not have:
// the transform turns them into other resources (checked apart) or drops them.
var samOnly = map[string]bool{
	"CodeUri": true, "InlineCode": true, "Policies": true, "Events": true, "EventInvokeConfig": true,
	"Tags": true, "PropagateTags": true, "AutoPublishAlias": true, "AutoPublishCodeSha256": true,
	"AutoPublishAliasAllProperties": true, "DeploymentPreference": true, "DeadLetterQueue": true,
	"FunctionUrlConfig": true, "ProvisionedConcurrencyConfig": true, "RolePath": true,
	"PermissionsBoundary": true, "AssumeRolePolicyDocument": true, "VersionDescription": true,
	"VersionDeletionPolicy": true,
}

func TestTheStackSetTemplate(t *testing.T) {
	sam := readTemplate(t)
	_, stack := renderStackSet(t)
	samEv, stackEv := evaluators(t, sam, stack, "aws", nil)
	samResources := sam.Section("Resources")
	stackResources := stack.Section("Resources")

	t.Run("has no Transform and no SAM resource types", func(t *testing.T) {
		for _, k := range []string{"Transform", "Globals"} {
			if v, ok := stack.Root[k]; ok {
				t.Errorf("%s: %v; StackSets with service-managed permissions refuse macros", k, v)
			}
		}
		for id, r := range stackResources {
			if typ := r.(map[string]any)["Type"]; serverless(typ) {
				t.Errorf("%s is %v", id, typ)
			}
		}
	})

	t.Run("has template.yaml's parameters plus the code location", func(t *testing.T) {
		want := maps.Clone(sam.Section("Parameters"))
		got := maps.Clone(stack.Section("Parameters"))
		for _, name := range []string{codeBucketPrefix, codeKey} {
			p, ok := got[name].(map[string]any)
			if !ok {
				t.Errorf("no parameter %s", name)
				continue
			}
			if d, _ := p["Description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("parameter %s has no Description", name)
			}
			delete(got, name)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("parameters (-template.yaml +stackset, code location left out):\n%s", diff)
		}
		// The prefix has no default: a Region's bucket name is the operator's to give.
		if _, ok := stack.Section("Parameters")[codeBucketPrefix].(map[string]any)["Default"]; ok {
			t.Errorf("%s has a Default", codeBucketPrefix)
		}
	})

	t.Run("has template.yaml's conditions", func(t *testing.T) {
		if diff := cmp.Diff(sam.Section("Conditions"), stack.Section("Conditions")); diff != "" {
			t.Errorf("conditions (-template.yaml +stackset):\n%s", diff)
		}
	})

	t.Run("has template.yaml's outputs", func(t *testing.T) {
		want := eval(t, samEv, sam.Root["Outputs"])
		if diff := cmp.Diff(want, eval(t, stackEv, stack.Root["Outputs"])); diff != "" {
			t.Errorf("evaluated outputs (-template.yaml +stackset):\n%s", diff)
		}
	})

	t.Run("writes no literal partition", func(t *testing.T) {
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					walk(path+"."+k, e)
				}
			case []any:
				for i, e := range x {
					walk(path+"["+strconv.Itoa(i)+"]", e)
				}
			case string:
				if strings.Contains(x, "arn:aws:") {
					t.Errorf("%s = %q: want arn:${AWS::Partition}:", path, x)
				}
			}
		}
		walk("Resources", stackResources)
		walk("Outputs", stack.Root["Outputs"])
	})

	// Each resource template.yaml declares itself is there as declared: same type, same
	// attributes, same properties once evaluated, in another partition too.
	t.Run("keeps template.yaml's CloudFormation resources as they are", func(t *testing.T) {
		samCN, stackCN := evaluators(t, sam, stack, "aws-cn", nil)
		for _, id := range slices.Sorted(maps.Keys(samResources)) {
			r := samResources[id].(map[string]any)
			if serverless(r["Type"]) {
				continue
			}
			got, ok := stackResources[id].(map[string]any)
			if !ok {
				t.Errorf("no resource %s", id)
				continue
			}
			for _, k := range []string{"Type", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy"} {
				if diff := cmp.Diff(r[k], got[k]); diff != "" {
					t.Errorf("%s %s (-template.yaml +stackset):\n%s", id, k, diff)
				}
			}
			for _, ev := range []struct{ sam, stack *cfn.Evaluator }{{samEv, stackEv}, {samCN, stackCN}} {
				if diff := cmp.Diff(eval(t, ev.sam, r["Properties"]), eval(t, ev.stack, got["Properties"])); diff != "" {
					t.Errorf("%s evaluated properties (-template.yaml +stackset):\n%s", id, diff)
				}
			}
		}
	})

	// Everything else is the expansion of template.yaml's serverless resources, named after them.
	t.Run("adds only what SAM expands", func(t *testing.T) {
		for id := range stackResources {
			if _, ok := samResources[id]; ok {
				continue
			}
			from := ""
			for samID, r := range samResources {
				if serverless(r.(map[string]any)["Type"]) && strings.HasPrefix(id, samID) {
					from = samID
				}
			}
			if from == "" {
				t.Errorf("%s is in neither template.yaml nor the expansion of one of its serverless resources", id)
			}
		}
	})

	for _, id := range slices.Sorted(maps.Keys(samResources)) {
		if samResources[id].(map[string]any)["Type"] != "AWS::Serverless::Function" {
			continue
		}
		t.Run("expands function "+id, func(t *testing.T) {
			checkFunction(t, sam, stack, id)
		})
	}
}

// checkFunction holds the expansion of the SAM function id to the function's own properties:
// the Lambda function, its code location, its event rules, its role.
func checkFunction(t *testing.T, sam, stack *cfn.Template, id string) {
	samEv, stackEv := evaluators(t, sam, stack, "aws", nil)
	samProps := sam.Resource(id)["Properties"].(map[string]any)
	fn := stack.Resource(id)
	if fn == nil || fn["Type"] != "AWS::Lambda::Function" {
		t.Fatalf("%s: %v, want an AWS::Lambda::Function", id, fn)
	}
	props := eval(t, stackEv, fn["Properties"]).(map[string]any)

	t.Run("with the same properties", func(t *testing.T) {
		for k, v := range samProps {
			if samOnly[k] {
				continue
			}
			if diff := cmp.Diff(eval(t, samEv, v), props[k]); diff != "" {
				t.Errorf("%s (-template.yaml +stackset):\n%s", k, diff)
			}
		}
	})

	t.Run("with its code in the Region's bucket", func(t *testing.T) {
		def := stack.Section("Parameters")[codeKey].(map[string]any)["Default"]
		want := map[string]any{"S3Bucket": bucketPrefix + "-" + region, "S3Key": def}
		if diff := cmp.Diff(want, props["Code"]); diff != "" {
			t.Errorf("Code (-want +got):\n%s", diff)
		}
		role := eval(t, stackEv, map[string]any{"Fn::GetAtt": []any{id + "Role", "Arn"}})
		if props["Role"] != role {
			t.Errorf("Role = %v, want the role the expansion makes (%v)", props["Role"], role)
		}
	})

	t.Run("with a rule per event source", func(t *testing.T) {
		evs, _ := samProps["Events"].(map[string]any)
		fnARN := eval(t, stackEv, map[string]any{"Fn::GetAtt": []any{id, "Arn"}})
		for _, name := range slices.Sorted(maps.Keys(evs)) {
			src := evs[name].(map[string]any)
			p, _ := src["Properties"].(map[string]any)
			ruleID := id + name
			rule := stack.Resource(ruleID)
			var field, from string
			switch src["Type"] {
			case "EventBridgeRule":
				field, from = "EventPattern", "Pattern"
			case "Schedule":
				field, from = "ScheduleExpression", "Schedule"
			default:
				if rule == nil && !slices.ContainsFunc(slices.Collect(maps.Keys(stack.Section("Resources"))), func(s string) bool { return strings.HasPrefix(s, ruleID) }) {
					t.Errorf("event source %s (%v) expands to nothing", name, src["Type"])
				}
				continue
			}
			if rule == nil || rule["Type"] != "AWS::Events::Rule" {
				t.Errorf("event source %s: no AWS::Events::Rule %s", name, ruleID)
				continue
			}
			rp := eval(t, stackEv, rule["Properties"]).(map[string]any)
			if diff := cmp.Diff(eval(t, samEv, p[from]), rp[field]); diff != "" {
				t.Errorf("%s %s (-template.yaml +stackset):\n%s", ruleID, field, diff)
			}
			targets, _ := rp["Targets"].([]any)
			if len(targets) != 1 {
				t.Errorf("%s has %d targets, want the function alone", ruleID, len(targets))
				continue
			}
			target := targets[0].(map[string]any)
			if target["Arn"] != fnARN {
				t.Errorf("%s target = %v, want %v", ruleID, target["Arn"], fnARN)
			}
			for _, k := range []string{"RetryPolicy", "DeadLetterConfig", "Input", "InputPath"} {
				var want any
				if v, ok := p[k]; ok {
					want = eval(t, samEv, v)
				}
				if diff := cmp.Diff(want, target[k]); diff != "" {
					t.Errorf("%s target %s (-template.yaml +stackset):\n%s", ruleID, k, diff)
				}
			}
			perm := stack.Resource(ruleID + "Permission")
			if perm == nil {
				t.Errorf("%s: no AWS::Lambda::Permission lets the rule invoke the function", ruleID)
				continue
			}
			pp := eval(t, stackEv, perm["Properties"]).(map[string]any)
			want := map[string]any{
				"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com",
				"FunctionName": eval(t, stackEv, map[string]any{"Ref": id}),
				"SourceArn":    eval(t, stackEv, map[string]any{"Fn::GetAtt": []any{ruleID, "Arn"}}),
			}
			if diff := cmp.Diff(want, pp); diff != "" {
				t.Errorf("%sPermission (-want +got):\n%s", ruleID, diff)
			}
		}
	})

	if id != function {
		return // the IAM checks below are written for template.yaml's function
	}
	t.Run("with the IAM of template.yaml", func(t *testing.T) {
		for _, tt := range policyCases() {
			t.Run(tt.name, func(t *testing.T) {
				_, stackEv := evaluators(t, sam, stack, tt.partition, tt.params)
				samEv := evaluator(t, sam, tt.partition, tt.params)
				checkRole(t, sam, stack, samEv, stackEv, tt)
			})
		}
	})
}

// checkRole holds the expanded function's role to what template.yaml grants (the engine's calls,
// as TestThePolicyGrantsExactlyTheCallsTheEngineMakes checks) and to what SAM adds by itself:
// the basic execution managed policy (logs) and the on-failure destination.
func checkRole(t *testing.T, sam, stack *cfn.Template, samEv, stackEv *cfn.Evaluator, tt policyCase) {
	t.Helper()
	role := stack.Resource(function + "Role")
	if role == nil || role["Type"] != "AWS::IAM::Role" {
		t.Fatalf("%sRole: %v, want an AWS::IAM::Role", function, role)
	}
	p := eval(t, stackEv, role["Properties"]).(map[string]any)

	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Action": []any{"sts:AssumeRole"}, "Effect": "Allow",
		"Principal": map[string]any{"Service": []any{"lambda.amazonaws.com"}},
	}}}
	if diff := cmp.Diff(trust, p["AssumeRolePolicyDocument"]); diff != "" {
		t.Errorf("AssumeRolePolicyDocument (-want +got):\n%s", diff)
	}
	managed := []any{"arn:" + tt.partition + ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
	if diff := cmp.Diff(managed, p["ManagedPolicyArns"]); diff != "" {
		t.Errorf("ManagedPolicyArns (-want +got):\n%s", diff)
	}
	for k := range p {
		if k != "AssumeRolePolicyDocument" && k != "ManagedPolicyArns" && k != "Policies" && k != "Tags" {
			t.Errorf("the role sets %s", k)
		}
	}

	// template.yaml's own policy: exactly the engine's calls.
	want := wantGrants(t, tt)
	if diff := cmp.Diff(want, grants(t, sam, samEv)); diff != "" {
		t.Errorf("template.yaml grants (-want +got):\n%s", diff)
	}
	// SAM's additions: sqs:SendMessage or sns:Publish on each destination of EventInvokeConfig.
	extra := map[string][]string{}
	cfg, _ := props(t, sam, function)["EventInvokeConfig"].(map[string]any)
	if dc, ok := cfg["DestinationConfig"]; ok {
		for _, d := range eval(t, samEv, dc).(map[string]any) {
			d := d.(map[string]any)
			switch d["Type"] {
			case "SQS":
				extra["sqs:SendMessage"] = append(extra["sqs:SendMessage"], d["Destination"].(string))
			case "SNS":
				extra["sns:Publish"] = append(extra["sns:Publish"], d["Destination"].(string))
			default:
				t.Fatalf("EventInvokeConfig destination %v: say here what SAM grants for it", d["Type"])
			}
		}
	}
	for a, rs := range extra {
		want[a] = slices.Sorted(slices.Values(append(want[a], rs...)))
	}

	got := map[string][]string{}
	policies, _ := p["Policies"].([]any)
	for _, pol := range policies {
		doc, _ := pol.(map[string]any)["PolicyDocument"].(map[string]any)
		for a, rs := range docGrants(t, doc) {
			got[a] = slices.Sorted(slices.Values(append(got[a], rs...)))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the role grants (-template.yaml and SAM's additions +stackset):\n%s", diff)
	}
}

// TestMakeStackSetWritesTheTemplateAndAReproducibleZip runs the target itself, twice, into a
// temporary directory: the two files it writes, the same bytes each time.
func TestMakeStackSetWritesTheTemplateAndAReproducibleZip(t *testing.T) {
	var runs [2]map[string][]byte
	for i := range runs {
		dir := t.TempDir()
		cmd := exec.Command("make", "--no-print-directory", "-C", "..", "stackset", "DIST="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make stackset: %v\n%s", err, out)
		}
		runs[i] = map[string][]byte{}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			runs[i][e.Name()] = data
		}
	}
	if diff := cmp.Diff([]string{"corsguard-lambda.zip", "stackset.yaml"}, slices.Sorted(maps.Keys(runs[0]))); diff != "" {
		t.Fatalf("make stackset writes (-want +got):\n%s", diff)
	}
	for name, data := range runs[0] {
		if !bytes.Equal(data, runs[1][name]) {
			t.Errorf("%s differs between two runs of make stackset", name)
		}
	}
	rendered, _ := renderStackSet(t)
	if !bytes.Equal(rendered, runs[0]["stackset.yaml"]) {
		t.Error("make stackset's stackset.yaml is not what deploy/stackset.py renders from template.yaml")
	}

	zipped := runs[0]["corsguard-lambda.zip"]
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("the zip holds %v, want bootstrap alone", zr.File)
	}
	f := zr.File[0]
	if m := f.Mode(); m != 0o755 {
		t.Errorf("bootstrap mode %v, want -rwxr-xr-x (provided.al2023 runs it)", m)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	bin, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF file: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap is for %v, want EM_AARCH64 (the template's Architectures: arm64)", ef.Machine)
	}
}

// renderSAM runs deploy/stackset.py on a SAM template given as text.
func renderSAM(t *testing.T, sam string) (*cfn.Template, string, error) {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "template.yaml"), filepath.Join(dir, "stackset.yaml")
	if err := os.WriteFile(in, []byte(sam), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(python(), stacksetScript, "template", in, out).CombinedOutput()
	if err != nil {
		return nil, string(msg), err
	}
	tpl, err := cfn.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return tpl, string(msg), nil
}

const samFunction = `
  EnforcerFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: makefile
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
`

func TestTheStackSetScriptTurnsLiteralARNsIntoThePartition(t *testing.T) {
	tpl, msg, err := renderSAM(t, `Transform: AWS::Serverless-2016-10-31
Resources:`+samFunction+`
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: t
      Tags:
        - Key: literal
          Value: arn:aws:sns:us-east-1:111122223333:t-${NotAVariable}
        - Key: sub
          Value: !Sub arn:aws:sns:${AWS::Region}:${AWS::AccountId}:t
        - Key: subList
          Value: !Sub ["arn:aws:sns:${AWS::Region}:${AWS::AccountId}:${N}", {N: !Sub "arn:aws:s3:::${AWS::StackName}"}]
        - Key: other
          Value: arn:aws-cn:sns:cn-north-1:111122223333:t
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	tags := tpl.Resource("Topic")["Properties"].(map[string]any)["Tags"].([]any)
	got := map[string]any{}
	for _, tag := range tags {
		got[tag.(map[string]any)["Key"].(string)] = tag.(map[string]any)["Value"]
	}
	want := map[string]any{
		"literal": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sns:us-east-1:111122223333:t-${!NotAVariable}"},
		"sub":     map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:t"},
		"subList": map[string]any{"Fn::Sub": []any{"arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${N}",
			map[string]any{"N": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::StackName}"}}}},
		"other": "arn:aws-cn:sns:cn-north-1:111122223333:t",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if _, ok := tpl.Resource(function)["Metadata"]; ok {
		t.Errorf("%s keeps sam build's Metadata: %v", function, tpl.Resource(function)["Metadata"])
	}
}

func TestTheStackSetScriptRefusesWhatItCannotRender(t *testing.T) {
	for _, tt := range []struct {
		name, sam, says string
	}{
		{"a second function built from the repository",
			"Transform: AWS::Serverless-2016-10-31\nResources:" + samFunction + strings.ReplaceAll(samFunction, "EnforcerFunction", "OtherFunction"),
			"OtherFunction has a local CodeUri"},
		{"a parameter named as the code location",
			"Transform: AWS::Serverless-2016-10-31\nParameters:\n  CodeKey:\n    Type: String\nResources:" + samFunction,
			"already has a parameter CodeKey"},
		{"no function to take the code",
			"Transform: AWS::Serverless-2016-10-31\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n",
			"no AWS::Serverless::Function EnforcerFunction"},
		{"a template the translator refuses",
			"Transform: AWS::Serverless-2016-10-31\nResources:" + samFunction + "      Events:\n        E:\n          Type: NoSuchEvent\n",
			"the SAM translator refuses the template"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, msg, err := renderSAM(t, tt.sam)
			if err == nil {
				t.Fatalf("rendered; want a refusal saying %q", tt.says)
			}
			if !strings.Contains(msg, tt.says) {
				t.Errorf("refusal %q does not say %q", msg, tt.says)
			}
		})
	}
}
