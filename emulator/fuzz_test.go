package emulator

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The emulator's own request parsers never panic, and what they accept they accept again in
// the form they answer it: a stored policy read back and sent again is the same policy.

func FuzzMediaStoreCORS(f *testing.F) {
	f.Add([]byte(`[{"AllowedOrigins":["https://*.example.com"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000}]`))
	f.Add([]byte(`[{"AllowedOrigins":["*"],"AllowedHeaders":[]}]`))
	f.Add([]byte(`[{"AllowedOrigins":["a**"],"AllowedMethods":["POST"],"AllowedHeaders":[],"MaxAgeSeconds":-1}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rules, err := mediaStoreCORS(raw)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("not an API error: %v", err)
			}
			return
		}
		again, err := mediaStoreCORS(rulesJSON(rules))
		if err != nil {
			t.Fatalf("an accepted policy is refused when read back: %v\n%s", err, rulesJSON(rules))
		}
		if string(rulesJSON(again)) != string(rulesJSON(rules)) {
			t.Fatalf("read back differently:\n%s\n%s", rulesJSON(rules), rulesJSON(again))
		}
	})
}

func FuzzS3CORS(f *testing.F) {
	f.Add([]byte(`<CORSConfiguration><CORSRule><ID>r</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>`))
	f.Add([]byte(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><AllowedOrigin>a**</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>`))
	f.Add([]byte(`<x/>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rules, err := parseS3CORS(body)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("not an API error: %v", err)
			}
			return
		}
		doc := s3CORSDocument(rules)
		again, err := parseS3CORS(doc)
		if err != nil {
			t.Fatalf("an accepted configuration is refused when read back: %v\n%s", err, doc)
		}
		a, _ := json.Marshal(rules)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("read back differently:\n%s\n%s", a, b)
		}
	})
}

func FuzzCredentialScope(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", "")
	f.Add("", "AKID/20260301/eu-west-1/ssm/aws4_request")
	f.Add("AWS4-HMAC-SHA256 Credential=//////", "")
	f.Fuzz(func(t *testing.T, auth, presigned string) {
		r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		if err != nil {
			t.Skip()
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		q := r.URL.Query()
		q.Set("X-Amz-Credential", presigned)
		r.URL.RawQuery = q.Encode()
		sc, aerr := credentialScope(r)
		if aerr == nil && (sc.accessKey == "" || sc.service == "") {
			t.Fatalf("accepted a scope without a key or a service: %+v", sc)
		}
	})
}
