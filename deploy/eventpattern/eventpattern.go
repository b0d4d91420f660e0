// Package eventpattern matches events against Amazon EventBridge event patterns, for the subset
// of the pattern language corsguard's template uses: exact values, prefix, anything-but (of
// values or of a prefix), exists and $or. A pattern that uses anything else is an error, so the
// template cannot start relying on an operator these checks do not understand.
//
// Semantics follow EventBridge's: every field named in the pattern must match; a leaf is a
// list of alternatives; a field missing from the event matches only {"exists": false}; where
// the event holds an array, the field matches when any element does. A "$or" key holds a list
// of object patterns, matched against the object it sits in; at least one must match, beside
// the object's other fields.
package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Pattern is a checked event pattern.
type Pattern struct {
	root map[string]any
}

// New checks p (decoded JSON or YAML: maps, lists, strings, numbers, booleans, nil) and
// returns it as a Pattern.
func New(p any) (Pattern, error) {
	m, ok := p.(map[string]any)
	if !ok || len(m) == 0 {
		return Pattern{}, fmt.Errorf("pattern is %T, not a non-empty object", p)
	}
	if err := check("", m); err != nil {
		return Pattern{}, err
	}
	return Pattern{root: m}, nil
}

// Parse reads a pattern written as JSON.
func Parse(data []byte) (Pattern, error) {
	var p any
	if err := unmarshal(data, &p); err != nil {
		return Pattern{}, fmt.Errorf("parse pattern: %w", err)
	}
	return New(p)
}

// orKey is the key of EventBridge's "$or" operator.
const orKey = "$or"

func check(path string, m map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		p := join(path, k)
		if k == orKey {
			if err := checkOr(p, m[k]); err != nil {
				return err
			}
			continue
		}
		switch v := m[k].(type) {
		case map[string]any:
			if len(v) == 0 {
				return fmt.Errorf("%s: empty object", p)
			}
			if err := check(p, v); err != nil {
				return err
			}
		case []any:
			if len(v) == 0 {
				return fmt.Errorf("%s: empty list matches nothing", p)
			}
			for _, alt := range v {
				if err := checkAlt(p, alt); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%s: %v is not a list of values or an object", p, v)
		}
	}
	return nil
}

// checkOr checks the value of a "$or" key: a list of at least two non-empty object patterns.
func checkOr(path string, v any) error {
	alts, ok := v.([]any)
	if !ok || len(alts) < 2 {
		return fmt.Errorf("%s: want a list of at least two patterns, not %v", path, v)
	}
	for i, alt := range alts {
		m, ok := alt.(map[string]any)
		if !ok || len(m) == 0 {
			return fmt.Errorf("%s[%d]: %v is not a non-empty object", path, i, alt)
		}
		if err := check(fmt.Sprintf("%s[%d]", path, i), m); err != nil {
			return err
		}
	}
	return nil
}

func checkAlt(path string, alt any) error {
	op, ok := alt.(map[string]any)
	if !ok {
		if !isScalar(alt) {
			return fmt.Errorf("%s: %v is not a value", path, alt)
		}
		return nil
	}
	if len(op) != 1 {
		return fmt.Errorf("%s: a matcher has one operator, not %v", path, op)
	}
	for name, arg := range op {
		switch name {
		case "prefix":
			if _, ok := arg.(string); !ok {
				return fmt.Errorf("%s: prefix %v is not a string", path, arg)
			}
		case "exists":
			if _, ok := arg.(bool); !ok {
				return fmt.Errorf("%s: exists %v is not a boolean", path, arg)
			}
		case "anything-but":
			switch a := arg.(type) {
			case []any:
				if len(a) == 0 {
					return fmt.Errorf("%s: anything-but of an empty list", path)
				}
				for _, x := range a {
					if !isScalar(x) {
						return fmt.Errorf("%s: anything-but %v is not a value", path, x)
					}
				}
			case map[string]any:
				p, ok := a["prefix"].(string)
				if len(a) != 1 || !ok || p == "" {
					return fmt.Errorf("%s: anything-but supports only a non-empty prefix here, not %v", path, a)
				}
			default:
				if !isScalar(a) {
					return fmt.Errorf("%s: anything-but %v is not a value", path, a)
				}
			}
		default:
			return fmt.Errorf("%s: operator %q is not supported", path, name)
		}
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, nil, float64, int, json.Number:
		return true
	}
	return false
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// Match reports whether the event, written as JSON, matches the pattern.
func (p Pattern) Match(event []byte) (bool, error) {
	var ev any
	if err := unmarshal(event, &ev); err != nil {
		return false, fmt.Errorf("parse event: %w", err)
	}
	m, ok := ev.(map[string]any)
	if !ok {
		return false, errors.New("event is not a JSON object")
	}
	return p.MatchValue(m), nil
}

// MatchValue reports whether a decoded event matches the pattern.
func (p Pattern) MatchValue(event map[string]any) bool {
	return matchObject(p.root, event)
}

func matchObject(pat map[string]any, ev map[string]any) bool {
	for k, sub := range pat {
		if k == orKey {
			if !slices.ContainsFunc(sub.([]any), func(alt any) bool { return matchObject(alt.(map[string]any), ev) }) {
				return false
			}
			continue
		}
		val, present := ev[k]
		if !matchField(sub, val, present) {
			return false
		}
	}
	return true
}

func matchField(pat any, val any, present bool) bool {
	if nested, ok := pat.(map[string]any); ok {
		switch v := val.(type) {
		case map[string]any:
			return matchObject(nested, v)
		case []any:
			for _, el := range v {
				if obj, ok := el.(map[string]any); ok && matchObject(nested, obj) {
					return true
				}
			}
			return false
		}
		// The pattern reaches into a field that is missing or not an object, so every field
		// below is missing: only {"exists": false} leaves can match.
		return onlyAbsent(nested)
	}
	for _, alt := range pat.([]any) {
		if matchAlt(alt, val, present) {
			return true
		}
	}
	return false
}

// onlyAbsent reports whether a nested pattern matches an object whose every field is missing.
func onlyAbsent(pat map[string]any) bool {
	return matchObject(pat, nil)
}

func matchAlt(alt any, val any, present bool) bool {
	if op, ok := alt.(map[string]any); ok {
		if e, ok := op["exists"]; ok {
			return e.(bool) == present
		}
	}
	if !present {
		return false
	}
	if arr, ok := val.([]any); ok {
		for _, el := range arr {
			if matchAlt(alt, el, true) {
				return true
			}
		}
		return false
	}
	op, ok := alt.(map[string]any)
	if !ok {
		return equal(alt, val)
	}
	for name, arg := range op {
		switch name {
		case "prefix":
			s, ok := val.(string)
			return ok && strings.HasPrefix(s, arg.(string))
		case "anything-but":
			switch a := arg.(type) {
			case []any:
				for _, x := range a {
					if equal(x, val) {
						return false
					}
				}
				return true
			case map[string]any:
				s, ok := val.(string)
				return !ok || !strings.HasPrefix(s, a["prefix"].(string))
			default:
				return !equal(a, val)
			}
		}
	}
	return false
}

// equal compares a pattern value with an event value: strings exactly, numbers by value.
func equal(p, v any) bool {
	pn, pok := num(p)
	vn, vok := num(v)
	if pok || vok {
		return pok && vok && pn == vn
	}
	return p == v
}

func num(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

func unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
