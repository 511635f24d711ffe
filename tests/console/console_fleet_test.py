#!/usr/bin/env python3
"""The console's fleet table on a central Kestrel, through the real
binaries and one real `nats-server -js` on a loopback port.

  1. nats-server -js (its store in WORK), nothing else shared.
  2. A central: engine.kind=none, nats.consume_alerts, the store and the
     webserver on. It keeps every node's newest status in the store's
     nodes table.
  3. A node: a replay of tests/fixtures/kcap/host.kcap.gz publishing its
     alerts and its status (nats.node=node-r), with engine.kmod.index
     naming a driver index this test writes: a built and verified module
     for this kernel, so the node reports driver_proven=true.
  4. What the node published, read back from the bus by `kestrel fleet
     status --json` (the node's last status message, as sent), must be
     what /api/state's `nodes` row for node-r says: kernel, source,
     driver, driver_proven, events, events/s, drops, status time, exited.
     Its alert counts must be the alerts the node printed.
  5. The central stops, the bus stops; a Kestrel with only the store and
     the webserver (no bus) still lists node-r the same (the nodes table).

usage: console_fleet_test.py KESTREL FIXTURES_DIR WORK_DIR
Fails, never skips, without nats-server.
"""
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from testkit import check, failures, free_port, start_nats_server, stop_process, until  # noqa: E402

KESTREL, FIXTURES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
NODE = "node-r"
children = []


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def start(args, log):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(log, "w"), close_fds=True)
    children.append(p)
    return p


def write_driver_index(directory):
    """A driver index holding a built, verified module for this kernel."""
    artifact = os.path.join(directory, "kestrel_test.ko")
    with open(artifact, "wb") as f:
        f.write(b"not a real module: the replay node never loads it\n")
    digest = hashlib.sha256(open(artifact, "rb").read()).hexdigest()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    index = os.path.join(directory, "index.json")
    with open(index, "w") as f:
        json.dump({"schema": "kestrel-driverkit-index/1", "kernels": [{
            "kernelrelease": os.uname().release, "kernelversion": "1", "target": "debian", "architecture": arch,
            "status": "ok", "artifact": "kestrel_test.ko", "size": os.path.getsize(artifact), "sha256": digest,
            "build_seconds": 0, "verified": True, "verify": None, "error": "", "log": ""}]}, f)
    return index


def node_row(port):
    state = get_json(f"http://127.0.0.1:{port}/api/state")
    return next((n for n in state["nodes"] if n["host"] == NODE), None)


def compare(row, published, printed, where):
    """The API's row against the status message and the node's alerts."""
    check(row is not None, f"{where}: /api/state lists no {NODE}")
    if row is None:
        return
    for api_key, status_key in (("kernel", "kernel"), ("source", "source"), ("events", "events"),
                                ("events_per_second", "events_per_s"), ("drops", "drops"),
                                ("last_seen_ns", "time"), ("exited", "final")):
        check(row.get(api_key) == published[status_key],
              f"{where}: {api_key} {row.get(api_key)!r}, the node published {status_key} {published[status_key]!r}")
    check(row.get("driver", {}).get("description") == published["driver"],
          f"{where}: driver {row.get('driver')}, published {published['driver']!r}")
    check(row.get("driver", {}).get("proven") is True and published.get("driver_proven") is True,
          f"{where}: driver proven: API {row.get('driver')}, published {published.get('driver_proven')}")
    check(row.get("alerts") == len(printed), f"{where}: {row.get('alerts')} alerts stored, the node printed {len(printed)}")
    hour_ago = time.time() - 3600
    recent = sum(1 for a in printed if a["output_fields"]["evt.time"] / 1e9 >= hour_ago)
    check(row.get("alerts_last_hour") == recent, f"{where}: alerts_last_hour {row.get('alerts_last_hour')}, expected {recent}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    t0 = time.time()
    nats, nats_port = start_nats_server(WORK, children)
    bus = ["-o", f"nats.servers=[nats://127.0.0.1:{nats_port}]", "-o", "nats.status_interval=1s"]
    store = os.path.join(WORK, "central.db")
    quiet = ["-o", "containers.enabled=false", "-o", "stdout_output.enabled=false"]

    central_port = free_port()
    central_log = os.path.join(WORK, "central.log")
    central = start([KESTREL, "-o", "engine.kind=none", "-o", "nats.consume_alerts=true", "-o", "nats.publish_alerts=false",
                     "-o", "nats.node=central", "-o", f"store.path={store}", "-o", "webserver.enabled=true",
                     "-o", f"webserver.listen_port={central_port}", *quiet, *bus], central_log)
    until("the central capturing", lambda: "kestrel: capturing" in open(central_log).read(), 20, central)

    index = write_driver_index(WORK)
    node = subprocess.run([KESTREL, "-e", os.path.join(FIXTURES, "host.kcap.gz"), "-r", os.path.join(FIXTURES, "host.yaml"),
                           "-o", "json_output=true", "-o", f"nats.node={NODE}", "-o", f"engine.kmod.index={index}", *bus],
                          capture_output=True, text=True, timeout=60, close_fds=True)
    if node.returncode != 0:
        sys.exit(f"the node's replay failed ({node.returncode}): {node.stderr[-2000:]}")
    printed = [json.loads(line) for line in node.stdout.splitlines() if line.startswith("{")]
    check(len(printed) > 100, f"the node printed {len(printed)} alerts; the fixture has 189")

    # What the node published, as `kestrel fleet status` reads it off the bus.
    status = subprocess.run([KESTREL, "fleet", "status", "--json", *bus], capture_output=True, text=True, timeout=30,
                            close_fds=True)
    if status.returncode != 0:
        sys.exit(f"kestrel fleet status failed ({status.returncode}): {status.stderr}")
    published = next((r for r in json.loads(status.stdout) if r["node"] == NODE), None)
    if published is None:
        sys.exit(f"kestrel fleet status lists no {NODE}: {status.stdout}")
    print(f"{NODE} published: {json.dumps(published)}", flush=True)
    check(published["final"] and published["source"] == "capture" and published["kernel"] == os.uname().release,
          f"the node's last status: {published}")

    # The central has it (its final status, and every alert) soon after.
    try:
        until("the central's row for the node's last status and alerts",
              lambda: (lambda r: r and r.get("exited") and r.get("alerts") == len(printed))(node_row(central_port)),
              15, central)
    except RuntimeError as e:
        print(e, flush=True)
    compare(node_row(central_port), published, printed, "central")
    stop_process(central)
    central_text = open(central_log).read()
    check(re.search(r"fleet: \d+ node statuses received, 0 malformed, 0 not stored", central_text) is not None,
          "the central's summary counts statuses received and none lost: " + central_text[-1500:])
    stop_process(nats)

    # After a restart, without the bus: the store's nodes table.
    fifo = os.path.join(WORK, "idle.fifo")
    os.mkfifo(fifo)
    port = free_port()
    viewer_log = os.path.join(WORK, "viewer.log")
    viewer = start([KESTREL, "-e", fifo, "-o", "store.replays=true", "-o", f"store.path={store}",
                    "-o", "webserver.enabled=true", "-o", f"webserver.listen_port={port}", *quiet], viewer_log)
    try:
        until("the restarted console", lambda: get_json(f"http://127.0.0.1:{port}/api/state"), 20, viewer)
        compare(node_row(port), published, printed, "after a restart, no bus")

    finally:
        with open(fifo, "w"):
            pass  # EOF: the viewer's capture ends, and with it the run
        try:
            viewer.wait(timeout=20)
        except subprocess.TimeoutExpired:
            failures.append("the viewer did not exit after its capture ended")
    print(f"done in {time.time() - t0:.1f}s", flush=True)


try:
    main()
except Exception as e:  # noqa: BLE001 — any failure is the test's failure, with the logs
    failures.append(f"{type(e).__name__}: {e}")
finally:
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()
if failures:
    for f in failures:
        print("FAIL:", f)
    for name in ("central.log", "viewer.log", "nats.log"):
        path = os.path.join(WORK, name)
        if os.path.exists(path):
            print(f"--- {name}\n" + open(path, errors="replace").read()[-2000:])
    sys.exit(f"{len(failures)} check(s) failed")
print("console fleet: the central's fleet table says what the node published, after a restart too")
