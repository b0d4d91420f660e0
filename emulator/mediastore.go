package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Container statuses, as MediaStore spells them.
const (
	StatusCreating = "CREATING"
	StatusActive   = "ACTIVE"
	StatusDeleting = "DELETING"
)

// MediaStore's limits that the emulator enforces: the model's shapes, and the quota of 50
// tags per container.
const (
	maxTags          = 50
	maxTagList       = 200 // shape TagList: 1-200
	maxTagKeyChars   = 128 // shape TagKey: 1-128
	maxTagValueChars = 256 // shape TagValue: 0-256
	maxListResults   = 100 // shape ContainerListLimit: 1-100
	maxContainerName = 255 // shape ContainerName: 1-255
	maxARN           = 1024
	maxNextToken     = 1024
)

// Patterns of the model's shapes (Java regular expressions: \w is [A-Za-z0-9_]).
var (
	containerNamePattern = regexp.MustCompile(`^[\w-]+$`)
	tagPattern           = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	containerARNPattern  = regexp.MustCompile(`^arn:aws:mediastore:[a-z]+-[a-z]+-\d:\d{12}:container/[\w-]{1,255}$`)
	nextTokenPattern     = regexp.MustCompile(`^[0-9A-Za-z=/+]+$`)
)

// container is a MediaStore container's state.
type container struct {
	name, arn, endpoint string
	created             time.Time
	status              string
	until               time.Time  // end of CREATING or DELETING
	cors                []corsRule // nil: no policy
	tags                map[string]string
}

// settleLocked moves every container whose CREATING or DELETING time is over to its next
// state and returns the events AWS would emit, in the order the transitions fell due.
func (e *Emulator) settleLocked() [][]byte {
	now := e.clock.Now()
	var due []*container
	for _, c := range e.containers {
		if (c.status == StatusCreating || c.status == StatusDeleting) && !now.Before(c.until) {
			due = append(due, c)
		}
	}
	slices.SortFunc(due, func(a, b *container) int {
		if n := a.until.Compare(b.until); n != 0 {
			return n
		}
		return strings.Compare(a.name, b.name)
	})
	var events [][]byte
	for _, c := range due {
		if c.status == StatusCreating {
			c.status = StatusActive
			events = append(events, e.containerStateChange(c, "CREATE", c.until))
		} else {
			delete(e.containers, c.name)
			events = append(events, e.containerStateChange(c, "REMOVE", c.until))
		}
	}
	return events
}

// containerARN is the ARN AWS gives the container name.
func (e *Emulator) containerARN(name string) string {
	return "arn:aws:mediastore:" + e.region + ":" + e.account + ":container/" + name
}

// containerEndpoint returns a data endpoint in AWS's shape, stable for a name and seed.
func (e *Emulator) containerEndpoint(name string) string {
	h := mix(e.faults.seed ^ mix(uint64(len(name))))
	for _, b := range []byte(name) {
		h = mix(h ^ uint64(b))
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	id := make([]byte, 14)
	for i := range id {
		id[i] = alphabet[h%32]
		h = mix(h + uint64(i))
	}
	return "https://" + string(id) + ".data.mediastore." + e.region + ".amazonaws.com"
}

// wireContainer is a container as the API returns it.
type wireContainer struct {
	ARN                  string  `json:"ARN"`
	AccessLoggingEnabled bool    `json:"AccessLoggingEnabled"`
	CreationTime         float64 `json:"CreationTime"`
	Endpoint             string  `json:"Endpoint,omitempty"`
	Name                 string  `json:"Name"`
	Status               string  `json:"Status"`
}

func (c *container) wire() wireContainer {
	w := wireContainer{
		ARN:          c.arn,
		CreationTime: float64(c.created.UnixMilli()) / 1000,
		Name:         c.name,
		Status:       c.status,
	}
	if c.status != StatusCreating {
		w.Endpoint = c.endpoint
	}
	return w
}

// tag is a MediaStore tag on the wire.
type tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

func (e *Emulator) mediaStoreOps() jsonService {
	return jsonService{name: "mediastore", ops: map[string]jsonOp{
		"CreateContainer":     {"ContainerName", e.createContainer},
		"DeleteContainer":     {"ContainerName", e.deleteContainer},
		"DescribeContainer":   {"ContainerName", e.describeContainer},
		"ListContainers":      {"", e.listContainers},
		"GetCorsPolicy":       {"ContainerName", e.getCorsPolicy},
		"PutCorsPolicy":       {"ContainerName", e.putCorsPolicy},
		"DeleteCorsPolicy":    {"ContainerName", e.deleteCorsPolicy},
		"ListTagsForResource": {"Resource", e.listTags},
		"TagResource":         {"Resource", e.tagResource},
		"UntagResource":       {"Resource", e.untagResource},
	}}
}

type containerNameInput struct {
	ContainerName *string `json:"ContainerName"`
}

// checkName validates a ContainerName field the way the service's model does.
func checkName(name *string) error {
	if name == nil {
		return errf("ValidationException", "1 validation error detected: Value null at 'containerName' failed to satisfy constraint: Member must not be null")
	}
	var v violations
	v.length(*name, utf8.RuneCountInString(*name), "containerName", 1, maxContainerName)
	if *name != "" && !containerNamePattern.MatchString(*name) {
		v.add(*name, "containerName", `Member must satisfy regular expression pattern: [\w-]+`)
	}
	return v.err()
}

// lookupLocked returns the named container or ContainerNotFoundException.
func (e *Emulator) lookupLocked(name string) (*container, error) {
	c, ok := e.containers[name]
	if !ok {
		return nil, errf("ContainerNotFoundException", "Container not found: %s", name)
	}
	return c, nil
}

// usableLocked returns the named container if it is ACTIVE, ContainerInUseException while it
// is CREATING or DELETING, or ContainerNotFoundException.
func (e *Emulator) usableLocked(name string) (*container, error) {
	c, err := e.lookupLocked(name)
	if err != nil {
		return nil, err
	}
	if c.status != StatusActive {
		return nil, errf("ContainerInUseException", "Container %s is %s; try again later", name, c.status)
	}
	return c, nil
}

// checkTags validates a TagList as the model does: 1-200 tags, each key 1-128 and each value
// 0-256 characters of letters, separators, digits and _.:/=+-@.
func checkTags(tags []tag) (map[string]string, error) {
	var v violations
	v.length(fmt.Sprintf("%d tags", len(tags)), len(tags), "tags", 1, maxTagList)
	out := map[string]string{}
	for i, t := range tags {
		path := fmt.Sprintf("tags.%d.member", i+1)
		if t.Key == nil {
			v.add(nil, path+".key", "Member must not be null")
			continue
		}
		k, val := *t.Key, ""
		if t.Value != nil {
			val = *t.Value
		}
		v.length(k, utf8.RuneCountInString(k), path+".key", 1, maxTagKeyChars)
		if !tagPattern.MatchString(k) {
			v.add(k, path+".key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		v.length(val, utf8.RuneCountInString(val), path+".value", 0, maxTagValueChars)
		if !tagPattern.MatchString(val) {
			v.add(val, path+".value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		out[k] = val
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (e *Emulator) createContainer(c *call, body []byte) (any, error) {
	var in struct {
		ContainerName *string `json:"ContainerName"`
		Tags          []tag   `json:"Tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.ContainerName); err != nil {
		return nil, err
	}
	var tags map[string]string
	if in.Tags != nil { // optional, but a list given must hold 1-200 tags
		var err error
		if tags, err = checkTags(in.Tags); err != nil {
			return nil, err
		}
	}
	if len(tags) > maxTags {
		return nil, errf("ValidationException", "a container can have at most %d tags", maxTags)
	}
	return e.locked(c, func() (any, error) {
		name := *in.ContainerName
		if _, ok := e.containers[name]; ok {
			return nil, errf("ContainerInUseException", "Container %s already exists", name)
		}
		if len(e.containers) >= e.quota {
			return nil, errf("LimitExceededException", "You have reached the limit of %d containers for this account in this Region", e.quota)
		}
		ct := e.addContainerLocked(name, c.Time, tags)
		c.events = append(c.events, e.cloudTrailRecord(c, "aws.mediastore", "mediastore.amazonaws.com",
			map[string]any{"containerName": name},
			map[string]any{"container": map[string]any{
				"status":       ct.status,
				"creationTime": ct.created.UTC().Format("Jan 2, 2006 3:04:05 PM"),
				"name":         name,
				"aRN":          ct.arn,
			}}))
		out := map[string]any{"Container": ct.wire()}
		c.events = append(c.events, e.settleLocked()...) // a zero CREATING time is ACTIVE at once
		return out, nil
	})
}

// addContainerLocked creates a CREATING container.
func (e *Emulator) addContainerLocked(name string, now time.Time, tags map[string]string) *container {
	ct := &container{
		name:     name,
		arn:      e.containerARN(name),
		endpoint: e.containerEndpoint(name),
		created:  now,
		status:   StatusCreating,
		until:    now.Add(e.creating),
		tags:     tags,
	}
	e.containers[name] = ct
	return ct
}

// onContainer serves a request that names one container: it decodes the body, checks the name,
// and runs f under the lock with the container that find (lookupLocked for any status,
// usableLocked for an ACTIVE one) returns.
func (e *Emulator) onContainer(c *call, body []byte, find func(string) (*container, error), f func(*container) (any, error)) (any, error) {
	var in containerNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.ContainerName); err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		ct, err := find(*in.ContainerName)
		if err != nil {
			return nil, err
		}
		return f(ct)
	})
}

func corsPolicyNotFound(name string) error {
	return errf("CorsPolicyNotFoundException", "The CORS policy of container %s does not exist", name)
}

func (e *Emulator) deleteContainer(c *call, body []byte) (any, error) {
	return e.onContainer(c, body, e.usableLocked, func(ct *container) (any, error) {
		ct.status = StatusDeleting
		ct.until = c.Time.Add(e.deleting)
		c.events = append(c.events, e.settleLocked()...) // a zero DELETING time removes it at once
		return struct{}{}, nil
	})
}

func (e *Emulator) describeContainer(c *call, body []byte) (any, error) {
	return e.onContainer(c, body, e.lookupLocked, func(ct *container) (any, error) {
		return map[string]any{"Container": ct.wire()}, nil
	})
}

func (e *Emulator) listContainers(c *call, body []byte) (any, error) {
	var in struct {
		MaxResults *int    `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := maxListResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxListResults {
			return nil, errf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *in.MaxResults, maxListResults)
		}
		limit = *in.MaxResults
	}
	after := ""
	if in.NextToken != nil {
		var v violations
		tok := *in.NextToken
		v.length(tok, len(tok), "nextToken", 1, maxNextToken)
		if tok != "" && !nextTokenPattern.MatchString(tok) {
			v.add(tok, "nextToken", "Member must satisfy regular expression pattern: [0-9A-Za-z=/+]+")
		}
		if err := v.err(); err != nil {
			return nil, err
		}
		raw, err := base64.StdEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(raw), "after:") {
			return nil, errf("ValidationException", "The NextToken is not valid.")
		}
		after = strings.TrimPrefix(string(raw), "after:")
	}
	return e.locked(c, func() (any, error) {
		names := slices.Sorted(maps.Keys(e.containers))
		start, _ := slices.BinarySearch(names, after)
		if after != "" && start < len(names) && names[start] == after {
			start++
		}
		out := struct {
			Containers []wireContainer `json:"Containers"`
			NextToken  string          `json:"NextToken,omitempty"`
		}{Containers: []wireContainer{}}
		end := min(start+limit, len(names))
		for _, n := range names[start:end] {
			out.Containers = append(out.Containers, e.containers[n].wire())
		}
		if end < len(names) {
			out.NextToken = base64.StdEncoding.EncodeToString([]byte("after:" + names[end-1])) // the model's [0-9A-Za-z=/+]+
		}
		return out, nil
	})
}

func (e *Emulator) getCorsPolicy(c *call, body []byte) (any, error) {
	return e.onContainer(c, body, e.usableLocked, func(ct *container) (any, error) {
		if ct.cors == nil {
			return nil, corsPolicyNotFound(ct.name)
		}
		return map[string]any{"CorsPolicy": ct.cors}, nil
	})
}

func (e *Emulator) putCorsPolicy(c *call, body []byte) (any, error) {
	var in struct {
		ContainerName *string         `json:"ContainerName"`
		CorsPolicy    json.RawMessage `json:"CorsPolicy"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.ContainerName); err != nil {
		return nil, err
	}
	p, err := mediaStoreCORS(in.CorsPolicy)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		ct, err := e.usableLocked(*in.ContainerName)
		if err != nil {
			return nil, err
		}
		ct.cors = p
		c.events = append(c.events, e.cloudTrailRecord(c, "aws.mediastore", "mediastore.amazonaws.com",
			map[string]any{"containerName": ct.name, "corsPolicy": trailPolicy(p)}, nil))
		return struct{}{}, nil
	})
}

// trailPolicy spells a policy the way CloudTrail records MediaStore's request parameters:
// lower camel case.
func trailPolicy(p []corsRule) []map[string]any {
	out := make([]map[string]any, len(p))
	for i, r := range p {
		m := map[string]any{
			"allowedOrigins": r.AllowedOrigins,
			"allowedMethods": r.AllowedMethods,
			"allowedHeaders": r.AllowedHeaders,
		}
		if r.ExposeHeaders != nil {
			m["exposeHeaders"] = r.ExposeHeaders
		}
		if r.MaxAgeSeconds != nil {
			m["maxAgeSeconds"] = *r.MaxAgeSeconds
		}
		out[i] = m
	}
	return out
}

func (e *Emulator) deleteCorsPolicy(c *call, body []byte) (any, error) {
	return e.onContainer(c, body, e.usableLocked, func(ct *container) (any, error) {
		if ct.cors == nil {
			return nil, corsPolicyNotFound(ct.name)
		}
		ct.cors = nil
		c.events = append(c.events, e.cloudTrailRecord(c, "aws.mediastore", "mediastore.amazonaws.com",
			map[string]any{"containerName": ct.name}, nil))
		return struct{}{}, nil
	})
}

// resourceLocked returns the container an ARN names, ACTIVE.
func (e *Emulator) resourceLocked(arn *string) (*container, error) {
	if arn == nil {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'resource' failed to satisfy constraint: Member must not be null")
	}
	if len(*arn) > maxARN || !containerARNPattern.MatchString(*arn) {
		return nil, errf("ValidationException", "1 validation error detected: Value '%s' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws:mediastore:[a-z]+-[a-z]+-\\d:\\d{12}:container/[\\w-]{1,255}", *arn)
	}
	name, ok := strings.CutPrefix(*arn, "arn:aws:mediastore:"+e.region+":"+e.account+":container/")
	if !ok {
		return nil, errf("ContainerNotFoundException", "No container with ARN %s", *arn)
	}
	return e.usableLocked(name)
}

func (e *Emulator) listTags(c *call, body []byte) (any, error) {
	var in struct {
		Resource *string `json:"Resource"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		ct, err := e.resourceLocked(in.Resource)
		if err != nil {
			return nil, err
		}
		type wireTag struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		}
		out := []wireTag{}
		for _, k := range slices.Sorted(maps.Keys(ct.tags)) {
			out = append(out, wireTag{k, ct.tags[k]})
		}
		return map[string]any{"Tags": out}, nil
	})
}

func (e *Emulator) tagResource(c *call, body []byte) (any, error) {
	var in struct {
		Resource *string `json:"Resource"`
		Tags     []tag   `json:"Tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	if in.Resource != nil && !containerARNPattern.MatchString(*in.Resource) {
		_, err := e.resourceLocked(in.Resource) // the model's check, before the tags'
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		ct, err := e.resourceLocked(in.Resource)
		if err != nil {
			return nil, err
		}
		merged := maps.Clone(ct.tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			return nil, errf("ValidationException", "a container can have at most %d tags", maxTags)
		}
		ct.tags = merged
		return struct{}{}, nil
	})
}

func (e *Emulator) untagResource(c *call, body []byte) (any, error) {
	var in struct {
		Resource *string  `json:"Resource"`
		TagKeys  []string `json:"TagKeys"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	return e.locked(c, func() (any, error) {
		ct, err := e.resourceLocked(in.Resource)
		if err != nil {
			return nil, err
		}
		for _, k := range in.TagKeys {
			delete(ct.tags, k)
		}
		return struct{}{}, nil
	})
}

// ContainerInfo is a snapshot of a container's state, for tests.
type ContainerInfo struct {
	Name, ARN, Endpoint string
	Status              string
	CreationTime        time.Time
	CorsPolicy          json.RawMessage // the rule array GetCorsPolicy answers; nil when the container has none
	Tags                map[string]string
}

// Container returns a snapshot of the named container after settling due transitions, and
// whether it exists.
func (e *Emulator) Container(name string) (ContainerInfo, bool) {
	e.mu.Lock()
	evs := e.settleLocked()
	ct, ok := e.containers[name]
	var info ContainerInfo
	if ok {
		info = ContainerInfo{
			Name: ct.name, ARN: ct.arn, Endpoint: ct.endpoint, Status: ct.status,
			CreationTime: ct.created, CorsPolicy: rulesJSON(ct.cors), Tags: maps.Clone(ct.tags),
		}
	}
	e.mu.Unlock()
	e.events.publish(evs)
	return info, ok
}

// SeedContainer adds a container directly in the given status (ACTIVE if empty; CREATING lasts
// the configured time from now; DELETING the configured time), with an optional CORS policy and
// tags. cors is any value that encodes to JSON as a rule array in the API's shape (such as
// policy.Policy) or as {"CorsPolicy": [...]}; nil or a JSON null is no policy. The policy must
// pass PutCorsPolicy's checks. SeedContainer emits no events and counts no calls: it is state
// a test starts from.
func (e *Emulator) SeedContainer(name, status string, cors any, tags map[string]string) error {
	if err := checkName(&name); err != nil {
		return fmt.Errorf("seed container: %w", err)
	}
	var rules []corsRule
	if raw, ok, err := seedRules(cors); err != nil {
		return fmt.Errorf("seed container %s: %w", name, err)
	} else if ok {
		if rules, err = mediaStoreCORS(raw); err != nil {
			return fmt.Errorf("seed container %s: %w", name, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.containers[name]; ok {
		return fmt.Errorf("seed container %s: already exists", name)
	}
	now := e.clock.Now()
	ct := e.addContainerLocked(name, now, maps.Clone(tags))
	ct.cors = rules
	switch status {
	case "", StatusActive:
		ct.status = StatusActive
	case StatusCreating:
	case StatusDeleting:
		ct.status = StatusDeleting
		ct.until = now.Add(e.deleting)
	default:
		delete(e.containers, name)
		return fmt.Errorf("seed container %s: unknown status %q", name, status)
	}
	return nil
}
