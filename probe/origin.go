package probe

import (
	"regexp"
	"strings"
)

// s3Host is the host name of an Amazon S3 bucket's endpoint as a CloudFront origin names it:
// BUCKET.s3.amazonaws.com (the global endpoint), BUCKET.s3.REGION.amazonaws.com,
// BUCKET.s3-REGION.amazonaws.com (the legacy dash form), BUCKET.s3.dualstack.REGION.amazonaws.com,
// and the website endpoints BUCKET.s3-website-REGION.amazonaws.com and
// BUCKET.s3-website.REGION.amazonaws.com; in the China Regions under amazonaws.com.cn.
var s3Host = regexp.MustCompile(`^(.+)\.s3(?:\.dualstack)?(?:[.-]website)?(?:[.-][a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9])?\.amazonaws\.com(?:\.cn)?$`)

// bucketName is an S3 general purpose bucket's name: 3 to 63 lower-case letters, digits, dots
// and hyphens, beginning and ending with a letter or digit.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// OriginBucket returns the S3 bucket a CloudFront origin's domain name reaches, and whether it
// is one: its profile (tag or pattern) is then the intent of the behaviours that forward to it.
// A custom origin (any other host) is no bucket.
func OriginBucket(domain string) (string, bool) {
	m := s3Host.FindStringSubmatch(strings.ToLower(strings.TrimSuffix(domain, ".")))
	if m == nil || !bucketName.MatchString(m[1]) || strings.Contains(m[1], "..") {
		return "", false
	}
	return m[1], true
}
