package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/emulator"
)

// emulatorFlags are the settings of `corsguard emulator`.
type emulatorFlags struct {
	addr, region, account, state, eventURL string
	tlsAddr, caOut                         string
	quotas                                 string
	creating, deleting                     time.Duration
	taggingLag                             time.Duration
	quota                                  int
	seed                                   uint64
	throttle, errorRate, latency, script   []string
	securityHubDisabled                    bool
}

// emulatedServices joins what name says of each service the emulator serves.
func emulatedServices(name func(emulator.Service) string) string {
	var names []string
	for _, s := range emulator.Services() {
		names = append(names, name(s))
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// emulatorServiceLines are the help's lines of the services the emulator serves.
func emulatorServiceLines() string {
	var b strings.Builder
	for _, s := range emulator.Services() {
		fmt.Fprintf(&b, "  %-36s %s\n", s.Name, s.Serves)
	}
	return b.String()
}

func newEmulatorCommand() *cobra.Command {
	var f emulatorFlags
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve a local AWS emulator for " + emulatedServices(func(s emulator.Service) string { return s.Name }),
		Long: `Serve a local stand-in for these AWS services, speaking their own wire protocols, so that
the aws CLI and the SDKs work against it unchanged:
` + emulatorServiceLines() + `
  aws --endpoint-url http://127.0.0.1:4566 --region us-east-1 mediastore list-containers

Each request goes to the service its SigV4 credential scope names, as AWS routes by endpoint.
S3 answers as the endpoint of the Region the request is signed for: a bucket elsewhere (a
"region" in the --state file) answers 301 PermanentRedirect with x-amz-bucket-region, which the
aws CLI follows. Its rules are the services' own (botocore's models and the API references),
not corsguard's.

Faults are set per operation (the API name, e.g. PutCorsPolicy; "*" for every operation):
  --throttle PutCorsPolicy=5          answer ThrottlingException above 5 calls per second
  --error-rate '*=0.1'                answer InternalServerError (500) to 10% of calls
  --latency GetCorsPolicy=200ms       add real latency
  --script GetCorsPolicy:movies:3:ContainerInUseException
                                      the next 3 calls on container movies fail so ("" or * for any)
The data plane answers unsigned GET, HEAD and OPTIONS by Host, as browsers reach AWS:
objects at BUCKET.s3.REGION.amazonaws.com (CORS answered as S3 answers it) and distributions
at dXXXX.cloudfront.net (cache, policies, response headers policy CORS). --tls-addr serves the
same over https with certificates from a CA the emulator makes; --ca-out writes that CA (PEM)
for clients to trust (aws --ca-bundle; Chromium --ignore-certificate-errors-spki-list with the
hashes it prints). See docs/emulator.md.
AWS's published request quotas apply by default (--quotas aws), on the account as AWS counts
them, and a call over one answers the service's throttle (SSM's ThrottlingException, S3's
SlowDown 503, SQS's RequestThrottled, Security Hub's LimitExceededException 429):
  SSM GetParameter, GetParameters, GetParametersByPath   40/s together
  Security Hub BatchImportFindings 10/s (burst 30), GetFindings 3/s (burst 6)
  SQS, per FIFO queue without high throughput            300 calls/s per action
  S3, per bucket                                         5,500 GET/HEAD, 3,500 PUT/DELETE per second
  --quotas off                        no quotas
  --quotas GetParameter=100,BatchImportFindings=20/60   AWS's, with these changed (RATE[/BURST]; 0 removes one)
The emulator stops cleanly on SIGINT or SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEmulator(cmd.Context(), cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:4566", "address to listen on")
	fl.StringVar(&f.tlsAddr, "tls-addr", "", "also serve over TLS on this address (certificates from the emulator's own CA)")
	fl.StringVar(&f.caOut, "ca-out", "", "write the emulator's CA certificate (PEM) to this file")
	fl.StringVar(&f.region, "region", emulator.DefaultRegion, "Region in ARNs, endpoints and events")
	fl.StringVar(&f.account, "account", emulator.DefaultAccount, "account ID in ARNs and events")
	fl.StringVar(&f.state, "state", "", "seed state file (JSON: containers, buckets with an optional region, parameters, queues with CreateQueue's attributes)")
	fl.StringVar(&f.eventURL, "event-url", "", "POST every EventBridge event to this URL (never waits for it: a full queue of 1,024, a failed post or one slower than 5s drops the event, logged on stderr)")
	fl.DurationVar(&f.creating, "creating-duration", emulator.DefaultCreatingDuration, "how long a new container stays CREATING")
	fl.DurationVar(&f.deleting, "deleting-duration", emulator.DefaultDeletingDuration, "how long a deleted container stays DELETING")
	fl.DurationVar(&f.taggingLag, "tagging-lag", 0, "how long the Tagging API's GetResources keeps answering a bucket's tags as they were before a PutBucketTagging or DeleteBucketTagging (AWS's index lags the call; 0: at once)")
	fl.IntVar(&f.quota, "container-quota", emulator.DefaultContainerQuota, "containers allowed in the account")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the fault injector")
	fl.StringVar(&f.quotas, "quotas", "aws", "AWS's request quotas: aws (the published defaults), off, or OP=RATE[/BURST],... to change some")
	fl.StringArrayVar(&f.throttle, "throttle", nil, "OP=RPS: throttle OP above RPS calls per second (repeatable)")
	fl.StringArrayVar(&f.errorRate, "error-rate", nil, "OP=FRACTION: answer InternalServerError to that fraction of calls (repeatable)")
	fl.StringArrayVar(&f.latency, "latency", nil, "OP=DURATION: add latency to every call of OP (repeatable)")
	fl.StringArrayVar(&f.script, "script", nil, "OP:CONTAINER:N:CODE: the next N calls fail with CODE (repeatable)")
	fl.BoolVar(&f.securityHubDisabled, "security-hub-disabled", false, "start with Security Hub not enabled in the account (its calls answer InvalidAccessException)")
	return cmd
}

func runEmulator(ctx context.Context, cmd *cobra.Command, f emulatorFlags) error {
	if f.taggingLag < 0 {
		return fmt.Errorf("--tagging-lag %v: want 0 or a positive duration", f.taggingLag)
	}
	quotas, err := emulator.ParseQuotas(f.quotas)
	if err != nil {
		return fmt.Errorf("--quotas: %w", err)
	}
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	opts := []emulator.Option{
		emulator.WithQuotas(quotas),
		emulator.WithRegion(f.region), emulator.WithAccount(f.account),
		emulator.WithCreatingDuration(f.creating), emulator.WithDeletingDuration(f.deleting),
		emulator.WithContainerQuota(f.quota), emulator.WithSeed(f.seed), emulator.WithTaggingLag(f.taggingLag),
		emulator.WithLogger(slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))),
	}
	if f.eventURL != "" {
		opts = append(opts, emulator.WithEventURL(f.eventURL))
	}
	if f.securityHubDisabled {
		opts = append(opts, emulator.WithSecurityHubDisabled())
	}
	emu := emulator.New(opts...)
	if err := configureFaults(emu, f); err != nil {
		return err
	}
	if f.state != "" {
		file, err := os.Open(f.state)
		if err != nil {
			return fmt.Errorf("state file: %w", err)
		}
		err = emu.LoadState(file)
		_ = file.Close()
		if err != nil {
			return fmt.Errorf("state file %s: %w", f.state, err)
		}
	}
	var ca *emulator.CA
	if f.tlsAddr != "" || f.caOut != "" {
		var err error
		if ca, err = emulator.NewCA(); err != nil {
			return err
		}
	}
	if f.caOut != "" {
		if err := os.WriteFile(f.caOut, ca.PEM(), 0o644); err != nil {
			return fmt.Errorf("--ca-out: %w", err)
		}
	}
	url, stop, err := emu.Start(f.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "corsguard emulator listening on %s (region %s, account %s)\n", url, f.region, f.account)
	stopTLS := func(context.Context) error { return nil }
	if f.tlsAddr != "" {
		tlsURL, st, err := emu.StartTLS(f.tlsAddr, ca)
		if err != nil {
			_ = stop(context.Background())
			return err
		}
		stopTLS = st
		fmt.Fprintf(cmd.OutOrStdout(), "corsguard emulator listening on %s (TLS; CA SPKI hashes %s)\n", tlsURL, strings.Join(ca.SPKIHashes(), ","))
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := errors.Join(stopTLS(shutdown), stop(shutdown)); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), "corsguard emulator stopped")
	return nil
}

// configureFaults applies the fault flags.
func configureFaults(emu *emulator.Emulator, f emulatorFlags) error {
	for _, s := range f.throttle {
		op, v, err := opValue("--throttle", s)
		if err != nil {
			return err
		}
		rps, err := strconv.ParseFloat(v, 64)
		if err != nil || rps < 0 {
			return fmt.Errorf("--throttle %s: want OP=RPS with a number of calls per second", s)
		}
		emu.SetThrottle(op, rps)
	}
	for _, s := range f.errorRate {
		op, v, err := opValue("--error-rate", s)
		if err != nil {
			return err
		}
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			return fmt.Errorf("--error-rate %s: want OP=FRACTION between 0 and 1", s)
		}
		emu.SetErrorRate(op, p)
	}
	for _, s := range f.latency {
		op, v, err := opValue("--latency", s)
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("--latency %s: want OP=DURATION such as 200ms", s)
		}
		emu.SetLatency(op, d)
	}
	for _, s := range f.script {
		parts := strings.Split(s, ":")
		if len(parts) != 4 || parts[0] == "" || parts[3] == "" {
			return fmt.Errorf("--script %s: want OP:CONTAINER:N:CODE", s)
		}
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 1 {
			return fmt.Errorf("--script %s: N must be a positive number", s)
		}
		resource := parts[1]
		if resource == "*" {
			resource = ""
		}
		emu.Script(parts[0], resource, n, parts[3])
	}
	return nil
}

func opValue(flag, s string) (op, value string, err error) {
	op, value, ok := strings.Cut(s, "=")
	if !ok || op == "" {
		return "", "", fmt.Errorf("%s %s: want OP=VALUE (OP is an API name such as PutCorsPolicy, or *)", flag, s)
	}
	return op, value, nil
}
