// Package router decides what one invocation of the function asks for: it decodes an
// EventBridge event (a MediaStore state change, a CloudTrail record of a CORS, tag, create or
// delete call, a Parameter Store change of a baseline or a profile, the schedule) or a direct
// invocation into a Decision: which resources to reconcile, in which mode and why, which
// resource's finding to archive, or why nothing is done. It acts only on successful calls of
// the function's own account and Region (Home), and never fails: input it cannot use is
// Ignored with a note. It calls nothing; the handler hands its Work to the controller.
package router

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/profile"
)

// Event names what an event asks of corsguard (policy.Kind names a kind of resource).
type Event string

// The events Route tells apart.
const (
	ContainerCreated Event = "container_created" // reconcile one new container
	BucketCreated    Event = "bucket_created"    // reconcile one new S3 bucket
	CorsChanged      Event = "cors_changed"      // someone changed a resource's CORS (or its tags): reconcile it
	BaselineChanged  Event = "baseline_changed"  // reconcile every matching resource of the kinds that use it (a profile's: that profile's)
	BaselineDeleted  Event = "baseline_deleted"  // change nothing; report it
	ResourceDeleted  Event = "resource_deleted"  // archive the deleted resource's finding
	Sweep            Event = "sweep"             // scheduled: every matching resource of every target, configured mode
	Manual           Event = "manual"            // direct invocation: every (or the named) container and bucket, requested mode
	Ignored          Event = "ignored"           // nothing to do; a retry would not help
)

// The EventBridge sources and detail types the handler routes.
const (
	sourceMediaStore     = "aws.mediastore"
	sourceS3             = "aws.s3"
	sourceCloudFront     = "aws.cloudfront"
	sourceLambda         = "aws.lambda"
	sourceAPIGateway     = "aws.apigateway"
	sourceSSM            = "aws.ssm"
	sourceEvents         = "aws.events"
	typeContainerState   = "MediaStore Container State Change"
	typeCloudTrail       = "AWS API Call via CloudTrail"
	typeParameterChange  = "Parameter Store Change"
	typeScheduledEvent   = "Scheduled Event"
	operationCreate      = "CREATE"
	operationRemove      = "REMOVE"
	eventCreateContainer = "CreateContainer"
	eventCreateBucket    = "CreateBucket"
)

// maxInput is the largest input Route decodes: EventBridge events are at most 256 KiB, so
// anything larger is not one of ours and is ignored before it is parsed.
const maxInput = 256 * 1024

// Decision is where Route sends one event.
type Decision struct {
	Event Event
	// work is what to run; set unless Kind is Ignored or BaselineDeleted.
	Work enforce.Work
	// Note says why an event is ignored, or what a BaselineDeleted event was.
	Note string
	// Parameter is the baseline parameter a BaselineDeleted event deleted.
	Parameter string
	// Gone is the resource a ResourceDeleted event deleted, and Work.Reason says which event.
	Gone findings.Gone
	// Changed is when a BaselineChanged event's parameter changed: the event's time (to the
	// second). The change's sweep follows every message stamped before the change with it.
	Changed time.Time
}

// reconciles reports whether the Decision runs the engine.
func (d Decision) Reconciles() bool {
	return d.Event != Ignored && d.Event != BaselineDeleted && d.Event != ResourceDeleted
}

// Targeted returns d, or, when d reconciles resources of a kind that is not among the targets
// (enforces says which are), the decision to ignore it: nothing of another kind is touched.
func (d Decision) Targeted(enforces func(policy.Kind) bool) Decision {
	if !d.Reconciles() {
		return d
	}
	w := d.Work
	switch {
	case len(w.Containers) == 0 && len(w.Buckets) > 0 && !enforces(policy.S3):
		return ignoref("%s: S3 buckets are not among the targets", w.Reason)
	case len(w.Policies) > 0 && !enforces(policy.CloudFront):
		return ignoref("%s: CloudFront response headers policies are not among the targets", w.Reason)
	case len(w.FunctionURLs) > 0 && !enforces(policy.LambdaURL):
		return ignoref("%s: Lambda function URLs are not among the targets", w.Reason)
	case w.Profile != nil && !enforces(w.Profile.Kind):
		return ignoref("%s: %s is not among the targets", w.Reason, w.Profile.Kind)
	case len(w.APIs) > 0 && !enforces(policy.HTTPAPI):
		return ignoref("%s: HTTP APIs are not among the targets", w.Reason)
	}
	return d
}

// direct is the input of a direct invocation, e.g. {"action":"audit"}; Containers and Buckets
// optionally narrow it to the named containers and buckets.
type direct struct {
	Action     string   `json:"action"`
	Containers []string `json:"containers"`
	Buckets    []string `json:"buckets"`
}

// envelope is an EventBridge event, or a direct invocation, decoded in one pass.
type envelope struct {
	events.EventBridgeEvent
	Action     *string  `json:"action"`
	Containers []string `json:"containers"`
	Buckets    []string `json:"buckets"`
}

type containerState struct {
	ContainerName string `json:"ContainerName"`
	Operation     string `json:"Operation"`
}

type cloudTrail struct {
	EventName string `json:"eventName"`
	// ErrorCode is set on the record of a call that failed: such a call changed nothing, and
	// the names in it may be someone else's (a refused CreateBucket names another account's
	// bucket).
	ErrorCode         string `json:"errorCode"`
	RequestParameters struct {
		ContainerName string `json:"containerName"`
		BucketName    string `json:"bucketName"`
		// Resource is the container ARN of MediaStore's TagResource and UntagResource.
		Resource string `json:"resource"`
		// ID is CloudFront's policy Id (Update and DeleteResponseHeadersPolicy).
		ID string `json:"id"`
		// ResponseHeadersPolicyConfig is CloudFront's: Create and UpdateResponseHeadersPolicy
		// name the policy by its name in the config (Update also by id).
		ResponseHeadersPolicyConfig struct {
			Name string `json:"name"`
		} `json:"responseHeadersPolicyConfig"`
		// FunctionName (a name, partial ARN or ARN, which may carry the alias) and Qualifier
		// are Lambda's function URL calls'; ApiId is API Gateway's (UpdateApi, ReimportApi,
		// DeleteCorsConfiguration).
		FunctionName string `json:"functionName"`
		Qualifier    string `json:"qualifier"`
		APIID        string `json:"apiId"`
	} `json:"requestParameters"`
	// ResponseElements.APIID is the ApiId CreateApi and ImportApi answer.
	ResponseElements struct {
		APIID string `json:"apiId"`
	} `json:"responseElements"`
	UserIdentity struct {
		ARN string `json:"arn"`
	} `json:"userIdentity"`
}

type parameterChange struct {
	Operation string `json:"operation"`
	Name      string `json:"name"`
}

// Route decides what one invocation's input asks for: baselines are the baseline parameters'
// names (the containers' and, when it has its own, the buckets') and mode the configured mode.
// It never fails: input it cannot use, including input that is not JSON, is Ignored with a
// note saying why. Events go to the route of their source and detail-type (routes).
func Route(input []byte, home Home, baselines []string, mode enforce.Mode) Decision {
	if len(input) > maxInput {
		return ignoref("input is %d bytes; an EventBridge event is at most %d", len(input), maxInput)
	}
	var e envelope
	if err := json.Unmarshal(input, &e); err != nil {
		return ignoref("input is not an event: %v", err)
	}
	if e.Action != nil && e.Source == "" {
		return routeDirect(direct{Action: *e.Action, Containers: e.Containers, Buckets: e.Buckets})
	}
	if e.Source != "" || e.DetailType != "" {
		if d, foreign := elsewhere(e.EventBridgeEvent, home); foreign {
			return d
		}
	}
	if e.DetailType == typeCloudTrail {
		var d cloudTrail
		if err := decodeDetail(e.Detail, &d); err == nil && d.ErrorCode != "" {
			return failedCall(d)
		}
	}
	for _, r := range routes() {
		if r.source == e.Source && r.detailType == e.DetailType {
			return r.decide(e, routing{baselines: baselines, mode: mode, home: home})
		}
	}
	if e.Source == "" && e.DetailType == "" {
		return ignoref("neither an EventBridge event nor a direct invocation")
	}
	return ignoref("no route for source %q, detail-type %q", e.Source, e.DetailType)
}

// routing is what a route needs besides the event: the baselines' names, the mode and the
// function's home (a deleted CloudFront policy's ARN names its account).
type routing struct {
	baselines []string
	mode      enforce.Mode
	home      Home
}

// aRoute is where events of one source and detail-type go.
type aRoute struct {
	source, detailType string
	decide             func(envelope, routing) Decision
}

// routes is the table of the events the handler routes.
func routes() []aRoute {
	return []aRoute{
		{sourceMediaStore, typeContainerState, detail(containerStateChanged)},
		{sourceMediaStore, typeCloudTrail, detail(mediaStoreCall)},
		{sourceS3, typeCloudTrail, detail(s3Call)},
		{sourceCloudFront, typeCloudTrail, detail(cloudFrontCall)},
		{sourceLambda, typeCloudTrail, detail(lambdaCall)},
		{sourceAPIGateway, typeCloudTrail, detail(apiGatewayCall)},
		{sourceSSM, typeParameterChange, detail(parameterChanged)},
		{sourceEvents, typeScheduledEvent, scheduled},
	}
}

// detail decodes an event's detail as a T for decide; a detail that does not decode is Ignored.
func detail[T any](decide func(envelope, routing, T) Decision) func(envelope, routing) Decision {
	return func(e envelope, r routing) Decision {
		var d T
		if err := decodeDetail(e.Detail, &d); err != nil {
			return ignoref("%s: %v", e.DetailType, err)
		}
		return decide(e, r, d)
	}
}

// containerStateChanged routes MediaStore's own event: a container created, or removed.
func containerStateChanged(e envelope, r routing, d containerState) Decision {
	reason := fmt.Sprintf("%s %s %s", e.DetailType, d.Operation, d.ContainerName)
	switch d.Operation {
	case operationCreate:
		return one(ContainerCreated, d.ContainerName, r.mode, reason)
	case operationRemove:
		return deleted(e, policy.MediaStore, d.ContainerName, reason)
	}
	return ignoref("%s: operation %q is neither CREATE nor REMOVE", e.DetailType, d.Operation)
}

// deleted is the Decision to archive the finding of the resource of kind named name, deleted
// at the event's time, if name is a valid name of that kind.
func deleted(e envelope, kind policy.Kind, name, reason string) Decision {
	if err := policy.ValidName(kind, name); err != nil {
		return ignoref("%s: %v", reason, err)
	}
	return Decision{Event: ResourceDeleted, Gone: findings.Gone{Kind: kind, Name: name, At: e.Time},
		Work: enforce.Work{Mode: enforce.ModeAudit, Reason: reason}}
}

// mediaStoreCall routes CloudTrail's record of a MediaStore call.
func mediaStoreCall(e envelope, r routing, d cloudTrail) Decision {
	event := CorsChanged
	switch d.EventName {
	case eventCreateContainer:
		event = ContainerCreated
	case "DeleteContainer":
		return deleted(e, policy.MediaStore, d.RequestParameters.ContainerName, d.reason(d.EventName, d.RequestParameters.ContainerName))
	case "PutCorsPolicy", "DeleteCorsPolicy":
	case "TagResource", "UntagResource":
		// A tag may name the container's profile, or exempt it: reconcile it with its tags now.
		// CloudTrail names the container by its ARN (resource); a record with containerName
		// instead is read as the other MediaStore calls are.
		_, name, ok := strings.Cut(d.RequestParameters.Resource, ":container/")
		if d.RequestParameters.Resource == "" {
			name, ok = d.RequestParameters.ContainerName, true
		}
		if err := policy.ValidContainerName(name); !ok || err != nil {
			return ignoref("CloudTrail %s: %q is not a container ARN", d.EventName, d.RequestParameters.Resource)
		}
		dec := one(CorsChanged, name, r.mode, d.reason(d.EventName, name))
		dec.Work.FreshTags = dec.Event == CorsChanged
		return dec
	default:
		return ignoref("CloudTrail %s cannot change a CORS policy", d.EventName)
	}
	return one(event, d.RequestParameters.ContainerName, r.mode, d.reason(d.EventName, d.RequestParameters.ContainerName))
}

// s3Call routes CloudTrail's record of an S3 call.
func s3Call(e envelope, r routing, d cloudTrail) Decision {
	event, fresh := CorsChanged, false
	switch d.EventName {
	case eventCreateBucket:
		event = BucketCreated
	case "DeleteBucket":
		return deleted(e, policy.S3, d.RequestParameters.BucketName, d.reason(d.EventName, d.RequestParameters.BucketName))
	case "PutBucketCors", "DeleteBucketCors":
	case "PutBucketTagging", "DeleteBucketTagging":
		// A tag may name the bucket's profile, or exempt it: its own tags are read, since the
		// Tagging API's bulk answer can lag the call this record is of.
		fresh = true
	default:
		return ignoref("CloudTrail %s cannot change a bucket's CORS configuration", d.EventName)
	}
	name := d.RequestParameters.BucketName
	reason := d.reason(d.EventName, name)
	if err := policy.ValidBucketName(name); err != nil {
		return ignoref("%s: %v", reason, err)
	}
	return Decision{Event: event, Work: enforce.Work{Buckets: []string{name}, Mode: r.mode, Reason: reason, FreshTags: fresh}}
}

// cloudFrontCall routes CloudTrail's record of a CloudFront call.
func cloudFrontCall(e envelope, r routing, d cloudTrail) Decision {
	// CloudTrail has named CloudFront's calls with the API version appended
	// (UpdateResponseHeadersPolicy2020_05_31); both spellings are the same call, and the
	// template's rule matches both (a prefix pattern).
	event := withoutAPIVersion(d.EventName)
	if event == "DeleteResponseHeadersPolicy" {
		// Named by its Id only: the finding is found by its resource, the policy's ARN.
		id := d.RequestParameters.ID
		reason := d.reason(event, id)
		if !cloudFrontIDPattern.MatchString(id) {
			return ignoref("%s: %q is not a response headers policy's Id", reason, id)
		}
		scope := findings.Scope{Partition: r.home.Partition, Region: r.home.Region, Account: r.home.Account}
		arn := findings.ResourceARN(scope, enforce.Entry{Kind: policy.CloudFront, ID: id})
		return Decision{Event: ResourceDeleted, Gone: findings.Gone{Kind: policy.CloudFront, ARN: arn, At: e.Time},
			Work: enforce.Work{Mode: enforce.ModeAudit, Reason: reason}}
	}
	if event != "CreateResponseHeadersPolicy" && event != "UpdateResponseHeadersPolicy" {
		return ignoref("CloudTrail %s cannot change a response headers policy's CORS", d.EventName)
	}
	name := d.RequestParameters.ResponseHeadersPolicyConfig.Name
	reason := d.reason(event, name)
	if err := policy.ValidName(policy.CloudFront, name); err != nil {
		return ignoref("%s: %v", reason, err)
	}
	return Decision{Event: CorsChanged, Work: enforce.Work{Policies: []string{name}, Mode: r.mode, Reason: reason}}
}

// lambdaCall routes CloudTrail's record of a Lambda function URL call. Lambda's records have
// carried the API version (CreateFunctionUrlConfig20211031, as UpdateFunctionCode20150331v2);
// both spellings are the same call, and the template's rule matches both (a prefix).
func lambdaCall(_ envelope, r routing, d cloudTrail) Decision {
	event := withoutAPIVersion(d.EventName)
	if event != "CreateFunctionUrlConfig" && event != "UpdateFunctionUrlConfig" {
		return ignoref("CloudTrail %s cannot change a function URL's CORS", d.EventName)
	}
	name, err := functionURLName(d.RequestParameters.FunctionName, d.RequestParameters.Qualifier)
	reason := d.reason(event, name)
	if err != nil {
		return ignoref("%s: %v", reason, err)
	}
	return Decision{Event: CorsChanged, Work: enforce.Work{FunctionURLs: []string{name}, Mode: r.mode, Reason: reason}}
}

// functionURLName returns the name of the function URL a Lambda call names: FUNCTION, or
// FUNCTION:ALIAS when the call has a qualifier (in Qualifier or at the end of an ARN).
func functionURLName(function, qualifier string) (string, error) {
	name := function
	if strings.HasPrefix(name, "arn:") {
		a, err := arn.Parse(name)
		if err != nil {
			return "", fmt.Errorf("function %q: %w", function, err)
		}
		name = strings.TrimPrefix(a.Resource, "function:")
	} else if i := strings.Index(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):] // a partial ARN: ACCOUNT:function:NAME
	}
	if fn, q, ok := strings.Cut(name, ":"); ok {
		if qualifier != "" && qualifier != q {
			return "", fmt.Errorf("function %q and qualifier %q disagree", function, qualifier)
		}
		name, qualifier = fn, q
	}
	if !lambdaNamePattern.MatchString(name) || (qualifier != "" && !lambdaNamePattern.MatchString(qualifier)) || qualifier == "$LATEST" {
		return "", fmt.Errorf("function %q (qualifier %q) is not a function URL's name", function, qualifier)
	}
	if qualifier != "" {
		name += ":" + qualifier
	}
	return name, nil
}

// lambdaNamePattern is a function's name or an alias's: 1 to 64 (a function) or 128 (an alias)
// of a-z A-Z 0-9 - _ (the Lambda API reference; the longer limit is checked for both here, the
// engine's store checks each exactly).
var lambdaNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

// apiGatewayCall routes CloudTrail's record of an API Gateway call that can change an HTTP
// API's CORS: CreateApi and ImportApi (the ApiId is in the answer), UpdateApi, ReimportApi and
// DeleteCorsConfiguration (in the request). A WebSocket API it names is left alone by the
// engine (no CORS).
func apiGatewayCall(_ envelope, r routing, d cloudTrail) Decision {
	var id string
	switch d.EventName {
	case "CreateApi", "ImportApi":
		id = d.ResponseElements.APIID
	case "UpdateApi", "ReimportApi", "DeleteCorsConfiguration":
		id = d.RequestParameters.APIID
	default:
		return ignoref("CloudTrail %s cannot change an HTTP API's CORS", d.EventName)
	}
	reason := d.reason(d.EventName, id)
	if !apiIDPattern.MatchString(id) {
		return ignoref("%s: ApiId %q is not an API Gateway id", reason, id)
	}
	return Decision{Event: CorsChanged, Work: enforce.Work{APIs: []string{id}, Mode: r.mode, Reason: reason}}
}

// apiIDPattern is an ApiId as API Gateway makes them: 10 lower-case letters and digits; up to
// 64 are accepted (ids given by import or the emulator's seed may differ).
var apiIDPattern = regexp.MustCompile(`^[a-z0-9]{1,64}$`)

// cloudFrontIDPattern is a response headers policy's Id as CloudFront makes them (a UUID);
// letters, digits and hyphens up to 128 are accepted.
var cloudFrontIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)

// withoutAPIVersion returns a CloudTrail event name without the API version CloudTrail appends
// to some services' calls: CloudFront's (UpdateResponseHeadersPolicy2020_05_31,
// UpdateDistribution2014_01_31) and Lambda's (CreateFunctionUrlConfig20211031,
// UpdateFunctionCode20150331v2).
func withoutAPIVersion(name string) string {
	if n := len(name) - len("2006_01_02"); n > 0 {
		if _, err := time.Parse("2006_01_02", name[n:]); err == nil {
			return name[:n]
		}
	}
	base := name
	if i := strings.LastIndex(base, "v"); i > 0 && i < len(base)-1 && strings.Trim(base[i+1:], "0123456789") == "" {
		base = base[:i] // Lambda's v2, v3 after the date
	}
	if n := len(base) - len("20060102"); n > 0 {
		if _, err := time.Parse("20060102", base[n:]); err == nil {
			return base[:n]
		}
	}
	return name
}

// reason says which call on which resource, and by whom when CloudTrail says.
func (d cloudTrail) reason(call, name string) string {
	reason := fmt.Sprintf("CloudTrail %s %s", call, name)
	if d.UserIdentity.ARN != "" {
		reason += " by " + d.UserIdentity.ARN
	}
	return reason
}

// parameterChanged routes Parameter Store's event: a change to a baseline, or its deletion. A
// baseline name that ends in "/" is the profiles path: a profile's parameter under it
// (<path><kind>/<NAME>) is a baseline too.
func parameterChanged(e envelope, r routing, d parameterChange) Decision {
	var ref *enforce.ProfileRef
	if !slices.Contains(r.baselines, d.Name) {
		for _, b := range r.baselines {
			if name, kind, ok := (profile.Rules{Path: b}).Of(d.Name); ok && strings.HasSuffix(b, "/") {
				ref = &enforce.ProfileRef{Kind: kind, Name: name}
				break
			}
		}
		if ref == nil {
			return ignoref("parameter %q is not the baseline %q", d.Name, strings.Join(r.baselines, `" or "`))
		}
	}
	reason := fmt.Sprintf("SSM %s %s", d.Operation, d.Name)
	switch d.Operation {
	case "Create", "Update", "LabelParameterVersion":
		// A profile's parameter converges exactly that profile's resources of its kind.
		return Decision{Event: BaselineChanged, Work: enforce.Work{Mode: r.mode, Reason: reason, Profile: ref}, Changed: e.Time}
	case "Delete":
		return Decision{Event: BaselineDeleted, Parameter: d.Name,
			Note: reason + ": nothing changed; every container and bucket keeps its CORS configuration until a new baseline exists"}
	}
	return ignoref("SSM operation %q on the baseline is not a change", d.Operation)
}

// scheduled routes the schedule's event: a sweep in the configured mode.
func scheduled(e envelope, r routing) Decision {
	reason := typeScheduledEvent
	if len(e.Resources) > 0 {
		reason += " " + strings.Join(e.Resources, ",")
	}
	return Decision{Event: Sweep, Work: enforce.Work{Mode: r.mode, Reason: reason}}
}

// Home is the account and Region the function runs in. Route acts only on EventBridge events of
// its home: an event of another account or Region (a shared or forwarded event bus) names
// resources that are not ours.
type Home struct {
	Account   string
	Region    string
	Partition string // of the function ARN; "" when Account is
}

// HomeOf returns the function's home: the account from the invocation context's function ARN
// (Lambda sets no variable with the account; lambdacontext has the ARN) and region, the
// function's AWS_REGION. The account is empty when ctx carries no invocation context.
func HomeOf(ctx context.Context, region string) Home {
	h := Home{Region: region}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if a, err := arn.Parse(lc.InvokedFunctionArn); err == nil {
			h.Account, h.Partition = a.AccountID, a.Partition
		}
	}
	return h
}

// elsewhere returns the Decision to ignore e when it is not an event of home, and whether it is
// not. An unknown home ignores every event: acting on one could touch another account's
// resources.
func elsewhere(e events.EventBridgeEvent, home Home) (Decision, bool) {
	switch {
	case home.Account == "":
		return ignoref("event of account %q ignored: the function's own account is unknown (no function ARN in the invocation context)", e.AccountID), true
	case e.AccountID != home.Account:
		return ignoref("event of account %q ignored: this function acts only on events of its own account %s", e.AccountID, home.Account), true
	case home.Region == "":
		return ignoref("event of Region %q ignored: the function's own Region is unknown (AWS_REGION is not set)", e.Region), true
	case e.Region != home.Region:
		return ignoref("event of Region %q ignored: this function acts only on events of its own Region %s", e.Region, home.Region), true
	}
	return Decision{}, false
}

// failedCall is the Decision for the CloudTrail record of a call that failed: nothing to do,
// and no AWS call. A failed call changed nothing, and the names in it need not be ours
// (CreateBucket refused with BucketAlreadyExists names another account's bucket).
func failedCall(d cloudTrail) Decision {
	name := d.RequestParameters.ContainerName + d.RequestParameters.BucketName + d.RequestParameters.ResponseHeadersPolicyConfig.Name +
		d.RequestParameters.FunctionName + d.RequestParameters.APIID
	if name == "" {
		name = d.RequestParameters.ID
	}
	return ignoref("CloudTrail %s %s failed (%s): it changed nothing", d.EventName, name, d.ErrorCode)
}

func routeDirect(d direct) Decision {
	m, ok := enforce.ParseMode(d.Action)
	if !ok {
		return ignoref("direct invocation: action %q is neither audit nor enforce", d.Action)
	}
	for _, name := range d.Containers {
		if err := policy.ValidContainerName(name); err != nil {
			return ignoref("direct invocation: %v", err)
		}
	}
	for _, name := range d.Buckets {
		if err := policy.ValidBucketName(name); err != nil {
			return ignoref("direct invocation: %v", err)
		}
	}
	reason := "direct invocation: " + d.Action
	if len(d.Containers) > 0 {
		reason += " " + strings.Join(d.Containers, ",")
	}
	if len(d.Buckets) > 0 {
		reason += " buckets " + strings.Join(d.Buckets, ",")
	}
	return Decision{Event: Manual, Work: enforce.Work{Containers: d.Containers, Buckets: d.Buckets, Mode: m, Reason: reason}}
}

// one is the Decision to reconcile the single container name, if it is a valid name.
func one(kind Event, name string, mode enforce.Mode, reason string) Decision {
	if err := policy.ValidContainerName(name); err != nil {
		return ignoref("%s: %v", reason, err)
	}
	return Decision{Event: kind, Work: enforce.Work{Containers: []string{name}, Mode: mode, Reason: reason}}
}

func decodeDetail(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("no detail")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("detail: %w", err)
	}
	return nil
}

func ignoref(format string, args ...any) Decision {
	return Decision{Event: Ignored, Note: fmt.Sprintf(format, args...)}
}
