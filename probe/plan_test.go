package probe

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/policy"
)

func TestPlanSendsEachOriginAlternatingThenThePreflights(t *testing.T) {
	steps, notes := Plan(baseline(), MaxRequestsPerURL)
	var got []string
	for _, s := range steps {
		line := string(s.Kind) + " " + s.Method + " " + s.Origin
		if s.Kind == Preflight {
			line += " " + s.RequestMethod + " " + strings.Join(s.RequestHeaders, ",")
		}
		got = append(got, strings.TrimSpace(line))
	}
	want := []string{
		"simple GET " + player,
		"simple GET " + www,
		"simple GET " + OutsideOrigin,
		"no_origin GET",
		"simple GET " + player,
		"preflight OPTIONS " + player + " GET range",
		"preflight OPTIONS " + player + " HEAD range",
		"preflight OPTIONS " + www + " GET range",
		"preflight OPTIONS " + www + " HEAD range",
		"preflight OPTIONS " + OutsideOrigin + " GET range",
		"preflight OPTIONS " + OutsideOrigin + " HEAD range",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if len(notes) != 0 {
		t.Errorf("notes %q, want none", notes)
	}
}

func TestPlanMakesConcreteOriginsAndHeadersFromWildcards(t *testing.T) {
	in := IntentOf("w", policy.Policy{{
		AllowedOrigins: []string{"https://*.example.com", "http://localhost:*", "*://odd"},
		AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"*", "X-Amz-*", "Content-Length", "Range"},
	}})
	steps, notes := Plan(in, MaxRequestsPerURL)
	var origins []string
	for _, s := range steps {
		if s.Kind == Simple && s.Allowed && !slices.Contains(origins, s.Origin) {
			origins = append(origins, s.Origin)
		}
	}
	if want := []string{"https://corsguard-probe.example.com", "http://localhost:8443"}; !slices.Equal(origins, want) {
		t.Errorf("allowed origins %q, want %q", origins, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], `"*://odd"`) {
		t.Errorf("notes %q, want one about *://odd", notes)
	}
	i := slices.IndexFunc(steps, func(s Step) bool { return s.Kind == Preflight && s.RequestMethod == "PUT" })
	if i < 0 {
		t.Fatal("no PUT preflight")
	}
	// Content-Length is a forbidden request-header name: a page cannot send it.
	if want := []string{"range", "x-amz-corsguard-probe", "x-corsguard-probe"}; !slices.Equal(steps[i].RequestHeaders, want) {
		t.Errorf("requested headers %q, want %q", steps[i].RequestHeaders, want)
	}
	if !steps[i].Allowed {
		t.Error("the PUT preflight is not marked allowed")
	}
}

func TestPlanSendsNoOutsideOriginWhenTheBaselineAllowsEveryOrigin(t *testing.T) {
	in := IntentOf("any", policy.Policy{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}})
	steps, notes := Plan(in, MaxRequestsPerURL)
	for _, s := range steps {
		if s.Origin == OutsideOrigin {
			t.Errorf("step %+v sends the outside origin, which * allows", s)
		}
	}
	if len(notes) != 1 {
		t.Errorf("notes %q, want one saying there is no outside origin", notes)
	}
}

func TestPlanKeepsUnderTheCapPerURL(t *testing.T) {
	var origins []string
	for i := range 100 {
		origins = append(origins, fmt.Sprintf("https://site%d.example.com", i))
	}
	in := IntentOf("many", policy.Policy{{AllowedOrigins: origins, AllowedMethods: []string{"GET", "HEAD", "PUT", "DELETE"}}})
	steps, notes := Plan(in, MaxRequestsPerURL)
	if len(steps) > MaxRequestsPerURL {
		t.Errorf("%d steps, want at most %d", len(steps), MaxRequestsPerURL)
	}
	if len(steps) < MaxRequestsPerURL-6 {
		t.Errorf("%d steps: the cap leaves more than one origin's requests unused", len(steps))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "of the baseline's 100 origins probed") {
		t.Errorf("notes %q, want one saying how many origins were probed", notes)
	}
	if steps[len(steps)-1].Origin != OutsideOrigin {
		t.Error("the outside origin's preflights were cut: the cap must drop allowed origins, not the outside one")
	}
}

func TestGlobMatchesAsS3sWildcard(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"https://*.example.com", "https://a.example.com", true},
		{"https://*.example.com", "https://a.b.example.com", true},
		{"https://*.example.com", "https://example.com", false},
		{"*", "anything", true},
		{"https://a.example.com", "https://a.example.com", true},
		{"https://a.example.com", "https://a.example.com.evil", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
	}
	for _, c := range cases {
		if got := glob(c.p, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}
