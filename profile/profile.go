// Package profile chooses the baseline a resource gets: its exemption, its profile tag, the
// first name pattern that matches it, or its kind's default baseline. A profile's baseline for
// a kind is an SSM parameter of its own, <path><kind>/<NAME>, so each profile has its own
// version, its own change event and its own IAM path. The package is pure: no I/O, no AWS
// types; the engine reads the tags and the parameters.
package profile

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/corsguard/corsguard/policy"
)

// Defaults of the profile settings.
const (
	// DefaultTagKey is the tag whose value names a resource's profile.
	DefaultTagKey = "corsguard:profile"
	// DefaultPath is the SSM path under which each profile's baseline of each kind lives.
	DefaultPath = "/corsguard/profiles/"
)

// Limits of a profile name and of the profiles path.
const (
	MaxNameChars = 64
	// MaxParameterChars is SSM's longest parameter name.
	MaxParameterChars = 2048
	// MaxLevels is SSM's deepest parameter hierarchy (levels of a name, counted by its "/").
	MaxLevels = 15
)

// nameChars is what a profile name holds: it becomes one level of an SSM parameter name.
var nameChars = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ValidName returns nil when name can name a profile: 1 to 64 characters of letters, digits,
// "_", "." and "-", and neither "." nor "..", which would walk the parameter path.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("a profile name is empty; want 1 to 64 characters of A-Z a-z 0-9 _ . -")
	case len(name) > MaxNameChars || !nameChars.MatchString(name):
		return fmt.Errorf("profile name %q: want 1 to %d characters of A-Z a-z 0-9 _ . -", clip(name), MaxNameChars)
	case name == "." || name == "..":
		return fmt.Errorf("profile name %q: . and .. are not profile names", name)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// ssmLevel is what one level of an SSM parameter name may hold.
var ssmLevel = regexp.MustCompile(`^[a-zA-Z0-9_.\-]+$`)

// ParsePath reads the profiles path: an SSM hierarchy that begins and ends with "/", such as
// /corsguard/profiles/, whose levels are SSM name characters. Its parameters must stay within
// SSM's length and depth for every kind and profile name, and it may not start with aws or
// ssm, which SSM reserves.
func ParsePath(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "/") || !strings.HasSuffix(s, "/") || len(s) < 2 {
		return "", fmt.Errorf("%q is not a profiles path: want a path that begins and ends with /, such as %s", clip(s), DefaultPath)
	}
	levels := strings.Split(s[1:len(s)-1], "/")
	for _, l := range levels {
		if !ssmLevel.MatchString(l) || l == "." || l == ".." {
			return "", fmt.Errorf("%q is not a profiles path: each level between / is 1 or more of letters, digits, _ . - and not . or .. itself", clip(s))
		}
	}
	if first := strings.ToLower(levels[0]); strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return "", fmt.Errorf("%q is not a profiles path: SSM reserves names that start with aws or ssm", clip(s))
	}
	longestKind := slices.MaxFunc(policy.Kinds(), func(a, b policy.Kind) int { return len(a) - len(b) })
	if n := len(s) + len(longestKind) + 1 + MaxNameChars; n > MaxParameterChars {
		return "", fmt.Errorf("the profiles path is %d characters: its parameters (path, kind, /, a name of up to %d) must fit SSM's %d", len(s), MaxNameChars, MaxParameterChars)
	}
	if len(levels)+2 > MaxLevels {
		return "", fmt.Errorf("the profiles path has %d levels: with the kind and the name its parameters must fit SSM's %d", len(levels), MaxLevels)
	}
	return s, nil
}

// Parameter returns the SSM parameter that holds profile name's baseline for kind:
// <path><kind>/<name>, such as /corsguard/profiles/s3/uploads.
func Parameter(path string, kind policy.Kind, name string) string {
	return path + string(kind) + "/" + name
}

// Pattern gives the resources whose name matches one of Globs (path.Match syntax) the profile
// Name.
type Pattern struct {
	Name  string
	Globs []string
}

// String is the pattern in the syntax ParsePattern reads.
func (p Pattern) String() string { return p.Name + "=" + strings.Join(p.Globs, ",") }

// ParsePattern reads one pattern, NAME=GLOB[,GLOB...]: what one --profile-pattern flag takes.
func ParsePattern(s string) (Pattern, error) {
	name, globs, found := strings.Cut(strings.TrimSpace(s), "=")
	name = strings.TrimSpace(name)
	if !found {
		return Pattern{}, fmt.Errorf("%q has no =: want NAME=GLOB[,GLOB...], such as uploads=upload-*,ingest-*", clip(s))
	}
	if err := ValidName(name); err != nil {
		return Pattern{}, fmt.Errorf("pattern %q: %w", clip(s), err)
	}
	p := Pattern{Name: name}
	for g := range strings.SplitSeq(globs, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if _, err := path.Match(g, ""); err != nil {
			return Pattern{}, fmt.Errorf("pattern %q: glob %q: %w", clip(s), clip(g), err)
		}
		p.Globs = append(p.Globs, g)
	}
	if len(p.Globs) == 0 {
		return Pattern{}, fmt.Errorf("pattern %q names no glob: want NAME=GLOB[,GLOB...]", clip(s))
	}
	return p, nil
}

// PatternSep separates the patterns of one setting: CORSGUARD_PROFILE_PATTERNS holds
// "uploads=upload-*,ingest-*;partners=partner-*", and repeated --profile-pattern flags join
// with it.
const PatternSep = ";"

// ParsePatterns reads the patterns of CORSGUARD_PROFILE_PATTERNS, NAME=GLOB[,GLOB...] joined
// by ";", in their order (the first that matches a name wins). Empty items are ignored; a
// profile named twice is an error (give all its globs in one pattern).
func ParsePatterns(s string) ([]Pattern, error) {
	var out []Pattern
	var errs []error
	for item := range strings.SplitSeq(s, PatternSep) {
		if strings.TrimSpace(item) == "" {
			continue
		}
		p, err := ParsePattern(item)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if slices.ContainsFunc(out, func(q Pattern) bool { return q.Name == p.Name }) {
			errs = append(errs, fmt.Errorf("profile %s has two patterns; give all its globs in one: %s=GLOB,GLOB", p.Name, p.Name))
			continue
		}
		out = append(out, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// FormatPatterns writes patterns in the syntax ParsePatterns reads.
func FormatPatterns(ps []Pattern) string {
	items := make([]string, len(ps))
	for i, p := range ps {
		items[i] = p.String()
	}
	return strings.Join(items, PatternSep)
}
