package handlers

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3.1 description of every endpoint, served at GET
// /api/openapi.json. A test in cmd/handoff checks real answers of the
// running server against it.
//
//go:embed openapi.json
var OpenAPI []byte

// RegisterOpenAPI serves the description, without a token.
func RegisterOpenAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(OpenAPI)
	})
}
