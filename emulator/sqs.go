package emulator

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"maps"
)

// Amazon SQS limits and defaults the emulator enforces (Amazon SQS Developer Guide, "Amazon
// SQS quotas"; the API reference of each operation).
const (
	sqsMaxBatch            = 10
	sqsMaxVisibility       = 43200 // seconds, 12 hours
	sqsMaxDelay            = 900
	sqsMaxWait             = 20
	sqsMaxMessageSize      = 1 << 20 // 1 MiB since August 2025
	sqsMaxBatchSize        = 1 << 20 // a SendMessageBatch's messages together
	sqsMinMessageSize      = 1024
	sqsMinRetention        = 60
	sqsMaxRetention        = 1209600 // 14 days
	sqsDefaultRetention    = 345600  // 4 days
	sqsDefaultVisibility   = 30
	sqsMaxReceiveCount     = 1000
	sqsDedupWindow         = 5 * time.Minute
	sqsPurgeInterval       = 60 * time.Second
	sqsDeletedQueueHold    = 60 * time.Second
	sqsMaxGroupIDChars     = 128
	sqsMaxQueueNameChars   = 80
	sqsDefaultListResults  = 1000
	sqsMaxListQueueResults = 1000
)

var (
	// queueNameRe: alphanumeric characters, hyphens and underscores, 1 to 80 in length (a
	// FIFO queue's name includes its .fifo suffix).
	queueNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// batchIDRe: a batch entry Id, "alphanumeric characters, hyphens and underscores, at most
	// 80 characters".
	batchIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	// groupIDRe: MessageGroupId and MessageDeduplicationId, "alphanumeric characters (a-z,
	// A-Z, 0-9) and punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~)".
	groupIDRe = regexp.MustCompile("^[A-Za-z0-9!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]+$")
)

// sqsQueue is one queue: its attributes and its messages in the order they were sent.
type sqsQueue struct {
	name     string
	arn      string
	fifo     bool
	created  time.Time
	modified time.Time

	attrs map[string]string // the settable attributes, as SQS reports them

	visibility   time.Duration
	delay        time.Duration
	retention    time.Duration
	maxSize      int
	wait         int // ReceiveMessageWaitTimeSeconds
	contentDedup bool
	groupDedup   bool // DeduplicationScope messageGroup
	redrive      *redrivePolicy

	head, tail *sqsMessage            // messages in send order (a doubly linked list)
	byID       map[string]*sqsMessage // by MessageId
	dedup      map[string]dedupEntry  // by deduplication key
	dedupOrder []dedupKey             // keys in the order they expire
	seq        uint64                 // the last SequenceNumber given
	purged     time.Time              // the last PurgeQueue
}

type dedupKey struct {
	key     string
	expires time.Time
}

// dedupEntry is what a duplicate send answers with: the original message's id and number.
type dedupEntry struct {
	messageID string
	seq       string
	expires   time.Time
}

// redrivePolicy is a queue's RedrivePolicy.
type redrivePolicy struct {
	target     string // the dead-letter queue's ARN
	maxReceive int
}

// sqsMessage is one message in a queue.
type sqsMessage struct {
	prev, next *sqsMessage

	id      string
	body    string
	md5     string
	groupID string
	dedupID string
	seq     string
	sender  string
	sent    time.Time
	// enqueued starts the retention period: the send, or the move to a FIFO dead-letter queue,
	// which resets it (a standard one keeps the original; SQS Developer Guide, "Using
	// dead-letter queues": "For FIFO queues, the enqueue timestamp resets when the message is
	// moved to a dead-letter queue").
	enqueued  time.Time
	dlqSource string // the ARN of the queue it was dead-lettered from
	attrs     map[string]messageAttr

	visibleAt    time.Time // not deliverable before (delay or visibility timeout)
	inFlight     bool      // received and not deleted since: in flight until visibleAt (inFlightAt)
	receivedAt   time.Time // the current receive, for the 12-hour visibility limit
	receives     int
	firstReceive time.Time
	receipt      string // the receipt handle of the latest receive
}

func (q *sqsQueue) push(m *sqsMessage) {
	m.prev, m.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = m
	} else {
		q.head = m
	}
	q.tail = m
	q.byID[m.id] = m
}

func (q *sqsQueue) remove(m *sqsMessage) {
	if m.prev != nil {
		m.prev.next = m.next
	} else {
		q.head = m.next
	}
	if m.next != nil {
		m.next.prev = m.prev
	} else {
		q.tail = m.prev
	}
	m.prev, m.next = nil, nil
	delete(q.byID, m.id)
}

// inFlightAt reports whether m is in flight at now: received, and its visibility timeout not
// yet over. (The flag alone stays set after the timeout; no walk over the queue clears it.)
func (m *sqsMessage) inFlightAt(now time.Time) bool { return m.inFlight && now.Before(m.visibleAt) }

// expire drops the messages older than the retention period and forgets deduplication ids
// older than five minutes. Both are kept in the order they were added, so each loop stops at
// the first entry young enough, and a request pays only for what expired. (A message moved in
// from a source queue keeps its sent time and is dropped once it reaches the head.)
func (q *sqsQueue) expire(now time.Time) {
	for q.head != nil && now.Sub(q.head.enqueued) >= q.retention {
		q.remove(q.head)
	}
	for len(q.dedupOrder) > 0 && !now.Before(q.dedupOrder[0].expires) {
		k := q.dedupOrder[0]
		q.dedupOrder = q.dedupOrder[1:]
		if e, ok := q.dedup[k.key]; ok && !now.Before(e.expires) {
			delete(q.dedup, k.key)
		}
	}
}

// counts returns the numbers of visible, in-flight and delayed messages.
func (q *sqsQueue) counts(now time.Time) (visible, inFlight, delayed int) {
	for m := q.head; m != nil; m = m.next {
		switch {
		case m.inFlightAt(now):
			inFlight++
		case now.Before(m.visibleAt):
			delayed++
		default:
			visible++
		}
	}
	return visible, inFlight, delayed
}

func (e *Emulator) sqsOps() jsonService {
	return jsonService{name: "sqs", proto: sqsProtocol{}, resourceOf: queueNameOf, ops: map[string]jsonOp{
		"CreateQueue":                  {"QueueName", e.createQueue},
		"GetQueueUrl":                  {"QueueName", e.getQueueURL},
		"GetQueueAttributes":           {"QueueUrl", e.getQueueAttributes},
		"SetQueueAttributes":           {"QueueUrl", e.setQueueAttributes},
		"ListQueues":                   {"", e.listQueues},
		"DeleteQueue":                  {"QueueUrl", e.deleteQueue},
		"PurgeQueue":                   {"QueueUrl", e.purgeQueue},
		"SendMessage":                  {"QueueUrl", e.sendMessage},
		"SendMessageBatch":             {"QueueUrl", e.sendMessageBatch},
		"ReceiveMessage":               {"QueueUrl", e.receiveMessage},
		"DeleteMessage":                {"QueueUrl", e.deleteMessage},
		"DeleteMessageBatch":           {"QueueUrl", e.deleteMessageBatch},
		"ChangeMessageVisibility":      {"QueueUrl", e.changeMessageVisibility},
		"ChangeMessageVisibilityBatch": {"QueueUrl", e.changeMessageVisibilityBatch},
	}}
}

// queueURL is the URL of a queue as the emulator gives it out: on the host the request was
// sent to, so that a client configured with the emulator's endpoint can use it.
func (e *Emulator) queueURL(c *call, name string) string {
	host := c.Host
	if host == "" {
		host = "sqs." + e.region + ".amazonaws.com"
	}
	return "http://" + host + "/" + e.account + "/" + name
}

func (e *Emulator) queueARN(name string) string {
	return "arn:aws:sqs:" + e.region + ":" + e.account + ":" + name
}

func errNoQueue() error {
	return errf("QueueDoesNotExist", "The specified queue does not exist.")
}

func errInvalidParamf(format string, args ...any) error {
	return errf("InvalidParameterValue", format, args...)
}

func errMissing(param string) error {
	return errf("MissingParameter", "The request must contain the parameter %s.", param)
}

// queueLocked finds the queue a QueueUrl names. The URL's host is not checked (clients may
// reach the emulator under several names); its account must be the emulator's.
// lockedQueue runs fn under the lock on the queue url names, or answers the error that finding it
// gives (a missing or unknown QueueUrl).
func (e *Emulator) lockedQueue(c *call, url *string, fn func(*sqsQueue) (any, error)) (any, error) {
	return e.locked(c, func() (any, error) {
		q, err := e.queueLocked(url)
		if err != nil {
			return nil, err
		}
		return fn(q)
	})
}

func (e *Emulator) queueLocked(url *string) (*sqsQueue, error) {
	if url == nil || *url == "" {
		return nil, errMissing("QueueUrl")
	}
	u := strings.TrimSuffix(*url, "/")
	parts := strings.Split(u, "/")
	name := parts[len(parts)-1]
	if len(parts) >= 2 && strings.Contains(u, "://") {
		if acct := parts[len(parts)-2]; acct != e.account {
			return nil, errNoQueue()
		}
	}
	q, ok := e.queues[name]
	if !ok {
		return nil, errNoQueue()
	}
	return q, nil
}

// queueAttributes are the attributes CreateQueue and SetQueueAttributes accept, with their
// defaults ("" has none).
var queueAttributes = map[string]string{
	"DelaySeconds":                  "0",
	"MaximumMessageSize":            strconv.Itoa(sqsMaxMessageSize),
	"MessageRetentionPeriod":        strconv.Itoa(sqsDefaultRetention),
	"ReceiveMessageWaitTimeSeconds": "0",
	"VisibilityTimeout":             strconv.Itoa(sqsDefaultVisibility),
	"RedrivePolicy":                 "",
	"RedriveAllowPolicy":            "",
	"Policy":                        "",
	"KmsMasterKeyId":                "",
	"KmsDataKeyReusePeriodSeconds":  "",
	"SqsManagedSseEnabled":          "true",
	"FifoQueue":                     "",
	"ContentBasedDeduplication":     "",
	"DeduplicationScope":            "",
	"FifoThroughputLimit":           "",
}

// fifoOnly are the attributes a standard queue does not have.
var fifoOnly = []string{"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}

func errAttrValue(name string) error {
	return errf("InvalidAttributeValue", "Invalid value for the parameter %s.", name)
}

// sqsAttrRanges are the whole-number attributes' ranges; sqsAttrValues the other attributes'
// allowed values (RedrivePolicy is parsed).
var (
	sqsAttrRanges = map[string][2]int{
		"DelaySeconds":                  {0, sqsMaxDelay},
		"MaximumMessageSize":            {sqsMinMessageSize, sqsMaxMessageSize},
		"MessageRetentionPeriod":        {sqsMinRetention, sqsMaxRetention},
		"ReceiveMessageWaitTimeSeconds": {0, sqsMaxWait},
		"VisibilityTimeout":             {0, sqsMaxVisibility},
	}
	sqsAttrValues = map[string][]string{
		"FifoQueue": {"true", "false"}, "ContentBasedDeduplication": {"true", "false"}, "SqsManagedSseEnabled": {"true", "false"},
		"DeduplicationScope":  {"queue", "messageGroup"},
		"FifoThroughputLimit": {"perQueue", "perMessageGroupId"},
	}
)

// checkAttribute refuses an attribute's value as SQS does.
func (e *Emulator) checkAttribute(q *sqsQueue, name, v string) error {
	if r, ok := sqsAttrRanges[name]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < r[0] || n > r[1] {
			return errAttrValue(name)
		}
	}
	if allowed, ok := sqsAttrValues[name]; ok && !slices.Contains(allowed, v) {
		return errAttrValue(name)
	}
	if name == "RedrivePolicy" && v != "" {
		if _, err := e.parseRedrive(q, v); err != nil {
			return err
		}
	}
	return nil
}

// applyAttributes validates attrs for q (fifo decided already) and applies them.
func (e *Emulator) applyAttributes(q *sqsQueue, attrs map[string]string, creating bool) error {
	next := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[name]
		if _, ok := queueAttributes[name]; !ok || !q.fifo && slices.Contains(fifoOnly, name) || name == "FifoQueue" && !creating {
			return errf("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
		if err := e.checkAttribute(q, name, v); err != nil {
			return err
		}
		next[name] = v
	}
	// "The perMessageGroupId value is allowed only when the value for DeduplicationScope is
	// messageGroup" (CreateQueue and SetQueueAttributes API reference, FifoThroughputLimit),
	// judged on the queue's attributes as they would be after this call.
	after := func(name string) string {
		if v, ok := next[name]; ok {
			return v
		}
		return q.attrs[name]
	}
	if after("FifoThroughputLimit") == "perMessageGroupId" && after("DeduplicationScope") != "messageGroup" {
		return errf("InvalidAttributeValue", "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.")
	}
	for name, v := range next {
		if name == "RedrivePolicy" && v == "" {
			delete(q.attrs, name)
			continue
		}
		q.attrs[name] = v
	}
	num := func(name string) int { n, _ := strconv.Atoi(q.attrs[name]); return n }
	q.visibility = time.Duration(num("VisibilityTimeout")) * time.Second
	q.delay = time.Duration(num("DelaySeconds")) * time.Second
	q.retention = time.Duration(num("MessageRetentionPeriod")) * time.Second
	q.maxSize = num("MaximumMessageSize")
	q.wait = num("ReceiveMessageWaitTimeSeconds")
	q.contentDedup = q.attrs["ContentBasedDeduplication"] == "true"
	q.groupDedup = q.attrs["DeduplicationScope"] == "messageGroup"
	q.redrive = nil
	if v := q.attrs["RedrivePolicy"]; v != "" {
		q.redrive, _ = e.parseRedrive(q, v)
	}
	return nil
}

// parseRedrive reads a RedrivePolicy: {"deadLetterTargetArn": ARN, "maxReceiveCount": 1-1000}
// (the count as a number or a string). The target must exist and be of the queue's type.
func (e *Emulator) parseRedrive(q *sqsQueue, v string) (*redrivePolicy, error) {
	var doc struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	invalid := func(reason string) error {
		return errInvalidParamf("Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	if err := json.Unmarshal([]byte(v), &doc); err != nil {
		return nil, invalid("Redrive policy is not a valid JSON map.")
	}
	if doc.Target == "" || len(doc.Max) == 0 {
		return nil, invalid("Redrive policy does not contain mandatory attribute: " + map[bool]string{true: "maxReceiveCount", false: "deadLetterTargetArn"}[doc.Target != ""] + ".")
	}
	n, err := strconv.Atoi(strings.Trim(string(doc.Max), `"`))
	if err != nil || n < 1 || n > sqsMaxReceiveCount {
		return nil, invalid("Invalid value for maxReceiveCount: " + strings.Trim(string(doc.Max), `"`) + ", valid values are from 1 to 1000 both inclusive.")
	}
	prefix := "arn:aws:sqs:" + e.region + ":" + e.account + ":"
	name, ok := strings.CutPrefix(doc.Target, prefix)
	dlq := e.queues[name]
	if !ok || dlq == nil {
		return nil, invalid("Dead letter target does not exist.")
	}
	if dlq.fifo != q.fifo {
		return nil, invalid("Dead-letter queue must be same type of queue as the source..")
	}
	return &redrivePolicy{target: doc.Target, maxReceive: n}, nil
}

func (e *Emulator) createQueue(c *call, body []byte) (any, error) {
	var in struct {
		QueueName  *string           `json:"QueueName"`
		Attributes map[string]string `json:"Attributes"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == nil {
		return nil, errMissing("QueueName")
	}
	return e.locked(c, func() (any, error) {
		if err := e.createQueueLocked(*in.QueueName, in.Attributes, c.Time); err != nil {
			return nil, err
		}
		return map[string]string{"QueueUrl": e.queueURL(c, *in.QueueName)}, nil
	})
}

// createQueueLocked creates the queue name with attrs, or does nothing when it exists with
// the same attributes (CreateQueue is idempotent); a queue of that name with other values is
// QueueNameExists.
func (e *Emulator) createQueueLocked(name string, attrs map[string]string, now time.Time) error {
	fifo := attrs["FifoQueue"] == "true"
	base, hasSuffix := strings.CutSuffix(name, ".fifo")
	if fifo && !hasSuffix {
		return errInvalidParamf("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	}
	if !fifo {
		base = name
	}
	if len(name) > sqsMaxQueueNameChars || !queueNameRe.MatchString(base) {
		return errInvalidParamf("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if t, ok := e.deletedQueues[name]; ok && now.Sub(t) < sqsDeletedQueueHold {
		return errf("QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	}
	q := &sqsQueue{
		name: name, arn: e.queueARN(name), fifo: fifo, created: now, modified: now,
		attrs: map[string]string{}, byID: map[string]*sqsMessage{}, dedup: map[string]dedupEntry{},
	}
	for k, v := range queueAttributes {
		if v != "" {
			q.attrs[k] = v
		}
	}
	if fifo {
		q.attrs["FifoQueue"] = "true"
		q.attrs["ContentBasedDeduplication"] = "false"
		q.attrs["DeduplicationScope"] = "queue"
		q.attrs["FifoThroughputLimit"] = "perQueue"
	}
	apply := attrs
	if !fifo && attrs["FifoQueue"] == "false" {
		apply = without(attrs, "FifoQueue")
	}
	if err := e.applyAttributes(q, apply, true); err != nil {
		return err
	}
	if old, ok := e.queues[name]; ok {
		for k, v := range attrs {
			if old.attrs[k] != v && (k != "FifoQueue" || v != "false" || old.fifo) {
				return errf("QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return nil
	}
	e.queues[name] = q
	return nil
}

// SeedQueue creates the queue name with attrs (CreateQueue's attributes, such as
// {"FifoQueue": "true", "VisibilityTimeout": "60", "RedrivePolicy": ...}), without counting a
// call, under the rules CreateQueue applies. Its URL is QueueURL(endpoint, name).
func (e *Emulator) SeedQueue(name string, attrs map[string]string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.createQueueLocked(name, attrs, e.clock.Now()); err != nil {
		return fmt.Errorf("seed queue %s: %w", name, err)
	}
	return nil
}

// QueueURL returns the URL of the queue name as the emulator serving at endpoint (its base
// URL, "http://127.0.0.1:4566") gives it out.
func (e *Emulator) QueueURL(endpoint, name string) string {
	return strings.TrimSuffix(endpoint, "/") + "/" + e.account + "/" + name
}

// QueueARN returns the ARN of the queue name, for a RedrivePolicy's deadLetterTargetArn or an
// event source mapping.
func (e *Emulator) QueueARN(name string) string { return e.queueARN(name) }

// QueueDepth returns the numbers of visible, in-flight and delayed messages of the queue
// name (GetQueueAttributes' ApproximateNumberOf* attributes, which are exact here), without
// counting a call; ok is false when there is no such queue.
func (e *Emulator) QueueDepth(name string) (visible, inFlight, delayed int, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q, ok := e.queues[name]
	if !ok {
		return 0, 0, 0, false
	}
	now := e.clock.Now()
	q.expire(now)
	visible, inFlight, delayed = q.counts(now)
	return visible, inFlight, delayed, true
}

// without returns a copy of m without the key drop.
func without(m map[string]string, drop string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k != drop {
			out[k] = v
		}
	}
	return out
}

func (e *Emulator) getQueueURL(c *call, body []byte) (any, error) {
	var in struct {
		QueueName *string `json:"QueueName"`
		Owner     *string `json:"QueueOwnerAWSAccountId"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == nil {
		return nil, errMissing("QueueName")
	}
	return e.locked(c, func() (any, error) {
		if _, ok := e.queues[*in.QueueName]; !ok || in.Owner != nil && *in.Owner != e.account {
			return nil, errNoQueue()
		}
		return map[string]string{"QueueUrl": e.queueURL(c, *in.QueueName)}, nil
	})
}

// queueAttributeNames are the names GetQueueAttributes answers to, beside the settable ones.
var readOnlyQueueAttributes = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
}

func (e *Emulator) getQueueAttributes(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL *string  `json:"QueueUrl"`
		Names    []string `json:"AttributeNames"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		now := c.Time
		q.expire(now)
		visible, inFlight, delayed := q.counts(now)
		all := map[string]string{
			"ApproximateNumberOfMessages":           strconv.Itoa(visible),
			"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
			"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
			"CreatedTimestamp":                      strconv.FormatInt(q.created.Unix(), 10),
			"LastModifiedTimestamp":                 strconv.FormatInt(q.modified.Unix(), 10),
			"QueueArn":                              q.arn,
		}
		for k, v := range q.attrs {
			all[k] = v
		}
		out := map[string]string{}
		for _, n := range in.Names {
			switch {
			case n == "All":
				for k, v := range all {
					out[k] = v
				}
			case slices.Contains(readOnlyQueueAttributes, n):
				out[n] = all[n]
			default:
				if _, ok := queueAttributes[n]; !ok {
					return nil, errf("InvalidAttributeName", "Unknown Attribute %s.", n)
				}
				if v, ok := all[n]; ok {
					out[n] = v
				}
			}
		}
		if len(out) == 0 {
			return struct{}{}, nil
		}
		return map[string]any{"Attributes": out}, nil
	})
}

func (e *Emulator) setQueueAttributes(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL   *string           `json:"QueueUrl"`
		Attributes map[string]string `json:"Attributes"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		if err := e.applyAttributes(q, in.Attributes, false); err != nil {
			return nil, err
		}
		q.modified = c.Time
		e.wakePollersLocked()
		return struct{}{}, nil
	})
}

func (e *Emulator) listQueues(c *call, body []byte) (any, error) {
	var in struct {
		Prefix     *string `json:"QueueNamePrefix"`
		MaxResults *int    `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := sqsDefaultListResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > sqsMaxListQueueResults {
			return nil, errInvalidParamf("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	return e.locked(c, func() (any, error) {
		var names []string
		for n := range e.queues {
			if in.Prefix == nil || strings.HasPrefix(n, *in.Prefix) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		if in.NextToken != nil && *in.NextToken != "" {
			after, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
			if err != nil {
				return nil, errInvalidParamf("Invalid NextToken value.")
			}
			i, _ := slices.BinarySearch(names, string(after)+"\x00")
			names = names[i:]
		}
		out := map[string]any{}
		if len(names) > limit {
			names = names[:limit]
			out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(names[limit-1]))
		}
		if len(names) > 0 {
			urls := make([]string, len(names))
			for i, n := range names {
				urls[i] = e.queueURL(c, n)
			}
			out["QueueUrls"] = urls
		}
		return out, nil
	})
}

func (e *Emulator) deleteQueue(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL *string `json:"QueueUrl"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		delete(e.queues, q.name)
		e.deletedQueues[q.name] = c.Time
		e.wakePollersLocked()
		return struct{}{}, nil
	})
}

func (e *Emulator) purgeQueue(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL *string `json:"QueueUrl"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		if !q.purged.IsZero() && c.Time.Sub(q.purged) < sqsPurgeInterval {
			return nil, errf("PurgeQueueInProgress", "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name)
		}
		q.purged = c.Time
		q.head, q.tail = nil, nil
		clear(q.byID)
		return struct{}{}, nil
	})
}

// sendEntry is one message to send, from SendMessage or an entry of SendMessageBatch.
type sendEntry struct {
	ID           string  `json:"Id"`
	MessageBody  *string `json:"MessageBody"`
	DelaySeconds *int    `json:"DelaySeconds"`
	GroupID      *string `json:"MessageGroupId"`
	DedupID      *string `json:"MessageDeduplicationId"`
	QueueURL     *string `json:"QueueUrl"`

	Attributes map[string]messageAttr `json:"MessageAttributes"`
}

// sendResult is the answer to one sent message.
type sendResult struct {
	ID        string `json:"Id,omitempty"`
	MD5       string `json:"MD5OfMessageBody"`
	MD5Attrs  string `json:"MD5OfMessageAttributes,omitempty"`
	MessageID string `json:"MessageId"`
	Seq       string `json:"SequenceNumber,omitempty"`
}

// validBody reports whether s has only the characters SQS allows: #x9 | #xA | #xD | #x20 to
// #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func validBody(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// checkSend validates one message for q, as SendMessage does.
func checkSend(q *sqsQueue, m *sendEntry) error {
	if m.MessageBody == nil {
		return errMissing("MessageBody")
	}
	if *m.MessageBody == "" {
		return errInvalidParamf("The request must contain a non-empty message body.")
	}
	if !validBody(*m.MessageBody) {
		return errf("InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	attrSize, err := checkMessageAttributes(m.Attributes)
	if err != nil {
		return err
	}
	if len(*m.MessageBody)+attrSize > q.maxSize {
		return errInvalidParamf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.maxSize)
	}
	if m.DelaySeconds != nil {
		// botocore's model says a FIFO queue takes no per-message DelaySeconds. AWS accepts 0
		// and ignores it, and refuses any other value with InvalidParameterValue, as issue
		// threads of SQS's emulators report from the real service: elasticmq #273, localstack
		// #6612 and #12941.
		if q.fifo && *m.DelaySeconds != 0 {
			return errInvalidParamf("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *m.DelaySeconds)
		}
		if *m.DelaySeconds < 0 || *m.DelaySeconds > sqsMaxDelay {
			return errInvalidParamf("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *m.DelaySeconds)
		}
	}
	checkID := func(param string, v *string) error {
		if v == nil {
			return nil
		}
		if len(*v) == 0 || len(*v) > sqsMaxGroupIDChars || !groupIDRe.MatchString(*v) {
			return errInvalidParamf("Value %s for parameter %s is invalid. Reason: %s can only include alphanumeric and punctuation characters. 1 to 128 in length.", *v, param, param)
		}
		return nil
	}
	if err := checkID("MessageGroupId", m.GroupID); err != nil {
		return err
	}
	if !q.fifo {
		if m.DedupID != nil {
			return errInvalidParamf("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.", *m.DedupID)
		}
		return nil
	}
	if err := checkID("MessageDeduplicationId", m.DedupID); err != nil {
		return err
	}
	if m.DedupID == nil && !q.contentDedup {
		return errInvalidParamf("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	return nil
}

// enqueueLocked adds a validated message to q, or answers as for the original when its
// deduplication key was seen in the last five minutes.
func (e *Emulator) enqueueLocked(c *call, q *sqsQueue, m *sendEntry) sendResult {
	now := c.Time
	sum := md5.Sum([]byte(*m.MessageBody))
	res := sendResult{MD5: hex.EncodeToString(sum[:])}
	if len(m.Attributes) > 0 {
		res.MD5Attrs = md5OfAttributes(m.Attributes)
	}
	var dedupID, key string
	if q.fifo {
		if m.DedupID != nil {
			dedupID = *m.DedupID
		} else {
			h := sha256.Sum256([]byte(*m.MessageBody))
			dedupID = hex.EncodeToString(h[:])
		}
		key = dedupID
		if q.groupDedup {
			key = *m.GroupID + "\x00" + dedupID
		}
		if d, ok := q.dedup[key]; ok && now.Before(d.expires) {
			res.MessageID, res.Seq = d.messageID, d.seq
			return res
		}
	}
	msg := &sqsMessage{
		id: e.requestID(), body: *m.MessageBody, md5: res.MD5, dedupID: dedupID,
		sender: c.AccessKey, sent: now, enqueued: now, visibleAt: now.Add(q.delay), attrs: m.Attributes,
	}
	if m.GroupID != nil {
		msg.groupID = *m.GroupID
	}
	if m.DelaySeconds != nil && !q.fifo { // a FIFO queue's 0 is accepted and ignored (checkSend)
		msg.visibleAt = now.Add(time.Duration(*m.DelaySeconds) * time.Second)
	}
	if q.fifo {
		q.seq++
		msg.seq = fmt.Sprintf("1%019d", q.seq)
		exp := now.Add(sqsDedupWindow)
		q.dedup[key] = dedupEntry{messageID: msg.id, seq: msg.seq, expires: exp}
		q.dedupOrder = append(q.dedupOrder, dedupKey{key: key, expires: exp})
	}
	q.push(msg)
	res.MessageID, res.Seq = msg.id, msg.seq
	e.wakePollersLocked()
	return res
}

func (e *Emulator) sendMessage(c *call, body []byte) (any, error) {
	var in sendEntry
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		if q.fifo && in.GroupID == nil {
			return nil, errMissing("MessageGroupId")
		}
		if err := checkSend(q, &in); err != nil {
			return nil, err
		}
		q.expire(c.Time)
		return e.enqueueLocked(c, q, &in), nil
	})
}

// batchFailure is one failed entry of a batch request.
type batchFailure struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

func failureOf(id string, err error) batchFailure {
	ae := asAPIError(err)
	return batchFailure{ID: id, SenderFault: ae.Status < 500, Code: sqsWireError(ae).query, Message: ae.Message}
}

// checkBatch validates the entry ids of a batch request as SQS does before looking at any
// entry: 1 to 10 entries, distinct ids of the allowed form.
func checkBatch(ids []string, action string) error {
	if len(ids) == 0 {
		return errf("EmptyBatchRequest", "There should be at least one %sRequestEntry in the request.", action)
	}
	if len(ids) > sqsMaxBatch {
		return errf("TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", sqsMaxBatch, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchIDRe.MatchString(id) {
			return errf("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return errf("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

func (e *Emulator) sendMessageBatch(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL *string     `json:"QueueUrl"`
		Entries  []sendEntry `json:"Entries"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, en := range in.Entries {
		ids[i] = en.ID
		if en.MessageBody != nil {
			total += len(*en.MessageBody)
		}
		attrs, _ := checkMessageAttributes(en.Attributes) // a bad entry fails on its own below
		total += attrs
	}
	if err := checkBatch(ids, "SendMessageBatch"); err != nil {
		return nil, err
	}
	// The whole batch is at most 1 MiB, whatever the queue's MaximumMessageSize (SendMessageBatch
	// API reference: "the maximum total payload size (the sum of the individual lengths of all
	// of the batched messages) [is] 1 MiB (1,048,576 bytes)"); each message still fits the
	// queue's own maximum (checkSend).
	if total > sqsMaxBatchSize {
		return nil, errf("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", sqsMaxBatchSize, total)
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		if q.fifo {
			for _, en := range in.Entries {
				if en.GroupID == nil {
					return nil, errMissing("MessageGroupId")
				}
			}
		}
		q.expire(c.Time)
		ok := []sendResult{}
		failed := []batchFailure{}
		for i := range in.Entries {
			en := &in.Entries[i]
			if err := checkSend(q, en); err != nil {
				failed = append(failed, failureOf(en.ID, err))
				continue
			}
			r := e.enqueueLocked(c, q, en)
			r.ID = en.ID
			ok = append(ok, r)
		}
		return map[string]any{"Successful": ok, "Failed": failed}, nil
	})
}

// receiptHandle is what a receipt handle encodes: the queue, the message and which receive.
func receiptHandle(queue, messageID string, n int, salt uint64) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%016x", queue, messageID, n, salt))
}

func parseReceipt(h string) (queue, messageID string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 4 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

type receivedMessage struct {
	MessageID     string                 `json:"MessageId"`
	ReceiptHandle string                 `json:"ReceiptHandle"`
	MD5OfBody     string                 `json:"MD5OfBody"`
	Body          string                 `json:"Body"`
	Attributes    map[string]string      `json:"Attributes,omitempty"`
	MD5OfAttrs    string                 `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttrs  map[string]messageAttr `json:"MessageAttributes,omitempty"`
}

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// receiveLocked takes up to max deliverable messages from q. In a FIFO queue a message group
// that has a message in flight (or not yet visible) delivers nothing until that message is
// deleted or visible again, so the group's order holds; several messages of one group may
// be delivered together. A message already received maxReceiveCount times moves to the
// dead-letter queue instead of being delivered.
func (e *Emulator) receiveLocked(q *sqsQueue, now time.Time, max int, visibility time.Duration, names, attrNames []string) []receivedMessage {
	q.expire(now)
	blocked := map[string]bool{}
	var out []receivedMessage
	for m := q.head; m != nil && len(out) < max; {
		next := m.next
		if now.Before(m.visibleAt) {
			if q.fifo {
				blocked[m.groupID] = true
			}
			m = next
			continue
		}
		if q.fifo && blocked[m.groupID] {
			m = next
			continue
		}
		if q.redrive != nil && m.receives >= q.redrive.maxReceive {
			if dlq := e.queueByARN(q.redrive.target); dlq != nil {
				q.remove(m)
				m.inFlight, m.receipt, m.dlqSource = false, "", q.arn
				m.visibleAt = now
				if dlq.fifo {
					m.enqueued = now
				}
				dlq.push(m)
				m = next
				continue
			}
		}
		m.receives++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.inFlight, m.receivedAt, m.visibleAt = true, now, now.Add(visibility)
		m.receipt = receiptHandle(q.name, m.id, m.receives, e.id())
		r := receivedMessage{
			MessageID: m.id, ReceiptHandle: m.receipt, MD5OfBody: m.md5, Body: m.body,
			Attributes: messageAttributes(q, m, names),
		}
		if sel := selectAttributes(m.attrs, attrNames); len(sel) > 0 {
			r.MessageAttrs, r.MD5OfAttrs = sel, md5OfAttributes(sel)
		}
		out = append(out, r)
		m = next
	}
	return out
}

// messageAttributes returns the system attributes of m that names ask for.
func messageAttributes(q *sqsQueue, m *sqsMessage, names []string) map[string]string {
	all := map[string]string{
		"SenderId":                         m.sender,
		"SentTimestamp":                    millis(m.sent),
		"ApproximateReceiveCount":          strconv.Itoa(m.receives),
		"ApproximateFirstReceiveTimestamp": millis(m.firstReceive),
	}
	if q.fifo || m.groupID != "" {
		all["MessageGroupId"] = m.groupID
	}
	if m.seq != "" {
		all["SequenceNumber"] = m.seq
		all["MessageDeduplicationId"] = m.dedupID
	}
	if m.dlqSource != "" {
		all["DeadLetterQueueSourceArn"] = m.dlqSource
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out
}

func (e *Emulator) queueByARN(arn string) *sqsQueue {
	name, ok := strings.CutPrefix(arn, "arn:aws:sqs:"+e.region+":"+e.account+":")
	if !ok {
		return nil
	}
	return e.queues[name]
}

func (e *Emulator) receiveMessage(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL    *string  `json:"QueueUrl"`
		Max         *int     `json:"MaxNumberOfMessages"`
		Visibility  *int     `json:"VisibilityTimeout"`
		Wait        *int     `json:"WaitTimeSeconds"`
		AttrNames   []string `json:"AttributeNames"`
		SystemNames []string `json:"MessageSystemAttributeNames"`
		UserNames   []string `json:"MessageAttributeNames"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	max := 1
	if in.Max != nil {
		if *in.Max < 1 || *in.Max > sqsMaxBatch {
			return nil, errInvalidParamf("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", *in.Max)
		}
		max = *in.Max
	}
	if in.Visibility != nil && (*in.Visibility < 0 || *in.Visibility > sqsMaxVisibility) {
		return nil, errInvalidParamf("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= %d, if provided.", *in.Visibility, sqsMaxVisibility)
	}
	if in.Wait != nil && (*in.Wait < 0 || *in.Wait > sqsMaxWait) {
		return nil, errInvalidParamf("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= %d, if provided.", *in.Wait, sqsMaxWait)
	}
	names := append(slices.Clone(in.AttrNames), in.SystemNames...)
	var (
		deadline time.Time // real time: a long poll holds the connection for real
		first    = true
	)
	for {
		e.mu.Lock()
		q, err := e.queueLocked(in.QueueURL)
		if err != nil {
			e.mu.Unlock()
			return nil, err
		}
		if first {
			wait := q.wait
			if in.Wait != nil {
				wait = *in.Wait
			}
			deadline = time.Now().Add(time.Duration(wait) * time.Second)
			first = false
		}
		visibility := q.visibility
		if in.Visibility != nil {
			visibility = time.Duration(*in.Visibility) * time.Second
		}
		now := e.clock.Now()
		msgs := e.receiveLocked(q, now, max, visibility, names, in.UserNames)
		wake := e.sqsWake
		e.mu.Unlock()
		if len(msgs) > 0 {
			return map[string]any{"Messages": msgs}, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return struct{}{}, nil
		}
		if !e.waitForWake(c.ctx, wake, min(left, sqsRecheck)) {
			return struct{}{}, nil
		}
	}
}

// sqsRecheck bounds one wait of a long poll, so that messages whose delay or visibility
// timeout ends on the real clock (which signals no one) are found within this time.
const sqsRecheck = 200 * time.Millisecond

// waitForWake waits until wake is closed (the SQS state changed), d passes, or the request or
// the emulator ends; it returns false in the last two cases.
func (e *Emulator) waitForWake(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	if ctx == nil {
		ctx = context.Background()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-wake:
		return true
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-e.closed:
		return false
	}
}

// wakePollersLocked tells every waiting long poll to look again.
func (e *Emulator) wakePollersLocked() {
	close(e.sqsWake)
	e.sqsWake = make(chan struct{})
}

// wakePollers is wakePollersLocked for callers that do not hold the lock.
func (e *Emulator) wakePollers() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.wakePollersLocked()
}

// messageByReceipt finds the message a receipt handle names in q. A handle that is not one
// of the emulator's is ReceiptHandleIsInvalid; a well-formed handle whose message is gone, or
// that a later receive replaced, returns a nil message.
func messageByReceipt(q *sqsQueue, h *string) (*sqsMessage, error) {
	if h == nil || *h == "" {
		return nil, errMissing("ReceiptHandle")
	}
	name, id, ok := parseReceipt(*h)
	if !ok || name != q.name {
		return nil, errf("ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", *h)
	}
	m := q.byID[id]
	if m == nil || m.receipt != *h {
		return nil, nil
	}
	return m, nil
}

func (e *Emulator) deleteLocked(q *sqsQueue, h *string) error {
	m, err := messageByReceipt(q, h)
	if err != nil {
		return err
	}
	// A handle of a message already deleted, or one a later receive replaced, succeeds and
	// deletes nothing ("the request succeeds, but the message will not be deleted").
	if m != nil {
		q.remove(m)
		e.wakePollersLocked() // a FIFO group may be free again
	}
	return nil
}

func (e *Emulator) deleteMessage(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL      *string `json:"QueueUrl"`
		ReceiptHandle *string `json:"ReceiptHandle"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		if err := e.deleteLocked(q, in.ReceiptHandle); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	})
}

type receiptEntry struct {
	ID            string  `json:"Id"`
	ReceiptHandle *string `json:"ReceiptHandle"`
	Visibility    *int    `json:"VisibilityTimeout"`
}

type batchOK struct {
	ID string `json:"Id"`
}

func (e *Emulator) deleteMessageBatch(c *call, body []byte) (any, error) {
	return e.receiptBatch(c, body, "DeleteMessageBatch", func(q *sqsQueue, en receiptEntry) error {
		return e.deleteLocked(q, en.ReceiptHandle)
	})
}

// receiptBatch answers a batch of entries that each name a receipt handle (DeleteMessageBatch,
// ChangeMessageVisibilityBatch): the batch's own checks, then each entry under the lock, its
// failure reported in Failed without failing the others.
func (e *Emulator) receiptBatch(c *call, body []byte, op string, each func(*sqsQueue, receiptEntry) error) (any, error) {
	var in struct {
		QueueURL *string        `json:"QueueUrl"`
		Entries  []receiptEntry `json:"Entries"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.ID
	}
	if err := checkBatch(ids, op); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		ok, failed := []batchOK{}, []batchFailure{}
		for _, en := range in.Entries {
			if err := each(q, en); err != nil {
				failed = append(failed, failureOf(en.ID, err))
				continue
			}
			ok = append(ok, batchOK{en.ID})
		}
		return map[string]any{"Successful": ok, "Failed": failed}, nil
	})
}

// changeVisibilityLocked sets the visibility timeout of the in-flight message h names to d
// seconds from now. The total time a message stays invisible after one receive is at most
// 12 hours.
func (e *Emulator) changeVisibilityLocked(q *sqsQueue, h *string, d *int, now time.Time) error {
	if d == nil {
		return errMissing("VisibilityTimeout")
	}
	if *d < 0 || *d > sqsMaxVisibility {
		return errInvalidParamf("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= %d, if provided.", *d, sqsMaxVisibility)
	}
	q.expire(now)
	m, err := messageByReceipt(q, h)
	if err != nil {
		return err
	}
	if m == nil {
		// A handle SQS issued whose message is gone or was received again since: expired, an
		// InvalidParameterValue (400), unlike a handle that is not SQS's at all
		// (ReceiptHandleIsInvalid, 404).
		return errInvalidParamf("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", *h)
	}
	if !m.inFlightAt(now) {
		return errf("MessageNotInflight", "Message %s is not in flight.", m.id)
	}
	until := now.Add(time.Duration(*d) * time.Second)
	if until.Sub(m.receivedAt) > sqsMaxVisibility*time.Second {
		return errInvalidParamf("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [%d seconds]", *d, sqsMaxVisibility)
	}
	m.visibleAt = until
	if *d == 0 {
		m.inFlight = false
	}
	e.wakePollersLocked()
	return nil
}

func (e *Emulator) changeMessageVisibility(c *call, body []byte) (any, error) {
	var in struct {
		QueueURL      *string `json:"QueueUrl"`
		ReceiptHandle *string `json:"ReceiptHandle"`
		Visibility    *int    `json:"VisibilityTimeout"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.lockedQueue(c, in.QueueURL, func(q *sqsQueue) (any, error) {
		if err := e.changeVisibilityLocked(q, in.ReceiptHandle, in.Visibility, c.Time); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	})
}

func (e *Emulator) changeMessageVisibilityBatch(c *call, body []byte) (any, error) {
	return e.receiptBatch(c, body, "ChangeMessageVisibilityBatch", func(q *sqsQueue, en receiptEntry) error {
		return e.changeVisibilityLocked(q, en.ReceiptHandle, en.Visibility, c.Time)
	})
}
