package emulator

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"net/http"
	"testing"
)

// The data plane's parsers never panic: an aws-chunked body either decodes to bytes whose
// trailing checksum matches, or is refused with an API error; a DistributionConfig is either
// accepted whole or refused; an S3 Host is read back as the bucket and Region it names.

func FuzzDecodeAwsChunked(f *testing.F) {
	sum := crc32.ChecksumIEEE([]byte("hello"))
	good := fmt.Sprintf("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n", base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)}))
	f.Add([]byte(good), "x-amz-checksum-crc32")
	f.Add([]byte("5;chunk-signature=ab\r\nhello\r\n0;chunk-signature=cd\r\n\r\n"), "")
	f.Add([]byte("ffffffff\r\n"), "")
	f.Add([]byte("0\r\nx-amz-checksum-sha256:AAAA\r\n"), "x-amz-checksum-sha256")
	f.Fuzz(func(t *testing.T, body []byte, trailer string) {
		h := http.Header{}
		h.Set("Content-Encoding", "aws-chunked")
		if trailer != "" {
			h.Set("X-Amz-Trailer", trailer)
		}
		data, err := decodeObjectBody(h, body)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("not an API error: %v", err)
			}
			return
		}
		if len(data) > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte body", len(data), len(body))
		}
	})
}

func FuzzDistributionConfig(f *testing.F) {
	f.Add([]byte(`<DistributionConfig><CallerReference>r</CallerReference><Origins><Quantity>1</Quantity><Items><Origin><Id>s3</Id><DomainName>b.s3.amazonaws.com</DomainName></Origin></Items></Origins>` +
		`<DefaultCacheBehavior><TargetOriginId>s3</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId>` +
		`<AllowedMethods><Quantity>3</Quantity><Items><Method>GET</Method><Method>HEAD</Method><Method>OPTIONS</Method></Items></AllowedMethods></DefaultCacheBehavior>` +
		`<CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/a/*</PathPattern><TargetOriginId>s3</TargetOriginId><ViewerProtocolPolicy>https-only</ViewerProtocolPolicy><ForwardedValues><Headers><Quantity>1</Quantity><Items><Name>Origin</Name></Items></Headers></ForwardedValues></CacheBehavior></Items></CacheBehaviors>` +
		`<Comment></Comment><Enabled>true</Enabled></DistributionConfig>`))
	f.Add([]byte(`<DistributionConfig><Origins><Quantity>2</Quantity></Origins></DistributionConfig>`))
	f.Add([]byte(`<x/>`))
	e := New()
	f.Fuzz(func(t *testing.T, body []byte) {
		e.mu.Lock()
		defer e.mu.Unlock()
		_, d, err := e.parseDistributionConfigLocked(body)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("not an API error: %v", err)
			}
			return
		}
		if _, ok := d.origin(d.DefaultBehavior.TargetOriginID); !ok || len(d.DefaultBehavior.allowedMethods()) < 2 {
			t.Fatalf("accepted a default behaviour without its origin or methods: %+v", d)
		}
		for _, b := range d.Behaviors {
			if _, ok := d.origin(b.TargetOriginID); !ok || b.PathPattern == "" {
				t.Fatalf("accepted a behaviour without its origin or path: %+v", b)
			}
		}
	})
}

func FuzzS3Host(f *testing.F) {
	f.Add("media.s3.us-east-1.amazonaws.com")
	f.Add("my.dotted.bucket.s3-eu-west-1.amazonaws.com")
	f.Add("s3.amazonaws.com")
	f.Add(".amazonaws.com")
	f.Fuzz(func(t *testing.T, host string) {
		h, ok := parseS3Host(host)
		if !ok {
			return
		}
		name := "s3"
		if h.region != "" {
			name += "." + h.region
		}
		if h.bucket != "" {
			name = h.bucket + "." + name
		}
		again, ok := parseS3Host(name + ".amazonaws.com")
		if !ok || again != h {
			t.Fatalf("%q read as %+v, and %q as %+v", host, h, name+".amazonaws.com", again)
		}
	})
}
