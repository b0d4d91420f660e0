package main

import (
	"bytes"
	"os"
	"testing"
)

func TestIsTerminal(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	must(t, err)
	defer devNull.Close()
	file, err := os.CreateTemp(t.TempDir(), "report")
	must(t, err)
	defer file.Close()
	r, w, err := os.Pipe()
	must(t, err)
	defer r.Close()
	defer w.Close()
	for name, f := range map[string]any{
		"/dev/null (a character device)": devNull,
		"a file":                         file,
		"a pipe":                         w,
		"a buffer":                       &bytes.Buffer{},
	} {
		if isTerminal(f) {
			t.Errorf("%s is taken for a terminal", name)
		}
	}
}
