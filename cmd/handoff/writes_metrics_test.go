package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// /metrics shows the store's group commits by committer: SQLite's one
// writer, PostgreSQL's committer of intake saves. A committer reports a
// group after answering its writes and before taking its next group (one
// worker for intake on PostgreSQL too), so once the second lead is
// answered, the first lead's group has been counted.
func TestMetricsShowGroupCommits(t *testing.T) {
	for _, tc := range []struct{ dialect, committer string }{
		{storage.DialectSQLite, storage.CommitterSQLite},
		{storage.DialectPostgres, storage.CommitterIntake},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			srv := startServer(t, map[string]string{"DATABASE_URL": storagetest.URL(t, tc.dialect), "HANDOFF_API_TOKEN": "tok"})
			srv.postLead(t, `{"external_id":"group-1","company":"Acme"}`)
			srv.postLead(t, `{"external_id":"group-2","company":"Acme"}`)
			label := `{committer="` + tc.committer + `"}`
			body := srv.metricsContain(t, `handoff_write_group_size_bucket{committer="`+tc.committer+`",le="512"} `,
				`handoff_write_commit_seconds_bucket{committer="`+tc.committer+`",le="1"} `)
			for _, series := range []string{"handoff_write_group_size_count", "handoff_write_group_size_sum",
				"handoff_write_commit_seconds_count", "handoff_write_commit_seconds_sum"} {
				if v := sampleValue(body, series+label); v <= 0 {
					t.Errorf("/metrics: %s%s = %v, want more than 0", series, label, v)
				}
			}
		})
	}
}

// sampleValue is the value of the sample named series (with its labels)
// in a Prometheus text exposition, -1 when there is none.
func sampleValue(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return -1
			}
			return f
		}
	}
	return -1
}
