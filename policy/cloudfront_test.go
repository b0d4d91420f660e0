package policy

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"slices"
)

func mustCorsConfig(t *testing.T, data string) CorsConfig {
	t.Helper()
	c, err := ParseCorsConfig([]byte(data))
	if err != nil {
		t.Fatalf("ParseCorsConfig: %v", err)
	}
	return c
}

func TestParseCorsConfigAcceptsEveryShapeTheCLIPrints(t *testing.T) {
	bare, err := os.ReadFile("testdata/cloudfront/valid-cors-config.json")
	if err != nil {
		t.Fatal(err)
	}
	want := mustCorsConfig(t, string(bare)).Policy()
	for _, name := range []string{
		"testdata/cloudfront/valid-get-response-headers-policy-output.json",
		"testdata/cloudfront/valid-cors-config.json",
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseKind(CloudFront, data)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(p, CloudFront); err != nil {
				t.Fatal(err)
			}
			if !Equal(p, want) {
				t.Errorf("differs from the bare CorsConfig: %v", Diff(p, want))
			}
		})
	}
	wrapped := `{"CorsConfig":` + string(bare) + `}`
	config := `{"ETag":"E1","ResponseHeadersPolicyConfig":{"Name":"n","CorsConfig":` + string(bare) + `}}`
	for name, data := range map[string]string{"wrapped": wrapped, "get-response-headers-policy-config": config} {
		t.Run(name, func(t *testing.T) {
			p, err := ParseKind(CloudFront, []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(p, want) {
				t.Errorf("differs from the bare CorsConfig: %v", Diff(p, want))
			}
		})
	}
}

func TestParseCorsConfigRefuses(t *testing.T) {
	for name, data := range map[string]string{
		"a typo in a field":              `{"AccessControlAllowOrigin":{"Quantity":1,"Items":["*"]}}`,
		"a typo inside a list":           `{"AccessControlAllowOrigins":{"Quantity":1,"Item":["*"]}}`,
		"a Quantity that is not the len": `{"AccessControlAllowOrigins":{"Quantity":2,"Items":["*"]}}`,
		"an array":                       `[{"AllowedOrigins":["*"]}]`,
		"a policy without CorsConfig":    `{"ResponseHeadersPolicy":{"ResponseHeadersPolicyConfig":{"Name":"x"}}}`,
		"a null CorsConfig":              `{"CorsConfig":null}`,
		"empty":                          ` `,
		"trailing data":                  `{"OriginOverride":true} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCorsConfig([]byte(data)); err == nil {
				t.Error("no error")
			}
		})
	}
}

// A key given twice is an error naming its path, in the CorsConfig and in its wrappers alike;
// a UTF-8 byte order mark is ignored.
func TestParseCorsConfigRefusesDuplicateKeys(t *testing.T) {
	for in, want := range map[string]string{
		`{"AccessControlAllowOrigins":{"Quantity":1,"Items":["https://a.example"],"Items":["*"]}}`:                                "parse cors config: AccessControlAllowOrigins.Items: key given twice",
		`{"OriginOverride":true,"AccessControlAllowCredentials":false,"OriginOverride":false}`:                                    "parse cors config: OriginOverride: key given twice",
		`{"CorsConfig":{"OriginOverride":true},"CorsConfig":{"OriginOverride":false}}`:                                            "parse cors config: CorsConfig: key given twice",
		`{"ETag":"E1","ResponseHeadersPolicyConfig":{"Name":"a","name":"b","CorsConfig":{}}}`:                                     `parse cors config: ResponseHeadersPolicyConfig.name: key given twice (first as "Name")`,
		`{"ResponseHeadersPolicy":{"ResponseHeadersPolicyConfig":{"CorsConfig":{"OriginOverride":true,"originoverride":false}}}}`: `ResponseHeadersPolicy.ResponseHeadersPolicyConfig.CorsConfig.originoverride: key given twice (first as "OriginOverride")`,
	} {
		if _, err := ParseCorsConfig([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCorsConfig(%s) = %v; want an error containing %q", in, err, want)
		}
	}
	data, err := os.ReadFile("testdata/cloudfront/valid-cors-config.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseCorsConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCorsConfig(append([]byte("\xef\xbb\xbf"), data...))
	if err != nil || !Equal(got.Policy(), want.Policy()) {
		t.Errorf("with a UTF-8 BOM: %v, %v", got, err)
	}
}

func TestARuleListIsNotACorsConfig(t *testing.T) {
	for _, data := range []string{string(DefaultJSON()), `{"CorsPolicy": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": []}]}`} {
		if _, err := ParseCorsConfig([]byte(data)); err == nil || !strings.Contains(err.Error(), "not a CloudFront CorsConfig") {
			t.Errorf("ParseCorsConfig(%.40q) = %v; want the rule-list error", data, err)
		}
	}
}

func TestValidateCloudFrontNamesEveryProblem(t *testing.T) {
	data, err := os.ReadFile("testdata/cloudfront/invalid-credentials-wildcard.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseKind(CloudFront, data)
	if err != nil {
		t.Fatal(err)
	}
	err = Validate(p, CloudFront)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	var paths []string
	for _, pr := range verr.Problems {
		paths = append(paths, pr.Path)
	}
	want := []string{
		"CorsConfig.OriginOverride",
		"CorsConfig.AccessControlAllowMethods.Items[1]",
		"CorsConfig.AccessControlAllowCredentials",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("problem paths (-want +got):\n%s\n%v", diff, err)
	}
}

func TestValidateCloudFrontRules(t *testing.T) {
	base := func() CorsConfig {
		return mustCorsConfig(t, `{
			"AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://a.example.com"]},
			"AccessControlAllowHeaders": {"Quantity": 0},
			"AccessControlAllowMethods": {"Quantity": 1, "Items": ["GET"]},
			"AccessControlAllowCredentials": true,
			"OriginOverride": true}`)
	}
	long := strings.Repeat("a", MaxCloudFrontOriginChars-len("https://"))
	cases := []struct {
		name   string
		change func(c *CorsConfig)
		path   string // "" when valid
	}{
		{"the base is valid", func(*CorsConfig) {}, ""},
		{"every method and ALL are allowed", func(c *CorsConfig) {
			c.AccessControlAllowMethods.Items = slices.Clone(cloudFrontMethods)
		}, ""},
		{"an origin of exactly 1,783 characters is allowed", func(c *CorsConfig) {
			c.AccessControlAllowOrigins.Items = []string{"https://" + long}
		}, ""},
		{"an origin of 1,784 characters is refused", func(c *CorsConfig) {
			c.AccessControlAllowOrigins.Items = []string{"https://b.example.com", "https://" + long + "a"}
		}, "CorsConfig.AccessControlAllowOrigins.Items[1]"},
		{"origins longer than 1,783 characters joined are allowed", func(c *CorsConfig) {
			c.AccessControlAllowOrigins.Items = []string{"https://" + long, "https://" + long}
		}, ""},
		{"25 origins of 80 characters are allowed", func(c *CorsConfig) {
			c.AccessControlAllowOrigins.Items = nil
			for i := range 25 {
				c.AccessControlAllowOrigins.Items = append(c.AccessControlAllowOrigins.Items,
					fmt.Sprintf("https://%s%02d.example.com", strings.Repeat("o", 58), i))
			}
		}, ""},
		{"no origin is refused", func(c *CorsConfig) {
			c.AccessControlAllowOrigins.Items = nil
		}, "CorsConfig.AccessControlAllowOrigins"},
		{"TRACE is refused", func(c *CorsConfig) {
			c.AccessControlAllowMethods.Items = []string{"TRACE"}
		}, "CorsConfig.AccessControlAllowMethods.Items[0]"},
		{"a method listed twice is refused", func(c *CorsConfig) {
			c.AccessControlAllowMethods.Items = []string{"GET", "GET"}
		}, "CorsConfig.AccessControlAllowMethods.Items[1]"},
		{"credentials with a * origin are refused", func(c *CorsConfig) {
			c.AccessControlAllowOrigins.Items = []string{"*"}
		}, "CorsConfig.AccessControlAllowCredentials"},
		{"a negative max age is refused", func(c *CorsConfig) {
			n := int64(-1)
			c.AccessControlMaxAgeSec = &n
		}, "CorsConfig.AccessControlMaxAgeSec"},
		{"a missing AllowHeaders is refused", func(c *CorsConfig) {
			c.AccessControlAllowHeaders = nil
		}, "CorsConfig.AccessControlAllowHeaders"},
		{"an empty header name is refused", func(c *CorsConfig) {
			c.AccessControlExposeHeaders = &CloudFrontList{Items: []string{""}}
		}, "CorsConfig.AccessControlExposeHeaders.Items[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.change(&c)
			err := Validate(c.Policy(), CloudFront)
			if tc.path == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].Path != tc.path {
				t.Fatalf("Validate = %v, want one problem at %s", err, tc.path)
			}
		})
	}
}

func TestCloudFrontFieldsAreRefusedForOtherKinds(t *testing.T) {
	c := mustCorsConfig(t, `{"AccessControlAllowOrigins":{"Quantity":1,"Items":["*"]},"AccessControlAllowHeaders":{"Quantity":0},
		"AccessControlAllowMethods":{"Quantity":1,"Items":["GET"]},"AccessControlAllowCredentials":false,"OriginOverride":true}`)
	for _, k := range []Kind{MediaStore, S3} {
		if err := Validate(c.Policy(), k); err == nil || !strings.Contains(err.Error(), "CloudFront fields") {
			t.Errorf("Validate(%s) = %v, want CloudFront fields refused", k, err)
		}
	}
	if err := Validate(Policy{good()}, CloudFront); err == nil {
		t.Error("a MediaStore rule passed as a CloudFront CorsConfig")
	}
}

func TestCloudFrontCompare(t *testing.T) {
	baseline := `{
		"AccessControlAllowOrigins": {"Quantity": 2, "Items": ["https://a.example.com", "https://b.example.com"]},
		"AccessControlAllowHeaders": {"Quantity": 1, "Items": ["Range"]},
		"AccessControlAllowMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
		"AccessControlAllowCredentials": false,
		"AccessControlExposeHeaders": {"Quantity": 1, "Items": ["ETag"]},
		"OriginOverride": true}`
	want := mustCorsConfig(t, baseline).Policy()
	cases := []struct {
		name  string
		data  string
		equal bool
		diff  []string
	}{
		{"the same", baseline, true, nil},
		{"lists reordered, header case changed, Quantity left out", `{
			"AccessControlAllowOrigins": {"Items": ["https://b.example.com", "https://a.example.com"]},
			"AccessControlAllowHeaders": {"Quantity": 1, "Items": ["range"]},
			"AccessControlAllowMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]},
			"AccessControlAllowCredentials": false,
			"AccessControlExposeHeaders": {"Quantity": 1, "Items": ["etag"]},
			"OriginOverride": true}`, true, nil},
		{"an origin swapped and credentials on", `{
			"AccessControlAllowOrigins": {"Quantity": 2, "Items": ["https://a.example.com", "https://evil.example"]},
			"AccessControlAllowHeaders": {"Quantity": 1, "Items": ["Range"]},
			"AccessControlAllowMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
			"AccessControlAllowCredentials": true,
			"AccessControlExposeHeaders": {"Quantity": 1, "Items": ["ETag"]},
			"AccessControlMaxAgeSec": 0,
			"OriginOverride": true}`, false, []string{
			"CorsConfig.AccessControlAllowOrigins: +https://b.example.com -https://evil.example",
			"CorsConfig.AccessControlAllowCredentials: true -> false",
			"CorsConfig.AccessControlMaxAgeSec: 0 -> (absent)",
		}},
		{"ALL against GET and HEAD", `{
			"AccessControlAllowOrigins": {"Quantity": 2, "Items": ["https://a.example.com", "https://b.example.com"]},
			"AccessControlAllowHeaders": {"Quantity": 1, "Items": ["Range"]},
			"AccessControlAllowMethods": {"Quantity": 1, "Items": ["ALL"]},
			"AccessControlAllowCredentials": false,
			"AccessControlExposeHeaders": {"Quantity": 1, "Items": ["ETag"]},
			"OriginOverride": true}`, false, []string{
			"CorsConfig.AccessControlAllowMethods: -DELETE -OPTIONS -PATCH -POST -PUT",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mustCorsConfig(t, tc.data).Policy()
			if Equal(got, want) != tc.equal {
				t.Errorf("Equal = %v, want %v", !tc.equal, tc.equal)
			}
			if (Hash(got) == Hash(want)) != tc.equal {
				t.Errorf("hash equality differs from Equal")
			}
			var lines []string
			for _, c := range Diff(got, want) {
				lines = append(lines, c.String())
			}
			if diff := cmp.Diff(tc.diff, lines); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
	if lines := Diff(nil, want); len(lines) != 1 || lines[0].Path != "CorsConfig" || lines[0].Op != "add" {
		t.Errorf("Diff of a policy without CorsConfig = %v", lines)
	}
}

func TestALLEqualsTheSevenMethods(t *testing.T) {
	mk := func(methods string) Policy {
		return mustCorsConfig(t, `{"AccessControlAllowOrigins":{"Items":["*"]},"AccessControlAllowHeaders":{"Quantity":0},
			"AccessControlAllowMethods":{"Items":[`+methods+`]},"AccessControlAllowCredentials":false,"OriginOverride":true}`).Policy()
	}
	all := mk(`"ALL"`)
	seven := mk(`"GET","POST","OPTIONS","PUT","DELETE","PATCH","HEAD"`)
	if !Equal(all, seven) {
		t.Errorf("ALL differs from the seven methods: %v", Diff(all, seven))
	}
	if Equal(all, mk(`"GET","POST","OPTIONS","PUT","DELETE","PATCH"`)) {
		t.Error("ALL equals six methods")
	}
}

func TestCorsConfigRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/cloudfront/valid-get-response-headers-policy-output.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCorsConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	back, err := CorsConfigOf(c.Policy())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
