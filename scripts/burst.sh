#!/bin/bash
# burst.sh BIN_DIR sqlite|postgres [rounds] [port]: a fresh stand-in Slack,
# database and `handoff serve` (BIN_DIR holds handoff and handoff-load), then
# ROUNDS of 200 new leads and 200 concurrent signed Claim clicks
# (handoff-load burst; LEADS and CLICKS change the 200s); prints latency over all
# rounds and round by round, and the CPU (ticks of 10 ms) of the
# server, its PostgreSQL backends and the stand-in Slack. BENCHMARKS.md,
# "Claim under load, issue 16". Needs PostgreSQL on 127.0.0.1:5432 for postgres.
# PPROF_ADDR=127.0.0.1:PORT2 serves the metrics there with HANDOFF_PPROF=on (and so
# /debug/pprof/) and writes a CPU profile of the run's first PPROF_SECONDS (5) to PPROF_OUT (./prof.pprof).
# BURST_DB names the PostgreSQL database (burst_PORT); it stays after the run, for pg_stat_statements.
BIN=$(realpath "$1"); DB=$2; R=${3:-5}; PORT=${4:-18180}; SRV=handoff
PROF=$(realpath -m "${PPROF_OUT:-prof.pprof}")
W=$(mktemp -d); cd "$W"
$BIN/handoff-load fake-slack > fs.out 2>&1 &
FS=$!; sleep 0.5
eval export $(head -1 fs.out)
DBN=${BURST_DB:-burst_$PORT}
if [ "$DB" = sqlite ]; then rm -f fresh.db*; URL=$W/fresh.db; else
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DBN" -c "CREATE DATABASE $DBN" ${PGLOG:+-c "ALTER DATABASE $DBN SET log_statement='all'"} >/dev/null; URL="postgres://postgres@127.0.0.1:5432/$DBN?sslmode=disable"; fi
SLACK_SIGNING_SECRET=sec SLACK_SALES_CHANNEL=CSALES HANDOFF_API_TOKEN=tok HANDOFF_API_RATE_LIMIT=0 \
 HANDOFF_ADDR=127.0.0.1:$PORT HANDOFF_METRICS_ADDR=${PPROF_ADDR:-off} HANDOFF_PPROF=${PPROF_ADDR:+on} HANDOFF_CONFIG=/dev/null DATABASE_URL=$URL $BIN/$SRV serve > serve.log 2>&1 &
SV=$!
for i in $(seq 300); do curl -s -o /dev/null 127.0.0.1:$PORT/healthz && break; sleep 0.2; done
cpu() { awk '{print $14+$15}' /proc/$1/stat 2>/dev/null || echo 0; }
pgcpu() { local t=0; for p in $(pgrep -f "postgres: .*postgres $DBN "); do t=$((t+$(cpu $p))); done; echo $t; }
[ -n "$PPROF_ADDR" ] && { curl -s -o "$PROF" "http://$PPROF_ADDR/debug/pprof/profile?seconds=${PPROF_SECONDS:-5}" >/dev/null 2>&1 & PP=$!; }
S0=$(cpu $SV); P0=$(pgcpu); F0=$(cpu $FS)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $BIN/$SRV $DB"
/usr/bin/time -f "client_cpu_s %U+%S" $BIN/handoff-load burst -url http://127.0.0.1:$PORT -token tok -slack-secret sec -rounds $R -leads ${LEADS:-200} -clicks ${CLICKS:-200} 2>&1
echo "cpu ticks: server $(( $(cpu $SV)-S0 )) pg_backends $(( $(pgcpu)-P0 )) fakeslack $(( $(cpu $FS)-F0 ))"
[ -n "$PP" ] && wait $PP
kill $SV; wait $SV 2>/dev/null; kill $FS; wait $FS 2>/dev/null
rm -rf "$W"
