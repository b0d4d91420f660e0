// Package policy is corsguard's CORS model: it parses a baseline, validates it against the
// rules of the service of each kind (MediaStore containers, S3 buckets, CloudFront response
// headers policies' CorsConfig, Lambda function URLs' and HTTP APIs' Cors), compares policies
// canonically, explains the difference, checks each kind's resource names, and selects the
// resources a baseline applies to (include and exclude globs). It is pure: no I/O and no AWS
// types.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxChars is the largest policy MediaStore accepts, in characters of the CorsPolicy JSON
// PutCorsPolicy sends (MediaStoreDocument: compact), not of a baseline file's white space.
// Validate enforces it for MediaStore.
const MaxChars = 398000

// Rule is one CORS rule. Field names and JSON tags are the MediaStore API's, so a policy printed
// by `aws mediastore get-cors-policy` parses as it is. ID exists only for S3 targets.
type Rule struct {
	ID             string   `json:"ID,omitempty"`
	AllowedOrigins []string `json:"AllowedOrigins"`
	AllowedMethods []string `json:"AllowedMethods"`
	AllowedHeaders []string `json:"AllowedHeaders"`
	ExposeHeaders  []string `json:"ExposeHeaders,omitempty"`
	MaxAgeSeconds  int64    `json:"MaxAgeSeconds,omitempty"`
	// CloudFront holds the fields only a CloudFront CorsConfig has; nil for the other kinds,
	// whose Validate refuses it.
	CloudFront *CloudFrontRule `json:"CloudFront,omitempty"`
	// Cors holds the fields only a Lambda function URL's or an HTTP API's Cors object has; nil
	// for the other kinds, whose Validate refuses it.
	Cors *CorsRule `json:"Cors,omitempty"`
}

// Policy is an ordered list of rules: the first rule that matches a request wins, so order is
// part of its meaning.
type Policy []Rule

// Parse decodes a policy given either as a bare rule array or as {"CorsPolicy": [...]}, the
// shape that `aws mediastore get-cors-policy` prints. Unknown fields are an error, so that a typo
// such as "AllowedOrigin" can never silently drop part of a rule, and so is a key given twice
// in one object, at any depth (the error names its path). A UTF-8 byte order mark is ignored.
// Parse does not validate; call Validate for the service's rules, sizes included.
func Parse(data []byte) (Policy, error) {
	trimmed, err := input(data, "policy")
	if err != nil {
		return nil, err
	}
	root := ""
	if trimmed[0] == '[' {
		root = "CorsPolicy" // Validate's name for the rule list, in either shape
	}
	if err := duplicateKey(trimmed, root); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	var p Policy
	switch trimmed[0] {
	case '[':
		if err := decodeStrict(trimmed, &p); err != nil {
			return nil, err
		}
	case '{':
		var doc struct {
			CorsPolicy *Policy `json:"CorsPolicy"`
		}
		if err := decodeStrict(trimmed, &doc); err != nil {
			return nil, err
		}
		if doc.CorsPolicy == nil {
			return nil, errors.New(`policy object has no "CorsPolicy" field`)
		}
		p = *doc.CorsPolicy
	default:
		return nil, errors.New(`policy must be a JSON array of rules or an object {"CorsPolicy": [...]}`)
	}
	if p == nil {
		return nil, errors.New("policy is null")
	}
	return p, nil
}

// decodeStrict decodes exactly one JSON value, refusing unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("parse policy: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("parse policy: unexpected data after the policy")
	}
	return nil
}

// indented is v as indented JSON, for the JSON methods of the model's shapes, which hold only
// strings, integers and booleans (so it cannot fail).
func indented(v any) []byte {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

// JSON returns the policy as the indented bare rule array that Parse reads back.
func (p Policy) JSON() []byte {
	return indented(p)
}
