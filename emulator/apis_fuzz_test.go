package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/emulator"
)

// FuzzLambdaAndAPIGatewayRequests feeds arbitrary bodies and queries to the REST-JSON
// operations that read a body or a query (CreateFunction, Create/UpdateFunctionUrlConfig,
// ListFunctions, CreateApi, UpdateApi, GetApis, TagResource): the emulator answers each as the
// services would, 2xx or a 4xx error it names in X-Amzn-Errortype, never a 500 of its own or a
// panic.
func FuzzLambdaAndAPIGatewayRequests(f *testing.F) {
	f.Add(0, "", `{"FunctionName":"f","Role":"arn:aws:iam::123456789012:role/r","Runtime":"provided.al2023","Handler":"bootstrap","Code":{"ZipFile":"UEs="}}`)
	f.Add(1, "", `{"AuthType":"NONE","Cors":{"AllowOrigins":["*"],"MaxAge":86400}}`)
	f.Add(2, "Qualifier=live", `{"Cors":{"AllowMethods":["GET","OPTIONS"],"AllowHeaders":[""]}}`)
	f.Add(3, "MaxItems=0&Marker=%%%", `{}`)
	f.Add(4, "", `{"name":"x","protocolType":"HTTP","corsConfiguration":{"allowOrigins":["*"],"allowCredentials":true}}`)
	f.Add(5, "", `{"corsConfiguration":{"maxAge":-2},"protocolType":"WEBSOCKET"}`)
	f.Add(6, "maxResults=-1&nextToken=!", `{}`)
	f.Add(7, "", `{"tags":{"a":"b"}}`)
	f.Fuzz(func(t *testing.T, which int, query, body string) {
		routes := []struct{ method, path, service string }{
			{http.MethodPost, "/2015-03-31/functions", "lambda"},
			{http.MethodPost, "/2021-10-31/functions/f/url", "lambda"},
			{http.MethodPut, "/2021-10-31/functions/f/url", "lambda"},
			{http.MethodGet, "/2015-03-31/functions", "lambda"},
			{http.MethodPost, "/v2/apis", "apigateway"},
			{http.MethodPatch, "/v2/apis/a1b2c3d4e5", "apigateway"},
			{http.MethodGet, "/v2/apis", "apigateway"},
			{http.MethodPost, "/v2/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2Fa1b2c3d4e5", "apigateway"},
		}
		r := routes[(which%len(routes)+len(routes))%len(routes)]
		emu := emulator.New(emulator.WithoutQuotas())
		if err := emu.SeedFunction(emulator.SeedFunction{Name: "f", Aliases: []string{"live"}, URLs: []emulator.SeedFunctionURL{{}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := emu.SeedAPI(emulator.SeedAPI{ID: "a1b2c3d4e5", Name: "a"}); err != nil {
			t.Fatal(err)
		}
		target := r.path
		if query != "" {
			target += "?" + strings.NewReplacer("#", "", " ", "", "\n", "", "\r", "", "\t", "").Replace(query)
		}
		req, err := http.NewRequest(r.method, "http://emulator"+target, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/"+r.service+"/aws4_request, SignedHeaders=host, Signature=0")
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q answered %d: %s", r.method, target, body, rec.Code, rec.Body)
		}
		if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s %q answered non-JSON: %s", r.method, target, body, rec.Body)
		}
		if rec.Code >= 300 && rec.Header().Get("X-Amzn-Errortype") == "" {
			t.Fatalf("%s %s %q: error %d without X-Amzn-ErrorType", r.method, target, body, rec.Code)
		}
	})
}
