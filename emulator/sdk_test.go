package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	mstypes "github.com/aws/aws-sdk-go-v2/service/mediastore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is an emulator on a manual clock behind a real HTTP server, with real SDK clients.
type fixture struct {
	emu   *emulator.Emulator
	clock *clock.Manual
	url   string
	ms    *mediastore.Client
	ssm   *ssm.Client
}

func newFixture(t *testing.T, opts ...emulator.Option) *fixture {
	t.Helper()
	clock := clock.NewManual(epoch)
	emu := emulator.New(append([]emulator.Option{emulator.WithClock(clock), emulator.WithoutQuotas()}, opts...)...)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &fixture{emu: emu, clock: clock, url: srv.URL, ms: mediaStoreClient(srv.URL), ssm: ssmClient(srv.URL)}
}

var creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}, nil
})

// The clients do not retry, so that each API call is exactly one request.
func mediaStoreClient(url string) *mediastore.Client {
	return mediastore.New(mediastore.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

func ssmClient(url string) *ssm.Client {
	return ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

// errorCode returns the API error code of err, or fails the test.
// jsonValue decodes a JSON document for comparison.
func jsonValue(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("%v: %s", err, doc)
	}
	return v
}

// errorCode returns the API error code of err, or fails the test.
func errorCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want an API error", err)
	}
	return ae.ErrorCode()
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := errorCode(t, err); got != code {
		t.Fatalf("got error %v, want %s", err, code)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// createActive creates a container through the API and moves the clock past CREATING.
func (f *fixture) createActive(t *testing.T, name string) *mstypes.Container {
	t.Helper()
	ctx := context.Background()
	if _, err := f.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(emulator.DefaultCreatingDuration)
	out, err := f.ms.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Container
}

var samplePolicy = []mstypes.CorsRule{{
	AllowedOrigins: []string{"https://*.example.com"},
	AllowedMethods: []mstypes.MethodName{mstypes.MethodNameGet, mstypes.MethodNameHead},
	AllowedHeaders: []string{"*"},
	ExposeHeaders:  []string{"ETag"},
	MaxAgeSeconds:  3000,
}}

func TestContainerLifecycleFollowsTheInjectedClock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String("movies")})
	if err != nil {
		t.Fatal(err)
	}
	c := created.Container
	if c.Status != mstypes.ContainerStatusCreating || c.Endpoint != nil {
		t.Fatalf("new container: status %s endpoint %v, want CREATING without endpoint", c.Status, c.Endpoint)
	}
	if got, want := aws.ToString(c.ARN), "arn:aws:mediastore:us-east-1:012345678912:container/movies"; got != want {
		t.Errorf("ARN %s, want %s", got, want)
	}
	if !c.CreationTime.Equal(epoch) {
		t.Errorf("CreationTime %v, want %v", c.CreationTime, epoch)
	}

	_, err = f.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String("movies"), CorsPolicy: samplePolicy})
	var inUse *mstypes.ContainerInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("PutCorsPolicy on CREATING: got %v, want ContainerInUseException", err)
	}
	_, err = f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: aws.String("movies")})
	wantCode(t, err, "ContainerInUseException")

	f.clock.Advance(emulator.DefaultCreatingDuration - time.Millisecond)
	d := must[*mediastore.DescribeContainerOutput](t)(f.ms.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: aws.String("movies")}))
	if d.Container.Status != mstypes.ContainerStatusCreating {
		t.Fatalf("1ms before the end of CREATING: status %s", d.Container.Status)
	}
	f.clock.Advance(time.Millisecond)
	d = must[*mediastore.DescribeContainerOutput](t)(f.ms.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: aws.String("movies")}))
	if d.Container.Status != mstypes.ContainerStatusActive {
		t.Fatalf("after CREATING: status %s, want ACTIVE", d.Container.Status)
	}
	ep := aws.ToString(d.Container.Endpoint)
	if !strings.HasPrefix(ep, "https://") || !strings.HasSuffix(ep, ".data.mediastore.us-east-1.amazonaws.com") || len(ep) != len("https://")+14+len(".data.mediastore.us-east-1.amazonaws.com") {
		t.Errorf("endpoint %q is not in AWS's shape", ep)
	}

	if _, err := f.ms.DeleteContainer(ctx, &mediastore.DeleteContainerInput{ContainerName: aws.String("movies")}); err != nil {
		t.Fatal(err)
	}
	d = must[*mediastore.DescribeContainerOutput](t)(f.ms.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: aws.String("movies")}))
	if d.Container.Status != mstypes.ContainerStatusDeleting {
		t.Fatalf("after DeleteContainer: status %s, want DELETING", d.Container.Status)
	}
	_, err = f.ms.DeleteContainer(ctx, &mediastore.DeleteContainerInput{ContainerName: aws.String("movies")})
	wantCode(t, err, "ContainerInUseException")
	f.clock.Advance(emulator.DefaultDeletingDuration)
	_, err = f.ms.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: aws.String("movies")})
	var notFound *mstypes.ContainerNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("after DELETING: got %v, want ContainerNotFoundException", err)
	}
}

func TestCreatingDurationIsConfigurable(t *testing.T) {
	f := newFixture(t, emulator.WithCreatingDuration(0))
	out := must[*mediastore.CreateContainerOutput](t)(f.ms.CreateContainer(context.Background(), &mediastore.CreateContainerInput{ContainerName: aws.String("now")}))
	// CreateContainer itself answers CREATING, as AWS does; the next read sees ACTIVE.
	if out.Container.Status != mstypes.ContainerStatusCreating {
		t.Errorf("CreateContainer answered %s, want CREATING", out.Container.Status)
	}
	info, _ := f.emu.Container("now")
	if info.Status != emulator.StatusActive {
		t.Errorf("status %s, want ACTIVE at once", info.Status)
	}
}

func TestCorsPolicyRoundTripsAndIsValidated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createActive(t, "movies")
	name := aws.String("movies")

	_, err := f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: name})
	var noPolicy *mstypes.CorsPolicyNotFoundException
	if !errors.As(err, &noPolicy) {
		t.Fatalf("GetCorsPolicy without a policy: got %v, want CorsPolicyNotFoundException", err)
	}
	_, err = f.ms.DeleteCorsPolicy(ctx, &mediastore.DeleteCorsPolicyInput{ContainerName: name})
	wantCode(t, err, "CorsPolicyNotFoundException")

	if _, err := f.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: name, CorsPolicy: samplePolicy}); err != nil {
		t.Fatal(err)
	}
	got := must[*mediastore.GetCorsPolicyOutput](t)(f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: name}))
	if diff := cmp.Diff(samplePolicy, got.CorsPolicy, cmp.AllowUnexported(mstypes.CorsRule{})); diff != "" {
		t.Errorf("policy read back (-put +got):\n%s", diff)
	}

	bad := []mstypes.CorsRule{{
		AllowedOrigins: []string{"https://*.*.example.com"},
		AllowedMethods: []mstypes.MethodName{mstypes.MethodNameGet},
		AllowedHeaders: []string{},
	}}
	_, err = f.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: name, CorsPolicy: bad})
	wantCode(t, err, "ValidationException")
	var ae smithy.APIError
	errors.As(err, &ae)
	if !strings.Contains(ae.ErrorMessage(), `"https://*.*.example.com" can contain only one wildcard`) {
		t.Errorf("ValidationException message %q does not name the problem", ae.ErrorMessage())
	}
	var statusErr interface{ HTTPStatusCode() int }
	if !errors.As(err, &statusErr) || statusErr.HTTPStatusCode() != 400 {
		t.Errorf("ValidationException status: %v", err)
	}
	// The invalid policy changed nothing.
	got = must[*mediastore.GetCorsPolicyOutput](t)(f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: name}))
	if len(got.CorsPolicy) != 1 || got.CorsPolicy[0].AllowedOrigins[0] != "https://*.example.com" {
		t.Errorf("policy after a refused put: %+v", got.CorsPolicy)
	}

	if _, err := f.ms.DeleteCorsPolicy(ctx, &mediastore.DeleteCorsPolicyInput{ContainerName: name}); err != nil {
		t.Fatal(err)
	}
	_, err = f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: name})
	wantCode(t, err, "CorsPolicyNotFoundException")
}

func TestCorsCallsOnAMissingContainer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	name := aws.String("nope")
	calls := map[string]func() error{
		"GetCorsPolicy": func() error {
			_, err := f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: name})
			return err
		},
		"PutCorsPolicy": func() error {
			_, err := f.ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: name, CorsPolicy: samplePolicy})
			return err
		},
		"DeleteCorsPolicy": func() error {
			_, err := f.ms.DeleteCorsPolicy(ctx, &mediastore.DeleteCorsPolicyInput{ContainerName: name})
			return err
		},
		"DeleteContainer": func() error {
			_, err := f.ms.DeleteContainer(ctx, &mediastore.DeleteContainerInput{ContainerName: name})
			return err
		},
		"DescribeContainer": func() error {
			_, err := f.ms.DescribeContainer(ctx, &mediastore.DescribeContainerInput{ContainerName: name})
			return err
		},
		"ListTagsForResource": func() error {
			_, err := f.ms.ListTagsForResource(ctx, &mediastore.ListTagsForResourceInput{Resource: aws.String("arn:aws:mediastore:us-east-1:012345678912:container/nope")})
			return err
		},
	}
	for op, fn := range calls {
		t.Run(op+" answers ContainerNotFoundException", func(t *testing.T) {
			var nf *mstypes.ContainerNotFoundException
			if err := fn(); !errors.As(err, &nf) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestCreateContainerErrors(t *testing.T) {
	f := newFixture(t, emulator.WithContainerQuota(2))
	ctx := context.Background()
	create := func(name string) error {
		_, err := f.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(name)})
		return err
	}
	if err := create("a"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, create("a"), "ContainerInUseException")
	wantCode(t, create("bad name!"), "ValidationException")
	if err := create("b"); err != nil {
		t.Fatal(err)
	}
	var limit *mstypes.LimitExceededException
	if err := create("c"); !errors.As(err, &limit) {
		t.Fatalf("third container with a quota of 2: got %v, want LimitExceededException", err)
	}
}

func TestDefaultQuotaIsAWSs100Containers(t *testing.T) {
	f := newFixture(t)
	for i := range 100 {
		if err := f.emu.SeedContainer(fmt.Sprintf("c%03d", i), "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.ms.CreateContainer(context.Background(), &mediastore.CreateContainerInput{ContainerName: aws.String("one-more")})
	wantCode(t, err, "LimitExceededException")
}

func TestListContainersPaginatesOver250(t *testing.T) {
	// AWS's quota is 100 containers; the option raises it to test pagination past two pages.
	f := newFixture(t, emulator.WithContainerQuota(300))
	want := map[string]bool{}
	for i := range 250 {
		name := fmt.Sprintf("c-%03d", i)
		want[name] = true
		if err := f.emu.SeedContainer(name, "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, size := range []int32{1, 7, 100} {
		t.Run(fmt.Sprintf("pages of %d", size), func(t *testing.T) {
			seen := map[string]bool{}
			pages := 0
			p := mediastore.NewListContainersPaginator(f.ms, &mediastore.ListContainersInput{MaxResults: aws.Int32(size)})
			for p.HasMorePages() {
				out, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(out.Containers) > int(size) {
					t.Fatalf("page of %d containers, MaxResults %d", len(out.Containers), size)
				}
				for _, c := range out.Containers {
					if seen[*c.Name] {
						t.Fatalf("container %s listed twice", *c.Name)
					}
					seen[*c.Name] = true
				}
			}
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("containers listed (-want +got):\n%s", diff)
			}
			if wantPages := (250 + int(size) - 1) / int(size); pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
	for _, bad := range []int32{0, 101} {
		_, err := f.ms.ListContainers(context.Background(), &mediastore.ListContainersInput{MaxResults: aws.Int32(bad)})
		wantCode(t, err, "ValidationException")
	}
	_, err := f.ms.ListContainers(context.Background(), &mediastore.ListContainersInput{NextToken: aws.String("garbage!")})
	wantCode(t, err, "ValidationException")
}

func TestTags(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out := must[*mediastore.CreateContainerOutput](t)(f.ms.CreateContainer(ctx, &mediastore.CreateContainerInput{
		ContainerName: aws.String("tagged"),
		Tags:          []mstypes.Tag{{Key: aws.String("team"), Value: aws.String("video")}},
	}))
	arn := out.Container.ARN
	_, err := f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: arn, Tags: []mstypes.Tag{{Key: aws.String("x"), Value: aws.String("y")}}})
	wantCode(t, err, "ContainerInUseException")
	f.clock.Advance(emulator.DefaultCreatingDuration)

	_, err = f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: arn, Tags: []mstypes.Tag{
		{Key: aws.String("corsguard:exempt"), Value: aws.String("true")},
		{Key: aws.String("team"), Value: aws.String("media")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tags := func() map[string]string {
		t.Helper()
		out := must[*mediastore.ListTagsForResourceOutput](t)(f.ms.ListTagsForResource(ctx, &mediastore.ListTagsForResourceInput{Resource: arn}))
		m := map[string]string{}
		for _, tg := range out.Tags {
			m[*tg.Key] = aws.ToString(tg.Value)
		}
		return m
	}
	if diff := cmp.Diff(map[string]string{"corsguard:exempt": "true", "team": "media"}, tags()); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if _, err := f.ms.UntagResource(ctx, &mediastore.UntagResourceInput{Resource: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"corsguard:exempt": "true"}, tags()); diff != "" {
		t.Errorf("tags after untag (-want +got):\n%s", diff)
	}
	many := make([]mstypes.Tag, 50)
	for i := range many {
		many[i] = mstypes.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	_, err = f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: arn, Tags: many})
	wantCode(t, err, "ValidationException")
	_, err = f.ms.TagResource(ctx, &mediastore.TagResourceInput{Resource: aws.String("arn:aws:mediastore:eu-west-1:012345678912:container/tagged"), Tags: many[:1]})
	wantCode(t, err, "ContainerNotFoundException")
}

func TestSSMParameters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	name := aws.String("/corsguard/baseline")
	put := must[*ssm.PutParameterOutput](t)(f.ssm.PutParameter(ctx, &ssm.PutParameterInput{
		Name: name, Value: aws.String(`[{"AllowedOrigins":["*"]}]`), Type: ssmtypes.ParameterTypeString, Description: aws.String("baseline"),
	}))
	if put.Version != 1 || put.Tier != ssmtypes.ParameterTierStandard {
		t.Errorf("first put: version %d tier %s", put.Version, put.Tier)
	}
	_, err := f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v2"), Type: ssmtypes.ParameterTypeString})
	var exists *ssmtypes.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("put without Overwrite: got %v, want ParameterAlreadyExists", err)
	}
	f.clock.Advance(time.Minute)
	put = must[*ssm.PutParameterOutput](t)(f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v2"), Overwrite: aws.Bool(true)}))
	if put.Version != 2 {
		t.Errorf("overwrite: version %d, want 2", put.Version)
	}

	got := must[*ssm.GetParameterOutput](t)(f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: name}))
	want := &ssmtypes.Parameter{
		ARN: aws.String("arn:aws:ssm:us-east-1:012345678912:parameter/corsguard/baseline"), DataType: aws.String("text"),
		LastModifiedDate: aws.Time(epoch.Add(time.Minute)), Name: name, Type: ssmtypes.ParameterTypeString,
		Value: aws.String("v2"), Version: 2,
	}
	if diff := cmp.Diff(want, got.Parameter, cmp.AllowUnexported(ssmtypes.Parameter{})); diff != "" {
		t.Errorf("GetParameter (-want +got):\n%s", diff)
	}
	old := must[*ssm.GetParameterOutput](t)(f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/corsguard/baseline:1")}))
	if aws.ToString(old.Parameter.Value) != `[{"AllowedOrigins":["*"]}]` || old.Parameter.Version != 1 || aws.ToString(old.Parameter.Selector) != ":1" {
		t.Errorf("GetParameter name:1 = %+v", old.Parameter)
	}
	_, err = f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/corsguard/baseline:9")})
	var noVersion *ssmtypes.ParameterVersionNotFound
	if !errors.As(err, &noVersion) {
		t.Errorf("GetParameter name:9: got %v, want ParameterVersionNotFound", err)
	}
	_, err = f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
	var notFound *ssmtypes.ParameterNotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("GetParameter of a missing name: got %v, want ParameterNotFound", err)
	}

	// SecureString: encrypted unless WithDecryption.
	must[*ssm.PutParameterOutput](t)(f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/s"), Value: aws.String("secret"), Type: ssmtypes.ParameterTypeSecureString}))
	enc := must[*ssm.GetParameterOutput](t)(f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/s")}))
	if aws.ToString(enc.Parameter.Value) == "secret" {
		t.Error("SecureString returned in clear without WithDecryption")
	}
	dec := must[*ssm.GetParameterOutput](t)(f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/s"), WithDecryption: aws.Bool(true)}))
	if aws.ToString(dec.Parameter.Value) != "secret" {
		t.Errorf("decrypted value %q", aws.ToString(dec.Parameter.Value))
	}

	many := must[*ssm.GetParametersOutput](t)(f.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/corsguard/baseline", "/missing", "/s"}, WithDecryption: aws.Bool(true)}))
	if len(many.Parameters) != 2 || !cmp.Equal(many.InvalidParameters, []string{"/missing"}) {
		t.Errorf("GetParameters: %d parameters, invalid %v", len(many.Parameters), many.InvalidParameters)
	}
	_, err = f.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: strings.Split("a b c d e f g h i j k", " ")})
	wantCode(t, err, "ValidationException")

	hist := must[*ssm.GetParameterHistoryOutput](t)(f.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: name, MaxResults: aws.Int32(1)}))
	if len(hist.Parameters) != 1 || hist.Parameters[0].Version != 1 || hist.NextToken == nil {
		t.Fatalf("history page 1: %+v", hist)
	}
	hist = must[*ssm.GetParameterHistoryOutput](t)(f.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: name, MaxResults: aws.Int32(1), NextToken: hist.NextToken}))
	if len(hist.Parameters) != 1 || hist.Parameters[0].Version != 2 || hist.NextToken != nil {
		t.Fatalf("history page 2: %+v", hist)
	}
	if aws.ToString(hist.Parameters[0].Description) != "baseline" {
		t.Errorf("an overwrite without a description keeps the old one; got %q", aws.ToString(hist.Parameters[0].Description))
	}

	if _, err := f.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: name}); err != nil {
		t.Fatal(err)
	}
	_, err = f.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: name})
	wantCode(t, err, "ParameterNotFound")
	_, err = f.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: name})
	wantCode(t, err, "ParameterNotFound")
}

func TestSSMPutParameterErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   *ssm.PutParameterInput
		code string
	}{
		{"a new parameter needs a type", &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v")}, "ValidationException"},
		{"aws is a reserved prefix", &ssm.PutParameterInput{Name: aws.String("awsx"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}, "ValidationException"},
		{"the /aws/ tree is AWS's", &ssm.PutParameterInput{Name: aws.String("/aws/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}, "AccessDeniedException"},
		{"a path must start with a slash", &ssm.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}, "ValidationException"},
		{"a standard value is at most 4 KB", &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String(strings.Repeat("x", 4097)), Type: ssmtypes.ParameterTypeString}, "ValidationException"},
		{"the type is an enum", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: "Text"}, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.ssm.PutParameter(ctx, tc.in)
			wantCode(t, err, tc.code)
		})
	}
	// An advanced parameter holds up to 8 KB.
	if _, err := f.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String(strings.Repeat("x", 8192)),
		Type: ssmtypes.ParameterTypeString, Tier: ssmtypes.ParameterTierAdvanced}); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsCarryTypeStatusAndRequestID(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(`{"ContainerName":"nope"}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "MediaStore_20170901.DescribeContainer")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/us-east-1/mediastore/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || body["__type"] != "ContainerNotFoundException" || body["message"] == "" {
		t.Errorf("status %d body %v", resp.StatusCode, body)
	}
	if id := resp.Header.Get("X-Amzn-Requestid"); len(id) != 36 {
		t.Errorf("X-Amzn-Requestid %q", id)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type %q", ct)
	}

	// The SDK exposes the request ID of a failed call.
	_, err = f.ms.DescribeContainer(context.Background(), &mediastore.DescribeContainerInput{ContainerName: aws.String("nope")})
	var re interface{ ServiceRequestID() string }
	if !errors.As(err, &re) || len(re.ServiceRequestID()) != 36 {
		t.Errorf("request ID from the SDK error: %v", err)
	}
}

func TestRequestsWithoutAuthorizationAreRefused(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "MediaStore_20170901.ListContainers")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body["__type"] != "MissingAuthenticationTokenException" {
		t.Errorf("status %d body %v", resp.StatusCode, body)
	}
	if n := f.emu.TotalCalls(); n != 0 {
		t.Errorf("an unauthenticated request was counted: %d calls", n)
	}
}

func TestCallsAreCountedPerOperationAndContainer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createActive(t, "a")
	f.createActive(t, "b")
	for range 3 {
		_, _ = f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: aws.String("a")})
	}
	_, _ = f.ms.GetCorsPolicy(ctx, &mediastore.GetCorsPolicyInput{ContainerName: aws.String("b")})
	_, _ = f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	want := map[string]int{"CreateContainer": 2, "DescribeContainer": 2, "GetCorsPolicy": 4, "GetParameter": 1}
	if diff := cmp.Diff(want, f.emu.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if n := f.emu.ResourceCalls("GetCorsPolicy", "a"); n != 3 {
		t.Errorf("GetCorsPolicy on a: %d", n)
	}
	if n := f.emu.ResourceCalls("GetParameter", "/p"); n != 1 {
		t.Errorf("GetParameter on /p: %d", n)
	}
	f.emu.ResetCalls()
	if n := f.emu.TotalCalls(); n != 0 {
		t.Errorf("after ResetCalls: %d", n)
	}
}

func TestManyConcurrentClients(t *testing.T) {
	f := newFixture(t, emulator.WithContainerQuota(1000), emulator.WithCreatingDuration(0))
	ctx := context.Background()
	const workers, perWorker = 12, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*4)
	for w := range workers {
		wg.Go(func() {
			ms, sm := mediaStoreClient(f.url), ssmClient(f.url)
			for i := range perWorker {
				name := fmt.Sprintf("w%d-c%d", w, i)
				if _, err := ms.CreateContainer(ctx, &mediastore.CreateContainerInput{ContainerName: aws.String(name)}); err != nil {
					errs <- err
					continue
				}
				if _, err := ms.PutCorsPolicy(ctx, &mediastore.PutCorsPolicyInput{ContainerName: aws.String(name), CorsPolicy: samplePolicy}); err != nil {
					errs <- err
				}
				if _, err := ms.ListContainers(ctx, &mediastore.ListContainersInput{MaxResults: aws.Int32(5)}); err != nil {
					errs <- err
				}
				// Everyone overwrites the same parameter: versions must still count up by one.
				if _, err := sm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/shared"), Value: aws.String(name),
					Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
					errs <- err
				}
				f.clock.Advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p := must[*ssm.GetParameterOutput](t)(f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/shared")}))
	if p.Parameter.Version != workers*perWorker {
		t.Errorf("parameter version %d after %d overwrites", p.Parameter.Version, workers*perWorker)
	}
	n := 0
	pg := mediastore.NewListContainersPaginator(f.ms, &mediastore.ListContainersInput{})
	for pg.HasMorePages() {
		out := must[*mediastore.ListContainersOutput](t)(pg.NextPage(ctx))
		n += len(out.Containers)
	}
	if n != workers*perWorker {
		t.Errorf("%d containers, want %d", n, workers*perWorker)
	}
	if got := f.emu.CallCount("PutCorsPolicy"); got != workers*perWorker {
		t.Errorf("PutCorsPolicy counted %d times, want %d", got, workers*perWorker)
	}
}
