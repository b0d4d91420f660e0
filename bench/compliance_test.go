package bench

import (
	"context"
	"testing"
	"time"
)

// TestTimeToComplianceSmall simulates a few creations and checks what must hold whatever the
// jitter: every creation ends remediated (the function's timeout leaves ample room), the delay after
// ACTIVE is within the backoff cap, and waiting longer never takes fewer describes on average.
func TestTimeToComplianceSmall(t *testing.T) {
	b := Backoff{Base: time.Second, Cap: 4 * time.Second}
	rows, err := TimeToCompliance(context.Background(), b, []time.Duration{0, 3 * time.Second, 40 * time.Second}, 20, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	for _, r := range rows {
		if r.Runs != 20 || r.Failed != 0 || r.DelayMax > b.Cap || r.DelayP50 > r.DelayP99 || r.DelayP99 > r.DelayMax || r.DelayP50 < 0 {
			t.Errorf("CREATING %v: %+v; want 20 runs and 0 <= p50 <= p99 <= max <= cap %v", r.Creating, r, b.Cap)
		}
	}
	if rows[0].DescribesMean != 1 || rows[0].DelayMax != 0 {
		t.Errorf("a container ACTIVE at once: %+v; want one describe and no delay", rows[0])
	}
	// 40 s at waits of at most 4 s (2 s on average) needs well over ten describes.
	if !(rows[1].DescribesMean < rows[2].DescribesMean) || rows[2].DescribesMean < 10 {
		t.Errorf("describes: %.1f for 3s, %.1f for 40s; want more for 40s, and at least 10", rows[1].DescribesMean, rows[2].DescribesMean)
	}
}

func TestPercentile(t *testing.T) {
	s := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		p    float64
		want int
	}{{0, 1}, {10, 1}, {50, 5}, {99, 10}, {100, 10}} {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("Percentile(1..10, %v) = %d, want %d", c.p, got, c.want)
		}
	}
}
