package workqueue

import (
	"math"
	"time"

	"github.com/corsguard/corsguard/enforce"
)

// Retry delays of a message whose resource is busy (a container CREATING, in use) or whose
// reconcile failed in a way a retry can fix. The delay is the engine's full-jitter exponential
// backoff, rand(0, min(cap, base·2^(n-1))) before the n-th receive's retry, raised to a floor:
// the floor is what bounds how many receives a long wait takes, and so what maxReceiveCount must
// allow (see MinReceiveCount).
const (
	// MinDelay is the floor of every retry delay.
	MinDelay = 5 * time.Second
	// MaxBusyWait is the longest a resource may stay busy without its message dead-lettering:
	// a MediaStore container is CREATING for seconds to a few minutes; 10 minutes is the
	// design's bound.
	MaxBusyWait = 10 * time.Minute
)

// Delay returns the visibility delay after the receiveCount-th receive of a message failed
// (1 for the first): max(MinDelay, rand()·min(limit, base·2^(receiveCount-1))), rand uniform in
// [0, 1).
func Delay(receiveCount int, base, limit time.Duration, rand func() float64) time.Duration {
	return max(MinDelay, enforce.FullJitter(max(receiveCount-1, 0), base, limit, rand))
}

// MinReceiveCount is the least maxReceiveCount of the redrive policy with which a message whose
// resource stays busy for wait is never dead-lettered. SQS moves a message to the dead-letter
// queue when a receive would make its receive count pass maxReceiveCount, so the message is
// received at most maxReceiveCount times, and between two receives it waits at least MinDelay:
// its last receive comes at least (maxReceiveCount-1)·MinDelay after its first. That must not
// come before the resource is ready: (maxReceiveCount-1)·MinDelay >= wait, so
// maxReceiveCount >= wait/MinDelay + 1 (121 for 10 minutes and 5 s).
func MinReceiveCount(wait time.Duration) int {
	return int(math.Ceil(float64(wait)/float64(MinDelay))) + 1
}
