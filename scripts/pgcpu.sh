#!/bin/bash
# pgcpu.sh BINARY BENCH [ARGS...]: runs a handlers test binary (go test -c)
# on benchmark BENCH with -test.benchtime 5000x and prints its benchmark
# lines, the client's user+sys CPU and the CPU of the PostgreSQL backends
# that served it (found by the client's ports in pg_stat_activity, read
# from /proc/PID/stat every 0.1 s, so a backend's last 0.1 s may be
# missed). Needs psql, ss and PostgreSQL on 127.0.0.1:5432 (user postgres,
# database test), on the same machine.
set -u
bin=$(realpath "$1"); bench=$2; shift 2
cd "$(dirname "$0")/../handlers" || exit 1
out=$(mktemp); times=$(mktemp)
/usr/bin/time -f "client %U user %S sys %e wall" -o "$times" "$bin" -test.run '^$' -test.bench "$bench" -test.benchtime 5000x "$@" >"$out" 2>&1 &
tpid=$!
declare -A last
while kill -0 "$tpid" 2>/dev/null; do
	pids=$(pgrep -P "$tpid" | paste -sd'|' -)
	ports=$(ss -tnp 2>/dev/null | grep -E "pid=(${pids:-$tpid})," | awk '$5 ~ /:5432$/ {n = split($4, a, ":"); print a[n]}' | paste -sd, -)
	if [ -n "$ports" ]; then
		for bp in $(psql -h 127.0.0.1 -U postgres test -Atc "SELECT pid FROM pg_stat_activity WHERE client_port IN ($ports)" 2>/dev/null); do
			[ -z "${last[$bp]+x}" ] && last[$bp]=0
		done
	fi
	for bp in "${!last[@]}"; do
		t=$(awk '{print $14 + $15}' "/proc/$bp/stat" 2>/dev/null) && [ -n "$t" ] && last[$bp]=$t
	done
	sleep 0.1
done
wait "$tpid"
grep -E '^Benchmark|FAIL' "$out"
cat "$times"
sum=0
for bp in "${!last[@]}"; do sum=$((sum + ${last[$bp]})); done
echo "server ${#last[@]} backends $(echo "scale=2; $sum / $(getconf CLK_TCK)" | bc) s"
rm -f "$out" "$times"
