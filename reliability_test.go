package corsguard_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// citedTest is a test or fuzz function's name as docs/RELIABILITY.md cites it: in backquotes.
var citedTest = regexp.MustCompile("`((?:Test|Fuzz)[A-Z0-9][A-Za-z0-9_]*)`")

// TestTheFailureMatrixCitesOnlyTestsThatExist holds docs/RELIABILITY.md to the tree: every
// test it names is a test or fuzz function of some _test.go file, so a renamed or deleted test
// cannot leave a promise behind with nothing checking it.
func TestTheFailureMatrixCitesOnlyTestsThatExist(t *testing.T) {
	doc, err := os.ReadFile("docs/RELIABILITY.md")
	if err != nil {
		t.Fatal(err)
	}
	defined := definedTests(t, ".")
	cited := citedTest.FindAllSubmatch(doc, -1)
	if len(cited) < 50 {
		t.Fatalf("docs/RELIABILITY.md cites %d tests; the matrix has lost its tables?", len(cited))
	}
	seen := map[string]bool{}
	for _, m := range cited {
		name := string(m[1])
		if seen[name] {
			continue
		}
		seen[name] = true
		if !defined[name] {
			t.Errorf("docs/RELIABILITY.md cites %s, which no _test.go file defines", name)
		}
	}
}

// definedTests returns the names of the test and fuzz functions of every _test.go file under
// root, skipping hidden directories, bin and dist.
func definedTests(t *testing.T, root string) map[string]bool {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]*)\(`)
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "dist" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			names[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 100 {
		t.Fatalf("found %d test functions under %s; expected the whole tree", len(names), root)
	}
	return names
}

// TestTheCheckFindsAMissingTest proves the check above can fail: a name that no file defines is
// reported, a name that one does is not.
func TestTheCheckFindsAMissingTest(t *testing.T) {
	defined := definedTests(t, ".")
	if !defined["TestTheFailureMatrixCitesOnlyTestsThatExist"] {
		t.Error("the check does not see its own test")
	}
	doc := []byte("| x | y | `TestNoSuchTestAnywhere`, `TestEveryImportPointsDown` |")
	var missing []string
	for _, m := range citedTest.FindAllSubmatch(doc, -1) {
		if !defined[string(m[1])] {
			missing = append(missing, string(m[1]))
		}
	}
	if len(missing) != 1 || missing[0] != "TestNoSuchTestAnywhere" {
		t.Errorf("missing %v, want only TestNoSuchTestAnywhere", missing)
	}
}
