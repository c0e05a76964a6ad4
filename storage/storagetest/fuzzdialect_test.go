package storagetest_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	pathpkg "path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// opens are the storagetest functions that take a dialect second.
var opens = map[string]bool{"Open": true, "OpenWith": true, "OpenRaw": true, "URL": true}

// fuzzTarget is a fuzz target of the module and the calls that open a
// store (storagetest's opens) in it or in the functions of its package it
// calls.
type fuzzTarget struct {
	name  string
	dir   string // its package's folder, from the module's root ("." for the root)
	opens []storeOpen
}

// storeOpen is a call that opens a store, reached from a fuzz target
// through via: the functions and methods of the target's package called
// on the way, outermost first (none for a call in the target itself).
type storeOpen struct {
	call *ast.CallExpr
	via  []string
}

// fuzzTargets returns the module's fuzz targets, with fset for the
// positions of their calls.
func fuzzTargets(t *testing.T, fset *token.FileSet) []fuzzTarget {
	t.Helper()
	targets, err := fuzzTargetsIn(fset, "../..")
	if err != nil {
		t.Fatal(err)
	}
	return targets
}

// fuzzTargetsIn parses the Go files of every package under root (but
// testdata and hidden folders) and returns the fuzz targets of their test
// files, following the calls of each into its package's functions and
// methods, however deep, for the calls that open a store.
func fuzzTargetsIn(fset *token.FileSet, root string) ([]fuzzTarget, error) {
	var targets []fuzzTarget
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		dir, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		pkgs, err := parsePackages(fset, path)
		if err != nil {
			return err
		}
		for _, files := range pkgs {
			targets = append(targets, packageFuzzTargets(fset, dir, files)...)
		}
		return nil
	})
	return targets, err
}

// parsePackages parses the Go files in dir, by package clause (a test
// package x_test apart from x).
func parsePackages(fset *token.FileSet, dir string) (map[string][]*ast.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	pkgs := map[string][]*ast.File{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			return nil, err
		}
		pkgs[file.Name.Name] = append(pkgs[file.Name.Name], file)
	}
	return pkgs, nil
}

// packageFuzzTargets returns the fuzz targets of one package's test files
// (in dir). The package is type-checked alone, its imports stood in for
// by empty packages, so that each identifier naming one of its own
// functions or methods is known (go/types' Uses); what cannot be resolved
// without the imports is left unknown, and not followed.
func packageFuzzTargets(fset *token.FileSet, dir string, files []*ast.File) []fuzzTarget {
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: emptyImports{}, Error: func(error) {}, FakeImportC: true}
	pkg, _ := conf.Check(dir, fset, files, info) // errors: the imports' names are unknown
	decls := map[*types.Func]*ast.FuncDecl{}
	for _, file := range files {
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok {
				if obj, ok := info.Defs[fn.Name].(*types.Func); ok {
					decls[obj] = fn
				}
			}
		}
	}
	var targets []fuzzTarget
	for _, file := range files {
		if !strings.HasSuffix(fset.Position(file.Package).Filename, "_test.go") {
			continue
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") {
				continue
			}
			w := callWalk{pkg: pkg, info: info, decls: decls, seen: map[*types.Func]bool{}}
			if obj, ok := info.Defs[fn.Name].(*types.Func); ok {
				w.seen[obj] = true
			}
			targets = append(targets, fuzzTarget{name: fn.Name.Name, dir: dir, opens: w.opens(fn.Body, nil)})
		}
	}
	return targets
}

// callWalk follows a fuzz target's calls into its package's functions.
type callWalk struct {
	pkg   *types.Package
	info  *types.Info
	decls map[*types.Func]*ast.FuncDecl // the package's functions and methods
	seen  map[*types.Func]bool          // read already for this target
}

// opens returns the calls that open a store in body, and in each function
// or method of the package body names (called, or passed on to be
// called), read once for a target; via is how body was reached.
func (w callWalk) opens(body ast.Node, via []string) []storeOpen {
	var found []storeOpen
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if isSelector(n.Fun, "storagetest", "") && opens[n.Fun.(*ast.SelectorExpr).Sel.Name] && len(n.Args) >= 2 {
				found = append(found, storeOpen{call: n, via: via})
			}
		case *ast.Ident:
			fn, ok := w.info.Uses[n].(*types.Func)
			if !ok {
				return true
			}
			fn = fn.Origin()
			decl := w.decls[fn]
			if decl == nil || decl.Body == nil || w.seen[fn] {
				return true
			}
			w.seen[fn] = true
			name := fn.Name()
			if recv := fn.Signature().Recv(); recv != nil {
				name = "(" + types.TypeString(recv.Type(), types.RelativeTo(w.pkg)) + ")." + name
			}
			found = append(found, w.opens(decl.Body, append(slices.Clip(via), name))...)
		}
		return true
	})
	return found
}

// emptyImports stands in for every import with an empty package of the
// path's last element's name.
type emptyImports struct{}

func (emptyImports) Import(path string) (*types.Package, error) {
	pkg := types.NewPackage(path, pathpkg.Base(path))
	pkg.MarkComplete()
	return pkg, nil
}

// dialectViolations returns, for each call of targets that opens a store
// on a dialect other than storagetest.FuzzDialect(), where it is and how
// the target reaches it.
func dialectViolations(fset *token.FileSet, targets []fuzzTarget) []string {
	var bad []string
	for _, target := range targets {
		for _, open := range target.opens {
			if dial, ok := open.call.Args[1].(*ast.CallExpr); ok && isSelector(dial.Fun, "storagetest", "FuzzDialect") {
				continue
			}
			through := ""
			if len(open.via) > 0 {
				through = " through " + strings.Join(open.via, " → ")
			}
			bad = append(bad, fmt.Sprintf("%s: %s opens its store%s on a dialect of its own, not storagetest.FuzzDialect()",
				fset.Position(open.call.Pos()), target.name, through))
		}
	}
	return bad
}

// TestFuzzTargetsTakeFuzzDialect reads every fuzz target of the module: one
// that opens a store, itself or through the functions and methods of its
// package it calls, takes its dialect from storagetest.FuzzDialect, so
// that HANDOFF_FUZZ_DIALECT=postgres runs the same inputs on PostgreSQL.
func TestFuzzTargetsTakeFuzzDialect(t *testing.T) {
	fset := token.NewFileSet()
	targets := fuzzTargets(t, fset)
	checked := 0
	for _, target := range targets {
		checked += len(target.opens)
	}
	if checked == 0 {
		t.Fatal("no fuzz target opens a store: the walk found none")
	}
	for _, bad := range dialectViolations(fset, targets) {
		t.Error(bad)
	}
}

// TestFuzzTargetsTakeFuzzDialectThroughCalls plants fuzz targets in a
// package of their own and checks what TestFuzzTargetsTakeFuzzDialect's
// walk finds of them: a store opened on a dialect of the target's own in
// the target, in a function or method it calls however deep, or in the
// function it fuzzes, and nothing of one that takes FuzzDialect through a
// helper or opens no store.
func TestFuzzTargetsTakeFuzzDialectThroughCalls(t *testing.T) {
	const header = "package p_test\n\nimport (\n\t\"testing\"\n\n\t\"github.com/handoff/handoff/storage\"\n\t\"github.com/handoff/handoff/storage/storagetest\"\n)\n\nvar _ = storage.DialectSQLite\n\n"
	tests := []struct {
		name string
		src  string
		want []string // FuzzX's violations: how each is reached ("" in the target itself)
	}{
		{"InTheTarget", `func FuzzX(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }`, []string{""}},
		{"ThroughAFunction", `func FuzzX(f *testing.F) { open(f) }
func open(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }`, []string{" through open"}},
		{"TwoLevelsDown", `func FuzzX(f *testing.F) { _ = rig(f) }
func rig(f *testing.F) int { open(f); return 1 }
func open(f *testing.F) { storagetest.OpenWith(f, storage.DialectPostgres, nil) }`, []string{" through rig → open"}},
		{"ThroughAMethod", `type env struct{}
func newEnv() *env { return &env{} }
func (e *env) open(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }
func FuzzX(f *testing.F) { e := newEnv(); e.open(f) }`, []string{" through (*env).open"}},
		{"InTheFuzzedFunction", `func FuzzX(f *testing.F) { f.Fuzz(fuzzed) }
func fuzzed(t *testing.T, b []byte) { _ = storagetest.URL(t, storage.DialectSQLite) }`, []string{" through fuzzed"}},
		{"GenericHelper", `func FuzzX(f *testing.F) { open[int](f) }
func open[T any](f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }`, []string{" through open"}},
		{"Recursive", `func FuzzX(f *testing.F) { again(f, 2) }
func again(f *testing.F, n int) { if n > 0 { again(f, n-1) }; storagetest.Open(f, storage.DialectSQLite) }`, []string{" through again"}},
		{"FuzzDialectThroughAFunction", `func FuzzX(f *testing.F) { open(f) }
func open(f *testing.F) { storagetest.Open(f, storagetest.FuzzDialect()) }`, nil},
		{"NoStore", `func FuzzX(f *testing.F) { helper() }
func helper() {}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "p")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte(header+tt.src+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			targets, err := fuzzTargetsIn(fset, filepath.Dir(dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(targets) != 1 || targets[0].name != "FuzzX" || targets[0].dir != "p" {
				t.Fatalf("found the targets %+v, want FuzzX in p", targets)
			}
			var want []string
			for _, how := range tt.want {
				want = append(want, "FuzzX opens its store"+how+" on a dialect of its own")
			}
			var got []string
			for _, bad := range dialectViolations(fset, targets) {
				_, found, _ := strings.Cut(bad, ": ")
				found, _, _ = strings.Cut(found, ", not storagetest")
				got = append(got, found)
			}
			if !slices.Equal(got, want) {
				t.Errorf("found %q, want %q", got, want)
			}
		})
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

// pgFuzzPass is .ci/run's line that fuzzes a target on PostgreSQL: its
// default count of inputs (PG_FUZZTIME) and its own fuzz cache.
var pgFuzzPass = regexp.MustCompile(`FUZZTIME="\$\{PG_FUZZTIME:-(\d+)x\}" FUZZCACHEDIR="\$pg_cache/[^"]*" fuzz \$target`)

// TestCIFuzzesPostgresByCount reads .ci/run: its PostgreSQL pass runs each
// target for a count of inputs, not a time, which a loaded machine could
// spend replaying inputs alone, and from a fuzz cache of its own, so that
// what it replays is the committed corpus only (4-19 inputs a target), far
// fewer than the count.
func TestCIFuzzesPostgresByCount(t *testing.T) {
	script, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	m := pgFuzzPass.FindSubmatch(script)
	if m == nil {
		t.Fatalf(".ci/run has no line matching %s", pgFuzzPass)
	}
	if n, err := strconv.Atoi(string(m[1])); err != nil || n < 200 {
		t.Errorf(".ci/run fuzzes each target %sx on PostgreSQL, want at least 200x", m[1])
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
