package testkit

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Record is one record a Records handler kept: its level, its message and
// its attributes' values written out (the err attribute's message among
// them).
type Record struct {
	Level slog.Level
	Msg   string
	Attrs string // "key=value" pairs, space-separated
}

// Records is a slog.Handler that keeps every record, at every level, for
// a test to read back with their levels (Naming); safe for concurrent
// use. Its WithAttrs and WithGroup handlers keep to the same list.
type Records struct {
	kept  *kept
	attrs []slog.Attr
}

type kept struct {
	mu   sync.Mutex
	list []Record
}

// NewRecords returns a Records handler with nothing kept.
func NewRecords() *Records { return &Records{kept: &kept{}} }

// Enabled reports true: every level is kept.
func (r *Records) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps rec.
func (r *Records) Handle(_ context.Context, rec slog.Record) error {
	var attrs []string
	add := func(a slog.Attr) bool {
		attrs = append(attrs, fmt.Sprintf("%s=%v", a.Key, a.Value.Any()))
		return true
	}
	for _, a := range r.attrs {
		add(a)
	}
	rec.Attrs(add)
	r.kept.mu.Lock()
	defer r.kept.mu.Unlock()
	r.kept.list = append(r.kept.list, Record{Level: rec.Level, Msg: rec.Message, Attrs: strings.Join(attrs, " ")})
	return nil
}

// WithAttrs returns a handler adding attrs to each record it keeps.
func (r *Records) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Records{kept: r.kept, attrs: append(slices.Clip(r.attrs), attrs...)}
}

// WithGroup returns r: groups are not told apart.
func (r *Records) WithGroup(string) slog.Handler { return r }

// Naming returns the records kept so far whose message or attributes
// contain s, in the order they were logged.
func (r *Records) Naming(s string) []Record {
	r.kept.mu.Lock()
	defer r.kept.mu.Unlock()
	var out []Record
	for _, rec := range r.kept.list {
		if strings.Contains(rec.Msg, s) || strings.Contains(rec.Attrs, s) {
			out = append(out, rec)
		}
	}
	return out
}
