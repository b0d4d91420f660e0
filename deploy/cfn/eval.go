package cfn

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Env is what evaluation knows beyond the template: the pseudo parameters, the values given to
// the template's parameters, and the values of the resources a test cares about (the resources
// exist only once deployed).
type Env struct {
	Partition string // AWS::Partition, e.g. "aws"
	Region    string // AWS::Region
	AccountID string // AWS::AccountId
	StackName string // AWS::StackName
	URLSuffix string // AWS::URLSuffix; "amazonaws.com" when empty

	// Parameters overrides parameter defaults by name, as `sam deploy --parameter-overrides`
	// would; every other parameter takes its Default.
	Parameters map[string]string
	// Refs gives `Ref: ID` of a resource by logical ID; GetAtts gives `Fn::GetAtt: [ID, Attr]` by
	// "ID.Attr". A reference to a resource missing here is an error.
	Refs    map[string]string
	GetAtts map[string]string
}

// NoValue is what AWS::NoValue evaluates to. Eval drops it from mappings and lists, as
// CloudFormation does; it is returned only when the value evaluated is itself NoValue.
type NoValue struct{}

// Evaluator resolves intrinsic functions in values of one template under one Env. It is not
// safe for concurrent use.
type Evaluator struct {
	t          *Template
	env        Env
	params     map[string]any
	conds      map[string]bool
	evaluating map[string]bool
}

// NewEvaluator returns an Evaluator for t under env, after checking each parameter's value
// (override or Default) against the parameter's own constraints: AllowedValues,
// AllowedPattern, MinLength, MaxLength, MinValue, MaxValue.
func NewEvaluator(t *Template, env Env) (*Evaluator, error) {
	e := &Evaluator{t: t, env: env, params: map[string]any{}, conds: map[string]bool{}, evaluating: map[string]bool{}}
	if e.env.URLSuffix == "" {
		e.env.URLSuffix = "amazonaws.com"
	}
	decl := t.Section("Parameters")
	for name := range env.Parameters {
		if _, ok := decl[name]; !ok {
			return nil, fmt.Errorf("parameter %s: not declared in the template", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(decl)) {
		p, ok := decl[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("parameter %s: not a mapping", name)
		}
		raw, given := env.Parameters[name]
		if !given {
			def, ok := p["Default"]
			if !ok {
				continue // an error only when referenced
			}
			raw = scalarString(def)
		}
		if err := checkParameter(p, raw); err != nil {
			return nil, fmt.Errorf("parameter %s value %q: %w", name, raw, err)
		}
		typ, _ := p["Type"].(string)
		if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
			var list []any
			for _, s := range strings.Split(raw, ",") {
				list = append(list, strings.TrimSpace(s))
			}
			e.params[name] = list
		} else {
			e.params[name] = raw
		}
	}
	return e, nil
}

func checkParameter(p map[string]any, v string) error {
	if allowed, ok := p["AllowedValues"].([]any); ok {
		found := false
		for _, a := range allowed {
			found = found || scalarString(a) == v
		}
		if !found {
			return fmt.Errorf("not one of AllowedValues %v", allowed)
		}
	}
	if pat, ok := p["AllowedPattern"].(string); ok {
		re, err := regexp.Compile(`^(?:` + pat + `)$`)
		if err != nil {
			return fmt.Errorf("AllowedPattern: %w", err)
		}
		if !re.MatchString(v) {
			return fmt.Errorf("does not match AllowedPattern %s", pat)
		}
	}
	if n, ok := number(p["MinLength"]); ok && float64(len(v)) < n {
		return fmt.Errorf("shorter than MinLength %v", n)
	}
	if n, ok := number(p["MaxLength"]); ok && float64(len(v)) > n {
		return fmt.Errorf("longer than MaxLength %v", n)
	}
	if p["Type"] == "Number" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return errors.New("not a number")
		}
		if n, ok := number(p["MinValue"]); ok && f < n {
			return fmt.Errorf("under MinValue %v", n)
		}
		if n, ok := number(p["MaxValue"]); ok && f > n {
			return fmt.Errorf("over MaxValue %v", n)
		}
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

// scalarString renders a YAML scalar as CloudFormation sees it: as text.
func scalarString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// Env returns the Env the Evaluator was made with (its maps copied), so that a second template
// deployed alongside, such as another rendering of the same stack, can be evaluated under the same
// values.
func (e *Evaluator) Env() Env {
	env := e.env
	env.Parameters = maps.Clone(e.env.Parameters)
	env.Refs = maps.Clone(e.env.Refs)
	env.GetAtts = maps.Clone(e.env.GetAtts)
	return env
}

// Parameter returns the value a parameter takes under the Env: a string, or a []any of
// strings for a list type.
func (e *Evaluator) Parameter(name string) (any, error) {
	v, ok := e.params[name]
	if !ok {
		return nil, fmt.Errorf("parameter %s: no value and no Default", name)
	}
	return v, nil
}

// Eval resolves every intrinsic function in v and drops AWS::NoValue.
func (e *Evaluator) Eval(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return e.call(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			ev, err := e.Eval(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, skip := ev.(NoValue); !skip {
				out[k] = ev
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, val := range x {
			ev, err := e.Eval(val)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, skip := ev.(NoValue); !skip {
				out = append(out, ev)
			}
		}
		return out, nil
	}
	return v, nil
}

// String evaluates v and requires a string (a number is given as its text).
func (e *Evaluator) String(v any) (string, error) {
	ev, err := e.Eval(v)
	if err != nil {
		return "", err
	}
	switch ev.(type) {
	case string, int, float64, bool:
		return scalarString(ev), nil
	}
	return "", fmt.Errorf("%v evaluates to %T, not a string", v, ev)
}

// Condition evaluates the named condition of the template's Conditions section.
func (e *Evaluator) Condition(name string) (bool, error) {
	if v, ok := e.conds[name]; ok {
		return v, nil
	}
	if e.evaluating[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	expr, ok := e.t.Section("Conditions")[name]
	if !ok {
		return false, fmt.Errorf("condition %s: not declared", name)
	}
	e.evaluating[name] = true
	defer delete(e.evaluating, name)
	v, err := e.cond(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	e.conds[name] = v
	return v, nil
}

// cond evaluates a condition expression, where {Condition: Name} names another condition.
func (e *Evaluator) cond(expr any) (bool, error) {
	if m, ok := expr.(map[string]any); ok && len(m) == 1 {
		if name, ok := m["Condition"].(string); ok {
			return e.Condition(name)
		}
	}
	v, err := e.Eval(expr)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%v is %T, not a condition", expr, v)
	}
	return b, nil
}

func (e *Evaluator) call(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("argument of Ref is %T, not a name", arg)
		}
		return e.ref(name)
	case "Fn::GetAtt":
		return e.getAtt(arg)
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::If":
		return e.fnIf(arg)
	case "Fn::Equals":
		args, err := e.args(fn, arg, 2)
		if err != nil {
			return nil, err
		}
		return fmt.Sprint(scalarOrValue(args[0])) == fmt.Sprint(scalarOrValue(args[1])), nil
	case "Fn::Not", "Fn::And", "Fn::Or":
		return e.logic(fn, arg)
	case "Fn::Select":
		return e.fnSelect(arg)
	case "Fn::Split":
		args, err := e.args(fn, arg, 2)
		if err != nil {
			return nil, err
		}
		var out []any
		for _, s := range strings.Split(scalarString(args[1]), scalarString(args[0])) {
			out = append(out, s)
		}
		return out, nil
	case "Fn::Join":
		return e.join(arg)
	}
	return nil, fmt.Errorf("%s: not supported by this evaluator", fn)
}

// getAtt answers Fn::GetAtt [resource, attribute] from Env.GetAtts.
func (e *Evaluator) getAtt(arg any) (any, error) {
	args, err := e.args("Fn::GetAtt", arg, 2)
	if err != nil {
		return nil, err
	}
	key := scalarString(args[0]) + "." + scalarString(args[1])
	v, ok := e.env.GetAtts[key]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s: no value given in Env.GetAtts", key)
	}
	return v, nil
}

// fnIf evaluates Fn::If [condition, value if true, value if false].
func (e *Evaluator) fnIf(arg any) (any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) != 3 {
		return nil, errors.New("Fn::If: want [condition, value if true, value if false]")
	}
	name, ok := list[0].(string)
	if !ok {
		return nil, errors.New("Fn::If: the condition must be a name")
	}
	c, err := e.Condition(name)
	if err != nil {
		return nil, err
	}
	if c {
		return e.Eval(list[1])
	}
	return e.Eval(list[2])
}

// logic evaluates Fn::Not [c], Fn::And [c...] and Fn::Or [c...].
func (e *Evaluator) logic(fn string, arg any) (any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || (fn == "Fn::Not" && len(list) != 1) {
		return nil, fmt.Errorf("%s: wrong arguments", fn)
	}
	all, some := true, false
	for _, c := range list {
		b, err := e.cond(c)
		if err != nil {
			return nil, err
		}
		all, some = all && b, some || b
	}
	switch fn {
	case "Fn::Not":
		return !all, nil
	case "Fn::And":
		return all, nil
	}
	return some, nil
}

// fnSelect evaluates Fn::Select [index, list].
func (e *Evaluator) fnSelect(arg any) (any, error) {
	args, err := e.args("Fn::Select", arg, 2)
	if err != nil {
		return nil, err
	}
	i, err := strconv.Atoi(scalarString(args[0]))
	list, ok := args[1].([]any)
	if err != nil || !ok || i < 0 || i >= len(list) {
		return nil, fmt.Errorf("Fn::Select: index %v out of %v", args[0], args[1])
	}
	return list[i], nil
}

// join evaluates Fn::Join [separator, list].
func (e *Evaluator) join(arg any) (any, error) {
	args, err := e.args("Fn::Join", arg, 2)
	if err != nil {
		return nil, err
	}
	list, ok := args[1].([]any)
	if !ok {
		return nil, errors.New("Fn::Join: second argument is not a list")
	}
	parts := make([]string, len(list))
	for i, p := range list {
		parts[i] = scalarString(p)
	}
	return strings.Join(parts, scalarString(args[0])), nil
}

// scalarOrValue lets Fn::Equals compare 4 with "4", as CloudFormation does.
func scalarOrValue(v any) any {
	switch v.(type) {
	case string, int, float64, bool, nil:
		return scalarString(v)
	}
	return v
}

// args evaluates the argument list of fn and checks its length.
func (e *Evaluator) args(fn string, arg any, n int) ([]any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) != n {
		return nil, fmt.Errorf("%s: want %d arguments", fn, n)
	}
	ev, err := e.Eval(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	out := ev.([]any)
	if len(out) != n {
		return nil, fmt.Errorf("%s: an argument evaluates to AWS::NoValue", fn)
	}
	return out, nil
}

func (e *Evaluator) ref(name string) (any, error) {
	switch name {
	case "AWS::Partition":
		return e.pseudo(name, e.env.Partition)
	case "AWS::Region":
		return e.pseudo(name, e.env.Region)
	case "AWS::AccountId":
		return e.pseudo(name, e.env.AccountID)
	case "AWS::StackName":
		return e.pseudo(name, e.env.StackName)
	case "AWS::URLSuffix":
		return e.env.URLSuffix, nil
	case "AWS::NoValue":
		return NoValue{}, nil
	}
	if _, ok := e.t.Section("Parameters")[name]; ok {
		return e.Parameter(name)
	}
	if v, ok := e.env.Refs[name]; ok {
		return v, nil
	}
	if _, ok := e.t.Section("Resources")[name]; ok {
		return nil, fmt.Errorf("reference to resource %s: give its value in Env.Refs", name)
	}
	return nil, fmt.Errorf("reference to %s: no such parameter or resource", name)
}

func (e *Evaluator) pseudo(name, v string) (any, error) {
	if v == "" {
		return nil, fmt.Errorf("pseudo parameter %s: not set in Env", name)
	}
	return v, nil
}

// sub evaluates Fn::Sub in both forms: "text" and ["text", {Var: value}].
func (e *Evaluator) sub(arg any) (any, error) {
	text, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, errors.New("Fn::Sub: want text or [text, variables]")
		}
		s, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, errors.New("Fn::Sub: want [text, variables]")
		}
		text, vars = s, m
	default:
		return nil, fmt.Errorf("Fn::Sub: argument is %T", arg)
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			return b.String(), nil
		}
		b.WriteString(text[:i])
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("Fn::Sub: unclosed ${ in %q", text)
		}
		name := text[i+2 : i+j]
		text = text[i+j+1:]
		if strings.HasPrefix(name, "!") { // ${!Literal} writes ${Literal}
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v any
		var err error
		switch val, ok := vars[name]; {
		case ok:
			v, err = e.String(val)
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			res, attr, _ := strings.Cut(name, ".")
			v, err = e.call("Fn::GetAtt", []any{res, attr})
		default:
			v, err = e.ref(name)
		}
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %T is not a string", name, v)
		}
		b.WriteString(s)
	}
}
