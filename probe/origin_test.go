package probe

import (
	"strings"
	"testing"
)

func TestOriginBucketReadsEveryS3EndpointForm(t *testing.T) {
	for domain, want := range map[string]string{
		"media.s3.amazonaws.com":                        "media",
		"media.s3.us-east-1.amazonaws.com":              "media",
		"media.s3-eu-west-1.amazonaws.com":              "media",
		"media.s3.dualstack.ap-south-1.amazonaws.com":   "media",
		"media.s3-website-us-west-2.amazonaws.com":      "media",
		"media.s3-website.eu-central-1.amazonaws.com":   "media",
		"media.s3.cn-north-1.amazonaws.com.cn":          "media",
		"media.s3.us-gov-west-1.amazonaws.com":          "media",
		"cdnchain-leak.s3.us-east-1.amazonaws.com":      "cdnchain-leak",
		"assets.example.com.s3.us-east-1.amazonaws.com": "assets.example.com",
		"MEDIA.S3.US-EAST-1.AMAZONAWS.COM.":             "media",
		"api.example.com":                               "",
		"media.s3.amazonaws.com.evil.example":           "",
		"s3.amazonaws.com":                              "",
		"ab.s3.amazonaws.com":                           "", // too short for a bucket
		"a..b.s3.amazonaws.com":                         "",
		"-media.s3.amazonaws.com":                       "",
		"d111111abcdef8.cloudfront.net":                 "",
		"media.s3-accesspoint.us-east-1.amazonaws.com":  "",
	} {
		got, ok := OriginBucket(domain)
		if got != want || ok != (want != "") {
			t.Errorf("OriginBucket(%q) = %q, %v; want %q", domain, got, ok, want)
		}
	}
}

// FuzzOriginBucket: whatever the domain, a bucket found is a valid bucket name that the domain
// begins with, followed by ".s3".
func FuzzOriginBucket(f *testing.F) {
	for _, s := range []string{"media.s3.amazonaws.com", "media.s3-website-us-west-2.amazonaws.com", "x.s3.amazonaws.com.cn", "..s3.amazonaws.com", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, domain string) {
		b, ok := OriginBucket(domain)
		if !ok {
			return
		}
		if !bucketName.MatchString(b) || strings.Contains(b, "..") || !strings.HasPrefix(strings.ToLower(domain), b+".s3") {
			t.Fatalf("OriginBucket(%q) = %q", domain, b)
		}
	})
}
