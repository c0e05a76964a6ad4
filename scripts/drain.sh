#!/bin/bash
# drain.sh BIN_DIR sqlite|postgres [rows] [port]: the outbox draining a large
# backlog. A fresh stand-in Slack and database (BIN_DIR holds handoff and
# handoff-load), `handoff import --old live` of ROWS (30000) SQLs dated
# 2026-10-05 with no server running (each a card, escalated at once), then
# `handoff serve`; from its first answer on, it waits WARM_SECONDS (5) and
# measures DRAIN_SECONDS (60): the posts the stand-in Slack took a second
# (handoff_chat_calls_total), the outbox messages done a second by kind, and
# the CPU (ms a post) of the server and of its PostgreSQL backends. Prints
# the backlog before and after, and when the scheduler fired the
# escalations (from its log). BENCHMARKS.md, "The outbox draining a large
# backlog". Needs PostgreSQL on 127.0.0.1:5432 for postgres and sqlite3 for
# sqlite. DRAIN_DB names the PostgreSQL database (drain_PORT), made anew;
# it stays after the run, for EXPLAIN. PPROF_OUT=FILE writes a CPU profile
# of the window's first PPROF_SECONDS (20) there.
BIN=$(realpath "$1"); DB=$2; ROWS=${3:-30000}; PORT=${4:-18500}; MP=$((PORT+1))
WARM=${WARM_SECONDS:-5}; SECS=${DRAIN_SECONDS:-60}
PROF=${PPROF_OUT:+$(realpath -m "$PPROF_OUT")}
W=$(mktemp -d); cd "$W"
$BIN/handoff-load fake-slack > fs.out 2>&1 &
FS=$!
for i in $(seq 50); do [ -s fs.out ] && break; sleep 0.1; done
eval export $(head -1 fs.out)
DBN=${DRAIN_DB:-drain_$PORT}
if [ "$DB" = sqlite ]; then URL=$W/h.db; q() { sqlite3 "$URL" "$1"; }; else
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DBN" -c "CREATE DATABASE $DBN" >/dev/null
  URL="postgres://postgres@127.0.0.1:5432/$DBN?sslmode=disable"; q() { psql -h 127.0.0.1 -U postgres -d "$DBN" -AtF' ' -c "$1"; }; fi
export SLACK_SIGNING_SECRET=sec SLACK_SALES_CHANNEL=CSALES HANDOFF_CONFIG=/dev/null DATABASE_URL=$URL
awk -v n="$ROWS" 'BEGIN{print "Record ID,First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage,HubSpot Score,Original Source,Create Date"
  for(i=1;i<=n;i++) printf "%d,First %d,Last %d,imp%d@example.com,Company %d,IT Manager,salesqualifiedlead,50,Organic Search,2026-10-05 10:00\n", i, i, i, i, i%500}' > leads.csv
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $BIN/handoff $DB $ROWS rows"
/usr/bin/time -f "import: %e s" $BIN/handoff import --quiet --old live leads.csv 2>&1 | tail -2
echo "pending after the import: $(q "SELECT kind || ' ' || count(*) FROM outbox WHERE status = 'pending' GROUP BY kind ORDER BY kind" | paste -sd, -)"
HANDOFF_ADDR=127.0.0.1:$PORT HANDOFF_METRICS_ADDR=127.0.0.1:$MP HANDOFF_PPROF=${PROF:+on} $BIN/handoff serve > serve.log 2>&1 &
SV=$!
for i in $(seq 300); do curl -s -o /dev/null 127.0.0.1:$PORT/healthz && break; sleep 0.2; done
TUP=$(date +%s%3N)
sleep "$WARM"
cpu() { awk '{print $14+$15}' /proc/$1/stat 2>/dev/null || echo 0; }
pgcpu() { local t=0; [ "$DB" = sqlite ] && { echo 0; return; }; for p in $(pgrep -f "postgres: .*postgres $DBN "); do t=$((t+$(cpu $p))); done; echo $t; }
posts() { curl -s 127.0.0.1:$MP/metrics | awk '$1 == "handoff_chat_calls_total{method=\"post\",outcome=\"ok\",platform=\"slack\"}" {print $2}'; }
N0=$(posts)
[ -n "$PROF" ] && { curl -s -o "$PROF" "http://127.0.0.1:$MP/debug/pprof/profile?seconds=${PPROF_SECONDS:-20}" & PP=$!; }
T0=$(date +%s%3N); S0=$(cpu $SV); P0=$(pgcpu)
echo "window: $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg), ${N0:-0} posts before it"
sleep "$SECS"
S1=$(cpu $SV); P1=$(pgcpu); T1=$(date +%s%3N)
N1=$(posts)
echo "window ends: $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$PP" ] && wait $PP
awk -v n=$((${N1:-0}-${N0:-0})) -v ms=$((T1-T0)) -v s=$((S1-S0)) -v p=$((P1-P0)) -v hz="$(getconf CLK_TCK)" 'BEGIN{
  printf "posts: %d in %.1f s = %.1f/s; cpu ms a post: server %.2f, pg_backends %.2f (server %.1f s, pg_backends %.1f s)\n",
    n, ms/1000, n*1000/ms, n ? s*1000/hz/n : 0, n ? p*1000/hz/n : 0, s/hz, p/hz}'
echo "done in the window: $(q "SELECT kind || ' ' || count(*) FROM outbox WHERE done_ms >= $T0 AND done_ms < $T1 GROUP BY kind ORDER BY kind" | paste -sd, -)"
echo "pending after it: $(q "SELECT kind || ' ' || count(*) FROM outbox WHERE status = 'pending' GROUP BY kind ORDER BY kind" | paste -sd, -)"
# The escalations the scheduler fired, from its log (a line each, logged
# as its batch committed; times in UTC): how many, when the first and the
# last were fired, in seconds after the server's first answer, and how
# many in the window and in the profile's part of it (needs jq).
jq -Rr 'fromjson? | select(.msg == "scheduler: SLA" and (.action // "" | startswith("escalate_"))) |
    (.time[0:19] + "Z" | fromdateiso8601) * 1000 + (((.time | capture("\\.(?<f>[0-9]+)") // {f: "0"}).f + "00")[0:3] | tonumber)' serve.log |
  awk -v up="$TUP" -v t0="$T0" -v t1="$T1" -v pp="$((T0 + ${PPROF_SECONDS:-20} * 1000))" '
    NR == 1 {first = $1} {last = $1; n++; w += ($1 >= t0 && $1 < t1); p += ($1 >= t0 && $1 < pp)} END {
    printf "escalations fired: %d, the first %.1f s and the last %.1f s after the server answered; %d in the window, %d in its first %d s\n",
      n, (first-up)/1000, (last-up)/1000, w, p, (pp-t0)/1000}'
kill $SV; wait $SV 2>/dev/null; kill $FS; wait $FS 2>/dev/null
grep -c '"level":"ERROR"' serve.log | sed 's/^/server errors logged: /'
rm -rf "$W"
