package enforce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/corsguard/corsguard/enforce/corsconv"
	"github.com/corsguard/corsguard/policy"
)

// LambdaAPI is the part of the Lambda API the engine calls; *lambda.Client satisfies it.
type LambdaAPI interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListFunctionUrlConfigs(ctx context.Context, in *lambda.ListFunctionUrlConfigsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionUrlConfigsOutput, error)
	GetFunctionUrlConfig(ctx context.Context, in *lambda.GetFunctionUrlConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error)
	UpdateFunctionUrlConfig(ctx context.Context, in *lambda.UpdateFunctionUrlConfigInput, optFns ...func(*lambda.Options)) (*lambda.UpdateFunctionUrlConfigOutput, error)
	ListTags(ctx context.Context, in *lambda.ListTagsInput, optFns ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
}

var _ LambdaAPI = (*lambda.Client)(nil)

// The IAM actions of the Lambda calls, also the keys of Report.APICalls. Every "lambda:" call
// waits for the one bucket of Config.LambdaRate: Lambda's quota is across its APIs.
const (
	opListFunctions           = "lambda:ListFunctions"
	opListFunctionURLConfigs  = "lambda:ListFunctionUrlConfigs"
	opGetFunctionURLConfig    = "lambda:GetFunctionUrlConfig"
	opUpdateFunctionURLConfig = "lambda:UpdateFunctionUrlConfig"
	opListTags                = "lambda:ListTags"
)

// lambdaPageSize is how many functions one ListFunctions page asks for (its default).
const lambdaPageSize = 50

// LambdaURLs returns the Store of the account's Lambda function URLs in the client's Region.
// A function URL is named by its function, and "FUNCTION:ALIAS" for the URL of an alias; its
// tags are its function's.
func LambdaURLs(c LambdaAPI) Store {
	return &lambdaURLStore{c: c, listed: map[string]*ltypes.Cors{}}
}

type lambdaURLStore struct {
	c LambdaAPI

	// listed holds, per URL, the Cors the listing (or a describe) just returned, which the
	// getPolicy that follows uses instead of a GetFunctionUrlConfig of its own: Lambda's quota
	// is small and shared with the account's deployments. One resource is reconciled by one
	// worker at a time.
	mu     sync.Mutex
	listed map[string]*ltypes.Cors
}

var _ Store = (*lambdaURLStore)(nil)

func (*lambdaURLStore) Kind() policy.Kind { return policy.LambdaURL }

func lambdaOpt(m *meter, op string) func(*lambda.Options) {
	stackFn := m.apiOption(op)
	return func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, stackFn) }
}

// urlName is a function URL's name: the function, or FUNCTION:ALIAS.
func urlName(function, qualifier string) string {
	if qualifier == "" {
		return function
	}
	return function + ":" + qualifier
}

// splitURLName reads a function URL's name back into function and qualifier.
func splitURLName(name string) (function, qualifier string) {
	function, qualifier, _ = strings.Cut(name, ":")
	return function, qualifier
}

// qualifierOf returns the alias a function URL's FunctionArn ends with, "" for none.
func qualifierOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) == 8 {
		return parts[7]
	}
	return ""
}

// unqualified returns a function ARN without its qualifier: tags belong to the function.
func unqualified(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 7 {
		parts = parts[:7]
	}
	return strings.Join(parts, ":")
}

func (s *lambdaURLStore) remember(name string, cors *ltypes.Cors) {
	s.mu.Lock()
	s.listed[name] = cors
	s.mu.Unlock()
}

// listPage lists one page of functions and each one's URLs (a function without a URL has
// nothing to reconcile). Its token is ListFunctions' Marker.
func (s *lambdaURLStore) listPage(ctx context.Context, m *meter, token string) ([]resource, string, error) {
	in := &lambda.ListFunctionsInput{MaxItems: aws.Int32(lambdaPageSize)}
	if token != "" {
		in.Marker = aws.String(token)
	}
	out, err := s.c.ListFunctions(ctx, in, lambdaOpt(m, opListFunctions))
	if err != nil {
		return nil, "", fmt.Errorf("list functions: %w", classifyLambda(err))
	}
	var res []resource
	for _, fn := range out.Functions {
		name := aws.ToString(fn.FunctionName)
		urls, err := s.urls(ctx, m, name)
		if errors.Is(err, errGone) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, "", err
		}
		res = append(res, urls...)
	}
	return res, aws.ToString(out.NextMarker), nil
}

// urls lists the function URLs of one function, every page.
func (s *lambdaURLStore) urls(ctx context.Context, m *meter, function string) ([]resource, error) {
	var out []resource
	in := &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String(function)}
	for {
		page, err := s.c.ListFunctionUrlConfigs(ctx, in, lambdaOpt(m, opListFunctionURLConfigs))
		if err != nil {
			return nil, fmt.Errorf("list function url configs of %s: %w", function, classifyLambda(err))
		}
		for _, u := range page.FunctionUrlConfigs {
			arn := aws.ToString(u.FunctionArn)
			name := urlName(function, qualifierOf(arn))
			s.remember(name, u.Cors)
			out = append(out, resource{name: name, id: unqualified(arn), status: statusReady})
		}
		if aws.ToString(page.NextMarker) == "" || aws.ToString(page.NextMarker) == aws.ToString(in.Marker) {
			return out, nil
		}
		in.Marker = page.NextMarker
	}
}

func (s *lambdaURLStore) get(ctx context.Context, m *meter, name string) (*lambda.GetFunctionUrlConfigOutput, error) {
	function, qualifier := splitURLName(name)
	in := &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(function)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := s.c.GetFunctionUrlConfig(ctx, in, lambdaOpt(m, opGetFunctionURLConfig))
	if err != nil {
		return nil, fmt.Errorf("get function url config %s: %w", name, classifyLambda(err))
	}
	return out, nil
}

// describe finds one function URL; a function without that URL is gone.
func (s *lambdaURLStore) describe(ctx context.Context, m *meter, name string) (resource, error) {
	out, err := s.get(ctx, m, name)
	if err != nil {
		return resource{}, err
	}
	s.remember(name, out.Cors)
	return resource{name: name, id: unqualified(aws.ToString(out.FunctionArn)), status: statusReady}, nil
}

func (s *lambdaURLStore) tags(ctx context.Context, m *meter, r resource) (map[string]string, error) {
	out, err := s.c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(r.id)}, lambdaOpt(m, opListTags))
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", r.id, classifyLambda(err))
	}
	return out.Tags, nil
}

// getPolicy returns the URL's Cors as the listing or describe just read it, else as
// GetFunctionUrlConfig answers; nil for a URL without CORS.
func (s *lambdaURLStore) getPolicy(ctx context.Context, m *meter, r resource) (policy.Policy, error) {
	s.mu.Lock()
	cors, ok := s.listed[r.name]
	delete(s.listed, r.name)
	s.mu.Unlock()
	if !ok {
		out, err := s.get(ctx, m, r.name)
		if err != nil {
			return nil, err
		}
		cors = out.Cors
	}
	return corsconv.FromLambda(cors), nil
}

// putPolicy sends only Cors, the whole object: AuthType and InvokeMode stay as they are. A
// ResourceConflictException (another update in progress) is busy: retried after a delay.
func (s *lambdaURLStore) putPolicy(ctx context.Context, m *meter, r resource, p policy.Policy) error {
	cors, err := corsconv.ToLambda(p)
	if err != nil {
		return Terminal(fmt.Errorf("update function url config %s: %w", r.name, err))
	}
	function, qualifier := splitURLName(r.name)
	in := &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String(function), Cors: cors}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if _, err := s.c.UpdateFunctionUrlConfig(ctx, in, lambdaOpt(m, opUpdateFunctionURLConfig)); err != nil {
		return fmt.Errorf("update function url config %s: %w", r.name, classifyLambda(err))
	}
	return nil
}

// classifyLambda marks the Lambda errors the engine acts on: a missing function or URL is
// gone, a ResourceConflictException (an update in progress) busy; a request Lambda refuses
// (InvalidParameterValueException) is terminal. TooManyRequestsException was already retried
// by the SDK: what reaches here is retryable.
func classifyLambda(err error) error {
	return classifyAs[*ltypes.ResourceNotFoundException, *ltypes.ResourceConflictException, *ltypes.InvalidParameterValueException](err)
}

// classifyAs marks err by the SDK's typed errors of one service: Gone means the resource is
// gone, Busy that it is busy (back to the queue with a delay), Bad a request the service
// refuses (terminal); anything else stays as it is, retryable.
func classifyAs[Gone, Busy, Bad error](err error) error {
	var gone Gone
	var busy Busy
	var bad Bad
	switch {
	case errors.As(err, &gone):
		return fmt.Errorf("%w: %w", errGone, err)
	case errors.As(err, &busy):
		return fmt.Errorf("%w: %w", errBusy, err)
	case errors.As(err, &bad):
		return Terminal(err)
	}
	return err
}
