package handlers

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"
)

//go:embed pages/*.html
var pageFiles embed.FS

// Pages serves the short public pages the Teams app package links to:
// GET /about (also GET /), /privacy and /terms, as HTML. The privacy page
// states the agreement's retention period.
type Pages struct {
	// Retention is the agreement's retention.personal_data; 0 for none.
	Retention time.Duration
	Logger    *slog.Logger
}

// page is one of the pages: its path, file and title.
type page struct{ path, file, title string }

var pages = []page{
	{"/about", "about.html", "Handoff"},
	{"/privacy", "privacy.html", "Privacy"},
	{"/terms", "terms.html", "Terms of use"},
}

// Register adds the pages to mux. It panics if an embedded template does
// not parse, which the tests catch.
func (p *Pages) Register(mux *http.ServeMux) {
	for _, pg := range pages {
		tmpl := template.Must(template.ParseFS(pageFiles, "pages/layout.html", "pages/"+pg.file))
		h := p.serve(pg, tmpl)
		mux.HandleFunc("GET "+pg.path, h)
		if pg.path == "/about" {
			mux.HandleFunc("GET /{$}", h)
		}
	}
}

func (p *Pages) serve(pg page, tmpl *template.Template) http.HandlerFunc {
	data := struct{ Title, Retention string }{Title: pg.title, Retention: days(p.Retention)}
	return func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, "layout", data); err != nil {
			logger := p.Logger
			if logger == nil {
				logger = slog.Default()
			}
			logger.ErrorContext(r.Context(), "page failed", "path", pg.path, "err", err)
			http.Error(w, "page unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(buf.Bytes())
	}
}

// days writes a retention period for people: "730 days", "36 hours", or
// "" for none.
func days(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		n := int64(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}
