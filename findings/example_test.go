package findings_test

import (
	"fmt"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// Build turns a report into one finding per checked resource; the same resource always gets
// the same Id, so a later run's finding replaces this one in Security Hub.
func ExampleBuild() {
	scope := findings.Scope{Account: "123456789012", Region: "eu-west-1"}
	rep := &enforce.Report{
		Mode: enforce.ModeAudit,
		Entries: []enforce.Entry{
			{Name: "live-news", Kind: policy.MediaStore, Outcome: enforce.Drifted,
				Diff: []policy.Change{{Path: "CorsPolicy[0].AllowedMethods", Op: "change", Removed: []string{"PUT"}}}},
			{Name: "media-assets", Kind: policy.S3, Outcome: enforce.Compliant},
		},
	}
	for _, f := range findings.Build(scope, rep, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), nil) {
		fmt.Println(f.ID)
		fmt.Println(" ", f.Compliance.Status, f.Severity.Label, f.Resources[0].Type, f.Resources[0].ID)
	}
	fmt.Println(scope.ProductARN())
	// Output:
	// corsguard/123456789012/eu-west-1/mediastore/live-news
	//   FAILED MEDIUM Other arn:aws:mediastore:eu-west-1:123456789012:container/live-news
	// corsguard/123456789012/eu-west-1/s3/media-assets
	//   PASSED INFORMATIONAL AwsS3Bucket arn:aws:s3:::media-assets
	// arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default
}
