package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkSlackClaimClicks fires 200 concurrent signed Claim clicks (10
// reps on each of 20 new leads) at the HTTP endpoint per iteration and
// reports the acknowledgement latency (p50, p99) and clicks per second.
//
//	go test ./handlers/ -run '^$' -bench SlackClaimClicks -benchtime 20x
func BenchmarkSlackClaimClicks(b *testing.B) {
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			r := newSlackRig(b, storagetest.Open(b, dialect), nil)
			claimClicks{
				announce: func(b *testing.B, ext string) int64 { return r.announced(b, ext).ID },
				click: func(b *testing.B, rep int, id int64) string {
					status, body := r.click(b, fmt.Sprintf("UREP%03d", rep), bot.ActionClaim, id)
					if status != http.StatusOK {
						return fmt.Sprintf("%d %s", status, body)
					}
					return ""
				},
				drain: func(b *testing.B) { r.drain(b) },
			}.run(b)
		})
	}
}
