#!/bin/bash
# outage.sh BIN_DIR [seconds] [leads] [port]: a fresh `handoff serve` (SQLite) posting
# to a stand-in Slack that answers 503 for SECONDS (150) while LEADS (100) new SQLs
# arrive, then answers again; prints how long after the outage's end all their
# cards were posted (handoff_chat_calls_total of chat.postMessage). BIN_DIR holds
# handoff and handoff-load. BENCHMARKS.md, "Fifteenth session".
BIN=$(realpath "$1"); OUT=${2:-150}; N=${3:-100}; PORT=${4:-18310}; MP=$((PORT+1))
W=$(mktemp -d); cd "$W"
touch down
$BIN/handoff-load fake-slack -down "$W/down" > fs.out 2>&1 &
FS=$!
for i in $(seq 50); do [ -s fs.out ] && break; sleep 0.1; done
eval export $(head -1 fs.out)
SLACK_SIGNING_SECRET=sec SLACK_SALES_CHANNEL=CSALES HANDOFF_API_TOKEN=tok HANDOFF_API_RATE_LIMIT=0 \
 HANDOFF_ADDR=127.0.0.1:$PORT HANDOFF_METRICS_ADDR=127.0.0.1:$MP HANDOFF_CONFIG=/dev/null DATABASE_URL=$W/h.db $BIN/handoff serve > serve.log 2>&1 &
SV=$!
for i in $(seq 300); do curl -s -o /dev/null 127.0.0.1:$PORT/healthz && break; sleep 0.2; done
for i in $(seq "$N"); do
  curl -s -o /dev/null -H "Authorization: Bearer tok" -H "Content-Type: application/json" \
    -d "{\"external_id\":\"outage-$i\",\"email\":\"o$i@example.com\",\"name\":\"O $i\",\"company\":\"Company $i\",\"score\":95,\"stage\":\"sql\"}" \
    127.0.0.1:$PORT/api/leads
done
posts() { curl -s 127.0.0.1:$MP/metrics | awk -v o="$1" '$1 == "handoff_chat_calls_total{method=\"post\",outcome=\"" o "\",platform=\"slack\"}" {print $2}'; }
sleep "$OUT"
rm down
T0=$(date +%s.%N)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S) $BIN/handoff: a ${OUT} s outage, $(posts retry) failed posts in it"
n=0
for i in $(seq 3000); do n=$(posts ok); [ "${n:-0}" -ge "$N" ] && break; sleep 0.2; done
T1=$(date +%s.%N)
echo "$N cards: ${n:-0} posted, the last $(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.1f", b-a}') s after the outage ended"
kill $SV; wait $SV 2>/dev/null; kill $FS; wait $FS 2>/dev/null
rm -rf "$W"
