package storagetest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// opens are the storagetest functions that take a dialect second.
var opens = map[string]bool{"Open": true, "OpenWith": true, "OpenRaw": true, "URL": true}

// fuzzTarget is a fuzz target of the module and the calls in it that open
// a store (storagetest's opens).
type fuzzTarget struct {
	name  string
	dir   string // its package's folder, from the module's root ("." for the root)
	opens []*ast.CallExpr
}

// fuzzTargets parses every test file of the module and returns its fuzz
// targets, with fset for the positions of their calls.
func fuzzTargets(t *testing.T, fset *token.FileSet) []fuzzTarget {
	t.Helper()
	var targets []fuzzTarget
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
		dir, err := filepath.Rel("../..", filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") {
				continue
			}
			target := fuzzTarget{name: fn.Name.Name, dir: dir}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok && isSelector(call.Fun, "storagetest", "") &&
					opens[call.Fun.(*ast.SelectorExpr).Sel.Name] && len(call.Args) >= 2 {
					target.opens = append(target.opens, call)
				}
				return true
			})
			targets = append(targets, target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return targets
}

// TestFuzzTargetsTakeFuzzDialect reads every fuzz target of the module: one
// that opens a store takes its dialect from storagetest.FuzzDialect, so
// that HANDOFF_FUZZ_DIALECT=postgres runs the same inputs on PostgreSQL.
func TestFuzzTargetsTakeFuzzDialect(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	for _, target := range fuzzTargets(t, fset) {
		for _, call := range target.opens {
			checked++
			if dial, ok := call.Args[1].(*ast.CallExpr); !ok || !isSelector(dial.Fun, "storagetest", "FuzzDialect") {
				t.Errorf("%s: %s opens its store on a dialect of its own, not storagetest.FuzzDialect()", fset.Position(call.Pos()), target.name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no fuzz target opens a store: the walk found none")
	}
}

// ciFuzzLine is a line of .ci/run that fuzzes a target: "fuzz" for one
// without a store, "fuzz_store" for one that opens a store, which CI
// fuzzes on SQLite and then on PostgreSQL.
var ciFuzzLine = regexp.MustCompile(`(?m)^(fuzz|fuzz_store) (Fuzz\w+) (\S+)$`)

// TestCIFuzzesEveryTarget reads .ci/run: it fuzzes every fuzz target of
// the module once, in the target's package, and each that opens a store
// with fuzz_store, so that CI fuzzes it on PostgreSQL too.
func TestCIFuzzesEveryTarget(t *testing.T) {
	script, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{} // "FuzzX in dir": the function that fuzzes it
	for _, m := range ciFuzzLine.FindAllStringSubmatch(string(script), -1) {
		key := m[2] + " in " + filepath.Clean(m[3])
		if _, ok := listed[key]; ok {
			t.Errorf(".ci/run fuzzes %s twice", key)
		}
		listed[key] = m[1]
	}
	for _, target := range fuzzTargets(t, token.NewFileSet()) {
		key := target.name + " in " + target.dir
		want := "fuzz"
		if len(target.opens) > 0 {
			want = "fuzz_store"
		}
		got, ok := listed[key]
		delete(listed, key)
		pkg := "./" + target.dir + "/"
		if target.dir == "." {
			pkg = "."
		}
		switch {
		case !ok:
			t.Errorf(".ci/run does not fuzz %s: want a line %q", key, want+" "+target.name+" "+pkg)
		case got != want:
			t.Errorf(".ci/run fuzzes %s with %s, want %s", key, got, want)
		}
	}
	for key := range listed {
		t.Errorf(".ci/run fuzzes %s, which is no fuzz target of that package", key)
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
