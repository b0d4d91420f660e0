package workqueue_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

func TestTheGroupIsTheResourceAndFitsSQSLimit(t *testing.T) {
	long := strings.Repeat("c", 255) // MediaStore container names reach 255 characters
	tests := []struct {
		name string
		msg  workqueue.Message
		want string // "" means: hashed
	}{
		{"a bucket", workqueue.Reconcile(policy.S3, "media-assets", enforce.ModeEnforce, "", "e1"), "s3/media-assets"},
		{"a container", workqueue.Reconcile(policy.MediaStore, "live", enforce.ModeAudit, "", "e1"), "mediastore/live"},
		{"a listing", workqueue.List(policy.S3, "tok", enforce.ModeEnforce, "", "sweep-1"), "list/s3/sweep-1"},
		{"a container with a 255-character name", workqueue.Reconcile(policy.MediaStore, long, enforce.ModeEnforce, "", "e1"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.msg.GroupID()
			if len(got) > workqueue.MaxGroupID {
				t.Fatalf("GroupID is %d characters, more than %d", len(got), workqueue.MaxGroupID)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("GroupID = %q, want %q", got, tt.want)
			}
			if tt.want == "" && !strings.HasPrefix(got, "mediastore/#") {
				t.Errorf("GroupID = %q, want a hashed mediastore/# id", got)
			}
		})
	}
	// The same long name from another event is the same group; another long name is not.
	a := workqueue.Reconcile(policy.MediaStore, long, enforce.ModeEnforce, "", "e1").GroupID()
	b := workqueue.Reconcile(policy.MediaStore, long, enforce.ModeAudit, "", "e2").GroupID()
	c := workqueue.Reconcile(policy.MediaStore, long[1:]+"d", enforce.ModeEnforce, "", "e1").GroupID()
	if a != b || a == c {
		t.Errorf("group ids of long names: same name %q %q, another name %q", a, b, c)
	}
}

func TestDeduplicationDropsOnlyARetryOfTheSameRequest(t *testing.T) {
	base := workqueue.Reconcile(policy.S3, "b", enforce.ModeEnforce, "why", "event-1")
	same := workqueue.Reconcile(policy.S3, "b", enforce.ModeEnforce, "why", "event-1")
	if base.DeduplicationID() != same.DeduplicationID() {
		t.Error("a retry of the same request has another deduplication id: it would be enqueued twice")
	}
	for name, other := range map[string]workqueue.Message{
		"a later event about the same bucket": workqueue.Reconcile(policy.S3, "b", enforce.ModeEnforce, "why", "event-2"),
		"another bucket":                      workqueue.Reconcile(policy.S3, "c", enforce.ModeEnforce, "why", "event-1"),
		"a container of the same name":        workqueue.Reconcile(policy.MediaStore, "b", enforce.ModeEnforce, "why", "event-1"),
		"a listing":                           workqueue.List(policy.S3, "", enforce.ModeEnforce, "why", "event-1"),
		"names that run together":             workqueue.Reconcile(policy.S3, "bevent-1", enforce.ModeEnforce, "why", ""),
	} {
		if other.DeduplicationID() == base.DeduplicationID() {
			t.Errorf("%s has the same deduplication id: SQS would drop it", name)
		}
		if n := len(other.DeduplicationID()); n > 128 {
			t.Errorf("%s: deduplication id of %d characters", name, n)
		}
	}
	p1 := workqueue.List(policy.S3, "page-2", enforce.ModeEnforce, "", "sweep")
	p2 := workqueue.List(policy.S3, "page-3", enforce.ModeEnforce, "", "sweep")
	if p1.DeduplicationID() == p2.DeduplicationID() {
		t.Error("two pages of one listing share a deduplication id")
	}
	uploads, partners := p1, p1
	uploads.Profile, partners.Profile = "uploads", "partners"
	if uploads.DeduplicationID() == partners.DeduplicationID() || uploads.DeduplicationID() == p1.DeduplicationID() {
		t.Error("listings of two profiles, or of a profile and the whole kind, share a deduplication id")
	}
}

func TestAMessageDecodesToItself(t *testing.T) {
	for _, m := range []workqueue.Message{
		workqueue.Reconcile(policy.MediaStore, "live", enforce.ModeAudit, "CloudTrail PutCorsPolicy live", "e"),
		workqueue.List(policy.S3, "token==", enforce.ModeEnforce, "Scheduled Event", "s"),
		workqueue.Reconcile(policy.CloudFront, "cors-for-players", enforce.ModeEnforce, "CloudTrail UpdateResponseHeadersPolicy", "e"),
		workqueue.Reconcile(policy.LambdaURL, "orders:live", enforce.ModeEnforce, "Scheduled Event", "s"),
		workqueue.Reconcile(policy.HTTPAPI, "a1b2c3d4e5", enforce.ModeEnforce, "Scheduled Event", "s"),
		{Op: workqueue.OpList, Kind: policy.S3, Token: "tagged:abc", Mode: enforce.ModeEnforce, Why: "SSM Update /corsguard/profiles/s3/uploads", Request: "e", Profile: "uploads"},
		{Op: workqueue.OpReconcile, Kind: policy.S3, Name: "media-inbox", Mode: enforce.ModeEnforce, Why: "CloudTrail PutBucketTagging", Request: "e", FreshTags: true},
	} {
		got, err := workqueue.Decode(m.Body())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("decoded (-sent +got):\n%s", diff)
		}
	}
}

func TestDecodeRefusesWhatIsNotOurs(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":                      "hello",
		"no op":                         `{"kind":"s3","name":"b","mode":"enforce"}`,
		"no name":                       `{"op":"reconcile","kind":"s3","mode":"enforce"}`,
		"an unknown kind":               `{"op":"reconcile","kind":"ec2","name":"b","mode":"enforce"}`,
		"an unknown mode":               `{"op":"reconcile","kind":"s3","name":"b","mode":"fix"}`,
		"an unknown op":                 `{"op":"delete","kind":"s3","name":"b","mode":"enforce"}`,
		"null":                          `null`,
		"an unknown key":                `{"op":"reconcile","kind":"s3","name":"bucket","mode":"enforce","extra":1}`,
		"name and Name":                 `{"op":"reconcile","kind":"s3","name":"home-bucket","Name":"west-bucket","mode":"enforce"}`,
		"trailing data":                 `{"op":"reconcile","kind":"s3","name":"bucket","mode":"enforce"} {}`,
		"a bucket /..":                  `{"op":"reconcile","kind":"s3","name":"home-bucket/../west-bucket","mode":"enforce"}`,
		"a bucket ARN":                  `{"op":"reconcile","kind":"s3","name":"arn:aws:s3:::west-bucket","mode":"enforce"}`,
		"a long name":                   `{"op":"reconcile","kind":"mediastore","name":"` + strings.Repeat("a", 1200) + `","mode":"enforce"}`,
		"a function ARN":                `{"op":"reconcile","kind":"lambda-url","name":"arn:aws:lambda:us-east-1:1:function:f","mode":"enforce"}`,
		"an API path":                   `{"op":"reconcile","kind":"http-api","name":"abc/../def","mode":"enforce"}`,
		"a list name":                   `{"op":"list","kind":"s3","name":"bucket","mode":"enforce"}`,
		"a profile ../x":                `{"op":"list","kind":"s3","mode":"enforce","profile":"../x"}`,
		"a profile ..":                  `{"op":"list","kind":"s3","mode":"enforce","profile":".."}`,
		"a reconcile of a profile":      `{"op":"reconcile","kind":"s3","name":"bucket","mode":"enforce","profile":"uploads"}`,
		"a listing with fresh tags":     `{"op":"list","kind":"s3","mode":"enforce","fresh_tags":true}`,
		"a reconcile with a not_before": `{"op":"reconcile","kind":"s3","name":"bucket","mode":"enforce","not_before":"2026-12-08T03:00:12Z"}`,
		"a not_before that is no time":  `{"op":"list","kind":"s3","mode":"enforce","not_before":"soon"}`,
		// Baseline versions: names of SSM parameters, versions from 1.
		"a version 0":           `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/corsguard/baseline":0}}`,
		"a negative version":    `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/corsguard/baseline":-3}}`,
		"a fractional version":  `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/corsguard/baseline":1.5}}`,
		"a selector as a name":  `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/corsguard/baseline:3":3}}`,
		"an empty name":         `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"":3}}`,
		"a version given twice": `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/p":1,"/p":9}}`,
		"baselines not a map":   `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":[1]}`,
		"101 versions":          `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{` + manyStamps(101) + `}}`,
		// The previous finding a listing stamps, and the cursor it carries on.
		"a prev that is not a digest":    `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","prev":{"state":"ZZ","updated":"2026-01-01T00:00:00Z"}}`,
		"a prev without its update time": `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","prev":{"state":"ab"}}`,
		"a prev with a bad created time": `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","prev":{"state":"ab","updated":"2026-01-01T00:00:00Z","created":"yesterday"}}`,
		"a prev with an unknown key":     `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","prev":{"state":"ab","updated":"2026-01-01T00:00:00Z","x":1}}`,
		"a prev on a listing":            `{"op":"list","kind":"s3","mode":"enforce","prev":{}}`,
		"a cursor on a reconcile":        `{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","findings":{}}`,
		"a cursor with a token and done": `{"op":"list","kind":"s3","token":"t","mode":"enforce","findings":{"token":"x","done":true}}`,
		"a cursor after a bucket ARN":    `{"op":"list","kind":"s3","token":"t","mode":"enforce","findings":{"after":"arn:aws:s3:::b"}}`,
		"findings ahead out of order":    `{"op":"list","kind":"s3","token":"t","mode":"enforce","findings":{"after":"a1","ahead":[` + ahead("c3") + `,` + ahead("b2") + `]}}`,
		"a finding ahead not after":      `{"op":"list","kind":"s3","token":"t","mode":"enforce","findings":{"after":"c3","ahead":[` + ahead("b2") + `]}}`,
		"a finding ahead that is none":   `{"op":"list","kind":"s3","token":"t","mode":"enforce","findings":{"after":"a1","ahead":[{"name":"b2"}]}}`,
		"101 findings ahead":             `{"op":"list","kind":"s3","token":"t","mode":"enforce","findings":{"ahead":[` + manyAhead(101) + `]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := workqueue.Decode(body); err == nil {
				t.Errorf("Decode(%s) succeeded", body)
			}
		})
	}
}

func ahead(name string) string {
	return `{"name":"` + name + `","state":"0a1b","updated":"2026-12-01T10:00:00.000Z","created":"2026-11-01T10:00:00.000Z"}`
}

func manyAhead(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, ahead(fmt.Sprintf("bucket-%04d", i)))
	}
	return strings.Join(parts, ",")
}

func manyStamps(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`"/p/%d":1`, i))
	}
	return strings.Join(parts, ",")
}

// A message carries the versions the router read, and a body without them (an older
// corsguard's) still decodes: its worker reads the latest versions.
func TestMessagesCarryBaselineVersionsAndOldBodiesStillDecode(t *testing.T) {
	m := workqueue.Reconcile(policy.S3, "media-eu", enforce.ModeEnforce, "why", "req")
	m.Baselines = enforce.Stamps{"/corsguard/baseline": 7, "/corsguard/profiles/s3/uploads": 2}
	if !strings.Contains(m.Body(), `"baselines":{"/corsguard/baseline":7,"/corsguard/profiles/s3/uploads":2}`) {
		t.Errorf("body %s", m.Body())
	}
	got, err := workqueue.Decode(m.Body())
	if err != nil || !cmp.Equal(got, m) {
		t.Errorf("Decode(Body()) = %+v, %v", got, err)
	}
	bare := workqueue.Reconcile(policy.S3, "media-eu", enforce.ModeEnforce, "why", "req")
	if strings.Contains(bare.Body(), "baselines") {
		t.Errorf("an unstamped body names baselines: %s", bare.Body())
	}
	old, err := workqueue.Decode(`{"op":"reconcile","kind":"s3","name":"media-eu","mode":"enforce","why":"w","request":"r"}`)
	if err != nil || old.Baselines != nil {
		t.Errorf("an older body: %+v, %v", old, err)
	}
	if m.DeduplicationID() != bare.DeduplicationID() {
		t.Error("the stamps changed the deduplication id: a retry of the same request that read a newer version would not be dropped")
	}
}

func TestTheDelayIsFullJitterWithAFloor(t *testing.T) {
	base, limit := time.Second, 15*time.Second
	for _, tt := range []struct {
		receive int
		rand    float64
		want    time.Duration
	}{
		{1, 0, workqueue.MinDelay},
		{1, 0.999, workqueue.MinDelay}, // 1s ceiling: the floor wins
		{4, 0.5, workqueue.MinDelay},   // 8s ceiling, 4s drawn
		{4, 0.75, 6 * time.Second},
		{5, 0.5, 7500 * time.Millisecond},   // 16s: capped at 15s
		{100, 0.5, 7500 * time.Millisecond}, // no overflow
	} {
		got := workqueue.Delay(tt.receive, base, limit, func() float64 { return tt.rand })
		if got != tt.want {
			t.Errorf("Delay(receive %d, rand %v) = %v, want %v", tt.receive, tt.rand, got, tt.want)
		}
	}
}

// The derivation in docs/deploy.md: a container CREATING for MaxBusyWait must never reach the
// dead-letter queue, even when every delay is the floor.
func TestTheReceiveCountOutlastsTheLongestBusyWait(t *testing.T) {
	n := workqueue.MinReceiveCount(workqueue.MaxBusyWait)
	if n != 121 {
		t.Errorf("MinReceiveCount(10m) = %d, want 121 (600s / 5s + 1)", n)
	}
	// Simulate the worst case: every delay is the floor. The n-th receive must come at or
	// after the wait.
	var at time.Duration
	for range n - 1 {
		at += workqueue.Delay(1, time.Second, 15*time.Second, func() float64 { return 0 })
	}
	if at < workqueue.MaxBusyWait {
		t.Errorf("the last receive comes %v after the first, before the %v wait ends", at, workqueue.MaxBusyWait)
	}
}

func TestCloudFrontPolicyMessages(t *testing.T) {
	m := workqueue.Reconcile(policy.CloudFront, "media cors", enforce.ModeEnforce, "why", "req")
	if id := m.GroupID(); strings.Contains(id, " ") || !strings.HasPrefix(id, "cloudfront/#") {
		t.Errorf("a name with a space gives the group id %q; want a digest", id)
	}
	if id := workqueue.Reconcile(policy.CloudFront, "media-cors", enforce.ModeEnforce, "", "").GroupID(); id != "cloudfront/media-cors" {
		t.Errorf("group id %q", id)
	}
	got, err := workqueue.Decode(m.Body())
	if err != nil || !cmp.Equal(got, m) {
		t.Errorf("Decode(Body()) = %+v, %v", got, err)
	}
}

// A sweep's reconcile message carries the previous finding its listing read ({} for none), its
// listing message the findings cursor; a body without either (an older corsguard's, an event's)
// still decodes, and neither changes the deduplication id.
func TestMessagesCarryThePreviousFindingAndTheCursor(t *testing.T) {
	m := workqueue.Reconcile(policy.S3, "media-eu", enforce.ModeEnforce, "why", "req")
	m.Prev = &workqueue.Previous{State: "0a1b2c", UpdatedAt: "2026-12-01T10:00:00.000Z", CreatedAt: "2026-11-01T10:00:00.000Z", Archived: true}
	none := workqueue.Reconcile(policy.S3, "media-us", enforce.ModeEnforce, "why", "req")
	none.Prev = &workqueue.Previous{}
	if !strings.Contains(none.Body(), `"prev":{}`) {
		t.Errorf("no previous finding: body %s, want \"prev\":{}", none.Body())
	}
	list := workqueue.List(policy.S3, "tok", enforce.ModeEnforce, "why", "req")
	list.Findings = &workqueue.FindingsCursor{Token: "next", After: "media-eu",
		Ahead: []workqueue.Ahead{{Name: "media-fr", Previous: workqueue.Previous{State: "ff", UpdatedAt: "2026-12-01T10:00:00Z"}}}}
	done := workqueue.List(policy.S3, "tok", enforce.ModeEnforce, "why", "req")
	done.Findings = &workqueue.FindingsCursor{Done: true, After: "media-eu"}
	change := workqueue.List(policy.S3, "tok", enforce.ModeEnforce, "SSM Update", "change-1")
	change.NotBefore = time.Date(2026, 12, 8, 3, 0, 12, 0, time.UTC)
	if body := list.Body(); strings.Contains(body, "not_before") {
		t.Errorf("a listing without a not_before writes one: %s", body)
	}
	for _, msg := range []workqueue.Message{m, none, list, done, change} {
		got, err := workqueue.Decode(msg.Body())
		if err != nil || !cmp.Equal(got, msg) {
			t.Errorf("Decode(%s) = %+v, %v", msg.Body(), got, err)
		}
	}
	if got, _ := workqueue.Decode(none.Body()); got.Prev == nil || !got.Prev.None() {
		t.Errorf("\"prev\":{} decodes to %+v, want a Previous that says none", got.Prev)
	}
	old, err := workqueue.Decode(`{"op":"reconcile","kind":"s3","name":"media-eu","mode":"enforce","why":"w","request":"r"}`)
	if err != nil || old.Prev != nil {
		t.Errorf("an older body: %+v, %v", old, err)
	}
	if m.DeduplicationID() != workqueue.Reconcile(policy.S3, "media-eu", enforce.ModeEnforce, "why", "req").DeduplicationID() {
		t.Error("the previous finding changed the deduplication id")
	}
	if list.DeduplicationID() != workqueue.List(policy.S3, "tok", enforce.ModeEnforce, "why", "req").DeduplicationID() {
		t.Error("the cursor changed the listing's deduplication id")
	}
}
