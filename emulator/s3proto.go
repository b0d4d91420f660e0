package emulator

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
)

// This file is the Amazon S3 front end: REST-XML requests (those signed for "s3"), path-style
// (http://host/<bucket>/<key>?<subresource>) or virtual-hosted-style (the bucket in a Host of
// S3's shape, BUCKET.s3.REGION.amazonaws.com: dataplane.go). Unsigned requests to such a
// Host are the data plane's (dataplane.go).

// s3Namespace is the XML namespace of S3's documents.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3Op is one S3 operation the emulator serves.
type s3Op struct {
	name string
	run  func(c *call, req s3Request) (any, error)
}

// s3Request is what an S3 operation reads from its HTTP request.
type s3Request struct {
	bucket string
	key    string // an object's key; "" for a bucket call
	method string
	query  map[string][]string
	header http.Header
	host   string
	body   []byte
}

// xmlAnswer is a successful REST-XML answer (S3, CloudFront): its status (200 when zero), extra headers, and an XML
// document (nil: no body).
type xmlAnswer struct {
	status int
	header map[string]string
	body   any
}

// serveS3 routes a REST-XML request to its S3 operation on the method, the path and the
// subresource in the query string.
func (e *Emulator) serveS3(w http.ResponseWriter, r *http.Request) {
	p := s3Protocol{}
	bucket, key := s3BucketAndKey(r)
	q := r.URL.Query()
	op, aerr := e.s3Route(r.Method, bucket, key, q)
	if aerr != nil {
		p.writeError(w, e.requestID(), aerr)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		p.writeError(w, e.requestID(), errf("IncompleteBody", "read request: %v", err))
		return
	}
	if len(body) > maxBody {
		p.writeError(w, e.requestID(), errf("MaxMessageLengthExceeded", "Your request was too big."))
		return
	}
	req := s3Request{bucket: bucket, key: key, method: r.Method, query: q, header: r.Header, host: r.Host, body: body}
	c := &call{Service: "s3", Op: op.name, Resource: bucket}
	e.handle(w, r, p, c, func(c *call) (any, error) {
		// ExpectedBucketOwner (x-amz-expected-bucket-owner): a bucket call that names an account
		// other than the bucket's owner is refused with 403 AccessDenied, as S3 does (S3 User
		// Guide, "Verifying bucket ownership with bucket owner condition"). Every bucket of the
		// emulator is its account's.
		if owner := r.Header.Get("X-Amz-Expected-Bucket-Owner"); bucket != "" && owner != "" && owner != e.account {
			return nil, errf("AccessDenied", "Access Denied")
		}
		return op.run(c, req)
	})
}

// s3Route names the operation of a request, or answers why none is served.
func (e *Emulator) s3Route(method, bucket, key string, q map[string][]string) (s3Op, *apiError) {
	if bucket == "" {
		if method == http.MethodGet {
			return s3Op{"ListBuckets", e.listBuckets}, nil
		}
		return s3Op{}, errf("MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
	if key != "" {
		return e.s3ObjectRoute(method, q)
	}
	type route struct {
		method, sub string
	}
	// One subresource at most, and none the emulator does not know: PUT /bucket?website must
	// not create a bucket.
	sub := ""
	for k := range q {
		switch {
		case k == "x-id", strings.HasPrefix(k, "X-Amz-"): // the SDK's operation hint; a presigned request's signature
		case (k == "cors" || k == "tagging" || k == "location") && sub == "":
			sub = k
		default:
			return s3Op{}, errf("NotImplemented", "The emulator does not serve the %q subresource of a bucket.", k)
		}
	}
	ops := map[route]s3Op{
		{http.MethodPut, ""}:           {"CreateBucket", e.createBucket},
		{http.MethodHead, ""}:          {"HeadBucket", e.headBucket},
		{http.MethodDelete, ""}:        {"DeleteBucket", e.deleteBucket},
		{http.MethodGet, "location"}:   {"GetBucketLocation", e.getBucketLocation},
		{http.MethodGet, "cors"}:       {"GetBucketCors", e.getBucketCors},
		{http.MethodPut, "cors"}:       {"PutBucketCors", e.putBucketCors},
		{http.MethodDelete, "cors"}:    {"DeleteBucketCors", e.deleteBucketCors},
		{http.MethodGet, "tagging"}:    {"GetBucketTagging", e.getBucketTagging},
		{http.MethodPut, "tagging"}:    {"PutBucketTagging", e.putBucketTagging},
		{http.MethodDelete, "tagging"}: {"DeleteBucketTagging", e.deleteBucketTagging},
	}
	op, ok := ops[route{method, sub}]
	if !ok {
		return s3Op{}, errf("NotImplemented", "The emulator does not serve %s %s on a bucket.", method, sub)
	}
	return op, nil
}

// s3Protocol writes S3's REST-XML answers.
type s3Protocol struct{}

func (s3Protocol) writeResult(w http.ResponseWriter, requestID string, out any) {
	if a, ok := out.(objectAnswer); ok {
		a.write(w, requestID)
		return
	}
	writeXML(w, out, "application/xml", func() { setS3IDs(w, requestID) },
		func(err *apiError) { s3Protocol{}.writeError(w, requestID, err) })
}

// writeXML writes a successful REST-XML answer (S3's, CloudFront's): out is an xmlAnswer or a
// bare body; ids sets the protocol's request id headers. An answer that cannot be encoded goes
// to fail as an InternalError.
func writeXML(w http.ResponseWriter, out any, contentType string, ids func(), fail func(*apiError)) {
	a, ok := out.(xmlAnswer)
	if !ok {
		a = xmlAnswer{body: out}
	}
	var body []byte
	if a.body != nil {
		data, err := xml.Marshal(a.body)
		if err != nil {
			fail(errf("InternalError", "emulator: encode answer: %v", err))
			return
		}
		body = append([]byte(xml.Header), data...)
		w.Header().Set("Content-Type", contentType)
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	ids()
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	status := a.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError writes err as S3 does: <Error><Code/><Message/><RequestId/><HostId/></Error>. The
// pipeline's own codes (authentication, injected throttling and internal errors) become the
// codes S3 uses for them, and the status is S3's for the code.
func (s3Protocol) writeError(w http.ResponseWriter, requestID string, err *apiError) {
	code, msg, status := s3Error(err)
	type field struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	}
	doc := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Fields    []field
		RequestID string `xml:"RequestId"`
		HostID    string `xml:"HostId"`
	}{Code: code, Message: msg, RequestID: requestID, HostID: hostID(requestID)}
	for _, f := range err.Fields {
		doc.Fields = append(doc.Fields, field{XMLName: xml.Name{Local: f[0]}, Value: f[1]})
	}
	body, _ := xml.Marshal(doc)
	for k, v := range err.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/xml")
	setS3IDs(w, requestID)
	w.Header().Set("Content-Length", fmt.Sprint(len(xml.Header)+len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(body)
}

func setS3IDs(w http.ResponseWriter, requestID string) {
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.Header().Set("X-Amz-Id-2", hostID(requestID))
}

// hostID is the opaque "extended request ID" S3 answers beside the request ID.
func hostID(requestID string) string {
	sum := sha256.Sum256([]byte(requestID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// s3Error translates an error answer to S3's code, message and HTTP status.
func s3Error(err *apiError) (code, msg string, status int) {
	code, msg = err.Code, err.Message
	switch code {
	case "ThrottlingException":
		code, msg = "SlowDown", "Please reduce your request rate."
	case "InternalServerError", "InternalFailure", "InternalServerException":
		code, msg = "InternalError", "We encountered an internal error. Please try again."
	case "ServiceUnavailableException":
		code = "ServiceUnavailable"
	case "MissingAuthenticationTokenException":
		code, msg = "AccessDenied", "Access Denied"
	case "IncompleteSignatureException":
		code = "AuthorizationHeaderMalformed"
	}
	switch code {
	case "PermanentRedirect":
		status = http.StatusMovedPermanently
	case "AccessDenied", "AccessForbidden", "CORSResponse":
		status = http.StatusForbidden
	case "NoSuchBucket", "NoSuchKey", "NoSuchCORSConfiguration", "NoSuchTagSet":
		status = http.StatusNotFound
	case "MethodNotAllowed":
		status = http.StatusMethodNotAllowed
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists", "BucketNotEmpty", "OperationAborted":
		status = http.StatusConflict
	case "InternalError":
		status = http.StatusInternalServerError
	case "NotImplemented":
		status = http.StatusNotImplemented
	case "SlowDown", "ServiceUnavailable":
		status = http.StatusServiceUnavailable
	default:
		status = http.StatusBadRequest
	}
	return code, msg, status
}

// checksum returns a new hash of the x-amz-checksum-* algorithm S3 accepts under the header
// suffix algo, or false for one it does not.
func checksum(algo string) (hash.Hash, bool) {
	switch algo {
	case "crc32":
		return crc32.NewIEEE(), true
	case "crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), true
	case "crc64nvme":
		return crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5)), true // CRC-64/NVME, reflected
	case "sha1":
		return sha1.New(), true
	case "sha256":
		return sha256.New(), true
	case "sha512":
		return sha512.New(), true
	}
	return nil, false
}

// checkIntegrity verifies the integrity headers S3 requires on PutBucketCors and
// PutBucketTagging: Content-MD5 or one x-amz-checksum-<algorithm> (the SDK sends CRC32 by
// default, with x-amz-sdk-checksum-algorithm naming it). Each one present must match the body.
func checkIntegrity(h http.Header, body []byte) error {
	if enc := h.Get("Content-Encoding"); strings.Contains(enc, "aws-chunked") || h.Get("X-Amz-Trailer") != "" {
		return errf("NotImplemented", "The emulator does not decode aws-chunked bodies or checksum trailers.")
	}
	if md := h.Get("Content-Md5"); md != "" {
		want, err := base64.StdEncoding.DecodeString(md)
		if err != nil || len(want) != md5.Size {
			return errf("InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		if got := md5.Sum(body); !bytes.Equal(got[:], want) {
			return errf("BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
	}
	var algo string
	for name := range h {
		if a, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-checksum-"); ok && a != "type" && a != "mode" {
			if algo != "" {
				return errf("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			algo = a
		}
	}
	if sdk := h.Get("X-Amz-Sdk-Checksum-Algorithm"); sdk != "" {
		if _, ok := checksum(strings.ToLower(sdk)); !ok {
			return errf("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		if algo != strings.ToLower(sdk) {
			return errf("InvalidRequest", "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		}
	}
	if algo == "" {
		if h.Get("Content-Md5") == "" {
			return errf("InvalidRequest", "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
		}
		return nil
	}
	sum, ok := checksum(algo)
	header := "x-amz-checksum-" + algo
	if !ok {
		return errf("InvalidRequest", "Value for %s header is invalid.", header)
	}
	want, err := base64.StdEncoding.DecodeString(h.Get(header))
	sum.Write(body)
	if err != nil || len(want) != sum.Size() {
		return errf("InvalidRequest", "Value for %s header is invalid.", header)
	}
	if !bytes.Equal(sum.Sum(nil), want) {
		return errf("BadDigest", "The %s you specified did not match the calculated checksum.", strings.ToUpper(algo))
	}
	return nil
}

// decodeXML reads an S3 request document into v, whose XMLName field names the root element.
// A body that is not well-formed, has another root or more than one is MalformedXML; the
// caller checks v's extra fields for elements the schema does not have.
func decodeXML(body []byte, v any) error {
	malformed := errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return malformed
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if _, elem := tok.(xml.StartElement); elem || err != nil {
			return malformed
		}
	}
}

// extra catches the elements a document's schema does not have.
type extra []struct {
	XMLName xml.Name
}
