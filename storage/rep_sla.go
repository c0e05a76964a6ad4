package storage

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// repRow is one rep's figures in a period (repKey tells reps apart): the
// leads they claimed and contacted in it (for RepActivity) and their SLA
// outcome.
type repRow struct {
	OwnerPlatform, OwnerUserID, OwnerEmail     string
	Claimed, Contacted, Met, Breached, Pending int64
}

// repSLASelect is the SELECT of each rep's SLA outcome over table (one of
// slaSources) aliased l, for @from, @to and @now: each promise counted for
// the rep who held the lead when it was settled (slaOwnerCol,
// handoff.SLAOwner), grouped as repKey groups the owners.
func repSLASelect(table string) []string {
	platform, userID, email := slaOwnerCol("platform"), slaOwnerCol("user_id"), slaOwnerCol("email")
	key := platform + ", " + userID + ", CASE WHEN " + userID + " = '' THEN " + email + " ELSE '' END"
	return []string{"SELECT " + platform + " AS owner_platform, " + userID + " AS owner_user_id," +
		" MAX(" + email + ") AS owner_email, " + slaSums +
		" FROM " + table + " l WHERE " + slaCandidates + " GROUP BY " + key}
}

// repActivitySelect is repSLASelect and the SELECT of the leads each owner
// claimed and contacted in the period.
func repActivitySelect(table string) []string {
	return append(repSLASelect(table), "SELECT COALESCE(l.owner_platform, '') AS owner_platform, COALESCE(l.owner_user_id, '') AS owner_user_id,"+
		" MAX(COALESCE(l.owner_email, '')) AS owner_email,"+
		" SUM(CASE WHEN l.claimed_ms >= @from AND l.claimed_ms < @to THEN 1 ELSE 0 END) AS claimed,"+
		" SUM(CASE WHEN l.contacted_ms >= @from AND l.contacted_ms < @to THEN 1 ELSE 0 END) AS contacted"+
		" FROM "+table+" l WHERE (l.claimed_ms >= @from AND l.claimed_ms < @to) OR (l.contacted_ms >= @from AND l.contacted_ms < @to)"+
		" GROUP BY "+repKey)
}

// repRows runs the selects of selectOf over each of slaSources with args
// and adds up each rep's rows: the leads' current cycles and the finished
// ones together, one row per rep, in the order they were first met.
func repRows(db *gorm.DB, selectOf func(table string) []string, args map[string]any) ([]repRow, error) {
	var out []repRow
	at := map[string]int{}
	for _, table := range slaSources {
		var rows []repRow
		for _, q := range selectOf(table) {
			var part []repRow
			if err := db.Raw(q, args).Scan(&part).Error; err != nil {
				return nil, fmt.Errorf("%s: %w", table, err)
			}
			rows = append(rows, part...)
		}
		for _, r := range rows {
			k := repIdentity(r.OwnerPlatform, r.OwnerUserID, r.OwnerEmail)
			i, ok := at[k]
			if !ok {
				at[k] = len(out)
				out = append(out, r)
				continue
			}
			o := &out[i]
			o.OwnerEmail = max(o.OwnerEmail, r.OwnerEmail)
			o.Claimed, o.Contacted = o.Claimed+r.Claimed, o.Contacted+r.Contacted
			o.Met, o.Breached, o.Pending = o.Met+r.Met, o.Breached+r.Breached, o.Pending+r.Pending
		}
	}
	return out, nil
}

// repIdentity is the rep a row belongs to, as repKey groups them: a rep
// with a user id is one rep, whatever email their leads learnt.
func repIdentity(platform, userID, email string) string {
	if userID != "" {
		email = ""
	}
	return strings.Join([]string{platform, userID, email}, "\x00")
}
