// Package teamsapp builds the Microsoft Teams app package (manifest.json
// and its two icons, zipped) that an admin uploads to Teams.
package teamsapp

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"strings"
)

//go:embed manifest.json
var manifestTemplate string

var (
	appIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hostPattern  = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]+)?$`)
)

// Manifest returns manifest.json with the bot's app id (a GUID) and the
// public host name filled in, or an error naming the bad value.
func Manifest(appID, host string) ([]byte, error) {
	if !appIDPattern.MatchString(appID) {
		return nil, fmt.Errorf("teams package: app id %q is not a GUID (the Azure Bot's Microsoft App ID)", appID)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://"), "/")
	if !hostPattern.MatchString(host) {
		return nil, fmt.Errorf("teams package: host %q is not a host name such as handoff.example.com", host)
	}
	return []byte(strings.NewReplacer("{{TEAMS_APP_ID}}", appID, "{{HANDOFF_HOST}}", host).Replace(manifestTemplate)), nil
}

// Write writes the zipped app package (manifest.json, color.png 192×192,
// outline.png 32×32 with a transparent background) to w.
func Write(w io.Writer, appID, host string) error {
	manifest, err := Manifest(appID, host)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data func() ([]byte, error)
	}{
		{"manifest.json", func() ([]byte, error) { return manifest, nil }},
		{"color.png", func() ([]byte, error) { return icon(192, color.RGBA{0x2E, 0x7D, 0x32, 0xFF}, color.White) }},
		{"outline.png", func() ([]byte, error) { return icon(32, color.Transparent, color.White) }},
	}
	zw := zip.NewWriter(w)
	for _, f := range files {
		data, err := f.data()
		if err != nil {
			return fmt.Errorf("teams package: %s: %w", f.name, err)
		}
		fw, err := zw.Create(f.name)
		if err != nil {
			return fmt.Errorf("teams package: %s: %w", f.name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("teams package: %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	return nil
}

// icon draws Handoff's mark, an "H" of three bars, size pixels square.
func icon(size int, background, mark color.Color) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	unit := float64(size) / 32
	inBar := func(x, y float64) bool {
		switch {
		case y < 7*unit || y >= 25*unit:
			return false
		case x >= 8*unit && x < 12*unit, x >= 20*unit && x < 24*unit:
			return true
		}
		return x >= 12*unit && x < 20*unit && y >= 14*unit && y < 18*unit
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := background
			if inBar(float64(x)+0.5, float64(y)+0.5) {
				c = mark
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
