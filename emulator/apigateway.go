package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is Amazon API Gateway v2's front end, as much of it as corsguard needs: CreateApi,
// GetApis, GetApi, UpdateApi, DeleteApi, DeleteCorsConfiguration and the tag operations, in
// REST-JSON under /v2 with the model's camelCase names. Rules come from botocore's
// apigatewayv2/2018-11-29 service-2.json and the API Gateway developer guide, never from the
// policy package.

const (
	maxAPIName       = 128   // StringWithLengthBetween1And128
	maxAPIMethod     = 64    // StringWithLengthBetween1And64
	minAPIMaxAge     = -1    // IntegerWithLengthBetweenMinus1And86400
	maxAPIMaxAge     = 86400 //
	defaultAPIsPage  = 100
	maxAPIDescChars  = 1024 // StringWithLengthBetween0And1024
	maxAPITags       = 50   // "Maximum number of tags per resource: 50" (API Gateway quotas)
	apiIDLength      = 10
	apiIDAlphabet    = "abcdefghijklmnopqrstuvwxyz0123456789"
	httpRouteSelExpr = "$request.method $request.path"
)

// httpAPI is an API Gateway v2 API (HTTP or WebSocket): the properties the emulator keeps.
type httpAPI struct {
	id, name, protocol, description, version string
	apiKeySel, routeSel, ipAddressType       string
	disableEndpoint, disableSchemaValidation bool
	created                                  time.Time
	cors                                     *apiCors // nil: no CORS configuration
	tags                                     map[string]string
}

// apiCors is an API's CorsConfiguration in API Gateway's wire names.
type apiCors struct {
	AllowCredentials *bool    `json:"allowCredentials,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowOrigins     []string `json:"allowOrigins,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           *int64   `json:"maxAge,omitempty"`
}

// apiCorsPatch is a CorsConfiguration in a request: each member a pointer, so that UpdateApi
// can tell a member given from one left out.
type apiCorsPatch struct {
	AllowCredentials *bool     `json:"allowCredentials"`
	AllowHeaders     *[]string `json:"allowHeaders"`
	AllowMethods     *[]string `json:"allowMethods"`
	AllowOrigins     *[]string `json:"allowOrigins"`
	ExposeHeaders    *[]string `json:"exposeHeaders"`
	MaxAge           *int64    `json:"maxAge"`
}

// apiRequest is the body of CreateApi and UpdateApi.
type apiRequest struct {
	Name                      *string           `json:"name"`
	ProtocolType              *string           `json:"protocolType"`
	Description               *string           `json:"description"`
	Version                   *string           `json:"version"`
	APIKeySelectionExpression *string           `json:"apiKeySelectionExpression"`
	RouteSelectionExpression  *string           `json:"routeSelectionExpression"`
	IPAddressType             *string           `json:"ipAddressType"`
	DisableExecuteAPIEndpoint *bool             `json:"disableExecuteApiEndpoint"`
	DisableSchemaValidation   *bool             `json:"disableSchemaValidation"`
	CorsConfiguration         *apiCorsPatch     `json:"corsConfiguration"`
	Tags                      map[string]string `json:"tags"`
}

func (e *Emulator) apiGatewayRoutes() []restRoute {
	return []restRoute{
		{http.MethodPost, []string{"v2", "apis"}, -1, "CreateApi", e.createAPI},
		{http.MethodGet, []string{"v2", "apis"}, -1, "GetApis", e.getAPIs},
		{http.MethodGet, []string{"v2", "apis", "{}"}, 0, "GetApi", e.getAPI},
		{http.MethodPatch, []string{"v2", "apis", "{}"}, 0, "UpdateApi", e.updateAPI},
		{http.MethodDelete, []string{"v2", "apis", "{}"}, 0, "DeleteApi", e.deleteAPI},
		{http.MethodDelete, []string{"v2", "apis", "{}", "cors"}, 0, "DeleteCorsConfiguration", e.deleteAPICors},
		{http.MethodPost, []string{"v2", "tags", "{}"}, 0, "TagResource", e.tagAPI},
		{http.MethodGet, []string{"v2", "tags", "{}"}, 0, "GetTags", e.getAPITags},
		{http.MethodDelete, []string{"v2", "tags", "{}"}, 0, "UntagResource", e.untagAPI},
	}
}

func badRequest(format string, args ...any) error {
	return errf("BadRequestException", format, args...)
}

// apiLocked returns the API id names, or NotFoundException.
func (e *Emulator) apiLocked(id string) (*httpAPI, error) {
	if a := e.apis[id]; a != nil {
		return a, nil
	}
	return nil, &apiError{Code: "NotFoundException", Status: http.StatusNotFound,
		Message: fmt.Sprintf("Invalid API identifier specified %s:%s", e.account, id)}
}

// applyCors merges a CorsConfiguration patch into cur (nil: none) and checks the result by API
// Gateway's rules: maxAge -1 to 86400, methods 1 to 64 characters, and no allowCredentials
// with the origin "*" (API Gateway's BadRequestException "allow-credentials is not supported
// if 'allow-origin' is *"). Header names are stored in lower case, as API Gateway returns them.
//
// UpdateApi merges top-level properties; whether it also merges CorsConfiguration's members is
// not documented. The emulator merges them (a member left out keeps its value), the reading
// under which a writer that sends only some members can leave others behind: corsguard reads
// back after writing and deletes and rewrites when a member survived.
func applyCors(cur *apiCors, p *apiCorsPatch) (*apiCors, error) {
	out := &apiCors{}
	if cur != nil {
		c := *cur
		out = &c
	}
	lower := func(l []string) []string {
		r := make([]string, len(l))
		for i, s := range l {
			r[i] = strings.ToLower(s)
		}
		return r
	}
	if p.AllowCredentials != nil {
		out.AllowCredentials = p.AllowCredentials
	}
	if p.AllowHeaders != nil {
		out.AllowHeaders = lower(*p.AllowHeaders)
	}
	if p.AllowMethods != nil {
		out.AllowMethods = slices.Clone(*p.AllowMethods)
	}
	if p.AllowOrigins != nil {
		out.AllowOrigins = slices.Clone(*p.AllowOrigins)
	}
	if p.ExposeHeaders != nil {
		out.ExposeHeaders = lower(*p.ExposeHeaders)
	}
	if p.MaxAge != nil {
		out.MaxAge = p.MaxAge
	}
	if out.MaxAge != nil && (*out.MaxAge < minAPIMaxAge || *out.MaxAge > maxAPIMaxAge) {
		return nil, badRequest("Invalid input: maxAge must be between %d and %d", minAPIMaxAge, maxAPIMaxAge)
	}
	for _, m := range out.AllowMethods {
		if n := utf8.RuneCountInString(m); n < 1 || n > maxAPIMethod {
			return nil, badRequest("Invalid input: allowMethods members must be 1 to %d characters", maxAPIMethod)
		}
	}
	if out.AllowCredentials != nil && *out.AllowCredentials && slices.Contains(out.AllowOrigins, "*") {
		return nil, badRequest("allow-credentials is not supported if 'allow-origin' is *")
	}
	return out, nil
}

// checkAPIFields checks the top-level properties a CreateApi or UpdateApi request gives.
func checkAPIFields(in apiRequest) error {
	if in.Name != nil {
		if n := utf8.RuneCountInString(*in.Name); n < 1 || n > maxAPIName {
			return badRequest("Invalid input: name must be 1 to %d characters", maxAPIName)
		}
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > maxAPIDescChars {
		return badRequest("Invalid input: description must be at most %d characters", maxAPIDescChars)
	}
	if in.IPAddressType != nil && *in.IPAddressType != "ipv4" && *in.IPAddressType != "dualstack" {
		return badRequest("Invalid input: ipAddressType must be ipv4 or dualstack")
	}
	if len(in.Tags) > maxAPITags {
		return badRequest("Invalid input: at most %d tags", maxAPITags)
	}
	return nil
}

// apiDoc is an API as API Gateway answers it.
func (e *Emulator) apiDoc(a *httpAPI) map[string]any {
	scheme := "https"
	if a.protocol == "WEBSOCKET" {
		scheme = "wss"
	}
	out := map[string]any{
		"apiEndpoint":               fmt.Sprintf("%s://%s.execute-api.%s.amazonaws.com", scheme, a.id, e.region),
		"apiId":                     a.id,
		"apiKeySelectionExpression": a.apiKeySel,
		"createdDate":               a.created.UTC().Format(time.RFC3339),
		"disableExecuteApiEndpoint": a.disableEndpoint,
		"ipAddressType":             a.ipAddressType,
		"name":                      a.name,
		"protocolType":              a.protocol,
		"routeSelectionExpression":  a.routeSel,
		"tags":                      nonNilTags(a.tags),
	}
	if a.description != "" {
		out["description"] = a.description
	}
	if a.version != "" {
		out["version"] = a.version
	}
	if a.disableSchemaValidation {
		out["disableSchemaValidation"] = true
	}
	if a.cors != nil {
		out["corsConfiguration"] = a.cors
	}
	return out
}

func nonNilTags(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return maps.Clone(t)
}

// newAPIID returns a fresh ApiId: ten lower-case letters and digits.
func (e *Emulator) newAPIIDLocked() string {
	for {
		b := make([]byte, apiIDLength)
		for i := range b {
			b[i] = apiIDAlphabet[e.id()%uint64(len(apiIDAlphabet))]
		}
		if e.apis[string(b)] == nil {
			return string(b)
		}
	}
}

// newAPI builds an API from a CreateApi request, checked.
func newAPI(in apiRequest, now time.Time) (*httpAPI, error) {
	switch {
	case in.Name == nil:
		return nil, badRequest("Invalid input: name is required")
	case in.ProtocolType == nil:
		return nil, badRequest("Invalid input: protocolType is required")
	case *in.ProtocolType != "HTTP" && *in.ProtocolType != "WEBSOCKET":
		return nil, badRequest("Invalid input: protocolType must be HTTP or WEBSOCKET")
	}
	if err := checkAPIFields(in); err != nil {
		return nil, err
	}
	a := &httpAPI{name: *in.Name, protocol: *in.ProtocolType, created: now, ipAddressType: "ipv4",
		apiKeySel: "$request.header.x-api-key", tags: maps.Clone(in.Tags)}
	if a.protocol == "HTTP" {
		a.routeSel = httpRouteSelExpr
	}
	if err := a.apply(in); err != nil {
		return nil, err
	}
	if a.routeSel == "" {
		return nil, badRequest("Invalid input: routeSelectionExpression is required for a WEBSOCKET API")
	}
	return a, nil
}

// apply sets the properties a request gives and keeps the others (UpdateApi's merge).
func (a *httpAPI) apply(in apiRequest) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.name, in.Name)
	set(&a.description, in.Description)
	set(&a.version, in.Version)
	set(&a.apiKeySel, in.APIKeySelectionExpression)
	set(&a.routeSel, in.RouteSelectionExpression)
	set(&a.ipAddressType, in.IPAddressType)
	if in.DisableExecuteAPIEndpoint != nil {
		a.disableEndpoint = *in.DisableExecuteAPIEndpoint
	}
	if in.DisableSchemaValidation != nil {
		a.disableSchemaValidation = *in.DisableSchemaValidation
	}
	if in.CorsConfiguration != nil {
		if a.protocol != "HTTP" {
			return badRequest("CORS is supported only for HTTP APIs")
		}
		cors, err := applyCors(a.cors, in.CorsConfiguration)
		if err != nil {
			return err
		}
		a.cors = cors
	}
	return nil
}

func (e *Emulator) createAPI(c *call, req restRequest) (any, error) {
	var in apiRequest
	if err := decode(req.body, &in); err != nil {
		return nil, badRequest("%v", err)
	}
	a, err := newAPI(in, c.Time)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		a.id = e.newAPIIDLocked()
		e.apis[a.id] = a
		return restAnswer{http.StatusCreated, e.apiDoc(a)}, nil
	})
}

func (e *Emulator) getAPIs(c *call, req restRequest) (any, error) {
	limit := defaultAPIsPage
	if v := req.query.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest("Invalid input: maxResults must be a positive integer")
		}
		limit = n
	}
	return e.locked(c, func() (any, error) {
		page, next, err := pageAfter(slices.Sorted(maps.Keys(e.apis)), req.query.Get("nextToken"), limit)
		if err != nil {
			return nil, badRequest("Invalid nextToken")
		}
		items := []any{}
		for _, id := range page {
			items = append(items, e.apiDoc(e.apis[id]))
		}
		out := map[string]any{"items": items}
		if next != "" {
			out["nextToken"] = next
		}
		return out, nil
	})
}

func (e *Emulator) getAPI(c *call, req restRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		a, err := e.apiLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		return e.apiDoc(a), nil
	})
}

func (e *Emulator) updateAPI(c *call, req restRequest) (any, error) {
	var in apiRequest
	if err := decode(req.body, &in); err != nil {
		return nil, badRequest("%v", err)
	}
	if in.ProtocolType != nil {
		return nil, badRequest("Invalid input: protocolType cannot be updated")
	}
	if err := checkAPIFields(in); err != nil {
		return nil, err
	}
	in.Tags = nil // not an UpdateApi member
	return e.locked(c, func() (any, error) {
		a, err := e.apiLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		next := *a
		if err := next.apply(in); err != nil {
			return nil, err
		}
		*a = next
		return e.apiDoc(a), nil
	})
}

func (e *Emulator) deleteAPI(c *call, req restRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		if _, err := e.apiLocked(req.vars[0]); err != nil {
			return nil, err
		}
		delete(e.apis, req.vars[0])
		return restAnswer{status: http.StatusNoContent}, nil
	})
}

// deleteAPICors removes an API's CORS configuration; an API without one answers 204 as well.
func (e *Emulator) deleteAPICors(c *call, req restRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		a, err := e.apiLocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		a.cors = nil
		return restAnswer{status: http.StatusNoContent}, nil
	})
}

// taggedAPILocked returns the API a tag request's ARN names.
func (e *Emulator) taggedAPILocked(arn string) (*httpAPI, error) {
	prefix := fmt.Sprintf("arn:aws:apigateway:%s::/apis/", e.region) // an API's ARN, as tag operations take it
	id, ok := strings.CutPrefix(arn, prefix)
	if !ok || id == "" || strings.Contains(id, "/") {
		return nil, &apiError{Code: "NotFoundException", Status: http.StatusNotFound, Message: "Invalid resource ARN specified " + arn}
	}
	return e.apiLocked(id)
}

func (e *Emulator) tagAPI(c *call, req restRequest) (any, error) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decode(req.body, &in); err != nil {
		return nil, badRequest("%v", err)
	}
	return e.locked(c, func() (any, error) {
		a, err := e.taggedAPILocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		merged := nonNilTags(a.tags)
		maps.Copy(merged, in.Tags)
		if len(merged) > maxAPITags {
			return nil, badRequest("Invalid input: at most %d tags", maxAPITags)
		}
		a.tags = merged
		return restAnswer{http.StatusCreated, map[string]any{}}, nil
	})
}

func (e *Emulator) getAPITags(c *call, req restRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		a, err := e.taggedAPILocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		return map[string]any{"tags": nonNilTags(a.tags)}, nil
	})
}

func (e *Emulator) untagAPI(c *call, req restRequest) (any, error) {
	return e.untag(c, req.query["tagKeys"], badRequest("Invalid input: tagKeys is required"), func() (map[string]string, error) {
		a, err := e.taggedAPILocked(req.vars[0])
		if err != nil {
			return nil, err
		}
		return a.tags, nil
	})
}

// untag removes keys from the tags that tags returns (under the lock): UntagResource of the
// REST services, Lambda and API Gateway, each refusing a request without keys with noKeys.
func (e *Emulator) untag(c *call, keys []string, noKeys error, tags func() (map[string]string, error)) (any, error) {
	if len(keys) == 0 {
		return nil, noKeys
	}
	return e.locked(c, func() (any, error) {
		m, err := tags()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			delete(m, k)
		}
		return restAnswer{status: http.StatusNoContent}, nil
	})
}

// SeedAPI is an API Gateway API in a State: Id is generated when empty; ProtocolType is HTTP
// when empty; CorsConfiguration is the object as `aws apigatewayv2 get-api` prints it
// (AllowOrigins, ...) or in the wire's camelCase, checked by API Gateway's rules.
type SeedAPI struct {
	ID                string            `json:"id,omitempty"`
	Name              string            `json:"name"`
	ProtocolType      string            `json:"protocolType,omitempty"`
	Description       string            `json:"description,omitempty"`
	CorsConfiguration json.RawMessage   `json:"corsConfiguration,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
}

// SeedAPI adds an API without events or call counts and returns its ApiId.
func (e *Emulator) SeedAPI(s SeedAPI) (string, error) {
	in := apiRequest{Name: &s.Name, ProtocolType: &s.ProtocolType, Tags: s.Tags}
	if s.ProtocolType == "" {
		in.ProtocolType = ptr("HTTP")
	}
	if s.Description != "" {
		in.Description = &s.Description
	}
	if s.ProtocolType == "WEBSOCKET" {
		in.RouteSelectionExpression = ptr("$request.body.action")
	}
	if len(s.CorsConfiguration) > 0 {
		in.CorsConfiguration = &apiCorsPatch{}
		if err := json.Unmarshal(s.CorsConfiguration, in.CorsConfiguration); err != nil { // field names without regard to case
			return "", fmt.Errorf("seed api %s: read corsConfiguration: %w", s.Name, err)
		}
	}
	a, err := newAPI(in, e.clock.Now())
	if err != nil {
		return "", fmt.Errorf("seed api %s: %w", s.Name, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case s.ID == "":
		s.ID = e.newAPIIDLocked()
	case e.apis[s.ID] != nil:
		return "", fmt.Errorf("seed api %s: id %s already exists", s.Name, s.ID)
	}
	a.id = s.ID
	e.apis[a.id] = a
	return a.id, nil
}
