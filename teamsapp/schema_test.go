package teamsapp

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/handoff/handoff/internal/schematest"
)

// manifestSchema is Microsoft's published schema for the manifest version
// the package uses (developer.microsoft.com/json-schemas/teams/v1.25),
// kept in testdata so the test runs offline.
const manifestSchema = "testdata/teams-manifest-1.25.json"

func TestManifestMatchesPublishedSchema(t *testing.T) {
	schema := schematest.Compile(t, manifestSchema, nil)
	data, err := Manifest("00000000-1111-2222-3333-444444444444", "handoff.acme.dk")
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.Validate(schema, data); err != nil {
		t.Fatalf("manifest.json does not match the v1.25 schema:\n%v", err)
	}

	var m struct {
		ManifestVersion       string   `json:"manifestVersion"`
		Schema                string   `json:"$schema"`
		SupportedChannelTypes []string `json:"supportedChannelTypes"`
		Bots                  []struct {
			CommandLists []struct {
				Scopes   []string         `json:"scopes"`
				Commands []map[string]any `json:"commands"`
			} `json:"commandLists"`
		} `json:"bots"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.ManifestVersion != "1.25" || m.Schema != "https://developer.microsoft.com/en-us/json-schemas/teams/v1.25/MicrosoftTeams.schema.json" {
		t.Errorf("manifest version %q, $schema %q", m.ManifestVersion, m.Schema)
	}
	if !reflect.DeepEqual(m.SupportedChannelTypes, []string{"privateChannels", "sharedChannels"}) {
		t.Errorf("supportedChannelTypes = %v", m.SupportedChannelTypes)
	}
	lists := m.Bots[0].CommandLists
	if len(lists) != 2 || !reflect.DeepEqual(lists[0].Commands, lists[1].Commands) {
		t.Fatalf("want the same commands for team and personal scopes, got %+v", lists)
	}
}

// TestSchemaCatchesMistakes shows the schema check can fail: a manifest
// with an unknown channel type, a missing privacy link or an unknown field
// is refused. (The schema declares draft-04, which has no "const", so the
// manifest version is checked by the test above.)
func TestSchemaCatchesMistakes(t *testing.T) {
	schema := schematest.Compile(t, manifestSchema, nil)
	data, err := Manifest("00000000-1111-2222-3333-444444444444", "handoff.acme.dk")
	if err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func(m map[string]any){
		"channel type":   func(m map[string]any) { m["supportedChannelTypes"] = []any{"secretChannels"} },
		"no privacy url": func(m map[string]any) { delete(m["developer"].(map[string]any), "privacyUrl") },
		"unknown field":  func(m map[string]any) { m["supportsPrivateChannels"] = true },
	} {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		spoil(m)
		spoilt, _ := json.Marshal(m)
		if err := schematest.Validate(schema, spoilt); err == nil {
			t.Errorf("%s: the schema accepted a broken manifest", name)
		}
	}
}
