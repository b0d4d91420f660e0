package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is AWS Lambda's front end, as much of it as corsguard needs: CreateFunction (the
// code is kept and never run; the role need not exist), ListFunctions, the function URL
// operations (REST-JSON under /2021-10-31/functions) and the tag operations. Rules come from
// botocore's lambda/2015-03-31 service-2.json and the Lambda API reference, never from the
// policy package.

// Lambda's limits the emulator enforces (the model's shapes, the API reference).
const (
	maxLambdaMethods     = 6    // AllowMethodsList: max 6
	maxLambdaMethodChars = 6    // Method: max 6
	maxLambdaCorsItems   = 100  // AllowOriginsList, HeadersList: max 100
	maxLambdaOriginChars = 253  // Origin: 1-253
	maxLambdaHeaderChars = 1024 // Header: 0-1024
	maxLambdaMaxAge      = 86400
	maxFunctionNameChars = 64 // "If you specify only the function name, it is limited to 64 characters"
	maxFunctionURLPage   = 50 // ListFunctionUrlConfigs: "returns a maximum of 50 items in each response"
	maxFunctionsPage     = 50 // ListFunctions' default page
	maxFunctionsItems    = 10000
	maxLambdaTags        = 50 // "You can add up to 50 tags to a function"
)

var (
	functionNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	urlQualifierPattern = regexp.MustCompile(`^[0-9a-zA-Z_-]{1,128}$`)
	rolePattern         = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	// lambdaCorsMethods are the values AllowMethods takes (Lambda developer guide; the
	// AWS::Lambda::Url Cors reference's allowed values).
	lambdaCorsMethods = []string{"GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"}
)

// function is a Lambda function: its configuration, its code (kept, never run), its aliases
// (which function URLs may name as Qualifier) and its URLs by qualifier ("" is unqualified).
type function struct {
	name, runtime, role, handler, packageType string
	code                                      []byte
	modified                                  time.Time
	tags                                      map[string]string
	aliases                                   []string
	urls                                      map[string]*functionURL
}

// functionURL is one function URL configuration.
type functionURL struct {
	id, authType, invokeMode string
	cors                     *lambdaCors // nil: no CORS
	created, modified        time.Time
}

// lambdaCors is a function URL's Cors object, in Lambda's field names.
type lambdaCors struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int64   `json:"MaxAge,omitempty"`
}

// lambdaRoutes are the REST-JSON operations Lambda serves.
func (e *Emulator) lambdaRoutes() []restRoute {
	return []restRoute{
		{http.MethodPost, []string{"2015-03-31", "functions"}, -1, "CreateFunction", e.createFunction},
		{http.MethodGet, []string{"2015-03-31", "functions"}, -1, "ListFunctions", e.listFunctions},
		{http.MethodPost, []string{"2021-10-31", "functions", "{}", "url"}, 0, "CreateFunctionUrlConfig", e.createFunctionURL},
		{http.MethodGet, []string{"2021-10-31", "functions", "{}", "url"}, 0, "GetFunctionUrlConfig", e.getFunctionURL},
		{http.MethodPut, []string{"2021-10-31", "functions", "{}", "url"}, 0, "UpdateFunctionUrlConfig", e.updateFunctionURL},
		{http.MethodDelete, []string{"2021-10-31", "functions", "{}", "url"}, 0, "DeleteFunctionUrlConfig", e.deleteFunctionURL},
		{http.MethodGet, []string{"2021-10-31", "functions", "{}", "urls"}, 0, "ListFunctionUrlConfigs", e.listFunctionURLs},
		{http.MethodPost, []string{"2017-03-31", "tags", "{}"}, 0, "TagResource", e.tagFunction},
		{http.MethodGet, []string{"2017-03-31", "tags", "{}"}, 0, "ListTags", e.listFunctionTags},
		{http.MethodDelete, []string{"2017-03-31", "tags", "{}"}, 0, "UntagResource", e.untagFunction},
	}
}

// splitFunctionName reads a FunctionName in any of its forms (name, name:qualifier, full or
// partial ARN, with or without a qualifier) into the name and the qualifier.
func splitFunctionName(s string) (name, qualifier string, ok bool) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		parts = parts[6:]
	case len(parts) >= 3 && parts[1] == "function":
		parts = parts[2:]
	}
	switch len(parts) {
	case 1:
		return parts[0], "", functionNamePattern.MatchString(parts[0])
	case 2:
		return parts[0], parts[1], functionNamePattern.MatchString(parts[0])
	}
	return s, "", false
}

func (e *Emulator) functionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", e.region, e.account, name)
}

func lambdaValidation(format string, args ...any) error {
	return errf("ValidationException", "1 validation error detected: "+format, args...)
}

func functionNotFound(arn string) error {
	return &apiError{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "Function not found: " + arn}
}

// functionLocked returns the function a FunctionName names, or ResourceNotFoundException.
func (e *Emulator) functionLocked(raw string) (*function, string, error) {
	name, qualifier, ok := splitFunctionName(raw)
	if !ok || utf8.RuneCountInString(name) > maxFunctionNameChars {
		return nil, "", lambdaValidation("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: "+
			`(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`, raw)
	}
	f := e.functions[name]
	if f == nil {
		return nil, "", functionNotFound(e.functionARN(name))
	}
	return f, qualifier, nil
}

// urlQualifierLocked returns the qualifier a function URL request names (in FunctionName or in
// Qualifier; both must agree): "" or an alias of f.
func (e *Emulator) urlQualifierLocked(f *function, inName string, q []string) (string, error) {
	qualifier := inName
	if len(q) > 0 && q[0] != "" {
		if inName != "" && inName != q[0] {
			return "", errf("InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.")
		}
		qualifier = q[0]
	}
	if qualifier == "" {
		return "", nil
	}
	if !urlQualifierPattern.MatchString(qualifier) || isAllDigits(qualifier) {
		return "", lambdaValidation("Value '%s' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)", qualifier)
	}
	if !slices.Contains(f.aliases, qualifier) {
		return "", functionNotFound(e.functionARN(f.name) + ":" + qualifier)
	}
	return qualifier, nil
}

func isAllDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// normalizeLambdaCors checks a Cors object by Lambda's rules and returns it as Lambda stores
// it: header names in lower case (Lambda stores and returns them so); origins, methods and the
// other fields as given.
func normalizeLambdaCors(c *lambdaCors) (*lambdaCors, error) {
	if c == nil {
		return nil, nil
	}
	if len(c.AllowMethods) > maxLambdaMethods {
		return nil, lambdaValidation("Value '%v' at 'cors.allowMethods' failed to satisfy constraint: Member must have length less than or equal to %d", c.AllowMethods, maxLambdaMethods)
	}
	for _, m := range c.AllowMethods {
		if utf8.RuneCountInString(m) > maxLambdaMethodChars {
			return nil, lambdaValidation("Value '%v' at 'cors.allowMethods' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to %d]", c.AllowMethods, maxLambdaMethodChars)
		}
		if !slices.Contains(lambdaCorsMethods, m) {
			return nil, errf("InvalidParameterValueException", "Invalid CORS method %q: valid values are %s", m, strings.Join(lambdaCorsMethods, ", "))
		}
	}
	lists := []struct {
		name     string
		items    []string
		min, max int
	}{
		{"allowOrigins", c.AllowOrigins, 1, maxLambdaOriginChars},
		{"allowHeaders", c.AllowHeaders, 0, maxLambdaHeaderChars},
		{"exposeHeaders", c.ExposeHeaders, 0, maxLambdaHeaderChars},
	}
	for _, l := range lists {
		if len(l.items) > maxLambdaCorsItems {
			return nil, lambdaValidation("Value at 'cors.%s' failed to satisfy constraint: Member must have length less than or equal to %d", l.name, maxLambdaCorsItems)
		}
		for _, s := range l.items {
			if n := utf8.RuneCountInString(s); n < l.min || n > l.max {
				return nil, lambdaValidation("Value at 'cors.%s' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to %d]", l.name, l.max, l.min)
			}
		}
	}
	if c.MaxAge != nil && (*c.MaxAge < 0 || *c.MaxAge > maxLambdaMaxAge) {
		return nil, lambdaValidation("Value '%d' at 'cors.maxAge' failed to satisfy constraint: Member must have value between 0 and %d", *c.MaxAge, maxLambdaMaxAge)
	}
	lower := func(l []string) []string {
		if l == nil {
			return nil
		}
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	return &lambdaCors{
		AllowCredentials: c.AllowCredentials,
		AllowHeaders:     lower(c.AllowHeaders),
		AllowMethods:     slices.Clone(c.AllowMethods),
		AllowOrigins:     slices.Clone(c.AllowOrigins),
		ExposeHeaders:    lower(c.ExposeHeaders),
		MaxAge:           c.MaxAge,
	}, nil
}

func checkEnum(field, v string, values ...string) error {
	if !slices.Contains(values, v) {
		return lambdaValidation("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, field, strings.Join(values, ", "))
	}
	return nil
}

// lambdaTime is how Lambda writes a function's LastModified; urlTime a function URL's times.
func lambdaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }
func urlTime(t time.Time) string    { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// configuration is a function's FunctionConfiguration.
func (e *Emulator) configuration(f *function) map[string]any {
	sum := sha256.Sum256(f.code)
	out := map[string]any{
		"FunctionName": f.name, "FunctionArn": e.functionARN(f.name), "Role": f.role,
		"CodeSize": len(f.code), "CodeSha256": base64.StdEncoding.EncodeToString(sum[:]),
		"Timeout": 3, "MemorySize": 128, "LastModified": lambdaTime(f.modified), "Version": "$LATEST",
		"State": "Active", "LastUpdateStatus": "Successful", "PackageType": f.packageType,
		"Architectures": []string{"x86_64"}, "Description": "",
	}
	if f.packageType == "Zip" {
		out["Runtime"], out["Handler"] = f.runtime, f.handler
	}
	return out
}

func (e *Emulator) createFunction(c *call, req restRequest) (any, error) {
	var in struct {
		FunctionName, Role, Runtime, Handler, PackageType string
		Code                                              *struct {
			ZipFile         []byte
			S3Bucket, S3Key string
			ImageUri        string
			S3ObjectVersion string
			SourceKMSKeyArn string
		}
		Tags map[string]string
	}
	if err := decode(req.body, &in); err != nil {
		return nil, err
	}
	if in.PackageType == "" {
		in.PackageType = "Zip"
	}
	switch {
	case in.FunctionName == "":
		return nil, lambdaValidation("Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	case !functionNamePattern.MatchString(in.FunctionName) || utf8.RuneCountInString(in.FunctionName) > maxFunctionNameChars:
		return nil, lambdaValidation("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length less than or equal to 64", in.FunctionName)
	case in.Role == "":
		return nil, lambdaValidation("Value null at 'role' failed to satisfy constraint: Member must not be null")
	case !rolePattern.MatchString(in.Role):
		return nil, lambdaValidation("Value '%s' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+", in.Role)
	case in.Code == nil:
		return nil, lambdaValidation("Value null at 'code' failed to satisfy constraint: Member must not be null")
	}
	if err := checkEnum("packageType", in.PackageType, "Zip", "Image"); err != nil {
		return nil, err
	}
	if in.PackageType == "Zip" {
		if len(in.Code.ZipFile) == 0 && (in.Code.S3Bucket == "" || in.Code.S3Key == "") {
			return nil, errf("InvalidParameterValueException", "Please provide a source for function code.")
		}
		if in.Runtime == "" || in.Handler == "" {
			return nil, errf("InvalidParameterValueException", "The runtime and handler parameters are required for a .zip file deployment package.")
		}
	} else if in.Code.ImageUri == "" {
		return nil, errf("InvalidParameterValueException", "Please provide a source for function code.")
	}
	if len(in.Tags) > maxLambdaTags {
		return nil, errf("InvalidParameterValueException", "Number of tags exceeds resource tag limit.")
	}
	return e.locked(c, func() (any, error) {
		if _, ok := e.functions[in.FunctionName]; ok {
			return nil, &apiError{Code: "ResourceConflictException", Status: http.StatusConflict, Message: "Function already exist: " + in.FunctionName}
		}
		f := &function{name: in.FunctionName, runtime: in.Runtime, role: in.Role, handler: in.Handler, packageType: in.PackageType,
			code: in.Code.ZipFile, modified: c.Time, tags: maps.Clone(in.Tags), urls: map[string]*functionURL{}}
		e.functions[f.name] = f
		return restAnswer{http.StatusCreated, e.configuration(f)}, nil
	})
}

// lambdaMaxItems reads a Lambda list call's MaxItems (def when absent), refused outside 1 to most as
// Lambda refuses it.
func lambdaMaxItems(req restRequest, def, most int) (int, error) {
	v := req.query.Get("MaxItems")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, lambdaValidation("Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and %d", v, most)
	}
	return n, nil
}

func (e *Emulator) listFunctions(c *call, req restRequest) (any, error) {
	limit, err := lambdaMaxItems(req, maxFunctionsPage, maxFunctionsItems)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		names := slices.Sorted(maps.Keys(e.functions))
		page, next, err := pageAfter(names, req.query.Get("Marker"), limit)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"Functions": []any{}}
		fns := []any{}
		for _, n := range page {
			fns = append(fns, e.configuration(e.functions[n]))
		}
		out["Functions"] = fns
		if next != "" {
			out["NextMarker"] = next
		}
		return out, nil
	})
}

// pageAfter returns the page of sorted keys after marker (an opaque token made by pageAfter)
// and the marker of the next page ("" at the end).
func pageAfter(keys []string, marker string, limit int) ([]string, string, error) {
	start := 0
	if marker != "" {
		last, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil {
			return nil, "", errf("InvalidParameterValueException", "Invalid marker: %s", marker)
		}
		start, _ = slices.BinarySearch(keys, string(last)+"\x00")
	}
	end := min(start+limit, len(keys))
	next := ""
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[end-1]))
	}
	return keys[start:end], next, nil
}

// urlConfig is a function URL configuration as Lambda answers it.
func (e *Emulator) urlConfig(f *function, qualifier string, u *functionURL, modified bool) map[string]any {
	arn := e.functionARN(f.name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	out := map[string]any{
		"FunctionUrl":  fmt.Sprintf("https://%s.lambda-url.%s.on.aws/", u.id, e.region),
		"FunctionArn":  arn,
		"AuthType":     u.authType,
		"CreationTime": urlTime(u.created),
		"InvokeMode":   u.invokeMode,
	}
	if modified {
		out["LastModifiedTime"] = urlTime(u.modified)
	}
	if u.cors != nil {
		out["Cors"] = u.cors
	}
	return out
}

// urlRequest is the body of CreateFunctionUrlConfig and UpdateFunctionUrlConfig.
type urlRequest struct {
	AuthType   *string
	Cors       *lambdaCors
	InvokeMode *string
}

func (in urlRequest) check() (*lambdaCors, error) {
	if in.AuthType != nil {
		if err := checkEnum("authType", *in.AuthType, "NONE", "AWS_IAM"); err != nil {
			return nil, err
		}
	}
	if in.InvokeMode != nil {
		if err := checkEnum("invokeMode", *in.InvokeMode, "BUFFERED", "RESPONSE_STREAM"); err != nil {
			return nil, err
		}
	}
	return normalizeLambdaCors(in.Cors)
}

func (e *Emulator) createFunctionURL(c *call, req restRequest) (any, error) {
	var in urlRequest
	if err := decode(req.body, &in); err != nil {
		return nil, err
	}
	if in.AuthType == nil {
		return nil, lambdaValidation("Value null at 'authType' failed to satisfy constraint: Member must not be null")
	}
	cors, err := in.check()
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		f, inName, err := e.functionLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		q, err := e.urlQualifierLocked(f, inName, req.query["Qualifier"])
		if err != nil {
			return nil, err
		}
		if _, ok := f.urls[q]; ok {
			return nil, &apiError{Code: "ResourceConflictException", Status: http.StatusConflict,
				Message: fmt.Sprintf("Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", e.functionARN(f.name))}
		}
		mode := "BUFFERED"
		if in.InvokeMode != nil {
			mode = *in.InvokeMode
		}
		u := &functionURL{id: e.urlID(), authType: *in.AuthType, invokeMode: mode, cors: cors, created: c.Time, modified: c.Time}
		f.urls[q] = u
		return restAnswer{http.StatusCreated, e.urlConfig(f, q, u, false)}, nil
	})
}

// urlID is the 32 lower-case letters and digits that begin a function URL's host name.
func (e *Emulator) urlID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 32)
	for i := range b {
		b[i] = alphabet[e.id()%uint64(len(alphabet))]
	}
	return string(b)
}

// onURL runs fn on the function URL a request names, under the lock.
func (e *Emulator) onURL(c *call, req restRequest, fn func(f *function, q string, u *functionURL) (any, error)) (any, error) {
	return e.locked(c, func() (any, error) {
		f, inName, err := e.functionLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		q, err := e.urlQualifierLocked(f, inName, req.query["Qualifier"])
		if err != nil {
			return nil, err
		}
		u := f.urls[q]
		if u == nil {
			return nil, &apiError{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "The resource you requested does not exist."}
		}
		return fn(f, q, u)
	})
}

func (e *Emulator) getFunctionURL(c *call, req restRequest) (any, error) {
	return e.onURL(c, req, func(f *function, q string, u *functionURL) (any, error) {
		return e.urlConfig(f, q, u, true), nil
	})
}

// updateFunctionURL replaces the fields the request gives and keeps the others: a request with
// only Cors keeps AuthType and InvokeMode. A Cors given replaces the whole Cors object.
func (e *Emulator) updateFunctionURL(c *call, req restRequest) (any, error) {
	var in urlRequest
	if err := decode(req.body, &in); err != nil {
		return nil, err
	}
	cors, err := in.check()
	if err != nil {
		return nil, err
	}
	return e.onURL(c, req, func(f *function, q string, u *functionURL) (any, error) {
		if in.AuthType != nil {
			u.authType = *in.AuthType
		}
		if in.InvokeMode != nil {
			u.invokeMode = *in.InvokeMode
		}
		if in.Cors != nil {
			u.cors = cors
		}
		u.modified = c.Time
		return e.urlConfig(f, q, u, true), nil
	})
}

func (e *Emulator) deleteFunctionURL(c *call, req restRequest) (any, error) {
	return e.onURL(c, req, func(f *function, q string, _ *functionURL) (any, error) {
		delete(f.urls, q)
		return restAnswer{status: http.StatusNoContent}, nil
	})
}

func (e *Emulator) listFunctionURLs(c *call, req restRequest) (any, error) {
	limit, err := lambdaMaxItems(req, maxFunctionURLPage, maxFunctionURLPage)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		f, q, err := e.functionLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		if q != "" {
			return nil, errf("InvalidParameterValueException", "ListFunctionUrlConfigs takes an unqualified function name.")
		}
		page, next, err := pageAfter(slices.Sorted(maps.Keys(f.urls)), req.query.Get("Marker"), limit)
		if err != nil {
			return nil, err
		}
		items := []any{}
		for _, q := range page {
			items = append(items, e.urlConfig(f, q, f.urls[q], true))
		}
		out := map[string]any{"FunctionUrlConfigs": items}
		if next != "" {
			out["NextMarker"] = next
		}
		return out, nil
	})
}

// taggedFunctionLocked returns the function a tag request's ARN names: tags belong to a
// function, so its ARN must be a function's, unqualified.
func (e *Emulator) taggedFunctionLocked(arn string) (*function, error) {
	if !strings.HasPrefix(arn, "arn:") {
		return nil, lambdaValidation("Value '%s' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:...)", arn)
	}
	f, q, err := e.functionLocked(arn)
	if err != nil {
		return nil, err
	}
	if q != "" {
		return nil, errf("InvalidParameterValueException", "Tags are not supported on a function version or alias: %s", arn)
	}
	return f, nil
}

func (e *Emulator) tagFunction(c *call, req restRequest) (any, error) {
	var in struct{ Tags map[string]string }
	if err := decode(req.body, &in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, lambdaValidation("Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	return e.locked(c, func() (any, error) {
		f, err := e.taggedFunctionLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		merged := maps.Clone(f.tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, in.Tags)
		if len(merged) > maxLambdaTags {
			return nil, errf("InvalidParameterValueException", "Number of tags exceeds resource tag limit.")
		}
		f.tags = merged
		return restAnswer{status: http.StatusNoContent}, nil
	})
}

func (e *Emulator) listFunctionTags(c *call, req restRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		f, err := e.taggedFunctionLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		tags := maps.Clone(f.tags)
		if tags == nil {
			tags = map[string]string{}
		}
		return map[string]any{"Tags": tags}, nil
	})
}

func (e *Emulator) untagFunction(c *call, req restRequest) (any, error) {
	noKeys := lambdaValidation("Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	return e.untag(c, req.query["tagKeys"], noKeys, func() (map[string]string, error) {
		f, err := e.taggedFunctionLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		return f.tags, nil
	})
}

// SeedFunctionURL is a function URL in a SeedFunction: Qualifier is an alias of the function
// ("" for none); AuthType is NONE when empty, InvokeMode BUFFERED; Cors is the Cors object as
// `aws lambda get-function-url-config` prints it, checked by Lambda's rules.
type SeedFunctionURL struct {
	Qualifier  string          `json:"qualifier,omitempty"`
	AuthType   string          `json:"authType,omitempty"`
	InvokeMode string          `json:"invokeMode,omitempty"`
	Cors       json.RawMessage `json:"cors,omitempty"`
}

// SeedFunction is a Lambda function in a State: its name, runtime (provided.al2023 when
// empty), tags, aliases and function URLs.
type SeedFunction struct {
	Name    string            `json:"name"`
	Runtime string            `json:"runtime,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Aliases []string          `json:"aliases,omitempty"`
	URLs    []SeedFunctionURL `json:"urls,omitempty"`
}

// SeedFunction adds a function, with its URLs, without events or call counts.
func (e *Emulator) SeedFunction(s SeedFunction) error {
	if !functionNamePattern.MatchString(s.Name) || utf8.RuneCountInString(s.Name) > maxFunctionNameChars {
		return fmt.Errorf("seed function %q: a name is 1 to 64 of a-z A-Z 0-9 - _", s.Name)
	}
	if s.Runtime == "" {
		s.Runtime = "provided.al2023"
	}
	now := e.clock.Now()
	f := &function{name: s.Name, runtime: s.Runtime, handler: "bootstrap", packageType: "Zip",
		role: fmt.Sprintf("arn:aws:iam::%s:role/%s-role", e.account, s.Name), modified: now,
		tags: maps.Clone(s.Tags), aliases: slices.Clone(s.Aliases), urls: map[string]*functionURL{}}
	for _, a := range s.Aliases {
		if !urlQualifierPattern.MatchString(a) || isAllDigits(a) {
			return fmt.Errorf("seed function %s: alias %q is not a valid alias name", s.Name, a)
		}
	}
	for _, su := range s.URLs {
		if su.Qualifier != "" && !slices.Contains(s.Aliases, su.Qualifier) {
			return fmt.Errorf("seed function %s: URL qualifier %q is not one of its aliases", s.Name, su.Qualifier)
		}
		if _, dup := f.urls[su.Qualifier]; dup {
			return fmt.Errorf("seed function %s: two URLs for qualifier %q", s.Name, su.Qualifier)
		}
		in := urlRequest{AuthType: &su.AuthType, InvokeMode: &su.InvokeMode}
		if su.AuthType == "" {
			in.AuthType = ptr("NONE")
		}
		if su.InvokeMode == "" {
			in.InvokeMode = ptr("BUFFERED")
		}
		if len(su.Cors) > 0 {
			in.Cors = &lambdaCors{}
			dec := json.NewDecoder(strings.NewReader(string(su.Cors)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(in.Cors); err != nil {
				return fmt.Errorf("seed function %s: read cors: %w", s.Name, err)
			}
		}
		cors, err := in.check()
		if err != nil {
			return fmt.Errorf("seed function %s: %w", s.Name, err)
		}
		f.urls[su.Qualifier] = &functionURL{id: e.urlID(), authType: *in.AuthType, invokeMode: *in.InvokeMode, cors: cors, created: now, modified: now}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.functions[s.Name]; ok {
		return fmt.Errorf("seed function %s: already exists", s.Name)
	}
	e.functions[s.Name] = f
	return nil
}

func ptr[T any](v T) *T { return &v }
