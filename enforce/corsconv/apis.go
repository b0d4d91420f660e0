package corsconv

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/corsguard/corsguard/policy"
)

// FromLambda returns a function URL's Cors as a lambda-url Policy (absent fields read as Lambda
// reads them back), or nil for a URL without CORS.
func FromLambda(c *ltypes.Cors) policy.Policy {
	if c == nil {
		return nil
	}
	return policy.Cors{AllowCredentials: c.AllowCredentials, AllowHeaders: c.AllowHeaders, AllowMethods: c.AllowMethods,
		AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: int64Ptr(c.MaxAge)}.Policy(policy.LambdaURL)
}

// ToLambda returns p (a Cors policy) as UpdateFunctionUrlConfig's Cors, every member given:
// empty lists as empty lists, AllowCredentials and MaxAge as the baseline reads them, so the
// whole object is written. MaxAge fits: Validate caps it at 86,400.
func ToLambda(p policy.Policy) (*ltypes.Cors, error) {
	c, err := policy.CorsOf(p)
	if err != nil {
		return nil, err
	}
	return &ltypes.Cors{AllowCredentials: aws.Bool(aws.ToBool(c.AllowCredentials)), AllowHeaders: list(c.AllowHeaders),
		AllowMethods: list(c.AllowMethods), AllowOrigins: list(c.AllowOrigins), ExposeHeaders: list(c.ExposeHeaders),
		MaxAge: aws.Int32(int32(aws.ToInt64(c.MaxAge)))}, nil
}

// FromAPIGateway returns an HTTP API's CorsConfiguration as an http-api Policy, or nil for an
// API without one.
func FromAPIGateway(c *agtypes.Cors) policy.Policy {
	if c == nil {
		return nil
	}
	return policy.Cors{AllowCredentials: c.AllowCredentials, AllowHeaders: c.AllowHeaders, AllowMethods: c.AllowMethods,
		AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: int64Ptr(c.MaxAge)}.Policy(policy.HTTPAPI)
}

// ToAPIGateway returns p (a Cors policy) as UpdateApi's CorsConfiguration, every member the
// baseline has given: empty lists as empty lists, AllowCredentials as false when absent. An
// absent MaxAge is left out, since API Gateway has no value that means "absent": a read-back
// tells whether an older MaxAge survived.
func ToAPIGateway(p policy.Policy) (*agtypes.Cors, error) {
	c, err := policy.CorsOf(p)
	if err != nil {
		return nil, err
	}
	out := &agtypes.Cors{AllowCredentials: aws.Bool(aws.ToBool(c.AllowCredentials)), AllowHeaders: list(c.AllowHeaders),
		AllowMethods: list(c.AllowMethods), AllowOrigins: list(c.AllowOrigins), ExposeHeaders: list(c.ExposeHeaders)}
	if c.MaxAge != nil {
		out.MaxAge = aws.Int32(int32(*c.MaxAge))
	}
	return out, nil
}

func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func int64Ptr(p *int32) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}
