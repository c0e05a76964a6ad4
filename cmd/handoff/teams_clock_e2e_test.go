package main

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsUsersOnTheDatabasesTime: with the database's clock 10 minutes
// off this machine's, a replica stores the Teams users it meets on the
// database's time, as it stores their conversations and everything else.
// On the machine's clock (teams.Platform's own) they were dated 10 minutes
// off, so when two records share an Entra id, the lookup by that id (the
// latest record first) took a replica's whose clock ran ahead over one
// another replica wrote after it. On SQLite and PostgreSQL.
func TestTeamsUsersOnTheDatabasesTime(t *testing.T) {
	const skew = 10 * time.Minute
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			bf := teamstest.New(t)
			vars := teamsVars(t, dialect, bf)
			e := &teamsE2E{t: t, srv: startServerAt(t, vars, &testClock{dbOff: skew}), bf: bf,
				store: storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{}), vars: vars}
			e.install()
			before := e.srv.app.now() // the database's time, as the app keeps it
			a := e.activity("message", teamsRita, "Rita", teamsSalesID+";messageid=1")
			a["text"] = "help"
			if status, body := e.post(a, e.token()); status != 200 {
				t.Fatalf("message: HTTP %d %s", status, body)
			}
			after := e.srv.app.now()
			u, err := e.store.TeamsUser(context.Background(), teamsRita)
			if err != nil {
				t.Fatal(err)
			}
			if u.Updated.Before(before.Add(-time.Second)) || u.Updated.After(after.Add(time.Second)) {
				t.Errorf("Rita's record updated %s, %s from the database's clock; want it on the database's clock",
					u.Updated.Format(time.RFC3339Nano), u.Updated.Sub(after).Round(time.Second))
			}
		})
	}
}
