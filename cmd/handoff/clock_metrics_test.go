package main

import (
	"math"
	"testing"
	"time"

	"github.com/handoff/handoff/storage/storagetest"
)

// A replica whose clock is off the database server's keeps the database's
// time, and says by how much in handoff_db_clock_offset_seconds, which
// deploy/prometheus/alerts.yml's HandoffClockOff watches: an offset means
// NTP is broken on the replica (whose log times are off) or on the
// database server (whose clock the leads' times are on). Before, nothing
// but a replica's timestamps showed it.
func TestClockOffsetInMetrics(t *testing.T) {
	const skew = 5 * time.Minute
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok"}
			ahead := startServerAt(t, vars, &testClock{off: skew})
			ahead.postLead(t, `{"external_id":"skew-1","name":"Ann Berg"}`)
			got := -1.0
			for start := time.Now(); time.Since(start) < e2ePatience; time.Sleep(50 * time.Millisecond) {
				if got = sampleValue(ahead.metricsContain(t), "handoff_db_clock_offset_seconds"); math.Abs(got+skew.Seconds()) < 2 {
					return
				}
			}
			t.Errorf("handoff_db_clock_offset_seconds = %v (-1: absent) on a replica %s ahead of the database, want about %v", got, skew, -skew.Seconds())
		})
	}
}
