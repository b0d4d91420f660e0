package emulator

import (
	"net"
	"net/http"
	"strings"
)

// This file is the data plane's front door: unsigned requests, as browsers send them, to the
// hosts AWS serves content from. They are routed by Host, as DNS routes them to AWS:
//   - BUCKET.s3.REGION.amazonaws.com, BUCKET.s3-REGION.amazonaws.com and the legacy global
//     BUCKET.s3.amazonaws.com (virtual-hosted style); s3.REGION.amazonaws.com and
//     s3.amazonaws.com with the bucket in the path (path style): S3's REST endpoint serves
//     GET, HEAD and OPTIONS on objects (s3cors.go answers CORS);
//   - a distribution's domain name (dXXXXXXXXXXXXX.cloudfront.net) or one of its alternate
//     domain names (Aliases): cloudfront_edge.go;
//   - S3 website endpoints (BUCKET.s3-website-REGION.amazonaws.com, BUCKET.s3-website.REGION…)
//     are answered as the REST endpoint answers (the website's index and error documents are
//     not modelled).
//
// The emulator holds no bucket policies or ACLs: every object is readable without a
// signature, as it is from a bucket with a public-read policy, or from CloudFront with origin
// access control. Signed requests to the same hosts are API calls (route.go).

// s3Host is what an S3 Host names: the bucket (empty for path style) and the Region (empty
// for the global endpoint).
type s3Host struct {
	bucket, region string
}

// parseS3Host reads host (without its port) as an S3 REST endpoint, or answers false.
func parseS3Host(host string) (s3Host, bool) {
	rest, ok := strings.CutSuffix(strings.ToLower(host), ".amazonaws.com")
	if !ok {
		return s3Host{}, false
	}
	segs := strings.Split(rest, ".")
	n := len(segs)
	switch {
	case segs[n-1] == "s3": // [BUCKET.]s3.amazonaws.com
		return s3Host{bucket: strings.Join(segs[:n-1], ".")}, true
	case strings.HasPrefix(segs[n-1], "s3-website-"): // BUCKET.s3-website-REGION.amazonaws.com
		return s3Host{bucket: strings.Join(segs[:n-1], "."), region: strings.TrimPrefix(segs[n-1], "s3-website-")}, true
	case n >= 2 && segs[n-2] == "s3-website": // BUCKET.s3-website.REGION.amazonaws.com
		return s3Host{bucket: strings.Join(segs[:n-2], "."), region: segs[n-1]}, true
	case strings.HasPrefix(segs[n-1], "s3-"): // [BUCKET.]s3-REGION.amazonaws.com (legacy dash form)
		return s3Host{bucket: strings.Join(segs[:n-1], "."), region: strings.TrimPrefix(segs[n-1], "s3-")}, true
	case n >= 2 && segs[n-2] == "s3": // [BUCKET.]s3.REGION.amazonaws.com
		return s3Host{bucket: strings.Join(segs[:n-2], "."), region: segs[n-1]}, true
	}
	return s3Host{}, false
}

// hostOnly strips the port from a Host header.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// s3BucketAndKey reads the bucket and key of an S3 request: from the Host and the path when
// the Host is a virtual-hosted bucket endpoint, from the path otherwise.
func s3BucketAndKey(r *http.Request) (bucket, key string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if h, ok := parseS3Host(hostOnly(r.Host)); ok && h.bucket != "" {
		return h.bucket, path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// signed reports whether a request carries SigV4 authentication (header or presigned query).
func signed(r *http.Request) bool {
	return r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Credential") != ""
}

// dataPlane returns the handler of an unsigned request to a data-plane host, or nil.
func (e *Emulator) dataPlane(r *http.Request) http.HandlerFunc {
	if signed(r) {
		return nil
	}
	host := hostOnly(r.Host)
	if h, ok := parseS3Host(host); ok {
		return func(w http.ResponseWriter, r *http.Request) { e.serveS3DataPlane(w, r, h) }
	}
	if strings.HasSuffix(strings.ToLower(host), ".cloudfront.net") {
		return e.serveEdge
	}
	e.mu.Lock()
	alias := e.distributionForHostLocked(host) != nil
	e.mu.Unlock()
	if alias { // an alternate domain name (CNAME) of a distribution
		return e.serveEdge
	}
	return nil
}

// serveS3DataPlane answers an unsigned GET, HEAD or OPTIONS on an object, addressed by h.
func (e *Emulator) serveS3DataPlane(w http.ResponseWriter, r *http.Request, h s3Host) {
	bucketName, key := h.bucket, strings.TrimPrefix(r.URL.Path, "/")
	if bucketName == "" {
		bucketName, key, _ = strings.Cut(key, "/")
	}
	requestID := e.requestID()
	p := s3Protocol{}
	op := map[string]string{http.MethodGet: "GetObject", http.MethodHead: "HeadObject", http.MethodOptions: "OptionsObject"}[r.Method]
	if op == "" || bucketName == "" || key == "" {
		// Anonymous writes and listings need a bucket policy the emulator does not hold.
		p.writeError(w, requestID, errf("AccessDenied", "Access Denied"))
		return
	}
	now := e.clock.Now()
	e.calls.add(op, bucketName)
	if ferr := e.faults.decide(op, bucketName, now); ferr != nil {
		p.writeError(w, requestID, ferr)
		return
	}
	e.mu.Lock()
	b, ok := e.buckets[bucketName]
	if !ok {
		e.mu.Unlock()
		nsb := errf("NoSuchBucket", "The specified bucket does not exist")
		nsb.Fields = [][2]string{{"BucketName", bucketName}}
		p.writeError(w, requestID, nsb)
		return
	}
	if h.region != "" && b.region != h.region {
		region := b.region
		e.mu.Unlock()
		p.writeError(w, requestID, &apiError{Code: "PermanentRedirect", Message: "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
			Header: map[string]string{"X-Amz-Bucket-Region": region},
			Fields: [][2]string{{"Endpoint", bucketName + ".s3." + region + ".amazonaws.com"}, {"Bucket", bucketName}}})
		return
	}
	if r.Method == http.MethodOptions {
		d, aerr := s3Preflight(b, r.Header)
		e.mu.Unlock()
		if aerr != nil {
			p.writeError(w, requestID, aerr)
			return
		}
		d.apply(w.Header())
		setS3IDs(w, requestID)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	a := e.objectAnswerLocked(b, key, r.Method, r.Header)
	e.mu.Unlock()
	a.write(w, requestID)
}
