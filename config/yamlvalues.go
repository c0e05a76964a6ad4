package config

import (
	"fmt"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// The agreement file's typed values: each reader takes a yaml.Node and its
// key path, and reports a value of the wrong shape or range with that path
// instead of stopping at the first problem.

// agreementBuilder accumulates errors while reading the decoded file.
type agreementBuilder struct {
	errs []error
}

func (b *agreementBuilder) errorf(path, format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf("config: "+path+": "+format, args...))
}

// scalar returns the value of a scalar node, and false when the key is
// absent or null. A node of another shape is reported.
func (b *agreementBuilder) scalar(path string, n *yaml.Node) (string, bool) {
	if absent(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		b.errorf(path, "line %d: want a single value, got %s", n.Line, kindName(n))
		return "", false
	}
	return n.Value, true
}

// list returns the values of a sequence of scalars, and false when the key
// is absent or null. A node of another shape is reported.
func (b *agreementBuilder) list(path string, n *yaml.Node) ([]string, bool) {
	if absent(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		b.errorf(path, "line %d: want a list such as [a, b], got %s %q", n.Line, kindName(n), n.Value)
		return nil, false
	}
	items := make([]string, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			b.errorf(fmt.Sprintf("%s[%d]", path, i), "line %d: want a single value, got %s", c.Line, kindName(c))
			ok = false
			continue
		}
		items = append(items, c.Value)
	}
	return items, ok
}

// boolean reads true or false; false when absent or invalid (reported).
func (b *agreementBuilder) boolean(path string, n *yaml.Node) bool {
	v, ok := b.scalar(path, n)
	if !ok {
		return false
	}
	r, err := strconv.ParseBool(v)
	if err != nil {
		b.errorf(path, "invalid boolean %q, want true or false", v)
	}
	return r
}

// duration reads a positive Go duration.
func (b *agreementBuilder) duration(path string, n *yaml.Node) (time.Duration, bool) {
	v, ok := b.scalar(path, n)
	if !ok {
		return 0, false
	}
	return b.parseDuration(path, v)
}

func (b *agreementBuilder) parseDuration(path, v string) (time.Duration, bool) {
	d, err := time.ParseDuration(v)
	if err != nil {
		b.errorf(path, "invalid duration %q, want Go syntax such as 90m or 48h", v)
		return 0, false
	}
	if d <= 0 {
		b.errorf(path, "duration %q must be greater than zero", v)
		return 0, false
	}
	return d, true
}

// count reads a non-negative whole number.
func (b *agreementBuilder) count(path string, n *yaml.Node) (int, bool) {
	v, ok := b.scalar(path, n)
	if !ok {
		return 0, false
	}
	x, err := strconv.Atoi(v)
	if err != nil {
		b.errorf(path, "invalid whole number %q", v)
		return 0, false
	}
	if x < 0 {
		b.errorf(path, "must not be negative, got %q", v)
		return 0, false
	}
	return x, true
}

// clock reads "HH:MM" as a duration since midnight; "24:00" only when
// allow24 (for a closing time).
func (b *agreementBuilder) clock(path, v string, allow24 bool) (time.Duration, bool) {
	m := clockRE.FindStringSubmatch(v)
	if m == nil {
		b.errorf(path, "invalid time %q, want HH:MM", v)
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if mi > 59 || h > 24 || (h == 24 && (mi != 0 || !allow24)) {
		b.errorf(path, "invalid time %q, want HH:MM between 00:00 and 23:59 (or 24:00 for end)", v)
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute, true
}

func hhmm(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// loadLocation accepts IANA names only: "" and "Local" would silently depend
// on the host.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}

func absent(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a value"
	}
}
