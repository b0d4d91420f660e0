package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/policy"
)

// rieAccount is the account aws-lambda-rie puts in the invoked function's ARN: the findings'
// account, so the emulator's account must be it for Security Hub to take them.
const rieAccount = "012345678912"

// hubFindings reads corsguard's container findings back with the SDK, as an auditor's tools
// would: "Compliance.Status RecordState" and the Id per container.
func hubFindings(t *testing.T, a *account) (states, ids map[string]string) {
	t.Helper()
	states, ids = map[string]string{}, map[string]string{}
	p := securityhub.NewGetFindingsPaginator(securityhub.NewFromConfig(a.aws(t)), &securityhub.GetFindingsInput{
		Filters: &shtypes.AwsSecurityFindingFilters{
			GeneratorId:  []shtypes.StringFilter{{Value: aws.String(findings.GeneratorID(policy.MediaStore)), Comparison: shtypes.StringFilterComparisonEquals}},
			AwsAccountId: []shtypes.StringFilter{{Value: aws.String(rieAccount), Comparison: shtypes.StringFilterComparisonEquals}},
		}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			arn := aws.ToString(f.Resources[0].Id)
			name := arn[strings.LastIndex(arn, "/")+1:]
			states[name] = string(f.Compliance.Status) + " " + string(f.RecordState)
			ids[name] = aws.ToString(f.Id)
		}
	}
	return states, ids
}

func TestTheSweepImportsSecurityHubFindings(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount), emulator.WithDeletingDuration(0))
	a.seed(t, "live-news", drifted, nil)
	a.seed(t, "vod-library", baseline, nil)
	env := fastEnv(a)
	env["CORSGUARD_MODE"] = "audit"
	env["CORSGUARD_SECURITY_HUB"] = "true"
	fn := startFunction(t, env)

	inv := fn.invoke(t, sample(t, "scheduled-sweep.json"))
	wantSuccess(t, inv, handler.Sweep)
	if inv.Result.SecurityHub == nil || inv.Result.SecurityHub.Imported != 2 {
		t.Fatalf("the sweep's security_hub result: %+v", inv.Result.SecurityHub)
	}
	states, first := hubFindings(t, a)
	want := map[string]string{"live-news": "FAILED ACTIVE", "vod-library": "PASSED ACTIVE"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Fatalf("findings after the audit sweep (-want +got):\n%s", diff)
	}
	if len(fn.out.logs("security hub findings imported")) != 1 {
		t.Errorf("no log line says the findings were imported")
	}

	// Enforce repairs live-news: its finding, the same Id, passes. (A function configured to
	// audit never writes, whatever a direct invocation asks: audit wins; an enforcing one repairs.)
	enforceEnv := fastEnv(a)
	enforceEnv["CORSGUARD_SECURITY_HUB"] = "true"
	inv = startFunction(t, enforceEnv).invoke(t, sample(t, "direct-enforce.json"))
	wantSuccess(t, inv, handler.Manual)
	wantTotals(t, inv, map[enforce.Outcome]int{enforce.Remediated: 1, enforce.Compliant: 1})
	states, ids := hubFindings(t, a)
	want["live-news"] = "PASSED ACTIVE"
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("findings after the repair (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(first, ids); diff != "" {
		t.Errorf("finding Ids changed (-first +now):\n%s", diff)
	}

	// vod-library is deleted: the next sweep archives its finding.
	if _, err := a.mediastore(t).DeleteContainer(context.Background(), &mediastore.DeleteContainerInput{ContainerName: aws.String("vod-library")}); err != nil {
		t.Fatal(err)
	}
	inv = fn.invoke(t, sample(t, "scheduled-sweep.json"))
	wantSuccess(t, inv, handler.Sweep)
	if inv.Result.SecurityHub == nil || inv.Result.SecurityHub.Archived != 1 {
		t.Errorf("the sweep after the delete: %+v, want 1 archived", inv.Result.SecurityHub)
	}
	states, _ = hubFindings(t, a)
	want["vod-library"] = "PASSED ARCHIVED"
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("findings after the delete (-want +got):\n%s", diff)
	}
}

func TestSecurityHubNotEnabledIsReportedNotRetried(t *testing.T) {
	t.Parallel()
	a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount), emulator.WithSecurityHubDisabled())
	a.seed(t, "live-news", baseline, nil)
	env := fastEnv(a)
	env["CORSGUARD_SECURITY_HUB"] = "true"
	fn := startFunction(t, env)
	inv := fn.invoke(t, sample(t, "scheduled-sweep.json"))
	wantSuccess(t, inv, handler.Sweep) // terminal: Lambda must not retry the sweep for it
	lines := fn.out.logs("security hub findings not imported")
	if len(lines) != 1 || !strings.Contains(lines[0]["error"].(string), "Security Hub is not enabled") {
		t.Errorf("log lines %v: want one saying plainly that Security Hub is not enabled", lines)
	}
	if docs := fn.out.metrics(); len(docs) != 1 || docs[0]["TerminalFailures"] != float64(1) {
		t.Errorf("EMF documents %v: want TerminalFailures 1", docs)
	}
}
