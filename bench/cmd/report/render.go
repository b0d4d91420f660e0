package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/corsguard/corsguard/bench"
	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

func renderMethod(b *w) {
	b.pf("## Method")
	b.pf("")
	b.pf("Everything runs on this machine over loopback HTTP: the real aws-sdk-go-v2 clients, the real engine")
	b.pf("(`enforce`), and the AWS emulator (`emulator`) with latency and throttling injected. Nothing is mocked")
	b.pf("except, for the time-to-compliance table, the clock and the random source.")
	b.pf("")
	b.pf("- **Sweeps** (`bench.RunSweep`): a fresh emulator holds N ACTIVE containers, 30%% drifted (one in ten")
	b.pf("  without a policy, two in ten with another one), the baseline in SSM; it adds %v to every call and", latency)
	b.pf("  throttles each operation on its own token bucket at R calls/s (burst R) with `ThrottlingException` (S3's")
	b.pf("  front end answers it as `SlowDown`, HTTP 503). The S3 rows do the same with N buckets in the Region. The sweep")
	b.pf("  runs in a child process (`bench/cmd/sweep`) that builds the engine from the environment exactly as the")
	b.pf("  Lambda does (`config.Load`, `Config.Engine`, `awsclient.FromEnvironment` with its retryer; only the HTTP client is the")
	b.pf("  emulator's loopback one), so its peak resident memory (the child's own `VmHWM` from `/proc/self/status`,")
	b.pf("  not `getrusage`, whose `ru_maxrss` for a child Go started starts from the parent's peak) is the engine's,")
	b.pf("  not the emulator's. Wall time is the engine's own `Report.Duration`: from reading the baseline to re-reading it.")
	b.pf("  Calls are counted by the emulator (HTTP requests, retries included); throttles by a wrapper that counts")
	b.pf("  answers naming `ThrottlingException` or S3's `SlowDown`.")
	b.pf("- **Bound** = the calls the busiest operation must make (GetCorsPolicy, one per container; GetBucketCors, one")
	b.pf("  per bucket) ÷ R + one latency.")
	b.pf("  The engine's client rate is R, its default %d/s, unless the table says otherwise.", defRate)
	b.pf("- **Time to compliance** (`bench.TimeToCompliance`): for each CREATING time T, %d creations; each is", creations)
	b.pf("  one engine run for a creation event (`Work{Containers: [name]}`) started the moment the container is created,")
	b.pf("  under the function's %v timeout. The engine and the emulator share a simulated clock that moves only when", bench.LambdaTimeout)
	b.pf("  the engine's backoff sleeps, and the jitter comes from a seeded generator, so thousands of creations take")
	b.pf("  seconds and each pass is reproducible. The delay is from the moment the container turned ACTIVE to the")
	b.pf("  DescribeContainer that saw it ACTIVE; the GetCorsPolicy, ListTagsForResource and PutCorsPolicy that follow")
	b.pf("  take no simulated time (add three API latencies in reality). The request rate is off in this simulation")
	b.pf("  (its limiter keeps real time); the backoff's waits are far longer than the rate's spacing anyway.")
	b.pf("- **Cold start** (`bench.ColdStart`): the bootstrap built as the Makefile builds it for Lambda")
	b.pf("  (`CGO_ENABLED=0 %s`, here for the host's architecture), run by `aws-lambda-rie` (the Makefile's", "-tags lambda.norpc -trimpath -ldflags \"-s -w -buildid=\"")
	b.pf("  pinned `RIE_VERSION`), which starts the bootstrap process when the first invocation arrives. *First response*")
	b.pf("  is from sending that invocation to its complete answer; *init* is the runtime emulator's own `INIT REPORT`")
	b.pf("  (process start to the runtime's first `/next`). The baseline is `bench/hello`, an aws-lambda-go function that")
	b.pf("  returns a constant, built with the same flags. Starts of the three cases are interleaved. corsguard gets the")
	b.pf("  unknown-source sample event (it decodes, routes and ignores it: no AWS call, as much work as hello-world), and")
	b.pf("  separately a creation event for a compliant container (three API calls to the loopback emulator).")
	b.pf("")
	b.pf("Reproduce with `make bench` (it installs `aws-lambda-rie` into `bin/`, then runs `go run ./bench/cmd/report`).")
	b.pf("The machine is shared with other builds and tests; the load averages above say how busy it was.")
	b.pf("")
}

func renderSweeps(b *w, a, bb pass) {
	b.pf("## 1. Sweep convergence")
	b.pf("")
	b.pf("Emulator latency %v per call. *Minimum* is the issue's: for containers one ListContainers per 100, one", latency)
	b.pf("GetCorsPolicy each and one PutCorsPolicy per drifted container; for buckets one ListBuckets per page of %d", bench.S3PageSize)
	b.pf("(the engine's `MaxBuckets`, filtered to the function's Region with `BucketRegion`), one GetBucketCors each and")
	b.pf("one PutBucketCors per drifted bucket. *+ tags* adds one tag read per drifted resource (ListTagsForResource,")
	b.pf("GetBucketTagging; see below). *Calls* are MediaStore and S3 calls; SSM calls are listed apart. N is per kind:")
	b.pf("the mixed row sweeps N containers and N buckets in one run.")
	b.pf("")
	b.pf("| kind | N | drifted | engine rate R | emulator throttle | wall | bound | wall ÷ bound | pass B | calls | ÷ minimum | ÷ minimum + tags | GetParameter | throttles | Put on compliant |")
	b.pf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for i, r := range a.sweeps {
		rb := bb.sweeps[i]
		b.pf("| %s | %d | %d | %s | %s | %s | %s | **%.2f** | %.2f | %d | %.2f | %.2f | %d | %d | %d |", kindLabel(r), r.Spec.N, r.Drifted, rateLabel(r), throttleLabel(r),
			secs(r.Wall()), secs(r.Bound()), wallRatio(r), wallRatio(rb), r.TargetCalls(),
			float64(r.TargetCalls())/float64(r.Minimum()), float64(r.TargetCalls())/float64(r.MinimumWithTags()),
			r.Calls["GetParameter"], r.Throttled+rb.Throttled, r.PutsOnCompliant+rb.PutsOnCompliant)
	}
	for _, r := range a.apis {
		b.pf("| function URLs + HTTP APIs, work queue | %d + %d | %d + %d | %g/s + %g/s account-wide, %d workers | AWS's: 15/s; 10/s burst 40 | %s | %s | **%.2f** | – | %d + %d | – | %.2f + %.2f | %d | %d (%d in reports) | – |",
			r.Spec.URLs, r.Spec.APIs, r.DriftedURLs, r.DriftedAPIs, r.Spec.LambdaRate, r.Spec.APIGatewayRate, r.Spec.Concurrency,
			secs(r.Wall), secs(r.Bound()), float64(r.Wall)/float64(r.Bound()), r.LambdaCalls(), r.APIGatewayCalls(),
			float64(r.LambdaCalls())/float64(r.LambdaMinimum()), float64(r.APIGatewayCalls())/float64(r.APIGatewayMinimum()),
			r.Calls["GetParameter"], r.Throttled, r.Reported)
	}
	b.pf("")
	b.pf("(Throttles and Put on compliant: both passes added; throttles count `ThrottlingException` and S3's `SlowDown`.)")
	b.pf("The N = 1000 row runs at R = %d/s on both sides: at the", fastRate)
	b.pf("default %d/s it would take %s of GetCorsPolicy alone, which fits a Lambda's 15 minutes but not this benchmark's", defRate,
		secs(time.Duration(1000/defRate)*time.Second))
	b.pf("budget twice over; the engine's pacing does not depend on R (one token bucket per operation, burst 1).")
	b.pf("MediaStore allows 100 containers per account and Region, so N = 1000 is a stress size, not a real account.")
	b.pf("The containers row without a throttle is the engine at its default settings against an emulator that does not")
	b.pf("throttle at all: the engine paces itself to R, so the wall time is the same as against a throttling API.")
	b.pf("")
	b.pf("**S3 beside MediaStore.** The bucket and mixed rows use the same latency, the same emulator throttle R per")
	b.pf("operation and the engine at its default rate, as the containers row at N = 100. A bucket has no lifecycle, so")
	b.pf("the engine makes no describe call for it; ListBuckets returns up to %d buckets a page, so N = 100 takes one.", bench.S3PageSize)
	b.pf("**The mixed row's bound is still N ÷ R + one latency, not 2N ÷ R:** the engine and the emulator both limit each")
	b.pf("operation on its own token bucket, and GetCorsPolicy and GetBucketCors are different operations that make N")
	b.pf("calls each, side by side; the busiest single operation still makes N calls. Its minimum adds both kinds'.")
	b.pf("")
	for _, r := range a.apis {
		b.pf("**Function URLs and HTTP APIs through the work queue** (issue 25; pass A only). %d functions of one URL each and", r.Spec.URLs)
		b.pf("%d HTTP APIs, 30 %% of each drifted, against an emulator applying Lambda's control-plane quota (15/s, all its", r.Spec.APIs)
		b.pf("operations together) and API Gateway's management quota (10/s, burst 40); corsguard at its default shares")
		b.pf("(CORSGUARD_LAMBDA_RATE %g, CORSGUARD_APIGATEWAY_RATE %g), each invocation keeping to share ÷ (%d workers + 1).",
			r.Spec.LambdaRate, r.Spec.APIGatewayRate, r.Spec.Concurrency)
		b.pf("The Lambda minimum is ListFunctions per 50 functions, one ListFunctionUrlConfigs per function, one")
		b.pf("GetFunctionUrlConfig per URL by its worker, ListTags and UpdateFunctionUrlConfig per drifted URL; API Gateway's")
		b.pf("GetApis per 100, one GetApi per API (tags included), one UpdateApi per drifted API. The bound is the slower")
		b.pf("service's minimum at its share, plus one latency. Throttles: the emulator's TooManyRequestsException answers (the")
		b.pf("SDK retries them), and in brackets the throttling codes found in what the function instances logged. Converged:")
		b.pf("%d of %d URLs and %d of %d APIs.", r.ConvergedURLs, r.Spec.URLs, r.ConvergedAPIs, r.Spec.APIs)
		b.pf("")
	}
	renderCreating(b, a, bb)
	b.pf("**Why wall ÷ bound can be just under 1.** A token bucket with burst 1 lets the first call go at once, so N calls")
	b.pf("span (N − 1) ÷ R; the bound counts N ÷ R. The remaining overhead is the baseline read, the listing, the last")
	b.pf("container's tag read and write, and the baseline re-read: about five latencies.")
	b.pf("")
	b.pf("**Why the calls are the issue's minimum plus one tag read per drifted resource.** Before writing a")
	b.pf("drifted container or bucket the engine must know whether it carries the exemption tag (DESIGN §3, *Exemptions*),")
	b.pf("and neither listing returns tags. The engine reads tags only for drifted resources (a compliant one")
	b.pf("is reported compliant without a tag read), so every sweep above makes exactly the minimum plus those reads:")
	b.pf("the ratio against *minimum + tags* is 1.00. Counted against the issue's minimum the ratio is")
	b.pf("(N/100 + N + 2D) ÷ (N/100 + N + D), 1.23 at 30%% drift. What would remove the extra calls: reading the tags of all")
	b.pf("containers at once through the Resource Groups Tagging API (`GetResources`, one call per 100), at the cost of")
	b.pf("another client, another IAM action and a dependency outside the allowed list; not worth it for ≤ 100 containers.")
	b.pf("The tag reads have their own token buckets, so these calls do not lengthen the sweep: the bound is set by")
	b.pf("GetCorsPolicy (GetBucketCors for buckets).")
	b.pf("")
}

// renderCreating is the function time a container CREATING for T costs, in both designs.
func renderCreating(b *w, a, bb pass) {
	if len(a.creating) == 0 {
		return
	}
	b.pf("**Function time while a container is CREATING** (issue 14; `bench.WaitWhileCreating`). One container is")
	b.pf("created on the emulator, which keeps it CREATING for T on its manual clock, so minutes of CREATING take a")
	b.pf("fraction of a second. *In-process* is today's path, and still the CLI's and direct invocations': the engine,")
	b.pf("from the creation event on, waits with its full-jitter backoff (base %v, cap %v) inside the invocation; its", enforce.DefaultBackoffBase, enforce.DefaultBackoffCap)
	b.pf("function time is the simulated time the run took (a run that gives up before the %v timeout is run again,", bench.LambdaTimeout)
	b.pf("as Lambda retries its event). *Work queue*: the router enqueues the container, and each time the worker receives")
	b.pf("it while it is CREATING it fails the record and gives it back with ChangeMessageVisibility (full-jitter delay,")
	b.pf("floor %v); emulator/esm plays the event source mapping and the clock moves 5 s whenever nothing is deliverable.", workqueue.MinDelay)
	b.pf("Its function time is the real time of each handler call (router included), summed. Invocations count the router's.")
	b.pf("")
	b.pf("| T | design | converged A | invocations A | function time A | ÷ T, A | ÷ T, B |")
	b.pf("|---|---|---|---|---|---|---|")
	for _, r := range a.creating {
		rb := creatingAt(bb.creating, r.Design, r.Creating)
		design := "in-process"
		if r.Design == "queue" {
			design = "work queue"
		}
		b.pf("| %v | %s | %v | %d | %v | %s | %s |", r.Creating, design, r.Converged, r.Invocations,
			r.FunctionTime.Round(time.Millisecond), pct(r.Ratio()), pct(rb.Ratio()))
	}
	b.pf("")
}

// kindLabel names what a sweep swept.
func kindLabel(r bench.SweepResult) string {
	var names []string
	for _, k := range r.Spec.Kinds() {
		switch k {
		case policy.MediaStore:
			names = append(names, "containers")
		case policy.S3:
			names = append(names, "buckets")
		default:
			names = append(names, string(k))
		}
	}
	return strings.Join(names, " + ")
}

func renderCompliance(b *w, a, bb pass) {
	b.pf("## 2. Time to compliance for a new container")
	b.pf("")
	b.pf("A container stays CREATING for T; the creation event starts the engine at once. *Delay* is from ACTIVE to the")
	b.pf("engine seeing ACTIVE (the policy is written right after); *describes* are DescribeContainer calls per creation.")
	b.pf("%d creations per cell; pass B used other seeds. *Gave up*: runs that stopped still CREATING because the next", creations)
	b.pf("wait would have passed the deadline (the function's timeout less the 10 s margin); the run fails and Lambda")
	b.pf("retries the event, so those containers become compliant on a later invocation; their delays are not in the")
	b.pf("percentiles.")
	b.pf("")
	for j, rows := range a.compliance {
		label := "default"
		if j > 0 {
			label = fmt.Sprintf("alternative %d", j)
		}
		bk := rows[0].Backoff
		b.pf("**%s: %v**", label, bk)
		b.pf("")
		b.pf("| T | delay p50 | delay p99 | p99 ÷ cap | max | describes mean | describes p99 | gave up | pass B: p99, describes mean, gave up |")
		b.pf("|---|---|---|---|---|---|---|---|---|")
		for i, r := range rows {
			rb := bb.compliance[j][i]
			b.pf("| %v | %s | %s | %.2f | %s | %.1f | %d | %d | %s, %.1f, %d |", r.Creating, secs(r.DelayP50), secs(r.DelayP99),
				float64(r.DelayP99)/float64(bk.Cap), secs(r.DelayMax), r.DescribesMean, r.DescribesP99, r.Failed,
				secs(rb.DelayP99), rb.DescribesMean, rb.Failed)
		}
		b.pf("")
	}
	def, eager, lazy := a.compliance[0], a.compliance[1], a.compliance[2]
	n := len(def) - 1
	gaveUp := 0
	for _, r := range lazy {
		gaveUp += r.Failed
	}
	b.pf("**Reading the tables.** The delay can never exceed the cap: the wait in progress when the container turned")
	b.pf("ACTIVE is at most min(cap, base·2ⁿ), and the delay is what remains of it. For short T the waits are still")
	b.pf("small. Once they have reached the cap they are uniform on [0, cap], but the one in progress at a random moment")
	b.pf("is more likely a long one, so the delay's mean is cap/3 and its p99 approaches the cap (default at T = %v:", def[n].Creating)
	b.pf("p50 %s, p99 %s, cap %v). The describes grow with log₂(T/base) while the waits' ceilings are still doubling,", secs(def[n].DelayP50), secs(def[n].DelayP99), def[n].Backoff.Cap)
	b.pf("that is while T is below about the cap, and after that linearly, one describe per cap/2 on average (default:")
	b.pf("%.1f at 1 min, %.1f at %v). So *calls grow with log(T)* holds only up to the cap; beyond it the cap sets the", at(def, time.Minute), def[n].DescribesMean, def[n].Creating)
	b.pf("trade: a lower cap shortens the worst delay and costs calls for every minute a container stays CREATING, a")
	b.pf("higher one saves calls and lengthens the delay.")
	b.pf("")
	b.pf("**Why the defaults (%v).** At T = %v the eager alternative (%v) brings p99 down to %s but", def[0].Backoff, def[n].Creating, eager[0].Backoff, secs(eager[n].DelayP99))
	b.pf("makes %.1f× the describes (%.1f against %.1f). The lazy one (%v) makes %.1f× fewer describes", eager[n].DescribesMean/def[n].DescribesMean,
		eager[n].DescribesMean, def[n].DescribesMean, lazy[0].Backoff, def[n].DescribesMean/lazy[n].DescribesMean)
	b.pf("but leaves a new container non-compliant up to a minute after it is ACTIVE (p99 %s), every second of which is", secs(lazy[n].DelayP99))
	b.pf("billed Lambda time (the function waits, whatever the backoff), and its long waits collide with the function's")
	defGaveUp := 0
	for _, r := range def {
		defGaveUp += r.Failed
	}
	perMinute := (def[n].DescribesMean - at(def, time.Minute)) / (def[n].Creating - time.Minute).Minutes()
	b.pf("timeout: %d of its %d creations gave up and waited for Lambda's retry. The default keeps the worst delay", gaveUp, len(lazy)*lazy[0].Runs)
	b.pf("under its %v cap (p50 %s at T = %v) for %.1f describes per further minute of CREATING, a handful of calls", def[0].Backoff.Cap, secs(def[n].DelayP50), def[n].Creating, perMinute)
	b.pf("against an API whose rate we keep at 10/s; %d of its %d creations gave up within the %v timeout.", defGaveUp, len(def)*def[0].Runs, bench.LambdaTimeout)
	b.pf("")
}

// at returns the mean describes of the row for T = t.
func at(rows []bench.ComplianceRow, t time.Duration) float64 {
	for _, r := range rows {
		if r.Creating == t {
			return r.DescribesMean
		}
	}
	return math.NaN()
}

func renderColdStart(b *w, a, bb pass, armSize, helloArmSize int64) {
	b.pf("## 3. Cold start and footprint")
	b.pf("")
	b.pf("Medians of %d cold starts each per pass. Starts that failed (a port taken by another process) and were", len(a.hello))
	b.pf("measured again: %d in pass A, %d in pass B.", a.restarts, bb.restarts)
	b.pf("")
	b.pf("| binary, event | first response | ÷ hello | init (RIE) | ÷ hello | pass B: first response ÷ hello, init ÷ hello |")
	b.pf("|---|---|---|---|---|---|")
	hf, hi := median(a.hello, firstResponse), median(a.hello, initPhase)
	hfb, hib := median(bb.hello, firstResponse), median(bb.hello, initPhase)
	for _, c := range []struct {
		name  string
		s, sb []bench.Start
	}{
		{"hello-world, unknown-source event", a.hello, bb.hello},
		{"corsguard, unknown-source event (ignored)", a.ignored, bb.ignored},
		{"corsguard, creation event (compliant container)", a.creation, bb.creation},
	} {
		f, i := median(c.s, firstResponse), median(c.s, initPhase)
		fb, ib := median(c.sb, firstResponse), median(c.sb, initPhase)
		b.pf("| %s | %s | **%.2f** | %s | %.2f | %.2f, %.2f |", c.name, ms(f), float64(f)/float64(hf), ms(i), float64(i)/float64(hi),
			float64(fb)/float64(hfb), float64(ib)/float64(hib))
	}
	b.pf("")
	renderPackageInit(b, a, bb)
	b.pf("Stripped linux/arm64 binaries, built with the Lambda flags: corsguard `bootstrap` **%s** (%d bytes),", mib(armSize), armSize)
	b.pf("hello-world %s (%d bytes). Headroom under the 12 MiB target (%d bytes): %s.", mib(helloArmSize), helloArmSize, maxBootstrap, mib(maxBootstrap-armSize))
	if armSize > maxBootstrap {
		b.pf("**The size target is missed, a trade-off taken knowingly:** one binary carries the clients of every target")
		b.pf("(MediaStore, S3, CloudFront), SSM, SQS and Security Hub, whose client and ASFF types are the largest single")
		b.pf("addition. Leaving clients out by build tags would mean one artifact per configuration (and per StackSet),")
		b.pf("and a second function for findings a second role and queue; neither pays for itself while Lambda's limits are")
		b.pf("far off (50 MB zipped; the zip is about a third of the binary) and the cold-start ratio above is what the size costs.")
	}
	b.pf("")
	if len(a.sweeps) == 0 {
		return // a cold-start run (-coldstart) has no sweeps to take the peak RSS of
	}
	b.pf("Peak resident memory (VmHWM) of the sweep process: engine, SDK clients and Go runtime, as in the Lambda,")
	b.pf("without the emulator:")
	b.pf("")
	b.pf("| sweep | peak RSS | pass B |")
	b.pf("|---|---|---|")
	for _, i := range []int{1, 2, sweepBuckets, sweepMixed} {
		r, rb := a.sweeps[i], bb.sweeps[i]
		b.pf("| %s, N = %d, R = %g | **%s** | %s |", kindLabel(r), r.Spec.N, r.Rate, mb(r.PeakRSS), mb(rb.PeakRSS))
	}
	b.pf("")
}

// renderPackageInit says where corsguard's extra start-up time goes: package initialisation,
// package by package, and what is left to try when the target is missed.
func renderPackageInit(b *w, a, bb pass) {
	hf := median(a.hello, firstResponse)
	ia, ib := medianOf(a.bootInit), medianOf(bb.bootInit)
	ha, hb := medianOf(a.helloInit), medianOf(bb.helloInit)
	b.pf("**Where corsguard's extra start-up time goes.** Go initialises every package before `main` runs;")
	b.pf("`GODEBUG=inittrace=1` on the same binaries (%d starts each, outside the runtime emulator) gives a median of", len(a.bootInit))
	b.pf("**%s** of package initialisation for corsguard against %s for hello-world (pass B: %s against %s), a", ms(ia), ms(ha), ms(ib), ms(hb))
	b.pf("difference of %s, against %s between their first responses above (measured separately, so the two need", ms(ia-ha), ms(median(a.ignored, firstResponse)-hf))
	b.pf("not add up). The packages that take longest (mean per start):")
	b.pf("")
	b.pf("| package | mean init |")
	b.pf("|---|---|")
	type pk struct {
		name string
		d    time.Duration
	}
	var pkgs []pk
	var sdk, creds, schemas, own time.Duration
	var registries []string
	for name, d := range a.bootPkgs {
		d /= time.Duration(len(a.bootInit))
		pkgs = append(pkgs, pk{name, d})
		switch {
		case strings.Contains(name, "aws-sdk-go-v2"):
			sdk += d
		case strings.HasPrefix(name, "github.com/corsguard/"):
			own += d
		}
		if strings.HasSuffix(name, "/schemas") && strings.Contains(name, "aws-sdk-go-v2/service/") {
			schemas += d
			registries = append(registries, fmt.Sprintf("`%s` %s", strings.TrimPrefix(name, "github.com/aws/aws-sdk-go-v2/"), ms(d)))
		}
		for _, svc := range []string{"/service/sts", "/service/sso", "/service/ssooidc", "/service/signin"} {
			if strings.Contains(name, svc+"/") || strings.HasSuffix(name, svc) {
				creds += d
			}
		}
	}
	slices.SortFunc(pkgs, func(x, y pk) int { return cmp.Compare(y.d, x.d) })
	slices.Sort(registries)
	for _, p := range pkgs[:min(8, len(pkgs))] {
		b.pf("| `%s` | %s |", p.name, ms(p.d))
	}
	b.pf("")
	b.pf("All aws-sdk-go-v2 packages together: %s per start; of that, the services' schema registries, which the", ms(sdk))
	b.pf("SDK builds at init for each schema-serialized service's whole API: %s (%s). corsguard's own packages: %s.",
		ms(schemas), strings.Join(registries, ", "), ms(own))
	if creds > 0 {
		b.pf("The STS, SSO, SSO-OIDC and sign-in clients of the SDK's default credential chain: %s.", ms(creds))
	}
	b.pf("")
	initRatio := float64(median(a.ignored, firstResponse)) / float64(hf)
	if initRatio > 1.3 {
		gap := median(a.ignored, firstResponse) - hf
		b.pf("**The cold-start target is missed** by %.0f%%: %.2f against ≤ 1.3, %s more per cold start than hello-world.", 100*(initRatio/1.3-1), initRatio, ms(gap))
		b.pf("Package initialisation accounts for %s of that %s in this run (measured apart, so the two need not add", ms(ia-ha), ms(gap))
		b.pf("up); the rest is not broken down here: `main` building the configuration, clients and engine, and loading")
		b.pf("a larger binary. The function builds its `aws.Config` from Lambda's environment (`awsclient.FromEnvironment`),")
		b.pf("without the SDK's default chain and the clients its credential providers bring. What remains of the SDK's")
		b.pf("part is mostly the schema registries above. Options, none taken: (1) pin `service/ssm` to v1.79.3, the last")
		b.pf("release before schema-based (de)serialization (v1.80.0), trading that client's updates for its init;")
		b.pf("(2) read the baseline through the AWS Parameters and Secrets Lambda extension (a layer answering on")
		b.pf("localhost) instead of the SSM client, a deployment change; (3) ask upstream to build the registries lazily.")
		b.pf("Requests signed by hand are not an option.")
		b.pf("")
	}
}

func renderGrowth(b *w, a, bb pass) {
	b.pf("## 4. How cost grows with N")
	b.pf("")
	b.pf("Same fleet and latency, engine rate and emulator throttle both %d/s per operation.", fastRate)
	b.pf("")
	b.pf("| N | wall | wall ÷ N | wall ÷ bound | MediaStore calls | calls ÷ N | peak RSS | pass B: wall ÷ N, peak RSS |")
	b.pf("|---|---|---|---|---|---|---|---|")
	for i, r := range a.growth {
		rb := bb.growth[i]
		b.pf("| %d | %s | %.1f ms | %.2f | %d | %.2f | %s | %.1f ms, %s |", r.Spec.N, secs(r.Wall()),
			float64(r.Wall())/float64(time.Millisecond)/float64(r.Spec.N), wallRatio(r), r.MediaStoreCalls(),
			float64(r.MediaStoreCalls())/float64(r.Spec.N), mb(r.PeakRSS),
			float64(rb.Wall())/float64(time.Millisecond)/float64(rb.Spec.N), mb(rb.PeakRSS))
	}
	b.pf("")
	first, last := a.growth[0], a.growth[len(a.growth)-1]
	small := a.growth[1]
	b.pf("Calls are linear: %.2f per container at 30%% drift (1 GetCorsPolicy, 0.3 ListTagsForResource, 0.3", float64(last.MediaStoreCalls())/float64(last.Spec.N))
	b.pf("PutCorsPolicy) plus one listing per 100. Time is linear in N at 1/R per container plus a constant of a few")
	b.pf("latencies (baseline read and re-read, listing, the last container's tag read and write), which is why")
	b.pf("wall ÷ N and wall ÷ bound are higher at N = %d. Memory is nearly flat: %s at N = %d, %s at N = %d, %s at", first.Spec.N, mb(first.PeakRSS), first.Spec.N,
		mb(small.PeakRSS), small.Spec.N, mb(last.PeakRSS))
	b.pf("N = %d, about %.1f KB per container beyond %d. That part is what the engine holds until the run returns: the", last.Spec.N,
		float64(last.PeakRSS-small.PeakRSS)/float64(last.Spec.N-small.Spec.N)/1e3, small.Spec.N)
	b.pf("listing and one report entry per container (with the diff of each drifted one), since the report is the")
	b.pf("run's result; the rest is the Go runtime, the SDK clients and their connections.")
	b.pf("")
}
