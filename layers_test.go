package corsguard_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// layers ranks the repository's packages, by path prefix (the longest that matches wins):
// a package may import only packages of a lower rank, so every import arrow points down, from
// the binaries and tests through the wiring and the Lambda adapter to the engine and the pure
// CORS model.
var layers = []struct {
	prefix string
	rank   int
}{
	{"policy", 0},
	{"events", 0},   // sample events: data only
	{"enforce/", 1}, // the engine's edges, such as corsconv (SDK shapes <-> policy)
	{"enforce", 2},
	{"workqueue", 3},
	{"findings", 3}, // Security Hub findings from the engine's report, for the handler
	{"handler", 4},
	{"internal/wiring/", 5},          // the runtime wiring the Lambda and the CLI share: SDK clients
	{"internal/wiring/config", 6},    // the one table of settings
	{"internal/wiring/awsconfig", 6}, // the CLI's credential chain
	{"internal/testrig/", 5},         // test support: the runtime emulator driver, reference tools, CORS cases
	{"emulator", 5},                  // the AWS emulator, a component of its own (corsguard emulator, demo)
	{"emulator/esm", 6},              // Lambda's event source mapping, played over the emulator's SQS
	{"cmd/corsguard/report", 5},      // the CLI's report formats
	{"bench", 7},
	{"cmd/", 9},
	{"bench/", 9},
	{"deploy", 9},
	{"e2e", 9},
}

const module = "github.com/corsguard/corsguard"

func rank(t *testing.T, pkg string) int {
	t.Helper()
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	best, r := -1, -1
	for _, l := range layers {
		match := strings.HasPrefix(rel, l.prefix) // "enforce/": the packages under enforce
		if !strings.HasSuffix(l.prefix, "/") {
			match = rel == l.prefix || strings.HasPrefix(rel, l.prefix+"/")
		}
		if match && len(l.prefix) > best {
			best, r = len(l.prefix), l.rank
		}
	}
	if r < 0 {
		t.Errorf("package %s has no layer: add it to layers", rel)
	}
	return r
}

func TestEveryImportPointsDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.ImportPath == module {
			continue // this test
		}
		from := rank(t, p.ImportPath)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if to := rank(t, imp); to >= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): arrows must point down", p.ImportPath, from, imp, to)
			}
		}
	}
}
