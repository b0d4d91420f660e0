// Package events holds the sample events of this directory, embedded, so that the demo and
// the tests can feed them to the handler from any working directory. The README here says what
// the function does with each.
package events

import (
	"embed"
	"fmt"
)

//go:embed *.json
var samples embed.FS

// Sample returns the sample event in the file name, such as "scheduled-sweep.json".
func Sample(name string) ([]byte, error) {
	data, err := samples.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("sample event: %w", err)
	}
	return data, nil
}
