package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
)

// sqsTarget is the X-Amz-Target prefix of Amazon SQS's awsJson1_0 protocol.
const sqsTarget = "AmazonSQS"

const sqsContentType = "application/x-amz-json-1.0"

// sqsError is how SQS spells one error on the wire. SQS moved from the query protocol to
// awsJson1_0 with the awsQueryCompatible trait: the body's "__type" names the Smithy shape,
// and the x-amzn-query-error header carries the old query error code and the fault
// ("Code;Sender"). aws-sdk-go-v2 reports the header's code as ErrorCode() when it is present.
type sqsError struct {
	shape  string // the "__type" with its namespace
	query  string // the awsQueryError code
	status int
}

// sqsErrors maps the emulator's error codes to their wire form. Modelled errors come from
// aws-sdk-go-v2 service/sqs v1.53.0 schemas.go (the awsQueryError and httpError traits);
// InvalidParameterValue and MissingParameter are not modelled, and are spelled as moto_server
// 5.2 spells them.
var sqsErrors = map[string]sqsError{
	"BatchEntryIdsNotDistinct":     {"com.amazonaws.sqs#BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400},
	"BatchRequestTooLong":          {"com.amazonaws.sqs#BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400},
	"EmptyBatchRequest":            {"com.amazonaws.sqs#EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400},
	"InvalidAttributeName":         {"com.amazonaws.sqs#InvalidAttributeName", "InvalidAttributeName", 400},
	"InvalidAttributeValue":        {"com.amazonaws.sqs#InvalidAttributeValue", "InvalidAttributeValue", 400},
	"InvalidBatchEntryId":          {"com.amazonaws.sqs#InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400},
	"InvalidMessageContents":       {"com.amazonaws.sqs#InvalidMessageContents", "InvalidMessageContents", 400},
	"MessageNotInflight":           {"com.amazonaws.sqs#MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400},
	"OverLimit":                    {"com.amazonaws.sqs#OverLimit", "OverLimit", 403},
	"PurgeQueueInProgress":         {"com.amazonaws.sqs#PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403},
	"QueueDeletedRecently":         {"com.amazonaws.sqs#QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently", 400},
	"QueueDoesNotExist":            {"com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400},
	"QueueNameExists":              {"com.amazonaws.sqs#QueueNameExists", "QueueAlreadyExists", 400},
	"ReceiptHandleIsInvalid":       {"com.amazonaws.sqs#ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404}, // the model's httpError (the SDK's snapshot tests write 404)
	"RequestThrottled":             {"com.amazonaws.sqs#RequestThrottled", "RequestThrottled", 403},
	"TooManyEntriesInBatchRequest": {"com.amazonaws.sqs#TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400},
	"UnsupportedOperation":         {"com.amazonaws.sqs#UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400},
	"InvalidParameterValue":        {"com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue", 400},
	"MissingParameter":             {"com.amazon.coral.service#MissingRequiredParameterException", "MissingParameter", 400},
	// The pipeline's own codes: an injected throttle is SQS's RequestThrottled (which the SDK
	// retries as a throttle), an injected internal error is the service's InternalFailure.
	"ThrottlingException": {"com.amazonaws.sqs#RequestThrottled", "RequestThrottled", 403},
	"InternalServerError": {"com.amazon.coral.service#InternalFailure", "InternalError", 500},
}

// sqsWireError returns the wire form of an error code; an unknown code (a scripted fault such
// as "ServiceUnavailable") keeps its name and status.
func sqsWireError(err *apiError) sqsError {
	if w, ok := sqsErrors[err.Code]; ok {
		return w
	}
	return sqsError{shape: "com.amazonaws.sqs#" + err.Code, query: err.Code, status: err.Status}
}

// sqsProtocol writes awsJson1_0 answers with query-compatible errors.
type sqsProtocol struct{}

func (sqsProtocol) writeResult(w http.ResponseWriter, requestID string, out any) {
	writeJSONResult(w, requestID, sqsContentType, out, func(err *apiError) { sqsProtocol{}.writeError(w, requestID, err) }, "InternalServerError")
}

func (sqsProtocol) writeError(w http.ResponseWriter, requestID string, err *apiError) {
	wire := sqsWireError(err)
	fault := "Sender"
	if wire.status >= 500 {
		fault = "Receiver"
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{wire.shape, err.Message})
	w.Header().Set("X-Amzn-Query-Error", wire.query+";"+fault)
	writeJSON(w, requestID, sqsContentType, wire.status, body)
}

// queueNameOf reduces a queue URL (http://host/ACCOUNT/NAME) to the queue's name, so that
// counters and scripted faults key on names; a bare name is returned as it is.
func queueNameOf(url string) string {
	if i := strings.LastIndex(url, "/"); i >= 0 {
		return url[i+1:]
	}
	return url
}
