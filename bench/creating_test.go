package bench

import (
	"context"
	"testing"
	"time"
)

// TestWaitWhileCreatingCostsTheQueueNoFunctionTime runs both designs for a container CREATING
// for one simulated minute: on the queue it converges and its invocations hold the function
// for far less than T; in-process the function is held for about T. The figures are compared
// with T, which is simulated, not with how long the test took.
func TestWaitWhileCreatingCostsTheQueueNoFunctionTime(t *testing.T) {
	const creating = time.Minute
	rows, err := WaitWhileCreating(context.Background(), []time.Duration{creating}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Design != "in-process" || rows[1].Design != "queue" {
		t.Fatalf("rows %+v", rows)
	}
	in, q := rows[0], rows[1]
	for _, r := range rows {
		if !r.Converged {
			t.Errorf("%s: the container never converged: %+v", r.Design, r)
		}
	}
	if in.FunctionTime < creating {
		t.Errorf("in-process: function time %v, want at least T = %v (the engine waits inside the invocation)", in.FunctionTime, creating)
	}
	if q.FunctionTime >= creating/10 {
		t.Errorf("queue: function time %v, want far below T = %v", q.FunctionTime, creating)
	}
	if q.Invocations < 3 {
		t.Errorf("queue: %d invocations; the busy record was given back fewer than twice", q.Invocations)
	}
	t.Logf("%+v", rows)
}
