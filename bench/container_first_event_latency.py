#!/usr/bin/env python3
"""First-event alert latency for a new container, metadata lookup included.

A private dockerd (tests/containers/docker_harness.py: everything under the
work dir, no network changes) and the real kestrel binary (eBPF source,
container metadata from that dockerd). For each of N new runc containers,
its first process opens /etc/kestrel-marker; the rule's alert names the
container (container.name, container.image.repository), so the engine had
to look the unknown container up synchronously before it could raise it.
Latency = when the alert line reached this script minus the event's own
timestamp (the alert's "time", the kernel's clock at the syscall). Also
printed: kestrel's own lookup counters (lookups, timeouts, mean lookup
time) from its metrics at exit.

Three runs: "host" (the same read by a host process: the pipeline's own
floor, no metadata), "watch" (the default: Docker's event stream usually
delivers the metadata between create and the first exec), and "lookup"
(containers.watch_events=false: every first event waits for a synchronous
inspect).

usage: container_first_event_latency.py KESTREL [WORKDIR] [N]
"""
import datetime
import json
import os
import select
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "containers"))
from docker_harness import IMAGE, Dockerd, generate_pod_init, require_tools, start_kestrel, stop_kestrel  # noqa: E402

KESTREL = sys.argv[1]
WORK = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "/tmp/kestrel-container-latency")
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10

RULES = """
- rule: Container Marker Read
  desc: the first process of a new container reads the marker
  condition: evt.type in (open, openat, openat2) and evt.dir=< and fd.name = /etc/kestrel-marker and container.id != host
  output: marker (container.name=%container.name container.image.repository=%container.image.repository)
  priority: WARNING
- rule: Host Marker Read
  desc: the same read on the host (baseline)
  condition: evt.type in (open, openat, openat2) and evt.dir=< and fd.name startswith /tmp/kestrel-host-marker- and container.id = host
  output: host marker (fd.name=%fd.name container.name=%container.name)
  priority: WARNING
"""


def event_time_ns(iso):
    # "2026-12-06T19:38:03.123456789Z" (Falco's JSON time).
    base, frac = iso.rstrip("Z").split(".")
    secs = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
    return int(secs) * 10**9 + int(frac.ljust(9, "0")[:9])


def run(mode, dockerd, pod_init, rules):
    kestrel = None
    latencies, named = [], 0
    metrics_file = os.path.join(WORK, "metrics-%s.jsonl" % mode)
    if os.path.exists(metrics_file):
        os.unlink(metrics_file)
    extra = ["-o", "metrics.enabled=true", "-o", "metrics.interval=1s", "-o", "metrics.kestrel_output_file=" + metrics_file]
    if mode == "lookup":
        extra += ["-o", "containers.watch_events=false"]
    try:
        kestrel, out_path, err_path = start_kestrel(KESTREL, WORK, [rules], pod_init, dockerd.sock, extra)
        # Lines are timestamped as they arrive, by a reader of their own:
        # `docker run --rm` returns only after the container is gone.
        arrived, done = [], threading.Event()

        def reader():
            out = open(out_path)
            while not done.is_set():
                line = out.readline()
                if not line:
                    time.sleep(0.0005)
                    continue
                arrived.append((time.time_ns(), line))
        threading.Thread(target=reader, daemon=True).start()
        seen = 0
        for i in range(N):
            name = "lat-%s-%d" % (mode, i)
            if mode == "host":
                path = "/tmp/kestrel-host-marker-%s" % name
                open(path, "w").write("x")
                subprocess.run(["/bin/cat", path], stdout=subprocess.DEVNULL, check=True)
                os.unlink(path)
                match = lambda f, p=path: f.get("fd.name") == p
            else:
                dockerd.docker("run", "--rm", "--network", "none", "--name", name, IMAGE, "/bin/cat",
                               "/etc/kestrel-marker")
                match = lambda f, n=name: f.get("container.name") == n
            deadline = time.time() + 10
            got = None
            while time.time() < deadline and got is None:
                if seen == len(arrived):
                    time.sleep(0.001)
                    continue
                recv, line = arrived[seen]
                seen += 1
                a = json.loads(line) if line.startswith("{") else None
                if a and match(a["output_fields"]):
                    got = (recv, a)
            if got is None:
                print("%s: no alert within 10 s" % name)
                continue
            recv, a = got
            latencies.append((recv - event_time_ns(a["time"])) / 1e6)
            if a["output_fields"].get("container.image.repository") == "kestrel-test/busybox":
                named += 1
        time.sleep(1.5)
        done.set()
    finally:
        if kestrel is not None:
            stop_kestrel(kestrel)
    if not latencies:
        print("%s: no latency measured" % mode)
        return False
    latencies.sort()
    print("%s: first-event alert latency over %d events (%d alerts carried container name and image): "
          "median %.1f ms, min %.1f ms, max %.1f ms" % (mode, len(latencies), named, statistics.median(latencies),
                                                        latencies[0], latencies[-1]))
    last = None
    for line in open(metrics_file):
        last = json.loads(line)
    c = (last or {}).get("containers", {})
    if c:
        mean = c["lookup_ns_total"] / c["lookups"] / 1e6 if c.get("lookups") else 0
        print("  kestrel: lookups=%d found=%d timeouts=%d mean synchronous lookup %.2f ms; cache hits=%d, "
              "runtime updates=%d" % (c.get("lookups", 0), c.get("lookup_found", 0), c.get("lookup_timeouts", 0), mean,
                                      c.get("cache_hits", 0), c.get("runtime_updates", 0)))
    return True


def main():
    require_tools()
    os.makedirs(WORK, exist_ok=True)
    pod_init = os.path.join(WORK, "pod-init.json")
    generate_pod_init(KESTREL, os.path.join(WORK, "gvisor.sock"), pod_init)
    rules = os.path.join(WORK, "rules.yaml")
    open(rules, "w").write(RULES)
    dockerd = Dockerd(WORK, pod_init)
    ok = True
    try:
        dockerd.start()
        for mode in ("host", "watch", "lookup"):
            ok = run(mode, dockerd, pod_init, rules) and ok
    finally:
        dockerd.stop()
    sys.exit(0 if ok else 1)


main()
