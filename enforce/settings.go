package enforce

import (
	"fmt"
	"slices"
	"strings"

	"github.com/corsguard/corsguard/policy"
)

// Limits of a tag that ParseTag checks (AWS's tag rules, MediaStore's and S3's alike).
const (
	MaxTagKeyChars   = 128
	MaxTagValueChars = 256
)

// MaxRate bounds the request rate that the Lambda's environment and the CLI's flags may set,
// in requests per second per API operation. Programs may still pass math.Inf(1) (no limit).
const MaxRate = 1000

// ParseTag reads the exempt tag setting, KEY=VALUE or KEY alone (meaning KEY=true), in the
// one syntax that the Lambda's environment and the CLI's flags share. The key is what comes
// before the first "=", so a value may itself hold "=".
func ParseTag(s string) (key, value string, err error) {
	key, value, found := strings.Cut(strings.TrimSpace(s), "=")
	if !found {
		value = DefaultExemptTagValue
	}
	switch {
	case key == "":
		return "", "", fmt.Errorf("%q has no tag key; want KEY=VALUE or KEY (meaning KEY=%s)", s, DefaultExemptTagValue)
	case len(key) > MaxTagKeyChars:
		return "", "", fmt.Errorf("the tag key is %d characters; a tag key has at most %d", len(key), MaxTagKeyChars)
	case len(value) > MaxTagValueChars:
		return "", "", fmt.Errorf("the tag value is %d characters; a tag value has at most %d", len(value), MaxTagValueChars)
	}
	return key, value, nil
}

// Enforces reports whether kind is one of c's targets. Without Targets, every kind the engine
// is given a store for is one.
func (c Config) Enforces(kind policy.Kind) bool {
	return len(c.Targets) == 0 || slices.Contains(c.Targets, kind)
}

// Selects reports whether c's selector of kind takes the resource named name: what a delete
// event may archive the finding of (a resource the selector leaves out is not corsguard's).
func (c Config) Selects(kind policy.Kind, name string) bool {
	_, s := c.forKind(kind)
	return s.Match(name)
}

// Parameters returns the baseline parameters of c's targets (of every kind when Targets is
// empty), each once: the names whose changes concern the engine.
func (c Config) Parameters() []string {
	kinds := c.Targets
	if len(kinds) == 0 {
		kinds = policy.Kinds()
	}
	var out []string
	for _, k := range kinds {
		if p, _ := c.forKind(k); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Validate returns what New would say about c: nil, or an error naming every invalid field.
// Zero fields take their defaults first, as in New.
func (c Config) Validate() error { return c.withDefaults().validate() }
