#!/bin/bash
# Raw store figures of docs/benchmarks.md (issue 18): ingest with export on, export speed, bytes per
# event, then the audit and the recount of one closed hour (FROM, TO: whole hours, ISO-8601, inside
# the time spread). Run on a quiet machine from the checkout with a built jar:
#   FROM=2026-12-05T13:00:00Z TO=2026-12-05T14:00:00Z SPREAD=110m DUR=62s docs/raw-bench.sh
set -u
FROM=${FROM:?first hour, e.g. 2026-12-05T13:00:00Z}; TO=${TO:?end hour}
JAR=${JAR:-tally-cli/target/tally.jar}; PORT=18801; D=$(mktemp -d /tmp/raw10m.XXXX)
java -Xmx3g -jar $JAR serve --port $PORT --data-dir $D/d --raw-export-interval 5s > $D/server.log 2>&1 &
pid=$!
for i in $(seq 60); do curl -sf localhost:$PORT/healthz >/dev/null && break; sleep 1; done
echo "start $(date -u +%T)"
java -jar $JAR bench --url http://127.0.0.1:$PORT --duration ${DUR:-30s} --warmup 0s --types view --time-spread ${SPREAD:-110m} --zipf 1.1 --entities 100000 --json 2>/dev/null | tail -1 > $D/bench.json
python3 -c "import json; d=json.load(open('$D/bench.json')); print('accepted',d['acceptedEvents'],'ev/s',d['eventsPerSecond'],'exact',d['exactCount']['ok'])"
echo "ingest done $(date -u +%T)"
q() { curl -s -X POST localhost:$PORT/v1/query -H 'Content-Type: application/json' -d "{\"sql\":\"$1\"}"; }
for i in $(seq 120); do sleep 5; n=$(q "select count(*) as n from events" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['rows'][0][0] if 'rows' in d else d)" 2>/dev/null); echo "$(date -u +%T) raw events $n"; grep -q "raw export" $D/server.log && tail -1 <(grep "raw export" $D/server.log); [ "$n" -ge "$(python3 -c "import json; print(json.load(open('$D/bench.json'))['acceptedEvents'])")" ] 2>/dev/null && break; done
grep "raw export:" $D/server.log | awk '{for(i=1;i<=NF;i++){if($i=="events"&&$(i+1)=="in"){e+=$(i-1); m+=$(i+2)}}} END{print "export total", e, "events in", m, "ms:", e*1000/m, "events/s (sum of export rounds)"}'
du -sb $D/d/raw | awk '{print "raw bytes", $1}'
for op in audit recount audit; do
  s=$(date +%s.%N)
  curl -s -X POST localhost:$PORT/v1/admin/$op -H 'Content-Type: application/json' -d "{\"from\":\"$FROM\",\"to\":\"$TO\"}"
  echo; echo "$op took $(echo "$(date +%s.%N) - $s" | bc) s"
done
kill $pid; wait $pid 2>/dev/null; rm -rf $D
