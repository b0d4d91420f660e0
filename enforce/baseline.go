package enforce

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/corsguard/corsguard/policy"
)

// SSMAPI is the part of the SSM API the engine calls; *ssm.Client satisfies it.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ SSMAPI = (*ssm.Client)(nil)

// ssmPathLister is the SSM call that lists the parameters under a path: the router's one read
// of every profile parameter of a kind. *ssm.Client has it; an engine whose SSM client does not
// (the CLI's baseline file) reads the patterns' profiles one by one.
type ssmPathLister interface {
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

var _ ssmPathLister = (*ssm.Client)(nil)

// The IAM actions of the SSM calls, also their keys in Report.APICalls.
const (
	opGetParameter        = "ssm:GetParameter"
	opGetParametersByPath = "ssm:GetParametersByPath"
)

// parametersByPath lists one page of the parameters one level under path (decrypted), taking
// a token of the SSM share at once or answering errNoBudget, as the router's reads do.
func parametersByPath(ctx context.Context, m *meter, lister ssmPathLister, path, token string) (*ssm.GetParametersByPathOutput, error) {
	ctx, err := m.prepay(ctx, opGetParametersByPath)
	if err != nil {
		return nil, err
	}
	stackFn := m.apiOption(opGetParametersByPath)
	in := &ssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(false), WithDecryption: aws.Bool(true)}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	out, err := lister.GetParametersByPath(ctx, in,
		func(o *ssm.Options) { o.APIOptions = append(o.APIOptions, stackFn) })
	if err != nil {
		return nil, fmt.Errorf("get parameters by path %s: %w", path, err)
	}
	return out, nil
}

// getParameter reads a baseline parameter, decrypted when it is a SecureString.
func (e *Engine) getParameter(ctx context.Context, m *meter, name string) (*types.Parameter, error) {
	stackFn := m.apiOption(opGetParameter)
	out, err := e.params.GetParameter(ctx,
		&ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)},
		func(o *ssm.Options) { o.APIOptions = append(o.APIOptions, stackFn) })
	var notFound *types.ParameterNotFound
	if errors.As(err, &notFound) {
		return nil, fmt.Errorf("parameter %s does not exist: %w", name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("get parameter %s: %w", name, err)
	}
	if out.Parameter == nil {
		return nil, fmt.Errorf("get parameter %s: answer without a parameter", name)
	}
	return out.Parameter, nil
}

// parameterNotFound reports whether err says the parameter does not exist.
func parameterNotFound(err error) bool {
	var notFound *types.ParameterNotFound
	return errors.As(err, &notFound)
}

// baselineAt returns the baseline in the parameter for kind at the version stamp asks (see
// resolve), and its policy when it is valid. A parameter that could not be read gives an
// invalid Baseline that says why (Retryable when a retry can fix it); a budgeted read without
// a token gives an Unread one.
func (e *Engine) baselineAt(ctx context.Context, m *meter, kind policy.Kind, parameter string, stamp int64, budgeted bool) (Baseline, policy.Policy) {
	v, err := e.resolve(ctx, m, parameter, stamp, budgeted)
	switch {
	case errors.Is(err, errNoBudget):
		return Baseline{Kind: kind, Parameter: parameter, Valid: true, Unread: true}, nil
	case err != nil:
		err = judge(err)
		return Baseline{Kind: kind, Parameter: parameter, Error: err.Error(), Retryable: Retryable(err)}, nil
	}
	return v.baseline(kind)
}

// parseBaseline parses a baseline's value for kind (a CloudFront baseline is a CorsConfig,
// the others a rule list), recording the hash or why it does not parse in b.
func parseBaseline(b *Baseline, kind policy.Kind, value string) policy.Policy {
	p, err := policy.ParseKind(kind, []byte(value))
	if err != nil {
		b.Error = fmt.Sprintf("baseline %s version %d: %v", b.Parameter, b.Version, err)
		return nil
	}
	b.Hash = policy.Hash(p)
	return p
}

// loadBaselines reads the baseline of every kind in kinds at its latest version (each
// parameter once per run) and validates it with that kind's rules; see loadBaselinesAt.
func (e *Engine) loadBaselines(ctx context.Context, m *meter, kinds []*binding, rep *Report) map[*binding]policy.Policy {
	return e.loadBaselinesAt(ctx, m, kinds, rep, nil, false)
}

// loadBaselinesAt reads the baseline of every kind in kinds (each parameter once) at the
// version need gives it (the newer of that stamp and the cached version; latest when need has
// none) and validates it with that kind's rules: a baseline with POST is valid for S3 buckets
// and refused for MediaStore containers. budgeted: a read that finds no token of the SSM share
// at once is not made, and its baseline is reported Unread (the router's reads). It records each
// kind's Baseline in rep.Baselines and their summary in rep.Baseline, and returns the policy of
// every kind whose baseline is valid.
func (e *Engine) loadBaselinesAt(ctx context.Context, m *meter, kinds []*binding, rep *Report, need Stamps, budgeted bool) map[*binding]policy.Policy {
	wants := map[*binding]policy.Policy{}
	var problems []string
	for _, k := range kinds {
		b, p := e.baselineAt(ctx, m, k.store.Kind(), k.parameter, need[k.parameter], budgeted)
		switch {
		case b.Valid && !b.Unread:
			wants[k] = p
		case !b.Valid:
			problems = append(problems, b.Error)
		}
		rep.Baselines = append(rep.Baselines, b)
	}
	// The summary is the first kind's baseline, valid only when every kind's is.
	sum := rep.Baselines[0]
	sum.Kind = ""
	sum.Valid = len(problems) == 0
	if len(kinds) > 1 && !sum.Valid {
		sum.Error, sum.Errors, sum.Retryable = "", nil, false
		for _, b := range rep.Baselines {
			if !b.Valid {
				sum.Error = strings.TrimPrefix(sum.Error+"; ", "; ") + string(b.Kind) + ": " + b.Error
				sum.Errors = append(sum.Errors, b.Errors...)
				sum.Retryable = sum.Retryable || b.Retryable
			}
		}
	}
	rep.Baseline = sum
	return wants
}
