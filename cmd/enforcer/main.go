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
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/workqueue"
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

// build reads the configuration and makes the clients, the engine and the handler.
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
	engine, err := enforce.New(cfg.Invocation(), ssm.NewFromConfig(aws), awsclient.Stores(aws, cfg.Engine.Targets,
		awsclient.WithCloudFrontOptions(enforce.CloudFrontOptions{AddMissingCors: cfg.Engine.CloudFrontAddMissingCors}))...)
	if err != nil {
		return nil, err
	}
	opts := []handler.Option{handler.WithLogger(log), handler.WithNamespace(cfg.MetricsNamespace), handler.WithRegion(cfg.Region)}
	if cfg.QueueURL != "" {
		// The work queue: events and schedules are routed onto it, and its batches reconciled.
		opts = append(opts, handler.WithQueue(workqueue.New(sqs.NewFromConfig(aws), cfg.QueueURL), engine))
	}
	if cfg.SecurityHub {
		pub := findings.NewPublisher(securityhub.NewFromConfig(aws), findings.WithImportRate(cfg.FindingsRate()),
			findings.WithReadRate(cfg.FindingsReadRate()), findings.WithRefresh(cfg.SecurityHubRefresh))
		opts = append(opts, handler.WithFindings(pub), handler.WithStaleFindings(cfg.StaleFindings()))
		if cfg.FindingsQueueURL != "" {
			// The workers hand their findings to the findings queue; its batches are published.
			opts = append(opts, handler.WithFindingsQueue(findings.NewOutbox(sqs.NewFromConfig(aws), cfg.FindingsQueueURL)))
		}
	}
	return handler.New(cfg.Engine, engine, opts...), nil
}
