package router

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// FuzzRoute feeds Route arbitrary input, seeded with every sample event. Route must never
// panic, and whatever it decides must be safe to run: a Decision that reconciles names only
// valid container names and a valid mode; one that does not says why.
func FuzzRoute(f *testing.F) {
	samples, err := filepath.Glob("../events/*.json")
	if err != nil || len(samples) == 0 {
		f.Fatalf("no sample events: %v", err)
	}
	for _, name := range samples {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"action":"enforce","containers":["a","b"]}`))
	f.Fuzz(func(t *testing.T, input []byte) {
		d := Route(input, Home{Account: "012345678912", Region: "us-east-1"}, []string{"/corsguard/baseline"}, enforce.ModeAudit)
		if d.Event == ResourceDeleted {
			// A delete names one resource of one kind: a valid name, or (CloudFront) an ARN of
			// the function's own account.
			g := d.Gone
			if g.Name != "" && policy.ValidName(g.Kind, g.Name) != nil || g.Name == "" && !strings.HasPrefix(g.ARN, "arn:aws:cloudfront::012345678912:response-headers-policy/") {
				t.Fatalf("delete of %+v for %q", g, input)
			}
			return
		}
		if !d.Reconciles() {
			if d.Note == "" {
				t.Fatalf("%s Decision without a note for %q", d.Event, input)
			}
			return
		}
		if _, ok := enforce.ParseMode(string(d.Work.Mode)); !ok {
			t.Fatalf("Decision %s with mode %q for %q", d.Event, d.Work.Mode, input)
		}
		for _, name := range d.Work.Containers {
			if err := policy.ValidContainerName(name); err != nil {
				t.Fatalf("Decision %s names an invalid container for %q: %v", d.Event, input, err)
			}
		}
	})
}
