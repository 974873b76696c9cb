#!/usr/bin/env python3
"""Cluster mode next to Kafka Streams, in one run on this machine (issue 16's targets).

1. Kafka Streams `exactly_once_v2`, 2 threads, on a pre-loaded topic of one local broker: the
   peers' own script (../shared/peers/run-kstreams.sh, one round), while this script samples the
   CPU of the broker and the Streams app from /proc every half second.
2. `tally cluster up` with one Kafka, one Cassandra and ONE Tally node, then `tally bench` against
   it, as fast as it goes, on the same workload (100,000 entities, Zipf 1.1, one type, event
   times within the last 5 s): accepted events/s, counted events/s (from the first request until
   the node's backlog is 0, materializer included) and CPU per event of each process.
3. A fresh cluster at half of Kafka Streams' rate with 200 queries/s: `total` p99 and freshness.

Prints one JSON object (and keeps every log under --dir). Run from the repository root after
`mvn -q package -DskipTests`, on an otherwise idle machine:

    python3 docs/cluster-vs-kstreams.py [--peers ../shared/peers] [--duration 60] [--warm 60]

--warm N loads each cluster at 20,000 events/s for N s before measuring it (JIT compilation of
three fresh JVMs is a quarter of the machine in the first minute); compare a warm run with Kafka
Streams' steadyEventsPerSecond (its rate without its own start), printed as countedToSteady.

Needs ports 9092/9093 free (the peers' broker) and the cluster's ports below.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("capacity", os.path.join(HERE, "capacity-measure.py"))
capacity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(capacity)
PORTS = ["--kafka-port", "29192", "--kafka-controller-port", "29193", "--cassandra-port", "29142",
         "--cassandra-storage-port", "29100", "--node-ports", "28191"]
WORKLOAD = ["--types", "view", "--time-spread", "5s", "--zipf", "1.1", "--entities", "100000"]


def java_processes(pattern):
    """pid -> cumulative CPU µs of the java processes whose command line (arguments separated by
    NUL) contains pattern."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if pattern.encode() in f.read():
                    found[int(pid)] = capacity.cpu_micros(pid)
        except OSError:
            pass
    return found


def kstreams(peers, work):
    """Runs one round of the peers' Kafka Streams baseline; answers its result and CPU per event."""
    samples = []  # (time, {pid: cpu} of the broker, {pid: cpu} of the Streams app)
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append((time.time(), java_processes("\0kafka.Kafka\0"),
                            java_processes("baseline.CountStreams")))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    env = dict(os.environ, EVENTS="5000000", ROUNDS="1", CONFIGS="exactly_once_v2:2")
    out = subprocess.run([os.path.join(peers, "run-kstreams.sh")], env=env, capture_output=True,
                         text=True)
    done.set()
    sampler.join()
    with open(os.path.join(work, "kstreams.txt"), "w") as f:
        f.write(out.stdout + out.stderr)
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT") and "kstreams" in l)
    result = dict(re.findall(r"(\w+)=(\S+)", line))
    # the app's CPU is all of its life; the broker's only while the app ran
    app = [s for s in samples if s[2]]
    app_cpu = max(sum(s[2].values()) for s in app)
    broker_cpu = sum(app[-1][1].values()) - sum(app[0][1].values())
    events = int(result["events"])
    return {
        "eventsPerSecond": int(result["events_per_s"]),
        "steadyEventsPerSecond": int(result["steady_events_per_s"]),
        "counted": int(result["counted"]),
        "cpuMicrosPerEvent": {"broker": round(broker_cpu / events, 1),
                              "streams app": round(app_cpu / events, 1),
                              "all": round((broker_cpu + app_cpu) / events, 1)},
    }


def cluster_bench(work, name, bench_args, warm=0):
    """A fresh one-node cluster, one `tally bench` against it; answers its report and CPU/event.
    With warm > 0, a `tally bench` at 20,000 events/s for that many seconds first (not measured):
    the JVMs of the node, Kafka and Cassandra are then compiled, as a running cluster's are."""
    cluster = os.path.join(work, name)
    capacity.tally("cluster", "up", "--dir", cluster, *PORTS)
    try:
        processes = json.load(open(os.path.join(cluster, "cluster.json")))["processes"]
        time.sleep(10)
        if warm > 0:
            capacity.tally("bench", "--url", "http://127.0.0.1:28191", "--json", *WORKLOAD,
                           "--rate", "20000", "--duration", f"{warm}s", "--warmup", "0s",
                           check=False)
        before = capacity.sample(processes)
        report = json.loads(capacity.tally("bench", "--url", "http://127.0.0.1:28191", "--json",
                                           *WORKLOAD, *bench_args, check=False))
        after = capacity.sample(processes)  # bench returns once everything was counted and checked
        events = report["acceptedEvents"] + report["warmupEvents"]
        cpu = capacity.per_kind(processes, before, after, events)
        cpu["all"] = round(sum(cpu.values()), 1)
        return {"bench": report, "cpuMicrosPerEvent": cpu}
    finally:
        out = capacity.tally("cluster", "down", "--dir", cluster)
        print(out, file=sys.stderr, end="")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", default=os.path.join(HERE, "..", "..", "shared", "peers"))
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--dir", default="/tmp/tally-vs-kstreams")
    ap.add_argument("--warm", type=int, default=0,
                    help="seconds of load at 20,000 events/s before each measured cluster run "
                         "(compare with Kafka Streams' steadyEventsPerSecond then)")
    a = ap.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    ks = kstreams(os.path.abspath(a.peers), a.dir)
    full = cluster_bench(a.dir, "full", ["--duration", f"{a.duration}s", "--warmup", "5s"], a.warm)
    half_rate = ks["eventsPerSecond"] // 2
    half = cluster_bench(a.dir, "half", ["--duration", f"{a.duration}s", "--warmup", "5s",
                                         "--rate", str(half_rate), "--query-rate", "200"], a.warm)
    b = full["bench"]
    print(json.dumps({
        "kafkaStreams": ks,
        "tally": full,
        "tallyAtHalfRate": half,
        "ratio": {
            "accepted": round(b["eventsPerSecond"] / ks["eventsPerSecond"], 2),
            "counted": round((b["countedEventsPerSecond"] or 0) / ks["eventsPerSecond"], 2),
            "countedToSteady": round((b["countedEventsPerSecond"] or 0)
                                     / ks["steadyEventsPerSecond"], 2),
        },
    }, indent=2))


if __name__ == "__main__":
    main()
