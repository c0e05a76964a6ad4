// Package schematest validates JSON documents against published JSON
// schemas (the Teams app manifest, Adaptive Cards) in tests. Tests only.
package schematest

import (
	"bytes"
	"os"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Compile reads the schema at path and compiles it. Patterns are compiled
// as ECMAScript regular expressions, as JSON Schema specifies (Microsoft's
// schemas use lookaheads, which Go's regexp lacks). When prepare is not nil
// it may change the decoded schema first.
func Compile(t testing.TB, path string, prepare func(doc any)) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if prepare != nil {
		prepare(doc)
	}
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(ecmaScript)
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// Validate checks the JSON document data against s and returns the
// schema's complaints, or nil.
func Validate(s *jsonschema.Schema, data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(doc)
}

// ecmaRegexp is a pattern compiled by regexp2 in ECMAScript mode.
type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }

func ecmaScript(pattern string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(pattern, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return ecmaRegexp{re}, nil
}
