package findings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/sqsbatch"
)

// The findings queue (docs/security-hub.md, "The publisher"): on the work queue's path the
// workers never call Security Hub. Each worker batch hands the findings it decided to a
// standard SQS queue, packed into as few messages as fit; a publisher, fed by that queue's
// event source mapping in large batches at a fixed MaximumConcurrency of 2, decides which
// findings changed (GetFindings by Id, 20 Ids to a call: Security Hub's limit of filter values)
// and imports those 100 to a BatchImportFindings call. Security Hub's account-wide quotas then
// see two importers whatever the number of workers.

// MaxMessageBytes is the most bytes a findings message carries: 256 KiB, what every SQS queue
// accepts whatever its MaximumMessageSize (the default was 256 KiB before SQS raised the limit
// to 1 MiB), so four messages always fit the 1 MiB a SendMessageBatch carries in total.
const MaxMessageBytes = 256 << 10

// maxBatchBytes is the most a SendMessageBatch carries, all entries together (botocore's SQS
// model: "the maximum total payload size ... 1 MiB").
const maxBatchBytes = 1 << 20

// messageVersion is the version of the findings message's shape.
const messageVersion = 1

// message is the body of one findings queue message: the findings of one worker batch (or
// part of it) and where they go.
type message struct {
	Version   int       `json:"corsguard_findings"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Partition string    `json:"partition,omitempty"`
	Findings  []Finding `json:"findings"`
	// Checked names the findings (by Id) that the worker compared with the previous finding
	// its sweep's listing read and found changed: the publisher imports them without reading
	// them back. A message without it (an event's findings, an older corsguard's) is read
	// back whole.
	Checked []string `json:"checked,omitempty"`
}

// Pack encodes fs for scope into as few message bodies as fit MaxMessageBytes each, in order;
// each body names which of its findings checked holds (Checked). A finding that alone does not
// fit (ASFF's own limits keep corsguard's findings far below it) is an error.
func Pack(scope Scope, fs []Finding, checked map[string]bool) ([]string, error) {
	head, err := json.Marshal(message{Version: messageVersion, Account: scope.Account, Region: scope.Region, Partition: scope.Partition, Findings: []Finding{}})
	if err != nil {
		return nil, err
	}
	prefix := head[:len(head)-2] // without "]}"
	var bodies []string
	var cur bytes.Buffer
	var ids []string
	n, idBytes := 0, 0
	flush := func() {
		if n > 0 {
			cur.WriteString("]")
			if len(ids) > 0 {
				b, _ := json.Marshal(ids) // strings: cannot fail
				cur.WriteString(`,"checked":`)
				cur.Write(b)
			}
			cur.WriteString("}")
			bodies = append(bodies, cur.String())
		}
		cur.Reset()
		n, idBytes, ids = 0, 0, nil
	}
	const checkedKey = len(`,"checked":[]`)
	for _, f := range fs {
		b, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		idb := 0
		if checked[f.ID] {
			q, _ := json.Marshal(f.ID) // a string: cannot fail
			idb = len(q) + 1           // and a comma
		}
		if len(prefix)+len(b)+2+checkedKey+idb > MaxMessageBytes {
			return nil, fmt.Errorf("finding %s: %d bytes do not fit one findings message", f.ID, len(b))
		}
		if n > 0 && cur.Len()+1+len(b)+2+checkedKey+idBytes+idb > MaxMessageBytes {
			flush()
		}
		if n == 0 {
			cur.Write(prefix)
		} else {
			cur.WriteByte(',')
		}
		cur.Write(b)
		if idb > 0 {
			ids, idBytes = append(ids, f.ID), idBytes+idb
		}
		n++
	}
	flush()
	return bodies, nil
}

var accountID = regexp.MustCompile(`^\d{12}$`)

// DecodeMessage reads one findings message as strictly as a work queue message: unknown or
// duplicate fields, trailing data, another version, an account that is not 12 digits, and a
// finding of another account, product or generator than corsguard's, or without a timestamp,
// are refused with a terminal error (no retry reads it better) that names the problem. checked
// holds the Ids of the message's Checked list, each one of its findings'.
func DecodeMessage(body string) (Scope, []Finding, map[string]bool, error) {
	s, fs, m, err := decodeMessage(body)
	if err != nil {
		return Scope{}, nil, nil, enforce.Terminal(fmt.Errorf("findings message: %w", err))
	}
	var checked map[string]bool
	for _, id := range m.Checked {
		if checked == nil {
			checked = map[string]bool{}
		}
		checked[id] = true
	}
	return s, fs, checked, nil
}

func decodeMessage(body string) (Scope, []Finding, message, error) {
	if len(body) > MaxMessageBytes {
		return Scope{}, nil, message{}, fmt.Errorf("%d bytes, more than %d", len(body), MaxMessageBytes)
	}
	if err := noDuplicateKeys(body); err != nil {
		return Scope{}, nil, message{}, err
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var m message
	if err := dec.Decode(&m); err != nil {
		return Scope{}, nil, message{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Scope{}, nil, message{}, errors.New("data after the message")
	}
	switch {
	case m.Version != messageVersion:
		return Scope{}, nil, message{}, fmt.Errorf("corsguard_findings: version %d, want %d", m.Version, messageVersion)
	case !accountID.MatchString(m.Account):
		return Scope{}, nil, message{}, fmt.Errorf("account: %q is not 12 digits", m.Account)
	case m.Region == "" || len(m.Region) > 64:
		return Scope{}, nil, message{}, fmt.Errorf("region: %q", m.Region)
	case m.Partition != "" && m.Partition != "aws" && m.Partition != "aws-cn" && m.Partition != "aws-us-gov":
		return Scope{}, nil, message{}, fmt.Errorf("partition: %q", m.Partition)
	case len(m.Findings) == 0:
		return Scope{}, nil, message{}, errors.New("findings: none")
	}
	s := Scope{Account: m.Account, Region: m.Region, Partition: m.Partition}
	for i, f := range m.Findings {
		if err := checkFinding(s, f); err != nil {
			return Scope{}, nil, message{}, fmt.Errorf("findings[%d]: %w", i, err)
		}
	}
	ids := map[string]bool{}
	for _, f := range m.Findings {
		ids[f.ID] = true
	}
	for i, id := range m.Checked {
		if !ids[id] {
			return Scope{}, nil, message{}, fmt.Errorf("checked[%d]: %q is not one of the message's findings", i, id)
		}
	}
	return s, m.Findings, m, nil
}

// checkFinding refuses a finding that corsguard's workers would not have built for s.
func checkFinding(s Scope, f Finding) error {
	switch {
	case !strings.HasPrefix(f.ID, "corsguard/"+s.Account+"/") || len(f.ID) > 512:
		return fmt.Errorf("finding Id %q is not one of corsguard's in account %s", f.ID, s.Account)
	case f.AwsAccountID != s.Account:
		return fmt.Errorf("field AwsAccountId %q is not %s", f.AwsAccountID, s.Account)
	case f.ProductARN != s.ProductARN():
		return fmt.Errorf("field ProductArn %q is not %s", f.ProductARN, s.ProductARN())
	case !strings.HasPrefix(f.GeneratorID, GeneratorID("")):
		return fmt.Errorf("field GeneratorId %q is not corsguard's", f.GeneratorID)
	case f.SchemaVersion != SchemaVersion:
		return fmt.Errorf("field SchemaVersion %q", f.SchemaVersion)
	case f.RecordState != Active && f.RecordState != Archived:
		return fmt.Errorf("field RecordState %q", f.RecordState)
	case f.Severity == nil || f.Title == "" || len(f.Resources) == 0:
		return errors.New("a finding needs Severity, Title and Resources")
	}
	for _, ts := range []string{f.CreatedAt, f.UpdatedAt} {
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			return fmt.Errorf("timestamp %q: %w", ts, err)
		}
	}
	return nil
}

// noDuplicateKeys refuses a JSON document in which an object names a key twice
// (encoding/json would keep the last one silently).
func noDuplicateKeys(body string) error {
	dec := json.NewDecoder(strings.NewReader(body))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValue(stack)
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return fmt.Errorf("key %q appears twice", k)
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			markValue(stack)
		default:
			markValue(stack)
		}
	}
}

// frame is one open object or array of noDuplicateKeys.
type frame struct {
	object bool
	keys   map[string]bool
	key    bool // the next token of an object is a key
}

// markValue notes that the innermost object's value was read: a key comes next.
func markValue(stack []*frame) {
	if len(stack) > 0 && stack[len(stack)-1].object {
		stack[len(stack)-1].key = true
	}
}

// OutboxAPI is the part of SQS an Outbox calls; *sqs.Client satisfies it.
type OutboxAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ OutboxAPI = (*sqs.Client)(nil)

// OutboxActions lists the IAM actions of an Outbox's calls (SendMessageBatch is allowed by
// sqs:SendMessage), and QueueMappingActions those of the findings queue's event source
// mapping. The template grants them on the findings queue only, and a test holds it to these.
func OutboxActions() []string { return []string{"sqs:SendMessage"} }

// QueueMappingActions lists the IAM actions Lambda's event source mapping needs on the
// findings queue.
func QueueMappingActions() []string {
	return []string{"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}
}

// Outbox hands findings to the findings queue at one URL. It is safe for concurrent use.
type Outbox struct {
	api OutboxAPI
	url string
}

// NewOutbox returns the findings queue at url, reached through api.
func NewOutbox(api OutboxAPI, url string) *Outbox { return &Outbox{api: api, url: url} }

// URL is the findings queue's URL; its path names the account and queue whose records alone
// the publisher acts on.
func (o *Outbox) URL() string { return o.url }

// Hand puts fs on the findings queue for scope (checked: the Ids the worker found changed
// against its listing's previous findings, which the publisher need not read back): packed into as few messages as fit (Pack), up
// to ten messages and 1 MiB to a SendMessageBatch call, and returns the number of messages
// sent. Entries SQS refuses are sent again twice. A denied call, or a queue that does not
// exist, is terminal (no retry of the batch can fix it); other errors are retryable.
func (o *Outbox) Hand(ctx context.Context, scope Scope, fs []Finding, checked map[string]bool) (int, error) {
	if len(fs) == 0 {
		return 0, nil
	}
	bodies, err := Pack(scope, fs, checked)
	if err != nil {
		return 0, enforce.Terminal(err)
	}
	sent := 0
	for len(bodies) > 0 {
		n, size := 0, 0
		for n < len(bodies) && n < 10 && size+len(bodies[n]) <= maxBatchBytes {
			size += len(bodies[n])
			n++
		}
		if err := o.send(ctx, bodies[:n]); err != nil {
			return sent, err
		}
		sent += n
		bodies = bodies[n:]
	}
	return sent, nil
}

func (o *Outbox) send(ctx context.Context, bodies []string) error {
	entries := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
	}
	err := sqsbatch.Send(ctx, o.api, o.url, entries, nil, func(id string) string { return "findings message " + id })
	if err != nil {
		return classifySQS(fmt.Errorf("findings: %w", err))
	}
	return nil
}

// classifySQS makes a denied call or a missing queue terminal.
func classifySQS(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
			"KmsAccessDenied", "KMS.AccessDeniedException", "InvalidAddress":
			return enforce.Terminal(err)
		}
	}
	return err
}
