#!/usr/bin/env python3
"""Measures what docs/capacity.md reports, on a replicated demo cluster of this machine.

Starts `tally cluster up --replicas 3` in a fresh directory, measures each process's CPU over an
idle period (the floor it burns without load), then drives `tally bench` at a fixed rate against
node-1 and measures each process's CPU and each engine's disk growth per acknowledged event, and
prints one JSON object. Stops the cluster at the end. Run from the repository root after
`mvn -q package -DskipTests`:

    python3 docs/capacity-measure.py [--rate 10000] [--duration 60] [--dir /tmp/tally-capacity]

CPU comes from /proc/<pid>/stat (user + system ticks), disk from the size of each process's
directory. Needs an otherwise idle machine: anything else on the cores inflates the figures.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

JAR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tally-cli", "target", "tally.jar")
TICK_MICROS = 1_000_000 / os.sysconf("SC_CLK_TCK")


def tally(*args, capture=True, check=True):
    out = subprocess.run(["java", "-jar", JAR, *args], capture_output=capture, text=True)
    if check and out.returncode != 0:
        sys.exit(f"tally {' '.join(args)} failed: {out.stdout}\n{out.stderr}")
    return out.stdout


def cpu_micros(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MICROS  # utime, stime


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def sample(processes):
    return {p["name"]: cpu_micros(p["pid"]) for p in processes}


def per_kind(processes, before, after, divisor):
    kinds = {}
    for p in processes:
        kinds.setdefault(p["kind"], 0.0)
        kinds[p["kind"]] += (after[p["name"]] - before[p["name"]]) / divisor
    return {k: round(v, 1) for k, v in kinds.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=10_000)
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--idle", type=int, default=30)
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--dir", default="/tmp/tally-capacity")
    a = ap.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    cluster = os.path.join(a.dir, "cluster")
    t = time.time()
    tally("cluster", "up", "--replicas", "3", "--dir", cluster)
    started = time.time() - t
    try:
        state = json.load(open(os.path.join(cluster, "cluster.json")))
        processes = state["processes"]
        rss = {p["name"]: int(open(f"/proc/{p['pid']}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
               for p in processes}
        dirs = {p["name"]: os.path.dirname(p["argument"].lstrip("@")) if p["kind"] != "NODE"
                else os.path.join(cluster, p["name"]) for p in processes}
        time.sleep(10)
        idle0 = sample(processes)
        time.sleep(a.idle)
        idle1 = sample(processes)
        disk0 = {n: du(d) for n, d in dirs.items()}
        node1 = next(p for p in processes if p["name"] == "node-1")["address"]
        c0 = sample(processes)
        report = json.loads(tally("bench", "--url", node1, "--rate", str(a.rate), "--duration",
                                  f"{a.duration}s", "--batch", "100", "--clients", "4",
                                  "--time-spread", "5s", "--warmup", "0s", "--entities",
                                  str(a.entities), "--json", check=False))
        time.sleep(15)  # the processors and materializers catch up
        c1 = sample(processes)
        disk1 = {n: du(d) for n, d in dirs.items()}
        events = report["acceptedEvents"] + report["warmupEvents"]
        elapsed = a.duration + 15
        idle_micros = {n: (idle1[n] - idle0[n]) / a.idle * elapsed for n in idle0}
        loaded = {n: c1[n] - c0[n] - idle_micros[n] for n in c0}
        result = {
            "startSeconds": round(started, 1),
            "rssMB": {n: round(v / 2**20) for n, v in rss.items()},
            "events": events,
            "bench": report,
            "idleCpuPercentPerKind": per_kind(processes, idle0, idle1, a.idle * 10_000),
            "cpuMicrosPerEventPerKind": per_kind(processes, c0, c1, events),
            "cpuMicrosPerEventPerKindAboveIdle": per_kind(processes, {n: 0 for n in loaded}, loaded, events),
            "diskBytesPerEventPerKind": per_kind(processes, disk0, disk1, events),
        }
        print(json.dumps(result, indent=2))
    finally:
        tally("cluster", "down", "--dir", cluster, capture=False)


if __name__ == "__main__":
    main()
