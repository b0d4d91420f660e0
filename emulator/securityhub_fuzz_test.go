package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/emulator"
)

// FuzzSecurityHubRequests feeds arbitrary bodies to BatchImportFindings and GetFindings: the
// emulator must answer every one as Security Hub would, a JSON document with a 200 or a 4xx
// error it names, never a 500 of its own or a panic.
func FuzzSecurityHubRequests(f *testing.F) {
	f.Add("/findings/import", `{"Findings":[{"Id":"x"}]}`)
	f.Add("/findings/import", `{"Findings":[{"SchemaVersion":"2018-10-08","Id":"a","ProductArn":"arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default","GeneratorId":"g","AwsAccountId":"123456789012","CreatedAt":"2026-03-01T12:00:00Z","UpdatedAt":"2026-03-01T12:00:00Z","Title":"t","Description":"d","Severity":{"Label":"LOW","Normalized":1.5},"Types":["TTPs/x/y/z"],"Resources":[{"Type":"Other","Id":"r"}],"FindingProviderFields":{"Severity":[]}}]}`)
	f.Add("/findings", `{"Filters":{"Id":[{"Value":"a","Comparison":"PREFIX"},{"Value":"b","Comparison":"NOT_EQUALS"}]},"MaxResults":1}`)
	f.Add("/findings", `{"NextToken":"ZmluZGluZ3M6LTE=","Filters":{"Type":null}}`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if path != "/findings" {
			path = "/findings/import"
		}
		emu := emulator.New(emulator.WithAccount("123456789012"), emulator.WithoutQuotas())
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/securityhub/aws4_request, SignedHeaders=host, Signature=0")
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q answered %d: %s", path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q answered non-JSON: %s", path, body, rec.Body)
		}
		if rec.Code >= 300 && rec.Header().Get("X-Amzn-Errortype") == "" {
			t.Fatalf("POST %s %q: error %d without X-Amzn-ErrorType", path, body, rec.Code)
		}
	})
}
