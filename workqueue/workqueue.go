// Package workqueue is corsguard's SQS FIFO work queue: what one message says, its message group
// and deduplication ids, sending messages in batches of ten, and giving a message back to the
// queue with a delay. The router (package controller, on package router's decision) puts one
// message per resource on the queue, of any kind (container, bucket, response headers policy,
// function URL, HTTP API), stamped with the baseline and profile versions it read, or one
// listing message per kind for a sweep; Lambda's event source mapping hands them to the worker
// (the same function), whose controller reconciles each resource with the engine. This is client-go's workqueue on AWS's own engine: a message group is the
// per-key lock (one resource is never reconciled by two workers at once, and an older baseline
// never overwrites a newer one), the message's visibility is AddRateLimited's delay, and the
// dead-letter queue is where retries end.
package workqueue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
	"github.com/corsguard/corsguard/sqsbatch"
)

// Op says what a message asks of the worker.
type Op string

const (
	// OpReconcile reconciles one resource: Kind and Name.
	OpReconcile Op = "reconcile"
	// OpList carries a listing on: the worker lists Kind's resources from Token (page by page,
	// for as long as its invocation allows), enqueues one OpReconcile message per resource, and
	// enqueues another OpList for the rest. A listing of any size so survives every deadline
	// and never restarts from the top.
	OpList Op = "list"
)

// Message is one message on the work queue. It names the resource and why, and the versions
// of the baselines the router read (Baselines), never a baseline itself: the worker applies,
// for each parameter, the newer of the stamp and the version it has cached (reading the
// stamped one, NAME:VERSION, only when it holds none as new), so a message that waited never
// writes a baseline older than the one it was planned with.
type Message struct {
	Op   Op          `json:"op"`
	Kind policy.Kind `json:"kind"`
	// Name is the resource of an OpReconcile message.
	Name string `json:"name,omitempty"`
	// Token is where an OpList message carries the listing on from; "" is its first page.
	Token string       `json:"token,omitempty"`
	Mode  enforce.Mode `json:"mode"`
	// Why is the reason that the report and the logs give, e.g. "Scheduled Event arn:...".
	Why string `json:"why"`
	// Request is the id of the request the message is part of: the EventBridge event's id
	// (a sweep's id for every message of that sweep). It makes the deduplication id of a
	// later, distinct request different, so deduplication never drops one.
	Request string `json:"request"`
	// Profile narrows an OpList message's listing to the resources whose baseline is that
	// profile's (a change of its parameter); "" lists every resource of Kind.
	Profile string `json:"profile,omitempty"`
	// FreshTags says an OpReconcile message's resource had its tags changed just now (a tag
	// call's CloudTrail record): the worker reads its own tags, not the Tagging API's bulk
	// answer, which can lag a tag just written.
	FreshTags bool `json:"fresh_tags,omitempty"`
	// Baselines are the versions of the baseline parameters the router read, by name: the
	// kind's baseline and the profiles' it knew of. An OpList message carries them on to the
	// reconcile messages of its pages. None (a message of an older corsguard, or a router
	// without a token of its SSM share): the worker reads the latest versions.
	Baselines enforce.Stamps `json:"baselines,omitempty"`
	// Prev is, on an OpReconcile message of a sweep with Security Hub on, what Security Hub
	// held of the resource's finding when the listing read it ({}: no finding): the worker
	// decides from it whether the finding changed, and hands only a changed one to the findings
	// queue. None (an event's message, a message of an older corsguard, a listing that could
	// not read the findings): the publisher reads the previous finding back by Id.
	Prev *Previous `json:"prev,omitempty"`
	// Findings is, on an OpList message, where the listing's read of the previous findings
	// goes on from (Security Hub on, a kind listed in name order). None: the rest of the
	// listing stamps no Prev.
	Findings *FindingsCursor `json:"findings,omitempty"`
	// NotBefore is, on an OpList message of a baseline's (or profile's) change, when the
	// listing may send its reconcile messages at all, stamped or not: the change event's time
	// + 1 s + enforce.StampSettle (controller.Request.Changed). The worker that carries the
	// listing on keeps it: it waits until then, or gives the message back until then when its
	// budget cannot hold the wait. Zero: no such bound.
	NotBefore time.Time `json:"not_before,omitzero"`
}

// Previous is what Security Hub held of one resource's finding: its state digest
// (findings.StateField), when it was last imported and created, and whether it is archived.
// The zero Previous says there was no finding.
type Previous struct {
	State     string `json:"state,omitempty"`
	UpdatedAt string `json:"updated,omitempty"`
	CreatedAt string `json:"created,omitempty"`
	Archived  bool   `json:"archived,omitempty"`
}

// None reports whether p says the resource had no finding.
func (p Previous) None() bool { return p == Previous{} }

// FindingsCursor is where a listing's read of the previous findings stands between two of its
// pages: the GetFindings NextToken of the next page (Done: none left), the last name listed so
// far, and the findings already read past that name, in name order, for the next pages.
type FindingsCursor struct {
	Token string  `json:"token,omitempty"`
	Done  bool    `json:"done,omitempty"`
	After string  `json:"after,omitempty"`
	Ahead []Ahead `json:"ahead,omitempty"`
}

// Ahead is one finding read past the names listed so far: its resource's name and what it held.
type Ahead struct {
	Name string `json:"name"`
	Previous
}

// Reconcile returns the message that asks for the resource kind/name to be reconciled.
func Reconcile(kind policy.Kind, name string, mode enforce.Mode, why, request string) Message {
	return Message{Op: OpReconcile, Kind: kind, Name: name, Mode: mode, Why: why, Request: request}
}

// List returns the message that carries a listing of kind on from token.
func List(kind policy.Kind, token string, mode enforce.Mode, why, request string) Message {
	return Message{Op: OpList, Kind: kind, Token: token, Mode: mode, Why: why, Request: request}
}

// MaxGroupID is the longest MessageGroupId SQS accepts.
const MaxGroupID = 128

// GroupID is the message's MessageGroupId. An OpReconcile message's group is its resource,
// "kind/name": SQS hands out one message of a group at a time, in order, so one resource is
// reconciled by one worker at a time. A name that would pass 128 characters (MediaStore names
// reach 255), or holds a character SQS refuses in a group id (a CloudFront policy name may hold
// a space), is replaced by its SHA-256. An OpList message's group is its listing,
// "list/kind/request", so the pages of one sweep follow one another.
func (m Message) GroupID() string {
	var id string
	switch m.Op {
	case OpList:
		id = "list/" + string(m.Kind) + "/" + m.Request
	default:
		id = string(m.Kind) + "/" + m.Name
	}
	if len(id) <= MaxGroupID && !strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return id
	}
	prefix := string(m.Kind) + "/#"
	if m.Op == OpList {
		prefix = "list/" + prefix
	}
	return prefix + digest(id)
}

// DeduplicationID is the message's MessageDeduplicationId: a digest of everything that makes
// the request distinct (operation, resource or listing token, and the request's id), not its
// stamps: a retry that read a newer version is the same request (the newer version's own
// change event is another). A retry of
// the same request (Lambda retrying the router's invocation, a worker retrying a listing page)
// sends the same id and is dropped within SQS's five-minute window; a later event or sweep has
// another id and is never dropped.
func (m Message) DeduplicationID() string {
	if m.Profile != "" {
		return digest(string(m.Op), string(m.Kind), m.Name, m.Token, m.Request, m.Profile)
	}
	return digest(string(m.Op), string(m.Kind), m.Name, m.Token, m.Request)
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// length-prefixed, so that no two different lists of parts hash the same
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Body is the message's JSON body.
func (m Message) Body() string {
	b, _ := json.Marshal(m) // only strings: cannot fail
	return string(b)
}

// Decode reads a message body and checks that it is one of ours, as strictly as a baseline is
// read: exactly one JSON object, no unknown and no duplicate keys ("name" beside "Name" would
// let the last one win), a known op, kind and mode, and a name valid for its kind (no "../",
// no ARN, no 1,200-character name) before any call is made with it. Every error is terminal:
// the same body fails the same way on every receive.
func Decode(body string) (Message, error) {
	m, err := decode(body)
	if err != nil {
		return Message{}, enforce.Terminal(err)
	}
	return m, nil
}

func decode(body string) (Message, error) {
	var m Message
	if err := policy.CheckDuplicateKeys([]byte(body)); err != nil {
		return Message{}, fmt.Errorf("message body: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if strings.TrimSpace(body) == "null" {
		return Message{}, errors.New("message body: null")
	}
	if err := dec.Decode(&m); err != nil {
		return Message{}, fmt.Errorf("message body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Message{}, errors.New("message body: data after the message")
	}
	if _, ok := enforce.ParseMode(string(m.Mode)); !ok {
		return Message{}, fmt.Errorf("message mode %q: want %q or %q", m.Mode, enforce.ModeEnforce, enforce.ModeAudit)
	}
	if !slices.Contains(policy.Kinds(), m.Kind) {
		return Message{}, fmt.Errorf("message kind %q: want one of %v", m.Kind, policy.Kinds())
	}
	var err error
	switch m.Op {
	case OpReconcile:
		err = m.checkReconcile()
	case OpList:
		err = m.checkList()
	default:
		err = fmt.Errorf("message op %q: want %q or %q", m.Op, OpReconcile, OpList)
	}
	if err != nil {
		return Message{}, err
	}
	if err := checkStamps(m.Baselines); err != nil {
		return Message{}, err
	}
	if len(m.Baselines) == 0 {
		m.Baselines = nil // "baselines":{} stamps nothing, as no key does
	}
	if m.Findings != nil && len(m.Findings.Ahead) == 0 {
		m.Findings.Ahead = nil // "ahead":[] carries nothing, as no key does
	}
	return m, nil
}

// MaxFindingsToken bounds the GetFindings NextToken a listing message carries; a listing whose
// token is longer stops reading the previous findings.
const MaxFindingsToken = 16 << 10

// maxAhead bounds the findings a listing carries ahead: at most a GetFindings page (100) past
// the last name listed.
const maxAhead = 100

// maxStateDigest bounds a state digest: findings.State writes 24 hexadecimal digits.
const maxStateDigest = 64

// check refuses a Previous that no listing of ours writes: a digest that is not hexadecimal, a
// timestamp that is not RFC 3339, a finding without a time of its last import.
func (p Previous) check() error {
	switch {
	case p.None():
		return nil
	case len(p.State) > maxStateDigest || strings.ContainsFunc(p.State, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) }):
		return fmt.Errorf("state %q: not a digest", clip(p.State))
	case !timestamp(p.UpdatedAt):
		return fmt.Errorf("updated %q: not an RFC 3339 time", clip(p.UpdatedAt))
	case p.CreatedAt != "" && !timestamp(p.CreatedAt):
		return fmt.Errorf("created %q: not an RFC 3339 time", clip(p.CreatedAt))
	}
	return nil
}

func timestamp(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && len(s) <= 64
}

// check refuses a cursor that no listing of ours writes: a token past MaxFindingsToken, a token beside
// Done, a name not valid for kind, findings ahead out of name order or not after After.
func (c FindingsCursor) check(kind policy.Kind) error {
	switch {
	case len(c.Token) > MaxFindingsToken:
		return fmt.Errorf("token of %d characters: at most %d", len(c.Token), MaxFindingsToken)
	case c.Done && c.Token != "":
		return errors.New("a token beside done")
	case len(c.Ahead) > maxAhead:
		return fmt.Errorf("%d findings ahead: at most %d", len(c.Ahead), maxAhead)
	}
	if c.After != "" {
		if err := policy.ValidName(kind, c.After); err != nil {
			return fmt.Errorf("after: %w", err)
		}
	}
	last := c.After
	for i, a := range c.Ahead {
		if err := policy.ValidName(kind, a.Name); err != nil {
			return fmt.Errorf("ahead[%d]: %w", i, err)
		}
		if a.Name <= last && (i > 0 || c.After != "") {
			return fmt.Errorf("ahead[%d] %q: not after %q", i, clip(a.Name), clip(last))
		}
		if a.None() {
			return fmt.Errorf("ahead[%d] %q: no finding", i, clip(a.Name))
		}
		if err := a.check(); err != nil {
			return fmt.Errorf("ahead[%d]: %w", i, err)
		}
		last = a.Name
	}
	return nil
}

// checkReconcile checks what only an OpReconcile message holds.
func (m Message) checkReconcile() error {
	if m.Name == "" {
		return errors.New("reconcile message without a name")
	}
	if err := policy.ValidName(m.Kind, m.Name); err != nil {
		return fmt.Errorf("reconcile message: %w", err)
	}
	if m.Token != "" {
		return errors.New("reconcile message with a listing token")
	}
	if m.Profile != "" {
		return errors.New("reconcile message with a profile")
	}
	if m.Findings != nil {
		return errors.New("reconcile message with a findings cursor")
	}
	if !m.NotBefore.IsZero() {
		return errors.New("reconcile message with a not_before")
	}
	if m.Prev != nil {
		if err := m.Prev.check(); err != nil {
			return fmt.Errorf("reconcile message prev: %w", err)
		}
	}
	return nil
}

// checkList checks what only an OpList message holds.
func (m Message) checkList() error {
	if m.Name != "" {
		return errors.New("list message with a name")
	}
	if len(m.Token) > maxToken {
		return fmt.Errorf("list message token of %d characters: at most %d", len(m.Token), maxToken)
	}
	if m.FreshTags {
		return errors.New("list message with fresh tags")
	}
	if m.Profile != "" {
		if err := profile.ValidName(m.Profile); err != nil {
			return fmt.Errorf("list message: %w", err)
		}
	}
	if m.Prev != nil {
		return errors.New("list message with a previous finding")
	}
	if m.Findings != nil {
		if err := m.Findings.check(m.Kind); err != nil {
			return fmt.Errorf("list message findings: %w", err)
		}
	}
	return nil
}

// maxStamps bounds the stamps of one message: a kind's baseline and its profiles' parameters.
const maxStamps = 100

// checkStamps refuses stamps that no router of ours writes: too many, a name that is not an
// SSM parameter name (letters, digits, _ . - /; at most 2,048 characters), a version below 1.
func checkStamps(s enforce.Stamps) error {
	if len(s) > maxStamps {
		return fmt.Errorf("message with %d baseline versions: at most %d", len(s), maxStamps)
	}
	for name, v := range s {
		if name == "" || len(name) > 2048 || strings.ContainsFunc(name, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-/", r))
		}) {
			return fmt.Errorf("message baseline version of %q: not an SSM parameter name", clip(name))
		}
		if v < 1 {
			return fmt.Errorf("message baseline version %d of %s: versions start at 1", v, name)
		}
	}
	return nil
}

// clip shortens a name for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// maxToken bounds a listing token: S3's continuation tokens and MediaStore's and CloudFront's
// markers are far shorter; a body of 256 KiB of token is not one of ours.
const maxToken = 4096

// SQSAPI is the part of the SQS API the queue calls; *sqs.Client satisfies it. (Receiving and
// deleting are the event source mapping's.)
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

var _ SQSAPI = (*sqs.Client)(nil)

// The IAM actions of the queue's calls, also the keys of Calls. SendMessageBatch is allowed by
// sqs:SendMessage.
const (
	ActionSendMessage             = "sqs:SendMessage"
	ActionChangeMessageVisibility = "sqs:ChangeMessageVisibility"
)

// BatchSize is the most messages one SendMessageBatch takes.
const BatchSize = 10

// Queue is the work queue at one URL. It is safe for concurrent use.
type Queue struct {
	c   SQSAPI
	url string

	mu    sync.Mutex
	calls map[string]int
}

// New returns the queue at url reached through c.
func New(c SQSAPI, url string) *Queue {
	return &Queue{c: c, url: url, calls: map[string]int{}}
}

// URL is the queue's URL.
func (q *Queue) URL() string { return q.url }

func (q *Queue) count(action string) {
	q.mu.Lock()
	q.calls[action]++
	q.mu.Unlock()
}

// Calls returns the calls made so far per IAM action, and starts counting again from zero.
func (q *Queue) Calls() map[string]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := maps.Clone(q.calls)
	clear(q.calls)
	return out
}

// Send puts msgs on the queue, ten per SendMessageBatch call. Entries that SQS refuses are sent
// again (with their deduplication ids, so a message that did arrive is not doubled); the error
// names those still refused after that.
func (q *Queue) Send(ctx context.Context, msgs []Message) error {
	for start := 0; start < len(msgs); start += BatchSize {
		if err := q.sendBatch(ctx, msgs[start:min(start+BatchSize, len(msgs))]); err != nil {
			return err
		}
	}
	return nil
}

func (q *Queue) sendBatch(ctx context.Context, msgs []Message) error {
	entries := make([]types.SendMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.SendMessageBatchRequestEntry{
			Id:                     aws.String(strconv.Itoa(i)),
			MessageBody:            aws.String(m.Body()),
			MessageGroupId:         aws.String(m.GroupID()),
			MessageDeduplicationId: aws.String(m.DeduplicationID()),
		}
	}
	return sqsbatch.Send(ctx, q.c, q.url, entries, func() { q.count(ActionSendMessage) }, func(id string) string {
		i, _ := strconv.Atoi(id)
		return msgs[i].GroupID()
	})
}

// MaxVisibility is the longest visibility SQS allows (12 hours).
const MaxVisibility = 12 * time.Hour

// maxHeld bounds how long before a GiveBack its message was received: Lambda's event source
// mapping gathers a batch for at most 5 minutes (MaximumBatchingWindowInSeconds 300) before it
// invokes, and an invocation lasts at most 15 minutes.
const maxHeld = 20 * time.Minute

// MaxGiveBack is the longest delay GiveBack asks for. SQS counts the 12 hours from the receive,
// not from the ChangeMessageVisibility ("Total VisibilityTimeout for the message is beyond the
// limit" otherwise, an InvalidParameterValue), and the message was received up to maxHeld
// before: 11 h 40 min always fits what is left.
const MaxGiveBack = MaxVisibility - maxHeld

// GiveBack makes the received message with the receipt handle visible again after delay (at
// once for 0; at most MaxGiveBack). The worker then lists it among its batch item failures, so
// that the event source mapping leaves it on the queue: the wait costs no function time.
func (q *Queue) GiveBack(ctx context.Context, receipt string, delay time.Duration) error {
	secs := int32(math.Ceil(min(delay, MaxGiveBack).Seconds()))
	q.count(ActionChangeMessageVisibility)
	_, err := q.c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(receipt), VisibilityTimeout: secs,
	})
	if err != nil {
		return fmt.Errorf("change message visibility: %w", err)
	}
	return nil
}

// Actions lists the IAM action of every SQS call the router and the worker make. The event
// source mapping's own calls (sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes)
// are Lambda's, made with the function's role; the template grants both, on the work queue
// only, and a test holds it to this list.
func Actions() []string {
	return []string{ActionChangeMessageVisibility, ActionSendMessage}
}

// MappingActions lists the IAM actions Lambda's SQS event source mapping needs on the queue
// (those of the AWSLambdaSQSQueueExecutionRole managed policy, scoped to one queue).
func MappingActions() []string {
	return []string{"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}
}
