#!/bin/bash
# outbox-managers-explain.sh DB [PENDING [HEAD]]: EXPLAIN (ANALYZE, BUFFERS), in the
# PostgreSQL database DB on 127.0.0.1:5432 (its tables made by `handoff
# migrate`), of the outbox take of a Slack replica without a managers'
# channel, before (chat messages for '' and slack) and after (the same,
# leaving the managers' work to a replica serving Slack now with one:
# storage's leaveManagers), with sorts off as the take runs (inIndexOrder),
# over PENDING (120000) pending chat messages, all due, the HEAD (1000)
# first and one in 50 after them escalations (what that replica leaves, at
# the head of its take), and two replicas' records. Everything is written and explained in one
# transaction that is rolled back, once as written (never analysed) and once
# after ANALYZE.
DB=$1; N=${2:-120000}; HEAD=${3:-1000}; NOW=4000000000000
TAKE="SELECT id FROM outbox WHERE status = 'pending' AND due_ms <= $NOW AND locked_until_ms <= $NOW AND kind <> 'webhook' AND platform IN ('','slack')"
SERVED="SELECT platform FROM outbox_servers WHERE until_ms > $NOW AND no_managers = false AND platform IN ('slack')"
KINDS="'sla.escalate','digest.weekly','managers.note','managers.deactivated','managers.card_given_up'"
LEAVE="NOT (kind IN ($KINDS) AND (platform IN ($SERVED) OR platform = '' AND EXISTS ($SERVED)))"
ORDER="ORDER BY due_ms, id LIMIT 20 FOR UPDATE SKIP LOCKED"
ex() { echo "\\echo '### $1 ($(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg))'"; echo "EXPLAIN (ANALYZE, BUFFERS) $2;"; }
{
  echo "BEGIN;"
  echo "INSERT INTO outbox (kind, lead_id, platform, payload, status, due_ms, created_ms)
    SELECT CASE WHEN i <= $HEAD OR i % 50 = 0 THEN 'sla.escalate' ELSE 'lead.refresh' END, i, CASE WHEN i % 3 = 0 THEN 'slack' ELSE '' END, '{}', 'pending', $NOW - 1000000 + i, $NOW - 2000000
    FROM generate_series(1, $N) AS i;"
  echo "INSERT INTO outbox_servers (worker, platform, until_ms, no_managers) VALUES ('with', 'slack', $NOW + 60000, false), ('without', 'slack', $NOW + 60000, true);"
  echo "SET LOCAL enable_sort = off;"
  ex "take, before" "$TAKE $ORDER"
  ex "take, after" "$TAKE AND $LEAVE $ORDER"
  echo "ANALYZE outbox; ANALYZE outbox_servers;"
  ex "take, before, analysed" "$TAKE $ORDER"
  ex "take, after, analysed" "$TAKE AND $LEAVE $ORDER"
  echo "ROLLBACK;"
} | psql -q -h 127.0.0.1 -U postgres -d "$DB" -At
