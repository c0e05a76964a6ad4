package outbox_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot/outbox"
)

// TestMethodsNameEveryCall reads the package's source: every method the
// dispatcher's calls name (call's op, or sendOnce's, which passes it on) is
// in Methods, which the metrics export at 0 from the start.
func TestMethodsNameEveryCall(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	consts := map[string]string{} // the package's string constants
	for _, f := range files {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, v := range vs.Values {
						if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[vs.Names[i].Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	calls := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			arg := map[string]int{"call": 2, "sendOnce": 3}[sel.Sel.Name]
			if arg == 0 || len(c.Args) <= arg {
				return true
			}
			calls++
			var method string
			switch a := c.Args[arg].(type) {
			case *ast.BasicLit:
				method, _ = strconv.Unquote(a.Value)
			case *ast.Ident:
				if a.Name == "op" {
					return true // sendOnce's parameter, checked at its callers
				}
				method = consts[a.Name]
			}
			if !slices.Contains(outbox.Methods, method) {
				t.Errorf("%s: %s names method %q (%s), not in outbox.Methods", fset.Position(c.Pos()), sel.Sel.Name, method, exprText(c.Args[arg]))
			}
			return true
		})
	}
	if calls == 0 {
		t.Fatal("found no call to a platform")
	}
}

// exprText is e as a failure message shows it.
func exprText(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Value
	case *ast.Ident:
		return e.Name
	}
	return "an expression"
}
