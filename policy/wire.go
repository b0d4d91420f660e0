package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// S3Document returns the XML document PutBucketCors sends for p: what aws-sdk-go-v2's
// serializer (awsRestxml_serializeDocumentCORSConfiguration, smithy-go encoding/xml) writes
// from the rules corsconv.ToS3 builds, byte for byte. S3's 64 KB limit applies to this document
// (PutBucketCors: "The document is limited to 64 KB in size"), not to the baseline's JSON, and
// Validate measures it here; a test in enforce/corsconv holds it equal to the body the SDK sends.
//
// The SDK writes no XML declaration and no whitespace; each rule's members in the model's order
// AllowedHeader, AllowedMethod, AllowedOrigin, ExposeHeader (flattened lists), then ID and
// MaxAgeSeconds, which corsconv leaves out when empty or 0.
func S3Document(p Policy) []byte {
	var b bytes.Buffer
	b.WriteString(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, r := range p {
		b.WriteString("<CORSRule>")
		for _, l := range []struct {
			name  string
			items []string
		}{
			{"AllowedHeader", r.AllowedHeaders},
			{"AllowedMethod", r.AllowedMethods},
			{"AllowedOrigin", r.AllowedOrigins},
			{"ExposeHeader", r.ExposeHeaders},
		} {
			for _, s := range l.items {
				xmlElement(&b, l.name, s)
			}
		}
		if r.ID != "" {
			xmlElement(&b, "ID", r.ID)
		}
		if r.MaxAgeSeconds != 0 {
			xmlElement(&b, "MaxAgeSeconds", strconv.FormatInt(int64(int32(r.MaxAgeSeconds)), 10))
		}
		b.WriteString("</CORSRule>")
	}
	b.WriteString("</CORSConfiguration>")
	return b.Bytes()
}

func xmlElement(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	xmlEscape(b, text)
	b.WriteString("</" + name + ">")
}

// xmlEscape writes s as smithy-go's encoding/xml escapeString does: the five XML specials as
// numeric or named references, tab, LF, CR, U+0085 and U+2028 as character references, and any
// character outside XML 1.0's Char production (or invalid UTF-8) as U+FFFD.
func xmlEscape(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		switch r {
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		case '\u0085':
			b.WriteString("&#x85;")
		case '\u2028':
			b.WriteString("&#x2028;")
		default:
			if !xmlChar(r) || (r == utf8.RuneError && width == 1) {
				b.WriteString("\uFFFD")
				continue
			}
			b.WriteString(s[i-width : i])
		}
	}
}

// xmlChar reports whether r is in XML 1.0's Char production (section 2.2): the characters an
// XML document can carry at all. The SDK replaces any other with U+FFFD.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// MediaStoreDocument returns the CorsPolicy member PutCorsPolicy sends for p, as aws-sdk-go-v2's
// awsJson1.1 serializer writes it from corsconv.ToMediaStore's rules: compact, "<", ">" and "&"
// not escaped, nil lists and a zero MaxAgeSeconds left out, and no rule ID (MediaStore has
// none). MediaStore's 398,000-character limit applies to this text, not to the baseline file's
// whitespace.
func MediaStoreDocument(p Policy) []byte {
	type wireRule struct {
		AllowedHeaders *[]string `json:"AllowedHeaders,omitempty"`
		AllowedMethods []string  `json:"AllowedMethods"`
		AllowedOrigins *[]string `json:"AllowedOrigins,omitempty"`
		ExposeHeaders  *[]string `json:"ExposeHeaders,omitempty"`
		MaxAgeSeconds  int64     `json:"MaxAgeSeconds,omitempty"`
	}
	// The SDK writes a list that is not nil, even an empty one; corsconv always sends methods.
	list := func(l []string) *[]string {
		if l == nil {
			return nil
		}
		return &l
	}
	rules := make([]wireRule, len(p))
	for i, r := range p {
		methods := r.AllowedMethods
		if methods == nil {
			methods = []string{}
		}
		rules[i] = wireRule{list(r.AllowedHeaders), methods, list(r.AllowedOrigins), list(r.ExposeHeaders), r.MaxAgeSeconds}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rules); err != nil { // strings and integers only
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
