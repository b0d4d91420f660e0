package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxInputBytes bounds the baseline text Parse and ParseCorsConfig read, a guard against
// abuse, not a service limit: the service limits (MediaStore's 398,000 characters, S3's 64 KB)
// apply to what the SDK sends, compact, and Validate measures that. A pretty-printed file may
// be several times larger than the policy it holds.
const MaxInputBytes = 4 << 20

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF16LE = []byte{0xFF, 0xFE}
)

// input prepares baseline text for decoding: it refuses text over MaxInputBytes or in UTF-16,
// drops a UTF-8 byte order mark (editors on Windows write one; it means nothing in UTF-8, and
// RFC 8259 section 8.1 lets a parser ignore it), and trims white space. what names the
// document in errors ("policy", "cors config").
func input(data []byte, what string) ([]byte, error) {
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d read", what, len(data), MaxInputBytes)
	}
	if bytes.HasPrefix(data, bomUTF16BE) || bytes.HasPrefix(data, bomUTF16LE) {
		return nil, fmt.Errorf("%s is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8", what)
	}
	data = bytes.TrimPrefix(data, bomUTF8)
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s is empty", what)
	}
	return trimmed, nil
}

// duplicateKey returns an error naming the path of the first key that appears twice in one
// object, at any depth of data, or nil. Go's decoder would keep the last value silently, so
// a baseline with a repeated key would mean something else than its reader sees. Keys are
// compared without regard to case, as encoding/json matches them to fields: "AllowedOrigins"
// and "allowedOrigins" fill the same field. root names the top value in paths ("CorsPolicy"
// for a bare rule array); paths are as Validate writes them: CorsPolicy[0].AllowedOrigins.
// Malformed JSON is left to the decoder to report.
func duplicateKey(data []byte, root string) error {
	type frame struct {
		obj     bool
		path    string
		keys    map[string]string // lower case -> as first given
		n       int               // items seen, in an array
		wantKey bool
		member  string // the current member's path, in an object
	}
	var stack []*frame
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or malformed JSON, which the decoder reports
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if top != nil && top.obj && top.wantKey {
			key, _ := tok.(string)
			path := key
			if top.path != "" {
				path = top.path + "." + key
			}
			if first, dup := top.keys[strings.ToLower(key)]; dup {
				if first != key {
					return fmt.Errorf("%s: key given twice (first as %q): the last would silently win", path, first)
				}
				return errors.New(path + ": key given twice: the last would silently win")
			}
			top.keys[strings.ToLower(key)] = key
			top.member, top.wantKey = path, false
			continue
		}
		path := root
		switch {
		case top != nil && top.obj:
			path = top.member
		case top != nil:
			path = fmt.Sprintf("%s[%d]", top.path, top.n)
			top.n++
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, path: path, keys: map[string]string{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		default:
			valueDone()
		}
	}
}

// CheckDuplicateKeys returns an error naming the first key that appears twice in one object of
// the JSON document data (compared without regard to case, as encoding/json matches fields),
// or nil. Anything decoded strictly beside a baseline (a work queue message body) uses it.
func CheckDuplicateKeys(data []byte) error { return duplicateKey(data, "") }

// object reads data as one JSON object for the parser of what: input's checks, then notObject
// when it is not an object, and an error naming the path of a key given twice.
func object(data []byte, what string, notObject error) ([]byte, error) {
	trimmed, err := input(data, what)
	if err != nil {
		return nil, err
	}
	if trimmed[0] != '{' {
		return nil, notObject
	}
	if err := duplicateKey(trimmed, ""); err != nil {
		return nil, fmt.Errorf("parse %s: %w", what, err)
	}
	return trimmed, nil
}
