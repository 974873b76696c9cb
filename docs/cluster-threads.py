"""Where a one-node cluster's CPU goes, per thread (issue 16).

    python3 docs/cluster-threads.py NAME RATE     # from the repository root, after a package

`tally cluster up` (one Kafka, one Cassandra, one node) under /tmp/exp16/NAME, 30 s of `tally bench`
at 20,000 events/s to warm the JVMs (not measured), then `tally bench --rate RATE --query-rate 200`
for 50 s; between its 15th and 45th second, the CPU of every thread of each process from
/proc/<pid>/task/*/stat (thread names with digits folded to N), in cores. Prints one line per
process and the bench's figures, then stops the cluster. Run it on an otherwise idle machine."""
import importlib.util, json, sys, os, time, re, subprocess, collections
repo=os.environ.get("REPO", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")); os.chdir(repo)
spec = importlib.util.spec_from_file_location("vs", repo+"/docs/cluster-vs-kstreams.py")
vs = importlib.util.module_from_spec(spec); spec.loader.exec_module(vs)
cap=vs.capacity
name=sys.argv[1]; rate=sys.argv[2]; d="/tmp/exp16/"+name
def threads(pid):
    out=collections.Counter()
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            comm=open(f"/proc/{pid}/task/{t}/comm").read().strip()
            f=open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")",1)[1].split()
            out[re.sub(r'\d+','N',comm)]+=int(f[11])+int(f[12])
        except OSError: pass
    return out
cap.tally("cluster","up","--dir",d,*vs.PORTS)
try:
    ps={p["name"]:p["pid"] for p in json.load(open(d+"/cluster.json"))["processes"]}
    cap.tally("bench","--url","http://127.0.0.1:28191","--json",*vs.WORKLOAD,"--warmup","0s","--rate","20000","--duration","30s",check=False)
    bench=subprocess.Popen(["java","-jar",cap.JAR,"bench","--url","http://127.0.0.1:28191","--json",*vs.WORKLOAD,"--warmup","0s","--rate",rate,"--query-rate","200","--duration","50s"],stdout=subprocess.PIPE,text=True)
    time.sleep(15)
    b={k:threads(p) for k,p in ps.items()}; time.sleep(30); a={k:threads(p) for k,p in ps.items()}
    for k in ps:
        diff=collections.Counter({t:a[k][t]-b[k].get(t,0) for t in a[k]})
        tot=sum(diff.values())
        print(k, f"{tot/100/30:.2f} cores", ", ".join(f"{t} {v/100/30:.2f}" for t,v in diff.most_common(12) if v>0))
    r=json.loads(bench.communicate()[0]); print(json.dumps({"acc":r["eventsPerSecond"],"counted":r["countedEventsPerSecond"],"total":r["totalQueryLatencyMs"],"fresh":r["freshnessMs"]}))
finally:
    cap.tally("cluster","down","--dir",d)
