package main

import (
	"runtime/debug"
	"testing"
)

func TestSetGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	tests := []struct {
		gogc string
		set  bool
		want int // the GC percent afterwards
	}{
		{"", true, defaultGCPercent},
		{"100", false, 100},
		{"off", false, 100}, // the runtime read GOGC at start; setGC leaves it
	}
	for _, tt := range tests {
		debug.SetGCPercent(100)
		set := setGC(func(k string) string {
			if k == "GOGC" {
				return tt.gogc
			}
			return ""
		})
		if got := debug.SetGCPercent(100); set != tt.set || got != tt.want {
			t.Errorf("GOGC=%q: set %v, percent %d; want %v, %d", tt.gogc, set, got, tt.set, tt.want)
		}
	}
}
