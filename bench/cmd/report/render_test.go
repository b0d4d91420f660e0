package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/corsguard/corsguard/bench"
)

// TestRenderCreatingShowsBothDesigns renders the CREATING function-time table from a tiny run
// (T = 1 minute, one pass used as both) and checks its rows, not its figures.
func TestRenderCreatingShowsBothDesigns(t *testing.T) {
	rows, err := bench.WaitWhileCreating(context.Background(), []time.Duration{time.Minute}, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := pass{creating: rows}
	var b w
	renderCreating(&b, p, p)
	out := b.String()
	for _, want := range []string{"| 1m0s | in-process | true | 1 |", "| 1m0s | work queue | true |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no row %q in:\n%s", want, out)
		}
	}
	t.Log(out)
}
