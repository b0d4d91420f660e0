package enforce_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// TestOnTargetsAndOnEntryFollowTheRun checks the progress hooks: the count comes once, before
// any entry, and every entry of the report is passed exactly once, as reported.
func TestOnTargetsAndOnEntryFollowTheRun(t *testing.T) {
	emu := emulator.New(emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	if err := emu.SeedParameter("/corsguard/baseline", "", string(policy.DefaultJSON()), ""); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"a-1", "a-2", "a-3", "b-1", "skip-me"} {
		var p policy.Policy
		if i%2 == 0 {
			p = policy.Default()
		}
		if err := emu.SeedContainer(name, "", p, nil); err != nil {
			t.Fatal(err)
		}
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: emulator.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})}

	var mu sync.Mutex
	var events []string
	var got []enforce.Entry
	e, err := enforce.New(enforce.Config{
		Parameter: "/corsguard/baseline",
		Selector:  policy.Selector{Exclude: []string{"skip-*"}},
		Workers:   3,
		OnTargets: func(n int) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, "targets "+strings.Repeat("|", n))
		},
		OnEntry: func(ent enforce.Entry) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, "entry")
			got = append(got, ent)
		},
	}, ssm.NewFromConfig(cfg), enforce.MediaStore(mediastore.NewFromConfig(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	rep := e.Run(context.Background(), enforce.Work{Mode: enforce.ModeAudit, Reason: "test"})

	if want := []string{"targets ||||", "entry", "entry", "entry", "entry"}; !slices.Equal(events, want) {
		t.Errorf("hook calls %q, want %q", events, want)
	}
	slices.SortFunc(got, func(a, b enforce.Entry) int { return strings.Compare(a.Name, b.Name) })
	if diff := cmp.Diff(rep.Entries, got); diff != "" {
		t.Errorf("entries passed to OnEntry differ from the report's (-report +hook):\n%s", diff)
	}
}
