package emulator

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
)

// sqsMaxMessageAttributes is the most message attributes a message may carry.
const sqsMaxMessageAttributes = 10

// messageAttr is one message attribute as the API carries it (BinaryValue is base64 in JSON).
// The list forms are reserved by the API and not accepted.
type messageAttr struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

// attrNameRe: "A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.)", up to 256.
var attrNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// attrTypeRe: String, Number or Binary, optionally with a custom suffix ("Number.float").
var attrTypeRe = regexp.MustCompile(`^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$`)

// checkMessageAttributes validates a message's attributes as SendMessage does and returns
// their size, which counts toward the message size (name, type and value bytes).
func checkMessageAttributes(attrs map[string]messageAttr) (int, error) {
	if len(attrs) > sqsMaxMessageAttributes {
		return 0, errInvalidParamf("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), sqsMaxMessageAttributes)
	}
	size := 0
	for name, a := range attrs {
		lower := strings.ToLower(name)
		if !attrNameRe.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return 0, errInvalidParamf("Message (user) attribute '%s' is invalid.", name)
		}
		if a.DataType == "" {
			return 0, errInvalidParamf("The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		if !attrTypeRe.MatchString(a.DataType) {
			return 0, errInvalidParamf("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		binaryType := strings.HasPrefix(a.DataType, "Binary")
		switch {
		case binaryType && len(a.BinaryValue) == 0:
			return 0, errInvalidParamf("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
		case !binaryType && (a.StringValue == nil || *a.StringValue == ""):
			return 0, errInvalidParamf("The message attribute '%s' with type '%s' must use field 'String'.", name, strings.SplitN(a.DataType, ".", 2)[0])
		case !binaryType && !validBody(*a.StringValue):
			return 0, errInvalidParamf("The message attribute '%s' contains invalid characters.", name)
		}
		size += len(name) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			size += len(*a.StringValue)
		}
	}
	return size, nil
}

// md5OfAttributes is MD5OfMessageAttributes: for each attribute in name order, the name, the
// data type (each as a 4-byte big-endian length and the bytes), a transport byte (1 for
// String and Number, 2 for Binary) and the value (length and bytes).
func md5OfAttributes(attrs map[string]messageAttr) string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	field := func(b []byte) {
		_ = binary.Write(h, binary.BigEndian, uint32(len(b)))
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		field([]byte(n))
		field([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{2})
			field(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			field([]byte(*a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// selectAttributes returns the attributes that names ask for: "All" or ".*", a name, or a
// prefix ending in ".*".
func selectAttributes(attrs map[string]messageAttr, names []string) map[string]messageAttr {
	out := map[string]messageAttr{}
	for n, a := range attrs {
		for _, want := range names {
			prefix, wild := strings.CutSuffix(want, ".*")
			if want == "All" || want == ".*" || want == n || wild && strings.HasPrefix(n, prefix+".") {
				out[n] = a
				break
			}
		}
	}
	return out
}
