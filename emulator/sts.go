package emulator

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// This file is the AWS STS front end: GetCallerIdentity only, in STS's awsQuery protocol
// (POST / with a form body Action=GetCallerIdentity&Version=2011-06-15, XML answers), which
// the CLI calls to learn the account its findings belong to. Every caller is the emulator's
// one IAM user in the account.

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// serveSTS runs the STS operation a request's Action names.
func (e *Emulator) serveSTS(w http.ResponseWriter, r *http.Request) {
	p := queryProtocol{}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		p.writeError(w, e.requestID(), errf("InvalidParameterValue", "cannot read the request"))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		p.writeError(w, e.requestID(), errf("MalformedQueryString", "%v", err))
		return
	}
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	if form.Get("Action") != "GetCallerIdentity" {
		p.writeError(w, e.requestID(), &apiError{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: fmt.Sprintf("Could not find operation %s for version 2011-06-15 (the emulator serves GetCallerIdentity)", form.Get("Action"))})
		return
	}
	c := &call{Service: "sts", Op: "GetCallerIdentity"}
	e.handle(w, r, p, c, func(c *call) (any, error) {
		return getCallerIdentityResponse{
			XMLNS: stsNamespace,
			Result: callerIdentity{
				Arn:     fmt.Sprintf("arn:aws:iam::%s:user/emulator", e.account),
				UserID:  "AIDAEMULATOR" + c.AccessKey,
				Account: e.account,
			},
		}, nil
	})
}

type getCallerIdentityResponse struct {
	XMLName   xml.Name       `xml:"GetCallerIdentityResponse"`
	XMLNS     string         `xml:"xmlns,attr"`
	Result    callerIdentity `xml:"GetCallerIdentityResult"`
	RequestID string         `xml:"ResponseMetadata>RequestId"`
}

type callerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// queryProtocol writes awsQuery answers (STS): an XML document, and errors as
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
type queryProtocol struct{}

func (queryProtocol) writeResult(w http.ResponseWriter, requestID string, out any) {
	if g, ok := out.(getCallerIdentityResponse); ok {
		g.RequestID = requestID
		out = g
	}
	body, err := xml.Marshal(out)
	if err != nil {
		queryProtocol{}.writeError(w, requestID, errf("InternalFailure", "emulator: encode answer: %v", err))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (queryProtocol) writeError(w http.ResponseWriter, requestID string, err *apiError) {
	typ, status := "Sender", err.Status
	if status >= 500 {
		typ = "Receiver"
	}
	if err.Code == "ThrottlingException" {
		err = &apiError{Code: "Throttling", Message: "Rate exceeded"}
		status = http.StatusBadRequest
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		XMLNS     string   `xml:"xmlns,attr"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}{XMLNS: stsNamespace, Type: typ, Code: err.Code, Message: err.Message, RequestID: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
