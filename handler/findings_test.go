package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediastore"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/clock"
	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/policy"
)

// hubFixture is a Handler with Security Hub findings on, over the real engine, publisher and
// SDK clients against the emulator (account 210987654321, as the invocation ARN says).
type hubFixture struct {
	emu           *emulator.Emulator
	url           string
	h             *Handler
	logs, metrics bytes.Buffer
}

const hubAccount = "210987654321"

func newHubFixture(t *testing.T, opts ...emulator.Option) *hubFixture {
	t.Helper()
	f := &hubFixture{emu: emulator.New(append([]emulator.Option{emulator.WithAccount(hubAccount), emulator.WithDeletingDuration(0), emulator.WithoutQuotas()}, opts...)...)}
	srv := httptest.NewServer(f.emu)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	cfg, err := config.Load(func(k string) string {
		return map[string]string{config.BaselineParameter: baseline, config.Mode: "audit", config.SecurityHub: "true", config.Region: "us-east-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	aws := emulated(srv.URL)
	// Security Hub's import quota is the emulator's to apply, not the test's to wait for.
	pub := findings.NewPublisher(securityhub.NewFromConfig(aws), findings.WithImportRate(1000))
	f.h, err = Wire(cfg, aws, WithLogger(slog.New(slog.NewJSONHandler(&f.logs, nil))),
		WithMetrics(&f.metrics), WithFindings(pub))
	if err != nil {
		t.Fatal(err)
	}
	must(t, f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""))
	must(t, f.emu.SeedContainer("live-news", "ACTIVE", loose, nil))
	must(t, f.emu.SeedContainer("vod-library", "ACTIVE", want, nil))
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// invoke runs one invocation with the function ARN aws-lambda-rie would give in that account.
func (f *hubFixture) invoke(t *testing.T, payload string) (*Result, error) {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:" + hubAccount + ":function:corsguard"})
	return f.h.Invoke(ctx, json.RawMessage(payload))
}

// states returns Compliance.Status and RecordState per container, from the stored findings.
func (f *hubFixture) states() map[string]string {
	out := map[string]string{}
	for _, d := range f.emu.Findings() {
		name := d["ProductFields"].(map[string]any)["corsguard/Name"].(string)
		out[name] = d["Compliance"].(map[string]any)["Status"].(string) + " " + d["RecordState"].(string)
	}
	return out
}

func TestASweepImportsOneFindingPerContainerAndArchivesTheGone(t *testing.T) {
	f := newHubFixture(t)
	res, err := f.invoke(t, `{"action":"audit"}`)
	if err != nil {
		t.Fatal(err)
	}
	if res.SecurityHub == nil || res.SecurityHub.Imported != 2 {
		t.Fatalf("result's security_hub: %+v", res.SecurityHub)
	}
	got := f.states()
	if got["live-news"] != "FAILED ACTIVE" || got["vod-library"] != "PASSED ACTIVE" || len(got) != 2 {
		t.Errorf("findings after the sweep: %v", got)
	}
	for _, d := range f.emu.Findings() {
		if d["AwsAccountId"] != hubAccount || !strings.Contains(d["ProductArn"].(string), ":"+hubAccount+":product/"+hubAccount+"/default") {
			t.Errorf("finding not in the invocation's account: %v %v", d["AwsAccountId"], d["ProductArn"])
		}
	}

	// A run about one container archives nothing else; the next sweep archives a deleted one.
	ms := mediastore.New(mediastore.Options{Region: "us-east-1", BaseEndpoint: &f.url,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), HTTPClient: emulator.HTTPClient()})
	name := "vod-library"
	if _, err := ms.DeleteContainer(context.Background(), &mediastore.DeleteContainerInput{ContainerName: &name}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.invoke(t, `{"action":"audit"}`); err != nil {
		t.Fatal(err)
	}
	if got := f.states()["vod-library"]; got != "PASSED ARCHIVED" {
		t.Errorf("deleted container's finding: %q, want PASSED ARCHIVED", got)
	}
}

func TestSecurityHubOffIsATerminalFailureNotARetry(t *testing.T) {
	f := newHubFixture(t, emulator.WithSecurityHubDisabled())
	res, err := f.invoke(t, `{"action":"audit"}`)
	if err != nil {
		t.Fatalf("Invoke returned %v; a disabled Security Hub is terminal and must not make Lambda retry", err)
	}
	if res.Report == nil || len(res.Report.Entries) != 2 {
		t.Errorf("the run itself did not happen: %+v", res.Report)
	}
	if !strings.Contains(f.logs.String(), "Security Hub is not enabled") {
		t.Errorf("the log does not say plainly that Security Hub is off:\n%s", f.logs.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(f.metrics.Bytes()), &doc); err != nil {
		t.Fatalf("metrics: %v\n%s", err, f.metrics.String())
	}
	if doc[MetricTerminalFailures] != float64(1) {
		t.Errorf("TerminalFailures = %v, want 1 (the findings)", doc[MetricTerminalFailures])
	}
}

// With the work queue, the workers import the findings of what they decide, and the router, on
// every sweep, archives the findings that no run updated for the refresh period plus two sweep
// intervals (level-triggered: it does not depend on which invocation lists which page).
func TestWithTheWorkQueueWorkersImportAndTheRouterArchives(t *testing.T) {
	f := newFixture(t, map[string]string{config.QueueURL: workQueue, config.Mode: "audit", config.Rate: "1000", config.SecurityHub: "true"})
	must(t, f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""))
	must(t, f.emu.SeedContainer("live-news", "ACTIVE", loose, nil))
	must(t, f.emu.SeedContainer("vod-library", "ACTIVE", want, nil))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:" + f.emu.Account() + ":function:corsguard"})
	scope := findings.Scope{Account: f.emu.Account(), Region: "us-east-1"}

	// A finding of a container deleted 33 days ago (past the 30-day refresh period plus two
	// sweep intervals of the default rate(1 day)), which no worker will ever see again; and
	// one last imported 3 days ago, which an unchanged resource's finding may well be (issue
	// 29: imported only on change), so it must stay.
	old := &enforce.Report{Entries: []enforce.Entry{{Name: "old-feed", Kind: policy.MediaStore, Outcome: enforce.Drifted}}}
	then := findings.WithClock(clock.NewManual(time.Now().Add(-33 * 24 * time.Hour)))
	if _, err := findings.NewPublisher(f.hub, then).Publish(ctx, scope, old, nil); err != nil {
		t.Fatal(err)
	}
	quiet := &enforce.Report{Entries: []enforce.Entry{{Name: "quiet-feed", Kind: policy.MediaStore, Outcome: enforce.Drifted}}}
	recently := findings.WithClock(clock.NewManual(time.Now().Add(-3 * 24 * time.Hour)))
	if _, err := findings.NewPublisher(f.hub, recently).Publish(ctx, scope, quiet, nil); err != nil {
		t.Fatal(err)
	}

	out, err := f.h.Lambda().Invoke(ctx, sweep("sweep-1"))
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	must(t, json.Unmarshal(out, &res))
	if res.SecurityHub == nil || res.SecurityHub.Archived != 1 {
		t.Fatalf("the router's security_hub: %+v, want old-feed archived", res.SecurityHub)
	}
	for {
		ev := f.receive(t)
		if len(ev.Records) == 0 {
			break
		}
		payload, _ := json.Marshal(ev)
		if _, err := f.h.Lambda().Invoke(ctx, payload); err != nil {
			t.Fatal(err)
		}
		for _, r := range ev.Records {
			if _, err := f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.queueURL, ReceiptHandle: &r.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := map[string]string{}
	for _, d := range f.emu.Findings() {
		got[d["ProductFields"].(map[string]any)["corsguard/Name"].(string)] = d["Compliance"].(map[string]any)["Status"].(string) + " " + d["RecordState"].(string)
	}
	wantStates := map[string]string{"live-news": "FAILED ACTIVE", "vod-library": "PASSED ACTIVE", "old-feed": "FAILED ARCHIVED",
		"quiet-feed": "FAILED ACTIVE"}
	if diff := cmp.Diff(wantStates, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestASecondSweepOfAnUnchangedEstateImportsNoFinding runs two sweeps of the same containers on
// both paths (in-process, and the work queue's router and workers) with the template's
// refresh period: the first imports a finding per container, the second none, its previous
// states read back from Security Hub (the Publisher remembers nothing between runs).
func TestASecondSweepOfAnUnchangedEstateImportsNoFinding(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"in-process", map[string]string{config.Mode: "audit", config.Rate: "1000", config.SecurityHub: "true"}},
		{"router and workers", map[string]string{config.QueueURL: workQueue, config.Mode: "audit", config.Rate: "1000", config.SecurityHub: "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.env)
			must(t, f.emu.SeedParameter(baseline, "String", string(want.JSON()), ""))
			must(t, f.emu.SeedContainer("live-news", "ACTIVE", loose, nil))
			must(t, f.emu.SeedContainer("vod-library", "ACTIVE", want, nil))
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
				InvokedFunctionArn: "arn:aws:lambda:us-east-1:" + f.emu.Account() + ":function:corsguard"})
			run := func(id string) {
				t.Helper()
				if _, err := f.h.Lambda().Invoke(ctx, sweep(id)); err != nil {
					t.Fatal(err)
				}
				if tc.env[config.QueueURL] == "" {
					return
				}
				for {
					ev := f.receive(t)
					if len(ev.Records) == 0 {
						return
					}
					payload, _ := json.Marshal(ev)
					if _, err := f.h.Lambda().Invoke(ctx, payload); err != nil {
						t.Fatal(err)
					}
					for _, r := range ev.Records {
						if _, err := f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.queueURL, ReceiptHandle: &r.ReceiptHandle}); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			run("sweep-1")
			if n := f.emu.CallCount("BatchImportFindings"); n == 0 || len(f.emu.Findings()) != 2 {
				t.Fatalf("first sweep: %d imports, findings %v", n, f.emu.Findings())
			}
			f.emu.ResetCalls()
			run("sweep-2")
			if n := f.emu.CallCount("BatchImportFindings"); n != 0 {
				t.Errorf("second sweep of the unchanged estate: %d BatchImportFindings calls, want 0", n)
			}
			if n := f.emu.CallCount("GetFindings"); n == 0 {
				t.Error("second sweep: no GetFindings; the previous states must be read back")
			}
		})
	}
}

// The function has one clock (withClock): handed to Wire, it reaches the engine (its report's
// start) and the findings publisher Wire builds (the UpdatedAt it imports), not only the
// adapter's metrics.
func TestWireGivesTheFunctionsOneClockToTheEngineAndThePublisher(t *testing.T) {
	emu := emulator.New(emulator.WithAccount(hubAccount), emulator.WithoutQuotas())
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{config.BaselineParameter: baseline, config.Mode: "audit", config.SecurityHub: "true", config.Region: "us-east-1"}[k]
	})
	must(t, err)
	must(t, emu.SeedParameter(baseline, "String", string(want.JSON()), ""))
	must(t, emu.SeedContainer("live-news", "ACTIVE", loose, nil))
	then := time.Now().Add(-50 * time.Hour).UTC().Truncate(time.Second)
	var logs, metrics bytes.Buffer
	h, err := Wire(cfg, emulated(srv.URL), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))), WithMetrics(&metrics),
		withClock(clock.NewManual(then)))
	must(t, err)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:" + hubAccount + ":function:corsguard"})
	res, err := h.Invoke(ctx, json.RawMessage(`{"action":"audit"}`))
	must(t, err)
	if res.Report == nil {
		t.Fatalf("no report: %+v", res)
	}
	if !res.Report.Started.Equal(then) {
		t.Errorf("the engine's report started at %v, want the function's clock's %v", res.Report.Started, then)
	}
	fs := emu.Findings()
	if len(fs) != 1 {
		t.Fatalf("%d imported findings, want one", len(fs))
	}
	if fs[0]["UpdatedAt"] != findings.Timestamp(then) {
		t.Errorf("the finding's UpdatedAt %v, want %s (the publisher's clock is the function's)", fs[0]["UpdatedAt"], findings.Timestamp(then))
	}
}
