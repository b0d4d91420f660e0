package enforce

import (
	"context"
	"errors"
	"fmt"

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

// opGetParameter is the IAM action of the SSM call, also its key in Report.APICalls.
const opGetParameter = "ssm:GetParameter"

// getParameter reads the baseline parameter, decrypted when it is a SecureString.
func (e *Engine) getParameter(ctx context.Context, m *meter) (*types.Parameter, error) {
	stackFn := m.call(opGetParameter)
	out, err := e.params.GetParameter(ctx,
		&ssm.GetParameterInput{Name: aws.String(e.cfg.Parameter), WithDecryption: aws.Bool(true)},
		func(o *ssm.Options) { o.APIOptions = append(o.APIOptions, stackFn) })
	var notFound *types.ParameterNotFound
	if errors.As(err, &notFound) {
		return nil, fmt.Errorf("parameter %s does not exist: %w", e.cfg.Parameter, err)
	}
	if err != nil {
		return nil, fmt.Errorf("get parameter %s: %w", e.cfg.Parameter, err)
	}
	if out.Parameter == nil {
		return nil, fmt.Errorf("get parameter %s: answer without a parameter", e.cfg.Parameter)
	}
	return out.Parameter, nil
}

// loadBaseline reads, parses and validates the baseline. The returned policy is nil unless
// the Baseline is valid.
func (e *Engine) loadBaseline(ctx context.Context, m *meter) (Baseline, policy.Policy) {
	b := Baseline{Parameter: e.cfg.Parameter}
	param, err := e.getParameter(ctx, m)
	if err != nil {
		b.Error = err.Error()
		return b, nil
	}
	b.Version = param.Version
	p, err := policy.Parse([]byte(aws.ToString(param.Value)))
	if err != nil {
		b.Error = fmt.Sprintf("baseline %s version %d: %v", e.cfg.Parameter, b.Version, err)
		return b, nil
	}
	b.Hash = policy.Hash(p)
	if err := policy.Validate(p, e.store.Kind()); err != nil {
		b.Error = fmt.Sprintf("baseline %s version %d: %v", e.cfg.Parameter, b.Version, err)
		var verr *policy.ValidationError
		if errors.As(err, &verr) {
			b.Errors = verr.Problems
		}
		return b, nil
	}
	b.Valid = true
	return b, p
}
