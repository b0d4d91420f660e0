package iampolicy

import (
	"strings"
	"testing"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// Every action of the lists has its statement; a new call added to a list without one makes
// New fail, naming the call, instead of printing a policy that would deny it.
func TestAnActionNoStatementGrantsIsAnError(t *testing.T) {
	e := enforce.Config{Parameter: "/corsguard/baseline", ProfilesPath: "/corsguard/profiles/", Targets: policy.Kinds()}
	s := Scope{Partition: "aws", Region: "us-east-1", Account: "111122223333", WorkQueueARN: "arn:aws:sqs:us-east-1:111122223333:w.fifo"}
	if _, err := New(e, s); err != nil {
		t.Fatalf("New with every target: %v", err)
	}
	lists := lists()
	lists["enforce.Actions"] = append(lists["enforce.Actions"], "dynamodb:DescribeTable")
	err := unplaced(grants(e, s), lists)
	if err == nil || !strings.Contains(err.Error(), "dynamodb:DescribeTable") {
		t.Errorf("an action without a statement: error %v, want one naming it", err)
	}
}
