package teams

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/handoff/handoff/internal/schematest"
)

// cardSchemaFile is the published Adaptive Card 1.5 schema
// (adaptivecards.io/schemas/1.5.0/adaptive-card.json), kept in testdata so
// the test runs offline. (The 1.6 schema does not compile as the draft-06
// it declares.)
const cardSchemaFile = "testdata/schema/adaptive-card-1.5.json"

// hostOnly removes what the 1.5 schema does not describe but Teams reads:
// the msteams host extension (width, mention entities) anywhere in the
// card, and the people picker's choices.data, a Data.Query that the 1.6
// schema describes; each of those is checked here against that
// definition instead (type Data.Query, a dataset, nothing else).
func hostOnly(t *testing.T, v any) any {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "msteams")
		if q, ok := v["choices.data"]; ok {
			checkDataQuery(t, q)
			delete(v, "choices.data")
		}
		for k, x := range v {
			v[k] = hostOnly(t, x)
		}
	case []any:
		for i, x := range v {
			v[i] = hostOnly(t, x)
		}
	}
	return v
}

// checkDataQuery checks q against Data.Query of the 1.6 schema: type
// Data.Query, a string dataset, optional numeric count and skip.
func checkDataQuery(t *testing.T, q any) {
	t.Helper()
	m, ok := q.(map[string]any)
	if !ok || m["type"] != "Data.Query" {
		t.Errorf("choices.data is not a Data.Query: %v", q)
		return
	}
	if ds, ok := m["dataset"].(string); !ok || ds == "" {
		t.Errorf("Data.Query without a dataset: %v", q)
	}
	for k, v := range m {
		switch k {
		case "type", "dataset":
		case "count", "skip":
			if _, ok := v.(float64); !ok {
				t.Errorf("Data.Query %s is not a number: %v", k, v)
			}
		default:
			t.Errorf("Data.Query has an unknown property %q", k)
		}
	}
}

// validateCard checks one rendered card (JSON) against the 1.5 schema.
func validateCard(t *testing.T, schema *jsonschema.Schema, name string, data []byte) error {
	t.Helper()
	var card any
	if err := json.Unmarshal(data, &card); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	clean, err := json.Marshal(hostOnly(t, card))
	if err != nil {
		t.Fatal(err)
	}
	return schematest.Validate(schema, clean)
}

// TestGoldenCardsMatchSchema validates every golden card (the lead cards,
// forms, notices and reports Teams is sent) against the schema.
func TestGoldenCardsMatchSchema(t *testing.T) {
	schema := schematest.Compile(t, cardSchemaFile, nil)
	files, err := filepath.Glob("testdata/*.golden.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cards found: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateCard(t, schema, f, data); err != nil {
			t.Errorf("%s is not a valid Adaptive Card 1.5:\n%v", f, err)
		}
	}
}

// TestCardSchemaCatchesMistakes shows the check can fail.
func TestCardSchemaCatchesMistakes(t *testing.T) {
	schema := schematest.Compile(t, cardSchemaFile, nil)
	for name, card := range map[string]string{
		"unknown element":    `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Blink","text":"hi"}]}`,
		"bad size":           `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"hi","size":"huge"}]}`,
		"fact without value": `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"FactSet","facts":[{"title":"a"}]}]}`,
	} {
		if err := validateCard(t, schema, name, []byte(card)); err == nil {
			t.Errorf("%s: the schema accepted a broken card", name)
		}
	}
}
