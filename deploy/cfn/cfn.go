// Package cfn reads CloudFormation and SAM templates written in YAML, short-form intrinsic
// functions included (!Ref, !Sub, !GetAtt, !If, !Equals, !Not, ...), into plain Go values, and
// evaluates the intrinsics a test can resolve offline: parameters, pseudo parameters,
// conditions, and the references to resources it is told about. Tests use it to hold
// template.yaml to the code. It does not run the SAM transform; cfn-lint does that.
package cfn

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is a decoded template. Values are map[string]any, []any, string, bool, int,
// float64 or nil; a short-form function is turned into its long form, so `!Sub x` reads as
// map[string]any{"Fn::Sub": "x"} and `!GetAtt A.B` as map[string]any{"Fn::GetAtt": []any{"A", "B"}}.
type Template struct {
	Root map[string]any
}

// ReadFile reads and decodes the template at path.
func ReadFile(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse decodes a YAML template.
func Parse(data []byte) (*Template, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	v, err := decode(&doc)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template is %T, not a mapping", v)
	}
	return &Template{Root: root}, nil
}

// Section returns a top-level section (Parameters, Conditions, Resources, Outputs, ...) as a
// map, or nil when it is absent.
func (t *Template) Section(name string) map[string]any {
	m, _ := t.Root[name].(map[string]any)
	return m
}

// Resource returns the resource with the logical ID id, or nil.
func (t *Template) Resource(id string) map[string]any {
	m, _ := t.Section("Resources")[id].(map[string]any)
	return m
}

// longForm returns the function a short-form tag stands for. !GetAtt and !Ref have their own
// shapes and are handled apart.
func longForm(tag string) (string, bool) {
	switch tag {
	case "!Base64", "!Cidr", "!FindInMap", "!GetAZs", "!ImportValue", "!Join", "!Select",
		"!Split", "!Sub", "!Transform", "!And", "!Equals", "!If", "!Not", "!Or", "!Length",
		"!ToJsonString":
		return "Fn::" + tag[1:], true
	case "!Condition":
		return "Condition", true
	}
	return "", false
}

func decode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: empty document", n.Line)
		}
		return decode(n.Content[0])
	case yaml.AliasNode:
		return decode(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return decodeTagged(n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if k.Value == "<<" {
				return nil, fmt.Errorf("line %d: merge keys are not supported by CloudFormation", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			dv, err := decode(v)
			if err != nil {
				return nil, err
			}
			m[k.Value] = dv
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			dv, err := decode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, dv)
		}
		return s, nil
	case yaml.ScalarNode:
		if n.Tag == "!!timestamp" {
			return n.Value, nil // CloudFormation reads dates as strings
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// decodeTagged turns a short-form function into its long form.
func decodeTagged(n *yaml.Node) (any, error) {
	plain := *n
	plain.Tag = ""
	if n.Kind == yaml.ScalarNode {
		plain.Tag = "!!str" // the argument of !Ref, !Sub, !GetAtt ... is a string
	}
	arg, err := decode(&plain)
	if err != nil {
		return nil, err
	}
	switch n.Tag {
	case "!Ref":
		return map[string]any{"Ref": arg}, nil
	case "!GetAtt":
		if s, ok := arg.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q: want Resource.Attribute", n.Line, s)
			}
			arg = []any{res, attr}
		}
		return map[string]any{"Fn::GetAtt": arg}, nil
	}
	name, ok := longForm(n.Tag)
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	return map[string]any{name: arg}, nil
}
