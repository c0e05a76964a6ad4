package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff/handlers"
)

// unroutedCall is a request that no route serves, the response of
// openapi.json's components.responses that describes its answer, and the
// Allow header that answer must carry (the methods a 405's path takes).
type unroutedCall struct {
	method, path, response string
	allow                  []string
}

// unroutedCalls asks every path of openapi.json with a method that none of
// its operations has (PATCH), which must be a 405 allowing exactly the
// documented methods (and HEAD with GET), and paths that no operation has.
func unroutedCalls(t *testing.T) []unroutedCall {
	t.Helper()
	allowed := map[string][]string{}
	for _, op := range openAPIOperations(t) {
		if op.method+" "+op.path == "POST /api/messages" {
			continue // served with Teams on, which the server of the test is not
		}
		allowed[op.path] = append(allowed[op.path], op.method)
		if op.method == "GET" {
			allowed[op.path] = append(allowed[op.path], "HEAD")
		}
	}
	var calls []unroutedCall
	for _, path := range slices.Sorted(maps.Keys(allowed)) {
		calls = append(calls, unroutedCall{"PATCH", path, "MethodNotAllowed", slices.Sorted(slices.Values(allowed[path]))})
	}
	for _, path := range []string{"/api/nope", "/api/leads/oa-none/nope", "/api/funnel/", "/api/leads/", "/nope"} {
		calls = append(calls, unroutedCall{"GET", path, "NotFound", nil})
	}
	return calls
}

// checkUnrouted sends c and checks that the answer is the JSON error that
// openapi.json's components.responses[c.response] describes.
func checkUnrouted(t *testing.T, srv *server, c unroutedCall) {
	t.Helper()
	var doc struct {
		Components struct {
			Responses map[string]struct {
				Headers map[string]json.RawMessage `json:"headers"`
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(handlers.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	described, ok := doc.Components.Responses[c.response]
	if !ok || described.Content["application/json"].Schema.Ref != "#/components/schemas/Error" {
		t.Fatalf("openapi.json: components.responses.%s is not the JSON Error", c.response)
	}
	if _, ok := described.Headers["Allow"]; ok != (c.allow != nil) {
		t.Errorf("openapi.json: components.responses.%s documents Allow: %v, want %v", c.response, ok, c.allow != nil)
	}
	req, _ := http.NewRequest(c.method, srv.base+c.path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := map[string]int{"NotFound": 404, "MethodNotAllowed": 405}[c.response]
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q, want application/json: %s", ct, raw)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("answer is not JSON: %q", raw)
	}
	if msg, _ := body["error"].(string); msg == "" || len(body) != 1 {
		t.Errorf("answer %s, want the Error schema's {\"error\": …}", raw)
	}
	if c.allow != nil {
		allow := strings.Split(resp.Header.Get("Allow"), ", ")
		slices.Sort(allow)
		if !slices.Equal(allow, c.allow) {
			t.Errorf("Allow %q, want the methods openapi.json documents for %s: %q", resp.Header.Get("Allow"), c.path, c.allow)
		}
	}
}

// TestOpenAPIDocumentsTimeouts: every operation of openapi.json documents
// the 503 that answers a request not answered in time (the server's
// handlers.Timeout), since any of them can be that slow.
func TestOpenAPIDocumentsTimeouts(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(handlers.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if method == "parameters" {
				continue
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			if _, ok := op.Responses["503"]; !ok {
				t.Errorf("openapi.json: %s %s does not document 503 (timed out)", strings.ToUpper(method), path)
			}
		}
	}
}
