package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/rie"
)

// startMoto runs moto_server on a free loopback port and returns its URL. moto is the
// reference for SSM Parameter Store (not for MediaStore, which it models without CORS).
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("moto_server is not on PATH (%v): the SSM parity test needs it; CI provides it (pyenv, pip package moto[server])", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	var logs rie.Output
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	// Werkzeug says so once moto_server listens.
	if !logs.WaitFor(30*time.Second, func(out string) bool { return strings.Contains(out, "Running on "+url) }) {
		t.Fatalf("moto_server did not say it listens on %s within 30s:\n%s", url, logs.String())
	}
	return url
}

// answer is what the parity test compares: the status, the error type, and the shape of the
// body (every JSON path with the type of its value), not values such as timestamps.
type answer struct {
	Status int
	Error  string
	Shape  []string
}

func ssmCall(t *testing.T, url, op, body string) answer {
	t.Helper()
	status, raw := ssmRaw(t, url, op, body)
	return answerOf(t, url+" "+op, status, raw)
}

// answerOf is the answer of one SSM response, its status and body (what names the call).
func answerOf(t *testing.T, what string, status int, raw []byte) answer {
	t.Helper()
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: answer is not JSON: %s", what, raw)
	}
	a := answer{Status: status}
	if m, ok := doc.(map[string]any); ok && status >= 300 {
		typ, _ := m["__type"].(string)
		if i := strings.LastIndex(typ, "#"); i >= 0 {
			typ = typ[i+1:]
		}
		a.Error = typ
		return a
	}
	a.Shape = shape("", doc)
	sort.Strings(a.Shape)
	return a
}

// ssmRaw sends one SSM request (awsJson1_1, signed for us-east-1; neither server checks the
// signature) and returns the status and the body.
func ssmRaw(t *testing.T, url, op, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0000")
	req.Header.Set("X-Amz-Date", "20260301T120000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// shape lists the paths of v with their JSON types; list items collapse to "[]".
func shape(path string, v any) []string {
	switch v := v.(type) {
	case map[string]any:
		var out []string
		for k, x := range v {
			out = append(out, shape(path+"."+k, x)...)
		}
		return out
	case []any:
		out := []string{path + ": array"}
		seen := map[string]bool{}
		for _, x := range v {
			for _, s := range shape(path+"[]", x) {
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
		return out
	case string:
		return []string{path + ": string"}
	case float64:
		return []string{path + ": number"}
	case bool:
		return []string{path + ": bool"}
	default:
		return []string{path + ": null"}
	}
}

func TestSSMParityWithMoto(t *testing.T) {
	moto := startMoto(t)
	// moto's account is 123456789012 (its default), and parameter ARNs carry the account.
	emu := httptest.NewServer(emulator.New(emulator.WithAccount("123456789012"), emulator.WithoutQuotas()))
	defer emu.Close()
	// Not compared, where moto is not AWS: moto accepts a Standard value over 4 KB; it omits
	// GetParameter's Selector, which AWS documents and the emulator returns (".Parameter.Selector"
	// is dropped from the emulator's shape below); its GetParameters and GetParameterHistory
	// do not take a parameter ARN, which the SSM API reference says they do (ssm_refs_test.go checks that); its
	// history NextToken is a bare number, where the emulator's is opaque.
	steps := []struct{ op, body string }{
		{"PutParameter", `{"Name":"/p","Value":"v1","Type":"String","Description":"d"}`},
		{"PutParameter", `{"Name":"/p","Value":"v1","Type":"String"}`},
		{"PutParameter", `{"Name":"/p","Value":"v2","Overwrite":true}`},
		{"GetParameter", `{"Name":"/p"}`},
		{"GetParameter", `{"Name":"/p:1"}`},
		{"GetParameter", `{"Name":"/p:9"}`},
		{"GetParameter", `{"Name":"/missing"}`},
		{"GetParameters", `{"Names":["/p","/missing"]}`},
		{"GetParameterHistory", `{"Name":"/p"}`},
		{"GetParameterHistory", `{"Name":"/missing"}`},
		{"PutParameter", `{"Name":"plain","Value":"v","Type":"StringList"}`},
		{"GetParameter", `{"Name":"plain"}`},
		{"PutParameter", `{"Name":"/s","Value":"secret","Type":"SecureString"}`},
		{"GetParameter", `{"Name":"/s","WithDecryption":true}`},
		{"GetParameter", `{"Name":"/s"}`},
		{"PutParameter", `{"Name":"/new","Value":"v"}`},
		{"PutParameter", `{"Name":"/aws/x","Value":"v","Type":"String"}`},
		{"PutParameter", `{"Name":"ssm-x","Value":"v","Type":"String"}`},
		{"PutParameter", `{"Name":"/empty","Value":"","Type":"String"}`},
		{"LabelParameterVersion", `{"Name":"/p","ParameterVersion":1,"Labels":["old","1bad"]}`},
		{"LabelParameterVersion", `{"Name":"/p","Labels":["live"]}`},
		{"LabelParameterVersion", `{"Name":"/missing","Labels":["a"]}`},
		{"LabelParameterVersion", `{"Name":"/p","ParameterVersion":9,"Labels":["a"]}`},
		{"GetParameter", `{"Name":"/p:old"}`},
		{"GetParameter", `{"Name":"/p:gone"}`},
		{"GetParameter", `{"Name":"arn:aws:ssm:us-east-1:123456789012:parameter/p"}`},
		{"GetParameters", `{"Names":["/p","/p:old","/p:live"]}`},
		{"GetParameterHistory", `{"Name":"/p"}`},
		{"DeleteParameter", `{"Name":"/p"}`},
		{"DeleteParameter", `{"Name":"/p"}`},
		{"GetParameter", `{"Name":"/p"}`},
	}
	for i, s := range steps {
		want := ssmCall(t, moto, s.op, s.body)
		got := ssmCall(t, emu.URL, s.op, s.body)
		got.Shape = slices.DeleteFunc(got.Shape, func(p string) bool {
			return p == ".Parameter.Selector: string" || p == ".Parameters[].Selector: string"
		})
		if diff := cmp.Diff(want, got); diff != "" {
			body := s.body
			if len(body) > 80 {
				body = body[:80] + "…"
			}
			t.Errorf("step %d %s %s (-moto +emulator):\n%s", i, s.op, body, diff)
		}
	}
	if os.Getenv("CORSGUARD_PARITY_VERBOSE") != "" {
		t.Log(ssmCall(t, moto, "GetParameterHistory", `{"Name":"/s"}`))
	}
}

// shCall sends one Security Hub REST-JSON request, signed for securityhub in us-east-1 (the
// signature is not checked by either server), and returns the status, the error code and the
// decoded body.
func shCall(t *testing.T, url, path, body string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/securityhub/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
	req.Header.Set("X-Amz-Date", "20260301T120000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	doc := map[string]any{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %s", url, path, raw)
	}
	code := ""
	if resp.StatusCode >= 300 {
		code = resp.Header.Get("X-Amzn-Errortype")
		if c, ok := doc["Code"].(string); ok && code == "" {
			code = c
		}
		if c, ok := doc["__type"].(string); ok && code == "" {
			code = c
		}
		code, _, _ = strings.Cut(code, ":")
	}
	return resp.StatusCode, code, doc
}

// asffJSON is a valid finding for the parity test's account, with the fields given replacing
// the defaults.
func asffJSON(id, updatedAt string, set map[string]any) string {
	f := map[string]any{
		"SchemaVersion": "2018-10-08", "Id": id, "GeneratorId": "corsguard/mediastore",
		"ProductArn":   "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
		"AwsAccountId": "123456789012", "CreatedAt": "2026-03-01T12:00:00Z", "UpdatedAt": updatedAt,
		"Title": "CORS of " + id, "Description": "d", "RecordState": "ACTIVE",
		"Severity":   map[string]any{"Label": "MEDIUM"},
		"Types":      []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
		"Resources":  []map[string]any{{"Type": "Other", "Id": "arn:aws:mediastore:us-east-1:123456789012:container/" + id}},
		"Compliance": map[string]any{"Status": "FAILED"},
	}
	for k, v := range set {
		f[k] = v
	}
	data, _ := json.Marshal(f)
	return string(data)
}

// TestSecurityHubParityWithMoto compares the emulator with moto_server's Security Hub where
// moto implements it: import (create, update in place, a finding without resources in
// FailedFindings), GetFindings without filters (moto ignores them) and its MaxResults checks
// and paging. Not compared, where moto is not AWS: moto checks no other ASFF rule, does not
// fill Region, Workflow or FindingProviderFields, lets top-level Severity change on update,
// and does not refuse calls when Security Hub is not enabled.
func TestSecurityHubParityWithMoto(t *testing.T) {
	moto := startMoto(t)
	emu := httptest.NewServer(emulator.New(emulator.WithAccount("123456789012"), emulator.WithRegion("us-east-1"), emulator.WithoutQuotas()))
	defer emu.Close()
	type view struct {
		Status  int
		Error   string
		Success any
		Failed  []string
		// Findings: Id, Title, Compliance.Status and RecordState of each finding returned.
		Findings []string
		More     bool
	}
	project := func(status int, code string, doc map[string]any) view {
		v := view{Status: status, Error: code, Success: doc["SuccessCount"]}
		if code != "" {
			return view{Status: status, Error: code}
		}
		for _, f := range asSlice(doc["FailedFindings"]) {
			m := f.(map[string]any)
			v.Failed = append(v.Failed, fmt.Sprint(m["Id"], " ", m["ErrorCode"]))
		}
		for _, f := range asSlice(doc["Findings"]) {
			m := f.(map[string]any)
			comp, _ := m["Compliance"].(map[string]any)
			v.Findings = append(v.Findings, fmt.Sprint(m["Id"], " | ", m["Title"], " | ", comp["Status"], " | ", m["RecordState"]))
		}
		tok, _ := doc["NextToken"].(string)
		v.More = tok != ""
		return v
	}
	batch := func(fs ...string) string { return `{"Findings":[` + strings.Join(fs, ",") + `]}` }
	steps := []struct{ path, body string }{
		{"/findings/import", batch(asffJSON("movies", "2026-03-01T12:00:00Z", nil), asffJSON("live", "2026-03-01T12:00:00Z", nil))},
		{"/findings", `{}`},
		{"/findings/import", batch(asffJSON("movies", "2026-03-01T12:05:00Z", map[string]any{"Title": "now compliant", "Compliance": map[string]any{"Status": "PASSED"}}))},
		{"/findings", `{}`},
		{"/findings/import", batch(asffJSON("empty", "2026-03-01T12:00:00Z", map[string]any{"Resources": []any{}}), asffJSON("news", "2026-03-01T12:00:00Z", nil))},
		{"/findings", `{"MaxResults":101}`},
		{"/findings", `{"MaxResults":0}`},
		{"/findings", `{"MaxResults":2}`},
		{"/findings/import", batch(asffJSON("live", "2026-03-01T12:10:00Z", map[string]any{"RecordState": "ARCHIVED"}))},
		{"/findings", `{}`},
	}
	for i, s := range steps {
		want := project(shCall(t, moto, s.path, s.body))
		got := project(shCall(t, emu.URL, s.path, s.body))
		if os.Getenv("CORSGUARD_PARITY_VERBOSE") != "" {
			t.Logf("step %d: %+v", i, got)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("step %d POST %s %.80s (-moto +emulator):\n%s", i, s.path, s.body, diff)
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
