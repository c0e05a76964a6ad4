package teamsapp

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"strings"
	"testing"
)

func TestWritePackage(t *testing.T) {
	const appID = "00000000-1111-2222-3333-444444444444"
	var buf bytes.Buffer
	if err := Write(&buf, appID, "https://handoff.acme.dk/"); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{"color.png": 192, "outline.png": 32}
	seen := map[string]bool{}
	for _, f := range zr.File {
		seen[f.Name] = true
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "manifest.json" {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("manifest is not JSON: %v", err)
			}
			if m["id"] != appID || strings.Contains(string(data), "{{") || !strings.Contains(string(data), "handoff.acme.dk") {
				t.Fatalf("manifest not filled in: %s", data)
			}
			continue
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if b := img.Bounds(); b.Dx() != sizes[f.Name] || b.Dy() != sizes[f.Name] {
			t.Fatalf("%s is %v, want %d square", f.Name, b, sizes[f.Name])
		}
		if f.Name == "outline.png" {
			if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
				t.Fatal("outline.png background is not transparent")
			}
		}
	}
	if len(seen) != 3 || !seen["manifest.json"] || !seen["color.png"] || !seen["outline.png"] {
		t.Fatalf("package holds %v", seen)
	}
}

func TestManifestRefusesBadValues(t *testing.T) {
	for _, tc := range []struct{ appID, host string }{
		{"not-a-guid", "handoff.acme.dk"},
		{"00000000-1111-2222-3333-444444444444", "handoff acme"},
		{"00000000-1111-2222-3333-444444444444", ""},
	} {
		if _, err := Manifest(tc.appID, tc.host); err == nil {
			t.Errorf("Manifest(%q, %q) accepted", tc.appID, tc.host)
		}
	}
}
