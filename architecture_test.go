package handoff_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/handoff/handoff"

// database reports whether path is GORM, an SQL driver or the storage
// package: what only storage/ (and cmd/, which wires it) may depend on.
func database(path string) bool {
	return strings.HasPrefix(path, "gorm.io/") || strings.HasPrefix(path, "github.com/mattn/go-sqlite3") ||
		strings.HasPrefix(path, "github.com/jackc/pgx") || path == module+"/storage"
}

// within reports whether path is dir or a package under it.
func within(path, dir string) bool {
	return path == module+"/"+dir || strings.HasPrefix(path, module+"/"+dir+"/")
}

// TestPackageArrows checks the rules of ARCHITECTURE.md with `go list`
// (no test files): the domain imports only the standard library; only
// storage/ and cmd/ depend on GORM, an SQL driver or storage, so bot/...,
// handlers, scheduler, csvimport and the rest link no database; and only
// storage/ imports GORM or a driver itself. It also holds ARCHITECTURE.md's
// diagram to the imports (checkDiagram).
func TestPackageArrows(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to check the package arrows: %v", err)
	}
	cmd := exec.Command(gobin, "list", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	type pkg struct {
		ImportPath    string
		Imports, Deps []string
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	checked := map[string]bool{}
	imports := map[string][]string{}
	for _, p := range pkgs {
		imports[p.ImportPath] = p.Imports
		checked[p.ImportPath] = true
		if p.ImportPath == module {
			for _, d := range p.Deps {
				if first, _, _ := strings.Cut(d, "/"); strings.Contains(first, ".") && d != module {
					t.Errorf("the domain depends on %s; it may import only the standard library", d)
				}
			}
		}
		if !within(p.ImportPath, "storage") && !within(p.ImportPath, "cmd") {
			var bad []string
			for _, d := range p.Deps {
				if database(d) {
					bad = append(bad, d)
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s depends on %s; only storage/ and cmd/ may", p.ImportPath, strings.Join(bad, ", "))
			}
		}
		if !within(p.ImportPath, "storage") {
			for _, d := range p.Imports {
				if database(d) && d != module+"/storage" {
					t.Errorf("%s imports %s; only storage/ may", p.ImportPath, d)
				}
			}
		}
	}
	// The rule must have looked at the packages it is about.
	for _, p := range []string{"", "/bot", "/bot/outbox", "/bot/report", "/bot/slack", "/bot/teams", "/handlers", "/scheduler", "/csvimport", "/storage", "/cmd/handoff"} {
		if !checked[module+p] {
			t.Errorf("go list did not list %s", module+p)
		}
	}

	checkDiagram(t, imports)
}

var (
	nodeRE = regexp.MustCompile(`^\s*(\w+)\[+"?\(*"?([\w/.-]+)|^\s*(\w+)\(\("?([\w/.-]+)`)
	edgeRE = regexp.MustCompile(`^\s*(\w+) --> (.+)$`)
)

// checkDiagram compares the Mermaid diagram of ARCHITECTURE.md with the
// imports: every arrow between two drawn packages is an import, and every
// import between two drawn packages is an arrow (arrows to the domain
// need not be drawn).
func checkDiagram(t *testing.T, imports map[string][]string) {
	t.Helper()
	doc, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	_, diagram, _ := strings.Cut(string(doc), "```mermaid")
	diagram, _, _ = strings.Cut(diagram, "```")
	node := map[string]string{} // id → import path
	var edges [][2]string
	for _, line := range strings.Split(diagram, "\n") {
		if m := edgeRE.FindStringSubmatch(line); m != nil {
			for _, to := range strings.Split(m[2], "&") {
				edges = append(edges, [2]string{m[1], strings.TrimSpace(to)})
			}
			continue
		}
		if m := nodeRE.FindStringSubmatch(line); m != nil {
			id, pkg := m[1]+m[3], m[2]+m[4]
			if pkg == "handoff" {
				node[id] = module
			} else {
				node[id] = module + "/" + pkg
			}
		}
	}
	if len(node) < 10 || len(edges) < 10 {
		t.Fatalf("read %d packages and %d arrows from ARCHITECTURE.md's diagram", len(node), len(edges))
	}
	drawn := map[string]bool{}
	arrows := map[[2]string]bool{}
	for _, p := range node {
		if _, ok := imports[p]; !ok {
			t.Errorf("ARCHITECTURE.md draws %s, which go list does not know", p)
		}
		drawn[p] = true
	}
	for _, e := range edges {
		from, to := node[e[0]], node[e[1]]
		if from == "" || to == "" {
			t.Errorf("ARCHITECTURE.md draws an arrow %s --> %s to or from an undeclared node", e[0], e[1])
			continue
		}
		arrows[[2]string{from, to}] = true
		if !slices.Contains(imports[from], to) {
			t.Errorf("ARCHITECTURE.md draws %s --> %s, but it does not import it", from, to)
		}
	}
	for from := range drawn {
		for _, to := range imports[from] {
			if drawn[to] && to != module && !arrows[[2]string{from, to}] {
				t.Errorf("%s imports %s: ARCHITECTURE.md's diagram lacks that arrow", from, to)
			}
		}
	}
}
