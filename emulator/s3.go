package emulator

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
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
	cors         []corsRule           // nil: no CORS configuration
	tags         map[string]string    // nil: no tag set
	objects      map[string]*s3Object // by key (s3object.go)
	// taggedAt is when a tag call last changed tags, and indexed the tags the Tagging API's
	// index held before it: GetResources answers indexed until the emulator's tagging lag has
	// passed since taggedAt (WithTaggingLag).
	taggedAt time.Time
	indexed  map[string]string
}

// setTags replaces b's tags at now, keeping what the Tagging API's index held until lag passes.
func (b *bucket) setTags(tags map[string]string, now time.Time, lag time.Duration) {
	b.indexed, b.taggedAt = b.indexedTags(now, lag), now
	b.tags = tags
}

// indexedTags returns b's tags as the Tagging API's index holds them at now: the tags of the
// last tag call once lag has passed since it, the tags before it until then.
func (b *bucket) indexedTags(now time.Time, lag time.Duration) map[string]string {
	if lag > 0 && !b.taggedAt.IsZero() && now.Sub(b.taggedAt) < lag {
		return b.indexed
	}
	return b.tags
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

// Prefixes and suffixes S3 reserves (S3 User Guide, "General purpose bucket naming rules",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): access point
// aliases, Object Lambda, Multi-Region Access Points, directory and table buckets, examples.
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// checkBucketName checks the name of a bucket to be created: S3's naming rules and its
// reserved prefixes and suffixes.
func checkBucketName(name string) error {
	invalid := errf("InvalidBucketName", "The specified bucket is not valid.")
	if !validBucketName(name) {
		return invalid
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return invalid
		}
	}
	for _, sfx := range reservedBucketSuffixes {
		if strings.HasSuffix(name, sfx) {
			return invalid
		}
	}
	return nil
}

// bucketLocked returns the named bucket, NoSuchBucket, or PermanentRedirect when it lives in
// another Region than the one the request was signed for, as a regional S3 endpoint answers:
// status 301, the bucket's Region in x-amz-bucket-region (botocore follows the redirect with
// it; without it, botocore recurses), and the endpoint and the bucket in the body.
func (e *Emulator) bucketLocked(c *call, name string) (*bucket, error) {
	if !validBucketName(name) {
		return nil, errf("InvalidBucketName", "The specified bucket is not valid.")
	}
	b, ok := e.buckets[name]
	if !ok {
		return nil, errf("NoSuchBucket", "The specified bucket does not exist")
	}
	if b.region != e.signedRegion(c) {
		return nil, &apiError{Code: "PermanentRedirect", Status: http.StatusMovedPermanently,
			Message: "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
			Header:  map[string]string{"X-Amz-Bucket-Region": b.region},
			Fields:  [][2]string{{"Endpoint", name + ".s3." + b.region + ".amazonaws.com"}, {"Bucket", name}}}
	}
	return b, nil
}

// signedRegion is the Region a request was signed for: the regional endpoint it stands for.
func (e *Emulator) signedRegion(c *call) string {
	if c.Region != "" {
		return c.Region
	}
	return e.region
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
	if err := checkBucketName(req.bucket); err != nil {
		return nil, err
	}
	var conf struct {
		XMLName            xml.Name `xml:"CreateBucketConfiguration"`
		LocationConstraint string   `xml:"LocationConstraint"`
		Tags               *struct {
			Tags  []s3Tag `xml:"Tag"`
			Extra extra   `xml:",any"`
		} `xml:"Tags"` // the model's CreateBucketConfiguration.Tags: a TagSet
		Extra extra `xml:",any"`
	}
	var tags map[string]string
	if len(strings.TrimSpace(string(req.body))) > 0 {
		if err := decodeXML(req.body, &conf); err != nil || len(conf.Extra) > 0 || conf.Tags != nil && len(conf.Tags.Extra) > 0 {
			return nil, errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		if conf.Tags != nil {
			var err error
			if tags, err = checkS3Tags(conf.Tags.Tags); err != nil {
				return nil, err
			}
		}
	}
	// us-east-1 is the one Region whose buckets are created without a location constraint.
	want := e.signedRegion(c)
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
		e.buckets[req.bucket] = &bucket{name: req.bucket, region: e.signedRegion(c), created: c.Time, tags: tags}
		params := map[string]any{}
		if conf.LocationConstraint != "" {
			params["CreateBucketConfiguration"] = map[string]any{"LocationConstraint": conf.LocationConstraint, "xmlns": s3Namespace}
		}
		c.events = append(c.events, e.s3Trail(c, req, params))
		return xmlAnswer{header: map[string]string{"Location": "/" + req.bucket}}, nil
	})
}

func (e *Emulator) headBucket(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		return xmlAnswer{header: map[string]string{"X-Amz-Bucket-Region": b.region}}, nil
	})
}

// getBucketLocation answers from any Region's endpoint, without a redirect: it is how a client
// finds a bucket's Region. us-east-1 is an empty LocationConstraint.
func (e *Emulator) getBucketLocation(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		if !validBucketName(req.bucket) {
			return nil, errf("InvalidBucketName", "The specified bucket is not valid.")
		}
		b, ok := e.buckets[req.bucket]
		if !ok {
			return nil, errf("NoSuchBucket", "The specified bucket does not exist")
		}
		out := struct {
			XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
			Region  string   `xml:",chardata"`
		}{}
		if b.region != "us-east-1" {
			out.Region = b.region
		}
		return out, nil
	})
}

func (e *Emulator) deleteBucket(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		if len(b.objects) > 0 {
			return nil, errf("BucketNotEmpty", "The bucket you tried to delete is not empty")
		}
		delete(e.buckets, req.bucket)
		return xmlAnswer{status: 204}, nil
	})
}

// CORS

func (e *Emulator) getBucketCors(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		if b.cors == nil {
			return nil, errf("NoSuchCORSConfiguration", "The CORS configuration does not exist")
		}
		out := corsConfigurationOut{}
		for _, r := range b.cors {
			out.Rules = append(out.Rules, r.xml())
		}
		return out, nil
	})
}

func (e *Emulator) putBucketCors(c *call, req s3Request) (any, error) {
	if err := checkIntegrity(req.header, req.body); err != nil {
		return nil, err
	}
	p, err := parseS3CORS(req.body)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		b.cors = p
		c.events = append(c.events, e.s3Trail(c, req, map[string]any{"cors": "",
			"CORSConfiguration": map[string]any{"xmlns": s3Namespace, "CORSRule": s3TrailRules(p)}}))
		return xmlAnswer{}, nil
	})
}

// s3TrailRules spells CORS rules the way CloudTrail records PutBucketCors: S3's own XML
// element names, a repeated element as a list and a single one as its value (events/
// cloudtrail-s3-put-bucket-cors.json).
func s3TrailRules(rules []corsRule) []map[string]any {
	out := make([]map[string]any, len(rules))
	for i, r := range rules {
		m := map[string]any{}
		for _, el := range []struct {
			name  string
			items []string
		}{{"AllowedMethod", r.AllowedMethods}, {"AllowedOrigin", r.AllowedOrigins}, {"AllowedHeader", r.AllowedHeaders}, {"ExposeHeader", r.ExposeHeaders}} {
			switch len(el.items) {
			case 0:
			case 1:
				m[el.name] = el.items[0]
			default:
				m[el.name] = el.items
			}
		}
		if r.ID != "" {
			m["ID"] = r.ID
		}
		if r.MaxAgeSeconds != nil {
			m["MaxAgeSeconds"] = *r.MaxAgeSeconds
		}
		out[i] = m
	}
	return out
}

func (e *Emulator) deleteBucketCors(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		// S3 answers 204 whether or not the bucket had a configuration, and logs the call.
		b.cors = nil
		c.events = append(c.events, e.s3Trail(c, req, map[string]any{"cors": ""}))
		return xmlAnswer{status: 204}, nil
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
		b, err := e.bucketLocked(c, req.bucket)
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
	tags, err := checkS3Tags(in.TagSet.Tags)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		b.setTags(tags, e.clock.Now(), e.taggingLag)
		return xmlAnswer{status: 204}, nil
	})
}

func (e *Emulator) deleteBucketTagging(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		b.setTags(nil, e.clock.Now(), e.taggingLag)
		return xmlAnswer{status: 204}, nil
	})
}

// checkS3Tags checks a bucket's TagSet as S3 does: each tag a key and a value, keys of 1-128
// and values of at most 256 characters, no aws: keys, no key twice, at most 50 tags.
func checkS3Tags(set []s3Tag) (map[string]string, error) {
	tags := map[string]string{}
	for _, t := range set {
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
	if len(tags) == 0 {
		tags = nil
	}
	return tags, nil
}

// BucketInfo is a snapshot of a bucket's state, for tests.
type BucketInfo struct {
	Name, Region, ARN string
	CreationTime      time.Time
	CorsPolicy        json.RawMessage // the rules as a JSON array in MediaStore's field names (AllowedOrigins, ..., ID); nil when the bucket has no CORS configuration
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
		CorsPolicy: rulesJSON(b.cors), Tags: maps.Clone(b.tags)}, true
}

// SeedBucket adds a bucket directly, in region (the emulator's when empty), with an optional
// CORS configuration and tags. cors is read as SeedContainer reads it (the rule fields in
// MediaStore's JSON names, plus ID) and must pass PutBucketCors's checks. It emits no events
// and counts no calls: it is state a test starts from. A bucket in another Region is listed by
// ListBuckets and answers PermanentRedirect to requests signed for any other Region.
func (e *Emulator) SeedBucket(name, region string, cors any, tags map[string]string) error {
	if err := checkBucketName(name); err != nil {
		return fmt.Errorf("seed bucket %q: %w", name, err)
	}
	var rules []corsRule
	if raw, ok, err := seedRules(cors); err != nil {
		return fmt.Errorf("seed bucket %s: %w", name, err)
	} else if ok {
		if err := json.Unmarshal(raw, &rules); err != nil {
			return fmt.Errorf("seed bucket %s: read CORS rules: %w", name, err)
		}
		if len(rules) == 0 {
			return fmt.Errorf("seed bucket %s: a CORS configuration needs at least one rule", name)
		}
		for i, r := range rules {
			if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
				return fmt.Errorf("seed bucket %s: CORS rule %d needs an AllowedOrigin and an AllowedMethod", name, i+1)
			}
		}
		if err := s3CORS(rules, len(s3CORSDocument(rules))); err != nil {
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
	e.buckets[name] = &bucket{name: name, region: region, created: e.clock.Now(), cors: rules, tags: maps.Clone(tags)}
	return nil
}
