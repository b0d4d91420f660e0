package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// State is the seed state file of the standalone emulator: the containers, buckets and
// parameters the account starts with. Example:
//
//	{
//	  "containers": [
//	    {"name": "movies", "corsPolicy": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["*"]}]},
//	    {"name": "live", "status": "CREATING", "tags": {"corsguard:exempt": "true"}}
//	  ],
//	  "buckets": [
//	    {"name": "media-eu", "corsPolicy": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "POST"]}]},
//	    {"name": "elsewhere", "region": "eu-west-1"}
//	  ],
//	  "parameters": [
//	    {"name": "/corsguard/baseline", "type": "String", "value": "[...]", "description": "CORS baseline"}
//	  ],
//	  "queues": [
//	    {"name": "work-dlq.fifo", "attributes": {"FifoQueue": "true"}},
//	    {"name": "work.fifo", "attributes": {"FifoQueue": "true", "VisibilityTimeout": "300",
//	      "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:012345678912:work-dlq.fifo\",\"maxReceiveCount\":5}"}}
//	  ],
//	  "functions": [
//	    {"name": "orders", "aliases": ["live"], "tags": {"team": "shop"},
//	     "urls": [{"authType": "AWS_IAM", "invokeMode": "RESPONSE_STREAM", "cors": {"AllowOrigins": ["*"]}},
//	              {"qualifier": "live", "cors": {"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET"]}}]}
//	  ],
//	  "apis": [
//	    {"id": "a1b2c3d4e5", "name": "orders", "corsConfiguration": {"AllowOrigins": ["*"], "AllowMethods": ["*"]}},
//	    {"name": "chat", "protocolType": "WEBSOCKET"}
//	  ]
//	}
type State struct {
	Containers []SeedContainer `json:"containers"`
	Buckets    []SeedBucket    `json:"buckets"`
	Parameters []SeedParameter `json:"parameters"`
	Queues     []SeedQueue     `json:"queues,omitempty"`
	Functions  []SeedFunction  `json:"functions,omitempty"`
	APIs       []SeedAPI       `json:"apis,omitempty"`
}

// SeedQueue is an SQS queue in a State: CreateQueue's name and attributes. Queues are
// created in order, so a dead-letter queue comes before the queues that name it.
type SeedQueue struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// SeedContainer is a container in a State. Status is ACTIVE when empty; CorsPolicy is a rule
// array or {"CorsPolicy": [...]} (what `aws mediastore get-cors-policy` prints).
type SeedContainer struct {
	Name       string            `json:"name"`
	Status     string            `json:"status,omitempty"`
	CorsPolicy json.RawMessage   `json:"corsPolicy,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// SeedBucket is an S3 bucket in a State. Region is the emulator's when empty; CorsPolicy is
// read as for a container and must pass S3's rules.
type SeedBucket struct {
	Name       string            `json:"name"`
	Region     string            `json:"region,omitempty"`
	CorsPolicy json.RawMessage   `json:"corsPolicy,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// SeedParameter is a parameter in a State. Type is String when empty.
type SeedParameter struct {
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// LoadState reads a State document from r (unknown fields are an error) and seeds the
// emulator with it.
func (e *Emulator) LoadState(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("parse state: %w", err)
	}
	return e.Seed(s)
}

// Seed adds the containers, buckets, parameters, queues, functions and APIs of s, without
// events or call counts.
func (e *Emulator) Seed(s State) error {
	for _, c := range s.Containers {
		if err := e.SeedContainer(c.Name, c.Status, rawOrNil(c.CorsPolicy), c.Tags); err != nil {
			return err
		}
	}
	for _, b := range s.Buckets {
		if err := e.SeedBucket(b.Name, b.Region, rawOrNil(b.CorsPolicy), b.Tags); err != nil {
			return err
		}
	}
	for _, p := range s.Parameters {
		if err := e.SeedParameter(p.Name, p.Type, p.Value, p.Description); err != nil {
			return err
		}
	}
	for _, q := range s.Queues {
		if err := e.SeedQueue(q.Name, q.Attributes); err != nil {
			return err
		}
	}
	for _, f := range s.Functions {
		if err := e.SeedFunction(f); err != nil {
			return err
		}
	}
	for _, a := range s.APIs {
		if _, err := e.SeedAPI(a); err != nil {
			return err
		}
	}
	return nil
}

// rawOrNil keeps an absent policy absent (a nil json.RawMessage encodes as null anyway).
func rawOrNil(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return raw
}
