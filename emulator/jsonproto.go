package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The X-Amz-Target prefixes of the awsJson1_1 services the emulator serves.
const (
	mediaStoreTarget = "MediaStore_20170901"
	ssmTarget        = "AmazonSSM"
)

// maxBody bounds a request body: a MediaStore policy is at most 398,000 characters, each up
// to 4 bytes of UTF-8, plus the envelope.
const maxBody = 2 << 20

// apiError is an AWS error answer: its code (the "__type"), HTTP status and message, and
// for S3 the headers and the extra elements of the error document some codes carry.
type apiError struct {
	Code    string
	Status  int
	Message string
	Header  map[string]string
	Fields  [][2]string // S3: elements after Message, such as PermanentRedirect's Endpoint and Bucket
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorStatus gives the HTTP status AWS answers with for an error code.
func errorStatus(code string) int {
	switch code {
	case "InternalServerError", "InternalFailure", "InternalServerException":
		return http.StatusInternalServerError
	case "ServiceUnavailable", "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	case "AccessDeniedException":
		return http.StatusForbidden
	case "TooManyRequestsException":
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// errf returns the apiError for code with a formatted message and the code's usual status.
func errf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Status: errorStatus(code), Message: fmt.Sprintf(format, args...)}
}

// asAPIError turns any error from an operation into an AWS error answer; an error that is not
// an apiError is a bug in the emulator and answers InternalServerError.
func asAPIError(err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	return errf("InternalServerError", "emulator: %v", err)
}

// jsonOp is one awsJson1_1 operation: where its resource name is in the request, and what it does.
type jsonOp struct {
	resource string // the request field naming the container or parameter ("" if none)
	run      func(c *call, body []byte) (any, error)
}

// jsonService is the set of operations behind one X-Amz-Target prefix.
type jsonService struct {
	name string // "mediastore", "ssm", "sqs"
	ops  map[string]jsonOp
	// proto writes the service's answers; nil is awsJson1_1 (jsonProtocol).
	proto protocol
	// resourceOf reduces the resource field's value to the name calls are counted under;
	// nil is resourceName.
	resourceOf func(string) string
}

// jsonProtocol writes awsJson1_1 answers.
type jsonProtocol struct{}

const jsonContentType = "application/x-amz-json-1.1"

func (jsonProtocol) writeResult(w http.ResponseWriter, requestID string, out any) {
	writeJSONResult(w, requestID, jsonContentType, out, func(err *apiError) { writeJSONError(w, requestID, err) }, "InternalServerError")
}

func (jsonProtocol) writeError(w http.ResponseWriter, requestID string, err *apiError) {
	writeJSONError(w, requestID, err)
}

// writeJSON writes one JSON answer, with its request id, content type and length, and status:
// the one writer of the JSON protocols' answers and errors (a protocol sets its own error
// headers first).
func writeJSON(w http.ResponseWriter, requestID, contentType string, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSONResult writes out as a JSON answer (200), or, when it cannot be encoded, an error
// with the protocol's internal error code through fail.
func writeJSONResult(w http.ResponseWriter, requestID, contentType string, out any, fail func(*apiError), internal string) {
	body, err := json.Marshal(out)
	if err != nil {
		fail(errf(internal, "emulator: encode answer: %v", err))
		return
	}
	writeJSON(w, requestID, contentType, http.StatusOK, body)
}

// writeJSONError writes err as awsJson1_1 does: {"__type": code, "message": text}.
func writeJSONError(w http.ResponseWriter, requestID string, err *apiError) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{err.Code, err.Message})
	writeJSON(w, requestID, jsonContentType, err.Status, body)
}

// jsonFront returns the front end of an awsJson service: it serves the operations named
// <target>.<Op> in X-Amz-Target.
func (e *Emulator) jsonFront(target string, svc jsonService) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { e.serveJSON(w, r, target, svc) }
}

// serveJSON runs the operation a request names in its X-Amz-Target header.
func (e *Emulator) serveJSON(w http.ResponseWriter, r *http.Request, target string, svc jsonService) {
	var p protocol = jsonProtocol{}
	if svc.proto != nil {
		p = svc.proto
	}
	prefix, opName, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	op, ok := svc.ops[opName]
	if prefix != target || !ok {
		p.writeError(w, e.requestID(), errf("UnknownOperationException", "%s does not serve the operation %q", svc.name, r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		p.writeError(w, e.requestID(), errf("SerializationException", "read request: %v", err))
		return
	}
	if len(body) > maxBody {
		p.writeError(w, e.requestID(), errf("SerializationException", "request body is larger than %d bytes", maxBody))
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		p.writeError(w, e.requestID(), errf("SerializationException", "request body is not a JSON object: %v", err))
		return
	}
	c := &call{Service: svc.name, Op: opName}
	if op.resource != "" {
		var name string
		if json.Unmarshal(fields[op.resource], &name) == nil {
			if svc.resourceOf != nil {
				c.Resource = svc.resourceOf(name)
			} else {
				c.Resource = resourceName(name)
			}
		}
	}
	e.handle(w, r, p, c, func(c *call) (any, error) { return op.run(c, body) })
}

// resourceName reduces a container or parameter ARN to the name and a parameter selector
// ("name:3", "name:label") to the parameter's name, so that counters and scripted faults key
// on names.
func resourceName(s string) string {
	if strings.HasPrefix(s, "arn:") {
		if _, after, ok := strings.Cut(s, ":container/"); ok {
			return after
		}
		if _, after, ok := strings.Cut(s, ":parameter/"); ok { // a hierarchical name keeps no leading slash in its ARN
			if i := strings.LastIndex(after, ":"); i > 0 {
				after = after[:i]
			}
			if strings.Contains(after, "/") {
				return "/" + after
			}
			return after
		}
		return s
	}
	if i := strings.LastIndex(s, ":"); i > 0 {
		return s[:i]
	}
	return s
}

// decode reads a request into in. Unknown fields are ignored, as the services do; a value of
// the wrong JSON type is a SerializationException.
func decode(body []byte, in any) error {
	if err := json.Unmarshal(body, in); err != nil {
		return errf("SerializationException", "cannot read request: %v", err)
	}
	return nil
}
