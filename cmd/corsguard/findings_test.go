package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// estate is an account of containers only: two compliant, two drifted (one without a policy).
func estate(t *testing.T, opts ...emulator.Option) *account {
	t.Helper()
	a := newAccount(t) // sets the environment; its emulator is replaced
	emu := emulator.New(append([]emulator.Option{emulator.WithDeletingDuration(0), emulator.WithoutQuotas()}, opts...)...)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	must(t, emu.SeedParameter(DefaultBaselineParameter, "", string(policy.DefaultJSON()), "corsguard baseline"))
	must(t, emu.SeedContainer("live-news", "", policy.Default(), nil))
	must(t, emu.SeedContainer("vod-archive", "", policy.Default(), nil))
	must(t, emu.SeedContainer("live-sports", "", drifted, nil))
	must(t, emu.SeedContainer("vod-library", "", nil, nil))
	a.emu, a.url = emu, srv.URL
	return a
}

// hubFindings reads every finding back with the SDK: Compliance.Status and RecordState by the
// container's name, and the name of each finding Id.
func hubFindings(t *testing.T, a *account) (states map[string]string, ids map[string]string) {
	t.Helper()
	sh := securityhub.New(securityhub.Options{Region: "us-east-1", BaseEndpoint: aws.String(a.url), HTTPClient: emulator.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})})
	states, ids = map[string]string{}, map[string]string{}
	p := securityhub.NewGetFindingsPaginator(sh, &securityhub.GetFindingsInput{Filters: &shtypes.AwsSecurityFindingFilters{
		GeneratorId: []shtypes.StringFilter{{Value: aws.String(findings.GeneratorID(policy.MediaStore)), Comparison: shtypes.StringFilterComparisonEquals}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			arn := aws.ToString(f.Resources[0].Id)
			name := arn[strings.LastIndex(arn, "/")+1:]
			if _, dup := states[name]; dup {
				t.Errorf("two findings for container %s", name)
			}
			states[name] = string(f.Compliance.Status) + " " + string(f.RecordState)
			ids[name] = aws.ToString(f.Id)
		}
	}
	return states, ids
}

// The held-out scenario: audit with --security-hub gives one finding per container, FAILED or
// PASSED; after apply and a second audit the same finding Ids are PASSED; the finding of a
// container deleted since is ARCHIVED by the next audit.
func TestAuditApplyAuditWithSecurityHub(t *testing.T) {
	a := estate(t)
	r := corsguard(t, "", "audit", "--security-hub", "--endpoint-url", a.url, "--format", "json")
	if r.code != exitDrifted {
		t.Fatalf("audit: exit %d, want %d\n%s", r.code, exitDrifted, r.stderr)
	}
	if !strings.Contains(r.stderr, "security hub: 4 findings imported") {
		t.Errorf("audit does not say what it imported: %q", r.stderr)
	}
	states, firstIDs := hubFindings(t, a)
	want := map[string]string{
		"live-news": "PASSED ACTIVE", "vod-archive": "PASSED ACTIVE",
		"live-sports": "FAILED ACTIVE", "vod-library": "FAILED ACTIVE",
	}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Fatalf("after the first audit (-want +got):\n%s", diff)
	}

	if r := corsguard(t, "", "apply", "--security-hub", "--endpoint-url", a.url, "--format", "json"); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	if r := corsguard(t, "", "audit", "--security-hub", "--endpoint-url", a.url, "--format", "json"); r.code != 0 {
		t.Fatalf("second audit: exit %d\n%s", r.code, r.stderr)
	}
	states, ids := hubFindings(t, a)
	for name := range want {
		want[name] = "PASSED ACTIVE"
	}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("after apply and a second audit (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(firstIDs, ids); diff != "" {
		t.Errorf("finding Ids changed between runs (-first +now):\n%s", diff)
	}

	ms := mediastore.New(mediastore.Options{Region: "us-east-1", BaseEndpoint: aws.String(a.url), HTTPClient: emulator.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})})
	if _, err := ms.DeleteContainer(context.Background(), &mediastore.DeleteContainerInput{ContainerName: aws.String("vod-library")}); err != nil {
		t.Fatal(err)
	}
	if r := corsguard(t, "", "audit", "--security-hub", "--endpoint-url", a.url, "--format", "json"); r.code != 0 {
		t.Fatalf("audit after the delete: exit %d\n%s", r.code, r.stderr)
	}
	states, ids = hubFindings(t, a)
	want["vod-library"] = "PASSED ARCHIVED"
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("after deleting vod-library (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(firstIDs, ids); diff != "" {
		t.Errorf("finding Ids changed (-first +now):\n%s", diff)
	}

	// The aws CLI reads the same: the archived finding, by its Id.
	out := awsCLI(t, a.url, "1").ok("securityhub", "get-findings", "--filters",
		`{"Id":[{"Value":"`+firstIDs["vod-library"]+`","Comparison":"EQUALS"}]}`)
	fs, _ := out["Findings"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["RecordState"] != "ARCHIVED" {
		t.Errorf("aws securityhub get-findings: %v", out)
	}
}

func TestAuditFormatASFFWritesTheFindings(t *testing.T) {
	a := estate(t)
	path := filepath.Join(t.TempDir(), "findings.json")
	r := corsguard(t, "", "audit", "--format", "asff", "--output", path, "--endpoint-url", a.url)
	if r.code != exitDrifted {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fs []findings.Finding
	if err := json.Unmarshal(data, &fs); err != nil {
		t.Fatalf("%s is not an ASFF array: %v\n%s", path, err, data)
	}
	got := map[string]string{}
	for _, f := range fs {
		got[f.ProductFields["corsguard/Name"]] = f.Compliance.Status
		if f.AwsAccountID != a.emu.Account() || f.ProductARN != "arn:aws:securityhub:us-east-1:"+a.emu.Account()+":product/"+a.emu.Account()+"/default" {
			t.Errorf("finding %s: account %s product %s", f.ID, f.AwsAccountID, f.ProductARN)
		}
	}
	want := map[string]string{"live-news": "PASSED", "vod-archive": "PASSED", "live-sports": "FAILED", "vod-library": "FAILED"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := a.emu.CallCount("BatchImportFindings"); n != 0 {
		t.Errorf("--format asff alone imported findings (%d calls)", n)
	}
	// The file is what the aws CLI imports.
	awsCLI(t, a.url, "1").ok("securityhub", "batch-import-findings", "--findings", "file://"+path)
	if states, _ := hubFindings(t, a); len(states) != 4 {
		t.Errorf("aws securityhub batch-import-findings of the file: %d findings, want 4", len(states))
	}
}

func TestSecurityHubNotEnabledFailsPlainly(t *testing.T) {
	a := estate(t, emulator.WithSecurityHubDisabled())
	r := corsguard(t, "", "audit", "--security-hub", "--endpoint-url", a.url, "--format", "json")
	if r.code != exitError {
		t.Fatalf("exit %d, want %d", r.code, exitError)
	}
	if !strings.Contains(r.stderr, "Security Hub is not enabled") {
		t.Errorf("stderr does not say Security Hub is off: %q", r.stderr)
	}
	if rep := parseReport(t, r); len(rep.Entries) != 4 {
		t.Errorf("the report was not written first: %d entries", len(rep.Entries))
	}
}
