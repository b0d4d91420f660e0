package handler

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/awsclient"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/workqueue"
)

// FromEnvironment builds the function's handler from an environment, read through getenv by
// config.Load, and an aws.Config: the one wiring of the function, which the Lambda's main, the
// CLI's demo, the bench and the tests all use, so that none of them runs a function built
// differently from the deployed one. It returns the configuration it read too (its Notes are
// start-up warnings to log). opts apply after the wiring's own: a logger, a metrics writer.
func FromEnvironment(getenv func(string) string, awsCfg aws.Config, opts ...Option) (*Handler, config.Config, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, config.Config{}, err
	}
	h, err := Wire(cfg, awsCfg, opts...)
	return h, cfg, err
}

// Wire builds the handler of a loaded configuration over awsCfg's clients: the engine at one
// invocation's share of the account-wide rates (config.Config.Invocation) with a store per
// target; the work queue when cfg.QueueURL is set; the findings publisher, at one invocation's
// share of the import and read rates, when cfg.SecurityHub is set, and with it the findings
// queue when cfg.FindingsQueueURL is set.
//
// The function has one clock and one source of jitter (the wall clock and math/rand/v2 unless
// a test's options say otherwise): the engine and the publisher built here take those of opts.
func Wire(cfg config.Config, awsCfg aws.Config, opts ...Option) (*Handler, error) {
	seams := withOptions(opts)
	stores := awsclient.Stores(awsCfg, cfg.Engine.Targets,
		awsclient.WithCloudFrontOptions(enforce.CloudFrontOptions{AddMissingCors: cfg.Engine.CloudFrontAddMissingCors}))
	inv := cfg.Invocation()
	inv.Clock, inv.Rand = seams.clock, seams.rand
	engine, err := enforce.New(inv, ssm.NewFromConfig(awsCfg), stores...)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	wired := []Option{WithNamespace(cfg.MetricsNamespace), WithRegion(cfg.Region)}
	if cfg.QueueURL != "" {
		// The work queue: events and schedules are routed onto it, and its batches reconciled.
		wired = append(wired, WithQueue(workqueue.New(sqs.NewFromConfig(awsCfg), cfg.QueueURL), engine))
	}
	if cfg.SecurityHub {
		pub := findings.NewPublisher(securityhub.NewFromConfig(awsCfg), findings.WithImportRate(cfg.FindingsRate()),
			findings.WithArchiveImportRate(cfg.ArchiveImportRate()),
			findings.WithReadRate(cfg.FindingsReadRate()), findings.WithListingReadRate(cfg.ListingReadRate()),
			findings.WithRefresh(cfg.SecurityHubRefresh), findings.WithClock(seams.clock), findings.WithRand(seams.rand))
		wired = append(wired, WithFindings(pub), WithStaleFindings(cfg.StaleFindings()))
		if cfg.FindingsQueueURL != "" {
			// The workers hand their findings to the findings queue; its batches are published.
			wired = append(wired, WithFindingsQueue(findings.NewOutbox(sqs.NewFromConfig(awsCfg), cfg.FindingsQueueURL)))
		}
	}
	return New(cfg.Engine, engine, append(wired, opts...)...), nil
}
