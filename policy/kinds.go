package policy

import (
	"fmt"
	"slices"
	"strings"
)

// AllKinds is the target name that stands for the kinds whose baseline is a rule list,
// mediastore and s3 (one baseline can serve both). cloudfront, whose baseline is a CorsConfig
// in a parameter of its own, and lambda-url and http-api, whose baseline is a Cors object, are
// named on their own.
const AllKinds = "all"

// Kinds returns every kind, in the order a run takes them and a report lists them.
func Kinds() []Kind { return []Kind{MediaStore, S3, CloudFront, LambdaURL, HTTPAPI} }

// allKinds are the kinds AllKinds stands for.
func allKinds() []Kind { return []Kind{MediaStore, S3} }

// ParseKinds reads a comma-separated list of kinds ("mediastore", "s3", "cloudfront", or "all"
// for mediastore and s3), without regard to case or spaces around the names, and returns each kind once, in the
// order of Kinds. It is the one syntax of the targets setting, for the Lambda's environment
// and the CLI's flags alike.
func ParseKinds(s string) ([]Kind, error) {
	want := wantKinds()
	var named []Kind
	for item := range strings.SplitSeq(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch {
		case item == "":
		case item == AllKinds:
			named = append(named, allKinds()...)
		case slices.Contains(Kinds(), Kind(item)):
			named = append(named, Kind(item))
		default:
			return nil, fmt.Errorf("%q is not a target; want %s", item, want)
		}
	}
	if len(named) == 0 {
		return nil, fmt.Errorf("names no target; want %s", want)
	}
	var out []Kind
	for _, k := range Kinds() {
		if slices.Contains(named, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// wantKinds is "mediastore, s3, cloudfront, lambda-url, http-api or all": what ParseKinds accepts, for its errors.
func wantKinds() string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ") + " or " + AllKinds
}
