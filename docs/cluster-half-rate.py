"""A one-node cluster at a steady rate: CPU per event, query latency, freshness and GC pauses (issue 16).

    python3 docs/cluster-half-rate.py NAME [RATE] [WARM_SECONDS]    # from the repository root, after a package

`tally cluster up` (one Kafka, one Cassandra, one node) under /tmp/exp16/NAME with every JVM logging
its collections and their phases to /tmp/exp16/NAME/gc-<pid>.log (through TALLY_CHILD_JVM_OPTIONS),
WARM_SECONDS (default 120) of `tally bench --rate 20000` to warm the JVMs (not measured), then
`tally bench --rate RATE --query-rate 200 --duration 50s --warmup 5s` (RATE default 27000, about
half of Kafka Streams' rate in the side-by-side) with the side-by-side's workload. Prints one JSON
line: the bench's rates and catch-up, `total` and freshness percentiles and exact-count check; how
late the bench sent its queries (`queryLatenessMs`: the load generator's own delay, inside its
`total`); the node's own `GET /v1/total` histogram over the steady window (`totalServedMs`, bucket
bounds); each process's CPU per event from /proc, over the whole bench (`cpuMicrosPerEvent`: its
warm-up and its exact-count check, which reads every entity, included) and over 45 s inside its
measured part (`cpuMicrosPerEventSteady`, at the bench's acknowledged rate: what the steady load
costs), with the cores its JIT compiler threads took over those 45 s (`jitCoresSteady`), and the
node's and Cassandra's ten busiest threads over them, in cores (`threadCoresSteady`, pool members
summed); and per JVM the stop-the-world pauses of the last 60 s of its log (count, sum, largest, how
many over 20 ms; with ZGC also its allocation stalls), and what each JVM allocated over the 45 s,
in MB/s, from its collections (`allocMBpsSteady`: steadier than the latencies, which this
machine's scheduling spreads). Stops the cluster. Run it on an otherwise
idle machine: a run that shares the cores is void."""
import importlib.util, json, sys, os, re, glob, subprocess, time
repo=os.environ.get("REPO", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")); os.chdir(repo)
spec = importlib.util.spec_from_file_location("vs", repo+"/docs/cluster-vs-kstreams.py")
vs = importlib.util.module_from_spec(spec); spec.loader.exec_module(vs)
cap=vs.capacity
name=sys.argv[1]; rate=sys.argv[2] if len(sys.argv)>2 else "27000"; warm=sys.argv[3] if len(sys.argv)>3 else "120"
d="/tmp/exp16/"+name
os.makedirs(d, exist_ok=True)
for f in glob.glob(d+"/gc-*.log"): os.remove(f)
os.environ["TALLY_CHILD_JVM_OPTIONS"]=(os.environ.get("TALLY_CHILD_JVM_OPTIONS","")+f" -Xlog:gc,gc+phases:file={d}/gc-%p.log").strip()
def ticks(stat):
    """User + system CPU ticks of a /proc stat line."""
    f=stat.rsplit(")",1)[1].split()
    return int(f[11])+int(f[12])
def cpu(pid):
    return ticks(open(f"/proc/{pid}/stat").read())
def jit(pid):
    """CPU ticks of the JIT compiler threads of pid."""
    n=0
    for t in os.listdir(f"/proc/{pid}/task"):
        try: st=open(f"/proc/{pid}/task/{t}/stat").read()
        except OSError: continue
        if "CompilerThre" in st[st.index("(")+1:st.rindex(")")]: n+=ticks(st)
    return n
def threads(pid):
    """{thread id: (name, CPU ticks)} of pid's threads; numbers at a name's end are dropped, so
    busiest() sums a pool's members."""
    out={}
    for t in os.listdir(f"/proc/{pid}/task"):
        try: st=open(f"/proc/{pid}/task/{t}/stat").read()
        except OSError: continue
        n=re.sub(r"[\d#-]+$","",st[st.index("(")+1:st.rindex(")")])
        out[t]=(n,ticks(st))
    return out
def busiest(a,b,seconds,top=10):
    """The top threads of b by CPU since a, in cores: {name: cores}. A thread is named as in b
    (Cassandra's shared pool threads take the name of the stage they work for at the moment)."""
    by={}
    for t,(n,c) in b.items(): by[n]=by.get(n,0)+c-a.get(t,(n,0))[1]
    return {n:round(c/100/seconds,3) for n,c in sorted(by.items(),key=lambda x:-x[1])[:top]}
def pauses(pid):
    """The pauses of the last 60 s of pid's log, and (ZGC) its threads' allocation stalls."""
    lines=[l for l in open(f"{d}/gc-{pid}.log") if ("Pause" in l or "Allocation Stall" in l) and l.rstrip().endswith("ms")]
    if not lines: return None
    at=lambda l: float(re.match(r"\[([\d.]+)s",l).group(1))
    end=max(at(l) for l in lines)
    ms=lambda kind: [float(l.split()[-1][:-2]) for l in lines if kind in l and at(l)>end-60]
    p=ms("Pause"); out={"pauses":len(p),"sumMs":round(sum(p)),"maxMs":round(max(p,default=0),1),"over20ms":sum(1 for x in p if x>20)}
    s=ms("Allocation Stall")
    if s: out["stalls"]={"count":len(s),"maxMs":round(max(s),1)}
    return out
def uptime(pid):
    """Seconds since pid started, the clock of its GC log's [uptime] decoration (to ~10 ms)."""
    ticks=int(open(f"/proc/{pid}/stat").read().rsplit(")",1)[1].split()[19])
    return float(open("/proc/uptime").read().split()[0])-ticks/os.sysconf("SC_CLK_TCK")
def allocated(pid,t0,t1):
    """MB/s pid allocated between its uptimes t0 and t1: what each collection in between found in
    use, less what the one before it left, over the time between the first and last of them."""
    heap=[]
    for l in open(f"{d}/gc-{pid}.log"):
        m=re.match(r"\[([\d.]+)s\].* Pause .* (\d+)M->(\d+)M\(",l)
        if m: heap.append((float(m.group(1)),int(m.group(2)),int(m.group(3))))
    w=[i for i,h in enumerate(heap) if t0<=h[0]<=t1]
    if len(w)<2: return None
    seg=heap[w[0]:w[-1]+1]
    return round(sum(b[1]-a[2] for a,b in zip(seg,seg[1:]))/(seg[-1][0]-seg[0][0]),1)
NODE="http://127.0.0.1:28191"  # the one node of `cluster up` with the side-by-side's ports
def served(route):
    """The node's own histogram of `GET route`, status 200: {bucket bound: count}."""
    import urllib.request
    out={}
    for l in urllib.request.urlopen(NODE+"/metrics",timeout=10).read().decode().splitlines():
        if l.startswith("tally_http_server_requests_seconds_bucket{") and f'route="{route}"' in l and 'method="GET"' in l and 'status="200"' in l:
            le=re.search(r'le="([^"]+)"',l).group(1)
            out[float(le)]=out.get(float(le),0)+float(l.rsplit(" ",1)[1])
    return out
def quantile(a,b,q):
    """The q quantile (ms, a bucket's upper bound) of the requests between two served() readings."""
    les=sorted(b); n=b[les[-1]]-a.get(les[-1],0)
    for le in les:
        if n and b[le]-a.get(le,0)>=q*n: return round(le*1000,2)
    return None
cap.tally("cluster","up","--dir",d+"/cluster",*vs.PORTS)
try:
    ps={p["name"]:p["pid"] for p in json.load(open(d+"/cluster/cluster.json"))["processes"]}
    cap.tally("bench","--url",NODE,"--json",*vs.WORKLOAD,"--warmup","0s","--rate","20000","--duration",warm+"s",check=False)
    before={k:cpu(p) for k,p in ps.items()}
    bench=subprocess.Popen(["java","-jar",cap.JAR,"bench","--url",NODE,"--json",*vs.WORKLOAD,"--warmup","5s","--rate",rate,"--query-rate","200","--duration","50s"],stdout=subprocess.PIPE,text=True)
    time.sleep(7)  # the bench's JVM start and its 5 s warm-up: the window is its measured 50 s, or nearly
    up0={k:uptime(p) for k,p in ps.items()}; start={k:cpu(p) for k,p in ps.items()}; jit0={k:jit(p) for k,p in ps.items()}; served0=served("/v1/total"); th0={k:threads(ps[k]) for k in ("node-1","cassandra")}
    time.sleep(45)
    up1={k:uptime(p) for k,p in ps.items()}; end={k:cpu(p) for k,p in ps.items()}; jit1={k:jit(p) for k,p in ps.items()}; served1=served("/v1/total"); th1={k:threads(ps[k]) for k in ("node-1","cassandra")}
    out=bench.communicate()[0]
    after={k:cpu(p) for k,p in ps.items()}
    r=json.loads(out)
    events=r["acceptedEvents"]+r["warmupEvents"]
    print(json.dumps({"name":name,"rate":rate,"acknowledged":r["eventsPerSecond"],"counted":r["countedEventsPerSecond"],"catchUpSeconds":r.get("catchUpSeconds"),
        "total":r["totalQueryLatencyMs"],"totalServedMs":{"p50":quantile(served0,served1,0.5),"p99":quantile(served0,served1,0.99)},"queryLatenessMs":r.get("queryLatenessMs"),"freshness":r["freshnessMs"],"exact":r["exactCount"]["ok"],
        "cpuMicrosPerEvent":{k:round((after[k]-before[k])/100/events*1e6,1) for k in ps},
        "cpuMicrosPerEventSteady":{k:round((end[k]-start[k])/100/(45*r["eventsPerSecond"])*1e6,1) for k in ps},
        "jitCoresSteady":{k:round((jit1[k]-jit0[k])/100/45,2) for k in ps},
        "threadCoresSteady":{k:busiest(th0[k],th1[k],45) for k in th0},
        "gc":{k:pauses(p) for k,p in ps.items()},
        "allocMBpsSteady":{k:allocated(p,up0[k],up1[k]) for k,p in ps.items()}}))
finally:
    cap.tally("cluster","down","--dir",d+"/cluster")
