package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkAnnounceCards: the real Dispatcher posts the cards of 200 new
// SQLs to the stand-in Slack and records them on a real store (the leads
// saved untimed before each drain). It reports the time per card and the
// commits per card: on SQLite every commit of its one writer
// (Options.OnGroupCommit), on PostgreSQL the transaction ids assigned
// meanwhile (every transaction that wrote, in the whole cluster: run it
// on a quiet server); and the CPU time of this process per card (the
// dispatcher, the store's side, the stand-in Slack; not PostgreSQL's).
func BenchmarkAnnounceCards(b *testing.B) {
	const cards = 200
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			var commits atomic.Int64
			u := storagetest.URL(b, dialect)
			s := storagetest.OpenURL(b, u, storage.Options{OnGroupCommit: func(storage.GroupCommit) { commits.Add(1) }})
			written := func() int64 { return commits.Load() }
			if dialect == storage.DialectPostgres {
				raw, err := sql.Open("pgx", u)
				if err != nil {
					b.Fatal(err)
				}
				defer raw.Close()
				written = func() int64 {
					var next int64
					if err := raw.QueryRow(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&next); err != nil {
						b.Fatal(err)
					}
					return next
				}
			}
			fake := slacktest.New(botToken)
			defer fake.Close()
			p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", fake.APIURL(), slacktest.ClientTimeout))
			d := outbox.New(outbox.Config{
				Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: handoff.DefaultPolicy(),
				Now: func() time.Time { return t0.Add(time.Minute) }, Logger: quiet(), Lease: time.Minute,
			})
			var elapsed, cpu time.Duration
			var wrote int64
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				for j := range cards {
					saveLead(b, s, fmt.Sprintf("b%d-%d", i, j))
				}
				w0, c0 := written(), cpuTime(b)
				b.StartTimer()
				start := time.Now()
				for {
					n, err := d.RunOnce(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if n == 0 {
						break
					}
				}
				elapsed += time.Since(start)
				b.StopTimer()
				wrote, cpu = wrote+written()-w0, cpu+cpuTime(b)-c0
			}
			if posted := len(fake.Calls("chat.postMessage")); posted != b.N*cards {
				b.Fatalf("posted %d cards, want %d", posted, b.N*cards)
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*cards), "ns/card")
			b.ReportMetric(float64(wrote)/float64(b.N*cards), "commits/card")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*cards), "cpu-ns/card")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
