package storagetest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// opens are the storagetest functions that take a dialect second.
var opens = map[string]bool{"Open": true, "OpenWith": true, "OpenRaw": true, "URL": true}

// TestFuzzTargetsTakeFuzzDialect reads every fuzz target of the module: one
// that opens a store takes its dialect from storagetest.FuzzDialect, so
// that HANDOFF_FUZZ_DIALECT=postgres runs the same inputs on PostgreSQL.
func TestFuzzTargetsTakeFuzzDialect(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "../.." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || !isSelector(call.Fun, "storagetest", "") || !opens[call.Fun.(*ast.SelectorExpr).Sel.Name] || len(call.Args) < 2 {
					return true
				}
				checked++
				if dial, ok := call.Args[1].(*ast.CallExpr); !ok || !isSelector(dial.Fun, "storagetest", "FuzzDialect") {
					t.Errorf("%s: %s opens its store on a dialect of its own, not storagetest.FuzzDialect()", fset.Position(call.Pos()), fn.Name.Name)
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no fuzz target opens a store: the walk found none")
	}
}

// isSelector reports whether e is pkg.name (pkg.anything for name "").
func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == pkg && (name == "" || sel.Sel.Name == name)
}
