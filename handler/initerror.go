package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// InitErrorType is the error type a cold start with a bad configuration reports to Lambda.
const InitErrorType = "Runtime.ConfigError"

// ReportInitError tells the Lambda Runtime API at runtimeAPI (the AWS_LAMBDA_RUNTIME_API
// host:port) that the function could not start, so that the invocation fails with err's message
// instead of a bare "Runtime exited" (aws-lambda-go has no call for this). The caller exits
// afterwards.
func ReportInitError(ctx context.Context, client *http.Client, runtimeAPI string, err error) error {
	body, jerr := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{err.Error(), InitErrorType})
	if jerr != nil {
		return fmt.Errorf("init error: %w", jerr)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	url := "http://" + runtimeAPI + "/2018-06-01/runtime/init/error"
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if rerr != nil {
		return fmt.Errorf("init error: %w", rerr)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", InitErrorType)
	resp, derr := client.Do(req)
	if derr != nil {
		return fmt.Errorf("post init error: %w", derr)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("post init error: runtime API answered %s", resp.Status)
	}
	return nil
}
