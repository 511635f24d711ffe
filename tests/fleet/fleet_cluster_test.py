#!/usr/bin/env python3
"""fleet_cluster_test.py — issue 18's fleet: two Kestrels publish to a real
three-server NATS JetStream cluster, one server is killed mid-run, and a
central Kestrel receives every alert; `kestrel fleet status` shows both.

  1. A three-server `nats-server -js` cluster on loopback ports
     (nats_cluster.py), its stores in a temporary directory.
  2. Two node Kestrels live on this host's eBPF probe, nats.node node-a and
     node-b, stream KESTREL with three replicas. Each has one rule: node-a
     alerts on reads of <tmp>/secret-a, node-b on <tmp>/secret-b.
  3. A central Kestrel with no event source (engine.kind=none) and
     nats.consume_alerts: JSON alerts on its stdout, hostname = the node.
  4. The workload: `cat` of each secret N times; after half of them the
     server leading the stream (the one whose loss hurts) is SIGKILLed.
  5. Checks: the central printed exactly N alerts of each node (no loss, no
     duplicate: the central dedupes by Nats-Msg-Id), each with the node's
     file; the nodes' own summaries say N alerts; `kestrel fleet status
     --json` lists both nodes with this kernel, source ebpf and N alerts in
     the last hour.

Usage: fleet_cluster_test.py KESTREL_BINARY WORKDIR
Fails (never skips) when nats-server is missing or the probe cannot load.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nats_cluster import NatsCluster  # noqa: E402

N = 24  # alerts per node


def rules_for(path, node):
    return f"""- rule: Fleet test secret read {node}
  desc: a read of this test's secret file
  condition: evt.type in (open, openat, openat2) and fd.name = "{path}"
  output: fleet test read (file=%fd.name proc=%proc.name)
  priority: WARNING
  tags: [fleet_test]
"""


def wait_for_line(path, text, timeout, proc):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            if text in f.read():
                return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    with open(path, errors="replace") as f:
        log = f.read()
    raise AssertionError(f"'{text}' not seen in {path} within {timeout}s (exit {proc.poll()}):\n{log[-3000:]}")


def central_alerts(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def main():
    kestrel, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="fleet-", dir=workdir)
    cluster = NatsCluster(tmp)
    procs = []
    failures = []
    t0 = time.time()
    try:
        cluster.start()
        cluster.ready()
        print(f"cluster ready in {time.time() - t0:.1f}s: {cluster.urls}", flush=True)
        servers = "[" + ",".join(cluster.urls) + "]"
        # Every Kestrel asks for three replicas: whichever connects first
        # makes the stream with its own nats.replicas (the central, missing
        # it, once made an R1 stream that died with the killed server).
        bus = ["-o", f"nats.servers={servers}", "-o", "nats.replicas=3", "-o", "nats.status_interval=1s",
               "-o", "containers.enabled=false"]
        common = bus + ["-o", "stdout_output.enabled=false"]
        secrets = {}
        nodes = {}
        for node in ("node-a", "node-b"):
            secret = os.path.join(tmp, f"secret-{node[-1]}")
            with open(secret, "w") as f:
                f.write("s3cr3t\n")
            secrets[node] = secret
            rules = os.path.join(tmp, f"rules-{node}.yaml")
            with open(rules, "w") as f:
                f.write(rules_for(secret, node))
            log = os.path.join(tmp, f"{node}.log")
            events = ["-o", "nats.publish_events=true"] if node == "node-a" else []
            p = subprocess.Popen([kestrel, "-r", rules, "-o", "engine.kind=ebpf", "-o", f"nats.node={node}"] + events + [
                                  "-o", "output_timeout=15000", "-M", "60"] + common,
                                 stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            procs.append(p)
            nodes[node] = (p, log)
        central_out = os.path.join(tmp, "central.out")
        central_log = os.path.join(tmp, "central.log")
        central = subprocess.Popen([kestrel, "-o", "engine.kind=none", "-o", "nats.consume_alerts=true",
                                    "-o", "nats.publish_alerts=false", "-o", "nats.node=central",
                                    "-o", "json_output=true", "-o", "stdout_output.enabled=true", "-M", "60"] + bus,
                                   stdout=open(central_out, "w"), stderr=open(central_log, "w"))
        procs.append(central)
        for node, (p, log) in nodes.items():
            wait_for_line(log, "kestrel: capturing", 30, p)
        wait_for_line(central_log, "kestrel: capturing", 15, central)
        print(f"nodes and central capturing at {time.time() - t0:.1f}s", flush=True)

        # The fail-over is only meaningful with the stream on all three.
        deadline = time.time() + 10
        while True:
            group = cluster.stream_cluster("KESTREL")
            peers = group["peers"] if group else []
            if peers == ["n0", "n1", "n2"] or time.time() > deadline:
                break
            time.sleep(0.2)
        if peers != ["n0", "n1", "n2"]:
            raise AssertionError(f"stream KESTREL is not on all three servers before the kill: {group}")
        leader = group["leader"]
        victim = int(leader[1:])
        for i in range(N):
            for node in nodes:
                subprocess.run(["cat", secrets[node]], stdout=subprocess.DEVNULL, check=True)
            if i == N // 2:
                cluster.kill(victim)
                print(f"killed n{victim} (stream leader {leader}) at {time.time() - t0:.1f}s", flush=True)
            time.sleep(0.05)

        # Every alert at the central, or the deadline.
        deadline = time.time() + 25
        while time.time() < deadline:
            alerts = central_alerts(central_out)
            if all(sum(1 for a in alerts if a.get("hostname") == n) >= N for n in nodes):
                break
            time.sleep(0.2)
        time.sleep(1)  # a duplicate arriving late would show now
        print(f"central has its alerts at {time.time() - t0:.1f}s", flush=True)

        for node, (p, log) in nodes.items():
            p.send_signal(signal.SIGINT)
        for node, (p, log) in nodes.items():
            p.wait(timeout=30)
        central.send_signal(signal.SIGINT)
        central.wait(timeout=15)

        alerts = central_alerts(central_out)
        for node in nodes:
            mine = [a for a in alerts if a.get("hostname") == node]
            if len(mine) != N:
                failures.append(f"central received {len(mine)} alerts of {node}, expected exactly {N}")
            for a in mine:
                if a.get("output_fields", {}).get("fd.name") != secrets[node] or \
                        a.get("rule") != f"Fleet test secret read {node}" or a.get("priority") != "Warning":
                    failures.append(f"central alert of {node} is not its node's: {a}")
                    break
            if mine and "fleet test read (file=" not in mine[0].get("output", ""):
                failures.append(f"central output lost the node's text: {mine[0].get('output')}")
        others = [a for a in alerts if a.get("hostname") not in nodes]
        if others:
            failures.append(f"central printed alerts of no node: {others[:2]}")
        for node, (p, log) in nodes.items():
            with open(log, errors="replace") as f:
                text = f.read()
            if p.returncode != 0:
                failures.append(f"{node} exited {p.returncode}:\n{text[-2000:]}")

        # One run each, as an operator would: after a server is lost, a
        # consumer create nats-server 2.9 places on it goes unanswered, and
        # kestrel fleet tries again itself (fleet/nats_bus.h, retry_unanswered).
        def fleet_status(*extra):
            return subprocess.run([kestrel, "fleet", "status", *extra, "-o", f"nats.servers={servers}"],
                                  capture_output=True, text=True, timeout=90)
        status = fleet_status("--json")
        table = fleet_status()
        print(table.stdout, table.stderr, flush=True)
        # node-a's event stream from the bus is a capture that replays to its N alerts.
        kcap = os.path.join(tmp, "node-a-events.kcap")
        dump = subprocess.run([kestrel, "fleet", "events", "--node", "node-a", "-w", kcap,
                               "-o", f"nats.servers={servers}"], capture_output=True, text=True, timeout=60)
        print(dump.stdout, dump.stderr, flush=True)
        if dump.returncode != 0 or " 0 sequence gaps" not in dump.stdout:
            failures.append(f"kestrel fleet events: exit {dump.returncode}: {dump.stdout} {dump.stderr}")
        else:
            replay = subprocess.run([kestrel, "-e", kcap, "-r", os.path.join(tmp, "rules-node-a.yaml"),
                                     "-o", "json_output=true"], capture_output=True, text=True, timeout=60)
            replayed = [json.loads(l) for l in replay.stdout.splitlines() if l.startswith("{")]
            if replay.returncode != 0 or len(replayed) != N or \
                    any(a["output_fields"].get("fd.name") != secrets["node-a"] for a in replayed):
                failures.append(f"replaying node-a's events from the bus: exit {replay.returncode}, "
                                f"{len(replayed)} alerts, expected {N}: {replay.stderr[-1500:]}")
            with open(nodes["node-a"][1], errors="replace") as f:
                if "fleet events:" not in f.read():
                    failures.append("node-a did not report its published events")
        if status.returncode != 0:
            failures.append(f"kestrel fleet status exited {status.returncode}: {status.stderr}")
        else:
            rows = {r["node"]: r for r in json.loads(status.stdout)}
            kernel = os.uname().release
            for node in nodes:
                r = rows.get(node)
                if not r:
                    failures.append(f"fleet status lacks {node}: {sorted(rows)}")
                    continue
                if r["kernel"] != kernel or r["source"] != "ebpf" or r["driver"] != "embedded modern eBPF probe":
                    failures.append(f"fleet status row of {node}: {r}")
                if r["alerts_in_window"] != N or r["alerts"] != N or not r["final"]:
                    failures.append(f"fleet status of {node}: alerts_in_window {r['alerts_in_window']}, "
                                    f"alerts {r['alerts']}, final {r['final']}; expected {N}, {N}, true")
                if r["events"] <= 0:
                    failures.append(f"fleet status of {node} counts no events: {r}")
            if "node-a" not in table.stdout or "node-b" not in table.stdout or "ALERTS" not in table.stdout:
                failures.append(f"fleet status table:\n{table.stdout}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        cluster.stop()
    print(f"done in {time.time() - t0:.1f}s", flush=True)
    if failures:
        for f in failures:
            print("FAIL:", f)
        for i in range(3):  # the servers' view: who led what, when
            path = os.path.join(tmp, f"n{i}.log")
            if os.path.exists(path):
                lines = [l for l in open(path, errors="replace") if "leader" in l or "[WRN]" in l or "Slow" in l]
                print(f"--- n{i}.log (leaders, warnings)\n" + "".join(lines[-30:]))
        for name in ("node-a.log", "node-b.log", "central.log"):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                print(f"--- {name}\n" + open(path, errors="replace").read()[-2500:])
        return 1
    if not os.environ.get("FLEET_KEEP"):  # FLEET_KEEP=1: keep the servers' logs of a passing run too
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
