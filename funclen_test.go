package corsguard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxFuncLines is the longest a non-test function may be, braces included.
const maxFuncLines = 80

// longFuncs are the named exceptions to maxFuncLines, at most three, each with its reason (the
// function's doc comment says it too). A function listed here that shrinks below the limit
// fails the test, so the list stays true.
var longFuncs = map[string]string{
	"cmd/corsguard/demo.go:demoSteps": "the demo's script: a table of steps, read top to bottom as the story it prints",
}

// longFunction is one function over maxFuncLines.
type longFunction struct {
	name  string // path/to/file.go:Func or :Type.Method
	lines int
}

// longFunctions returns every non-test function of the module over maxFuncLines lines.
func longFunctions(t *testing.T) []longFunction {
	t.Helper()
	var out []longFunction
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin" || d.Name() == "dist" || d.Name() == "tmp") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n <= maxFuncLines {
				continue
			}
			name := fn.Name.Name
			if fn.Recv != nil && len(fn.Recv.List) > 0 {
				name = receiver(fn.Recv.List[0].Type) + "." + name
			}
			out = append(out, longFunction{filepath.ToSlash(path) + ":" + name, n})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func receiver(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return receiver(x.X)
	case *ast.IndexExpr:
		return receiver(x.X)
	case *ast.IndexListExpr:
		return receiver(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// TestFunctionsAreShort: every non-test function is at most maxFuncLines lines long, but the
// named exceptions of longFuncs, at most three.
func TestFunctionsAreShort(t *testing.T) {
	if len(longFuncs) > 3 {
		t.Errorf("%d named exceptions to the %d-line limit; at most 3", len(longFuncs), maxFuncLines)
	}
	var seen []string
	for _, f := range longFunctions(t) {
		seen = append(seen, f.name)
		if _, ok := longFuncs[f.name]; !ok {
			t.Errorf("%s is %d lines long, over %d: split it, or name it in longFuncs with its reason", f.name, f.lines, maxFuncLines)
		}
	}
	for name := range longFuncs {
		if !slices.Contains(seen, name) {
			t.Errorf("%s is named in longFuncs but is not over %d lines (or no longer exists): remove it", name, maxFuncLines)
		}
	}
}
