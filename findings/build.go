// Package findings turns the engine's reports into AWS Security Hub findings in the AWS
// Security Finding Format (ASFF), imports them, and archives the findings of resources that a
// sweep no longer covers. It is where corsguard's compliance evidence leaves for the tools
// security teams already read (Security Hub's console, its cross-Region aggregation, a
// delegated administrator's view of the organization), as Prowler's and Cloud Custodian's
// findings do.
//
// One finding per checked resource, with an Id that is stable per account, Region, kind and
// name, so every later run updates it in place:
//
//	outcome                 Compliance.Status  Severity       RecordState
//	compliant, remediated   PASSED             INFORMATIONAL  ACTIVE
//	drifted                 FAILED             MEDIUM         ACTIVE
//	exempt                  NOT_AVAILABLE      INFORMATIONAL  ACTIVE
//	failed                  WARNING            LOW            ACTIVE
//	gone                    NOT_AVAILABLE      INFORMATIONAL  ARCHIVED
//	not_started             no finding: nothing was checked, the previous finding stays
//
// Exempt is NOT_AVAILABLE because the check deliberately does not apply (AWS Config's
// NOT_APPLICABLE becomes NOT_AVAILABLE in Security Hub too); failed is WARNING because the
// check could not finish and somebody should look, without counting it as passed or failed
// in the security score. A resource that is gone or that the selection newly leaves out is
// archived by the next sweep that covers its kind (Publisher.Publish with a Coverage).
package findings

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// SchemaVersion is the ASFF version of every finding.
const SchemaVersion = "2018-10-08"

// Type is the finding's ASFF type (namespace/category): a check of a resource's configuration
// against a baseline. ASFF's taxonomy has no category for an organization's own standard;
// AWS Security Best Practices is the category for configuration checks outside a named
// regulatory standard.
const Type = "Software and Configuration Checks/AWS Security Best Practices"

// Compliance statuses, severities and record states, as ASFF spells them.
const (
	Passed       = "PASSED"
	Failed       = "FAILED"
	Warning      = "WARNING"
	NotAvailable = "NOT_AVAILABLE"

	Informational = "INFORMATIONAL"
	Low           = "LOW"
	Medium        = "MEDIUM"

	Active   = "ACTIVE"
	Archived = "ARCHIVED"
)

// ASFF's length limits of the fields corsguard writes (the Security Hub API reference,
// AwsSecurityFinding, Remediation's Recommendation.Text, and ProductFields: "up to 50 key-value
// pairs. Each key can be up to 128 characters, and each value up to 2048 characters").
const (
	maxTitle             = 256
	maxDescription       = 1024
	maxRemediation       = 512
	maxProductFields     = 50
	maxProductFieldKey   = 128
	maxProductFieldValue = 2048
)

// Scope is where findings are reported: the account and Region of the caller (the Lambda's
// invocation ARN, or sts:GetCallerIdentity in the CLI) and their partition.
type Scope struct {
	Account   string
	Region    string
	Partition string // "aws" when empty
}

func (s Scope) partition() string {
	if s.Partition == "" {
		return "aws"
	}
	return s.Partition
}

// ProductARN is the account's default Security Hub product in the Region, the one a
// customer's own findings are imported into.
func (s Scope) ProductARN() string {
	return fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", s.partition(), s.Region, s.Account, s.Account)
}

// kindInfo is what a finding says about one kind of resource.
type kindInfo struct {
	noun         string // "MediaStore container"
	resourceType string // the ASFF resource type
	global       bool   // the kind has no Region (CloudFront)
	arn          func(s Scope, e enforce.Entry) string
}

// kinds describes each kind corsguard checks. A kind without an entry gets a generic one
// (Other, the kind's name), so a new target still produces valid findings.
var kinds = map[policy.Kind]kindInfo{
	// A function URL is named FUNCTION or FUNCTION:ALIAS; its ARN is the function's, qualified
	// by the alias (the ARN GetFunctionUrlConfig answers as FunctionArn).
	policy.LambdaURL: {
		noun: "Lambda function URL", resourceType: "AwsLambdaFunction",
		arn: func(s Scope, e enforce.Entry) string {
			return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", s.partition(), s.Region, s.Account, e.Name)
		},
	},
	// An HTTP API is named by its ApiId; its ARN names no account.
	policy.HTTPAPI: {
		noun: "API Gateway HTTP API", resourceType: "AwsApiGatewayV2Api",
		arn: func(s Scope, e enforce.Entry) string {
			return fmt.Sprintf("arn:%s:apigateway:%s::/apis/%s", s.partition(), s.Region, e.Name)
		},
	},
	policy.MediaStore: {
		noun: "MediaStore container", resourceType: "Other",
		arn: func(s Scope, e enforce.Entry) string {
			return fmt.Sprintf("arn:%s:mediastore:%s:%s:container/%s", s.partition(), s.Region, s.Account, e.Name)
		},
	},
	policy.S3: {
		noun: "S3 bucket", resourceType: "AwsS3Bucket",
		arn: func(s Scope, e enforce.Entry) string { return fmt.Sprintf("arn:%s:s3:::%s", s.partition(), e.Name) },
	},
	// A response headers policy's ARN holds its Id (the Service Authorization Reference's
	// resource type response-headers-policy: arn:${Partition}:cloudfront::${Account}:
	// response-headers-policy/${Id}; global, so no Region), which the report's entry carries once
	// the run found the policy. A policy never found (gone by name, or its listing failed) has
	// no Id to put in an ARN: its finding names it cloudfront/response-headers-policy/NAME.
	policy.CloudFront: {
		noun: "CloudFront response headers policy", resourceType: "Other", global: true,
		arn: func(s Scope, e enforce.Entry) string {
			if e.ID == "" {
				return "cloudfront/response-headers-policy/" + e.Name
			}
			return fmt.Sprintf("arn:%s:cloudfront::%s:response-headers-policy/%s", s.partition(), s.Account, e.ID)
		},
	},
}

func info(k policy.Kind) kindInfo {
	if i, ok := kinds[k]; ok {
		return i
	}
	return kindInfo{noun: string(k), resourceType: "Other", arn: func(s Scope, e enforce.Entry) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", s.partition(), k, s.Region, s.Account, e.Name)
	}}
}

// ErrorCodeField is the ProductFields key of a failed finding's AWS error code
// (AccessDenied, ...), when the failure has one.
const ErrorCodeField = "corsguard/ErrorCode"

// GeneratorID is the GeneratorId of every finding about resources of kind k: one check per
// kind, as Security Hub's controls and Prowler's checks have one generator each.
func GeneratorID(k policy.Kind) string { return "corsguard/cors-baseline/" + string(k) }

// ID is the finding Id of one resource: stable per account, Region (none for a global kind),
// kind and name, so that every run updates the same finding.
func ID(s Scope, k policy.Kind, name string) string {
	region := s.Region
	if info(k).global {
		region = "global"
	}
	return fmt.Sprintf("corsguard/%s/%s/%s/%s", s.Account, region, k, name)
}

// ResourceARN is the ARN of the resource of one report entry, the finding's Resources[0].Id
// (for a CloudFront response headers policy, arn:aws:cloudfront::ACCOUNT:response-headers-policy/ID
// from the entry's ID; cloudfront/response-headers-policy/NAME when the entry has none).
func ResourceARN(s Scope, e enforce.Entry) string { return info(e.Kind).arn(s, e) }

// Build returns one finding per resource of rep that was checked (every entry but
// not_started), stamped at now. A gone resource's finding is ARCHIVED. created, when it has
// the finding's Id, keeps the CreatedAt of a finding that already exists.
func Build(s Scope, rep *enforce.Report, now time.Time, created map[string]string) []Finding {
	var out []Finding
	at := Timestamp(now)
	baselines := map[policy.Kind]enforce.Baseline{}
	for _, b := range rep.Baselines {
		baselines[b.Kind] = b
	}
	for _, e := range rep.Entries {
		if e.Outcome == enforce.NotStarted {
			continue
		}
		f := build(s, e, baselines[e.Kind], rep.Mode, at)
		if c, ok := created[f.ID]; ok && c != "" {
			f.CreatedAt = c
		}
		out = append(out, f)
	}
	return out
}

// Timestamp formats t as ASFF's timestamps (RFC 3339, UTC, milliseconds).
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// verdict is what a finding says of an entry's outcome: its compliance status, severity,
// title, description and remediation, for what (the resource, as "bucket NAME") held to
// baseline.
func verdict(e enforce.Entry, what, baseline, noun string, mode enforce.Mode) (status, severity, title, desc, fix string) {
	fix = fmt.Sprintf("corsguard writes %s to the %s when it runs in enforce mode (the Lambda with CORSGUARD_MODE=enforce, or `corsguard apply`); run `corsguard diff` to see the difference.", baseline, noun)
	switch e.Outcome {
	case enforce.Compliant:
		status, severity = Passed, Informational
		title = what + ": CORS configuration matches the baseline"
		desc = fmt.Sprintf("The CORS configuration of %s equals %s.", what, baseline)
	case enforce.Remediated:
		status, severity = Passed, Informational
		title = what + ": CORS configuration repaired to match the baseline"
		desc = fmt.Sprintf("The CORS configuration of %s had drifted from %s and corsguard wrote the baseline back. What had drifted: %s", what, baseline, shortDiff(e.Diff))
	case enforce.Drifted:
		status, severity = Failed, Medium
		title = what + ": CORS configuration drifted from the baseline"
		desc = fmt.Sprintf("The CORS configuration of %s differs from %s (%s run, nothing was changed). What drifted: %s", what, baseline, mode, shortDiff(e.Diff))
	case enforce.Exempt:
		status, severity = NotAvailable, Informational
		title = what + ": exempt from the CORS baseline"
		desc = fmt.Sprintf("%s carries the exemption tag, so corsguard does not check or change its CORS configuration.", upperFirst(what))
		fix = "Remove the exemption tag to bring it under the baseline."
	case enforce.Gone:
		status, severity = NotAvailable, Informational
		title = what + ": no longer exists"
		desc = fmt.Sprintf("%s was deleted or is being deleted; its finding is archived.", upperFirst(what))
		fix = "Nothing to do."
	default: // failed
		status, severity = Warning, Low
		title = what + ": CORS configuration could not be checked"
		desc = fmt.Sprintf("corsguard could not check %s against %s: %s", what, baseline, e.Error)
		fix = "See the error; corsguard checks the resource again on its next run."
	}
	return status, severity, title, desc, fix
}

func build(s Scope, e enforce.Entry, b enforce.Baseline, mode enforce.Mode, at string) Finding {
	ki := info(e.Kind)
	region := s.Region
	if ki.global {
		region = ""
	}
	what := ki.noun + " " + e.Name
	baseline := "the CORS baseline"
	if b.Parameter != "" {
		baseline = fmt.Sprintf("the CORS baseline %s (version %d)", b.Parameter, b.Version)
	}
	status, severity, title, desc, fix := verdict(e, what, baseline, ki.noun, mode)
	record := Active
	if e.Outcome == enforce.Gone {
		record = Archived
	}
	f := Finding{
		SchemaVersion: SchemaVersion,
		ID:            ID(s, e.Kind, e.Name),
		ProductARN:    s.ProductARN(),
		GeneratorID:   GeneratorID(e.Kind),
		AwsAccountID:  s.Account,
		Types:         []string{Type},
		CreatedAt:     at,
		UpdatedAt:     at,
		Severity:      &Severity{Label: severity},
		Title:         truncate(title, maxTitle),
		Description:   truncate(desc, maxDescription),
		Remediation:   &Remediation{Recommendation: &Recommendation{Text: truncate(fix, maxRemediation)}},
		ProductFields: map[string]string{
			"corsguard/Kind":    string(e.Kind),
			"corsguard/Name":    e.Name,
			"corsguard/Outcome": string(e.Outcome),
		},
		Resources: []Resource{{
			Type:      ki.resourceType,
			ID:        ResourceARN(s, e),
			Partition: s.partition(),
			Region:    region,
		}},
		Compliance:  &Compliance{Status: status},
		RecordState: record,
		FindingProviderFields: &FindingProviderFields{
			Severity: &Severity{Label: severity, Original: string(e.Outcome)},
			Types:    []string{Type},
		},
	}
	if e.Outcome == enforce.Failed {
		// The failure's error code: what the finding's state compares (State), since the
		// message carries the call's request id and differs on every run.
		if code := enforce.ErrorCode(e.Err); code != "" {
			f.ProductFields[ErrorCodeField] = code
		}
	}
	if b.Parameter != "" {
		f.ProductFields["corsguard/BaselineParameter"] = b.Parameter
		f.ProductFields["corsguard/BaselineVersion"] = fmt.Sprint(b.Version)
	}
	// The profile the resource is held to (docs/profiles.md): its own baseline parameter and
	// version replace the kind's default.
	if p := e.Profile; p != nil && p.Name != "" {
		f.ProductFields["corsguard/Profile"] = p.Name
		f.ProductFields["corsguard/ProfileSource"] = string(p.Source)
		if p.Parameter != "" {
			f.ProductFields["corsguard/BaselineParameter"] = p.Parameter
			f.ProductFields["corsguard/BaselineVersion"] = fmt.Sprint(p.Version)
		}
	}
	f.ProductFields = productFields(f.ProductFields)
	return f
}

// productFields keeps a finding's ProductFields within ASFF's limits, whatever the names it
// carries: keys and values cut to their lengths, at most 50 pairs (corsguard writes five).
func productFields(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if len(out) == maxProductFields {
			break
		}
		out[truncate(k, maxProductFieldKey)] = truncate(m[k], maxProductFieldValue)
	}
	return out
}

// shortDiff renders the changes on one line each, as the CLI's report does, keeping the
// first ones that fit a description.
func shortDiff(diff []policy.Change) string {
	if len(diff) == 0 {
		return "the policies differ."
	}
	const budget = 600
	var parts []string
	used := 0
	for i, c := range diff {
		s := truncate(c.String(), 200)
		if used+len(s) > budget && i > 0 {
			parts = append(parts, fmt.Sprintf("and %d more change(s)", len(diff)-i))
			break
		}
		parts = append(parts, s)
		used += len(s) + 2
	}
	return strings.Join(parts, "; ") + "."
}

// truncate cuts s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
