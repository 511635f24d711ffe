#!/usr/bin/env python3
"""fleet_events_test.py — issue 18's central running rules on every node's
events: nodes publish their event stream to a real `nats-server -js`
(nats.publish_events), a central reads kestrel.*.events
(nats.consume_events) and runs its own rule on them, each node its own
remote domain (vm.name = the node).

  1. One nats-server -js on a loopback port, its store in WORK.
  2. A central: engine.kind=none, nats.consume_events, the rule below,
     JSON alerts on its stdout.
  3. Two nodes, node-a and node-b, replay tests/fixtures/kcap/host.kcap.gz
     (a live eBPF capture of host_workload.sh) with the same rule,
     publishing their events. The rule needs per-node state: proc.name
     comes from the node's snapshot and execs, in the node's own domain.
  4. The central's alerts: exactly as many for each vm.name as that node
     printed itself, each naming the node's domain (vm.name, vm.id
     "stream-<run>", machine.hostname = the node's) and the same file.
  5. The central stops; node-a replays again while it is away; a new
     central with the same durable consumer prints exactly node-a's second
     run's alerts: nothing lost, nothing evaluated twice.
  6. Every message of that second run is published again to the bus (same
     Kestrel-Run/Kestrel-Seq, new Nats-Msg-Id, as a redelivery would
     bring it): the central counts them as duplicates and prints no alert
     more.
  Central 1 also has two fleet.correlations over the read rule keyed on
     fd.name: with nodes: 2 it raises exactly one alert per distinct file
     both nodes read, naming both nodes; with nodes: 3 none.
  7. node-c runs live on the eBPF probe for 4 s; one of its middle
     messages is deleted from the stream; a new central counts exactly
     the records it held as node-c's gap (received + gap = published) and
     one missing message.

usage: fleet_events_test.py KESTREL FIXTURES_DIR WORK_DIR
Needs root (node-c's probe); fails, never skips, without it or nats-server.
"""
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from testkit import check, failures, json_alerts, start_nats_server, stop_process, until  # noqa: E402

KESTREL, FIXTURES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
RULE = """- rule: Fleet events workload read by cat
  desc: cat opening a file of the fixture's workload directory (a `cat /etc/shadow` stand-in)
  condition: evt.type in (open, openat, openat2) and proc.name = cat and fd.name startswith /tmp/kestrel-fixture-host/
  output: workload read (file=%fd.name proc=%proc.name node=%vm.name id=%vm.id host=%machine.hostname)
  priority: WARNING
- rule: Fleet events workload file event
  desc: any event on a file of the workload directory (volume, and the fd table per node)
  condition: fd.name startswith /tmp/kestrel-fixture-host/ and not evt.type in (open, openat, openat2)
  output: workload file event (evt=%evt.type file=%fd.name proc=%proc.name node=%vm.name id=%vm.id host=%machine.hostname)
  priority: NOTICE
"""
# Central 1's fleet.correlations (app/fleet_correlator.h): the same file
# read on two nodes (one alert per file), and on three (never: two nodes).
CORRELATIONS = """fleet:
  correlations:
    - name: Same file read on two nodes
      rule: Fleet events workload read by cat
      key: fd.name
      nodes: 2
      window: 1m
      priority: CRITICAL
    - name: Same file read on three nodes
      rule: Fleet events workload read by cat
      key: fd.name
      nodes: 3
      window: 1m
      priority: CRITICAL
"""
CORRELATION_RULES = ("Same file read on two nodes", "Same file read on three nodes")
children = []


def start(args, out, log):
    p = subprocess.Popen(args, stdout=open(out, "w"), stderr=open(log, "w"), close_fds=True)
    children.append(p)
    return p


class RawNats:
    """Just enough of the NATS client protocol (text, over TCP) to ask
    JetStream's API and to publish with headers: no client library needed."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self._line()  # INFO
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n'
                          b"SUB _INBOX.test 1\r\nPING\r\n")
        while self._line() != b"PONG":
            pass

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise OSError("nats-server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        if line == b"PING":
            self.sock.sendall(b"PONG\r\n")
        return line

    def _take(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def request(self, subject, payload):
        body = json.dumps(payload).encode()
        self.sock.sendall(f"PUB {subject} _INBOX.test {len(body)}\r\n".encode() + body + b"\r\n")
        while True:
            parts = self._line().split()
            if parts and parts[0] == b"MSG":
                return json.loads(self._take(int(parts[-1])))
            if parts and parts[0] == b"HMSG":
                raw = self._take(int(parts[-1]))
                return json.loads(raw[int(parts[-2]):] or b"{}")
            if parts and parts[0] == b"-ERR":
                raise OSError(b" ".join(parts).decode())

    def publish(self, subject, headers, data):
        hdr = ("NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
        self.sock.sendall(f"HPUB {subject} {len(hdr)} {len(hdr) + len(data)}\r\n".encode() + hdr + data + b"\r\n")

    def flush(self):
        self.sock.sendall(b"PING\r\n")
        while self._line() != b"PONG":
            pass


def parse_headers(raw):
    out = {}
    for line in raw.decode(errors="replace").split("\r\n")[1:]:
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k] = v
    return out


def stream_messages(port, subject):
    """Every message of the KESTREL stream on `subject`: (headers, data)."""
    nats = RawNats(port)
    info = nats.request("$JS.API.STREAM.INFO.KESTREL", {})
    out = []
    for seq in range(info["state"]["first_seq"], info["state"]["last_seq"] + 1):
        m = nats.request("$JS.API.STREAM.MSG.GET.KESTREL", {"seq": seq}).get("message")
        if m and m["subject"] == subject:
            out.append((parse_headers(base64.b64decode(m.get("hdrs", ""))), base64.b64decode(m.get("data", ""))))
    return nats, out


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    t0 = time.time()
    nats, port = start_nats_server(WORK, children)
    rules = os.path.join(WORK, "rules.yaml")
    with open(rules, "w") as f:
        f.write(RULE)
    bus = ["-o", f"nats.servers=[nats://127.0.0.1:{port}]", "-o", "containers.enabled=false",
           "-o", "store.enabled=false"]
    json_out = ["-o", "json_output=true", "-o", "stdout_output.enabled=true"]
    capture = os.path.join(FIXTURES, "host.kcap.gz")

    correlations = os.path.join(WORK, "correlations.yaml")
    with open(correlations, "w") as f:
        f.write(CORRELATIONS)

    def central(tag, config=()):
        out, log = os.path.join(WORK, f"central-{tag}.out"), os.path.join(WORK, f"central-{tag}.log")
        p = start([KESTREL, *config, "-r", rules, "-o", "engine.kind=none", "-o", "nats.consume_events=true",
                   "-o", "nats.publish_alerts=false", "-o", "nats.node=central", "--stats", *json_out, *bus], out, log)
        until(f"central {tag} capturing", lambda: "kestrel: capturing" in open(log).read(), 20, p)
        return p, out, log

    def node(name):
        r = subprocess.run([KESTREL, "-e", capture, "-r", rules, "-o", f"nats.node={name}",
                            "-o", "nats.publish_events=true", "-o", "nats.publish_alerts=false", *json_out, *bus],
                           capture_output=True, text=True, timeout=60, close_fds=True)
        if r.returncode != 0 or "fleet events:" not in r.stderr:
            raise RuntimeError(f"node {name} replay failed ({r.returncode}): {r.stderr[-2000:]}")
        return [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]

    def wait_alerts(out, expected, proc):
        def enough():
            got = json_alerts(out)
            return all(sum(1 for a in got if a["output_fields"].get("vm.name") == n) >= c for n, c in expected.items())
        try:
            until("the central's alerts", enough, 30, proc)
        except RuntimeError as e:
            print(e, flush=True)
        time.sleep(1.5)  # a duplicate arriving late would show now

    # Phase 1: two nodes, one central.
    c1, c1_out, c1_log = central("1", ["-c", correlations])
    own = {n: node(n) for n in ("node-a", "node-b")}
    counts = {n: len(a) for n, a in own.items()}
    check(all(c > 0 for c in counts.values()), f"the nodes' own alerts: {counts}")
    wait_alerts(c1_out, counts, c1)
    stop_process(c1)
    got = json_alerts(c1_out)
    correlated = [a for a in got if a["rule"] in CORRELATION_RULES]
    got = [a for a in got if a["rule"] not in CORRELATION_RULES]
    hostname = own["node-a"][0]["output_fields"].get("machine.hostname") if own["node-a"] else None
    for n, c in counts.items():
        mine = [a for a in got if a["output_fields"].get("vm.name") == n]
        check(len(mine) == c, f"central 1: {len(mine)} alerts of {n}, the node itself printed {c}")
        def what(alerts):
            return sorted((a["rule"], a["output_fields"]["fd.name"], a["output_fields"].get("evt.type", "")) for a in alerts)
        check(what(mine) == what(own[n]), f"central 1: {n}'s alerts are not the node's own: {what(mine)}")
        ids = {a["output_fields"].get("vm.id") for a in mine}
        check(len(ids) == 1 and all(i and i.startswith("stream-") for i in ids), f"central 1: {n}'s vm.id: {ids}")
        check(all(a["output_fields"].get("machine.hostname") == hostname for a in mine),
              f"central 1: {n}'s machine.hostname is not the node's ({hostname})")
    check(len(got) == sum(counts.values()), f"central 1 printed {len(got)} alerts, expected {sum(counts.values())}")
    log1 = open(c1_log).read()
    check("is node 'node-a'" in log1 and "is node 'node-b'" in log1, "central 1 did not log both nodes' domains")
    # The correlations: one alert per file both nodes' read rule named.
    def files_read(alerts):
        return {a["output_fields"]["fd.name"] for a in alerts if a["rule"] == "Fleet events workload read by cat"}
    both = files_read(own["node-a"]) & files_read(own["node-b"])
    two = [a for a in correlated if a["rule"] == CORRELATION_RULES[0]]
    check(both and sorted(a["output_fields"].get("fd.name") for a in two) == sorted(both),
          f"central 1: correlation alerts for {sorted(a['output_fields'].get('fd.name') for a in two)}, "
          f"expected one for each of {sorted(both)}")
    check(all(a["output_fields"].get("fleet.nodes") == "node-a, node-b" and a["priority"] == "Critical"
              and "on 2 nodes within 1m (node-a, node-b)" in a["output"] for a in two),
          f"central 1: correlation alerts do not name both nodes: {two[:2]}")
    check(not [a for a in correlated if a["rule"] == CORRELATION_RULES[1]],
          "central 1: the three-node correlation raised with two nodes")
    check(f"correlation_alerts: {len(both)}" in log1, f"central 1's --stats does not count {len(both)} correlation alerts")

    # Phase 2: node-a runs again while the central is away; the durable
    # consumer gives the new central exactly what it had not taken.
    again = node("node-a")
    c2, c2_out, c2_log = central("2")
    wait_alerts(c2_out, {"node-a": len(again)}, c2)
    got2 = json_alerts(c2_out)
    check(len(got2) == len(again) and all(a["output_fields"].get("vm.name") == "node-a" for a in got2),
          f"central 2 printed {len(got2)} alerts ({sorted({a['output_fields'].get('vm.name') for a in got2})}), "
          f"expected node-a's second run's {len(again)} only")

    # Phase 3: node-a's second run published again, as redeliveries.
    raw, msgs = stream_messages(port, "kestrel.node-a.events")
    runs = sorted({h.get("Kestrel-Run") for h, _ in msgs})
    second = [(h, d) for h, d in msgs if h.get("Kestrel-Run") == runs[-1]]
    check(len(runs) == 2 and second, f"node-a's runs on the bus: {runs}")
    for h, d in second:
        raw.publish("kestrel.node-a.events", {"Kestrel-Run": h["Kestrel-Run"], "Kestrel-Seq": h["Kestrel-Seq"],
                                              "Nats-Msg-Id": "replayed-" + h["Kestrel-Run"] + "-" + h["Kestrel-Seq"]}, d)
    raw.flush()
    time.sleep(3)
    stop_process(c2)
    got2 = json_alerts(c2_out)
    check(len(got2) == len(again), f"central 2 printed {len(got2)} alerts after the republish, expected {len(again)}")
    log2 = open(c2_log).read()
    dup = [l for l in log2.splitlines() if "duplicates" in l]
    check(any(f"duplicates={len(second)}" in l or f"duplicates: {len(second)}" in l for l in dup),
          f"central 2 does not count {len(second)} duplicates: {dup}")

    # Phase 4: a gap. node-c runs live on the eBPF probe for a few seconds
    # (a message every 200 ms); one of its middle messages is deleted from
    # the stream before a central reads them: the central counts exactly
    # the records that message held as node-c's gap.
    r = subprocess.run([KESTREL, "-r", rules, "-o", "engine.kind=ebpf", "-o", "nats.node=node-c", "-M", "4",
                        "-o", "nats.publish_events=true", "-o", "nats.publish_alerts=false",
                        "-o", "stdout_output.enabled=false", *bus], capture_output=True, text=True, timeout=90,
                       close_fds=True)
    published = re.search(r"fleet events: (\d+) events in (\d+) messages", r.stderr)
    check(r.returncode == 0 and published and int(published.group(2)) >= 4,
          f"node-c live: exit {r.returncode}, {published and published.group(0)}: {r.stderr[-1500:]}")
    if published and int(published.group(2)) >= 4:
        raw = RawNats(port)
        info = raw.request("$JS.API.STREAM.INFO.KESTREL", {})["state"]
        seqs = []
        for seq in range(info["first_seq"], info["last_seq"] + 1):
            m = raw.request("$JS.API.STREAM.MSG.GET.KESTREL", {"seq": seq}).get("message")
            if m and m["subject"] == "kestrel.node-c.events":
                seqs.append(seq)
        victim = seqs[len(seqs) // 2]
        deleted = raw.request("$JS.API.STREAM.MSG.DELETE.KESTREL", {"seq": victim, "no_erase": True})
        check(deleted.get("success"), f"deleting message {victim}: {deleted}")
        c3, c3_out, c3_log = central("3")
        until("central 3 reading node-c's end", lambda: "node 'node-c' ended its stream" in open(c3_log).read(), 60, c3)
        time.sleep(1)
        stop_process(c3)
        log3 = open(c3_log).read()
        received = re.search(r"nats\.node-c\.received: (\d+)", log3)
        gap = re.search(r"dropped (\d+) \(gap:node-c\)", log3)
        missing = re.search(r"missing_messages: (\d+)", log3)
        total = int(published.group(1))
        check(received and gap and int(gap.group(1)) > 0 and int(received.group(1)) + int(gap.group(1)) == total,
              f"central 3: node-c published {total} events; received {received and received.group(1)}, "
              f"gap {gap and gap.group(1)}")
        check(missing and missing.group(1) == "1", f"central 3: missing messages {missing and missing.group(1)}, expected 1")

    for p in children:
        if p is not nats:
            stop_process(p)
    stop_process(nats)
    print(f"done in {time.time() - t0:.1f}s; node alerts {counts}, second run {len(again)}", flush=True)
    if failures:
        for name in ("central-1.log", "central-2.log"):
            print(f"--- {name}\n" + open(os.path.join(WORK, name), errors="replace").read()[-3000:])
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        for p in children:
            if p.poll() is None:
                p.kill()
                p.wait()
    sys.exit(rc)
