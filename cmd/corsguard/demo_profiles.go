package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/corsguard/corsguard/cmd/corsguard/report"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/events"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// The profiles part of the demo (docs/profiles.md): buckets for players, uploads and a
// partner, each kept at its own profile's baseline by one function, and one whose tag names a
// profile that does not exist, reported and untouched.
var (
	demoUploads = policy.Policy{{ID: "uploads", AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type", "x-amz-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 600}}
	demoPartners = policy.Policy{{AllowedOrigins: []string{"https://partner.example.net"}, AllowedMethods: []string{"GET", "HEAD"},
		AllowedHeaders: []string{"Range"}}}
)

// demoProfileBucket is one bucket of the profiles part and the baseline it must end at
// (nil: it must be left as it was).
type demoProfileBucket struct {
	name string
	tags map[string]string
	ends policy.Policy
	why  string
}

func demoProfileBuckets() []demoProfileBucket {
	return []demoProfileBucket{
		{name: "player-hls", ends: policy.Default(), why: "a player bucket: no tag, no pattern: the default baseline"},
		{name: "media-inbox", tags: map[string]string{"corsguard:profile": "uploads"}, ends: demoUploads, why: "browsers upload here: tagged corsguard:profile=uploads"},
		{name: "partner-acme", ends: demoPartners, why: "a partner's feed: the pattern partners=partner-*"},
		{name: "archive-2019", tags: map[string]string{"corsguard:profile": "archive"}, why: "tagged for a profile nobody created"},
	}
}

// runProfiles tells the profiles part on an account of its own: the story above ends with
// everything compliant, and a missing profile is a failure.
func runProfiles(ctx context.Context, out io.Writer) error {
	emu := emulator.New()
	url, stop, err := emu.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	defer func() { _ = stop(context.Background()) }()
	awsCfg := demoAWS(emu.Region(), url)
	for name, p := range map[string]policy.Policy{demoParameter: policy.Default(),
		"/corsguard/profiles/s3/uploads": demoUploads, "/corsguard/profiles/s3/partners": demoPartners} {
		if err := emu.SeedParameter(name, "String", string(p.JSON()), ""); err != nil {
			return err
		}
	}
	buckets := demoProfileBuckets()
	for _, b := range buckets {
		if err := emu.SeedBucket(b.name, "", demoAnyOrigin, b.tags); err != nil {
			return err
		}
	}
	env := map[string]string{config.BaselineParameter: demoParameter, config.Targets: "s3", "AWS_REGION": emu.Region(),
		config.ProfilePatterns: "uploads=upload-*,ingest-*;partners=partner-*"}
	h, cfg, err := handler.FromEnvironment(func(k string) string { return env[k] }, awsCfg,
		handler.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), handler.WithMetrics(io.Discard))
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "\n%s\nProfiles: one function, a baseline per role (docs/profiles.md)\n%s\n", strings.Repeat("─", 96), strings.Repeat("─", 96))
	fmt.Fprintf(out, "A second account, targets s3, patterns %s (%s), profile tag %s.\n", env[config.ProfilePatterns], config.ProfilePatterns, cfg.Engine.ProfileTag)
	fmt.Fprintln(out, "Baselines: /corsguard/baseline (players: the default), /corsguard/profiles/s3/uploads, /corsguard/profiles/s3/partners;")
	fmt.Fprintln(out, "no /corsguard/profiles/s3/archive. Every bucket starts with a hand-made policy (any origin may PUT and DELETE).")

	event, err := events.Sample("scheduled-sweep.json")
	if err != nil {
		return err
	}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: "demo-profiles",
		InvokedFunctionArn: "arn:aws:lambda:" + emu.Region() + ":" + emu.Account() + ":function:corsguard"})
	res, _ := h.Invoke(ictx, json.RawMessage(event))
	if res == nil || res.Report == nil {
		return fmt.Errorf("the profiles sweep returned no report")
	}
	fmt.Fprintf(out, "\nevent     events/scheduled-sweep.json -> %s\n", res.Event)
	if err := report.WriteTable(out, res.Report); err != nil {
		return err
	}

	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\n  BUCKET\tCORS NOW\tSEEDED AS")
	bad := 0
	for _, b := range buckets {
		info, _ := emu.Bucket(b.name)
		now := emulatedPolicy(info.CorsPolicy)
		state := "untouched (its profile is missing)"
		switch {
		case b.ends != nil && policy.Equal(now, b.ends):
			state = "= its profile's baseline"
		case b.ends != nil || !policy.Equal(now, demoAnyOrigin):
			state, bad = "WRONG", bad+1
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", b.name, state, b.why)
	}
	_ = tw.Flush()
	for line := range strings.Lines(buf.String()) {
		fmt.Fprintln(out, strings.TrimRight(line, " \n"))
	}
	ents := map[string]enforce.Entry{}
	for _, e := range res.Report.Entries {
		ents[e.Name] = e
	}
	if e := ents["archive-2019"]; bad > 0 || e.Outcome != enforce.Failed || e.Retryable || res.Report.TerminalFailures() != 1 {
		return fmt.Errorf("the profiles sweep did not keep each bucket at its profile (%d wrong) and fail archive-2019 terminally (%s)", bad, e.Outcome)
	}
	fmt.Fprintln(out, "\nThree buckets at three baselines; archive-2019 is a terminal failure (alarmed), never given the default.")
	return nil
}
