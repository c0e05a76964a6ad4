package handlers_test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// deliveryLogDDL makes the database log, at each delivery recorded in
// processed_events, how many leads were claimed as the recording
// transaction saw them: a delivery recorded before its claim sees one
// claim less than one recorded in the claim's transaction.
var deliveryLogDDL = map[string][]string{
	storage.DialectSQLite: {
		`CREATE TABLE delivery_log (n INTEGER PRIMARY KEY AUTOINCREMENT, claimed INTEGER NOT NULL)`,
		`CREATE TRIGGER delivery_logged AFTER INSERT ON processed_events BEGIN
			INSERT INTO delivery_log (claimed) SELECT count(*) FROM leads WHERE stage = 'claimed'; END`,
	},
	storage.DialectPostgres: {
		`CREATE TABLE delivery_log (n bigserial PRIMARY KEY, claimed bigint NOT NULL)`,
		`CREATE FUNCTION delivery_logged() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			INSERT INTO delivery_log (claimed) SELECT count(*) FROM leads WHERE stage = 'claimed'; RETURN NULL; END $$`,
		`CREATE TRIGGER delivery_logged AFTER INSERT ON processed_events FOR EACH ROW EXECUTE FUNCTION delivery_logged()`,
	},
}

// A Teams click that claims, a Claim or an offer's Accept, as an invoke or
// an Action.Submit message, records its delivery in the claim's
// transaction, not in a commit of its own before it: the database logs
// the claims each recording saw (deliveryLogDDL), and the click's shows
// its own.
func TestTeamsClaimRecordedWithItsClaim(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			for _, q := range deliveryLogDDL[dialect] {
				if _, err := raw.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			e := newTeamsEnvWith(t, s, nil, offersToRita())
			e.install()
			claimed := 0
			for _, form := range clickForms {
				for _, action := range []string{bot.ActionClaim, bot.ActionAccept} {
					t.Run(form+"/"+action, func(t *testing.T) {
						id := e.newSQL(fmt.Sprintf("recorded-%s-%s", form, action))
						if action == bot.ActionAccept {
							e.offerToRita(id)
						}
						e.deliver()
						logged := loggedDeliveries(t, raw)
						e.redeliver(e.clickAs(form, ritaID, "Rita Rep", map[string]any{"action": action, "value": fmt.Sprint(id)}))
						claimed++
						if l := e.lead(id); l.Owner.UserID != ritaID {
							t.Fatalf("owner %+v, want Rita", l.Owner)
						}
						now := loggedDeliveries(t, raw)
						if len(now) != len(logged)+1 || now[len(now)-1] != claimed {
							t.Fatalf("claims seen by the deliveries recorded: %v, then %v; want one more, seeing %d claims", logged, now, claimed)
						}
					})
				}
			}
		})
	}
}

// loggedDeliveries are the claims each recorded delivery saw, in order.
func loggedDeliveries(t *testing.T, raw *sql.DB) []int {
	t.Helper()
	rows, err := raw.Query(`SELECT claimed FROM delivery_log ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
