package policy

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustCors(t *testing.T, kind Kind, data string) Policy {
	t.Helper()
	p, err := ParseKind(kind, []byte(data))
	if err != nil {
		t.Fatalf("ParseKind(%s): %v", kind, err)
	}
	return p
}

func TestParseCorsAcceptsEveryShapeTheCLIPrints(t *testing.T) {
	bare, err := os.ReadFile("testdata/api/valid-cors.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []Kind{LambdaURL, HTTPAPI} {
		want := mustCors(t, kind, string(bare))
		shapes := map[string]string{
			"wrapped in Cors":              `{"Cors":` + string(bare) + `}`,
			"wrapped in CorsConfiguration": `{"CorsConfiguration":` + string(bare) + `}`,
		}
		for _, name := range []string{"testdata/api/valid-get-function-url-config-output.json", "testdata/api/valid-get-api-output.json"} {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			shapes[name] = string(data)
		}
		for name, data := range shapes {
			t.Run(string(kind)+"/"+name, func(t *testing.T) {
				p := mustCors(t, kind, data)
				if err := Validate(p, kind); err != nil {
					t.Fatal(err)
				}
				if !Equal(p, want) {
					t.Errorf("differs from the bare Cors object: %v", Diff(p, want))
				}
			})
		}
	}
}

func TestParseCorsRefusesWhatIsNotOneCorsObject(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"a rule list":                     {`[{"AllowedOrigins":["*"],"AllowedMethods":["GET"]}]`, "rule list"},
		"a CorsPolicy document":           {`{"CorsPolicy":[]}`, "rule list"},
		"a typo in a field":               {`{"AllowOrigin":["*"]}`, "unknown field"},
		"a typo inside the wrapper":       {`{"Cors":{"AllowMethod":["GET"]}}`, "unknown field"},
		"a key given twice":               {`{"Cors":{"MaxAge":1,"maxAge":2}}`, "Cors.maxAge: key given twice"},
		"null":                            {`null`, "rule list"},
		"a null wrapper":                  {`{"Cors":null}`, "Cors is null"},
		"a function URL without CORS":     {`{"FunctionUrl":"https://x.lambda-url.us-east-1.on.aws/","AuthType":"NONE"}`, "no CORS configuration"},
		"an API without CORS":             {`{"ApiId":"a1b2c3","Name":"orders"}`, "no CORS configuration"},
		"trailing data":                   {`{"MaxAge":1} {}`, "after top-level value"},
		"a string where a list is wanted": {`{"AllowOrigins":"*"}`, "cannot unmarshal"},
		"empty":                           {`  `, "empty"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCors([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseCors(%s) = %v, want an error containing %q", tc.data, err, tc.want)
			}
		})
	}
}

func TestValidateJudgesCorsByEachServicesRules(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		cors string
		want []string // problem paths; none for a valid one
	}{
		{"lambda: every field", LambdaURL, `{"AllowCredentials":true,"AllowHeaders":["x-a"],"AllowMethods":["GET","PUT","HEAD","POST","PATCH","DELETE"],"AllowOrigins":["https://a.example"],"ExposeHeaders":["etag"],"MaxAge":86400}`, nil},
		{"lambda: nothing at all", LambdaURL, `{}`, nil},
		{"lambda: OPTIONS", LambdaURL, `{"AllowMethods":["OPTIONS"]}`, []string{"Cors.AllowMethods[0]"}},
		{"lambda: seven methods", LambdaURL, `{"AllowMethods":["GET","PUT","HEAD","POST","PATCH","DELETE","*"]}`, []string{"Cors.AllowMethods"}},
		{"lambda: a lower-case method", LambdaURL, `{"AllowMethods":["get"]}`, []string{"Cors.AllowMethods[0]"}},
		{"lambda: MaxAge -1", LambdaURL, `{"MaxAge":-1}`, []string{"Cors.MaxAge"}},
		{"lambda: MaxAge 86401", LambdaURL, `{"MaxAge":86401}`, []string{"Cors.MaxAge"}},
		{"lambda: an origin of 254 characters", LambdaURL, `{"AllowOrigins":["https://` + strings.Repeat("a", 246) + `"]}`, []string{"Cors.AllowOrigins[0]"}},
		{"lambda: a header of 1025 characters", LambdaURL, `{"ExposeHeaders":["` + strings.Repeat("h", 1025) + `"]}`, []string{"Cors.ExposeHeaders[0]"}},
		{"lambda: an empty header name", LambdaURL, `{"AllowHeaders":[""]}`, []string{"Cors.AllowHeaders[0]"}},
		{"lambda: credentials with *", LambdaURL, `{"AllowCredentials":true,"AllowOrigins":["*"]}`, []string{"Cors.AllowCredentials"}},
		{"http-api: every field", HTTPAPI, `{"AllowCredentials":true,"AllowHeaders":["*"],"AllowMethods":["OPTIONS","GET"],"AllowOrigins":["https://a.example"],"ExposeHeaders":["*"],"MaxAge":-1}`, nil},
		{"http-api: https://*", HTTPAPI, `{"AllowOrigins":["https://*"],"AllowMethods":["*"]}`, nil},
		{"http-api: MaxAge -2", HTTPAPI, `{"MaxAge":-2}`, []string{"CorsConfiguration.MaxAge"}},
		{"http-api: a method typo", HTTPAPI, `{"AllowMethods":["GTE"]}`, []string{"CorsConfiguration.AllowMethods[0]"}},
		{"http-api: credentials with *", HTTPAPI, `{"AllowCredentials":true,"AllowOrigins":["*"]}`, []string{"CorsConfiguration.AllowCredentials"}},
		{"http-api: a control character", HTTPAPI, `{"AllowHeaders":["x\u0001"]}`, []string{"CorsConfiguration.AllowHeaders[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(mustCors(t, tc.kind, tc.cors), tc.kind)
			var got []string
			var verr *ValidationError
			if errors.As(err, &verr) {
				for _, p := range verr.Problems {
					got = append(got, p.Path)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problem paths (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

func TestValidateRefusesCorsFieldsInOtherKindsAndOtherShapesForCors(t *testing.T) {
	c := mustCors(t, LambdaURL, `{"AllowOrigins":["*"],"AllowMethods":["GET"],"AllowHeaders":[]}`)
	for _, k := range []Kind{MediaStore, S3, CloudFront} {
		if err := Validate(c, k); err == nil {
			t.Errorf("Validate(a Cors object, %s) = nil, want an error", k)
		}
	}
	rules := mustParse(t, `[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":[]}]`)
	for _, k := range []Kind{LambdaURL, HTTPAPI} {
		if err := Validate(rules, k); err == nil {
			t.Errorf("Validate(a rule list, %s) = nil, want an error", k)
		}
		if err := Validate(append(c, c...), k); err == nil {
			t.Errorf("Validate(two Cors rules, %s) = nil, want an error", k)
		}
	}
}

// Absent fields mean what each service reads back: Lambda's absent MaxAge is 0 and absent
// AllowCredentials false; API Gateway's absent AllowCredentials is false, but an absent MaxAge
// sends no Access-Control-Max-Age and is not 0.
func TestAbsentCorsFieldsMeanWhatEachServiceReadsBack(t *testing.T) {
	absent := `{"AllowOrigins":["https://a.example"]}`
	zero := `{"AllowOrigins":["https://a.example"],"MaxAge":0,"AllowCredentials":false}`
	if a, b := mustCors(t, LambdaURL, absent), mustCors(t, LambdaURL, zero); !Equal(a, b) || Hash(a) != Hash(b) {
		t.Errorf("lambda-url: absent MaxAge and AllowCredentials differ from 0 and false: %v", Diff(a, b))
	}
	a, b := mustCors(t, HTTPAPI, absent), mustCors(t, HTTPAPI, zero)
	if Equal(a, b) {
		t.Error("http-api: an absent MaxAge equals 0; API Gateway sends no Access-Control-Max-Age when it is absent")
	}
	if diff := Diff(a, b); len(diff) != 1 || diff[0].String() != "CorsConfiguration.MaxAge: (absent) -> 0" {
		t.Errorf("http-api diff = %v, want only MaxAge", diff)
	}
	noCreds := `{"AllowOrigins":["https://a.example"],"AllowCredentials":false}`
	if a, b := mustCors(t, HTTPAPI, absent), mustCors(t, HTTPAPI, noCreds); !Equal(a, b) {
		t.Errorf("http-api: absent AllowCredentials differs from false: %v", Diff(a, b))
	}
}

func TestCorsCompareIgnoresOrderAndHeaderCaseButNotOriginOrMethodCase(t *testing.T) {
	base := `{"AllowHeaders":["Content-Type","X-Api-Key"],"ExposeHeaders":["ETag"],"AllowMethods":["GET","POST"],"AllowOrigins":["https://a.example","https://b.example"],"MaxAge":60}`
	same := `{"AllowHeaders":["x-api-key","content-type"],"ExposeHeaders":["etag"],"AllowMethods":["POST","GET"],"AllowOrigins":["https://b.example","https://a.example"],"MaxAge":60}`
	for _, k := range []Kind{LambdaURL, HTTPAPI} {
		if a, b := mustCors(t, k, base), mustCors(t, k, same); !Equal(a, b) || Hash(a) != Hash(b) {
			t.Errorf("%s: reordered and lower-cased headers differ: %v", k, Diff(a, b))
		}
		other := strings.Replace(same, "https://a.example", "https://A.example", 1)
		if Equal(mustCors(t, k, base), mustCors(t, k, other)) {
			t.Errorf("%s: an origin in another case compares equal", k)
		}
	}
}

func TestCorsDiffNamesTheServicesFields(t *testing.T) {
	want := `{"AllowCredentials":true,"AllowHeaders":["authorization"],"AllowMethods":["GET"],"AllowOrigins":["https://a.example"],"MaxAge":300}`
	actual := `{"AllowHeaders":["Authorization","X-Extra"],"AllowMethods":["GET","DELETE"],"AllowOrigins":["*"],"MaxAge":0}`
	for kind, wantLines := range map[Kind][]string{
		LambdaURL: {
			"Cors.AllowOrigins: +https://a.example -*",
			"Cors.AllowMethods: -DELETE",
			"Cors.AllowHeaders: -x-extra",
			"Cors.AllowCredentials: false -> true",
			"Cors.MaxAge: 0 -> 300",
		},
		HTTPAPI: {
			"CorsConfiguration.AllowOrigins: +https://a.example -*",
			"CorsConfiguration.AllowMethods: -DELETE",
			"CorsConfiguration.AllowHeaders: -x-extra",
			"CorsConfiguration.AllowCredentials: false -> true",
			"CorsConfiguration.MaxAge: 0 -> 300",
		},
	} {
		var got []string
		for _, c := range Diff(mustCors(t, kind, actual), mustCors(t, kind, want)) {
			got = append(got, c.String())
		}
		if diff := cmp.Diff(wantLines, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", kind, diff)
		}
		none := Diff(nil, mustCors(t, kind, want))
		if len(none) != 1 || none[0].Op != "add" || none[0].Path != corsRoot(kind) || !strings.Contains(none[0].To, `"AllowOrigins":["https://a.example"]`) {
			t.Errorf("%s: diff against no CORS = %v", kind, none)
		}
	}
}

func TestCorsOfRoundTripsThePolicyForm(t *testing.T) {
	data, err := os.ReadFile("testdata/api/valid-cors.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []Kind{LambdaURL, HTTPAPI} {
		p := mustCors(t, kind, string(data))
		c, err := CorsOf(p)
		if err != nil {
			t.Fatal(err)
		}
		if back := c.Policy(kind); !Equal(back, p) {
			t.Errorf("%s: %v", kind, Diff(back, p))
		}
		if again := mustCors(t, kind, string(c.JSON())); !Equal(again, p) {
			t.Errorf("%s: JSON round trip: %v", kind, Diff(again, p))
		}
	}
	if _, err := CorsOf(mustParse(t, `[{"AllowedOrigins":["*"],"AllowedMethods":["GET"]}]`)); err == nil {
		t.Error("CorsOf(a rule list) = nil error")
	}
}

func mustParse(t *testing.T, data string) Policy {
	t.Helper()
	p, err := Parse([]byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}
