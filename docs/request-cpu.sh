#!/usr/bin/env bash
# Server CPU per HTTP request: one event per request and GET /healthz, each driven for 15 s by wrk
# (64 connections, after a 15 s warm-up), against a fresh `tally serve`; the CPU is the server
# process's user + system time from /proc/<pid>/stat. Needs wrk and ../shared/peers/one-event.lua.
# Usage: docs/request-cpu.sh JAR LABEL   (JOPTS: extra JVM options for the server; PEERS: peers dir)
set -euo pipefail
JAR=$1; LABEL=$2; PORT=${PORT:-18788}
LUA=${PEERS:-$(dirname "$0")/../../shared/peers}/one-event.lua
d=$(mktemp -d /tmp/request-cpu.XXXX)
java ${JOPTS:-} -Xmx2g -jar "$JAR" serve --port $PORT --data-dir "$d/d" > "$d/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$d"' EXIT
for i in $(seq 60); do curl -sf localhost:$PORT/healthz >/dev/null && break; sleep 1; done
wrk -t2 -c64 -d15s -s "$LUA" http://127.0.0.1:$PORT >/dev/null
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
for what in event healthz; do
  a=$(cpu)
  if [ $what = event ]; then
    rps=$(wrk -t2 -c64 -d15s -s "$LUA" http://127.0.0.1:$PORT | awk '/RESULT/ {print $3}')
  else
    rps=$(wrk -t2 -c64 -d15s http://127.0.0.1:$PORT/healthz | awk '/Requests\/sec/ {print $2}')
  fi
  b=$(cpu)
  python3 -c "t = ($b - $a) / 100; r = float('$rps'); print('$LABEL $what: %.0f req/s, server %.2f cores, %.1f us/request' % (r, t / 15, t / (r * 15) * 1e6))"
done
