package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The agreement's keys are written in the decoder's types here and in
// handoff.example.yml (the commented reference); these tests keep the two
// in step.

// agreementKeys returns the key paths the agreement file takes, as
// "sla.claim_within" or "routing.reps[].hours.timezone": its leaves, and
// (interior) the paths that hold keys of their own. A yaml.Node is a leaf,
// except webhooks, a list of webhookFile records decoded by hand.
func agreementKeys() (leaves, interior map[string]bool) {
	leaves, interior = map[string]bool{}, map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if opts == "inline" {
				walk(f.Type, prefix)
				continue
			}
			path := strings.TrimPrefix(prefix+"."+name, ".")
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case path == "webhooks":
				interior[path+"[]"] = true
				walk(reflect.TypeFor[webhookFile](), path+"[]")
			case ft == reflect.TypeFor[yaml.Node]():
				leaves[path] = true
			case ft.Kind() == reflect.Slice:
				interior[path+"[]"] = true
				walk(ft.Elem(), path+"[]")
			default:
				interior[path] = true
				walk(ft, path)
			}
		}
	}
	walk(reflect.TypeFor[agreementFile](), "")
	return leaves, interior
}

// documentKeys returns the leaf key paths of a YAML document, reading
// into mappings and lists of mappings only where interior says the
// agreement has keys of its own (salesforce.status holds the user's).
func documentKeys(t *testing.T, data []byte, interior map[string]bool) map[string]bool {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, prefix+"[]")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				path := strings.TrimPrefix(prefix+"."+n.Content[i].Value, ".")
				v := n.Content[i+1]
				if interior[path] || interior[path+"[]"] {
					walk(v, path)
				} else {
					keys[path] = true
				}
			}
		}
	}
	walk(&doc, "")
	return keys
}

// uncommentExample returns handoff.example.yml with its commented-out
// sections (scoring, reasons, routing, salesforce, webhooks) taken in: a
// line "# key:" of a top-level key and the indented lines under it.
func uncommentExample(t *testing.T, top map[string]bool) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "handoff.example.yml"))
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile(`^# ([a-z_]+):`)
	var out []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		if m := section.FindStringSubmatch(line); m != nil && top[m[1]] {
			in = true
			out = append(out, strings.TrimPrefix(line, "# "))
			continue
		}
		if rest, ok := strings.CutPrefix(line, "#  "); in && ok {
			out = append(out, " "+rest)
			continue
		}
		in = false
		out = append(out, line)
	}
	return []byte(strings.Join(out, "\n"))
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestExampleNamesEveryAgreementKey: handoff.example.yml, its commented
// sections taken in, is a valid agreement and names every key the
// agreement takes, and no other.
func TestExampleNamesEveryAgreementKey(t *testing.T) {
	leaves, interior := agreementKeys()
	top := map[string]bool{}
	for k := range leaves {
		top[strings.Split(strings.Split(k, ".")[0], "[")[0]] = true
	}
	for k := range interior {
		top[strings.Split(strings.Split(k, ".")[0], "[")[0]] = true
	}
	example := uncommentExample(t, top)
	if _, err := ParseAgreement(example); err != nil {
		t.Fatalf("handoff.example.yml with its commented sections taken in is not a valid agreement: %v\n%s", err, example)
	}
	named := documentKeys(t, example, interior)
	for _, k := range sortedKeys(leaves) {
		if !named[k] {
			t.Errorf("handoff.example.yml does not name %s, which the agreement takes", k)
		}
	}
	for _, k := range sortedKeys(named) {
		if !leaves[k] {
			t.Errorf("handoff.example.yml names %s, which the agreement does not take", k)
		}
	}
}
