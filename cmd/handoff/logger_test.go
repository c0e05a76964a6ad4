package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// TestLoggerWritesReadableDurations: the JSON log says "took":"12ms", as
// the text log and the configuration line do, not 12000000 nanoseconds,
// also inside a group.
func TestLoggerWritesReadableDurations(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, slog.LevelInfo).Info("warmed", "took", 12*time.Millisecond, slog.Group("outbox", "retry_in", 2*time.Minute), "n", 3)
	var line struct {
		Took   any `json:"took"`
		Outbox struct {
			RetryIn any `json:"retry_in"`
		} `json:"outbox"`
		N any `json:"n"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %v\n%s", err, buf.String())
	}
	if line.Took != "12ms" || line.Outbox.RetryIn != "2m0s" || line.N != float64(3) {
		t.Errorf("took %#v, retry_in %#v, n %#v; want \"12ms\", \"2m0s\" and 3:\n%s", line.Took, line.Outbox.RetryIn, line.N, buf.String())
	}
}
