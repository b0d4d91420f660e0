package corsguard_test

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// dupTokens is the pinned duplicate-code threshold (issue 22): no run of this many tokens or more
// of non-test code stands twice, unless both copies are SDK interface shapes (the few calls each
// store makes, declared as STYLE.md asks: a method list per service reads alike by nature).
// `make dupl` runs this test alone; the tool is mibk/dupl at the version the Makefile pins.
const dupTokens = 100

var plumbing = regexp.MustCompile(`^(.+?):(\d+)-(\d+): duplicate of (.+?):(\d+)-(\d+)$`)

func TestNoDuplicatedLogic(t *testing.T) {
	bin, err := filepath.Abs(filepath.Join("bin", "dupl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: `make tools` installs the pinned dupl", bin)
	}
	ls, err := exec.Command("git", "ls-files", "*.go").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Fields(string(ls)) {
		if !strings.HasSuffix(f, "_test.go") {
			files = append(files, f)
		}
	}
	out, err := exec.Command(bin, append([]string{"-plumbing", "-t", strconv.Itoa(dupTokens)}, files...)...).Output()
	if err != nil {
		t.Fatalf("dupl: %v", err)
	}
	interfaces := map[string][][2]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := plumbing.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		a, b := span(t, interfaces, m[1], m[2], m[3]), span(t, interfaces, m[4], m[5], m[6])
		if !(a && b) {
			t.Errorf("duplicated code (%d tokens or more): %s", dupTokens, sc.Text())
		}
	}
}

// span reports whether lines from-to of file lie inside one interface type declaration.
func span(t *testing.T, cache map[string][][2]int, file, from, to string) bool {
	t.Helper()
	ranges, ok := cache[file]
	if !ok {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if it, ok := n.(*ast.InterfaceType); ok {
				ranges = append(ranges, [2]int{fset.Position(it.Pos()).Line, fset.Position(it.End()).Line})
			}
			return true
		})
		cache[file] = ranges
	}
	lo, _ := strconv.Atoi(from)
	hi, _ := strconv.Atoi(to)
	for _, r := range ranges {
		if r[0] <= lo && hi <= r[1] {
			return true
		}
	}
	return false
}
