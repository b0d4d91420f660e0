package cfn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `
Parameters:
  Name:
    Type: String
    Default: /app/config
    AllowedPattern: "^[a-zA-Z0-9_./-]+$"
  Key:
    Type: String
    Default: ""
  Count:
    Type: Number
    Default: 4
    MinValue: 1
    MaxValue: 10
  Mode:
    Type: String
    Default: audit
    AllowedValues: [audit, enforce]
  Names:
    Type: CommaDelimitedList
    Default: "a, b"
Conditions:
  HasKey: !Not [!Equals [!Ref Key, ""]]
  Slash: !Equals ["", !Select [0, !Split ["/", !Ref Name]]]
  Both: !And [!Condition HasKey, !Condition Slash]
  Either: !Or [{Condition: HasKey}, !Condition Slash]
  CountIsFour: !Equals [!Ref Count, 4]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Arn: !GetAtt Queue.Arn
      ArnLong: {"Fn::GetAtt": [Queue, Arn]}
      Sub: !Sub arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}
      SubVars: !Sub
        - "${Q}/${Queue.Arn}/${!Literal}"
        - Q: !Ref Queue
      Role: !Ref Role
      Maybe: !If [HasKey, !Ref Key, !Ref AWS::NoValue]
      List:
        - one
        - !If [HasKey, two, !Ref AWS::NoValue]
      Joined: !Join ["-", [!Ref Mode, !Select [1, !Ref Names]]]
      Anchor: &a {x: 1}
      Alias: *a
      Date: 2010-09-09
  Queue:
    Type: AWS::SQS::Queue
`

func env(params map[string]string) Env {
	return Env{
		Partition: "aws", Region: "eu-west-1", AccountID: "111122223333", StackName: "s",
		Parameters: params,
		Refs:       map[string]string{"Queue": "https://sqs/q", "Role": "role-name"},
		GetAtts:    map[string]string{"Queue.Arn": "arn:aws:sqs:eu-west-1:111122223333:q"},
	}
}

func TestParseTurnsShortFormsIntoLongForms(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	props := tpl.Resource("Fn")["Properties"].(map[string]any)
	want := map[string]any{
		"Arn":     map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}},
		"ArnLong": map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}},
		"Role":    map[string]any{"Ref": "Role"},
		"Maybe":   map[string]any{"Fn::If": []any{"HasKey", map[string]any{"Ref": "Key"}, map[string]any{"Ref": "AWS::NoValue"}}},
		"Alias":   map[string]any{"x": 1},
		"Date":    "2010-09-09",
	}
	for k, w := range want {
		if diff := cmp.Diff(w, props[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	cond := tpl.Section("Conditions")["Both"]
	wantCond := map[string]any{"Fn::And": []any{map[string]any{"Condition": "HasKey"}, map[string]any{"Condition": "Slash"}}}
	if diff := cmp.Diff(wantCond, cond); diff != "" {
		t.Errorf("Both (-want +got):\n%s", diff)
	}
}

func TestParseRejectsWhatCloudFormationWouldNot(t *testing.T) {
	for name, doc := range map[string]string{
		"an unknown tag":         "A: !Bogus x\n",
		"a duplicate key":        "A: 1\nA: 2\n",
		"a GetAtt without a dot": "A: !GetAtt Queue\n",
		"a merge key":            "B: &b {x: 1}\nA:\n  <<: *b\n",
		"a list at the top":      "- a\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(doc)); err == nil {
				t.Errorf("Parse(%q) = nil error", doc)
			}
		})
	}
}

func TestEvalResolvesIntrinsics(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		params map[string]string
		want   map[string]any
	}{
		{"defaults", nil, map[string]any{
			"Arn":     "arn:aws:sqs:eu-west-1:111122223333:q",
			"ArnLong": "arn:aws:sqs:eu-west-1:111122223333:q",
			"Sub":     "arn:aws:ssm:eu-west-1:111122223333:parameter/app/config",
			"SubVars": "https://sqs/q/arn:aws:sqs:eu-west-1:111122223333:q/${Literal}",
			"Role":    "role-name",
			"List":    []any{"one"},
			"Joined":  "audit-b",
			"Anchor":  map[string]any{"x": 1},
			"Alias":   map[string]any{"x": 1},
			"Date":    "2010-09-09",
		}},
		{"a key given", map[string]string{"Key": "k", "Mode": "enforce"}, map[string]any{
			"Arn":     "arn:aws:sqs:eu-west-1:111122223333:q",
			"ArnLong": "arn:aws:sqs:eu-west-1:111122223333:q",
			"Sub":     "arn:aws:ssm:eu-west-1:111122223333:parameter/app/config",
			"SubVars": "https://sqs/q/arn:aws:sqs:eu-west-1:111122223333:q/${Literal}",
			"Role":    "role-name",
			"Maybe":   "k",
			"List":    []any{"one", "two"},
			"Joined":  "enforce-b",
			"Anchor":  map[string]any{"x": 1},
			"Alias":   map[string]any{"x": 1},
			"Date":    "2010-09-09",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := NewEvaluator(tpl, env(tt.params))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ev.Eval(tpl.Resource("Fn")["Properties"])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		params map[string]string
		want   map[string]bool
	}{
		{nil, map[string]bool{"HasKey": false, "Slash": true, "Both": false, "Either": true, "CountIsFour": true}},
		{map[string]string{"Key": "k", "Name": "flat", "Count": "5"},
			map[string]bool{"HasKey": true, "Slash": false, "Both": false, "Either": true, "CountIsFour": false}},
		{map[string]string{"Key": "k"}, map[string]bool{"HasKey": true, "Slash": true, "Both": true, "Either": true}},
		{map[string]string{"Name": "flat"}, map[string]bool{"HasKey": false, "Slash": false, "Either": false}},
	}
	for _, tt := range tests {
		ev, err := NewEvaluator(tpl, env(tt.params))
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range tt.want {
			got, err := ev.Condition(name)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("with %v: %s = %v, want %v", tt.params, name, got, want)
			}
		}
	}
}

func TestNewEvaluatorChecksParameterConstraints(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, params := range []map[string]string{
		{"Mode": "repair"},
		{"Count": "11"},
		{"Count": "0"},
		{"Count": "four"},
		{"Name": "has space"},
		{"Undeclared": "x"},
	} {
		if _, err := NewEvaluator(tpl, env(params)); err == nil {
			t.Errorf("NewEvaluator with %v = nil error", params)
		}
	}
}

func TestEvalReportsWhatItCannotResolve(t *testing.T) {
	tpl, err := Parse([]byte(sample + `
  Other:
    Type: AWS::SNS::Topic
    Properties:
      A: !Ref Other
      B: !GetAtt Other.TopicName
      C: !Sub "${Nope}"
      D: !Base64 x
      E: !If [Missing, a, b]
      F: !Sub "${Other.TopicArn"
      G: !Ref NotDeclared
`))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewEvaluator(tpl, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	props := tpl.Resource("Other")["Properties"].(map[string]any)
	for _, k := range []string{"A", "B", "C", "D", "E", "F", "G"} {
		if v, err := ev.Eval(props[k]); err == nil {
			t.Errorf("Eval(%s: %v) = %v, nil error", k, props[k], v)
		}
	}
}

func TestEnvReturnsACopyOfWhatTheEvaluatorWasMadeWith(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewEvaluator(tpl, env(map[string]string{"Name": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	got := ev.Env()
	want := env(map[string]string{"Name": "x"})
	want.URLSuffix = "amazonaws.com" // the default NewEvaluator fills in
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Env (-given +got):\n%s", diff)
	}
	got.Parameters["Name"] = "changed"
	if v, _ := ev.Parameter("Name"); v != "x" {
		t.Errorf("changing the returned Env changed the evaluator: Name = %v", v)
	}
}
