package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
)

func TestScriptedFaultsHitTheNamedContainerOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createActive(t, "a")
	f.createActive(t, "b")
	f.emu.Script("GetCorsPolicy", "a", 2, "ContainerInUseException")
	get := func(name string) error {
		_, err := f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: aws.String(name)})
		return err
	}
	wantCode(t, get("b"), "CorsPolicyNotFoundException")
	wantCode(t, get("a"), "ContainerInUseException")
	wantCode(t, get("a"), "ContainerInUseException")
	wantCode(t, get("a"), "CorsPolicyNotFoundException") // the script is spent

	f.emu.Script(emulator.AnyOp, "", 1, "InternalServerError")
	err := get("b")
	wantCode(t, err, "InternalServerError")
	var status interface{ HTTPStatusCode() int }
	if !errors.As(err, &status) || status.HTTPStatusCode() != 500 {
		t.Errorf("InternalServerError status: %v", err)
	}
	if n := f.emu.ResourceCalls("GetCorsPolicy", "a"); n != 3 {
		t.Errorf("faulted calls are counted too: got %d, want 3", n)
	}
}

func TestThrottleFollowsTheClock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.emu.SetThrottle("GetParameter", 2)
	get := func() error {
		_, err := f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
		return err
	}
	// A burst of 2, then throttled until the clock moves.
	wantCode(t, get(), "ParameterNotFound")
	wantCode(t, get(), "ParameterNotFound")
	wantCode(t, get(), "ThrottlingException")
	f.clock.Advance(500 * time.Millisecond)
	wantCode(t, get(), "ParameterNotFound")
	wantCode(t, get(), "ThrottlingException")
	// Other operations are not limited.
	_, err := f.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/p")})
	wantCode(t, err, "ParameterNotFound")
	f.emu.SetThrottle("GetParameter", 0)
	wantCode(t, get(), "ParameterNotFound")
}

// errorPattern makes n ListContainers calls and returns which failed.
func errorPattern(t *testing.T, seed uint64, n int) string {
	t.Helper()
	f := newFixture(t, emulator.WithSeed(seed))
	f.emu.SetErrorRate("ListContainers", 0.3)
	var b strings.Builder
	for range n {
		_, err := f.ms.ListContainers(context.Background(), &mediastore.ListContainersInput{})
		switch {
		case err == nil:
			b.WriteByte('.')
		case errorCode(t, err) == "InternalServerError":
			b.WriteByte('X')
		default:
			t.Fatal(err)
		}
	}
	return b.String()
}

func TestErrorRateIsReproducibleFromTheSeed(t *testing.T) {
	a, b := errorPattern(t, 42, 200), errorPattern(t, 42, 200)
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if c := errorPattern(t, 43, 200); c == a {
		t.Errorf("different seeds gave the same 200 decisions")
	}
	if n := strings.Count(a, "X"); n < 30 || n > 90 {
		t.Errorf("%d of 200 calls failed at a rate of 0.3", n)
	}
}

func TestLatencyIsAddedWhenSet(t *testing.T) {
	f := newFixture(t)
	f.emu.SetLatency("ListContainers", 30*time.Millisecond)
	start := time.Now()
	if _, err := f.ms.ListContainers(context.Background(), &mediastore.ListContainersInput{}); err != nil {
		t.Fatal(err)
	}
	// A lower bound only: latency injection is the one place the emulator really sleeps.
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("call took %v with 30ms of injected latency", d)
	}
}

// recorder collects events from Subscribe.
type recorder struct {
	mu     sync.Mutex
	events []map[string]any
}

func (r *recorder) add(ev []byte) {
	var m map[string]any
	if err := json.Unmarshal(ev, &m); err != nil {
		panic(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, m)
}

func (r *recorder) take() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func TestMediaStoreEvents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var rec recorder
	cancel := f.emu.Subscribe(rec.add)
	defer cancel()

	if _, err := f.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String("movies")}); err != nil {
		t.Fatal(err)
	}
	evs := rec.take()
	if len(evs) != 1 {
		t.Fatalf("after CreateContainer: %d events, want the CloudTrail record", len(evs))
	}
	trail := evs[0]
	detail := trail["detail"].(map[string]any)
	if trail["source"] != "aws.mediastore" || trail["detail-type"] != "AWS API Call via CloudTrail" || detail["eventName"] != "CreateContainer" {
		t.Errorf("CloudTrail envelope: %v", trail)
	}
	if got := detail["requestParameters"].(map[string]any)["containerName"]; got != "movies" {
		t.Errorf("requestParameters.containerName %v", got)
	}
	resp := detail["responseElements"].(map[string]any)["container"].(map[string]any)
	if resp["aRN"] != "arn:aws:mediastore:us-east-1:012345678912:container/movies" || resp["status"] != "CREATING" {
		t.Errorf("responseElements.container: %v", resp)
	}
	if detail["userIdentity"].(map[string]any)["accessKeyId"] != "AKIDEXAMPLE" {
		t.Errorf("userIdentity: %v", detail["userIdentity"])
	}

	// The state change arrives when the container becomes ACTIVE, with its endpoint.
	f.clock.Advance(emulator.DefaultCreatingDuration)
	f.emu.Settle()
	evs = rec.take()
	info, _ := f.emu.Container("movies")
	want := map[string]any{
		"version": "1", "id": evs[0]["id"], "detail-type": "MediaStore Container State Change", "source": "aws.mediastore",
		"account": "012345678912", "time": epoch.Add(emulator.DefaultCreatingDuration).Format(time.RFC3339), "region": "us-east-1",
		"resources": []any{"arn:aws:mediastore:us-east-1:012345678912:container/movies"},
		"detail":    map[string]any{"ContainerName": "movies", "Operation": "CREATE", "Endpoint": info.Endpoint},
	}
	if len(evs) != 1 {
		t.Fatalf("after CREATING: %d events", len(evs))
	}
	if diff := cmp.Diff(want, evs[0]); diff != "" {
		t.Errorf("state change event (-want +got):\n%s", diff)
	}

	if _, err := f.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("movies"), CorsPolicy: samplePolicy}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ms.DeleteCorsPolicy(ctx, &mediastore.DeleteCorsPolicyInput{ContainerName: aws.String("movies")}); err != nil {
		t.Fatal(err)
	}
	evs = rec.take()
	var names []string
	for _, ev := range evs {
		names = append(names, ev["detail"].(map[string]any)["eventName"].(string))
	}
	if !cmp.Equal(names, []string{"PutCorsPolicy", "DeleteCorsPolicy"}) {
		t.Fatalf("CloudTrail records %v", names)
	}
	put := evs[0]["detail"].(map[string]any)["requestParameters"].(map[string]any)
	if put["containerName"] != "movies" || put["corsPolicy"] == nil {
		t.Errorf("PutCorsPolicy requestParameters: %v", put)
	}

	// A refused call emits nothing.
	_, _ = f.ms.DeleteCorsPolicy(ctx, &mediastore.DeleteCorsPolicyInput{ContainerName: aws.String("movies")})
	if evs := rec.take(); len(evs) != 0 {
		t.Errorf("a failed call emitted %d events", len(evs))
	}

	if _, err := f.ms.DeleteContainer(ctx, &mediastore.DeleteContainerInput{ContainerName: aws.String("movies")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(emulator.DefaultDeletingDuration)
	f.emu.Settle()
	evs = rec.take()
	if len(evs) != 1 {
		t.Fatalf("after DELETING: %d events", len(evs))
	}
	if diff := cmp.Diff(map[string]any{"ContainerName": "movies", "Operation": "REMOVE"}, evs[0]["detail"]); diff != "" {
		t.Errorf("REMOVE detail (-want +got):\n%s", diff)
	}
}

func TestParameterStoreEvents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var rec recorder
	f.emu.Subscribe(rec.add)
	name := aws.String("/corsguard/baseline")
	must[*ssm.PutParameterOutput](t)(f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v1"), Type: ssmtypes.ParameterTypeString, Description: aws.String("Sample Parameter")}))
	must[*ssm.PutParameterOutput](t)(f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v2"), Overwrite: aws.Bool(true)}))
	must[*ssm.DeleteParameterOutput](t)(f.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: name}))
	evs := rec.take()
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	for i, op := range []string{"Create", "Update", "Delete"} {
		want := map[string]any{
			"version": "0", "id": evs[i]["id"], "detail-type": "Parameter Store Change", "source": "aws.ssm",
			"account": "012345678912", "time": epoch.Format(time.RFC3339), "region": "us-east-1",
			"resources": []any{"arn:aws:ssm:us-east-1:012345678912:parameter/corsguard/baseline"},
			"detail":    map[string]any{"operation": op, "name": "/corsguard/baseline", "type": "String", "description": "Sample Parameter"},
		}
		if diff := cmp.Diff(want, evs[i]); diff != "" {
			t.Errorf("%s event (-want +got):\n%s", op, diff)
		}
	}
}

func TestEventsArePostedToTheEventURL(t *testing.T) {
	got := make(chan []byte, 10)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- body
	}))
	defer target.Close()
	emu := emulator.New(emulator.WithEventURL(target.URL), emulator.WithClock(clock.NewManual(epoch)), emulator.WithoutQuotas())
	url, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sc := ssmClient(url)
	if _, err := sc.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	if err := stop(context.Background()); err != nil { // drains the queue
		t.Fatal(err)
	}
	select {
	case body := <-got:
		var ev struct {
			DetailType string `json:"detail-type"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || ev.DetailType != "Parameter Store Change" {
			t.Errorf("posted %s", body)
		}
	default:
		t.Fatal("no event was posted before stop returned")
	}
}

func TestLoadState(t *testing.T) {
	f := newFixture(t)
	state := `{
	  "containers": [
	    {"name": "movies", "corsPolicy": {"CorsPolicy": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["*"]}]}},
	    {"name": "live", "status": "CREATING", "tags": {"corsguard:exempt": "true"}}
	  ],
	  "parameters": [{"name": "/corsguard/baseline", "value": "[]", "description": "baseline"}]
	}`
	if err := f.emu.LoadState(strings.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	movies, _ := f.emu.Container("movies")
	live, _ := f.emu.Container("live")
	if movies.Status != "ACTIVE" || !strings.Contains(string(movies.CorsPolicy), `"AllowedMethods":["GET"]`) || live.Status != "CREATING" || live.Tags["corsguard:exempt"] != "true" {
		t.Errorf("seeded containers: %+v %+v", movies, live)
	}
	p := must[*ssm.GetParameterOutput](t)(f.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/corsguard/baseline")}))
	if aws.ToString(p.Parameter.Value) != "[]" || p.Parameter.Type != ssmtypes.ParameterTypeString {
		t.Errorf("seeded parameter: %+v", p.Parameter)
	}
	if n := f.emu.TotalCalls(); n != 1 {
		t.Errorf("seeding counted calls: %d", n)
	}
	for _, bad := range []string{
		`{"containers": [{"name": "x", "corsPolicy": [{"AllowedOrigin": ["*"]}]}]}`,
		`{"container": []}`,
		`{"containers": [{"name": "bad name"}]}`,
	} {
		if err := emulator.New().LoadState(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadState(%s) accepted it", bad)
		}
	}
}
