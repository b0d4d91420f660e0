// Command sweep runs one enforce sweep with the engine built from the environment as the Lambda
// builds it (CORSGUARD_* variables, AWS_ENDPOINT_URL, AWS_REGION, static credentials), and
// prints bench.SweepOutput as JSON. bench/cmd/report runs it as a child process to measure
// the sweep's peak resident memory apart from the emulator's.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/corsguard/corsguard/bench"
)

func main() {
	out, err := bench.Sweep(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
}
