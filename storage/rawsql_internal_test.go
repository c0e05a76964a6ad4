package storage

import (
	"reflect"
	"sync"
	"testing"

	"gorm.io/gorm/schema"
)

// leadColumns and leadRow.fields name every column of leadRow, each with
// its own field: intake's INSERT and SELECT of leads are written by hand.
func TestLeadColumnsMatchRow(t *testing.T) {
	s, err := schema.Parse(&leadRow{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var r leadRow
	fields := r.fields()
	if len(fields) != 1+len(leadColumns) {
		t.Fatalf("%d fields for id and %d columns", len(fields), len(leadColumns))
	}
	base := reflect.ValueOf(&r).Pointer()
	cols := append([]string{"id"}, leadColumns...)
	if len(s.DBNames) != len(cols) {
		t.Errorf("leadRow has %d columns %v, intake names %d", len(s.DBNames), s.DBNames, len(cols))
	}
	for i, col := range cols {
		f := s.LookUpField(col)
		if f == nil {
			t.Errorf("column %q is not in leadRow", col)
			continue
		}
		if got := reflect.ValueOf(fields[i]).Pointer() - base; got != f.StructField.Offset {
			t.Errorf("column %q: fields()[%d] is at offset %d, leadRow.%s at %d", col, i, got, f.Name, f.StructField.Offset)
		}
		if i > 0 {
			_ = deref(fields[i]) // every field's type is one deref knows
		}
	}
}
