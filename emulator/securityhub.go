package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the AWS Security Hub front end: the two REST-JSON operations a finding provider
// uses, BatchImportFindings (POST /findings/import) and GetFindings (POST /findings), as
// service/securityhub and the aws CLI send them. Requests reach it by their SigV4 credential
// scope's service name ("securityhub", route.go), not by path: a bucket may be called "findings".
//
// Its rules come from the API model (botocore securityhub 2018-10-26) and the Security Hub
// user guide, not from corsguard's code:
//   - a finding must carry the 12 fields the ASFF documentation lists as required (the model
//     marks only 10: it leaves out Severity and Types), SchemaVersion 2018-10-08, RFC 3339
//     timestamps, 1-32 Resources with Type and Id, Types in the ASFF taxonomy's namespaces;
//     a finding that breaks them is returned in FailedFindings (InvalidInput), the others are
//     imported;
//   - at most 100 findings per call (InvalidInputException for the call), 240 KB per finding;
//   - the account may import only its own findings: AwsAccountId the caller's account and
//     ProductArn the account's default product in the Region
//     (arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default), else AccessDeniedException;
//   - a finding is identified by (ProductArn, Id): importing it again updates it in place, and an
//     update whose UpdatedAt is not later than the stored one is ignored;
//   - after creation, Note, UserDefinedFields, VerificationState and Workflow belong to the
//     customer (BatchImportFindings cannot change them), and Severity, Types, Confidence,
//     Criticality and RelatedFindings change only through FindingProviderFields: the top-level
//     values of an update are ignored. On creation, FindingProviderFields is filled from the
//     top-level fields when absent, and the top-level fields from it where they are absent;
//   - Security Hub fills Region, ProductName ("Default") and CompanyName ("Personal") for the
//     default product, RecordState ACTIVE when not given, Workflow.Status NEW, ProcessedAt, and
//     Severity.Normalized from Severity.Label;
//   - GetFindings filters on the string attributes corsguard and its tests use (see
//     findingFields), with the documented comparisons and their combination rules, up to 10
//     attributes and 20 values each; it pages with MaxResults (1-100, default 100) and
//     NextToken, in import order, or sorted by SortCriteria (Field one of sortFields, SortOrder
//     asc or desc, several criteria in turn): a sorted NextToken resumes after the last finding
//     returned, so a finding imported between two pages neither shifts nor repeats the others;
//   - an account where Security Hub is not enabled answers both operations with
//     InvalidAccessException (HTTP 401), "Account N is not subscribed to AWS Security Hub", as
//     the service answers its other calls (DescribeHub, GetFindings). The user guide also says
//     the findings of such an account come back in FailedFindings with InvalidAccess; a client
//     must treat both as "Security Hub is off" (emulator cannot tell which one a real
//     account gives first).

// SecurityHub's constants.
const (
	asffSchemaVersion = "2018-10-08"
	maxImportFindings = 100
	maxFindingBytes   = 240 << 10
	maxSecurityHubReq = 6 << 20
	maxGetFindings    = 100
)

// WithSecurityHubDisabled starts the emulator's account with Security Hub not enabled: its calls
// answer InvalidAccessException, as in an account that never enabled it.
func WithSecurityHubDisabled() Option { return func(e *Emulator) { e.hubOff = true } }

// SetSecurityHubEnabled enables or disables Security Hub in the account. Findings are kept
// while it is off (AWS deletes them when an account disables it; tests only need the error).
func (e *Emulator) SetSecurityHubEnabled(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hubOff = !on
}

// ScriptFinding makes the next n imports of the finding with this Id come back in
// FailedFindings with the error code (for example "InternalFailure" or "InvalidInput"), while
// the other findings of the same calls are imported.
func (e *Emulator) ScriptFinding(id string, n int, code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.findingScripts = append(e.findingScripts, findingScript{id: id, n: n, code: code})
}

// Findings returns a copy of every stored finding as Security Hub would return it, in import
// order; for tests and the demo, which could also call GetFindings.
func (e *Emulator) Findings() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]map[string]any, 0, len(e.findingOrder))
	for _, k := range e.findingOrder {
		out = append(out, cloneDoc(e.findings[k]))
	}
	return out
}

// findingScript is a scripted per-finding failure.
type findingScript struct {
	id   string
	n    int
	code string
}

// serveSecurityHub routes a REST-JSON Security Hub request on its method and path.
func (e *Emulator) serveSecurityHub(w http.ResponseWriter, r *http.Request) {
	p := restJSONProtocol{}
	var op string
	var run func(c *call, body []byte) (any, error)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/findings/import":
		op, run = "BatchImportFindings", e.batchImportFindings
	case r.Method == http.MethodPost && r.URL.Path == "/findings":
		op, run = "GetFindings", e.getFindings
	default:
		p.writeError(w, e.requestID(), &apiError{Code: "UnknownOperationException", Status: http.StatusNotFound,
			Message: fmt.Sprintf("the emulator does not serve Security Hub's %s %s", r.Method, r.URL.Path)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSecurityHubReq+1))
	if err != nil {
		p.writeError(w, e.requestID(), errf("InvalidInputException", "read request: %v", err))
		return
	}
	if len(body) > maxSecurityHubReq {
		p.writeError(w, e.requestID(), errf("InvalidInputException", "request body is larger than 6 MB"))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	c := &call{Service: "securityhub", Op: op}
	e.handle(w, r, p, c, func(c *call) (any, error) { return run(c, body) })
}

// restJSONProtocol writes Security Hub's REST-JSON answers: errors carry their code in the
// X-Amzn-ErrorType header and in the body's "Code", as the service sends them.
type restJSONProtocol struct{}

func (restJSONProtocol) writeResult(w http.ResponseWriter, requestID string, out any) {
	writeJSONResult(w, requestID, "application/json", out, func(err *apiError) { restJSONProtocol{}.writeError(w, requestID, err) }, "InternalException")
}

func (restJSONProtocol) writeError(w http.ResponseWriter, requestID string, err *apiError) {
	code, status := err.Code, err.Status
	// The pipeline's own faults, in Security Hub's words (its model's error shapes).
	switch code {
	case "ThrottlingException":
		code, status = "LimitExceededException", http.StatusTooManyRequests
	case "InternalServerError", "InternalFailure", "InternalServerException":
		code, status = "InternalException", http.StatusInternalServerError
	case "InvalidAccessException":
		status = http.StatusUnauthorized
	case "LimitExceededException":
		status = http.StatusTooManyRequests
	}
	body, _ := json.Marshal(map[string]string{"Code": code, "Message": err.Message})
	w.Header().Set("X-Amzn-Errortype", code)
	writeJSON(w, requestID, "application/json", status, body)
}

// ASFF's limits on the fields a product sends about itself (the Security Hub API reference,
// AwsSecurityFinding: ProductFields "can contain up to 50 key-value pairs. Each key can be up to
// 128 characters, and each value up to 2048 characters"; Recommendation.Text: "Maximum length
// of 512").
const (
	maxProductFields      = 50
	maxProductFieldKey    = 128
	maxProductFieldValue  = 2048
	maxRecommendationText = 512
)

// validateProductFields checks a finding's ProductFields: a map of strings within ASFF's limits.
func validateProductFields(v any) string {
	if v == nil {
		return ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "data.ProductFields should be object"
	}
	if len(m) > maxProductFields {
		return fmt.Sprintf("data.ProductFields should NOT have more than %d properties", maxProductFields)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s, ok := m[k].(string)
		switch {
		case len([]rune(k)) > maxProductFieldKey:
			return fmt.Sprintf("data.ProductFields property name '%.20s...' should NOT be longer than %d characters", k, maxProductFieldKey)
		case !ok:
			return fmt.Sprintf("data.ProductFields['%s'] should be string", k)
		case len([]rune(s)) > maxProductFieldValue:
			return fmt.Sprintf("data.ProductFields['%s'] should NOT be longer than %d characters", k, maxProductFieldValue)
		}
	}
	return ""
}

// notSubscribed is Security Hub's answer in an account that has not enabled it.
func (e *Emulator) notSubscribed() error {
	return &apiError{Code: "InvalidAccessException", Status: http.StatusUnauthorized,
		Message: fmt.Sprintf("Account %s is not subscribed to AWS Security Hub", e.account)}
}

// defaultProductARN is the account's default product in the emulator's Region.
func (e *Emulator) defaultProductARN() string {
	return fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", e.region, e.account, e.account)
}

// importFailure is one entry of FailedFindings.
type importFailure struct {
	ID           string `json:"Id"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

func (e *Emulator) batchImportFindings(c *call, body []byte) (any, error) {
	var in struct {
		Findings []json.RawMessage
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, errf("InvalidInputException", "cannot read request: %v", err)
	}
	if in.Findings == nil {
		return nil, errf("InvalidInputException", "Findings is required")
	}
	if len(in.Findings) > maxImportFindings {
		return nil, errf("InvalidInputException", "Findings: %d findings in one call; at most %d are allowed", len(in.Findings), maxImportFindings)
	}
	docs := make([]map[string]any, len(in.Findings))
	for i, raw := range in.Findings {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&docs[i]); err != nil || docs[i] == nil {
			return nil, errf("InvalidInputException", "Findings[%d] is not a JSON object", i)
		}
	}
	return e.locked(c, func() (any, error) {
		if e.hubOff {
			return nil, e.notSubscribed()
		}
		// The caller may import only its own account's findings, into its default product.
		product := e.defaultProductARN()
		for _, d := range docs {
			if acct, ok := d["AwsAccountId"].(string); ok && acct != e.account {
				return nil, &apiError{Code: "AccessDeniedException", Status: http.StatusForbidden,
					Message: fmt.Sprintf("User: arn:aws:iam::%s:user/emulator is not authorized to import findings for account %s", e.account, acct)}
			}
			if arn, ok := d["ProductArn"].(string); ok && arn != product {
				return nil, &apiError{Code: "AccessDeniedException", Status: http.StatusForbidden,
					Message: fmt.Sprintf("User: arn:aws:iam::%s:user/emulator is not authorized to perform: securityhub:BatchImportFindings on resource: %s", e.account, arn)}
			}
		}
		failed := []importFailure{}
		ok := 0
		for i, d := range docs {
			id, _ := d["Id"].(string)
			if msg := validateFinding(d, len(in.Findings[i])); msg != "" {
				failed = append(failed, importFailure{id, "InvalidInput", "Finding does not adhere to Amazon Finding Format. " + msg})
				continue
			}
			if code := e.scriptedFindingLocked(id); code != "" {
				failed = append(failed, importFailure{id, code, "scripted failure of finding " + id})
				continue
			}
			e.importLocked(d, c.Time)
			ok++
		}
		e.calls.addIngested(ok)
		return map[string]any{"FailedCount": len(failed), "SuccessCount": ok, "FailedFindings": failed}, nil
	})
}

// scriptedFindingLocked consumes and returns the scripted failure for the finding id, or "".
func (e *Emulator) scriptedFindingLocked(id string) string {
	for i := range e.findingScripts {
		s := &e.findingScripts[i]
		if s.id == id && s.n > 0 {
			s.n--
			return s.code
		}
	}
	return ""
}

var (
	awsAccountID = regexp.MustCompile(`^\d{12}$`)
	// The namespaces of ASFF's finding types taxonomy (namespace/category/classifier).
	typeNamespaces = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}
	severityLabels = map[string]float64{"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
)

// validateFinding returns why the finding breaks ASFF's rules, or "".
func validateFinding(d map[string]any, size int) string {
	if size > maxFindingBytes {
		return fmt.Sprintf("the finding is %d bytes; at most 240 KB are allowed", size)
	}
	for _, f := range []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn",
		"Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt"} {
		v, ok := d[f]
		if !ok || v == nil {
			return fmt.Sprintf("data should have required property '%s'", f)
		}
	}
	for f, limit := range map[string]int{"AwsAccountId": 12, "CreatedAt": 64, "Description": 1024, "GeneratorId": 512,
		"Id": 512, "ProductArn": 2048, "SchemaVersion": 32, "Title": 256, "UpdatedAt": 64} {
		s, ok := d[f].(string)
		switch {
		case !ok:
			return fmt.Sprintf("data.%s should be string", f)
		case s == "" || strings.TrimSpace(s) == "":
			return fmt.Sprintf("data.%s should NOT be shorter than 1 characters", f)
		case len([]rune(s)) > limit:
			return fmt.Sprintf("data.%s should NOT be longer than %d characters", f, limit)
		}
	}
	if !awsAccountID.MatchString(d["AwsAccountId"].(string)) {
		return "data.AwsAccountId should match pattern \"^\\d{12}$\""
	}
	if v := d["SchemaVersion"].(string); v != asffSchemaVersion {
		return fmt.Sprintf("data.SchemaVersion should be equal to %s", asffSchemaVersion)
	}
	for _, f := range []string{"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"} {
		if v, ok := d[f]; ok {
			if s, _ := v.(string); !validTime(s) {
				return fmt.Sprintf("data.%s should be an RFC 3339 timestamp", f)
			}
		}
	}
	if msg := validateSeverity("data.Severity", d["Severity"]); msg != "" {
		return msg
	}
	if msg := validateTypes("data.Types", d["Types"]); msg != "" {
		return msg
	}
	return validateFindingParts(d)
}

// validateFindingParts checks a finding's resources and optional parts, as Security Hub's
// schema does.
func validateFindingParts(d map[string]any) string {
	res, ok := d["Resources"].([]any)
	if !ok || len(res) < 1 || len(res) > 32 {
		return "data.Resources should be an array of 1 to 32 items"
	}
	for i, r := range res {
		m, ok := r.(map[string]any)
		if !ok {
			return fmt.Sprintf("data.Resources[%d] should be object", i)
		}
		for _, f := range []string{"Type", "Id"} {
			if s, _ := m[f].(string); s == "" {
				return fmt.Sprintf("data.Resources[%d] should have required property '%s'", i, f)
			}
		}
	}
	if v, ok := d["Compliance"]; ok {
		m, _ := v.(map[string]any)
		if s, has := m["Status"]; has && !slices.Contains([]any{"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"}, s) {
			return "data.Compliance.Status should be equal to one of the allowed values"
		}
	}
	if msg := validateProductFields(d["ProductFields"]); msg != "" {
		return msg
	}
	if rem, ok := d["Remediation"].(map[string]any); ok {
		if rec, ok := rem["Recommendation"].(map[string]any); ok {
			if text, ok := rec["Text"].(string); ok && len([]rune(text)) > maxRecommendationText {
				return fmt.Sprintf("data.Remediation.Recommendation.Text should NOT be longer than %d characters", maxRecommendationText)
			}
		}
	}
	if v, ok := d["RecordState"]; ok && v != "ACTIVE" && v != "ARCHIVED" {
		return "data.RecordState should be equal to one of the allowed values"
	}
	if v, ok := d["FindingProviderFields"]; ok {
		m, isObj := v.(map[string]any)
		if !isObj {
			return "data.FindingProviderFields should be object"
		}
		if s, has := m["Severity"]; has {
			if msg := validateSeverity("data.FindingProviderFields.Severity", s); msg != "" {
				return msg
			}
		}
		if t, has := m["Types"]; has {
			if msg := validateTypes("data.FindingProviderFields.Types", t); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func validTime(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func validateSeverity(path string, v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return path + " should be object"
	}
	label, hasLabel := m["Label"]
	norm, hasNorm := m["Normalized"]
	if !hasLabel && !hasNorm {
		return path + " should have required property 'Label'"
	}
	if hasLabel {
		if _, ok := severityLabels[fmt.Sprint(label)]; !ok {
			return path + ".Label should be equal to one of the allowed values"
		}
	}
	if hasNorm {
		n, err := strconv.ParseFloat(fmt.Sprint(norm), 64)
		if err != nil || n < 0 || n > 100 || n != float64(int(n)) {
			return path + ".Normalized should be an integer from 0 to 100"
		}
	}
	return ""
}

func validateTypes(path string, v any) string {
	types, ok := v.([]any)
	if !ok || len(types) < 1 || len(types) > 50 {
		return path + " should be an array of 1 to 50 items"
	}
	for i, t := range types {
		s, _ := t.(string)
		parts := strings.Split(s, "/")
		if s == "" || len(parts) > 3 || !slices.Contains(typeNamespaces, parts[0]) {
			return fmt.Sprintf("%s[%d] should be namespace/category/classifier with a namespace of the ASFF taxonomy", path, i)
		}
	}
	return ""
}

// providerFields are the attributes a provider sets at creation and then only through
// FindingProviderFields; customerFields belong to the customer once a finding exists.
var (
	providerFields = []string{"Confidence", "Criticality", "RelatedFindings", "Severity", "Types"}
	customerFields = []string{"Note", "UserDefinedFields", "VerificationState", "Workflow", "WorkflowState"}
)

// importLocked creates or updates one valid finding.
func (e *Emulator) importLocked(d map[string]any, now time.Time) {
	key := d["ProductArn"].(string) + "\x00" + d["Id"].(string)
	old, exists := e.findings[key]
	if exists {
		newAt, _ := time.Parse(time.RFC3339Nano, d["UpdatedAt"].(string))
		oldAt, _ := time.Parse(time.RFC3339Nano, old["UpdatedAt"].(string))
		if !newAt.After(oldAt) {
			return // the guide: an update that is not later than the finding is ignored
		}
	}
	doc := cloneDoc(d)
	fpf, hasFPF := doc["FindingProviderFields"].(map[string]any)
	if !exists {
		if !hasFPF {
			fpf = map[string]any{}
		}
		for _, f := range providerFields {
			top, hasTop := doc[f]
			inFPF, hasIn := fpf[f]
			switch {
			case hasTop && !hasIn:
				fpf[f] = cloneValue(top)
			case hasIn && !hasTop:
				doc[f] = cloneValue(inFPF)
			}
		}
		doc["FindingProviderFields"] = fpf
		doc["Workflow"] = map[string]any{"Status": "NEW"}
		doc["WorkflowState"] = "NEW"
		if _, ok := doc["RecordState"]; !ok {
			doc["RecordState"] = "ACTIVE"
		}
	} else {
		for _, f := range customerFields {
			if v, ok := old[f]; ok {
				doc[f] = cloneValue(v)
			} else {
				delete(doc, f)
			}
		}
		if !hasFPF {
			fpf, _ = cloneValue(old["FindingProviderFields"]).(map[string]any)
			if fpf == nil {
				fpf = map[string]any{}
			}
		}
		doc["FindingProviderFields"] = fpf
		for _, f := range providerFields {
			if v, ok := fpf[f]; ok {
				doc[f] = cloneValue(v)
			} else if v, ok := old[f]; ok {
				doc[f] = cloneValue(v)
			} else {
				delete(doc, f)
			}
		}
		if _, ok := doc["RecordState"]; !ok {
			doc["RecordState"] = old["RecordState"]
		}
	}
	for _, sev := range []any{doc["Severity"], fpf["Severity"]} {
		if m, ok := sev.(map[string]any); ok {
			if l, ok := m["Label"].(string); ok {
				if _, has := m["Normalized"]; !has {
					m["Normalized"] = json.Number(strconv.Itoa(int(severityLabels[l])))
				}
			}
		}
	}
	doc["Region"] = e.region
	doc["ProductName"] = "Default"
	doc["CompanyName"] = "Personal"
	doc["ProcessedAt"] = now.UTC().Format("2006-01-02T15:04:05.000Z")
	if !exists {
		e.findingOrder = append(e.findingOrder, key)
	}
	e.findings[key] = doc
}

// stringFilter is one StringFilter of GetFindings.
type stringFilter struct {
	Value      *string
	Comparison *string
}

// findingFields maps the GetFindings filter attributes the emulator serves to the values of a
// finding they compare with (several for lists such as Types and Resources).
var findingFields = map[string]func(d map[string]any) []string{
	"ProductArn":                         top("ProductArn"),
	"AwsAccountId":                       top("AwsAccountId"),
	"Id":                                 top("Id"),
	"GeneratorId":                        top("GeneratorId"),
	"Region":                             top("Region"),
	"Title":                              top("Title"),
	"Description":                        top("Description"),
	"ProductName":                        top("ProductName"),
	"CompanyName":                        top("CompanyName"),
	"RecordState":                        top("RecordState"),
	"WorkflowState":                      top("WorkflowState"),
	"Type":                               list("Types"),
	"ComplianceStatus":                   nested("Compliance", "Status"),
	"SeverityLabel":                      nested("Severity", "Label"),
	"WorkflowStatus":                     nested("Workflow", "Status"),
	"ResourceId":                         resource("Id"),
	"ResourceType":                       resource("Type"),
	"ResourcePartition":                  resource("Partition"),
	"ResourceRegion":                     resource("Region"),
	"FindingProviderFieldsSeverityLabel": func(d map[string]any) []string { return nested("Severity", "Label")(asMap(d["FindingProviderFields"])) },
	"FindingProviderFieldsTypes":         func(d map[string]any) []string { return list("Types")(asMap(d["FindingProviderFields"])) },
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func top(f string) func(map[string]any) []string {
	return func(d map[string]any) []string {
		if s, ok := d[f].(string); ok {
			return []string{s}
		}
		return nil
	}
}

func nested(f, g string) func(map[string]any) []string {
	return func(d map[string]any) []string { return top(g)(asMap(d[f])) }
}

func list(f string) func(map[string]any) []string {
	return func(d map[string]any) []string {
		var out []string
		for _, v := range asSlice(d[f]) {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
}

func resource(f string) func(map[string]any) []string {
	return func(d map[string]any) []string {
		var out []string
		for _, r := range asSlice(d["Resources"]) {
			out = append(out, top(f)(asMap(r))...)
		}
		return out
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// attributeFilter is the compiled filter of one attribute: its positive comparisons are joined
// by OR, its negative ones by AND.
type attributeFilter struct {
	values   func(map[string]any) []string
	pos, neg []stringFilter
	// dates are the DateFilters of a timestamp attribute (UpdatedAt, CreatedAt), joined by OR.
	dates []dateRange
}

// dateRange is one compiled DateFilter: Start and End (inclusive), or DateRange, the last
// Value days before the call.
type dateRange struct{ from, to time.Time }

// dateFields are the timestamp attributes GetFindings filters with DateFilters.
var dateFields = map[string]func(map[string]any) []string{
	"UpdatedAt": top("UpdatedAt"),
	"CreatedAt": top("CreatedAt"),
}

// compileDates reads the DateFilters of a timestamp attribute as Security Hub's API reference
// describes DateFilter: Start and End together, or DateRange (Unit DAYS), not both.
func compileDates(name string, msg json.RawMessage, now time.Time) ([]dateRange, error) {
	var fs []struct {
		Start, End *string
		DateRange  *struct {
			Value *int
			Unit  *string
		}
	}
	if err := json.Unmarshal(msg, &fs); err != nil {
		return nil, errf("InvalidInputException", "Filters.%s: %v", name, err)
	}
	if len(fs) > 20 {
		return nil, errf("InvalidInputException", "Filters.%s: at most 20 filter values are allowed", name)
	}
	var out []dateRange
	for i, f := range fs {
		switch {
		case f.DateRange != nil && f.Start == nil && f.End == nil:
			if f.DateRange.Value == nil || *f.DateRange.Value < 0 || f.DateRange.Unit == nil || *f.DateRange.Unit != "DAYS" {
				return nil, errf("InvalidInputException", "Filters.%s[%d].DateRange: want a Value of days and Unit DAYS", name, i)
			}
			out = append(out, dateRange{from: now.AddDate(0, 0, -*f.DateRange.Value), to: now})
		case f.DateRange == nil && f.Start != nil && f.End != nil:
			from, ferr := time.Parse(time.RFC3339Nano, *f.Start)
			to, terr := time.Parse(time.RFC3339Nano, *f.End)
			if ferr != nil || terr != nil {
				return nil, errf("InvalidInputException", "Filters.%s[%d]: Start and End must be ISO 8601 timestamps", name, i)
			}
			out = append(out, dateRange{from: from, to: to})
		default:
			return nil, errf("InvalidInputException", "Filters.%s[%d]: give Start and End, or DateRange", name, i)
		}
	}
	return out, nil
}

func (e *Emulator) getFindings(c *call, body []byte) (any, error) {
	var in struct {
		Filters      map[string]json.RawMessage
		SortCriteria json.RawMessage
		NextToken    *string
		MaxResults   *int
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, errf("InvalidInputException", "cannot read request: %v", err)
	}
	order, err := compileSort(in.SortCriteria)
	if err != nil {
		return nil, err
	}
	limit := maxGetFindings
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxGetFindings {
			return nil, errf("InvalidInputException", "MaxResults must be a number between 1 and %d", maxGetFindings)
		}
		limit = *in.MaxResults
	}
	filters, err := compileFilters(in.Filters, c.Time)
	if err != nil {
		return nil, err
	}
	from, err := order.decodeToken(deref(in.NextToken))
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		if e.hubOff {
			return nil, e.notSubscribed()
		}
		return e.findingsPage(filters, order, from, limit), nil
	})
}

// findingsPage is one GetFindings answer: the findings that match, in order, from the cursor.
func (e *Emulator) findingsPage(filters []attributeFilter, order findingSort, from *findingsCursor, limit int) map[string]any {
	var keys []string
	var at []int // each key's index in import order
	for i, k := range e.findingOrder {
		if matches(e.findings[k], filters) {
			keys, at = append(keys, k), append(at, i)
		}
	}
	first := 0
	if len(order) > 0 {
		slices.SortFunc(keys, func(a, b string) int { return order.compare(e.findings[a], e.findings[b], a, b) })
		first = order.after(keys, e.findings, from)
	} else if from != nil {
		// In import order a token is an index among all of the account's findings.
		first, _ = slices.BinarySearch(at, from.Index)
	}
	out := []map[string]any{}
	answer := map[string]any{}
	for i := first; i < len(keys); i++ {
		if len(out) == limit {
			answer["NextToken"] = order.token(e.findings, keys[i-1], at[i])
			break
		}
		out = append(out, cloneDoc(e.findings[keys[i]]))
	}
	answer["Findings"] = out
	return answer
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sortFields are the finding attributes GetFindings sorts on in the emulator (SortCriterion's
// Field): its identifiers and timestamps, compared as strings and as times.
var sortFields = map[string]bool{"Id": false, "GeneratorId": false, "Title": false, "RecordState": false,
	"CreatedAt": true, "UpdatedAt": true, "FirstObservedAt": true, "LastObservedAt": true}

// findingSort is a compiled SortCriteria: no criterion keeps import order.
type findingSort []sortCriterion

type sortCriterion struct {
	Field     string
	SortOrder string
}

// compileSort reads SortCriteria as botocore's model defines it (a list of SortCriterion: Field,
// a finding attribute; SortOrder, "asc" or "desc"). What the emulator cannot sort on, and a
// criterion without a Field or a SortOrder (the API reference gives no default order), is
// refused with InvalidInputException, never ignored.
func compileSort(raw json.RawMessage) (findingSort, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var cs []sortCriterion
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cs); err != nil {
		return nil, errf("InvalidInputException", "SortCriteria: %v", err)
	}
	for i, sc := range cs {
		if _, ok := sortFields[sc.Field]; !ok {
			return nil, errf("InvalidInputException", "SortCriteria[%d].Field %q: the emulator sorts on %v", i, sc.Field, slices.Sorted(maps.Keys(sortFields)))
		}
		if sc.SortOrder != "asc" && sc.SortOrder != "desc" {
			return nil, errf("InvalidInputException", "SortCriteria[%d].SortOrder %q: want asc or desc", i, sc.SortOrder)
		}
	}
	return cs, nil
}

// compare orders findings a and b (keys ka, kb: the last tie-break, so that the order is total
// and a token's position is one place).
func (o findingSort) compare(a, b map[string]any, ka, kb string) int {
	for _, sc := range o {
		va, _ := a[sc.Field].(string)
		vb, _ := b[sc.Field].(string)
		c := strings.Compare(va, vb)
		if sortFields[sc.Field] {
			ta, _ := time.Parse(time.RFC3339Nano, va)
			tb, _ := time.Parse(time.RFC3339Nano, vb)
			c = ta.Compare(tb)
		}
		if sc.SortOrder == "desc" {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(ka, kb)
}

// findingsCursor is where a NextToken resumes: in import order, the index into the account's
// findings; sorted, just after the finding last returned (its sort values and key), so that a
// page boundary stays in place when findings are imported or updated between the calls.
type findingsCursor struct {
	Index  int               `json:"i,omitempty"`
	Sort   findingSort       `json:"s,omitempty"`
	Values map[string]string `json:"v,omitempty"`
	Key    string            `json:"k,omitempty"`
}

// token is the NextToken of a page whose last finding is the one at key: in import order the
// index (next) of the finding that follows it; sorted, its sort values and key.
func (o findingSort) token(docs map[string]map[string]any, key string, next int) string {
	if len(o) == 0 {
		return base64.StdEncoding.EncodeToString([]byte("findings:" + strconv.Itoa(next)))
	}
	cur := findingsCursor{Sort: o, Values: map[string]string{}, Key: key}
	for _, sc := range o {
		v, _ := docs[key][sc.Field].(string)
		cur.Values[sc.Field] = v
	}
	b, _ := json.Marshal(cur)
	return base64.StdEncoding.EncodeToString(append([]byte("sorted:"), b...))
}

// decodeToken reads a NextToken of this sort; a token of another sort, or not the emulator's,
// is refused as Security Hub refuses a token it did not give.
func (o findingSort) decodeToken(tok string) (*findingsCursor, error) {
	if tok == "" {
		return nil, nil
	}
	invalid := errf("InvalidInputException", "invalid NextToken")
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return nil, invalid
	}
	if rest, ok := strings.CutPrefix(string(raw), "findings:"); ok && len(o) == 0 {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return nil, invalid
		}
		return &findingsCursor{Index: n}, nil
	}
	rest, ok := strings.CutPrefix(string(raw), "sorted:")
	var cur findingsCursor
	if !ok || len(o) == 0 || json.Unmarshal([]byte(rest), &cur) != nil || !slices.Equal(cur.Sort, o) {
		return nil, invalid
	}
	return &cur, nil
}

// after is the index of the first of the sorted keys that comes after cur (0 without one).
func (o findingSort) after(keys []string, docs map[string]map[string]any, cur *findingsCursor) int {
	if cur == nil {
		return 0
	}
	last := map[string]any{}
	for f, v := range cur.Values {
		last[f] = v
	}
	i, found := slices.BinarySearchFunc(keys, cur.Key, func(k, key string) int { return o.compare(docs[k], last, k, key) })
	if found {
		i++
	}
	return i
}

// compileFilters reads GetFindings' Filters: the string filters of the attributes in
// findingFields, checked as Security Hub checks them.
func compileFilters(raw map[string]json.RawMessage, now time.Time) ([]attributeFilter, error) {
	if len(raw) > 10 {
		return nil, errf("InvalidInputException", "Filters: at most 10 finding attributes are allowed, not %d", len(raw))
	}
	var out []attributeFilter
	for name, msg := range raw {
		if values, ok := dateFields[name]; ok {
			dates, err := compileDates(name, msg, now)
			if err != nil {
				return nil, err
			}
			out = append(out, attributeFilter{values: values, dates: dates})
			continue
		}
		values, ok := findingFields[name]
		if !ok {
			return nil, errf("InvalidInputException", "the emulator does not filter on %s", name)
		}
		var fs []stringFilter
		if err := json.Unmarshal(msg, &fs); err != nil {
			return nil, errf("InvalidInputException", "Filters.%s: %v", name, err)
		}
		if len(fs) > 20 {
			return nil, errf("InvalidInputException", "Filters.%s: at most 20 filter values are allowed", name)
		}
		af := attributeFilter{values: values}
		seen := map[string]bool{}
		for i, f := range fs {
			if f.Value == nil || *f.Value == "" || f.Comparison == nil {
				return nil, errf("InvalidInputException", "Filters.%s[%d]: Value and Comparison are required", name, i)
			}
			switch *f.Comparison {
			case "EQUALS", "PREFIX", "CONTAINS":
				af.pos = append(af.pos, f)
			case "NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS":
				af.neg = append(af.neg, f)
			case "CONTAINS_WORD":
				return nil, errf("InvalidInputException", "the emulator does not serve the CONTAINS_WORD comparison")
			default:
				return nil, errf("InvalidInputException", "Filters.%s[%d]: unknown Comparison %q", name, i, *f.Comparison)
			}
			seen[*f.Comparison] = true
		}
		// The combinations the API refuses (StringFilter's documentation).
		if seen["CONTAINS"] && len(seen) > 1 || seen["NOT_CONTAINS"] && len(seen) > 1 {
			return nil, errf("InvalidInputException", "Filters.%s: CONTAINS and NOT_CONTAINS combine only with themselves", name)
		}
		if seen["EQUALS"] && (seen["NOT_EQUALS"] || seen["PREFIX_NOT_EQUALS"]) {
			return nil, errf("InvalidInputException", "Filters.%s: EQUALS cannot be combined with NOT_EQUALS or PREFIX_NOT_EQUALS", name)
		}
		out = append(out, af)
	}
	return out, nil
}

// matches reports whether the finding passes every attribute's filter.
func matches(d map[string]any, filters []attributeFilter) bool {
	for _, af := range filters {
		vals := af.values(d)
		if len(af.dates) > 0 && !slices.ContainsFunc(af.dates, func(r dateRange) bool {
			return slices.ContainsFunc(vals, func(v string) bool {
				at, err := time.Parse(time.RFC3339Nano, v)
				return err == nil && !at.Before(r.from) && !at.After(r.to)
			})
		}) {
			return false
		}
		if len(af.pos) > 0 && !slices.ContainsFunc(af.pos, func(f stringFilter) bool {
			return slices.ContainsFunc(vals, func(v string) bool { return compare(*f.Comparison, v, *f.Value) })
		}) {
			return false
		}
		// A missing value is not equal to, does not start with and does not contain anything.
		for _, f := range af.neg {
			if slices.ContainsFunc(vals, func(v string) bool { return compare(*f.Comparison, v, *f.Value) }) {
				return false
			}
		}
	}
	return true
}

// compare applies one comparison; a negative one (NOT_EQUALS ...) answers whether v breaks it.
func compare(comparison, v, want string) bool {
	switch comparison {
	case "EQUALS", "NOT_EQUALS":
		return v == want
	case "PREFIX", "PREFIX_NOT_EQUALS":
		return strings.HasPrefix(v, want)
	case "CONTAINS", "NOT_CONTAINS":
		return strings.Contains(v, want)
	}
	return false
}

// cloneDoc deep-copies a decoded JSON object.
func cloneDoc(d map[string]any) map[string]any { return cloneValue(d).(map[string]any) }

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = cloneValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cloneValue(x)
		}
		return out
	}
	return v
}
