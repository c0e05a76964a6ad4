package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The agreement's keys are written in three places: the decoder's types
// here, handoff.example.yml (the commented reference) and the README's
// agreement. These tests keep the three in step.

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

// readmeAgreement returns the YAML agreement of the README's
// Configuration section.
func readmeAgreement(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, "## Configuration")
	j := strings.Index(readme[max(i, 0):], "```yaml\n")
	if i < 0 || j < 0 {
		t.Fatal("README: no ```yaml block under ## Configuration")
	}
	block := readme[i+j+len("```yaml\n"):]
	end := strings.Index(block, "```")
	if end < 0 {
		t.Fatal("README: the agreement's ```yaml block does not end")
	}
	return block[:end]
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

// TestReadmeNamesEveryAgreementKey: the README's agreement is a valid
// agreement, and it names every key the agreement takes, in its YAML or in
// a comment beside it (routing's "# or teams: …").
func TestReadmeNamesEveryAgreementKey(t *testing.T) {
	block := readmeAgreement(t)
	if _, err := ParseAgreement([]byte(block)); err != nil {
		t.Fatalf("the README's agreement is not a valid agreement: %v", err)
	}
	leaves, interior := agreementKeys()
	var names []string
	for k := range leaves {
		names = append(names, k[strings.LastIndexAny(k, ".]")+1:])
	}
	for k := range interior {
		k = strings.TrimSuffix(k, "[]")
		names = append(names, k[strings.LastIndexAny(k, ".]")+1:])
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if !regexp.MustCompile(`(^|[\s{,#-])` + name + `:`).MatchString(block) {
			t.Errorf("the README's agreement does not name %s, which the agreement takes", name)
		}
	}
}
