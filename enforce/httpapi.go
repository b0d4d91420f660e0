package enforce

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/policy"
)

// APIGatewayAPI is the part of the API Gateway v2 API the engine calls; *apigatewayv2.Client
// satisfies it.
type APIGatewayAPI interface {
	GetApis(ctx context.Context, in *apigatewayv2.GetApisInput, optFns ...func(*apigatewayv2.Options)) (*apigatewayv2.GetApisOutput, error)
	GetApi(ctx context.Context, in *apigatewayv2.GetApiInput, optFns ...func(*apigatewayv2.Options)) (*apigatewayv2.GetApiOutput, error)
	UpdateApi(ctx context.Context, in *apigatewayv2.UpdateApiInput, optFns ...func(*apigatewayv2.Options)) (*apigatewayv2.UpdateApiOutput, error)
	DeleteCorsConfiguration(ctx context.Context, in *apigatewayv2.DeleteCorsConfigurationInput, optFns ...func(*apigatewayv2.Options)) (*apigatewayv2.DeleteCorsConfigurationOutput, error)
}

var _ APIGatewayAPI = (*apigatewayv2.Client)(nil)

// The IAM actions of the API Gateway calls (API Gateway's actions are the HTTP methods on the
// resource's path), also the keys of Report.APICalls. Every "apigateway:" call waits for the
// one bucket of Config.APIGatewayRate: the quota is across management operations.
const (
	opAPIGatewayGET    = "apigateway:GET"    // GetApis, GetApi
	opAPIGatewayPATCH  = "apigateway:PATCH"  // UpdateApi
	opAPIGatewayDELETE = "apigateway:DELETE" // DeleteCorsConfiguration
)

// apisPageSize is how many APIs one GetApis page asks for.
const apisPageSize = 100

// HTTPAPIs returns the Store of the account's API Gateway HTTP APIs in the client's Region.
// An API is named by its ApiId (names are not unique) and selected by its name; WebSocket APIs
// have no CORS and are never listed.
func HTTPAPIs(c APIGatewayAPI) Store {
	return &httpAPIStore{c: c, seen: map[string]seenAPI{}}
}

type httpAPIStore struct {
	c APIGatewayAPI

	// seen holds, per ApiId, the CorsConfiguration and tags GetApis or GetApi just returned,
	// used once by getPolicy and tags instead of a call of their own.
	mu   sync.Mutex
	seen map[string]seenAPI
}

type seenAPI struct {
	cors     *agtypes.Cors
	tags     map[string]string
	corsUsed bool
	tagsUsed bool
}

var _ Store = (*httpAPIStore)(nil)

func (*httpAPIStore) Kind() policy.Kind { return policy.HTTPAPI }

func (*httpAPIStore) selectsByLabel() {}

func agOpt(m *meter, op string) func(*apigatewayv2.Options) {
	stackFn := m.apiOption(op)
	return func(o *apigatewayv2.Options) { o.APIOptions = append(o.APIOptions, stackFn) }
}

func (s *httpAPIStore) remember(id string, cors *agtypes.Cors, tags map[string]string) {
	s.mu.Lock()
	s.seen[id] = seenAPI{cors: cors, tags: maps.Clone(tags)}
	s.mu.Unlock()
}

func (s *httpAPIStore) listPage(ctx context.Context, m *meter, token string) ([]resource, string, error) {
	in := &apigatewayv2.GetApisInput{MaxResults: aws.String(strconv.Itoa(apisPageSize))}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	out, err := s.c.GetApis(ctx, in, agOpt(m, opAPIGatewayGET))
	if err != nil {
		return nil, "", fmt.Errorf("get apis: %w", classifyAPIGateway(err))
	}
	var res []resource
	for _, a := range out.Items {
		if a.ProtocolType != agtypes.ProtocolTypeHttp {
			continue // WebSocket APIs have no CORS
		}
		id := aws.ToString(a.ApiId)
		s.remember(id, a.CorsConfiguration, a.Tags)
		res = append(res, resource{name: id, label: aws.ToString(a.Name), id: id, status: statusReady})
	}
	return res, aws.ToString(out.NextToken), nil
}

func (s *httpAPIStore) get(ctx context.Context, m *meter, id string) (*apigatewayv2.GetApiOutput, error) {
	out, err := s.c.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)}, agOpt(m, opAPIGatewayGET))
	if err != nil {
		return nil, fmt.Errorf("get api %s: %w", id, classifyAPIGateway(err))
	}
	return out, nil
}

// describe finds an API by its ApiId; a WebSocket API is not one of ours (it has no CORS).
func (s *httpAPIStore) describe(ctx context.Context, m *meter, id string) (resource, error) {
	out, err := s.get(ctx, m, id)
	if err != nil {
		return resource{}, err
	}
	if out.ProtocolType != agtypes.ProtocolTypeHttp {
		return resource{}, fmt.Errorf("api %s is a %s API, which has no CORS: %w", id, out.ProtocolType, errGone)
	}
	s.remember(id, out.CorsConfiguration, out.Tags)
	return resource{name: id, label: aws.ToString(out.Name), id: id, status: statusReady}, nil
}

// take returns what a listing or describe saw of id, for getPolicy (cors) or tags, once each.
func (s *httpAPIStore) take(id string, cors bool) (seenAPI, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen, ok := s.seen[id]
	if !ok || (cors && seen.corsUsed) || (!cors && seen.tagsUsed) {
		return seenAPI{}, false
	}
	if cors {
		seen.corsUsed = true
	} else {
		seen.tagsUsed = true
	}
	if seen.corsUsed && seen.tagsUsed {
		delete(s.seen, id)
	} else {
		s.seen[id] = seen
	}
	return seen, true
}

func (s *httpAPIStore) tags(ctx context.Context, m *meter, r resource) (map[string]string, error) {
	if seen, ok := s.take(r.id, false); ok {
		return seen.tags, nil
	}
	out, err := s.get(ctx, m, r.id)
	if err != nil {
		return nil, err
	}
	return out.Tags, nil
}

// getPolicy returns the API's CorsConfiguration, nil for an API without one (a
// DeleteCorsConfiguration leaves it drifted).
func (s *httpAPIStore) getPolicy(ctx context.Context, m *meter, r resource) (policy.Policy, error) {
	if seen, ok := s.take(r.id, true); ok {
		return corsconv.FromAPIGateway(seen.cors), nil
	}
	out, err := s.get(ctx, m, r.id)
	if err != nil {
		return nil, err
	}
	return corsconv.FromAPIGateway(out.CorsConfiguration), nil
}

// putPolicy sends UpdateApi with only CorsConfiguration: every other property of the API
// stays. UpdateApi merges top-level properties; whether it merges CorsConfiguration's members
// is undocumented, and a member the baseline leaves out (MaxAge) cannot be sent as "absent".
// So the write is read back (UpdateApi answers the API as it now is), and when it still
// differs from p, the CORS configuration is deleted (DeleteCorsConfiguration) and written
// whole again, then read back once more. A ConflictException is busy: retried after a delay.
func (s *httpAPIStore) putPolicy(ctx context.Context, m *meter, r resource, p policy.Policy) error {
	cors, err := corsconv.ToAPIGateway(p)
	if err != nil {
		return Terminal(fmt.Errorf("update api %s: %w", r.id, err))
	}
	update := func() (policy.Policy, error) {
		out, err := s.c.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: aws.String(r.id), CorsConfiguration: cors}, agOpt(m, opAPIGatewayPATCH))
		if err != nil {
			return nil, fmt.Errorf("update api %s: %w", r.id, classifyAPIGateway(err))
		}
		return corsconv.FromAPIGateway(out.CorsConfiguration), nil
	}
	got, err := update()
	if err != nil {
		return err
	}
	if got != nil && policy.Equal(got, p) {
		return nil
	}
	if _, err := s.c.DeleteCorsConfiguration(ctx, &apigatewayv2.DeleteCorsConfigurationInput{ApiId: aws.String(r.id)}, agOpt(m, opAPIGatewayDELETE)); err != nil {
		return fmt.Errorf("delete cors configuration of api %s: %w", r.id, classifyAPIGateway(err))
	}
	if got, err = update(); err != nil {
		return err
	}
	if got == nil || !policy.Equal(got, p) {
		return fmt.Errorf("update api %s: the CorsConfiguration read back still differs after it was deleted and written whole: %v", r.id, policy.Diff(got, p))
	}
	return nil
}

// classifyAPIGateway marks the API Gateway errors the engine acts on: NotFoundException is
// gone, ConflictException busy, BadRequestException terminal. TooManyRequestsException was
// already retried by the SDK: what reaches here is retryable.
func classifyAPIGateway(err error) error {
	return classifyAs[*agtypes.NotFoundException, *agtypes.ConflictException, *agtypes.BadRequestException](err)
}
