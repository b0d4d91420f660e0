package enforce

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/policy"
)

func TestNewNamesEveryInvalidField(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"no parameter", Config{}, []string{"Parameter is empty"}},
		{"bad mode", Config{Parameter: "p", Mode: "repair"}, []string{`Mode "repair"`}},
		{"too many workers", Config{Parameter: "p", Workers: 101}, []string{"Workers is 101"}},
		{"negative workers", Config{Parameter: "p", Workers: -1}, []string{"Workers is -1"}},
		{"negative rate", Config{Parameter: "p", Rate: -1}, []string{"Rate is -1"}},
		{"cap under base", Config{Parameter: "p", BackoffBase: 2 * time.Second, BackoffCap: time.Second}, []string{"BackoffBase 2s and BackoffCap 1s"}},
		{"negative margin", Config{Parameter: "p", Margin: -time.Second}, []string{"Margin is -1s"}},
		{"bad pattern", Config{Parameter: "p", Selector: policy.Selector{Include: []string{"[a-"}}}, []string{`Selector: pattern "[a-"`}},
		{"several at once", Config{Workers: -3, Rate: -2}, []string{"Parameter is empty", "Workers is -3", "Rate is -2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, &ssm.Client{}, MediaStore(&mediastore.Client{}))
			if err == nil {
				t.Fatal("New accepted the config")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestNewFillsTheDefaults(t *testing.T) {
	e, err := New(Config{Parameter: "/corsguard/baseline"}, &ssm.Client{}, MediaStore(&mediastore.Client{}))
	if err != nil {
		t.Fatal(err)
	}
	c := e.cfg
	got := []any{c.ExemptTagKey, c.ExemptTagValue, c.Mode, c.Workers, c.Rate, c.BackoffBase, c.BackoffCap, c.Margin, c.MinDuration}
	want := []any{"corsguard:exempt", "true", ModeEnforce, 4, 10.0, time.Second, 15 * time.Second, 10 * time.Second, time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if c.Clock == nil || c.Rand == nil {
		t.Error("no default clock or random source")
	}
	if _, err := New(Config{Parameter: "p"}, nil, MediaStore(&mediastore.Client{})); err == nil {
		t.Error("New accepted a nil SSM client")
	}
}

func TestNewWantsOneStorePerTarget(t *testing.T) {
	ms, s3 := MediaStore(&mediastore.Client{}), S3(nil, "us-east-1")
	for _, tc := range []struct {
		name    string
		targets []policy.Kind
		stores  []Store
		want    string // "" when New accepts them
	}{
		{"no targets: the stores' kinds", nil, []Store{ms, s3}, ""},
		{"a store per target", []policy.Kind{policy.MediaStore, policy.S3}, []Store{ms, s3}, ""},
		{"a target without a store", []policy.Kind{policy.MediaStore, policy.S3}, []Store{ms}, "no store for the target s3"},
		{"a store that is not a target", []policy.Kind{policy.S3}, []Store{ms, s3}, "not among the targets"},
		{"an unknown target", []policy.Kind{"gcs"}, []Store{ms}, `unknown kind "gcs"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Parameter: "p", Targets: tc.targets}, &ssm.Client{}, tc.stores...)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("New: %v; want %q", err, tc.want)
			}
		})
	}
}
