package handler

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReportInitErrorPostsTheMessageToTheRuntimeAPI(t *testing.T) {
	type got struct {
		Method, Path, ErrorTypeHeader string
		Body                          map[string]string
	}
	received := make(chan got, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var g got
		g.Method, g.Path, g.ErrorTypeHeader = r.Method, r.URL.Path, r.Header.Get("Lambda-Runtime-Function-Error-Type")
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &g.Body); err != nil {
			t.Errorf("body %q: %v", raw, err)
		}
		received <- g
		w.WriteHeader(http.StatusAccepted)
	}))
	defer api.Close()

	cause := errors.New(`CORSGUARD_MODE: "repair" is neither enforce nor audit`)
	if err := ReportInitError(context.Background(), api.Client(), strings.TrimPrefix(api.URL, "http://"), cause); err != nil {
		t.Fatal(err)
	}
	want := got{Method: "POST", Path: "/2018-06-01/runtime/init/error", ErrorTypeHeader: "Runtime.ConfigError",
		Body: map[string]string{"errorMessage": cause.Error(), "errorType": "Runtime.ConfigError"}}
	if d := cmp.Diff(want, <-received); d != "" {
		t.Errorf("request (-want +got):\n%s", d)
	}
}

func TestReportInitErrorSaysWhenTheRuntimeAPIRefuses(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer api.Close()
	err := ReportInitError(context.Background(), api.Client(), strings.TrimPrefix(api.URL, "http://"), errors.New("x"))
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("error %v, want one naming the 403", err)
	}
}
