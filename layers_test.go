package corsguard_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// role says what a package is for, which decides who may import it besides the rank rule.
type role int

const (
	product role = iota // linked into the Lambda or the CLI
	rig                 // the test and demo rig: only tests, the CLI's emulator and demo, and the bench
	harness             // binaries, the benchmark, deploy checks and end-to-end tests: imported by nobody but their own commands
)

// layers ranks the repository's packages, by path prefix (the longest that matches wins; a prefix
// ending in "/" matches only the packages below it): a package may import only packages of a lower
// rank, so every import arrow points down, from the binaries and tests through the wiring and the
// Lambda adapter to the engine and the pure CORS model. A new package fails TestEveryPackageHasALayer
// until it is ranked here.
var layers = []struct {
	prefix string
	rank   int
	role   role
}{
	{"policy", 0, product},
	{"events", 0, product},   // sample events: data only
	{"clock", 0, product},    // the one seam for time: Clock, the wall clock, Sleep, the manual clock
	{"sqsbatch", 0, product}, // SendMessageBatch with the refused entries sent again: the work queue and the findings queue share it
	{"profile", 1, product},  // which baseline a resource gets (exemption, tag, pattern, default): pure
	{"enforce/", 1, product}, // the engine's edges, such as corsconv (SDK shapes <-> policy)
	{"enforce", 2, product},
	{"workqueue", 3, product},
	{"probe", 3, product},      // the behavioural probe: a browser's requests, judged as the Fetch standard judges them
	{"findings", 3, product},   // Security Hub findings from the engine's report, for the handler
	{"controller", 4, product}, // the decisions of every path: plan per kind, mode, per-message verdicts, deadlines
	{"router", 4, product},     // which resources an event or a direct invocation names, in which mode, and why
	{"handler", 5, product},
	{"internal/wiring/", 4, product},          // the runtime wiring the Lambda and the CLI share: SDK clients, the one table of settings (handler.Wire uses both)
	{"internal/wiring/awsconfig", 6, product}, // the CLI's credential chain
	{"internal/wiring/iampolicy", 6, product}, // the function's least-privilege IAM policy, from the settings table and the action lists
	{"cmd/corsguard/report", 5, product},      // the CLI's report formats
	{"internal/testrig/", 5, rig},             // test support: the runtime emulator driver, reference tools, CORS cases
	{"internal/testrig/cdnchain", 6, rig},     // delivery chains built in the emulator (S3 + CloudFront) with their browser outcomes
	{"emulator", 5, rig},                      // the AWS emulator, a component of its own (corsguard emulator, demo)
	{"emulator/esm", 6, rig},                  // Lambda's event source mapping, played over the emulator's SQS
	{"bench", 7, harness},
	{"bench/", 9, harness},
	{"cmd/", 9, product},
	{"deploy", 9, harness},
	{"deploy/", 8, harness}, // the template's evaluator and event patterns, for deploy's tests
	{"e2e", 9, harness},
}

// rigUsers may link the rig into a binary: the CLI serves `corsguard emulator` and `corsguard demo`.
var rigUsers = []string{"cmd/corsguard", "bench"}

const module = "github.com/corsguard/corsguard"

type layer struct {
	rank int
	role role
}

func layerOf(pkg string) (layer, bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	best, l := -1, layer{}
	for _, c := range layers {
		match := strings.HasPrefix(rel, c.prefix) // "enforce/": the packages under enforce
		if !strings.HasSuffix(c.prefix, "/") {
			match = rel == c.prefix || strings.HasPrefix(rel, c.prefix+"/")
		}
		if match && len(c.prefix) > best {
			best, l = len(c.prefix), layer{c.rank, c.role}
		}
	}
	return l, best >= 0
}

type goPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func packages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs
		} else if err != nil {
			t.Fatal(err)
		}
		if p.ImportPath != module { // this test
			pkgs = append(pkgs, p)
		}
	}
}

func own(imports []string) []string {
	var mine []string
	for _, imp := range imports {
		if strings.HasPrefix(imp, module+"/") {
			mine = append(mine, imp)
		}
	}
	return mine
}

func rel(pkg string) string { return strings.TrimPrefix(pkg, module+"/") }

func TestEveryPackageHasALayer(t *testing.T) {
	for _, p := range packages(t) {
		if _, ok := layerOf(p.ImportPath); !ok {
			t.Errorf("package %s has no layer: add it to layers in layers_test.go", rel(p.ImportPath))
		}
	}
}

// TestEveryImportPointsDown: a package's own files import only lower ranks; the rig is linked only by
// the commands that serve it; a harness is imported by nobody else.
func TestEveryImportPointsDown(t *testing.T) {
	for _, p := range packages(t) {
		from, _ := layerOf(p.ImportPath)
		for _, imp := range own(p.Imports) {
			to, _ := layerOf(imp)
			switch {
			case to.rank >= from.rank:
				t.Errorf("%s (layer %d) imports %s (layer %d): arrows must point down", rel(p.ImportPath), from.rank, rel(imp), to.rank)
			case to.role == rig && from.role == product && !within(p.ImportPath, rigUsers):
				t.Errorf("%s links the test and demo rig (%s): only %v may", rel(p.ImportPath), rel(imp), rigUsers)
			case to.role == harness && !sameTree(p.ImportPath, imp):
				t.Errorf("%s imports the harness %s", rel(p.ImportPath), rel(imp))
			}
		}
	}
}

// TestTestsImportDownOrTheRig: a package's tests may also use the rig and the wiring (which builds
// the real SDK clients for the emulator), but never a binary, the benchmark or a higher product layer.
func TestTestsImportDownOrTheRig(t *testing.T) {
	for _, p := range packages(t) {
		from, _ := layerOf(p.ImportPath)
		for _, imp := range own(append(p.TestImports, p.XTestImports...)) {
			if imp == p.ImportPath {
				continue // an external test of its own package
			}
			to, _ := layerOf(imp)
			usable := to.rank < from.rank || to.role == rig || strings.HasPrefix(rel(imp), "internal/wiring/")
			if to.role == harness && !sameTree(p.ImportPath, imp) {
				usable = false
			}
			if !usable {
				t.Errorf("tests of %s (layer %d) import %s (layer %d)", rel(p.ImportPath), from.rank, rel(imp), to.rank)
			}
		}
	}
}

// TestLambdaLinksNoTestSupport: the function's binary links neither the rig, the benchmark nor the
// testing package.
func TestLambdaLinksNoTestSupport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/enforcer").Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/enforcer: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		l, mine := layerOf(dep)
		if dep == "testing" || (strings.HasPrefix(dep, module+"/") && mine && l.role != product) {
			t.Errorf("cmd/enforcer links %s", dep)
		}
	}
}

func within(pkg string, prefixes []string) bool {
	r := rel(pkg)
	for _, p := range prefixes {
		if r == p || strings.HasPrefix(r, p+"/") {
			return true
		}
	}
	return false
}

// sameTree: both packages live under one top-level folder (bench and bench/cmd/report).
func sameTree(a, b string) bool {
	top := func(p string) string { return strings.SplitN(rel(p), "/", 2)[0] }
	return top(a) == top(b)
}
