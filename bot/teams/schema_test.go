package teams

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/handoff/handoff/internal/schematest"
)

// The schemas the cards are checked against, kept in testdata so the test
// runs offline: the published Adaptive Card 1.5 schema
// (adaptivecards.io/schemas/1.5.0/adaptive-card.json; the 1.6 schema does
// not compile as the draft-06 it declares), and the Teams chart elements
// as Microsoft documents them (no published schema covers those).
const (
	cardSchemaFile  = "testdata/schema/adaptive-card-1.5.json"
	chartSchemaFile = "testdata/schema/teams-charts.json"
)

// cardChecker validates rendered cards.
type cardChecker struct {
	t            *testing.T
	card, charts *jsonschema.Schema
}

func newCardChecker(t *testing.T) *cardChecker {
	return &cardChecker{t: t, card: schematest.Compile(t, cardSchemaFile, nil), charts: schematest.Compile(t, chartSchemaFile, nil)}
}

// validate checks one rendered card (JSON): each chart element against the
// chart schema, and the card, with every chart replaced by its fallback
// (what a client without charts shows), against the Adaptive Card schema.
func (c *cardChecker) validate(data []byte) error {
	c.t.Helper()
	var card any
	if err := json.Unmarshal(data, &card); err != nil {
		c.t.Fatal(err)
	}
	clean, err := json.Marshal(c.hostOnly(card))
	if err != nil {
		c.t.Fatal(err)
	}
	return schematest.Validate(c.card, clean)
}

// hostOnly removes what the 1.5 schema does not describe but Teams reads:
// the msteams host extension (width, mention entities) anywhere in the
// card; the people picker's choices.data, a Data.Query that the 1.6 schema
// describes, checked here against that definition instead; and chart
// elements, checked against the chart schema and replaced by their
// fallback.
func (c *cardChecker) hostOnly(v any) any {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "msteams")
		if q, ok := v["choices.data"]; ok {
			checkDataQuery(c.t, q)
			delete(v, "choices.data")
		}
		if typ, _ := v["type"].(string); strings.HasPrefix(typ, "Chart.") {
			c.checkChart(v)
			return c.hostOnly(v["fallback"])
		}
		for k, x := range v {
			v[k] = c.hostOnly(x)
		}
	case []any:
		for i, x := range v {
			v[i] = c.hostOnly(x)
		}
	}
	return v
}

// checkChart validates a chart element; it must have an element as its
// fallback.
func (c *cardChecker) checkChart(chart map[string]any) {
	c.t.Helper()
	raw, err := json.Marshal(chart)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := schematest.Validate(c.charts, raw); err != nil {
		c.t.Errorf("chart %v is not as Teams documents it:\n%v", chart["title"], err)
	}
	if _, ok := chart["fallback"].(map[string]any); !ok {
		c.t.Errorf("chart %v has no fallback element", chart["title"])
	}
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

// TestGoldenCardsMatchSchema validates every golden card (the lead cards,
// forms, notices and reports Teams is sent) against the schemas.
func TestGoldenCardsMatchSchema(t *testing.T) {
	c := newCardChecker(t)
	files, err := filepath.Glob("testdata/*.golden.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cards found: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.validate(data); err != nil {
			t.Errorf("%s is not a valid Adaptive Card 1.5:\n%v", f, err)
		}
	}
}

// TestCardSchemaCatchesMistakes shows the checks can fail.
func TestCardSchemaCatchesMistakes(t *testing.T) {
	c := newCardChecker(t)
	for name, card := range map[string]string{
		"unknown element":    `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Blink","text":"hi"}]}`,
		"bad size":           `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"hi","size":"huge"}]}`,
		"fact without value": `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"FactSet","facts":[{"title":"a"}]}]}`,
		"bad fallback": `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Chart.Line","data":[],
			"fallback":{"type":"TextBlock"}}]}`,
	} {
		if err := c.validate([]byte(card)); err == nil {
			t.Errorf("%s: the schema accepted a broken card", name)
		}
	}
	for name, chart := range map[string]string{
		"series in a bar chart":  `{"type":"Chart.VerticalBar","data":[{"legend":"a","values":[]}]}`,
		"points in a line chart": `{"type":"Chart.Line","data":[{"x":"a","y":1}]}`,
		"value not a number":     `{"type":"Chart.VerticalBar","data":[{"x":"a","y":"many"}]}`,
		"unknown property":       `{"type":"Chart.Line","data":[],"legendPosition":"top"}`,
	} {
		if err := schematest.Validate(c.charts, []byte(chart)); err == nil {
			t.Errorf("%s: the chart schema accepted a broken chart", name)
		}
	}
}
