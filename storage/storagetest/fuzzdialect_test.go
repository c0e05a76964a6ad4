package storagetest_test

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"maps"
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
// calls (of the package it tests too, for an external test package).
type fuzzTarget struct {
	name  string
	dir   string // its package's folder, from the module's root ("." for the root)
	opens []storeOpen
}

// storeOpen is a call that opens a store, reached from a fuzz target
// through via: the functions, methods and variables (aliases) of the
// target's package, or of the package it tests, named on the way,
// outermost first (none for a call in the target itself).
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
// methods, however deep, for the calls that open a store. A target of an
// external test package (x_test) is followed into the package it tests
// too, test files included: the helpers its export_test.go exports.
func fuzzTargetsIn(fset *token.FileSet, root string) ([]fuzzTarget, error) {
	module, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	var targets []fuzzTarget
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
		importPath := module
		if dir != "." {
			importPath = pathpkg.Join(module, filepath.ToSlash(dir))
		}
		targets = append(targets, dirFuzzTargets(fset, dir, importPath, pkgs)...)
		return nil
	})
	return targets, err
}

// modulePath returns the path go.mod in root declares, "" without one.
func modulePath(root string) (string, error) {
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(mod)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(root, "go.mod"))
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

// dirFuzzTargets returns the fuzz targets of the test files of the
// packages of one folder (dir, imported as importPath), by package clause
// in pkgs. Each package is type-checked with its imports stood in for by
// empty packages (emptyImports), but that an external test package x_test
// imports x, this folder's, checked first with all its files (its test
// files included): so each identifier naming a function, method or
// package-level variable of either is known (go/types' Uses), and what
// cannot be resolved without the imports is left unknown, and not
// followed.
func dirFuzzTargets(fset *token.FileSet, dir, importPath string, pkgs map[string][]*ast.File) []fuzzTarget {
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	w := callWalk{info: info, decls: map[*types.Func]*ast.FuncDecl{}, inits: map[*types.Var]ast.Expr{}}
	checked := map[string]*types.Package{}
	var targets []fuzzTarget
	for _, external := range []bool{false, true} { // x before x_test, which imports it
		for _, name := range slices.Sorted(maps.Keys(pkgs)) {
			if strings.HasSuffix(name, "_test") != external {
				continue
			}
			imports, path := emptyImports{}, cmp.Or(importPath, dir)
			if external {
				path += "_test"
				if tested := checked[strings.TrimSuffix(name, "_test")]; tested != nil && importPath != "" {
					imports[importPath] = tested
				}
			}
			conf := types.Config{Importer: imports, Error: func(error) {}, FakeImportC: true}
			pkg, _ := conf.Check(path, fset, pkgs[name], info) // errors: the imports' names are unknown
			checked[name] = pkg
			w.note(pkgs[name])
			for _, target := range pkgFuzzTargets(fset, pkgs[name]) {
				tw := w
				tw.pkg, tw.seen = pkg, map[types.Object]bool{}
				if obj := info.Defs[target.Name]; obj != nil {
					tw.seen[obj] = true
				}
				targets = append(targets, fuzzTarget{name: target.Name.Name, dir: dir, opens: tw.opens(target.Body, nil)})
			}
		}
	}
	return targets
}

// pkgFuzzTargets returns the fuzz targets of files' test files.
func pkgFuzzTargets(fset *token.FileSet, files []*ast.File) []*ast.FuncDecl {
	var targets []*ast.FuncDecl
	for _, file := range files {
		if !strings.HasSuffix(fset.Position(file.Package).Filename, "_test.go") {
			continue
		}
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Fuzz") {
				targets = append(targets, fn)
			}
		}
	}
	return targets
}

// callWalk follows a fuzz target's calls into the functions of its
// package, and of the package an external test package tests.
type callWalk struct {
	pkg   *types.Package // the target's
	info  *types.Info
	decls map[*types.Func]*ast.FuncDecl // the packages' functions and methods
	inits map[*types.Var]ast.Expr       // the packages' variables' initial values
	seen  map[types.Object]bool         // read already for this target
}

// note records the functions, methods and package-level variables that
// files declare, as the walk may follow them.
func (w callWalk) note(files []*ast.File) {
	for _, file := range files {
		for _, decl := range file.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if obj, ok := w.info.Defs[decl.Name].(*types.Func); ok {
					w.decls[obj] = decl
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for i, name := range vs.Names {
						obj, ok := w.info.Defs[name].(*types.Var)
						switch {
						case !ok:
						case len(vs.Values) == len(vs.Names):
							w.inits[obj] = vs.Values[i]
						case len(vs.Values) == 1: // a, b = f()
							w.inits[obj] = vs.Values[0]
						}
					}
				}
			}
		}
	}
}

// opens returns the calls that open a store in body, and in each function
// or method the walk knows that body names (called, or passed on to be
// called), or in the initial value of each package-level variable it
// names (an alias, var Open = open), each read once for a target; via is
// how body was reached.
func (w callWalk) opens(body ast.Node, via []string) []storeOpen {
	var found []storeOpen
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if isSelector(n.Fun, "storagetest", "") && opens[n.Fun.(*ast.SelectorExpr).Sel.Name] && len(n.Args) >= 2 {
				found = append(found, storeOpen{call: n, via: via})
			}
		case *ast.Ident:
			var next ast.Node
			var obj types.Object
			switch o := w.info.Uses[n].(type) {
			case *types.Func:
				o = o.Origin()
				if decl := w.decls[o]; decl != nil && decl.Body != nil {
					next, obj = decl.Body, o
				}
			case *types.Var:
				if init := w.inits[o.Origin()]; init != nil {
					next, obj = init, o.Origin()
				}
			}
			if next == nil || w.seen[obj] {
				return true
			}
			w.seen[obj] = true
			found = append(found, w.opens(next, append(slices.Clip(via), w.name(obj)))...)
		}
		return true
	})
	return found
}

// name is how a violation names obj, a step of its way: its name, its
// receiver's type first for a method, its package's name first when not
// the target's.
func (w callWalk) name(obj types.Object) string {
	qualifier := func(pkg *types.Package) string {
		if pkg == w.pkg {
			return ""
		}
		return pkg.Name()
	}
	if fn, ok := obj.(*types.Func); ok {
		if recv := fn.Signature().Recv(); recv != nil {
			return "(" + types.TypeString(recv.Type(), qualifier) + ")." + fn.Name()
		}
	}
	if q := qualifier(obj.Pkg()); q != "" {
		return q + "." + obj.Name()
	}
	return obj.Name()
}

// emptyImports stands in for every import with an empty package of the
// path's last element's name, but for the packages it holds, which it
// returns.
type emptyImports map[string]*types.Package

func (imports emptyImports) Import(path string) (*types.Package, error) {
	if pkg, ok := imports[path]; ok {
		return pkg, nil
	}
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
// package it calls (and, from an external test package, those of the
// package it tests, export_test.go's helpers too), takes its dialect from
// storagetest.FuzzDialect, so that HANDOFF_FUZZ_DIALECT=postgres runs the
// same inputs on PostgreSQL.
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
// package of their own (p_test, in a module) and checks what
// TestFuzzTargetsTakeFuzzDialect's walk finds of them: a store opened on a
// dialect of the target's own in the target, in a function or method it
// calls however deep, in the function it fuzzes, or in a helper of the
// package it tests that its export_test.go exports (a wrapper, an alias of
// a function or of a method), and nothing of one that takes FuzzDialect
// through a helper or opens no store.
func TestFuzzTargetsTakeFuzzDialectThroughCalls(t *testing.T) {
	// header is a file's package clause and imports: storage, storagetest
	// and, for p_test with an export_test.go, p.
	header := func(pkg, more string) string {
		return "package " + pkg + "\n\nimport (\n\t\"testing\"\n\n\t\"github.com/handoff/handoff/storage\"\n\t\"github.com/handoff/handoff/storage/storagetest\"\n" +
			more + ")\n\nvar _ = storage.DialectSQLite\n\n"
	}
	tests := []struct {
		name    string
		exports string // p's export_test.go, after its package clause and imports ("": none)
		src     string
		want    []string // FuzzX's violations: how each is reached ("" in the target itself)
	}{
		{"InTheTarget", "", `func FuzzX(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }`, []string{""}},
		{"ThroughAFunction", "", `func FuzzX(f *testing.F) { open(f) }
func open(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }`, []string{" through open"}},
		{"TwoLevelsDown", "", `func FuzzX(f *testing.F) { _ = rig(f) }
func rig(f *testing.F) int { open(f); return 1 }
func open(f *testing.F) { storagetest.OpenWith(f, storage.DialectPostgres, nil) }`, []string{" through rig → open"}},
		{"ThroughAMethod", "", `type env struct{}
func newEnv() *env { return &env{} }
func (e *env) open(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }
func FuzzX(f *testing.F) { e := newEnv(); e.open(f) }`, []string{" through (*env).open"}},
		{"InTheFuzzedFunction", "", `func FuzzX(f *testing.F) { f.Fuzz(fuzzed) }
func fuzzed(t *testing.T, b []byte) { _ = storagetest.URL(t, storage.DialectSQLite) }`, []string{" through fuzzed"}},
		{"GenericHelper", "", `func FuzzX(f *testing.F) { open[int](f) }
func open[T any](f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }`, []string{" through open"}},
		{"Recursive", "", `func FuzzX(f *testing.F) { again(f, 2) }
func again(f *testing.F, n int) { if n > 0 { again(f, n-1) }; storagetest.Open(f, storage.DialectSQLite) }`, []string{" through again"}},
		{"FuzzDialectThroughAFunction", "", `func FuzzX(f *testing.F) { open(f) }
func open(f *testing.F) { storagetest.Open(f, storagetest.FuzzDialect()) }`, nil},
		{"NoStore", "", `func FuzzX(f *testing.F) { helper() }
func helper() {}`, nil},
		{"ThroughAnExportTestWrapper", `func OpenStore(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }`,
			`func FuzzX(f *testing.F) { p.OpenStore(f) }`, []string{" through p.OpenStore"}},
		{"ThroughAnExportTestAlias", `var OpenStore = openStore
func openStore(f *testing.F) { storagetest.OpenWith(f, storage.DialectPostgres, nil) }`,
			`func FuzzX(f *testing.F) { f.Fuzz(func(t *testing.T, b []byte) { p.OpenStore(f) }) }`, []string{" through p.OpenStore → p.openStore"}},
		{"ThroughAnExportTestMethodAlias", `type rig struct{}
func (r *rig) open(f *testing.F) { storagetest.Open(f, storage.DialectSQLite) }
var Open = (*rig).open`,
			`func FuzzX(f *testing.F) { p.Open(nil, f) }`, []string{" through p.Open → (*p.rig).open"}},
		{"FuzzDialectThroughExportTest", `func OpenStore(f *testing.F) { storagetest.Open(f, storagetest.FuzzDialect()) }`,
			`func FuzzX(f *testing.F) { p.OpenStore(f) }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "p")
			files := map[string]string{"go.mod": "module example.com/m\n", "p/x_test.go": header("p_test", "") + tt.src + "\n"}
			if tt.exports != "" {
				files["p/export_test.go"] = header("p", "") + tt.exports + "\n"
				files["p/x_test.go"] = header("p_test", "\t\"example.com/m/p\"\n") + tt.src + "\n"
			}
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, src := range files {
				if err := os.WriteFile(filepath.Join(root, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fset := token.NewFileSet()
			targets, err := fuzzTargetsIn(fset, root)
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
