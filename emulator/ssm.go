package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parameter Store limits that the emulator enforces.
const (
	maxParamVersions     = 100
	maxStandardValue     = 4096
	maxAdvancedValue     = 8192
	maxParamNameChars    = 2048 // shape PSParameterName: max 2048, of which 1037 are reserved
	maxParamARNChars     = 1011 // PutParameter's Name: at most 1011 characters, counting the ARN before the name
	maxDescriptionChars  = 1024 // shape ParameterDescription: max 1024
	maxLabels            = 10   // shape ParameterLabelList: 1-10; and at most 10 labels per version
	maxLabelChars        = 100  // shape ParameterLabel: 1-100
	maxHierarchyLevels   = 15
	maxGetParameters     = 10
	maxHistoryResults    = 50
	defaultSecureStringK = "alias/aws/ssm"
)

var (
	paramName  = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)
	labelChars = regexp.MustCompile(`^[a-zA-Z0-9_.\-]+$`)
)

// parameter is an SSM parameter with its history, oldest version first.
type parameter struct {
	name     string
	versions []*paramVersion
}

func (p *parameter) latest() *paramVersion { return p.versions[len(p.versions)-1] }

// paramVersion is one version of a parameter.
type paramVersion struct {
	Version     int64
	Type        string
	Value       string
	Description string
	KeyID       string
	Tier        string
	DataType    string
	Modified    time.Time
	User        string
	Labels      []string // LabelParameterVersion's, in the order attached
}

func (e *Emulator) ssmOps() jsonService {
	return jsonService{name: "ssm", ops: map[string]jsonOp{
		"PutParameter":          {"Name", e.putParameter},
		"GetParameter":          {"Name", e.getParameter},
		"GetParameters":         {"", e.getParameters},
		"GetParametersByPath":   {"Path", e.getParametersByPath},
		"DeleteParameter":       {"Name", e.deleteParameter},
		"GetParameterHistory":   {"Name", e.getParameterHistory},
		"LabelParameterVersion": {"Name", e.labelParameterVersion},
	}}
}

// parameterARN is the ARN AWS gives a parameter; a hierarchical name keeps no leading slash.
func (e *Emulator) parameterARN(name string) string {
	return "arn:aws:ssm:" + e.region + ":" + e.account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// checkParamName validates a parameter name as Parameter Store does.
func checkParamName(name *string) error {
	if name == nil || *name == "" {
		return errf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	n := *name
	if utf8.RuneCountInString(n) > maxParamNameChars {
		return errf("ValidationException", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to %d", n, maxParamNameChars)
	}
	if !paramName.MatchString(n) {
		return errf("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_")
	}
	if strings.Contains(n, "/") && !strings.HasPrefix(n, "/") {
		return errf("ValidationException", "Parameter name must be a fully qualified name.")
	}
	if strings.Count(n, "/") > maxHierarchyLevels {
		return errf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxHierarchyLevels)
	}
	return nil
}

// reservedName reports whether name starts with "aws" or "ssm", which Parameter Store keeps
// for itself.
func reservedName(name string) bool {
	first := strings.ToLower(strings.TrimPrefix(name, "/"))
	return strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm")
}

func (e *Emulator) putParameter(c *call, body []byte) (any, error) {
	var in putParameterInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := e.checkPut(in); err != nil {
		return nil, err
	}
	name := *in.Name
	overwrite := in.Overwrite != nil && *in.Overwrite
	return e.locked(c, func() (any, error) {
		p, exists := e.params[name]
		var prev *paramVersion
		if exists {
			prev = p.latest()
			if !overwrite {
				return nil, &apiError{Code: "ParameterAlreadyExists", Status: 400,
					Message: "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."}
			}
		} else if in.Type == nil {
			return nil, errf("ValidationException", "A parameter type is required when you create a parameter.")
		}
		v, err := e.nextVersion(c, in, prev)
		if err != nil {
			return nil, err
		}
		op := "Create"
		if exists {
			op = "Update"
			if len(p.versions) >= maxParamVersions {
				// AWS drops the oldest version to make room, unless a label holds it.
				if len(p.versions[0].Labels) > 0 {
					return nil, errf("ParameterMaxVersionLimitExceeded", "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", name, p.versions[0].Version)
				}
				p.versions = slices.Delete(p.versions, 0, 1)
			}
			p.versions = append(p.versions, v)
		} else {
			e.params[name] = &parameter{name: name, versions: []*paramVersion{v}}
		}
		c.events = append(c.events, e.parameterChange(op, v, name, c.Time))
		return map[string]any{"Version": v.Version, "Tier": v.Tier}, nil
	})
}

// putParameterInput is PutParameter's request.
type putParameterInput struct {
	Name        *string `json:"Name"`
	Value       *string `json:"Value"`
	Type        *string `json:"Type"`
	Description *string `json:"Description"`
	KeyID       *string `json:"KeyId"`
	Overwrite   *bool   `json:"Overwrite"`
	Tier        *string `json:"Tier"`
	DataType    *string `json:"DataType"`
	Tags        []tag   `json:"Tags"`
}

// checkPut refuses a PutParameter request as SSM does before it looks at the parameter: name,
// value, description, reserved names, tags with overwrite, and the enumerations.
func (e *Emulator) checkPut(in putParameterInput) error {
	if err := checkParamName(in.Name); err != nil {
		return err
	}
	if in.Value == nil || *in.Value == "" {
		return errf("ValidationException", "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	name := *in.Name
	if arn := e.parameterARN(name); utf8.RuneCountInString(arn) > maxParamARNChars {
		return errf("ValidationException", "Parameter name %s is too long: a parameter name can be at most %d characters including the ARN before it (%s is %d).", name, maxParamARNChars, arn, utf8.RuneCountInString(arn))
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > maxDescriptionChars {
		return errf("ValidationException", "1 validation error detected: Value '%s' at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", *in.Description, maxDescriptionChars)
	}
	if strings.HasPrefix(strings.ToLower(name), "/aws/") {
		return &apiError{Code: "AccessDeniedException", Status: 400, Message: "No access to reserved parameter name: " + name + "."}
	}
	if reservedName(name) {
		return errf("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_")
	}
	if in.Overwrite != nil && *in.Overwrite && len(in.Tags) > 0 {
		return errf("ValidationException", "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if in.Type != nil {
		switch *in.Type {
		case "String", "StringList", "SecureString":
		default:
			return errf("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", *in.Type)
		}
	}
	if in.Tier != nil {
		switch *in.Tier {
		case "Standard", "Advanced", "Intelligent-Tiering":
		default:
			return errf("ValidationException", "1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]", *in.Tier)
		}
	}
	if in.DataType != nil {
		switch *in.DataType {
		case "text", "aws:ec2:image", "aws:ssm:integration":
		default:
			return errf("ValidationException", "The following data type is not supported: %s (Data type names are all lowercase.)", *in.DataType)
		}
	}
	return nil
}

// nextVersion is the version a PutParameter request makes of prev (nil: a new parameter),
// with the value's length checked against its tier.
func (e *Emulator) nextVersion(c *call, in putParameterInput, prev *paramVersion) (*paramVersion, error) {
	v := &paramVersion{Version: 1, Tier: "Standard", DataType: "text", Modified: c.Time,
		User: "arn:aws:iam::" + e.account + ":user/emulator"}
	if prev != nil {
		*v = *prev
		v.Version = prev.Version + 1
		v.Modified = c.Time
	}
	v.Value = *in.Value
	if in.Type != nil {
		v.Type = *in.Type
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	v.Labels = nil // labels stay with the version they were attached to
	if in.Tier != nil {
		v.Tier = *in.Tier
	}
	if in.DataType != nil {
		v.DataType = *in.DataType
	}
	v.KeyID = ""
	if v.Type == "SecureString" {
		v.KeyID = defaultSecureStringK
		if in.KeyID != nil {
			v.KeyID = *in.KeyID
		} else if prev != nil && prev.KeyID != "" {
			v.KeyID = prev.KeyID
		}
	} else if in.KeyID != nil {
		return nil, errf("ValidationException", "KeyId is required for SecureString type parameter only.")
	}
	limit := maxStandardValue
	if v.Tier != "Standard" {
		limit = maxAdvancedValue
	}
	if n := utf8.RuneCountInString(v.Value); n > limit {
		return nil, errf("ValidationException", "%s tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", v.Tier, limit)
	}
	return v, nil
}

// shown returns a version's value as the caller may see it: a SecureString stays encrypted
// unless the caller asked for decryption.
func shown(v *paramVersion, decrypt bool) string {
	if v.Type != "SecureString" || decrypt {
		return v.Value
	}
	return base64.StdEncoding.EncodeToString([]byte("AQICAH" + v.KeyID + ":" + v.Value))
}

// wireParameter is a parameter as GetParameter(s) return it.
type wireParameter struct {
	ARN              string  `json:"ARN"`
	DataType         string  `json:"DataType"`
	LastModifiedDate float64 `json:"LastModifiedDate"`
	Name             string  `json:"Name"`
	Selector         string  `json:"Selector,omitempty"`
	Type             string  `json:"Type"`
	Value            string  `json:"Value"`
	Version          int64   `json:"Version"`
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// parameterRef splits what GetParameter(s) and GetParameterHistory take as a name: a name or a
// parameter ARN, optionally followed by ":version" or ":label".
func (e *Emulator) parameterRefLocked(ref string) (p *parameter, selector string, err error) {
	name := ref
	if rest, ok := strings.CutPrefix(ref, "arn:"); ok {
		// arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME; a hierarchical name keeps no
		// leading slash in its ARN.
		parts := strings.SplitN(rest, ":", 5)
		if len(parts) != 5 || parts[1] != "ssm" || !strings.HasPrefix(parts[4], "parameter/") {
			return nil, "", errf("ValidationException", "Invalid parameter ARN %s.", ref)
		}
		if parts[2] != e.region || parts[3] != e.account {
			return nil, "", errf("ParameterNotFound", "Parameter %s not found.", ref)
		}
		name = strings.TrimPrefix(parts[4], "parameter")
	}
	if i := strings.LastIndex(name, ":"); i > 0 {
		name, selector = name[:i], name[i+1:]
	}
	p, ok := e.params[name]
	if !ok && strings.HasPrefix(ref, "arn:") && strings.Count(name, "/") == 1 {
		p, ok = e.params[strings.TrimPrefix(name, "/")] // arn:…:parameter/plain names "plain"
	}
	if !ok {
		return nil, "", errf("ParameterNotFound", "Parameter %s not found.", ref)
	}
	return p, selector, nil
}

// resolveLocked finds the parameter version a name, an ARN, or either with a ":version" or
// ":label" selector names.
func (e *Emulator) resolveLocked(ref string, decrypt bool) (wireParameter, error) {
	p, selector, err := e.parameterRefLocked(ref)
	if err != nil {
		return wireParameter{}, err
	}
	v := p.latest()
	if selector != "" {
		if n, err := strconv.ParseInt(selector, 10, 64); err == nil {
			i := slices.IndexFunc(p.versions, func(v *paramVersion) bool { return v.Version == n })
			if i < 0 {
				return wireParameter{}, errf("ParameterVersionNotFound", "Systems Manager could not find version %d of %s. Verify the version and try again.", n, p.name)
			}
			v = p.versions[i]
		} else {
			i := slices.IndexFunc(p.versions, func(v *paramVersion) bool { return slices.Contains(v.Labels, selector) })
			if i < 0 {
				// ParameterNotFound, not ParameterVersionNotFound, as moto answers.
				return wireParameter{}, errf("ParameterNotFound", "Parameter %s not found.", ref)
			}
			v = p.versions[i]
		}
		selector = ":" + selector
	}
	return wireParameter{
		ARN:              e.parameterARN(p.name),
		DataType:         v.DataType,
		LastModifiedDate: epoch(v.Modified),
		Name:             p.name,
		Selector:         selector,
		Type:             v.Type,
		Value:            shown(v, decrypt),
		Version:          v.Version,
	}, nil
}

func (e *Emulator) getParameter(c *call, body []byte) (any, error) {
	var in struct {
		Name           *string `json:"Name"`
		WithDecryption *bool   `json:"WithDecryption"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil || *in.Name == "" {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	decrypt := in.WithDecryption != nil && *in.WithDecryption
	return e.locked(c, func() (any, error) {
		p, err := e.resolveLocked(*in.Name, decrypt)
		if err != nil {
			return nil, err
		}
		return map[string]any{"Parameter": p}, nil
	})
}

func (e *Emulator) getParameters(c *call, body []byte) (any, error) {
	var in struct {
		Names          []string `json:"Names"`
		WithDecryption *bool    `json:"WithDecryption"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Names) < 1 || len(in.Names) > maxGetParameters {
		return nil, errf("ValidationException", "1 validation error detected: Value '%v' at 'names' failed to satisfy constraint: Member must have length less than or equal to %d, Member must have length greater than or equal to 1", in.Names, maxGetParameters)
	}
	decrypt := in.WithDecryption != nil && *in.WithDecryption
	return e.locked(c, func() (any, error) {
		out := struct {
			Parameters        []wireParameter `json:"Parameters"`
			InvalidParameters []string        `json:"InvalidParameters"`
		}{Parameters: []wireParameter{}, InvalidParameters: []string{}}
		seen := map[string]bool{}
		for _, n := range in.Names {
			if seen[n] {
				continue
			}
			seen[n] = true
			p, err := e.resolveLocked(n, decrypt)
			if err != nil {
				out.InvalidParameters = append(out.InvalidParameters, n)
				continue
			}
			out.Parameters = append(out.Parameters, p)
		}
		// "The results for GetParameters requests are listed in alphabetical order" (the
		// model's documentation of Names).
		slices.SortStableFunc(out.Parameters, func(a, b wireParameter) int { return strings.Compare(a.Name+a.Selector, b.Name+b.Selector) })
		return out, nil
	})
}

func (e *Emulator) deleteParameter(c *call, body []byte) (any, error) {
	var in struct {
		Name *string `json:"Name"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil || *in.Name == "" {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	return e.locked(c, func() (any, error) {
		p, ok := e.params[*in.Name]
		if !ok {
			return nil, errf("ParameterNotFound", "Parameter %s not found.", *in.Name)
		}
		delete(e.params, p.name)
		c.events = append(c.events, e.parameterChange("Delete", p.latest(), p.name, c.Time))
		return struct{}{}, nil
	})
}

func (e *Emulator) getParameterHistory(c *call, body []byte) (any, error) {
	var in struct {
		Name           *string `json:"Name"`
		WithDecryption *bool   `json:"WithDecryption"`
		MaxResults     *int    `json:"MaxResults"`
		NextToken      *string `json:"NextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil || *in.Name == "" {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	limit := maxHistoryResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxHistoryResults {
			return nil, errf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *in.MaxResults, maxHistoryResults)
		}
		limit = *in.MaxResults
	}
	start := 0
	if in.NextToken != nil {
		raw, derr := base64.StdEncoding.DecodeString(*in.NextToken)
		n, ok := strings.CutPrefix(string(raw), "from:")
		var err error
		if start, err = strconv.Atoi(n); derr != nil || err != nil || !ok || start < 0 {
			return nil, errf("InvalidNextToken", "The specified token isn't valid.")
		}
	}
	decrypt := in.WithDecryption != nil && *in.WithDecryption
	return e.locked(c, func() (any, error) {
		p, selector, err := e.parameterRefLocked(*in.Name)
		if err == nil && selector != "" {
			err = errf("ValidationException", "Parameter name %s: a history is asked for by name or ARN, without a version or label.", *in.Name)
		}
		if err != nil {
			return nil, err
		}
		type history struct {
			DataType         string   `json:"DataType"`
			Description      string   `json:"Description,omitempty"`
			KeyID            string   `json:"KeyId,omitempty"`
			Labels           []string `json:"Labels"`
			LastModifiedDate float64  `json:"LastModifiedDate"`
			LastModifiedUser string   `json:"LastModifiedUser"`
			Name             string   `json:"Name"`
			Tier             string   `json:"Tier"`
			Type             string   `json:"Type"`
			Value            string   `json:"Value"`
			Version          int64    `json:"Version"`
		}
		out := struct {
			Parameters []history `json:"Parameters"`
			NextToken  string    `json:"NextToken,omitempty"`
		}{Parameters: []history{}}
		start := min(start, len(p.versions))
		end := min(start+limit, len(p.versions))
		for _, v := range p.versions[start:end] {
			out.Parameters = append(out.Parameters, history{
				DataType: v.DataType, Description: v.Description, KeyID: v.KeyID, Labels: append([]string{}, v.Labels...),
				LastModifiedDate: epoch(v.Modified), LastModifiedUser: v.User, Name: p.name,
				Tier: v.Tier, Type: v.Type, Value: shown(v, decrypt), Version: v.Version,
			})
		}
		if end < len(p.versions) {
			out.NextToken = base64.StdEncoding.EncodeToString([]byte("from:" + strconv.Itoa(end)))
		}
		return out, nil
	})
}

func (e *Emulator) labelParameterVersion(c *call, body []byte) (any, error) {
	var in struct {
		Name             *string  `json:"Name"`
		ParameterVersion *int64   `json:"ParameterVersion"`
		Labels           []string `json:"Labels"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v violations
	if in.Name == nil {
		v.add(nil, "name", "Member must not be null")
	}
	if in.Labels == nil {
		v.add(nil, "labels", "Member must not be null")
	} else {
		v.length(in.Labels, len(in.Labels), "labels", 1, maxLabels)
		for _, l := range in.Labels {
			if n := utf8.RuneCountInString(l); n < 1 || n > maxLabelChars {
				v.add(in.Labels, "labels", fmt.Sprintf("Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", maxLabelChars))
				break
			}
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return e.locked(c, func() (any, error) {
		p, ok := e.params[*in.Name]
		if !ok {
			return nil, errf("ParameterNotFound", "Parameter %s not found.", *in.Name)
		}
		target := p.latest()
		if in.ParameterVersion != nil {
			i := slices.IndexFunc(p.versions, func(v *paramVersion) bool { return v.Version == *in.ParameterVersion })
			if i < 0 {
				return nil, errf("ParameterVersionNotFound", "Systems Manager could not find version %d of %s. Verify the version and try again.", *in.ParameterVersion, p.name)
			}
			target = p.versions[i]
		}
		invalid, valid := []string{}, []string{}
		for _, l := range in.Labels {
			low := strings.ToLower(l)
			if !labelChars.MatchString(l) || l[0] >= '0' && l[0] <= '9' || strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
				invalid = append(invalid, l)
			} else if !slices.Contains(valid, l) {
				valid = append(valid, l)
			}
		}
		labels := slices.Clone(target.Labels)
		for _, l := range valid {
			if !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
		if len(labels) > maxLabels {
			return nil, errf("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum %d labels. Move one or more labels to another version and try again.", maxLabels)
		}
		// A label names one version of a parameter: attaching it here moves it.
		for _, other := range p.versions {
			if other != target {
				other.Labels = slices.DeleteFunc(other.Labels, func(l string) bool { return slices.Contains(valid, l) })
			}
		}
		target.Labels = labels
		if len(valid) > 0 {
			c.events = append(c.events, e.parameterChange("LabelParameterVersion", target, p.name, c.Time))
		}
		return map[string]any{"InvalidLabels": invalid, "ParameterVersion": target.Version}, nil
	})
}

// seedAge is how long before the emulator's clock a seeded parameter version was modified: a
// seed stands for a parameter made before the test or demo began, so that a router reading it
// at once finds it settled and stamps it without waiting (enforce.StampSettle).
const seedAge = time.Hour

// SeedParameter creates or overwrites a parameter directly (typ "String" if empty), as the
// next version, modified an hour before the emulator's clock (seedAge). It emits no events
// and counts no calls.
func (e *Emulator) SeedParameter(name, typ, value, description string) error {
	if err := checkParamName(&name); err != nil {
		return fmt.Errorf("seed parameter: %w", err)
	}
	if typ == "" {
		typ = "String"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	v := &paramVersion{Version: 1, Type: typ, Value: value, Description: description, Tier: "Standard",
		DataType: "text", Modified: e.clock.Now().Add(-seedAge), User: "arn:aws:iam::" + e.account + ":user/emulator"}
	if typ == "SecureString" {
		v.KeyID = defaultSecureStringK
	}
	if p, ok := e.params[name]; ok {
		v.Version = p.latest().Version + 1
		p.versions = append(p.versions, v)
		return nil
	}
	e.params[name] = &parameter{name: name, versions: []*paramVersion{v}}
	return nil
}

// maxByPathResults is GetParametersByPath's MaxResults limit (shape
// GetParametersByPathMaxResults: 1-10), and its page size when the request gives none.
const maxByPathResults = 10

// byPathInput is GetParametersByPath's request.
type byPathInput struct {
	Path             *string           `json:"Path"`
	Recursive        *bool             `json:"Recursive"`
	ParameterFilters []json.RawMessage `json:"ParameterFilters"`
	WithDecryption   *bool             `json:"WithDecryption"`
	MaxResults       *int              `json:"MaxResults"`
	NextToken        *string           `json:"NextToken"`
}

// checkPath validates GetParametersByPath's Path as Parameter Store does (the message is the
// one AWS answers, aws/aws-sdk-js-v3#5928): a hierarchy beginning with "/", of parameter
// name characters, at most 15 levels. A trailing "/" is accepted; reading under the
// reserved /aws/ and /ssm prefixes is allowed (the public parameters live under /aws/service/).
func checkPath(p *string) (string, error) {
	if p == nil || *p == "" {
		return "", errf("ValidationException", "1 validation error detected: Value null at 'path' failed to satisfy constraint: Member must not be null")
	}
	path := *p
	if utf8.RuneCountInString(path) > maxParamNameChars {
		return "", errf("ValidationException", "1 validation error detected: Value '%s' at 'path' failed to satisfy constraint: Member must have length less than or equal to %d", path, maxParamNameChars)
	}
	if !strings.HasPrefix(path, "/") || !paramName.MatchString(path) || strings.Contains(path, "//") {
		return "", errf("ValidationException", `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.`)
	}
	if strings.Count(strings.TrimSuffix(path, "/"), "/") > maxHierarchyLevels {
		return "", errf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxHierarchyLevels)
	}
	return strings.TrimSuffix(path, "/") + "/", nil
}

// getParametersByPath returns the latest version of each parameter under a path, in name
// order, MaxResults (1-10, default 10) to a page: those one level below it, or every level
// with Recursive. The NextToken is opaque (the last name returned): a page never repeats or
// skips a parameter that exists throughout the listing. ParameterFilters are not served.
func (e *Emulator) getParametersByPath(c *call, body []byte) (any, error) {
	var in byPathInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	prefix, err := checkPath(in.Path)
	if err != nil {
		return nil, err
	}
	limit := maxByPathResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxByPathResults {
			return nil, errf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d, Member must have value greater than or equal to 1", *in.MaxResults, maxByPathResults)
		}
		limit = *in.MaxResults
	}
	if len(in.ParameterFilters) > 0 {
		return nil, errf("ValidationException", "ParameterFilters: the emulator does not serve GetParametersByPath's filters (corsguard does not send them)")
	}
	after := ""
	if in.NextToken != nil {
		raw, derr := base64.StdEncoding.DecodeString(*in.NextToken)
		n, ok := strings.CutPrefix(string(raw), "after:")
		if derr != nil || !ok || n == "" {
			return nil, errf("InvalidNextToken", "The specified token isn't valid.")
		}
		after = n
	}
	recursive := in.Recursive != nil && *in.Recursive
	decrypt := in.WithDecryption != nil && *in.WithDecryption
	return e.locked(c, func() (any, error) {
		var names []string
		for name := range e.params {
			rest, ok := strings.CutPrefix(name, prefix)
			if ok && rest != "" && (recursive || !strings.Contains(rest, "/")) && name > after {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		out := struct {
			Parameters []wireParameter `json:"Parameters"`
			NextToken  string          `json:"NextToken,omitempty"`
		}{Parameters: []wireParameter{}}
		for _, name := range names[:min(limit, len(names))] {
			p, err := e.resolveLocked(name, decrypt)
			if err != nil {
				return nil, err
			}
			out.Parameters = append(out.Parameters, p)
		}
		if len(names) > limit {
			out.NextToken = base64.StdEncoding.EncodeToString([]byte("after:" + names[limit-1]))
		}
		return out, nil
	})
}
