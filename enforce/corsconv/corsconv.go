// Package corsconv converts a CORS policy between corsguard's model (package policy) and the
// shapes of the AWS SDK: MediaStore's []types.CorsRule, S3's []types.CORSRule, CloudFront's
// ResponseHeadersPolicyCorsConfig, and the Cors of Lambda function URLs and API Gateway's HTTP
// APIs (apis.go). The engine,
// the CLI, the demo, the benchmarks and the tests share it, so a field added to the model is
// carried over in one place. It is the engine's edge, so it lives under enforce: policy stays
// free of AWS types, and no import runs back up from the engine to internal/.
package corsconv

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	mstypes "github.com/aws/aws-sdk-go-v2/service/mediastore/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/policy"
)

// ToMediaStore returns p as PutCorsPolicy takes it. MaxAgeSeconds fits: Validate caps it at
// the int32 maximum. A rule ID, which MediaStore has no field for, is dropped; Validate
// refuses one for MediaStore.
func ToMediaStore(p policy.Policy) []mstypes.CorsRule {
	out := make([]mstypes.CorsRule, len(p))
	for i, r := range p {
		methods := make([]mstypes.MethodName, len(r.AllowedMethods))
		for j, m := range r.AllowedMethods {
			methods[j] = mstypes.MethodName(m)
		}
		out[i] = mstypes.CorsRule{
			AllowedOrigins: r.AllowedOrigins,
			AllowedMethods: methods,
			AllowedHeaders: r.AllowedHeaders,
			ExposeHeaders:  r.ExposeHeaders,
			MaxAgeSeconds:  int32(r.MaxAgeSeconds),
		}
	}
	return out
}

// FromMediaStore returns the policy GetCorsPolicy answered, never nil: a container that
// answers with an empty policy has one, with no rules.
func FromMediaStore(rules []mstypes.CorsRule) policy.Policy {
	out := make(policy.Policy, len(rules))
	for i, r := range rules {
		methods := make([]string, len(r.AllowedMethods))
		for j, m := range r.AllowedMethods {
			methods[j] = string(m)
		}
		out[i] = policy.Rule{
			AllowedOrigins: r.AllowedOrigins,
			AllowedMethods: methods,
			AllowedHeaders: r.AllowedHeaders,
			ExposeHeaders:  r.ExposeHeaders,
			MaxAgeSeconds:  int64(r.MaxAgeSeconds),
		}
	}
	return out
}

// ToS3 returns p as PutBucketCors takes it; an empty ID and a zero MaxAgeSeconds are left
// out, as S3 leaves them out of what it returns.
func ToS3(p policy.Policy) []s3types.CORSRule {
	out := make([]s3types.CORSRule, len(p))
	for i, r := range p {
		out[i] = s3types.CORSRule{
			AllowedOrigins: r.AllowedOrigins,
			AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders,
			ExposeHeaders:  r.ExposeHeaders,
		}
		if r.ID != "" {
			out[i].ID = aws.String(r.ID)
		}
		if r.MaxAgeSeconds != 0 {
			out[i].MaxAgeSeconds = aws.Int32(int32(r.MaxAgeSeconds))
		}
	}
	return out
}

// FromS3 returns the policy GetBucketCors answered, never nil.
func FromS3(rules []s3types.CORSRule) policy.Policy {
	out := make(policy.Policy, len(rules))
	for i, r := range rules {
		out[i] = policy.Rule{
			ID:             aws.ToString(r.ID),
			AllowedOrigins: r.AllowedOrigins,
			AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders,
			ExposeHeaders:  r.ExposeHeaders,
			MaxAgeSeconds:  int64(aws.ToInt32(r.MaxAgeSeconds)),
		}
	}
	return out
}

// FromCloudFront returns a response headers policy's CorsConfig as a Policy of one rule
// (policy.CorsConfig.Policy): absent lists stay absent, Quantity is dropped.
func FromCloudFront(c *cftypes.ResponseHeadersPolicyCorsConfig) policy.Policy {
	if c == nil {
		return nil
	}
	list := func(quantity *int32, items []string) *policy.CloudFrontList {
		n := len(items)
		if quantity != nil {
			n = int(*quantity)
		}
		return &policy.CloudFrontList{Quantity: &n, Items: items}
	}
	out := policy.CorsConfig{
		AccessControlAllowCredentials: c.AccessControlAllowCredentials,
		OriginOverride:                c.OriginOverride,
	}
	if o := c.AccessControlAllowOrigins; o != nil {
		out.AccessControlAllowOrigins = list(o.Quantity, o.Items)
	}
	if h := c.AccessControlAllowHeaders; h != nil {
		out.AccessControlAllowHeaders = list(h.Quantity, h.Items)
	}
	if mth := c.AccessControlAllowMethods; mth != nil {
		items := make([]string, len(mth.Items))
		for i, v := range mth.Items {
			items[i] = string(v)
		}
		out.AccessControlAllowMethods = list(mth.Quantity, items)
	}
	if e := c.AccessControlExposeHeaders; e != nil {
		out.AccessControlExposeHeaders = list(e.Quantity, e.Items)
	}
	if c.AccessControlMaxAgeSec != nil {
		v := int64(*c.AccessControlMaxAgeSec)
		out.AccessControlMaxAgeSec = &v
	}
	return out.Policy()
}

// ToCloudFront returns p, a CloudFront CorsConfig in Policy form, as UpdateResponseHeadersPolicy
// takes it, each list with its Quantity. AccessControlMaxAgeSec fits: Validate caps it at the
// int32 maximum.
func ToCloudFront(p policy.Policy) (*cftypes.ResponseHeadersPolicyCorsConfig, error) {
	c, err := policy.CorsConfigOf(p)
	if err != nil {
		return nil, err
	}
	// Items is required beside Quantity in the three required lists, even when empty: the
	// SDK refuses the request without it.
	quantity := func(l *policy.CloudFrontList) (*int32, []string) {
		n := int32(len(l.Items))
		if l.Items == nil {
			return &n, []string{}
		}
		return &n, l.Items
	}
	out := &cftypes.ResponseHeadersPolicyCorsConfig{
		AccessControlAllowCredentials: c.AccessControlAllowCredentials,
		OriginOverride:                c.OriginOverride,
	}
	if l := c.AccessControlAllowOrigins; l != nil {
		q, items := quantity(l)
		out.AccessControlAllowOrigins = &cftypes.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: q, Items: items}
	}
	if l := c.AccessControlAllowHeaders; l != nil {
		q, items := quantity(l)
		out.AccessControlAllowHeaders = &cftypes.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: q, Items: items}
	}
	if l := c.AccessControlAllowMethods; l != nil {
		q, items := quantity(l)
		methods := make([]cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues, len(items))
		for i, v := range items {
			methods[i] = cftypes.ResponseHeadersPolicyAccessControlAllowMethodsValues(v)
		}
		out.AccessControlAllowMethods = &cftypes.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: q, Items: methods}
	}
	if l := c.AccessControlExposeHeaders; l != nil {
		q, items := quantity(l)
		out.AccessControlExposeHeaders = &cftypes.ResponseHeadersPolicyAccessControlExposeHeaders{Quantity: q, Items: items}
	}
	if c.AccessControlMaxAgeSec != nil {
		v := int32(*c.AccessControlMaxAgeSec)
		out.AccessControlMaxAgeSec = &v
	}
	return out, nil
}
