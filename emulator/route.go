package emulator

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// frontEnds maps the service of a SigV4 credential scope to the front end that serves it. A
// request is routed by the service it was signed for, as AWS routes by endpoint: the path
// cannot tell, since "findings" and "2020-05-31" are valid bucket names. A new service is one
// line here.
// Service is one AWS service the emulator serves.
type Service struct {
	// SigningName is the service's name in the SigV4 credential scope, by which the emulator
	// routes a request, as AWS routes by endpoint.
	SigningName string
	// Name is the service's name; Serves says what of it the emulator serves.
	Name, Serves string
}

// Services lists every service the emulator serves, as its help names them (a test holds the
// list to the front ends, and `corsguard emulator --help` to the list).
func Services() []Service {
	return []Service{
		{"mediastore", "AWS Elemental MediaStore", "containers, CORS policies, tags"},
		{"s3", "Amazon S3", "buckets (CORS, tags, Region), objects and CORS answers on the data plane"},
		{"cloudfront", "Amazon CloudFront", "response headers policies, cache and origin request policies, distributions, and the edge's answers on the data plane"},
		{"lambda", "AWS Lambda", "function URLs (Cors)"},
		{"apigateway", "Amazon API Gateway", "HTTP APIs (CorsConfiguration)"},
		{"ssm", "AWS Systems Manager Parameter Store", "parameters, versions, history, labels"},
		{"sqs", "Amazon SQS", "standard and FIFO queues, with dead-letter queues"},
		{"securityhub", "AWS Security Hub", "findings (BatchImportFindings, GetFindings)"},
		{"tagging", "AWS Resource Groups Tagging API", "GetResources"},
		{"sts", "AWS STS", "GetCallerIdentity"},
	}
}

func (e *Emulator) frontEnds() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"mediastore":  e.jsonFront(mediaStoreTarget, e.mediaStoreOps()),
		"ssm":         e.jsonFront(ssmTarget, e.ssmOps()),
		"sqs":         e.jsonFront(sqsTarget, e.sqsOps()),
		"s3":          e.serveS3,
		"securityhub": e.serveSecurityHub,
		"sts":         e.serveSTS,
		"cloudfront":  e.serveCloudFront,
		"lambda":      e.restFront("lambda", restProtocol{"lambda"}, e.lambdaRoutes()),
		"apigateway":  e.restFront("apigateway", restProtocol{"apigateway"}, e.apiGatewayRoutes()),
		"tagging":     e.jsonFront(taggingTarget, e.taggingOps()),
	}
}

// ServeHTTP answers one AWS API request, routed by the service in its credential scope.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if dp := e.dataPlane(r); dp != nil { // an unsigned request to S3's or CloudFront's content hosts
		dp(w, r)
		return
	}
	scope, aerr := credentialScope(r)
	if aerr != nil {
		e.refuse(w, r, aerr)
		return
	}
	front, ok := e.fronts[scope.service]
	if !ok {
		e.refuse(w, r, &apiError{Code: "InvalidSignatureException", Status: http.StatusForbidden,
			Message: "Credential should be scoped to a service the emulator serves (" +
				strings.Join(slices.Sorted(maps.Keys(e.fronts)), ", ") + "), not '" + scope.service + "'."})
		return
	}
	front(w, r)
}

// refuse answers a request that cannot be routed to a service. Without a service to ask, the
// wire format is guessed from the request: awsJson (X-Amz-Target) or S3's REST-XML, the two
// ways an unsigned request reaches AWS in practice.
func (e *Emulator) refuse(w http.ResponseWriter, r *http.Request, err *apiError) {
	if r.Header.Get("X-Amz-Target") != "" {
		writeJSONError(w, e.requestID(), err)
		return
	}
	if err.Code == "InvalidSignatureException" {
		err = &apiError{Code: "AuthorizationHeaderMalformed", Message: err.Message}
	}
	s3Protocol{}.writeError(w, e.requestID(), err)
}

// scope is the credential scope of a SigV4 request: AKID/DATE/REGION/SERVICE/aws4_request.
type scope struct {
	accessKey, date, region, service string
}

// credentialScope reads the credential scope from the Authorization header or, for a
// presigned request, the X-Amz-Credential query parameter. Signatures are not verified: the
// emulator cannot know the secret, and any credentials will do.
func credentialScope(r *http.Request) (scope, *apiError) {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		const scheme = "AWS4-HMAC-SHA256 "
		if !strings.HasPrefix(auth, scheme) {
			return scope{}, &apiError{Code: "IncompleteSignatureException", Status: http.StatusBadRequest,
				Message: "Authorization header requires the AWS4-HMAC-SHA256 scheme"}
		}
		for part := range strings.SplitSeq(strings.TrimPrefix(auth, scheme), ",") {
			if c, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = c
			}
		}
		if cred == "" {
			return scope{}, &apiError{Code: "IncompleteSignatureException", Status: http.StatusBadRequest,
				Message: "Authorization header requires 'Credential' parameter"}
		}
	} else if cred = r.URL.Query().Get("X-Amz-Credential"); cred == "" {
		return scope{}, &apiError{Code: "MissingAuthenticationTokenException", Status: http.StatusBadRequest,
			Message: "Missing Authentication Token"}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || parts[3] == "" {
		return scope{}, &apiError{Code: "IncompleteSignatureException", Status: http.StatusBadRequest,
			Message: "Credential should have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + cred + "'"}
	}
	return scope{accessKey: parts[0], date: parts[1], region: parts[2], service: parts[3]}, nil
}
