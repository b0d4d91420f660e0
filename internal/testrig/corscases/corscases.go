// Package corscases reads testdata/cors-cases.json, the table of CORS policies that corsguard's
// policy package and the emulator are both held to: each case says whether the service accepts
// the policy, whether corsguard deliberately judges it more strictly, and where the rule comes
// from. The package loads and expands the table and judges nothing; Emulated reads what the
// emulator kept with policy's parser, for the tests.
package corscases

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Case is one policy and how it is judged.
type Case struct {
	Name string `json:"name"`
	// Kind is "mediastore", "s3", "cloudfront", "lambda-url" or "http-api".
	Kind string `json:"kind"`
	// Service is "accept" or "reject": what the service does with the policy.
	Service string `json:"service"`
	// Corsguard is set only where corsguard deliberately judges differently from the service
	// (its own, stricter rules); empty means corsguard judges as the service does.
	Corsguard string `json:"corsguard,omitempty"`
	// Source is where the rule comes from: a model shape, a documentation page.
	Source string `json:"source"`
	// Policy is the rule array (for cloudfront: the CorsConfig object; for lambda-url and
	// http-api: the Cors object), with the table's
	// shorthands expanded. Raw cases (Wire) hold
	// exactly the text of the table's "raw" member.
	Policy json.RawMessage `json:"-"`
	// Wire is true for a case the table gives as raw JSON text (duplicate keys, unknown
	// members, numbers out of an SDK type's range): it must be sent as it is, not through a
	// typed client.
	Wire bool `json:"-"`
}

// Want returns what corsguard's policy package must answer: its own judgement where the table
// records one, the service's otherwise.
func (c Case) Want() string {
	if c.Corsguard != "" {
		return c.Corsguard
	}
	return c.Service
}

type file struct {
	Cases []struct {
		Case
		Policy     json.RawMessage `json:"policy"`
		Raw        string          `json:"raw"`
		RepeatRule int             `json:"repeatRule"`
	} `json:"cases"`
}

// Load reads and expands the table at path.
func Load(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]Case, 0, len(f.Cases))
	seen := map[string]bool{}
	for _, fc := range f.Cases {
		c := fc.Case
		switch {
		case c.Name == "" || seen[c.Name]:
			return nil, fmt.Errorf("%s: case %q: names must be present and unique", path, c.Name)
		case !slices.Contains([]string{"mediastore", "s3", "cloudfront", "lambda-url", "http-api"}, c.Kind):
			return nil, fmt.Errorf("%s: case %q: kind %q", path, c.Name, c.Kind)
		case c.Service != "accept" && c.Service != "reject", c.Corsguard != "" && c.Corsguard != "accept" && c.Corsguard != "reject":
			return nil, fmt.Errorf("%s: case %q: service and corsguard are accept or reject", path, c.Name)
		case c.Source == "":
			return nil, fmt.Errorf("%s: case %q has no source", path, c.Name)
		case (fc.Raw == "") == (fc.Policy == nil):
			return nil, fmt.Errorf("%s: case %q needs exactly one of policy and raw", path, c.Name)
		}
		seen[c.Name] = true
		if fc.Raw != "" {
			c.Policy, c.Wire = json.RawMessage(fc.Raw), true
			out = append(out, c)
			continue
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(fc.Policy))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: case %q: %w", path, c.Name, err)
		}
		v = expand(v)
		if fc.RepeatRule > 0 {
			rules, ok := v.([]any)
			if !ok || len(rules) != 1 {
				return nil, fmt.Errorf("%s: case %q: repeatRule needs a policy of one rule", path, c.Name)
			}
			many := make([]any, fc.RepeatRule)
			for i := range many {
				many[i] = rules[0]
			}
			v = many
		}
		if c.Policy, err = json.Marshal(v); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// The table's shorthands: a string "{{repeat N TEXT}}" is TEXT N times; a list item
// "{{items N FORMAT}}" is N items, FORMAT with %d replaced by 1..N.
var (
	repeatRE = regexp.MustCompile(`\{\{repeat (\d+) ([^}]*)\}\}`)
	itemsRE  = regexp.MustCompile(`^\{\{items (\d+) ([^}]*)\}\}$`)
)

func expand(v any) any {
	switch x := v.(type) {
	case string:
		return repeatRE.ReplaceAllStringFunc(x, func(m string) string {
			sub := repeatRE.FindStringSubmatch(m)
			n, _ := strconv.Atoi(sub[1])
			return strings.Repeat(sub[2], n)
		})
	case []any:
		var out []any
		for _, item := range x {
			if s, ok := item.(string); ok {
				if sub := itemsRE.FindStringSubmatch(s); sub != nil {
					n, _ := strconv.Atoi(sub[1])
					for i := 1; i <= n; i++ {
						out = append(out, strings.ReplaceAll(sub[2], "%d", strconv.Itoa(i)))
					}
					continue
				}
			}
			out = append(out, expand(item))
		}
		if out == nil {
			out = []any{}
		}
		return out
	case map[string]any:
		for k, val := range x {
			x[k] = expand(val)
		}
		return x
	}
	return v
}
