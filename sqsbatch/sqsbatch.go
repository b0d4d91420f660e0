// Package sqsbatch sends SQS messages in batches, sending again the entries SQS refused: the one
// copy of that loop, which the work queue (FIFO) and the findings queue (standard) share.
package sqsbatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// API is the call Send makes; *sqs.Client satisfies it.
type API interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ API = (*sqs.Client)(nil)

// Attempts bounds how often the entries SQS refused in a batch are sent (the first time included).
const Attempts = 3

// Send sends entries (at most ten, each with a distinct Id) to the queue at url in one
// SendMessageBatch call, then sends the refused ones again, in their order (a FIFO queue keeps
// the order of the entries within a batch), up to Attempts calls in all. before runs before
// each call (a counter). A failed call returns its error at once, wrapped; entries still refused
// after the last attempt are named in the error by name(Id) and their codes.
func Send(ctx context.Context, api API, url string, entries []types.SendMessageBatchRequestEntry, before func(), name func(id string) string) error {
	pending := entries
	var last error
	for range Attempts {
		if before != nil {
			before()
		}
		out, err := api.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: pending})
		if err != nil {
			return fmt.Errorf("send %d messages: %w", len(pending), err)
		}
		sent := map[string]bool{}
		for _, ok := range out.Successful {
			sent[aws.ToString(ok.Id)] = true
		}
		var again []types.SendMessageBatchRequestEntry
		for _, e := range pending {
			if !sent[aws.ToString(e.Id)] {
				again = append(again, e)
			}
		}
		last = nil
		for _, f := range out.Failed {
			last = errors.Join(last, fmt.Errorf("%s: %s %s", name(aws.ToString(f.Id)), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
		if len(again) == 0 {
			return nil
		}
		pending = again
	}
	return fmt.Errorf("send messages: %d refused: %w", len(pending), last)
}
