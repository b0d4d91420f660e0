package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/emulator/esm"
	"github.com/corsguard/corsguard/handler"
)

// hubMeter is a reverse proxy in front of the emulator that counts what reaches Security Hub,
// as a held-out check would count it from outside the function: BatchImportFindings calls
// (POST /findings/import) and the findings they carry (what Security Hub bills, one ingestion
// event each), and GetFindings calls (POST /findings). Everything else passes through uncounted.
// The Host header is left as the function sent it, so its signature still holds.
type hubMeter struct {
	url string

	mu                     sync.Mutex
	imports, events, reads int
}

func newHubMeter(t *testing.T, target string) *hubMeter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	m := &hubMeter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && (r.URL.Path == "/findings/import" || r.URL.Path == "/findings") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var in struct{ Findings []json.RawMessage }
			_ = json.Unmarshal(body, &in) // the emulator judges the request; the meter only counts
			m.mu.Lock()
			if r.URL.Path == "/findings/import" {
				m.imports++
				m.events += len(in.Findings)
			} else {
				m.reads++
			}
			m.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	m.url = srv.URL
	return m
}

// take returns the counts since the last take and starts again from zero.
func (m *hubMeter) take() (imports, events, reads int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	imports, events, reads = m.imports, m.events, m.reads
	m.imports, m.events, m.reads = 0, 0, 0
	return imports, events, reads
}

// TestASecondSweepImportsNothingAfterARestart counts, at the Security Hub endpoint (a counting
// proxy in front of the emulator), the findings two consecutive sweeps of the same estate
// ingest, with the function stopped and started again (a new bootstrap process: nothing
// remembered) between them, on both paths: in-process, and the work queue's router with its
// worker, the findings queue and its publisher, as the template deploys them with Security Hub
// on (every process restarted). The estate has drifted buckets and containers and the
// function enforces (the template's default): the first sweep repairs them and imports one
// finding per resource; the second finds everything compliant, as the findings say, and
// imports nothing. Then a DeleteBucket event, sent to a new process once more, archives that
// bucket's finding at once: one import carrying one finding, nothing enqueued.
func TestASecondSweepImportsNothingAfterARestart(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"in-process", "router and worker"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()), emulator.WithAccount(rieAccount))
			const buckets, containers = 24, 3
			for i := range buckets {
				cors := baseline
				if i%4 == 0 {
					cors = drifted
				}
				a.seedBucket(t, fmt.Sprintf("media-%02d", i), cors, nil)
			}
			for i := range containers {
				cors := baseline
				if i == 0 {
					cors = drifted
				}
				a.seed(t, fmt.Sprintf("live-%d", i), cors, nil)
			}
			meter := newHubMeter(t, a.url)
			env := map[string]string{"CORSGUARD_TARGETS": "mediastore,s3", "CORSGUARD_SECURITY_HUB": "true"}
			if path != "in-process" {
				if err := a.SeedQueue(findingsQueue, map[string]string{"VisibilityTimeout": "330"}); err != nil {
					t.Fatal(err)
				}
				env["CORSGUARD_FINDINGS_QUEUE_URL"] = a.QueueURL(a.url, findingsQueue)
			}

			// start starts every process of the path cold, reaching AWS through the meter, and
			// returns the sweep: the scheduled event to the function (the router), and on the
			// queued path the queue drained through the worker.
			var q *queued
			start := func() (sweep func(t *testing.T, id string), fns []*function) {
				e := fastEnv(a)
				e["AWS_ENDPOINT_URL"] = meter.url
				for k, v := range env {
					e[k] = v
				}
				if path == "in-process" {
					fn := startFunction(t, e)
					return func(t *testing.T, id string) {
						t.Helper()
						wantSuccess(t, fn.invoke(t, scheduled(id)), handler.Sweep)
					}, []*function{fn}
				}
				if q == nil {
					q = newQueued(t, a, 1, e, nil)
				} else {
					e["CORSGUARD_QUEUE_URL"] = q.queueURL
					e["CORSGUARD_MAX_CONCURRENCY"] = "2"
					q.workers = []*function{startFunction(t, e)}
					q.router = startFunction(t, e)
				}
				e["CORSGUARD_QUEUE_URL"] = q.queueURL
				publisher := startFunction(t, e)
				publish := &esm.Mapping{
					Client: q.sqs, QueueURL: a.QueueURL(a.url, findingsQueue), QueueARN: a.QueueARN(findingsQueue), Region: region,
					BatchSize: 100, MaximumBatchingWindow: 100 * time.Millisecond, MaximumConcurrency: 1, ReportBatchItemFailures: true,
					Function: esm.HTTPFunction(nil, publisher.invokeURL),
				}
				return func(t *testing.T, id string) {
					t.Helper()
					wantSuccess(t, q.router.invoke(t, scheduled(id)), handler.Sweep)
					q.drain(t)
					if d := q.depth(t, workQueue) + q.depth(t, workDLQ); d != 0 {
						t.Errorf("%d messages left in the work queues", d)
					}
					stats, err := publish.Run(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if stats.FunctionErrors != 0 || stats.Failed != 0 {
						t.Errorf("publisher: %+v", stats)
					}
					if d := q.depth(t, findingsQueue); d != 0 {
						t.Errorf("%d messages left in the findings queue", d)
					}
				}, []*function{q.router, q.workers[0], publisher}
			}
			stopAll := func(fns []*function) {
				for _, fn := range fns {
					fn.stop()
				}
			}

			sweep, fns := start()
			sweep(t, "sweep-1")
			imports, events, _ := meter.take()
			if events != buckets+containers || imports == 0 {
				t.Fatalf("first sweep: %d BatchImportFindings carrying %d findings, want %d findings (one per resource)", imports, events, buckets+containers)
			}
			for i := range buckets {
				wantBucketPolicy(t, a, fmt.Sprintf("media-%02d", i), baseline)
			}

			stopAll(fns)
			sweep, fns = start()
			sweep(t, "sweep-2")
			imports, events, reads := meter.take()
			if imports != 0 || events != 0 {
				t.Errorf("second sweep after a restart: %d BatchImportFindings carrying %d findings, want none", imports, events)
			}
			if reads == 0 {
				t.Error("second sweep: no GetFindings; the previous states must come back from Security Hub")
			}
			t.Logf("%s: second sweep %d GetFindings, 0 imports", path, reads)

			// A bucket deleted: its finding archived at once by a new process.
			stopAll(fns)
			_, fns = start()
			s3c := s3.NewFromConfig(a.aws(t), func(o *s3.Options) { o.UsePathStyle = true })
			if _, err := s3c.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String("media-00")}); err != nil {
				t.Fatal(err)
			}
			ev := variant(t, "cloudtrail-s3-delete-bucket.json", func(ev map[string]any) {
				ev["time"] = time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
				requestOf(ev)["bucketName"] = "media-00"
			})
			before := a.TotalCalls()
			inv := fns[0].invoke(t, ev)
			wantSuccess(t, inv, handler.ResourceDeleted)
			if hub := inv.Result.SecurityHub; hub == nil || hub.Archived != 1 {
				t.Errorf("DeleteBucket: security_hub %+v, want 1 archived", hub)
			}
			if imports, events, reads := meter.take(); imports != 1 || events != 1 || reads != 1 {
				t.Errorf("DeleteBucket: %d imports carrying %d findings, %d GetFindings; want 1, 1, 1", imports, events, reads)
			}
			if n := a.TotalCalls() - before; n != 2 {
				t.Errorf("DeleteBucket: %d AWS calls (%v), want 2 (no resource read, nothing enqueued)", n, a.Calls())
			}
			for _, d := range a.Findings() {
				if d["ProductFields"].(map[string]any)["corsguard/Name"] == "media-00" && d["RecordState"] != "ARCHIVED" {
					t.Errorf("media-00's finding is %v", d["RecordState"])
				}
			}
		})
	}
}
