package corsguard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// productDirs are the folders whose exports the Lambda or the CLI links: an export there that
// only tests use is API nobody ships.
var productDirs = []string{"clock", "policy", "profile", "enforce", "workqueue", "probe", "findings", "controller",
	"handler", "router", "internal/wiring", "cmd/corsguard/report"}

// testOnlyExports are the exports that only tests use, each with why it stays exported.
// TestNoExportOnlyTestsUse fails on any other, and on an entry production code uses again. It
// is empty, as issue 22 asks: an export is used by shipped code (the IAM action lists by
// `corsguard iam-policy`, the clock and jitter options by handler.Wire), or it is unexported
// (export_test.go files reach it from a package's own tests) or gone.
var testOnlyExports = map[string]string{}

// exportsOnlyTestsUse returns pkg.Name for every top-level function, variable, constant and type
// of productDirs that no non-test file of the module uses (by name: in its own package, or as
// pkg.Name elsewhere).
func exportsOnlyTestsUse(t *testing.T) []string {
	t.Helper()
	type decl struct{ dir, pkg, name, file string }
	var decls []decl
	files := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin" || d.Name() == "dist" || d.Name() == "tmp") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[p] = string(b)
		if !slices.ContainsFunc(productDirs, func(dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }) {
			return nil
		}
		f, err := parser.ParseFile(fset, p, b, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		add := func(id *ast.Ident) {
			if id.IsExported() {
				decls = append(decls, decl{filepath.Dir(p), f.Name.Name, id.Name, p})
			}
		}
		for _, dd := range f.Decls {
			switch x := dd.(type) {
			case *ast.FuncDecl:
				if x.Recv == nil {
					add(x.Name)
				}
			case *ast.GenDecl:
				for _, s := range x.Specs {
					switch y := s.(type) {
					case *ast.ValueSpec:
						for _, n := range y.Names {
							add(n)
						}
					case *ast.TypeSpec:
						add(y.Name)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range decls {
		bare := regexp.MustCompile(`\b` + d.name + `\b`)
		qualified := regexp.MustCompile(`\b` + d.pkg + `\.` + d.name + `\b`)
		used := false
		for p, c := range files {
			code := withoutComments(c)
			switch {
			case filepath.Dir(p) != d.dir:
				used = qualified.MatchString(code)
			case p == d.file:
				used = len(bare.FindAllString(code, 2)) > 1 // more than its declaration
			default:
				used = bare.MatchString(code)
			}
			if used {
				break
			}
		}
		if !used {
			out = append(out, d.pkg+"."+d.name)
		}
	}
	return out
}

func withoutComments(c string) string {
	var b strings.Builder
	for _, line := range strings.Split(c, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "//") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestNoExportOnlyTestsUse: an export of the shipped packages is used by shipped code, or is
// named in testOnlyExports with its reason.
func TestNoExportOnlyTestsUse(t *testing.T) {
	found := exportsOnlyTestsUse(t)
	for _, name := range found {
		if _, ok := testOnlyExports[name]; !ok {
			t.Errorf("%s is exported but only tests use it: unexport it, delete it, or name it in testOnlyExports with its reason", name)
		}
	}
	for name := range testOnlyExports {
		if !slices.Contains(found, name) {
			t.Errorf("%s is named in testOnlyExports but shipped code uses it (or it is gone): remove it from the list", name)
		}
	}
}

// maxHandlerLines bounds the Lambda adapter's non-test code: payloads in, the controller,
// metrics and the summary out. Deciding what an event names is package router's job.
const maxHandlerLines = 900

func TestTheHandlerStaysAnAdapter(t *testing.T) {
	files, err := filepath.Glob("handler/*.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines += strings.Count(string(b), "\n")
	}
	if lines >= maxHandlerLines {
		t.Errorf("handler has %d non-test lines, at least %d: move what is not adapting payloads where it belongs", lines, maxHandlerLines)
	}
	t.Logf("handler: %d non-test lines", lines)
}
