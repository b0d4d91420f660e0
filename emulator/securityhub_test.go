package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
)

// The tests' account and its default product, whatever the emulator's default account is.
const (
	hubAccount = "123456789012"
	productARN = "arn:aws:securityhub:us-east-1:" + hubAccount + ":product/" + hubAccount + "/default"
)

func newHubFixture(t *testing.T, opts ...emulator.Option) *fixture {
	t.Helper()
	return newFixture(t, append([]emulator.Option{emulator.WithAccount(hubAccount)}, opts...)...)
}

func securityHubClient(url string) *securityhub.Client {
	return securityhub.New(securityhub.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

// finding returns a valid ASFF finding with the 12 required fields, updated at epoch+n seconds.
func finding(id string, n int) shtypes.AwsSecurityFinding {
	at := epoch.Add(time.Duration(n) * time.Second).Format(time.RFC3339)
	return shtypes.AwsSecurityFinding{
		AwsAccountId:  aws.String(hubAccount),
		CreatedAt:     aws.String(epoch.Format(time.RFC3339)),
		UpdatedAt:     aws.String(at),
		Description:   aws.String("CORS policy drifted"),
		GeneratorId:   aws.String("corsguard/mediastore"),
		Id:            aws.String(id),
		ProductArn:    aws.String(productARN),
		SchemaVersion: aws.String("2018-10-08"),
		Title:         aws.String("CORS of " + id),
		Severity:      &shtypes.Severity{Label: shtypes.SeverityLabelMedium},
		Types:         []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
		Resources:     []shtypes.Resource{{Type: aws.String("Other"), Id: aws.String("arn:aws:mediastore:us-east-1:012345678912:container/" + id)}},
		Compliance:    &shtypes.Compliance{Status: shtypes.ComplianceStatusFailed},
	}
}

func importFindings(t *testing.T, c *securityhub.Client, fs ...shtypes.AwsSecurityFinding) *securityhub.BatchImportFindingsOutput {
	t.Helper()
	out, err := c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: fs})
	if err != nil {
		t.Fatalf("BatchImportFindings: %v", err)
	}
	return out
}

func getFindings(t *testing.T, c *securityhub.Client, filters *shtypes.AwsSecurityFindingFilters) []shtypes.AwsSecurityFinding {
	t.Helper()
	var all []shtypes.AwsSecurityFinding
	p := securityhub.NewGetFindingsPaginator(c, &securityhub.GetFindingsInput{Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		all = append(all, page.Findings...)
	}
	return all
}

func eq(v string) []shtypes.StringFilter {
	return []shtypes.StringFilter{{Value: aws.String(v), Comparison: shtypes.StringFilterComparisonEquals}}
}

func ids(fs []shtypes.AwsSecurityFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, aws.ToString(f.Id))
	}
	return out
}

func TestSecurityHubCreatesAFindingAndFillsWhatTheServiceFills(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	out := importFindings(t, sh, finding("movies", 0))
	if aws.ToInt32(out.SuccessCount) != 1 || aws.ToInt32(out.FailedCount) != 0 {
		t.Fatalf("import: success %d failed %d %+v", aws.ToInt32(out.SuccessCount), aws.ToInt32(out.FailedCount), out.FailedFindings)
	}
	got := getFindings(t, sh, nil)
	if len(got) != 1 {
		t.Fatalf("GetFindings returned %d findings, want 1", len(got))
	}
	g := got[0]
	for name, pair := range map[string][2]any{
		"Region":                         {aws.ToString(g.Region), "us-east-1"},
		"RecordState":                    {g.RecordState, shtypes.RecordStateActive},
		"Workflow.Status":                {g.Workflow.Status, shtypes.WorkflowStatusNew},
		"ProductName":                    {aws.ToString(g.ProductName), "Default"},
		"Severity.Normalized":            {aws.ToInt32(g.Severity.Normalized), int32(40)},
		"FindingProviderFields.Severity": {g.FindingProviderFields.Severity.Label, shtypes.SeverityLabelMedium},
		"FindingProviderFields.Types":    {g.FindingProviderFields.Types, []string{"Software and Configuration Checks/Industry and Regulatory Standards"}},
		"Compliance.Status":              {g.Compliance.Status, shtypes.ComplianceStatusFailed},
	} {
		if !cmp.Equal(pair[0], pair[1]) {
			t.Errorf("%s = %v, want %v", name, pair[0], pair[1])
		}
	}
}

func TestSecurityHubUpdatesAFindingInPlaceByProductAndID(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	importFindings(t, sh, finding("movies", 0))

	// A later import with the same Id updates it; Severity and Types change only through
	// FindingProviderFields, so the top-level change here is ignored.
	up := finding("movies", 10)
	up.Compliance.Status = shtypes.ComplianceStatusPassed
	up.Title = aws.String("now compliant")
	up.Severity = &shtypes.Severity{Label: shtypes.SeverityLabelCritical}
	importFindings(t, sh, up)
	got := getFindings(t, sh, nil)
	if len(got) != 1 {
		t.Fatalf("after an update there are %d findings, want 1 (updated in place)", len(got))
	}
	if got[0].Compliance.Status != shtypes.ComplianceStatusPassed || aws.ToString(got[0].Title) != "now compliant" {
		t.Errorf("update not applied: %s %q", got[0].Compliance.Status, aws.ToString(got[0].Title))
	}
	if got[0].Severity.Label != shtypes.SeverityLabelMedium {
		t.Errorf("top-level Severity changed to %s by BatchImportFindings; want it kept (MEDIUM)", got[0].Severity.Label)
	}

	// Through FindingProviderFields it changes, top level included.
	fp := finding("movies", 20)
	fp.FindingProviderFields = &shtypes.FindingProviderFields{
		Severity: &shtypes.FindingProviderSeverity{Label: shtypes.SeverityLabelInformational},
		Types:    []string{"Software and Configuration Checks/AWS Security Best Practices"},
	}
	importFindings(t, sh, fp)
	g := getFindings(t, sh, nil)[0]
	if g.Severity.Label != shtypes.SeverityLabelInformational || !cmp.Equal(g.Types, fp.FindingProviderFields.Types) {
		t.Errorf("FindingProviderFields did not update Severity/Types: %s %v", g.Severity.Label, g.Types)
	}

	// An update that is not later than the stored finding is ignored.
	stale := finding("movies", 5)
	stale.Title = aws.String("stale")
	importFindings(t, sh, stale)
	if g := getFindings(t, sh, nil)[0]; aws.ToString(g.Title) == "stale" {
		t.Error("an update with an older UpdatedAt replaced the finding")
	}

	// The same Id under another product is another finding: here, another account's product,
	// which this account may not import into.
	other := finding("movies", 30)
	other.ProductArn = aws.String("arn:aws:securityhub:us-east-1:999999999999:product/999999999999/default")
	_, err := sh.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{other}})
	wantCode(t, err, "AccessDeniedException")
}

func TestSecurityHubArchivesAFinding(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	importFindings(t, sh, finding("movies", 0), finding("live", 0))
	gone := finding("live", 1)
	gone.RecordState = shtypes.RecordStateArchived
	importFindings(t, sh, gone)

	active := getFindings(t, sh, &shtypes.AwsSecurityFindingFilters{RecordState: eq("ACTIVE")})
	if diff := cmp.Diff([]string{"movies"}, ids(active)); diff != "" {
		t.Errorf("ACTIVE findings (-want +got):\n%s", diff)
	}
	archived := getFindings(t, sh, &shtypes.AwsSecurityFindingFilters{RecordState: eq("ARCHIVED")})
	if diff := cmp.Diff([]string{"live"}, ids(archived)); diff != "" {
		t.Errorf("ARCHIVED findings (-want +got):\n%s", diff)
	}
}

func TestSecurityHubRefusesMoreThan100FindingsInOneCall(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	var fs []shtypes.AwsSecurityFinding
	for i := range 101 {
		fs = append(fs, finding(fmt.Sprint("c", i), 0))
	}
	_, err := sh.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: fs})
	wantCode(t, err, "InvalidInputException")
	importFindings(t, sh, fs[:100]...)
	if n := len(getFindings(t, sh, nil)); n != 100 {
		t.Errorf("%d findings after importing 100, want 100", n)
	}
}

func TestSecurityHubReturnsInvalidFindingsInFailedFindings(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	noSeverity := finding("no-severity", 0)
	noSeverity.Severity = nil // the model leaves Severity and Types out of its required list
	noTypes := finding("no-types", 0)
	noTypes.Types = nil
	badType := finding("bad-type", 0)
	badType.Types = []string{"Misconfiguration/CORS"}
	badSchema := finding("bad-schema", 0)
	badSchema.SchemaVersion = aws.String("2020-01-01")
	badTime := finding("bad-time", 0)
	badTime.UpdatedAt = aws.String("yesterday")
	noResources := finding("no-resources", 0)
	noResources.Resources = []shtypes.Resource{{Type: aws.String("Other"), Id: aws.String("")}} // the SDK itself refuses no Id
	long := finding("long-title", 0)
	long.Title = aws.String(strings.Repeat("t", 257))
	// ASFF's ProductFields: at most 50 pairs, keys of 128 characters, values of 2,048; and a
	// Recommendation.Text of at most 512 (the AwsSecurityFinding API reference).
	manyFields := finding("51-product-fields", 0)
	manyFields.ProductFields = map[string]string{}
	for i := range 51 {
		manyFields.ProductFields[fmt.Sprintf("k%d", i)] = "v"
	}
	longKey := finding("long-product-field-key", 0)
	longKey.ProductFields = map[string]string{strings.Repeat("k", 129): "v"}
	longValue := finding("long-product-field-value", 0)
	longValue.ProductFields = map[string]string{"k": strings.Repeat("v", 2049)}
	longFix := finding("long-recommendation", 0)
	longFix.Remediation = &shtypes.Remediation{Recommendation: &shtypes.Recommendation{Text: aws.String(strings.Repeat("r", 513))}}
	atLimits := finding("at-the-limits", 0)
	atLimits.ProductFields = map[string]string{strings.Repeat("k", 128): strings.Repeat("v", 2048)}
	for i := range 49 {
		atLimits.ProductFields[fmt.Sprintf("k%d", i)] = "v"
	}
	atLimits.Remediation = &shtypes.Remediation{Recommendation: &shtypes.Recommendation{Text: aws.String(strings.Repeat("r", 512))}}
	f.emu.ScriptFinding("scripted", 1, "InternalFailure")

	out := importFindings(t, sh, finding("good", 0), noSeverity, noTypes, badType, badSchema, badTime, noResources, long,
		manyFields, longKey, longValue, longFix, atLimits, finding("scripted", 0))
	var failed []string
	for _, ff := range out.FailedFindings {
		failed = append(failed, aws.ToString(ff.Id)+" "+aws.ToString(ff.ErrorCode))
	}
	want := []string{"no-severity InvalidInput", "no-types InvalidInput", "bad-type InvalidInput", "bad-schema InvalidInput",
		"bad-time InvalidInput", "no-resources InvalidInput", "long-title InvalidInput", "51-product-fields InvalidInput",
		"long-product-field-key InvalidInput", "long-product-field-value InvalidInput", "long-recommendation InvalidInput", "scripted InternalFailure"}
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("FailedFindings (-want +got):\n%s", diff)
	}
	if aws.ToInt32(out.SuccessCount) != 2 || aws.ToInt32(out.FailedCount) != int32(len(want)) {
		t.Errorf("SuccessCount %d FailedCount %d", aws.ToInt32(out.SuccessCount), aws.ToInt32(out.FailedCount))
	}
	// The script is used up: the retry goes through.
	if out := importFindings(t, sh, finding("scripted", 1)); aws.ToInt32(out.SuccessCount) != 1 {
		t.Errorf("retry of the scripted finding failed: %+v", out.FailedFindings)
	}
}

func TestSecurityHubDisabledAnswersInvalidAccessException(t *testing.T) {
	f := newHubFixture(t, emulator.WithSecurityHubDisabled())
	sh := securityHubClient(f.url)
	_, err := sh.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("x", 0)}})
	var iae *shtypes.InvalidAccessException
	if !errors.As(err, &iae) || !strings.Contains(iae.ErrorMessage(), "is not subscribed to AWS Security Hub") {
		t.Fatalf("BatchImportFindings with Security Hub off: %v; want InvalidAccessException, not subscribed", err)
	}
	_, err = sh.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	wantCode(t, err, "InvalidAccessException")
	f.emu.SetSecurityHubEnabled(true)
	importFindings(t, sh, finding("x", 0))
}

func TestSecurityHubFilters(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	a, b, c := finding("mediastore/movies", 0), finding("mediastore/live", 0), finding("s3/logs", 0)
	c.GeneratorId = aws.String("corsguard/s3")
	c.Resources = []shtypes.Resource{{Type: aws.String("AwsS3Bucket"), Id: aws.String("arn:aws:s3:::logs")}}
	c.Compliance.Status = shtypes.ComplianceStatusPassed
	importFindings(t, sh, a, b, c)
	s := func(v string, cmp shtypes.StringFilterComparison) shtypes.StringFilter {
		return shtypes.StringFilter{Value: aws.String(v), Comparison: cmp}
	}
	for _, tc := range []struct {
		name    string
		filters shtypes.AwsSecurityFindingFilters
		want    []string
	}{
		{"EQUALS on the generator", shtypes.AwsSecurityFindingFilters{GeneratorId: eq("corsguard/s3")}, []string{"s3/logs"}},
		{"PREFIX on the Id", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{s("mediastore/", "PREFIX")}}, []string{"mediastore/movies", "mediastore/live"}},
		{"two EQUALS are joined by OR", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{s("s3/logs", "EQUALS"), s("mediastore/live", "EQUALS")}}, []string{"mediastore/live", "s3/logs"}},
		{"NOT_EQUALS", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{s("s3/logs", "NOT_EQUALS")}}, []string{"mediastore/movies", "mediastore/live"}},
		{"two NOT_EQUALS are joined by AND", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{s("s3/logs", "NOT_EQUALS"), s("mediastore/live", "NOT_EQUALS")}}, []string{"mediastore/movies"}},
		{"PREFIX then PREFIX_NOT_EQUALS", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{s("mediastore/", "PREFIX"), s("mediastore/m", "PREFIX_NOT_EQUALS")}}, []string{"mediastore/live"}},
		{"CONTAINS", shtypes.AwsSecurityFindingFilters{Title: []shtypes.StringFilter{s("logs", "CONTAINS")}}, []string{"s3/logs"}},
		{"NOT_CONTAINS", shtypes.AwsSecurityFindingFilters{Title: []shtypes.StringFilter{s("logs", "NOT_CONTAINS")}}, []string{"mediastore/movies", "mediastore/live"}},
		{"attributes are joined by AND", shtypes.AwsSecurityFindingFilters{GeneratorId: eq("corsguard/mediastore"), ComplianceStatus: eq("PASSED")}, nil},
		{"ResourceId", shtypes.AwsSecurityFindingFilters{ResourceId: eq("arn:aws:s3:::logs")}, []string{"s3/logs"}},
		{"ResourceType", shtypes.AwsSecurityFindingFilters{ResourceType: eq("Other")}, []string{"mediastore/movies", "mediastore/live"}},
		{"the account, the product and the Region", shtypes.AwsSecurityFindingFilters{AwsAccountId: eq(hubAccount), ProductArn: eq(productARN), Region: eq("us-east-1")}, []string{"mediastore/movies", "mediastore/live", "s3/logs"}},
		{"another account", shtypes.AwsSecurityFindingFilters{AwsAccountId: eq("999999999999")}, nil},
		{"Type", shtypes.AwsSecurityFindingFilters{Type: []shtypes.StringFilter{s("Software and Configuration Checks/", "PREFIX")}}, []string{"mediastore/movies", "mediastore/live", "s3/logs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ids(getFindings(t, sh, &tc.filters))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range []struct {
		name    string
		filters shtypes.AwsSecurityFindingFilters
	}{
		{"CONTAINS with EQUALS", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{s("a", "CONTAINS"), s("b", "EQUALS")}}},
		{"EQUALS with NOT_EQUALS", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{s("a", "EQUALS"), s("b", "NOT_EQUALS")}}},
		{"no comparison", shtypes.AwsSecurityFindingFilters{Id: []shtypes.StringFilter{{Value: aws.String("a")}}}},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := sh.GetFindings(context.Background(), &securityhub.GetFindingsInput{Filters: &tc.filters})
			wantCode(t, err, "InvalidInputException")
		})
	}
}

func TestSecurityHubGetFindingsPages(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	var want []string
	for batch := range 3 {
		var fs []shtypes.AwsSecurityFinding
		for i := range 84 {
			id := fmt.Sprintf("c%03d", batch*84+i)
			fs = append(fs, finding(id, 0))
			want = append(want, id)
		}
		importFindings(t, sh, fs...)
	}
	var pages []int
	in := &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)}
	var got []string
	for {
		out, err := sh.GetFindings(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.Findings))
		got = append(got, ids(out.Findings)...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if diff := cmp.Diff([]int{100, 100, 52}, pages); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings in import order (-want +got):\n%s", diff)
	}
	_, err := sh.GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(101)})
	wantCode(t, err, "InvalidInputException")
	_, err = sh.GetFindings(context.Background(), &securityhub.GetFindingsInput{NextToken: aws.String("garbage")})
	wantCode(t, err, "InvalidInputException")
}

func TestSecurityHubThrottlingIsLimitExceededException(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	f.emu.Script("BatchImportFindings", "", 1, "ThrottlingException")
	_, err := sh.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("x", 0)}})
	var le *shtypes.LimitExceededException
	if !errors.As(err, &le) {
		t.Fatalf("throttled import: %v; want LimitExceededException (HTTP 429)", err)
	}
}

// A bucket may be called "findings": S3's path-style requests and Security Hub's POST
// /findings reach their own services, told apart by the SigV4 scope's service.
func TestABucketNamedFindingsDoesNotCollideWithSecurityHub(t *testing.T) {
	f := newHubFixture(t)
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.url), UsePathStyle: true,
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("findings")}); err != nil {
		t.Fatalf("CreateBucket findings: %v", err)
	}
	if _, err := s3c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("findings")}); err != nil {
		t.Fatalf("HeadBucket findings: %v", err)
	}
	sh := securityHubClient(f.url)
	importFindings(t, sh, finding("x", 0))
	if n := len(getFindings(t, sh, nil)); n != 1 {
		t.Errorf("GetFindings returned %d, want 1", n)
	}
	// An unsigned request is refused, as AWS refuses it.
	resp, err := http.Post(f.url+"/findings", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Errorf("unsigned POST /findings answered %d", resp.StatusCode)
	}
}

// The aws CLI (v1, botocore) reads the findings the SDK imported.
func TestSecurityHubServesTheAWSCLI(t *testing.T) {
	f := newHubFixture(t)
	importFindings(t, securityHubClient(f.url), finding("movies", 0), finding("live", 0))
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is not on PATH (%v)", err)
	}
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
	cmd := exec.Command(bin, "--endpoint-url", f.url, "--region", "us-east-1", "--output", "json",
		"securityhub", "get-findings", "--filters", `{"Id":[{"Value":"live","Comparison":"EQUALS"}],"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}]}`)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("aws securityhub get-findings: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			Id          string
			RecordState string
			Compliance  struct{ Status string }
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("aws printed %s: %v", out, err)
	}
	if len(doc.Findings) != 1 || doc.Findings[0].Id != "live" || doc.Findings[0].RecordState != "ACTIVE" || doc.Findings[0].Compliance.Status != "FAILED" {
		t.Errorf("aws securityhub get-findings: %+v", doc.Findings)
	}
}

// The CLI learns its account from STS GetCallerIdentity (awsQuery).
func TestSTSGetCallerIdentityNamesTheAccount(t *testing.T) {
	f := newFixture(t, emulator.WithAccount("210987654321"))
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.url), Credentials: creds,
		Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "210987654321" || aws.ToString(out.Arn) != "arn:aws:iam::210987654321:user/emulator" {
		t.Errorf("GetCallerIdentity: %s %s", aws.ToString(out.Account), aws.ToString(out.Arn))
	}
}
