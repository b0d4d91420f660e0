package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// This file holds what the REST-JSON front ends of Lambda and API Gateway share: routing on
// the method and the path's segments, the answers and errors each service writes, and the
// services' account-wide request quotas.

// restRoute is one REST-JSON operation: its method, its path as segments ("{}" matches any one
// segment, handed to run in order), the segment that names the resource calls are counted
// under (-1: none), and what it does.
type restRoute struct {
	method   string
	path     []string
	resource int
	op       string
	run      func(c *call, req restRequest) (any, error)
}

// restRequest is what a REST-JSON operation reads: the path's variable segments, the query and
// the body ("{}" when empty).
type restRequest struct {
	vars  []string
	query url.Values
	body  []byte
}

// restAnswer is a REST-JSON answer with a status other than 200 (201, 204).
type restAnswer struct {
	status int
	body   any // nil: no body
}

// restFront serves the routes of one REST-JSON service with its protocol.
func (e *Emulator) restFront(service string, p protocol, routes []restRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		segs, ok := pathSegments(r.URL.EscapedPath())
		if !ok {
			p.writeError(w, e.requestID(), errf("BadRequestException", "the path %q cannot be decoded", r.URL.EscapedPath()))
			return
		}
		route, vars, found := matchRoute(routes, r.Method, segs)
		if !found {
			p.writeError(w, e.requestID(), &apiError{Code: "UnknownOperationException", Status: http.StatusNotFound,
				Message: fmt.Sprintf("the emulator does not serve %s's %s %s", service, r.Method, r.URL.Path)})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			p.writeError(w, e.requestID(), errf("BadRequestException", "the request body cannot be read or is larger than %d bytes", maxBody))
			return
		}
		if len(bytes.TrimSpace(body)) == 0 {
			body = []byte("{}")
		}
		c := &call{Service: service, Op: route.op}
		if route.resource >= 0 {
			c.Resource = resourceOfPath(service, vars[route.resource])
		}
		e.handle(w, r, p, c, func(c *call) (any, error) {
			return route.run(c, restRequest{vars: vars, query: r.URL.Query(), body: body})
		})
	}
}

// resourceOfPath reduces a function ARN to its name, so that counters and scripted faults key on
// names as they do for the other services.
func resourceOfPath(service, s string) string {
	if service == "lambda" {
		name, _, _ := splitFunctionName(s)
		return name
	}
	return s
}

// pathSegments splits an escaped path into its unescaped segments: an API Gateway ARN in a
// tag path holds slashes, which the SDK escapes as %2F.
func pathSegments(escaped string) ([]string, bool) {
	raw := strings.Split(strings.Trim(escaped, "/"), "/")
	out := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		out[i] = u
	}
	return out, true
}

// matchRoute finds the route for method and segs, and the values of its variable segments.
func matchRoute(routes []restRoute, method string, segs []string) (restRoute, []string, bool) {
	for _, rt := range routes {
		if rt.method != method || len(rt.path) != len(segs) {
			continue
		}
		var vars []string
		ok := true
		for i, p := range rt.path {
			switch {
			case p == "{}":
				vars = append(vars, segs[i])
			case p != segs[i]:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			return rt, vars, true
		}
	}
	return restRoute{}, nil, false
}

// restProtocol writes the REST-JSON answers and errors of Lambda or API Gateway. Both put the
// error code in X-Amzn-Errortype, as the SDKs read it; Lambda's body says {"Type": "User",
// "Message": ...}, API Gateway's {"message": ...}.
type restProtocol struct {
	service string // "lambda" or "apigateway"
}

func (p restProtocol) writeResult(w http.ResponseWriter, requestID string, out any) {
	status := http.StatusOK
	if a, ok := out.(restAnswer); ok {
		status, out = a.status, a.body
	}
	w.Header().Set("X-Amzn-Requestid", requestID)
	if out == nil {
		w.WriteHeader(status)
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		p.writeError(w, requestID, errf("InternalServerError", "emulator: encode answer: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (p restProtocol) writeError(w http.ResponseWriter, requestID string, err *apiError) {
	code, status := err.Code, err.Status
	switch code { // the pipeline's own faults, in the services' words
	case "ThrottlingException":
		code, status = "TooManyRequestsException", http.StatusTooManyRequests
	case "InternalServerError", "InternalFailure", "InternalServerException":
		code, status = "ServiceException", http.StatusInternalServerError
		if p.service == "apigateway" {
			code = "InternalServerError"
		}
	case "ResourceConflictException", "ConflictException":
		status = http.StatusConflict
	case "ResourceNotFoundException", "NotFoundException", "UnknownOperationException":
		status = http.StatusNotFound
	}
	var doc any = map[string]string{"message": err.Message}
	if p.service == "lambda" {
		doc = map[string]string{"Type": "User", "Message": err.Message}
	}
	body, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.Header().Set("X-Amzn-Errortype", code)
	if code == "TooManyRequestsException" && p.service == "lambda" {
		w.Header().Set("Retry-After", "1") // TooManyRequestsException's retryAfterSeconds
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
