package policy

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// containerName is MediaStore's pattern for container names, less its length (1-255), which
// ValidContainerName checks: a counted repetition {1,255} compiles into a program some 240 KB
// large at package init, 1.5 ms of every Lambda cold start.
var containerName = regexp.MustCompile(`^[\w-]+$`)

// ValidContainerName reports whether name is a valid MediaStore container name: 1-255
// characters of letters, digits, "_" and "-".
func ValidContainerName(name string) error {
	if len(name) > 255 || !containerName.MatchString(name) {
		return fmt.Errorf("container name %q: must be 1 to 255 characters of letters, digits, _ and -", name)
	}
	return nil
}

// ValidBucketName reports whether name is a valid Amazon S3 general purpose bucket name: 3-63
// characters of lowercase letters, digits, "." and "-", beginning and ending with a letter or
// digit, without ".." and not shaped like an IPv4 address.
func ValidBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 || !bucketName.MatchString(name) || strings.Contains(name, "..") || ipv4.MatchString(name) {
		return fmt.Errorf("bucket name %q: must be 3 to 63 characters of a-z, 0-9, . and -, begin and end with a letter or digit, and not look like an IP address", name)
	}
	return nil
}

// functionURLName and apiID are the names of a function URL and an HTTP API as the engine
// names them (lengths checked apart, for the reason given at containerName).
var (
	functionURLName = regexp.MustCompile(`^[a-zA-Z0-9_-]+(:[a-zA-Z0-9_-]+)?$`)
	apiID           = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
)

// bucketName is S3's pattern for bucket names less their length (3-63), which ValidBucketName
// checks with len, for the reason given at containerName.
var (
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	ipv4       = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// Selector chooses the resources a baseline applies to by name: glob patterns (path.Match
// syntax: *, ?, [a-z]) to include and to exclude. Exclude wins; an empty Include means all.
type Selector struct {
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// NewSelector returns a Selector after checking that every pattern is well formed.
func NewSelector(include, exclude []string) (Selector, error) {
	for _, p := range append(append([]string{}, include...), exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return Selector{}, fmt.Errorf("pattern %q: %w", p, err)
		}
	}
	return Selector{Include: include, Exclude: exclude}, nil
}

// Match reports whether the selector takes name.
func (s Selector) Match(name string) bool {
	if matchAny(s.Exclude, name) {
		return false
	}
	return len(s.Include) == 0 || matchAny(s.Include, name)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// ValidName reports whether name is a valid name of a resource of kind k, by that service's
// rules: a container name, a bucket name, or a response headers policy name (1 to 128
// printable characters, the console's limit). Names from outside (events, queue messages) are
// checked with it before any call.
func ValidName(k Kind, name string) error {
	switch k {
	case MediaStore:
		return ValidContainerName(name)
	case S3:
		return ValidBucketName(name)
	case CloudFront:
		if name == "" || len(name) > 128 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("response headers policy name %q: want 1 to 128 printable characters", name)
		}
		return nil
	case LambdaURL:
		// FUNCTION or FUNCTION:ALIAS, by Lambda's model: a function name of 1-64 letters,
		// digits, - and _ (no ARN), an alias of 1-128.
		if !functionURLName.MatchString(name) || len(name) > 64+1+128 {
			return fmt.Errorf("function URL name %q: want FUNCTION or FUNCTION:ALIAS of letters, digits, - and _", name)
		}
		function, alias, _ := strings.Cut(name, ":")
		if len(function) > 64 || len(alias) > 128 {
			return fmt.Errorf("function URL name %q: the function is at most 64 characters, the alias 128", name)
		}
		return nil
	case HTTPAPI:
		// An ApiId: API Gateway's are ten lower-case letters and digits.
		if name == "" || len(name) > 128 || !apiID.MatchString(name) {
			return fmt.Errorf("HTTP API id %q: want letters and digits", name)
		}
		return nil
	}
	return fmt.Errorf("kind %q: want one of %v", k, Kinds())
}
