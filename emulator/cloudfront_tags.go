package emulator

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// CloudFront's resource tags (TagResource, UntagResource, ListTagsForResource, botocore's
// cloudfront 2020-05-31 model) on distributions, addressed by ARN in the Resource query
// parameter. corsguard reads a distribution's corsguard:probe-path tag to find the canary its
// probe requests; `aws cloudfront tag-resource` sets it.

// cfTagPattern is TagKey's and TagValue's pattern in the model: letters, white space,
// digits and _ . : / = + - @.
var cfTagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

type cfTag struct {
	Key   string  `xml:"Key"`
	Value *string `xml:"Value,omitempty"`
}

type cfTags struct {
	XMLName xml.Name `xml:"Tags"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Items   []cfTag  `xml:"Items>Tag"`
}

// taggedLocked returns the distribution the ARN names (this account's).
func (e *Emulator) taggedLocked(arn string) (*Distribution, error) {
	if arn == "" {
		return nil, errf("InvalidArgument", "The parameter Resource is required.")
	}
	id, ok := strings.CutPrefix(arn, "arn:aws:cloudfront::"+e.account+":distribution/")
	d := e.distributions[id]
	if !ok || d == nil {
		return nil, errf("NoSuchResource", "The specified resource does not exist.")
	}
	return d, nil
}

func (e *Emulator) listTagsForResource(c *call, req cfRequest) (any, error) {
	return e.locked(c, func() (any, error) {
		d, err := e.taggedLocked(req.first("Resource"))
		if err != nil {
			return nil, err
		}
		out := cfTags{Xmlns: cfNamespace, Items: []cfTag{}}
		keys := slices.Sorted(mapsKeys(d.tags))
		for _, k := range keys {
			v := d.tags[k]
			out.Items = append(out.Items, cfTag{Key: k, Value: &v})
		}
		return out, nil
	})
}

// tagging serves POST /tagging: Operation=Tag (TagResource) or Operation=Untag (UntagResource).
func (e *Emulator) tagging(c *call, req cfRequest) (any, error) {
	switch req.first("Operation") {
	case "Tag":
		c.Op = "TagResource"
		var in cfTags
		if err := xml.Unmarshal(req.body, &in); err != nil {
			return nil, errf("MalformedXML", "The XML you provided was not well-formed.")
		}
		for _, t := range in.Items {
			v := ""
			if t.Value != nil {
				v = *t.Value
			}
			if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 || utf8.RuneCountInString(v) > 256 ||
				!cfTagPattern.MatchString(t.Key) || !cfTagPattern.MatchString(v) {
				return nil, errf("InvalidTagging", "The tag %q=%q is not valid: keys 1-128 and values 0-256 characters of letters, digits, spaces and _ . : / = + - @.", t.Key, v)
			}
		}
		return e.locked(c, func() (any, error) {
			d, err := e.taggedLocked(req.first("Resource"))
			if err != nil {
				return nil, err
			}
			if d.tags == nil {
				d.tags = map[string]string{}
			}
			for _, t := range in.Items {
				d.tags[t.Key] = ""
				if t.Value != nil {
					d.tags[t.Key] = *t.Value
				}
			}
			return xmlAnswer{status: http.StatusNoContent}, nil
		})
	case "Untag":
		c.Op = "UntagResource"
		var in struct {
			Items []string `xml:"Items>Key"`
		}
		if err := xml.Unmarshal(req.body, &in); err != nil {
			return nil, errf("MalformedXML", "The XML you provided was not well-formed.")
		}
		return e.locked(c, func() (any, error) {
			d, err := e.taggedLocked(req.first("Resource"))
			if err != nil {
				return nil, err
			}
			for _, k := range in.Items {
				delete(d.tags, k)
			}
			return xmlAnswer{status: http.StatusNoContent}, nil
		})
	}
	return nil, errf("InvalidArgument", "The parameter Operation must be Tag or Untag.")
}
