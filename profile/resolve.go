package profile

import (
	"fmt"
	"path"
	"strings"

	"github.com/corsguard/corsguard/policy"
)

// Rules say how a resource gets its baseline. The zero Rules has no exemption tag, no profile
// tag and no pattern: every resource gets its kind's default baseline.
type Rules struct {
	// ExemptKey and ExemptValue name the tag that exempts a resource (the value compares
	// without regard to case); an empty key exempts nothing.
	ExemptKey, ExemptValue string
	// TagKey is the tag whose value names the resource's profile; empty: no profile tag.
	TagKey string
	// Patterns give profiles by name, the first that matches winning.
	Patterns []Pattern
	// Path is where the profiles' parameters live (ParsePath); DefaultPath when empty.
	Path string
}

// Source says how a resource got its baseline: what `corsguard profiles` prints as the reason.
type Source string

// The sources, in the order Resolve tries them.
const (
	SourceExempt  Source = "exempt"  // the exemption tag: no baseline applies
	SourceTag     Source = "tag"     // the profile tag names the profile
	SourcePattern Source = "pattern" // the first name pattern that matches names it
	SourceDefault Source = "default" // the kind's own baseline parameter
)

// Choice is the baseline Resolve chose for one resource.
type Choice struct {
	Source Source
	// Name is the profile; "" for the default baseline and for an exempt resource.
	Name string
	// Parameter is the profile's SSM parameter for the resource's kind; "" for the default
	// baseline (the kind's baseline parameter, which the caller knows) and when exempt.
	Parameter string
	// Err is set when the profile tag's value is not a profile name: a terminal failure of
	// that resource, which never falls back to the default baseline.
	Err error
}

// Profiled reports whether the choice is a profile (by tag or pattern) rather than the default
// baseline or an exemption.
func (c Choice) Profiled() bool { return c.Source == SourceTag || c.Source == SourcePattern }

// Resolve chooses the baseline of the resource of kind named name whose tags are tags (nil:
// the kind has no tags, or they were not read). In order: the exemption tag wins; then the
// profile tag's value names the profile (an invalid name is an error, never the default);
// then the first pattern with a glob that matches the name; then the kind's default baseline.
func (r Rules) Resolve(kind policy.Kind, name string, tags map[string]string) Choice {
	if v, ok := tags[r.ExemptKey]; ok && r.ExemptKey != "" && strings.EqualFold(v, r.ExemptValue) {
		return Choice{Source: SourceExempt}
	}
	if v, ok := tags[r.TagKey]; ok && r.TagKey != "" {
		c := Choice{Source: SourceTag, Name: v}
		if err := ValidName(v); err != nil {
			c.Err = fmt.Errorf("tag %s names an invalid profile: %w", r.TagKey, err)
			return c
		}
		c.Parameter = Parameter(r.path(), kind, v)
		return c
	}
	for _, p := range r.Patterns {
		for _, g := range p.Globs {
			if ok, _ := path.Match(g, name); ok {
				return Choice{Source: SourcePattern, Name: p.Name, Parameter: Parameter(r.path(), kind, p.Name)}
			}
		}
	}
	return Choice{Source: SourceDefault}
}

func (r Rules) path() string {
	if r.Path == "" {
		return DefaultPath
	}
	return r.Path
}

// Parameters returns the parameters of every profile the patterns name for kind: those a
// sweep may need before any tag is read. Tagged profiles are known only from the tags.
func (r Rules) Parameters(kind policy.Kind) []string {
	out := make([]string, len(r.Patterns))
	for i, p := range r.Patterns {
		out[i] = Parameter(r.path(), kind, p.Name)
	}
	return out
}

// KindPath returns the SSM path that holds the profiles' parameters of kind, without the
// trailing "/": <path><kind>, such as /corsguard/profiles/s3, as GetParametersByPath lists it
// (one level: each profile's parameter) and as IAM authorizes that call (the path's ARN).
func (r Rules) KindPath(kind policy.Kind) string { return r.path() + string(kind) }

// Of returns the profile name and kind of parameter when it is a profile's parameter under
// the rules' path (<path><kind>/<NAME>, NAME a valid profile name), for routing a Parameter
// Store change event to exactly that profile's resources.
func (r Rules) Of(parameter string) (name string, kind policy.Kind, ok bool) {
	rest, found := strings.CutPrefix(parameter, r.path())
	if !found {
		return "", "", false
	}
	k, n, found := strings.Cut(rest, "/")
	if !found || ValidName(n) != nil {
		return "", "", false
	}
	for _, known := range policy.Kinds() {
		if string(known) == k {
			return n, known, true
		}
	}
	return "", "", false
}
