package emulator_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
)

// putVersions writes values as successive versions of name.
func putVersions(t *testing.T, c *ssm.Client, name string, values ...string) {
	t.Helper()
	for _, v := range values {
		if _, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(v),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParametersAreFoundByARNLabelAndVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	putVersions(t, f.ssm, "/corsguard/baseline", "v1", "v2", "v3")
	putVersions(t, f.ssm, "plain", "p1")
	arn := "arn:aws:ssm:us-east-1:012345678912:parameter/corsguard/baseline"

	lbl := must[*ssm.LabelParameterVersionOutput](t)(f.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/corsguard/baseline"), ParameterVersion: aws.Int64(2), Labels: []string{"live", "1bad", "awsx", "Ssm-x", "ok.too"}}))
	if lbl.ParameterVersion != 2 || !cmp.Equal(lbl.InvalidLabels, []string{"1bad", "awsx", "Ssm-x"}) {
		t.Errorf("LabelParameterVersion: version %d, invalid %v", lbl.ParameterVersion, lbl.InvalidLabels)
	}
	for _, tc := range []struct{ ref, value, selector string }{
		{"/corsguard/baseline", "v3", ""},
		{arn, "v3", ""},
		{"/corsguard/baseline:1", "v1", ":1"},
		{"/corsguard/baseline:live", "v2", ":live"},
		{arn + ":live", "v2", ":live"},
		{arn + ":3", "v3", ":3"},
		{"arn:aws:ssm:us-east-1:012345678912:parameter/plain", "p1", ""},
	} {
		p, err := f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(tc.ref)})
		if err != nil {
			t.Errorf("GetParameter %s: %v", tc.ref, err)
			continue
		}
		if aws.ToString(p.Parameter.Value) != tc.value || aws.ToString(p.Parameter.Selector) != tc.selector || aws.ToString(p.Parameter.ARN) == "" {
			t.Errorf("GetParameter %s: value %q selector %q, want %q %q", tc.ref, aws.ToString(p.Parameter.Value), aws.ToString(p.Parameter.Selector), tc.value, tc.selector)
		}
	}
	for ref, code := range map[string]string{
		"/corsguard/baseline:nolabel": "ParameterNotFound",
		"/corsguard/baseline:9":       "ParameterVersionNotFound",
		"arn:aws:ssm:eu-west-1:012345678912:parameter/corsguard/baseline": "ParameterNotFound",
	} {
		_, err := f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref)})
		wantCode(t, err, code)
	}

	// Calls by ARN or selector count on the parameter's name, where scripted faults find them.
	if n := f.emu.ResourceCalls("GetParameter", "/corsguard/baseline"); n != 9 {
		t.Errorf("GetParameter counted %d times on /corsguard/baseline, want 9", n)
	}

	// Moving a label: attaching it to version 3 takes it from version 2.
	must[*ssm.LabelParameterVersionOutput](t)(f.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/corsguard/baseline"), Labels: []string{"live"}}))
	h := must[*ssm.GetParameterHistoryOutput](t)(f.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String(arn)}))
	var labels [][]string
	for _, v := range h.Parameters {
		labels = append(labels, v.Labels)
	}
	if want := [][]string{{}, {"ok.too"}, {"live"}}; !cmp.Equal(labels, want) {
		t.Errorf("labels per version after the move: %v, want %v", labels, want)
	}

	// GetParameters takes names, ARNs and selectors, and lists what it found in alphabetical order.
	gp := must[*ssm.GetParametersOutput](t)(f.ssm.GetParameters(ctx, &ssm.GetParametersInput{
		Names: []string{"plain", "/missing", arn + ":1", "/corsguard/baseline:live"}}))
	var got []string
	for _, p := range gp.Parameters {
		got = append(got, aws.ToString(p.Name)+aws.ToString(p.Selector)+"="+aws.ToString(p.Value))
	}
	if want := []string{"/corsguard/baseline:1=v1", "/corsguard/baseline:live=v3", "plain=p1"}; !cmp.Equal(got, want) || !cmp.Equal(gp.InvalidParameters, []string{"/missing"}) {
		t.Errorf("GetParameters: %v invalid %v", got, gp.InvalidParameters)
	}
}

func TestLabelParameterVersionRefusesWhatSSMRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	putVersions(t, f.ssm, "/p", "v1", "v2")
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = "l" + strings.Repeat("x", i)
	}
	for _, tc := range []struct {
		name string
		in   *ssm.LabelParameterVersionInput
		code string
	}{
		{"a missing parameter", &ssm.LabelParameterVersionInput{Name: aws.String("/nope"), Labels: []string{"a"}}, "ParameterNotFound"},
		{"a missing version", &ssm.LabelParameterVersionInput{Name: aws.String("/p"), ParameterVersion: aws.Int64(7), Labels: []string{"a"}}, "ParameterVersionNotFound"},
		{"eleven labels in one call", &ssm.LabelParameterVersionInput{Name: aws.String("/p"), Labels: eleven}, "ValidationException"},
		{"a label of 101 characters", &ssm.LabelParameterVersionInput{Name: aws.String("/p"), Labels: []string{strings.Repeat("a", 101)}}, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.ssm.LabelParameterVersion(ctx, tc.in)
			wantCode(t, err, tc.code)
		})
	}
	// A version holds at most ten labels.
	must[*ssm.LabelParameterVersionOutput](t)(f.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/p"), Labels: eleven[:10]}))
	_, err := f.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/p"), Labels: []string{"one-more"}})
	wantCode(t, err, "ParameterVersionLabelLimitExceeded")
}

func TestALabelledOldestVersionStopsTheHundredAndFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	values := make([]string, 100)
	for i := range values {
		values[i] = "v"
	}
	putVersions(t, f.ssm, "/p", values...)
	must[*ssm.LabelParameterVersionOutput](t)(f.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/p"), ParameterVersion: aws.Int64(1), Labels: []string{"pinned"}}))
	_, err := f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("v"), Overwrite: aws.Bool(true)})
	wantCode(t, err, "ParameterMaxVersionLimitExceeded")
}

func TestParameterHistoryPagesWithAnOpaqueToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	putVersions(t, f.ssm, "/p", "v1", "v2", "v3")
	first := must[*ssm.GetParameterHistoryOutput](t)(f.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/p"), MaxResults: aws.Int32(2)}))
	if len(first.Parameters) != 2 || first.NextToken == nil {
		t.Fatalf("first page: %d versions, token %v", len(first.Parameters), first.NextToken)
	}
	rest := must[*ssm.GetParameterHistoryOutput](t)(f.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/p"), NextToken: first.NextToken}))
	if len(rest.Parameters) != 1 || rest.Parameters[0].Version != 3 || rest.NextToken != nil {
		t.Errorf("second page: %+v", rest)
	}
	for _, tok := range []string{"2", "bogus", "ZnJvbTp4"} { // "from:x"
		_, err := f.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/p"), NextToken: aws.String(tok)})
		wantCode(t, err, "InvalidNextToken")
	}
}

func TestPutParameterRefusesLongDescriptionsAndNames(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Out-of-range values must reach the emulator, as with boto3's parameter_validation=False.
	c := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.url), Credentials: creds, Retryer: aws.NopRetryer{},
		HTTPClient: emulator.HTTPClient(), APIOptions: []func(*middleware.Stack) error{withoutInputValidation}})
	put := func(name, desc string) error {
		_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"),
			Type: ssmtypes.ParameterTypeString, Description: aws.String(desc)})
		return err
	}
	// "arn:aws:ssm:us-east-1:012345678912:parameter/" is 45 characters of the 1011.
	if err := put("/"+strings.Repeat("n", 1011-45), strings.Repeat("d", 1024)); err != nil {
		t.Errorf("the longest name and description: %v", err)
	}
	wantCode(t, put("/"+strings.Repeat("n", 1011-44), ""), "ValidationException")
	wantCode(t, put("/d", strings.Repeat("d", 1025)), "ValidationException")
	wantCode(t, put("/"+strings.Repeat("n", 2048), ""), "ValidationException")
}

// A label change is a Parameter Store Change event, which the function treats as a changed
// baseline (the handler's route); a call whose labels are all invalid changes nothing and emits none.
func TestLabellingAVersionEmitsAParameterStoreChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	putVersions(t, f.ssm, "/corsguard/baseline", "v1")
	var ops []string
	cancel := f.emu.Subscribe(func(ev []byte) {
		var e struct {
			DetailType string `json:"detail-type"`
			Detail     struct{ Operation, Name string }
		}
		_ = json.Unmarshal(ev, &e)
		ops = append(ops, e.DetailType+" "+e.Detail.Operation+" "+e.Detail.Name)
	})
	defer cancel()
	for _, labels := range [][]string{{"live"}, {"9lives"}} {
		must[*ssm.LabelParameterVersionOutput](t)(f.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
			Name: aws.String("/corsguard/baseline"), Labels: labels}))
	}
	if want := []string{"Parameter Store Change LabelParameterVersion /corsguard/baseline"}; !cmp.Equal(ops, want) {
		t.Errorf("events %q, want %q", ops, want)
	}
}
