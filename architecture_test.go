package handoff_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
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
// storage/ imports GORM or a driver itself.
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
	for _, p := range pkgs {
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
}
