#!/usr/bin/env python3
"""fleet_bus_bench.py — node → bus throughput (issue 18): how fast one
Kestrel publishes alerts and its event stream to a three-server NATS
JetStream cluster (stream with three replicas, loopback), and the CPU
each costs.

  1. Record a workload capture live (eBPF, -A, `cat` and `ls` in a loop).
  2. Replay it (-e) three ways, REPEAT times each, medians:
     base    no bus: the replay's own cost;
     events  nats.publish_events: every event to kestrel.<node>.events;
     alerts  a rule matching every openat: every such alert to
             kestrel.<node>.alerts (acked publish each, at-least-once).
  3. Report events/s and alerts/s (the whole run until the last ack), and
     the CPU (user + system of the kestrel process) per event or per alert
     over the base run.
  4. bus -> central: a central Kestrel (engine.kind=none,
     nats.consume_events, a fresh durable consumer) reads every event the
     `events` runs left on the bus, each run a node domain, through its
     rules: events/s from its start of capture to the last run's end
     frame, and its CPU per event.

Usage: fleet_bus_bench.py KESTREL WORKDIR [REPEAT]
"""
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fleet"))
from nats_cluster import NatsCluster  # noqa: E402

RULE = """- rule: Bench every openat
  desc: an alert for every openat
  condition: evt.type = openat
  output: opened (file=%fd.name proc=%proc.name)
  priority: NOTICE
"""
NO_RULE = """- rule: Bench never
  desc: matches nothing
  condition: evt.type = openat and proc.name = no-such-process-name
  output: never
  priority: NOTICE
"""


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[:3]}... exited {p.returncode}: {p.stderr[-2000:]}")
    return wall, cpu, p.stderr


def number(pattern, text):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else 0


def central(kestrel, rules, bus, tmp, runs):
    """A central draining the `runs` node runs on the bus: (events, wall, cpu)."""
    log = os.path.join(tmp, "central.log")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen([kestrel, "-r", rules, "-o", "engine.kind=none", "-o", "nats.consume_events=true",
                          "-o", f"nats.events_durable=bench-{os.getpid()}", "-o", "nats.publish_alerts=false",
                          "-o", "nats.node=bench-central", "-o", "stdout_output.enabled=false",
                          "-o", "containers.enabled=false", "-o", "store.enabled=false"] + bus,
                         stdout=subprocess.DEVNULL, stderr=open(log, "w"), close_fds=True)
    try:
        start = end = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None:
            text = open(log, errors="replace").read()
            if start is None and "kestrel: capturing" in text:
                start = time.monotonic()
            # Each run's last message carries its end frame.
            if start is not None and text.count("node 'bench-events' ended its stream") >= runs:
                end = time.monotonic()
                break
            time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = open(log, errors="replace").read()
    if start is None or end is None:
        raise RuntimeError(f"the central did not drain the bus: {text[-2000:]}")
    return number(r"Source nats-events: (\d+) events", text), end - start, cpu


def main():
    kestrel, workdir = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(workdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="fleet-bench-", dir=workdir)
    capture = os.path.join(tmp, "workload.kcap")
    rec = subprocess.Popen([kestrel, "-o", "engine.kind=ebpf", "-A", "-w", capture, "-M", "6",
                            "-o", "stdout_output.enabled=false", "-o", "containers.enabled=false"],
                           stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    end = time.time() + 3
    while time.time() < end:
        subprocess.run(["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do cat /etc/hostname /etc/os-release; ls /etc; done"],
                       stdout=subprocess.DEVNULL)
    rec.wait()
    rules = {}
    for name, text in (("every", RULE), ("never", NO_RULE)):
        rules[name] = os.path.join(tmp, f"{name}.yaml")
        with open(rules[name], "w") as f:
            f.write(text)

    cluster = NatsCluster(tmp)
    cluster.start()
    try:
        cluster.ready()
        servers = "[" + ",".join(cluster.urls) + "]"
        bus = ["-o", f"nats.servers={servers}", "-o", "nats.replicas=3", "-o", "output_timeout=60000"]
        quiet = ["-o", "stdout_output.enabled=false"]
        results = {}
        for label, cmd in (
                ("base", [kestrel, "-e", capture, "-r", rules["never"]] + quiet),
                ("events", [kestrel, "-e", capture, "-r", rules["never"], "-o", "nats.publish_events=true",
                            "-o", "nats.node=bench-events"] + bus + quiet),
                ("base_alerts", [kestrel, "-e", capture, "-r", rules["every"]] + quiet),
                ("alerts", [kestrel, "-e", capture, "-r", rules["every"], "-o", "nats.node=bench-alerts"] + bus + quiet)):
            walls, cpus, log = [], [], ""
            for _ in range(repeat):
                wall, cpu, log = run(cmd)
                walls.append(wall)
                cpus.append(cpu)
            results[label] = (statistics.median(walls), statistics.median(cpus), log)
        events = number(r"Events processed: (\d+)", results["base"][2])
        alerts = number(r"Alerts: (\d+)", results["alerts"][2])
        published = number(r"fleet events: (\d+) events", results["events"][2])
        delivered = number(r"Output nats: (\d+) delivered", results["alerts"][2])
        w_b, c_b, _ = results["base"]
        w_e, c_e, _ = results["events"]
        w_ba, c_ba, _ = results["base_alerts"]
        w_a, c_a, _ = results["alerts"]
        print(f"capture: {events} events; three-server JetStream cluster, stream R3, loopback; "
              f"medians of {repeat}")
        print(f"replay, no bus:         {w_b:.3f} s wall, {c_b:.3f} s CPU")
        print(f"events to the bus:      {w_e:.3f} s wall, {c_e:.3f} s CPU; {published} events published "
              f"-> {published / w_e:,.0f} events/s; +{(c_e - c_b) / max(published, 1) * 1e9:,.0f} ns CPU per event")
        print(f"replay, alerts to stdout off: {w_ba:.3f} s wall, {c_ba:.3f} s CPU; {alerts} alerts")
        print(f"alerts to the bus:      {w_a:.3f} s wall, {c_a:.3f} s CPU; {delivered} delivered (acked) "
              f"-> {delivered / w_a:,.0f} alerts/s; +{(c_a - c_ba) / max(delivered, 1) * 1e6:,.1f} us CPU per alert")
        consumed, w_c, c_c = central(kestrel, rules["never"], bus, tmp, repeat)
        print(f"bus to a central:       {w_c:.3f} s wall, {c_c:.3f} s CPU; {consumed} events read and evaluated "
              f"-> {consumed / max(w_c, 1e-9):,.0f} events/s; {c_c / max(consumed, 1) * 1e9:,.0f} ns CPU per event "
              f"(the {repeat} runs' backlog, each its own domain)")
        if consumed != published * repeat:
            print(f"MISMATCH: the central read {consumed} events, the nodes published {published} x {repeat}")
            return 1
        if published != events or delivered != alerts:
            print(f"MISMATCH: published {published} of {events} events, delivered {delivered} of {alerts} alerts")
            return 1
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
