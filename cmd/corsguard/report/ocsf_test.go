package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
)

// ocsfSchema is the Compliance Finding class of one OCSF release with the objects corsguard
// fills, resolved from the release's source definitions (extends, $include, the dictionary):
// testdata/ocsf/README.md says how and from which commit.
type ocsfSchema struct {
	Version string `json:"ocsf_version"`
	Class   struct {
		UID         int                    `json:"uid"`
		CategoryUID int                    `json:"category_uid"`
		Caption     string                 `json:"caption"`
		Profiles    []string               `json:"profiles"`
		Attributes  map[string]ocsfAttrDef `json:"attributes"`
	} `json:"class"`
	Objects map[string]map[string]ocsfAttrDef `json:"objects"`
	Types   map[string]string                 `json:"types"` // a type and the base type it narrows
}

type ocsfAttrDef struct {
	Type        string            `json:"type"`
	Requirement string            `json:"requirement"`
	Array       bool              `json:"array"`
	Enum        map[string]string `json:"enum"`
	Sibling     string            `json:"sibling"`
	Profile     string            `json:"profile"`
}

func loadOCSF(t *testing.T) *ocsfSchema {
	t.Helper()
	data, err := os.ReadFile("testdata/ocsf/compliance_finding-" + OCSFVersion + ".json")
	if err != nil {
		t.Fatalf("the pinned OCSF release: %v", err)
	}
	var s ocsfSchema
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// validate checks one event against the class: every required attribute (and every one its
// profiles require) is present, no attribute is unknown, every value has its type, every enum
// value is defined and its sibling holds the enum's caption, and the uids agree.
func (s *ocsfSchema) validate(event map[string]any) []string {
	var errs []string
	profiles := []string{}
	if md, ok := event["metadata"].(map[string]any); ok {
		if ps, ok := md["profiles"].([]any); ok {
			for _, p := range ps {
				name, _ := p.(string)
				if !slices.Contains(s.Class.Profiles, name) {
					errs = append(errs, fmt.Sprintf("metadata.profiles: %q is not a profile of the class", name))
				}
				profiles = append(profiles, name)
			}
		}
		if md["version"] != s.Version {
			errs = append(errs, fmt.Sprintf("metadata.version is %v, want %s", md["version"], s.Version))
		}
	}
	errs = append(errs, s.object("", s.Class.Attributes, event, profiles)...)
	num := func(k string) int64 { f, _ := event[k].(float64); return int64(f) }
	if num("class_uid") != int64(s.Class.UID) || num("category_uid") != int64(s.Class.CategoryUID) {
		errs = append(errs, fmt.Sprintf("class_uid %d, category_uid %d: want %d, %d", num("class_uid"), num("category_uid"), s.Class.UID, s.Class.CategoryUID))
	}
	if want := num("class_uid")*100 + num("activity_id"); num("type_uid") != want {
		errs = append(errs, fmt.Sprintf("type_uid %d, want class_uid*100+activity_id = %d", num("type_uid"), want))
	}
	if event["class_name"] != s.Class.Caption {
		errs = append(errs, fmt.Sprintf("class_name %v, want %s", event["class_name"], s.Class.Caption))
	}
	return errs
}

func (s *ocsfSchema) object(path string, defs map[string]ocsfAttrDef, v map[string]any, profiles []string) []string {
	var errs []string
	for name, def := range defs {
		_, present := v[name]
		applies := def.Profile == "" || slices.Contains(profiles, def.Profile)
		if def.Requirement == "required" && applies && !present {
			errs = append(errs, fmt.Sprintf("%s%s: required and missing", path, name))
		}
	}
	for name, val := range v {
		def, ok := defs[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("%s%s: not an attribute of %s %s", path, name, strings.TrimSuffix(path, "."), s.Version))
			continue
		}
		if def.Profile != "" && !slices.Contains(profiles, def.Profile) {
			errs = append(errs, fmt.Sprintf("%s%s: belongs to profile %s, which metadata.profiles does not name", path, name, def.Profile))
		}
		if def.Array {
			items, ok := val.([]any)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s%s: want an array", path, name))
				continue
			}
			for i, item := range items {
				errs = append(errs, s.value(fmt.Sprintf("%s%s[%d]", path, name, i), def, item, profiles)...)
			}
			continue
		}
		errs = append(errs, s.value(path+name, def, val, profiles)...)
		if def.Enum != nil {
			n, _ := val.(float64)
			caption, ok := def.Enum[strconv.Itoa(int(n))]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s%s: %v is not a value of its enum", path, name, val))
			}
			if sib, ok := v[def.Sibling]; ok && def.Sibling != "" && n != 99 && sib != caption {
				errs = append(errs, fmt.Sprintf("%s%s: %q, want the caption of %s %v, %q", path, def.Sibling, sib, name, val, caption))
			}
		}
	}
	return errs
}

func (s *ocsfSchema) value(path string, def ocsfAttrDef, val any, profiles []string) []string {
	t := def.Type
	for s.Types[t] != "" && s.Types[t] != t { // url_t -> string_t, timestamp_t -> long_t
		t = s.Types[t]
	}
	bad := func(want string) []string {
		return []string{fmt.Sprintf("%s: %v is not %s (%s)", path, val, want, def.Type)}
	}
	switch t {
	case "string_t":
		if _, ok := val.(string); !ok {
			return bad("a string")
		}
	case "integer_t", "long_t":
		if n, ok := val.(float64); !ok || n != float64(int64(n)) {
			return bad("an integer")
		}
	case "float_t":
		if _, ok := val.(float64); !ok {
			return bad("a number")
		}
	case "boolean_t":
		if _, ok := val.(bool); !ok {
			return bad("a boolean")
		}
	case "json_t":
	case "object":
		if _, ok := val.(map[string]any); !ok {
			return bad("an object")
		}
	default:
		defs, ok := s.Objects[t]
		if !ok {
			return []string{fmt.Sprintf("%s: object %s is not among the resolved objects (testdata/ocsf)", path, t)}
		}
		obj, ok := val.(map[string]any)
		if !ok {
			return bad("an object")
		}
		return s.object(path+".", defs, obj, profiles)
	}
	return nil
}

func ocsfEvents(t *testing.T, rep *enforce.Report) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteOCSF(&buf, rep, Meta{Account: "123456789012", Regions: []string{"eu-west-1"}, Version: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &events); err != nil {
		t.Fatalf("ocsf output is not a JSON array: %v\n%s", err, buf.String())
	}
	return events
}

func everyOutcome() *enforce.Report {
	rep := sample()
	rep.Baselines = []enforce.Baseline{{Kind: policy.MediaStore, Parameter: "/corsguard/baseline", Version: 3, Hash: "sha256:0123", Valid: true},
		{Kind: policy.CloudFront, Parameter: "/corsguard/cloudfront", Version: 1, Hash: "sha256:cf", Valid: true}}
	rep.Entries = append(rep.Entries,
		enforce.Entry{Name: "fixed", Kind: policy.S3, Outcome: enforce.Remediated, Attempts: 1, Diff: rep.Entries[1].Diff},
		enforce.Entry{Name: "partner", Kind: policy.S3, Outcome: enforce.Exempt, Attempts: 1},
		enforce.Entry{Name: "deleted", Kind: policy.MediaStore, Outcome: enforce.Gone, Attempts: 1},
		enforce.Entry{Name: "media-cors", Kind: policy.CloudFront, Outcome: enforce.Compliant, Attempts: 1},
		enforce.Entry{Name: "late", Kind: policy.S3, Outcome: enforce.NotStarted, Retryable: true},
	)
	return rep
}

// Every event is a valid Compliance Finding of the pinned OCSF release.
func TestOCSFEventsAreValidComplianceFindings(t *testing.T) {
	s := loadOCSF(t)
	events := ocsfEvents(t, everyOutcome())
	if len(events) != 7 {
		t.Fatalf("%d events, want one per checked resource (7; not_started has none)", len(events))
	}
	for _, e := range events {
		for _, err := range s.validate(e) {
			t.Errorf("%v: %s", e["finding_info"].(map[string]any)["uid"], err)
		}
	}
}

// The validator can fail: each broken event is refused for the reason it was broken.
func TestOCSFValidatorRefusesBrokenEvents(t *testing.T) {
	s := loadOCSF(t)
	for name, tc := range map[string]struct {
		breakIt func(e map[string]any)
		want    string
	}{
		"a required attribute missing": {func(e map[string]any) { delete(e, "finding_info") }, "finding_info: required and missing"},
		"an unknown attribute":         {func(e map[string]any) { e["verdict_text"] = "x" }, "verdict_text: not an attribute"},
		"a wrong type":                 {func(e map[string]any) { e["time"] = "2026-05-01" }, "time: 2026-05-01 is not an integer"},
		"an undefined enum value":      {func(e map[string]any) { e["severity_id"] = 42.0 }, "severity_id: 42 is not a value of its enum"},
		"a sibling that disagrees":     {func(e map[string]any) { e["severity"] = "Critical" }, `severity: "Critical", want the caption`},
		"a nested required attribute":  {func(e map[string]any) { delete(e["metadata"].(map[string]any), "product") }, "metadata.product: required and missing"},
		"a profile's required object":  {func(e map[string]any) { delete(e, "cloud") }, "cloud: required and missing"},
		"a wrong type_uid":             {func(e map[string]any) { e["type_uid"] = 200302.0 }, "type_uid 200302"},
		"a wrong version":              {func(e map[string]any) { e["metadata"].(map[string]any)["version"] = "1.1.0" }, "metadata.version is 1.1.0"},
		"a nested unknown attribute":   {func(e map[string]any) { e["compliance"].(map[string]any)["result"] = "x" }, "compliance.result: not an attribute"},
	} {
		t.Run(name, func(t *testing.T) {
			e := ocsfEvents(t, sample())[1]
			if errs := s.validate(e); len(errs) > 0 {
				t.Fatalf("the event is invalid before it is broken: %q", errs)
			}
			tc.breakIt(e)
			errs := s.validate(e)
			if !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("errors %q do not say %q", errs, tc.want)
			}
		})
	}
}

// Each outcome maps onto OCSF's status, compliance status, severity and activity, with the
// resource's ARN, the ASFF finding's Id as uid, and the diff in unmapped.
func TestOCSFMapsEachOutcome(t *testing.T) {
	events := ocsfEvents(t, everyOutcome())
	got := map[string]string{}
	for _, e := range events {
		u := e["unmapped"].(map[string]any)["corsguard"].(map[string]any)
		c := e["compliance"].(map[string]any)
		got[u["outcome"].(string)] = fmt.Sprintf("%v/%v/%v/%v", e["activity_name"], e["status"], c["status"], e["severity"])
	}
	want := map[string]string{
		"compliant":  "Create/New/Pass/Informational",
		"remediated": "Create/New/Pass/Informational",
		"drifted":    "Create/New/Fail/Medium",
		"failed":     "Create/New/Warning/Low",
		"exempt":     "Create/Suppressed/Pass/Informational",
		"gone":       "Close/Archived/Pass/Informational",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	drifted := events[1]
	scope := findings.Scope{Account: "123456789012", Region: "eu-west-1"}
	if uid := drifted["finding_info"].(map[string]any)["uid"]; uid != findings.ID(scope, policy.MediaStore, "vod-library") {
		t.Errorf("finding uid %v, want the ASFF Id", uid)
	}
	res := drifted["resources"].([]any)[0].(map[string]any)
	if res["uid"] != "arn:aws:mediastore:eu-west-1:123456789012:container/vod-library" || res["type"] != "AWS::MediaStore::Container" {
		t.Errorf("resource %v", res)
	}
	diff := drifted["unmapped"].(map[string]any)["corsguard"].(map[string]any)["diff"].([]any)
	if len(diff) != 2 {
		t.Errorf("unmapped diff %v, want the 2 changes", diff)
	}
	if at := int64(drifted["time"].(float64)); at != time.Date(2026, 5, 1, 12, 0, 1, 234e6, time.UTC).UnixMilli() {
		t.Errorf("time %d, want the run's end in ms", at)
	}
}
