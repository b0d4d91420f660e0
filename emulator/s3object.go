package emulator

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file holds S3 objects: PutObject (small bodies, plain or aws-chunked with a trailing
// checksum, as the aws CLI sends them over https), and GetObject, HeadObject and DeleteObject,
// signed (path-style, through the pipeline) or unsigned on the data plane (dataplane.go). An
// object is held in memory whole; bodies are bounded by maxBody (2 MiB).

// s3Object is one object of a bucket.
type s3Object struct {
	body         []byte
	contentType  string
	cacheControl string
	etag         string // quoted MD5 of the body, as S3 gives a single-part upload
	modified     time.Time
	meta         map[string]string // x-amz-meta-* as sent (lower-case names)
}

// s3ObjectRoute names the object operation of a signed path-style request.
func (e *Emulator) s3ObjectRoute(method string, q map[string][]string) (s3Op, *apiError) {
	for k := range q {
		if k != "x-id" && !strings.HasPrefix(k, "X-Amz-") {
			return s3Op{}, errf("NotImplemented", "The emulator does not serve the %q subresource of an object.", k)
		}
	}
	switch method {
	case http.MethodPut:
		return s3Op{"PutObject", e.putObject}, nil
	case http.MethodGet:
		return s3Op{"GetObject", e.getObject}, nil
	case http.MethodHead:
		return s3Op{"HeadObject", e.getObject}, nil
	case http.MethodDelete:
		return s3Op{"DeleteObject", e.deleteObject}, nil
	}
	return s3Op{}, errf("NotImplemented", "The emulator does not serve %s on an object.", method)
}

func (e *Emulator) putObject(c *call, req s3Request) (any, error) {
	if req.header.Get("X-Amz-Copy-Source") != "" {
		return nil, errf("NotImplemented", "The emulator does not serve CopyObject.")
	}
	body, err := decodeObjectBody(req.header, req.body)
	if err != nil {
		return nil, err
	}
	if err := checkObjectIntegrity(req.header, body); err != nil {
		return nil, err
	}
	sum := md5.Sum(body)
	obj := &s3Object{body: body, contentType: req.header.Get("Content-Type"), cacheControl: req.header.Get("Cache-Control"),
		etag: `"` + hex.EncodeToString(sum[:]) + `"`, modified: c.Time.UTC().Truncate(time.Second), meta: map[string]string{}}
	if obj.contentType == "" {
		obj.contentType = "binary/octet-stream" // what S3 stores when none is given
	}
	for k, v := range req.header {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			obj.meta[name] = v[0]
		}
	}
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		if b.objects == nil {
			b.objects = map[string]*s3Object{}
		}
		b.objects[req.key] = obj
		return xmlAnswer{header: map[string]string{"ETag": obj.etag}}, nil
	})
}

// getObject answers a signed GetObject or HeadObject: the object, with the CORS headers the
// bucket's configuration gives the request's Origin (s3cors.go).
func (e *Emulator) getObject(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		return e.objectAnswerLocked(b, req.key, req.method, req.header), nil
	})
}

func (e *Emulator) deleteObject(c *call, req s3Request) (any, error) {
	return e.locked(c, func() (any, error) {
		b, err := e.bucketLocked(c, req.bucket)
		if err != nil {
			return nil, err
		}
		delete(b.objects, req.key) // S3 answers 204 whether or not the key existed
		return xmlAnswer{status: http.StatusNoContent}, nil
	})
}

// objectAnswer is a GET or HEAD answer about an object, or an S3 error about it, with the
// CORS headers of the request's evaluation. It is written as is, by either front end.
type objectAnswer struct {
	status int
	header http.Header
	body   []byte
	head   bool         // HEAD: the headers of the GET answer, no body
	err    *apiError    // an error document instead of the object
	cors   corsDecision // the CORS headers to add
}

// objectAnswerLocked looks the key up in b and answers method (GET or HEAD) with it.
func (e *Emulator) objectAnswerLocked(b *bucket, key, method string, h http.Header) objectAnswer {
	a := objectAnswer{head: method == http.MethodHead, cors: s3EvaluateCORS(b.cors, h.Get("Origin"), method, "")}
	obj, ok := b.objects[key]
	if !ok {
		a.err = errf("NoSuchKey", "The specified key does not exist.")
		a.err.Status = http.StatusNotFound
		a.err.Fields = [][2]string{{"Key", key}}
		return a
	}
	a.status = http.StatusOK
	a.header = http.Header{}
	a.header.Set("Content-Type", obj.contentType)
	a.header.Set("ETag", obj.etag)
	a.header.Set("Last-Modified", obj.modified.Format(http.TimeFormat))
	a.header.Set("Accept-Ranges", "bytes")
	if obj.cacheControl != "" {
		a.header.Set("Cache-Control", obj.cacheControl)
	}
	for k, v := range obj.meta {
		a.header.Set("X-Amz-Meta-"+k, v)
	}
	a.body = obj.body
	return a
}

// write writes the answer with S3's request id headers.
func (a objectAnswer) write(w http.ResponseWriter, requestID string) {
	a.cors.apply(w.Header())
	if a.err != nil {
		if a.head { // a HEAD error has no body: S3 sends the status alone
			setS3IDs(w, requestID)
			w.WriteHeader(a.err.Status)
			return
		}
		s3Protocol{}.writeError(w, requestID, a.err)
		return
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	setS3IDs(w, requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	if !a.head {
		_, _ = w.Write(a.body)
	}
}

// decodeObjectBody returns the object's bytes from a PutObject body: the body itself, or the
// data of an aws-chunked body (Content-Encoding aws-chunked, or an x-amz-content-sha256 of
// STREAMING-…), whose trailer may carry the checksum named in x-amz-trailer; that checksum is
// verified here. Chunk signatures are not verified (the emulator knows no secret). Format:
// "Amazon S3 API Reference, Signature Version 4: Authenticating Requests: Using the
// Authorization Header, Transferring Payload in Multiple Chunks" and "Uploading objects:
// Checking object integrity, Using trailing checksums".
func decodeObjectBody(h http.Header, body []byte) ([]byte, error) {
	mode := h.Get("X-Amz-Content-Sha256")
	if !strings.Contains(h.Get("Content-Encoding"), "aws-chunked") && !strings.HasPrefix(mode, "STREAMING-") {
		if h.Get("X-Amz-Trailer") != "" {
			return nil, errf("InvalidRequest", "x-amz-trailer is only valid with an aws-chunked body.")
		}
		return body, nil
	}
	incomplete := errf("IncompleteBody", "The request body terminated unexpectedly")
	r := bufio.NewReader(bytes.NewReader(body))
	var data []byte
	for {
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasSuffix(line, "\r\n") {
			return nil, incomplete
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSuffix(line, "\r\n"), ";") // ";chunk-signature=…"
		size, err := strconv.ParseUint(sizeHex, 16, 31)
		if err != nil {
			return nil, errf("InvalidRequest", "Invalid chunk size %q in the aws-chunked body.", sizeHex)
		}
		if size > uint64(maxBody) {
			return nil, errf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
		if size == 0 {
			break
		}
		chunk := make([]byte, size+2)
		if _, err := io.ReadFull(r, chunk); err != nil || string(chunk[size:]) != "\r\n" {
			return nil, incomplete
		}
		data = append(data, chunk[:size]...)
	}
	trailer := map[string]string{}
	for {
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break // the empty line after the trailer, or the end of a body without one
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, errf("MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema.")
		}
		trailer[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
		if err != nil {
			break
		}
	}
	if want := h.Get("X-Amz-Decoded-Content-Length"); want != "" && want != strconv.Itoa(len(data)) {
		return nil, incomplete
	}
	if name := strings.ToLower(strings.TrimSpace(h.Get("X-Amz-Trailer"))); name != "" {
		algo, ok := strings.CutPrefix(name, "x-amz-checksum-")
		sum, known := checksum(algo)
		if !ok || !known {
			return nil, errf("InvalidRequest", "The value specified in the x-amz-trailer header is not supported")
		}
		value, ok := trailer[name]
		if !ok {
			return nil, errf("MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema.")
		}
		sum.Write(data)
		if want, err := base64.StdEncoding.DecodeString(value); err != nil || !bytes.Equal(want, sum.Sum(nil)) {
			return nil, errf("BadDigest", "The %s you specified did not match the calculated checksum.", strings.ToUpper(algo))
		}
	}
	return data, nil
}

// checkObjectIntegrity verifies the optional Content-MD5 and x-amz-checksum-* headers of a
// PutObject against the object's bytes. Unlike PutBucketCors, PutObject requires neither.
func checkObjectIntegrity(h http.Header, body []byte) error {
	if md := h.Get("Content-Md5"); md != "" {
		want, err := base64.StdEncoding.DecodeString(md)
		if err != nil || len(want) != md5.Size {
			return errf("InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		if got := md5.Sum(body); !bytes.Equal(got[:], want) {
			return errf("BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
	}
	for name := range h {
		algo, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-checksum-")
		if !ok || algo == "type" || algo == "mode" {
			continue
		}
		sum, known := checksum(algo)
		if !known {
			return errf("InvalidRequest", "Value for x-amz-checksum-%s header is invalid.", algo)
		}
		sum.Write(body)
		want, err := base64.StdEncoding.DecodeString(h.Get(name))
		if err != nil || len(want) != sum.Size() {
			return errf("InvalidRequest", "Value for x-amz-checksum-%s header is invalid.", algo)
		}
		if !bytes.Equal(sum.Sum(nil), want) {
			return errf("BadDigest", "The %s you specified did not match the calculated checksum.", strings.ToUpper(algo))
		}
	}
	return nil
}

// ObjectInfo is a snapshot of an object, for tests.
type ObjectInfo struct {
	Body         []byte
	ContentType  string
	CacheControl string
	ETag         string
}

// Object returns a snapshot of an object and whether it exists.
func (e *Emulator) Object(bucketName, key string) (ObjectInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.buckets[bucketName]
	if !ok {
		return ObjectInfo{}, false
	}
	o, ok := b.objects[key]
	if !ok {
		return ObjectInfo{}, false
	}
	return ObjectInfo{Body: bytes.Clone(o.body), ContentType: o.contentType, CacheControl: o.cacheControl, ETag: o.etag}, true
}

// PutObject stores an object directly, without a call or an event: state a test starts from.
func (e *Emulator) PutObject(bucketName, key, contentType string, body []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.buckets[bucketName]
	if !ok {
		return fmt.Errorf("put object %s/%s: no such bucket", bucketName, key)
	}
	if key == "" {
		return fmt.Errorf("put object in %s: empty key", bucketName)
	}
	if contentType == "" {
		contentType = "binary/octet-stream"
	}
	if b.objects == nil {
		b.objects = map[string]*s3Object{}
	}
	sum := md5.Sum(body)
	b.objects[key] = &s3Object{body: bytes.Clone(body), contentType: contentType, etag: `"` + hex.EncodeToString(sum[:]) + `"`,
		modified: e.clock.Now().UTC().Truncate(time.Second), meta: map[string]string{}}
	return nil
}
