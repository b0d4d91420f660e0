package policy

import _ "embed"

//go:embed default.json
var defaultJSON []byte

// Default returns corsguard's embedded default baseline, used by the demo and as a starting
// point for a team's own: GET and HEAD from any https://*.example.com origin, any request
// header, a 3000-second preflight cache, and the headers a media player reads exposed.
func Default() Policy {
	p, err := Parse(defaultJSON)
	if err != nil {
		panic("embedded default baseline: " + err.Error())
	}
	return p
}

// DefaultJSON returns the embedded default baseline as written.
func DefaultJSON() []byte { return append([]byte(nil), defaultJSON...) }
