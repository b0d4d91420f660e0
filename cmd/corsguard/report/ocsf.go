package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// OCSFVersion is the OCSF schema release the Compliance Findings follow: 1.6.0, the version the
// new AWS Security Hub ingests ("Security Hub currently supports findings in OCSF schema
// version 1.6"), and one Security Lake's custom sources accept. The tests validate every event
// against that release's definitions (testdata/ocsf).
const OCSFVersion = "1.6.0"

// OCSF's identifiers of the Compliance Finding class.
const (
	ocsfCategoryUID = 2 // Findings
	ocsfClassUID    = 2003
)

// OCSF's enumerations, as 1.6.0 defines them.
const (
	activityCreate = 1
	activityClose  = 3

	statusNew        = 1
	statusSuppressed = 3
	statusArchived   = 5

	compliancePass    = 1
	complianceWarning = 2
	complianceFail    = 3

	severityInformational = 1
	severityLow           = 2
	severityMedium        = 3

	roleTarget     = 1
	accountTypeAWS = 10
)

var (
	activityNames   = map[int]string{activityCreate: "Create", activityClose: "Close"}
	statusNames     = map[int]string{statusNew: "New", statusSuppressed: "Suppressed", statusArchived: "Archived"}
	complianceNames = map[int]string{compliancePass: "Pass", complianceWarning: "Warning", complianceFail: "Fail"}
	severityNames   = map[int]string{severityInformational: "Informational", severityLow: "Low", severityMedium: "Medium"}
)

// OCSFFinding is one OCSF Compliance Finding (class 2003), with the attributes corsguard
// fills. What OCSF has no attribute for (the kind, tries, the baseline's digest, the diff)
// is under unmapped.corsguard.
type OCSFFinding struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int64  `json:"type_uid"`
	TypeName     string `json:"type_name"`
	// Time is when the run ended, in milliseconds since the epoch (OCSF's timestamp_t).
	Time         int64            `json:"time"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	StatusID     int              `json:"status_id"`
	Status       string           `json:"status"`
	StatusCode   string           `json:"status_code"`
	StatusDetail string           `json:"status_detail,omitempty"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	Cloud        ocsfCloud        `json:"cloud"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Compliance   ocsfCompliance   `json:"compliance"`
	Resources    []ocsfResource   `json:"resources"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped     map[string]any   `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
	LogName  string      `json:"log_name,omitempty"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	UID        string `json:"uid"`
	Version    string `json:"version,omitempty"`
}

type ocsfCloud struct {
	Provider       string       `json:"provider"`
	Region         string       `json:"region,omitempty"`
	CloudPartition string       `json:"cloud_partition,omitempty"`
	Account        *ocsfAccount `json:"account,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfFindingInfo struct {
	UID          string   `json:"uid"`
	Title        string   `json:"title"`
	Desc         string   `json:"desc"`
	Types        []string `json:"types"`
	CreatedTime  int64    `json:"created_time"`
	ModifiedTime int64    `json:"modified_time"`
	ProductUID   string   `json:"product_uid,omitempty"`
}

type ocsfCompliance struct {
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusCode   string   `json:"status_code"`
	StatusDetail string   `json:"status_detail,omitempty"`
	Control      string   `json:"control"`
	Standards    []string `json:"standards"`
	Desc         string   `json:"desc,omitempty"`
}

type ocsfResource struct {
	UID            string `json:"uid"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition,omitempty"`
	RoleID         int    `json:"role_id"`
	Role           string `json:"role"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

// resourceTypes names each kind as CloudFormation does, the name Security Hub and Security
// Lake show for AWS resources.
var resourceTypes = map[policy.Kind]string{
	policy.MediaStore: "AWS::MediaStore::Container",
	policy.S3:         "AWS::S3::Bucket",
	policy.CloudFront: "AWS::CloudFront::ResponseHeadersPolicy",
}

// BuildOCSF returns one Compliance Finding per resource of rep that was checked (every entry
// but not_started, which was not checked), in the account, partition and Region of m. Finding
// uids are the ASFF finding Ids: stable per account, Region, kind and name.
func BuildOCSF(rep *enforce.Report, m Meta) []OCSFFinding {
	scope := findings.Scope{Account: m.Account, Region: m.region(), Partition: m.Partition}
	asff := map[string]findings.Finding{}
	for _, f := range findings.Build(scope, rep, rep.Started.Add(rep.Duration), nil) {
		asff[f.ID] = f
	}
	baselines := map[policy.Kind]enforce.Baseline{}
	for _, b := range rep.Baselines {
		baselines[b.Kind] = b
	}
	at := rep.Started.Add(rep.Duration).UnixMilli()
	out := []OCSFFinding{}
	for _, e := range rep.Entries {
		if e.Outcome == enforce.NotStarted {
			continue
		}
		id := findings.ID(scope, e.Kind, e.Name)
		a := asff[id]
		activity, status, compliance, severity := activityCreate, statusNew, compliancePass, severityInformational
		switch e.Outcome {
		case enforce.Drifted:
			compliance, severity = complianceFail, severityMedium
		case enforce.Failed:
			compliance, severity = complianceWarning, severityLow
		case enforce.Exempt:
			status = statusSuppressed
		case enforce.Gone:
			activity, status = activityClose, statusArchived
		}
		region := scope.Region
		if e.Kind == policy.CloudFront {
			region = "" // a global service
		}
		rt := resourceTypes[e.Kind]
		if rt == "" {
			rt = string(e.Kind)
		}
		b := baselines[e.Kind]
		f := OCSFFinding{
			ActivityID: activity, ActivityName: activityNames[activity],
			CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
			ClassUID: ocsfClassUID, ClassName: "Compliance Finding",
			TypeUID: ocsfClassUID*100 + int64(activity), TypeName: "Compliance Finding: " + activityNames[activity],
			Time:       at,
			SeverityID: severity, Severity: severityNames[severity],
			StatusID: status, Status: statusNames[status],
			StatusCode: string(e.Outcome), StatusDetail: e.Error,
			Message: a.Title,
			Metadata: ocsfMetadata{Version: OCSFVersion, Profiles: []string{"cloud"}, LogName: "corsguard " + string(rep.Mode),
				Product: ocsfProduct{Name: "corsguard", VendorName: "corsguard", UID: "corsguard", Version: m.Version}},
			Cloud: ocsfCloud{Provider: "AWS", Region: scope.Region, CloudPartition: partitionOf(scope)},
			FindingInfo: ocsfFindingInfo{UID: id, Title: a.Title, Desc: a.Description, Types: a.Types,
				CreatedTime: at, ModifiedTime: at, ProductUID: findings.GeneratorID(e.Kind)},
			Compliance: ocsfCompliance{StatusID: compliance, Status: complianceNames[compliance], StatusCode: string(e.Outcome),
				StatusDetail: e.Error, Control: findings.GeneratorID(e.Kind), Standards: []string{"corsguard CORS baseline"},
				Desc: fmt.Sprintf("The %s's CORS configuration equals the baseline %s.", kindNoun(e.Kind), b.Parameter)},
			Resources: []ocsfResource{{UID: findings.ResourceARN(scope, e), Name: e.Name, Type: rt,
				Region: region, CloudPartition: partitionOf(scope), RoleID: roleTarget, Role: "Target"}},
			Unmapped: map[string]any{"corsguard": unmappedOf(e, b)},
		}
		if scope.Account != "" {
			f.Cloud.Account = &ocsfAccount{UID: scope.Account, TypeID: accountTypeAWS, Type: "AWS Account"}
		}
		if a.Remediation != nil && a.Remediation.Recommendation != nil {
			f.Remediation = &ocsfRemediation{Desc: a.Remediation.Recommendation.Text}
		}
		out = append(out, f)
	}
	return out
}

// unmappedOf is what a finding says that OCSF has no attribute for.
func unmappedOf(e enforce.Entry, b enforce.Baseline) map[string]any {
	u := map[string]any{
		"kind":      string(e.Kind),
		"outcome":   string(e.Outcome),
		"attempts":  e.Attempts,
		"retryable": e.Retryable,
		"profile":   profileOf(e),
		"baseline":  map[string]any{"parameter": b.Parameter, "version": b.Version, "digest": b.Hash},
	}
	if len(e.Diff) > 0 {
		u["diff"] = e.Diff
	}
	if e.Note != "" {
		u["note"] = e.Note
	}
	return u
}

func kindNoun(k policy.Kind) string {
	switch k {
	case policy.MediaStore:
		return "MediaStore container"
	case policy.S3:
		return "S3 bucket"
	case policy.CloudFront:
		return "CloudFront response headers policy"
	}
	return string(k)
}

func partitionOf(s findings.Scope) string {
	if s.Partition == "" {
		return "aws"
	}
	return s.Partition
}

// region is the Region the findings belong to: the first of m's Regions.
func (m Meta) region() string {
	if len(m.Regions) > 0 {
		return m.Regions[0]
	}
	return ""
}

// WriteOCSF writes the Compliance Findings of rep as one JSON array (what Security Lake's
// custom-source tooling and the OCSF validators read; one event per line is a `jq -c '.[]'`
// away).
func WriteOCSF(w io.Writer, rep *enforce.Report, m Meta) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(BuildOCSF(rep, m)); err != nil {
		return fmt.Errorf("write ocsf: %w", err)
	}
	return nil
}
