#!/bin/bash
# alertload.sh BIN_DIR sqlite|postgres LOAD [port]: a fresh stand-in Slack,
# database and `handoff serve` with its metrics on (BIN_DIR holds handoff and
# handoff-load), /metrics scraped every second into OUT (ALERT_OUT, default
# ./alertload-DB-LOAD) while LOAD runs and until the outbox is empty again, then
# deploy/prometheus's TestAlertPeaks prints what each rule of
# deploy/prometheus/alerts.yml saw: its input's highest value, when its
# condition first held and its longest hold. BENCHMARKS.md, "Alert thresholds
# against measured load". LOAD is one of
#   intake     8 clients taking in new SQLs at full speed for INTAKE_SECONDS (60), every one a card
#   burst      5 rounds of 200 new leads and 200 concurrent signed Claim clicks (as scripts/burst.sh)
#   import     `handoff import --old live` of IMPORT_ROWS (100000) SQLs of 2026-11 while serving
#   ratelimit  200 new SQLs at once, to a stand-in Slack that takes POST_RATE (1) posts a second a
#              channel after POST_BURST (10) at once and answers the rest 429 with Retry-After
#   outage     a new SQL a second; after 20 s the stand-in answers 503 for OUTAGE_SECONDS (660)
# TAIL_SECONDS (900) bounds the wait for the outbox to empty. Needs PostgreSQL on
# 127.0.0.1:5432 for postgres; ALERT_DB names its database (alertload_PORT), made anew.
REPO=$(realpath "$(dirname "$0")/..")
BIN=$(realpath "$1"); DB=$2; LOAD=$3; PORT=${4:-18400}; MP=$((PORT+1))
OUT=$(realpath -m "${ALERT_OUT:-alertload-$DB-$LOAD}"); rm -rf "$OUT"; mkdir -p "$OUT"
W=$(mktemp -d); cd "$W"
FSARGS=()
[ "$LOAD" = ratelimit ] && FSARGS=(-post-rate "${POST_RATE:-1}" -post-burst "${POST_BURST:-10}")
[ "$LOAD" = outage ] && FSARGS=(-down "$W/down")
$BIN/handoff-load fake-slack "${FSARGS[@]}" > fs.out 2>&1 &
FS=$!
for i in $(seq 50); do [ -s fs.out ] && break; sleep 0.1; done
eval export $(head -1 fs.out)
DBN=${ALERT_DB:-alertload_$PORT}
if [ "$DB" = sqlite ]; then URL=$W/h.db; else
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DBN" -c "CREATE DATABASE $DBN" >/dev/null; URL="postgres://postgres@127.0.0.1:5432/$DBN?sslmode=disable"; fi
export SLACK_SIGNING_SECRET=sec SLACK_SALES_CHANNEL=CSALES HANDOFF_API_TOKEN=tok HANDOFF_API_RATE_LIMIT=0 HANDOFF_CONFIG=/dev/null DATABASE_URL=$URL
HANDOFF_ADDR=127.0.0.1:$PORT HANDOFF_METRICS_ADDR=127.0.0.1:$MP $BIN/handoff serve > serve.log 2>&1 &
SV=$!
for i in $(seq 300); do curl -s -o /dev/null 127.0.0.1:$PORT/healthz && break; sleep 0.2; done
( while [ ! -e "$W/stop" ]; do t=$(date +%s%3N); curl -s -m 5 -o "$OUT/$t.tmp" 127.0.0.1:$MP/metrics; mv "$OUT/$t.tmp" "$OUT/$t.prom"; sleep 1; done ) &
SC=$!
mark() { echo "$(date +%s%3N) $*" >> "$OUT/marks"; }
gauge() { local f; f=$(ls "$OUT" | grep '\.prom$' | sort | tail -1); awk -v n="$1" '$1 == n {print $2}' "$OUT/$f"; }
sql() { curl -s -o /dev/null -H "Authorization: Bearer tok" -H "Content-Type: application/json" \
  -d "{\"external_id\":\"$1\",\"email\":\"$1@example.com\",\"name\":\"A $1\",\"company\":\"Company $1\",\"score\":95,\"stage\":\"sql\"}" 127.0.0.1:$PORT/api/leads; }
LOADARGS=(-url http://127.0.0.1:$PORT -token tok -slack-secret sec)
sleep 3
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $BIN/handoff $DB $LOAD"
mark "$LOAD starts"
case $LOAD in
intake) $BIN/handoff-load run "${LOADARGS[@]}" -mix intake=1,claim=0,funnel=0 -clients 8 -duration "${INTAKE_SECONDS:-60}s" -requests 100000000 ;;
burst) $BIN/handoff-load burst "${LOADARGS[@]}" -rounds 5 -leads 200 -clicks 200 ;;
import)
  awk -v n="${IMPORT_ROWS:-100000}" 'BEGIN{print "Record ID,First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage,HubSpot Score,Original Source,Create Date"; for(i=0;i<n;i++) printf "%d,Ann%d,Berg,ann%d@example.com,Company %d,IT Manager,salesqualifiedlead,%d,Organic Search,2026-11-%02d 10:30\n", 100000+i, i, i, i%500, i%100, 1+i%28}' > leads.csv
  /usr/bin/time -f "import: %e s, peak RSS %M KiB" $BIN/handoff import --quiet --old live leads.csv ;;
ratelimit) $BIN/handoff-load run "${LOADARGS[@]}" -mix intake=1,claim=0,funnel=0 -clients 8 -requests 200 -duration 5m ;;
outage)
  ( i=0; while [ ! -e "$W/stop-leads" ]; do i=$((i+1)); sql "outage-$i"; sleep 1; done ) &
  LD=$!
  sleep 20; touch down; mark "the stand-in Slack answers 503"
  sleep "${OUTAGE_SECONDS:-660}"; rm down; mark "the stand-in Slack answers again"
  touch "$W/stop-leads"; wait $LD ;;
*) echo "unknown LOAD $LOAD"; kill $SC $SV $FS; exit 2 ;;
esac
mark "$LOAD ends"
sleep 2
for i in $(seq "${TAIL_SECONDS:-900}"); do [ "$(gauge handoff_outbox_pending)" = 0 ] && break; sleep 1; done
mark "the wait for an empty outbox ends: $(gauge handoff_outbox_pending) pending"
sleep 3
echo "posts: $(gauge 'handoff_chat_calls_total{method="post",outcome="ok",platform="slack"}') ok, $(gauge 'handoff_chat_calls_total{method="post",outcome="rate_limited",platform="slack"}') rate-limited, $(gauge 'handoff_chat_calls_total{method="post",outcome="retry",platform="slack"}') failed"
touch "$W/stop"; wait $SC
kill $SV; wait $SV 2>/dev/null; kill $FS; wait $FS 2>/dev/null
(cd "$REPO" && HANDOFF_ALERT_SCRAPES=$OUT go test ./deploy/prometheus/ -run '^TestAlertPeaks$' -count=1 -v | grep -v '^=== RUN\|^--- PASS\|^PASS\|^ok ')
rm -rf "$W"
