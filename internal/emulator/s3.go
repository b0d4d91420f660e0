package emulator

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corsguard/corsguard/policy"
)

// S3's limits that the emulator enforces.
const (
	// DefaultBucketQuota is S3's default number of general purpose buckets per account.
	DefaultBucketQuota = 10000
	maxBucketsPerPage  = 10000
	maxBucketTags      = 50
)

// bucket is an S3 bucket's state. Buckets have no lifecycle: one exists from the answer to
// CreateBucket until the answer to DeleteBucket.
type bucket struct {
	name, region string
	created      time.Time
	cors         policy.Policy     // nil: no CORS configuration
	tags         map[string]string // nil: no tag set
}

func (e *Emulator) bucketARN(name string) string { return "arn:aws:s3:::" + name }

// validBucketName checks S3's naming rules for general purpose buckets: 3-63 characters of
// lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit,
// no two adjacent dots, and not shaped like an IP address.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i < len(name); i++ {
		if c := name[i]; !alnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return alnum(name[0]) && alnum(name[len(name)-1])
}

// bucketLocked returns the named bucket, NoSuchBucket, or PermanentRedirect when it lives in
// another Region than the emulator's endpoint (as a regional S3 endpoint answers).
func (e *Emulator) bucketLocked(name string) (*bucket, error) {
	if !validBucketName(name) {
		return nil, errf("InvalidBucketName", "The specified bucket is not valid.")
	}
	b, ok := e.buckets[name]
	if !ok {
		return nil, errf("NoSuchBucket", "The specified bucket does not exist")
	}
	if b.region != e.region {
		return nil, errf("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.")
	}
	return b, nil
}

// s3Trail is the CloudTrail event of a bucket call; request holds the parameters beyond the
// bucket name and host, which every S3 record has.
func (e *Emulator) s3Trail(c *call, req s3Request, request map[string]any) []byte {
	params := map[string]any{"bucketName": req.bucket, "Host": req.host}
	maps.Copy(params, request)
	return e.cloudTrailRecord(c, "aws.s3", "s3.amazonaws.com", params, nil)
}

// ListBuckets

type s3Owner struct {
	DisplayName string `xml:"DisplayName"`
	ID          string `xml:"ID"`
}

type s3Bucket struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
}

type listAllMyBucketsResult struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Owner   s3Owner  `xml:"Owner"`
	Buckets struct {
		Bucket []s3Bucket `xml:"Bucket"`
	} `xml:"Buckets"`
	ContinuationToken string `xml:"ContinuationToken,omitempty"`
	Prefix            string `xml:"Prefix,omitempty"`
}

func (e *Emulator) owner() s3Owner {
	return s3Owner{DisplayName: "emulator", ID: fmt.Sprintf("%016x%016x%016x%016x", mix(1), mix(2), mix(3), mix(4))}
}

func (e *Emulator) listBuckets(c *call, req s3Request) (any, error) {
	first := func(k string) (string, bool) {
		v, ok := req.query[k]
		if !ok || len(v) == 0 {
			return "", ok
		}
		return v[0], true
	}
	limit := maxBucketsPerPage
	if s, ok := first("max-buckets"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxBucketsPerPage {
			return nil, errf("InvalidArgument", "Argument max-buckets must be an integer between 1 and %d.", maxBucketsPerPage)
		}
		limit = n
	}
	after := ""
	if tok, ok := first("continuation-token"); ok {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(raw), "after:") {
			return nil, errf("InvalidArgument", "The continuation token provided is incorrect")
		}
		after = strings.TrimPrefix(string(raw), "after:")
	}
	region, _ := first("bucket-region")
	prefix, _ := first("prefix")
	return e.locked(c, func() (any, error) {
		out := listAllMyBucketsResult{Owner: e.owner(), Prefix: prefix}
		out.Buckets.Bucket = []s3Bucket{}
		var names []string
		for _, n := range slices.Sorted(maps.Keys(e.buckets)) {
			b := e.buckets[n]
			if n > after && strings.HasPrefix(n, prefix) && (region == "" || b.region == region) {
				names = append(names, n)
			}
		}
		end := min(limit, len(names))
		for _, n := range names[:end] {
			b := e.buckets[n]
			out.Buckets.Bucket = append(out.Buckets.Bucket, s3Bucket{Name: n,
				CreationDate: b.created.UTC().Format("2006-01-02T15:04:05.000Z"), BucketRegion: b.region})
		}
		if end < len(names) {
			out.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte("after:" + names[end-1]))
		}
		return out, nil
	})
}

// CreateBucket, HeadBucket, DeleteBucket

func (e *Emulator) createBucket(c *call, req s3Request) (any, error) {
	if !validBucketName(req.bucket) {
		return nil, errf("InvalidBucketName", "The specified bucket is not valid.")
	}
	var conf struct {
		XMLName            xml.Name `xml:"CreateBucketConfiguration"`
		LocationConstraint string   `xml:"LocationConstraint"`
		Extra              extra    `xml:",any"`
	}
	if len(strings.TrimSpace(string(req.body))) > 0 {
		if err := decodeXML(req.body, &conf); err != nil || len(conf.Extra) > 0 {
			return nil, errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
	}
	// us-east-1 is the one Region whose buckets are created without a location constraint.
	want := e.region
	if want == "us-east-1" {
		want = ""
	}
	if conf.LocationConstraint != want {
		lc := conf.LocationConstraint
		if lc == "" {
			lc = "unspecified"
		}
		return nil, errf("IllegalLocationConstraintException", "The %s location constraint is incompatible for the region specific endpoint this request was sent to.", lc)
	}
	return e.locked(c, func() (any, error) {
		if _, ok := e.buckets[req.bucket]; ok {
			return nil, errf("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
		}
		if len(e.buckets) >= DefaultBucketQuota {
			return nil, errf("TooManyBuckets", "You have attempted to create more buckets than allowed")
		}
		e.buckets[req.bucket] = &bucket{name: req.bucket, region: e.region, created: c.Time}
		params := map[string]any{}
		if conf.LocationConstraint != "" {
			params["CreateBucketConfiguration"] = map[string]any{"LocationConstraint": conf.LocationConstraint, "xmlns": s3Namespace}
		}
		c.events = append(c.events, e.s3Trail(c, req, params))
		return s3Answer{header: map[string]string{"Location": "/" + req.bucket}}, nil
	})
}

func (e *Emulator) headBucket(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(req.bucket)
		if err != nil {
			return nil, err
		}
		return s3Answer{header: map[string]string{"X-Amz-Bucket-Region": b.region}}, nil
	})
}

func (e *Emulator) deleteBucket(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		if _, err := e.bucketLocked(req.bucket); err != nil {
			return nil, err
		}
		delete(e.buckets, req.bucket)
		return s3Answer{status: 204}, nil
	})
}

// CORS

// corsRuleXML is a CORSRule element; the same shape is read and written.
type corsRuleXML struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int64   `xml:"MaxAgeSeconds"`
	Extra          extra    `xml:",any"`
}

// corsConfigurationIn is the PutBucketCors document, in any namespace.
type corsConfigurationIn struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	Rules   []corsRuleXML `xml:"CORSRule"`
	Extra   extra         `xml:",any"`
}

// corsConfigurationOut is the GetBucketCors document.
type corsConfigurationOut struct {
	XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CORSConfiguration"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

func (e *Emulator) getBucketCors(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(req.bucket)
		if err != nil {
			return nil, err
		}
		if b.cors == nil {
			return nil, errf("NoSuchCORSConfiguration", "The CORS configuration does not exist")
		}
		out := corsConfigurationOut{}
		for _, r := range b.cors {
			x := corsRuleXML{ID: r.ID, AllowedHeaders: r.AllowedHeaders, AllowedMethods: r.AllowedMethods,
				AllowedOrigins: r.AllowedOrigins, ExposeHeaders: r.ExposeHeaders}
			if r.MaxAgeSeconds != 0 {
				x.MaxAgeSeconds = &r.MaxAgeSeconds
			}
			out.Rules = append(out.Rules, x)
		}
		return out, nil
	})
}

// parseCORS reads and validates a PutBucketCors document with S3's rules (policy.Validate
// for policy.S3). Like S3, it answers MalformedXML for a document that breaks the schema (not
// well-formed, unknown elements, a rule without an origin or a method, no rule) and
// InvalidRequest for one that breaks a rule of the service (an unsupported method, more
// than one wildcard, too many rules or items).
func parseCORS(body []byte) (policy.Policy, error) {
	if len(body) > policy.MaxS3PolicyBytes {
		return nil, errf("MaxMessageLengthExceeded", "Your request was too big.")
	}
	var in corsConfigurationIn
	if err := decodeXML(body, &in); err != nil {
		return nil, err
	}
	malformed := errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	if len(in.Extra) > 0 || len(in.Rules) == 0 {
		return nil, malformed
	}
	p := make(policy.Policy, len(in.Rules))
	for i, r := range in.Rules {
		if len(r.Extra) > 0 || len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return nil, malformed
		}
		p[i] = policy.Rule{ID: r.ID, AllowedOrigins: r.AllowedOrigins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposeHeaders}
		if r.MaxAgeSeconds != nil {
			p[i].MaxAgeSeconds = *r.MaxAgeSeconds
		}
	}
	err := policy.Validate(p, policy.S3)
	var verr *policy.ValidationError
	if errors.As(err, &verr) {
		for _, pr := range verr.Problems {
			for _, r := range p {
				for _, m := range r.AllowedMethods {
					if strings.Contains(pr.Message, strconv.Quote(m)+" is not one of") {
						return nil, errf("InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
					}
				}
			}
		}
		return nil, errf("InvalidRequest", "%v", err)
	}
	return p, err
}

func (e *Emulator) putBucketCors(c *call, req s3Request) (any, error) {
	if err := checkIntegrity(req.header, req.body); err != nil {
		return nil, err
	}
	p, err := parseCORS(req.body)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(req.bucket)
		if err != nil {
			return nil, err
		}
		b.cors = p
		c.events = append(c.events, e.s3Trail(c, req, map[string]any{"cors": "",
			"CORSConfiguration": map[string]any{"xmlns": s3Namespace, "CORSRule": trailPolicy(p)}}))
		return s3Answer{}, nil
	})
}

func (e *Emulator) deleteBucketCors(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(req.bucket)
		if err != nil {
			return nil, err
		}
		// S3 answers 204 whether or not the bucket had a configuration, and logs the call.
		b.cors = nil
		c.events = append(c.events, e.s3Trail(c, req, map[string]any{"cors": ""}))
		return s3Answer{status: 204}, nil
	})
}

// Tagging

type s3Tag struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

type taggingIn struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  *struct {
		Tags  []s3Tag `xml:"Tag"`
		Extra extra   `xml:",any"`
	} `xml:"TagSet"`
	Extra extra `xml:",any"`
}

type taggingOut struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Tagging"`
	Tags    []s3Tag  `xml:"TagSet>Tag"`
}

func (e *Emulator) getBucketTagging(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(req.bucket)
		if err != nil {
			return nil, err
		}
		if len(b.tags) == 0 {
			return nil, errf("NoSuchTagSet", "The TagSet does not exist")
		}
		out := taggingOut{Tags: []s3Tag{}}
		for _, k := range slices.Sorted(maps.Keys(b.tags)) {
			v := b.tags[k]
			out.Tags = append(out.Tags, s3Tag{Key: &k, Value: &v})
		}
		return out, nil
	})
}

func (e *Emulator) putBucketTagging(c *call, req s3Request) (any, error) {
	if err := checkIntegrity(req.header, req.body); err != nil {
		return nil, err
	}
	var in taggingIn
	if err := decodeXML(req.body, &in); err != nil {
		return nil, err
	}
	if len(in.Extra) > 0 || in.TagSet == nil || len(in.TagSet.Extra) > 0 {
		return nil, errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	tags := map[string]string{}
	for _, t := range in.TagSet.Tags {
		if t.Key == nil || t.Value == nil {
			return nil, errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		k, v := *t.Key, *t.Value
		switch {
		case len([]rune(k)) < 1 || len([]rune(k)) > maxTagKeyChars:
			return nil, errf("InvalidTag", "The TagKey you have provided is too long, max %d", maxTagKeyChars)
		case len([]rune(v)) > maxTagValueChars:
			return nil, errf("InvalidTag", "The TagValue you have provided is too long, max %d", maxTagValueChars)
		case strings.HasPrefix(k, "aws:"):
			return nil, errf("InvalidTag", "System tags cannot be added/updated by requester")
		}
		if _, dup := tags[k]; dup {
			return nil, errf("InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		tags[k] = v
	}
	if len(tags) > maxBucketTags {
		return nil, errf("InvalidTag", "Bucket tag count cannot be greater than %d", maxBucketTags)
	}
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(req.bucket)
		if err != nil {
			return nil, err
		}
		b.tags = tags
		return s3Answer{status: 204}, nil
	})
}

func (e *Emulator) deleteBucketTagging(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(req.bucket)
		if err != nil {
			return nil, err
		}
		b.tags = nil
		return s3Answer{status: 204}, nil
	})
}

// BucketInfo is a snapshot of a bucket's state, for tests.
type BucketInfo struct {
	Name, Region, ARN string
	CreationTime      time.Time
	CorsPolicy        policy.Policy // nil when the bucket has no CORS configuration
	Tags              map[string]string
}

// Bucket returns a snapshot of the named bucket and whether it exists.
func (e *Emulator) Bucket(name string) (BucketInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.buckets[name]
	if !ok {
		return BucketInfo{}, false
	}
	return BucketInfo{Name: b.name, Region: b.region, ARN: e.bucketARN(b.name), CreationTime: b.created,
		CorsPolicy: slices.Clone(b.cors), Tags: maps.Clone(b.tags)}, true
}

// SeedBucket adds a bucket directly, in region (the emulator's when empty), with an optional
// CORS configuration (which must pass S3's rules) and tags. It emits no events and counts no
// calls: it is state a test starts from. A bucket in another Region is listed by ListBuckets
// but answers PermanentRedirect to every other call, as a regional endpoint does.
func (e *Emulator) SeedBucket(name, region string, cors policy.Policy, tags map[string]string) error {
	if !validBucketName(name) {
		return fmt.Errorf("seed bucket %q: not a valid bucket name", name)
	}
	if cors != nil {
		if err := policy.Validate(cors, policy.S3); err != nil {
			return fmt.Errorf("seed bucket %s: %w", name, err)
		}
	}
	if region == "" {
		region = e.region
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.buckets[name]; ok {
		return fmt.Errorf("seed bucket %s: already exists", name)
	}
	if len(tags) == 0 {
		tags = nil
	}
	e.buckets[name] = &bucket{name: name, region: region, created: e.clock.Now(), cors: slices.Clone(cors), tags: maps.Clone(tags)}
	return nil
}
