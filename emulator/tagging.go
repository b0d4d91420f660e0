package emulator

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
)

// The Resource Groups Tagging API (awsJson1_1, signed for the service "tagging"): the emulator
// serves GetResources for S3 general purpose buckets, the one resource type it holds that the
// API lists, so that a sweep learns every tagged bucket's tags in one call per 100 buckets
// instead of one GetBucketTagging per bucket. Its rules are the API model's and its
// documentation's; moto_server serves the same call (emulator/tagging_moto_test.go).
const taggingTarget = "ResourceGroupsTaggingAPI_20170126"

// Limits of GetResources (the model's documentation).
const (
	maxResourcesPerPage = 100 // "a minimum of 1 and a maximum value of 100"
	defResourcesPerPage = 50  // what moto_server uses when none is given
	minTagsPerPage      = 100
	maxTagsPerPage      = 500
	maxTagFilters       = 50 // "up to 50 keys"
	maxTagFilterValues  = 20 // "each key can include up to 20 values"
	maxResourceARNs     = 100
)

func (e *Emulator) taggingOps() jsonService {
	return jsonService{name: "tagging", ops: map[string]jsonOp{
		"GetResources": {"", e.getResources},
	}}
}

type tagFilter struct {
	Key    *string  `json:"Key"`
	Values []string `json:"Values"`
}

type resourceTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type resourceTagMapping struct {
	ResourceARN string        `json:"ResourceARN"`
	Tags        []resourceTag `json:"Tags"`
}

// getResources lists the tagged buckets of the Region the request was signed for, sorted by
// ARN, filtered as the documentation says: every filter must hold (AND), a filter's values
// are alternatives (OR), a filter without values asks only for the key. The pagination token
// is the last ARN of the page, so a page never repeats or skips a bucket that was already
// there, whatever is tagged in between.
// getResourcesInput is GetResources' request.
type getResourcesInput struct {
	PaginationToken     *string     `json:"PaginationToken"`
	TagFilters          []tagFilter `json:"TagFilters"`
	ResourcesPerPage    *int        `json:"ResourcesPerPage"`
	TagsPerPage         *int        `json:"TagsPerPage"`
	ResourceTypeFilters []string    `json:"ResourceTypeFilters"`
	ResourceARNList     []string    `json:"ResourceARNList"`
}

// pageSizes checks a GetResources request's parameters as the service does and returns its
// page sizes: resources per page, and tags per page (0: no limit).
func (in getResourcesInput) pageSizes() (perPage, tagsPerPage int, err error) {
	invalid := func(format string, args ...any) (int, int, error) {
		return 0, 0, errf("InvalidParameterException", format, args...)
	}
	perPage = defResourcesPerPage
	if in.ResourcesPerPage != nil {
		if perPage = *in.ResourcesPerPage; perPage < 1 || perPage > maxResourcesPerPage {
			return invalid("ResourcesPerPage must be between 1 and %d", maxResourcesPerPage)
		}
	}
	// No limit on tags unless asked: AWS recommends ResourcesPerPage instead.
	if in.TagsPerPage != nil {
		if tagsPerPage = *in.TagsPerPage; tagsPerPage < minTagsPerPage || tagsPerPage > maxTagsPerPage {
			return invalid("TagsPerPage must be between %d and %d", minTagsPerPage, maxTagsPerPage)
		}
	}
	if len(in.TagFilters) > maxTagFilters {
		return invalid("TagFilters can include up to %d keys", maxTagFilters)
	}
	for _, f := range in.TagFilters {
		if f.Key == nil || *f.Key == "" || len(*f.Key) > 128 {
			return invalid("a TagFilter's Key must be 1 to 128 characters")
		}
		if len(f.Values) > maxTagFilterValues {
			return invalid("a TagFilter can include up to %d values", maxTagFilterValues)
		}
	}
	if len(in.ResourceARNList) > 0 {
		if len(in.TagFilters) > 0 || len(in.ResourceTypeFilters) > 0 || in.ResourcesPerPage != nil || in.TagsPerPage != nil ||
			(in.PaginationToken != nil && *in.PaginationToken != "") {
			return invalid("ResourceARNList cannot be combined with TagFilters, ResourceTypeFilters or the pagination parameters")
		}
		if len(in.ResourceARNList) > maxResourceARNs {
			return invalid("ResourceARNList can include up to %d ARNs", maxResourceARNs)
		}
	}
	return perPage, tagsPerPage, nil
}

// taggable returns the buckets GetResources looks at: those arns name (each once) when there
// is a list, every bucket otherwise. A worker's call names its batch's ten: looking them up,
// rather than walking an estate of 100,000 buckets per call, keeps the bench's sweeps linear.
// The caller holds e.mu.
func (e *Emulator) taggable(arns []string) []*bucket {
	if len(arns) == 0 {
		return slices.Collect(maps.Values(e.buckets))
	}
	var out []*bucket
	seen := map[string]bool{}
	for _, arn := range arns {
		name, ok := strings.CutPrefix(arn, e.bucketARN(""))
		if b := e.buckets[name]; ok && b != nil && !seen[name] {
			seen[name] = true
			out = append(out, b)
		}
	}
	return out
}

func (e *Emulator) getResources(c *call, body []byte) (any, error) {
	var in getResourcesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	perPage, tagsPerPage, err := in.pageSizes()
	if err != nil {
		return nil, err
	}
	after := ""
	if in.PaginationToken != nil && *in.PaginationToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*in.PaginationToken)
		if err != nil || !strings.HasPrefix(string(raw), "arn:") {
			return nil, errf("PaginationTokenExpiredException", "Token does not exist")
		}
		after = string(raw)
	}
	wantBuckets := len(in.ResourceTypeFilters) == 0 ||
		slices.ContainsFunc(in.ResourceTypeFilters, func(t string) bool { return t == "s3" || t == "s3:bucket" })
	return e.locked(c, func() (any, error) {
		var all []resourceTagMapping
		if wantBuckets {
			now := e.clock.Now()
			for _, b := range e.taggable(in.ResourceARNList) {
				arn := e.bucketARN(b.name)
				tags := b.indexedTags(now, e.taggingLag)
				if len(tags) == 0 || b.region != e.signedRegion(c) || !matchTagFilters(tags, in.TagFilters) ||
					(len(in.ResourceARNList) > 0 && !slices.Contains(in.ResourceARNList, arn)) {
					continue
				}
				m := resourceTagMapping{ResourceARN: arn, Tags: []resourceTag{}}
				for _, k := range slices.Sorted(maps.Keys(tags)) {
					m.Tags = append(m.Tags, resourceTag{Key: k, Value: tags[k]})
				}
				all = append(all, m)
			}
		}
		slices.SortFunc(all, func(a, b resourceTagMapping) int { return strings.Compare(a.ResourceARN, b.ResourceARN) })
		start, _ := slices.BinarySearchFunc(all, after, func(m resourceTagMapping, arn string) int {
			if m.ResourceARN <= arn {
				return -1
			}
			return 1
		})
		out := struct {
			PaginationToken        string               `json:"PaginationToken"`
			ResourceTagMappingList []resourceTagMapping `json:"ResourceTagMappingList"`
		}{ResourceTagMappingList: []resourceTagMapping{}}
		tags := 0
		for i := start; i < len(all); i++ {
			n := max(len(all[i].Tags), 1) // a resource with no tags counts as one
			full := len(out.ResourceTagMappingList) == perPage ||
				(tagsPerPage > 0 && len(out.ResourceTagMappingList) > 0 && tags+n > tagsPerPage)
			if full {
				out.PaginationToken = base64.RawURLEncoding.EncodeToString([]byte(all[i-1].ResourceARN))
				break
			}
			out.ResourceTagMappingList = append(out.ResourceTagMappingList, all[i])
			tags += n
		}
		return out, nil
	})
}

// matchTagFilters reports whether tags satisfy every filter: the key, and one of the values
// when the filter gives any.
func matchTagFilters(tags map[string]string, filters []tagFilter) bool {
	for _, f := range filters {
		v, ok := tags[*f.Key]
		if !ok || (len(f.Values) > 0 && !slices.Contains(f.Values, v)) {
			return false
		}
	}
	return true
}
