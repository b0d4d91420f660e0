// Command hello is the cold-start baseline of the benchmarks: the smallest aws-lambda-go
// function, built with the same flags as corsguard's bootstrap, so that the ratio of the two
// start-up times shows what corsguard adds on top of Go and the Lambda runtime client.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, _ json.RawMessage) (string, error) {
		return "hello", nil
	})
}
