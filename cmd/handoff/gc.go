package main

import "runtime/debug"

// defaultGCPercent is the garbage collector's target that Handoff runs
// with unless GOGC says otherwise: the heap may grow to five times what
// is live between two collections, instead of Go's twice. Handoff's live
// heap is small (a server's peak RSS 39–44 MiB under intake), and
// collecting about a quarter as often took intake over HTTP 5–17 % further
// on a 2-vCPU machine for about 11 MiB more at that peak (BENCHMARKS.md,
// "Fifteenth session").
const defaultGCPercent = 400

// setGC applies defaultGCPercent when the environment sets no GOGC, and
// reports whether it did.
func setGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" {
		return false
	}
	debug.SetGCPercent(defaultGCPercent)
	return true
}
