// Command enforcer is corsguard's AWS Lambda function, built as bootstrap for the
// provided.al2023 runtime (make build-EnforcerFunction). It only wires: configuration from the
// environment, the AWS clients once per cold start, and the handler.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
)

func main() {
	ctx := context.Background()
	log := lambdacontext.NewLogger()
	h, err := build(ctx, log)
	if err != nil {
		// A cold start that cannot work fails at once, with the variable named: Lambda shows
		// the message as the invocation's error, and the function is not called half-built.
		log.ErrorContext(ctx, "cold start failed", "error", err.Error())
		if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
			if rerr := handler.ReportInitError(ctx, http.DefaultClient, api, err); rerr != nil {
				log.ErrorContext(ctx, "init error not reported", "error", rerr.Error())
			}
		}
		os.Exit(1)
	}
	lambda.Start(h.Lambda())
}

// build reads the configuration and makes the clients, the engine and the handler, through
// the one wiring every caller uses (handler.Wire). The configuration is read first, so that a
// bad variable is what a failed cold start names.
func build(ctx context.Context, log *slog.Logger) (*handler.Handler, error) {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return nil, err
	}
	aws, err := awsclient.FromEnvironment(os.Getenv)
	if err != nil {
		return nil, err
	}
	for _, note := range cfg.Notes {
		log.WarnContext(ctx, "target refused", "note", note)
	}
	return handler.Wire(cfg, aws, handler.WithLogger(log))
}
