#!/usr/bin/env python3
"""PostgreSQL next to Cassandra as cluster mode's counter store, on the same workload in one run.

For each store (alternating when --rounds > 1): a fresh `tally cluster up --store <store>` with one
Kafka and ONE Tally node (Cassandra: one node; PostgreSQL: two shards and a streaming replica of
the first, which serves shard 1's reads), then `tally bench` against it, as fast as it goes:

- accepted events/s, and counted events/s (from the first request until the node's backlog is 0:
  the materializer has applied every delta to the store);
- counter rows materialized (the processor's `tally_flush_rows_sum`: each row is one upsert the
  materializer applies) and rows/s over the same span;
- CPU-µs per event of each process kind, from /proc/<pid>/stat (user + system). PostgreSQL runs a
  process per connection: its figure is the postmaster's whole tree (its live children, plus what
  exited children left in its cutime/cstime).

Prints one JSON object, keeps every log under --dir. Run from the repository root after
`mvn -q package -DskipTests`, on an otherwise idle machine:

    python3 docs/postgres-vs-cassandra.py [--duration 60] [--rounds 1]

A smoke run (checks the script end to end, measures nothing): --duration 5 --warmup 1
--entities 1000.
"""
import argparse
import importlib.util
import json
import os
import shutil
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("capacity", os.path.join(HERE, "capacity-measure.py"))
capacity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(capacity)
NODE = 28291
PORTS = ["--kafka-port", "29292", "--kafka-controller-port", "29293", "--cassandra-port", "29242",
         "--cassandra-storage-port", "29200", "--postgres-port", "29232", "--node-ports", str(NODE)]


def children(pid):
    """The pids whose parent is pid."""
    out = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{p}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p))
        except (OSError, ValueError, IndexError):
            pass
    return out


def tree_cpu_micros(pid):
    """A postmaster's CPU: its own, what its exited children left (cutime, cstime), its live
    children's."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) \
        * capacity.TICK_MICROS
    for child in children(pid):
        try:
            total += capacity.cpu_micros(child)
        except OSError:
            pass  # exited since: its time is in the postmaster's cutime by the next sample
    return total


def sample(processes):
    return {p["name"]: tree_cpu_micros(p["pid"]) if p["kind"] == "POSTGRES"
            else capacity.cpu_micros(p["pid"]) for p in processes}


def flushed_rows():
    """The node's tally_flush_rows_sum: counter rows its processor handed to the store."""
    with urllib.request.urlopen(f"http://127.0.0.1:{NODE}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("tally_flush_rows_sum"):
                return float(line.split()[-1])
    return 0.0


def measure(work, store, bench_args):
    """A fresh one-node cluster on store, one `tally bench` against it."""
    cluster = os.path.join(work, store)
    capacity.tally("cluster", "up", "--store", store, "--dir", cluster, *PORTS)
    try:
        processes = json.load(open(os.path.join(cluster, "cluster.json")))["processes"]
        time.sleep(10)
        rows_before, before = flushed_rows(), sample(processes)
        report = json.loads(capacity.tally("bench", "--url", f"http://127.0.0.1:{NODE}", "--json",
                                           *bench_args, check=False))
        after, rows_after = sample(processes), flushed_rows()  # bench returns once all counted
        events = report["acceptedEvents"] + report["warmupEvents"]
        cpu = capacity.per_kind(processes, before, after, events)
        cpu["all"] = round(sum(cpu.values()), 1)
        counted = report.get("countedEventsPerSecond") or 0
        seconds = events / counted if counted else None
        rows = rows_after - rows_before
        return {
            "store": store,
            "eventsPerSecond": report["eventsPerSecond"],
            "countedEventsPerSecond": counted,
            "rows": int(rows),
            "rowsPerSecond": round(rows / seconds) if seconds else None,
            "rowsPerEvent": round(rows / events, 3) if events else None,
            "cpuMicrosPerEvent": cpu,
            "exactCount": report.get("exactCount"),
            "bench": report,
        }
    finally:
        print(capacity.tally("cluster", "down", "--dir", cluster), file=sys.stderr, end="")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--entities", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--dir", default="/tmp/tally-postgres-vs-cassandra")
    a = ap.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    os.chmod(a.dir, 0o755)  # PostgreSQL runs as the postgres user when this is root
    bench = ["--duration", f"{a.duration}s", "--warmup", f"{a.warmup}s", "--types", "view",
             "--time-spread", "5s", "--zipf", "1.1", "--entities", str(a.entities)]
    runs = {"cassandra": [], "postgres": []}
    for r in range(a.rounds):
        order = ["cassandra", "postgres"] if r % 2 == 0 else ["postgres", "cassandra"]
        for store in order:
            runs[store].append(measure(os.path.join(a.dir, f"round-{r + 1}"), store, bench))

    def median(store, key):
        values = sorted(x[key] for x in runs[store] if x[key] is not None)
        return values[len(values) // 2] if values else None

    summary = {s: {k: median(s, k) for k in ("eventsPerSecond", "countedEventsPerSecond",
                                             "rowsPerSecond")} for s in runs}
    pg, cs = summary["postgres"], summary["cassandra"]
    print(json.dumps({
        "workload": bench,
        "medians": summary,
        "ratioPostgresToCassandra": {
            k: round(pg[k] / cs[k], 2) if pg[k] and cs[k] else None for k in pg},
        "runs": runs,
    }, indent=2))


if __name__ == "__main__":
    main()
