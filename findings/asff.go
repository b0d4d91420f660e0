package findings

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// Finding is the part of an ASFF finding corsguard writes, in ASFF's JSON field names: what
// `corsguard audit --format asff` prints and what `aws securityhub batch-import-findings
// --findings file://…` accepts.
type Finding struct {
	SchemaVersion         string                 `json:"SchemaVersion"`
	ID                    string                 `json:"Id"`
	ProductARN            string                 `json:"ProductArn"`
	GeneratorID           string                 `json:"GeneratorId"`
	AwsAccountID          string                 `json:"AwsAccountId"`
	Types                 []string               `json:"Types"`
	CreatedAt             string                 `json:"CreatedAt"`
	UpdatedAt             string                 `json:"UpdatedAt"`
	Severity              *Severity              `json:"Severity"`
	Title                 string                 `json:"Title"`
	Description           string                 `json:"Description"`
	Remediation           *Remediation           `json:"Remediation,omitempty"`
	ProductFields         map[string]string      `json:"ProductFields,omitempty"`
	Resources             []Resource             `json:"Resources"`
	Compliance            *Compliance            `json:"Compliance,omitempty"`
	RecordState           string                 `json:"RecordState,omitempty"`
	FindingProviderFields *FindingProviderFields `json:"FindingProviderFields,omitempty"`
}

// Severity is a finding's severity.
type Severity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// Remediation says how to fix what the finding reports.
type Remediation struct {
	Recommendation *Recommendation `json:"Recommendation,omitempty"`
}

// Recommendation is the text (and link) of a Remediation.
type Recommendation struct {
	Text string `json:"Text,omitempty"`
	URL  string `json:"Url,omitempty"`
}

// Resource is the resource a finding is about.
type Resource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition,omitempty"`
	Region    string `json:"Region,omitempty"`
}

// Compliance is the result of the check.
type Compliance struct {
	Status string `json:"Status"`
}

// FindingProviderFields carries Severity and Types the way a finding provider may change them
// after the finding exists.
type FindingProviderFields struct {
	Severity *Severity `json:"Severity,omitempty"`
	Types    []string  `json:"Types,omitempty"`
}

// WriteJSON writes the findings as one JSON array, the form `aws securityhub
// batch-import-findings --findings file://FILE` reads (in batches of at most 100).
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fs); err != nil {
		return fmt.Errorf("write asff: %w", err)
	}
	return nil
}

// SDK returns f as the SDK's type, for BatchImportFindings.
func (f Finding) SDK() types.AwsSecurityFinding {
	out := types.AwsSecurityFinding{
		SchemaVersion: aws.String(f.SchemaVersion),
		Id:            aws.String(f.ID),
		ProductArn:    aws.String(f.ProductARN),
		GeneratorId:   aws.String(f.GeneratorID),
		AwsAccountId:  aws.String(f.AwsAccountID),
		Types:         f.Types,
		CreatedAt:     aws.String(f.CreatedAt),
		UpdatedAt:     aws.String(f.UpdatedAt),
		Title:         aws.String(f.Title),
		Description:   aws.String(f.Description),
		ProductFields: f.ProductFields,
		RecordState:   types.RecordState(f.RecordState),
	}
	if f.Severity != nil {
		out.Severity = &types.Severity{Label: types.SeverityLabel(f.Severity.Label), Original: nonEmpty(f.Severity.Original)}
	}
	if f.Remediation != nil && f.Remediation.Recommendation != nil {
		out.Remediation = &types.Remediation{Recommendation: &types.Recommendation{
			Text: nonEmpty(f.Remediation.Recommendation.Text), Url: nonEmpty(f.Remediation.Recommendation.URL)}}
	}
	for _, r := range f.Resources {
		out.Resources = append(out.Resources, types.Resource{Type: aws.String(r.Type), Id: aws.String(r.ID),
			Partition: types.Partition(r.Partition), Region: nonEmpty(r.Region)})
	}
	if f.Compliance != nil {
		out.Compliance = &types.Compliance{Status: types.ComplianceStatus(f.Compliance.Status)}
	}
	if p := f.FindingProviderFields; p != nil {
		out.FindingProviderFields = &types.FindingProviderFields{Types: p.Types}
		if p.Severity != nil {
			out.FindingProviderFields.Severity = &types.FindingProviderSeverity{
				Label: types.SeverityLabel(p.Severity.Label), Original: nonEmpty(p.Severity.Original)}
		}
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
