#!/bin/bash
# outbox-reads-explain.sh DB before|after|capped NOW_MS [CAP]: EXPLAIN
# (ANALYZE, BUFFERS), in the PostgreSQL database DB on 127.0.0.1:5432, of the
# outbox's reads that read every pending message before (NextOutboxDue for
# Slack, now NextOutboxDueFor of a Slack replica that leaves no managers'
# work to another, NextWebhookDue, TakeWebhooks' read of 20 at NOW_MS, OutboxStats) as
# the code before (before) or after (after) made them bounded runs them, and
# (capped) of OutboxStats once its counts stop at CAP (1000), values written
# in, each in a transaction rolled back. BENCHMARKS.md, "The outbox draining
# a large backlog" ("The outbox's other reads") and "The outbox's counts
# bounded".
DB=$1; MODE=$2; NOW=$3; CAP=${4:-1000}
P="status = 'pending'"
CHAT="kind <> 'webhook' AND platform IN ('','slack')"
OLDHEAD="NOT EXISTS (SELECT 1 FROM outbox p WHERE p.kind = outbox.kind AND p.status = outbox.status AND p.lead_id = outbox.lead_id AND p.platform = outbox.platform AND p.id < outbox.id)"
NEWHEAD="outbox.id <= COALESCE((SELECT MIN(p.id) FROM outbox p WHERE p.kind = 'webhook' AND p.lead_id = outbox.lead_id AND p.platform = outbox.platform AND p.status = outbox.status), outbox.id)"
MINE="MIN(CASE WHEN locked_until_ms > due_ms THEN locked_until_ms ELSE due_ms END) AS due"
next_new() { echo "SELECT (SELECT due_ms FROM outbox WHERE $P AND $1 AND locked_until_ms <= due_ms ORDER BY due_ms, id LIMIT 1) AS head, MIN(locked_until_ms) AS leased FROM outbox WHERE $P AND $1 AND due_ms < COALESCE((SELECT due_ms FROM outbox WHERE $P AND $1 AND locked_until_ms <= due_ms ORDER BY due_ms, id LIMIT 1), 9223372036854775807)"; }
take() { echo "SELECT id FROM outbox WHERE status = 'pending' AND due_ms <= $NOW AND locked_until_ms <= $NOW AND $1 ORDER BY due_ms, id LIMIT 20 FOR UPDATE SKIP LOCKED"; }
upto() { echo "(SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE status = '$1' LIMIT $CAP) AS counted)"; }
ex() { # name, what is off (on: nothing; off: sorts; range: and sequential scans; scan: and bitmap scans), sql
  echo "### $1 ($(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg))"
  { echo "BEGIN;"; [ "$2" != on ] && echo "SET LOCAL enable_sort = off;"
    case $2 in range|scan) echo "SET LOCAL enable_seqscan = off;";; esac; [ "$2" = scan ] && echo "SET LOCAL enable_bitmapscan = off;"
    echo "EXPLAIN (ANALYZE, BUFFERS) $3;"; echo "ROLLBACK;"; } | psql -q -h 127.0.0.1 -U postgres -d "$DB" -At
}
OLDEST="(SELECT COALESCE(requeued_ms, created_ms) FROM outbox WHERE $P ORDER BY COALESCE(requeued_ms, created_ms) LIMIT 1)"
if [ "$MODE" = capped ]; then
  ex "stats (OutboxStats, counts up to $CAP)" scan "SELECT $(upto pending) AS pending, $(upto dead) AS dead, $OLDEST AS oldest"
  ex "stats pending count alone, up to $CAP" scan "SELECT $(upto pending)"
  ex "stats dead count alone, up to $CAP" scan "SELECT $(upto dead)"
elif [ "$MODE" = before ]; then
  ex "next chat (NextOutboxDue slack)" on "SELECT $MINE FROM outbox WHERE $P AND $CHAT"
  ex "next webhook (NextWebhookDue)" on "SELECT $MINE FROM outbox WHERE $P AND kind = 'webhook' AND $OLDHEAD"
  ex "take webhooks (TakeWebhooks)" off "$(take "kind = 'webhook' AND $OLDHEAD")"
  ex "stats (OutboxStats)" on "SELECT COUNT(*) AS pending, MIN(COALESCE(requeued_ms, created_ms)) AS oldest FROM outbox WHERE $P"
else
  ex "next chat (NextOutboxDue slack)" range "$(next_new "$CHAT")"
  ex "next webhook (NextWebhookDue)" range "$(next_new "kind = 'webhook' AND $NEWHEAD")"
  ex "take webhooks (TakeWebhooks)" off "$(take "kind = 'webhook' AND $NEWHEAD")"
  ex "stats (OutboxStats)" off "SELECT COUNT(*) AS pending, $OLDEST AS oldest FROM outbox WHERE $P"
  ex "stats count alone" on "SELECT count(*) FROM outbox WHERE $P"
  ex "stats dead count (OutboxStats' second statement)" on "SELECT count(*) FROM outbox WHERE status = 'dead'"
fi
