#!/usr/bin/env python3
"""The console's JSON API against a store filled by a real run.

Run 1 replays tests/fixtures/kcap/host.kcap.gz (189 alerts over ten rules
and five priorities) through the real binary with store.replays=true and
JSON alerts on stdout. Run 2 is a second kestrel with the webserver on the
same store: its capture is a FIFO nobody writes to until the end, so it
serves the API for as long as the test needs. Every count and search the
API answers is checked against what run 1 printed.

usage: console_api_test.py KESTREL FIXTURES_DIR WORK_DIR
"""
import collections
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from testkit import check, failures, free_port  # noqa: E402

KESTREL, FIXTURES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]


def api(port, path, **params):
    url = f"http://127.0.0.1:{port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def message_of(a):
    # Falco's JSON `output` is the whole text line: "<time>: <Priority> <message>".
    head = f": {a['priority']} "
    return a["output"].split(head, 1)[1]


def all_pages(port, **filters):
    """Every alert the filter selects, walking the pages by before_id."""
    out, before = [], None
    while True:
        params = dict(filters, limit=37)
        if before is not None:
            params["before_id"] = before
        status, page = api(port, "/api/alerts", **params)
        assert status == 200, page
        out += page["alerts"]
        before = page["next_before_id"]
        if before is None:
            return out


os.makedirs(WORK, exist_ok=True)
store = os.path.join(WORK, "api_test.db")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(store + suffix):
        os.remove(store + suffix)
rules = os.path.join(FIXTURES, "host.yaml")
common = ["-r", rules, "-o", "store.replays=true", "-o", f"store.path={store}"]

# Run 1: the replay that fills the store.
run1 = subprocess.run([KESTREL, "-e", os.path.join(FIXTURES, "host.kcap.gz"), "-o", "json_output=true", *common],
                      capture_output=True, text=True, timeout=120)
if run1.returncode != 0:
    sys.exit(f"run 1 failed ({run1.returncode}): {run1.stderr}")
printed = [json.loads(line) for line in run1.stdout.splitlines() if line.startswith("{")]
check(len(printed) > 100, f"run 1 printed {len(printed)} alerts; the fixture has 189")
check("Output store: %d delivered" % len(printed) in run1.stderr, "run 1's summary: every alert stored")

# Run 2: serves the API on that store while its capture FIFO stays empty.
fifo = os.path.join(WORK, "api_test.fifo")
if os.path.exists(fifo):
    os.remove(fifo)
os.mkfifo(fifo)
port = free_port()
server = subprocess.Popen([KESTREL, "-e", fifo, *common, "-o", "webserver.enabled=true",
                           "-o", f"webserver.listen_port={port}"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    deadline = time.time() + 20
    while True:
        try:
            if api(port, "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            sys.exit("run 2's webserver did not come up: " + (server.stderr.read() if server.poll() is not None else ""))
        time.sleep(0.1)

    # Everything, page by page: the same alerts run 1 printed.
    stored = all_pages(port)
    check(len(stored) == len(printed), f"{len(stored)} alerts stored, {len(printed)} printed")
    check(len({a["id"] for a in stored}) == len(stored), "ids unique across pages")
    check([a["id"] for a in stored] == sorted((a["id"] for a in stored), reverse=True), "newest first")
    # Falco's JSON puts the leading time into output_fields as evt.time;
    # the store keeps it as time_ns.
    def rule_fields(a):
        return json.dumps({k: v for k, v in a["output_fields"].items() if k != "evt.time"}, sort_keys=True)

    key_printed = collections.Counter((a["output_fields"]["evt.time"], a["time"], a["rule"], a["priority"],
                                       a["source"], a["hostname"], message_of(a), rule_fields(a), tuple(a["tags"]))
                                      for a in printed)
    key_stored = collections.Counter((a["time_ns"], a["time"], a["rule"], a["priority"], a["source"], a["hostname"],
                                      a["output"], rule_fields(a), tuple(a["tags"])) for a in stored)
    check(key_printed == key_stored, "stored alerts equal the printed ones field by field: "
          + str(list((key_printed - key_stored).items())[:2]))

    # One by id.
    one = stored[len(stored) // 2]
    status, got = api(port, f"/api/alerts/{one['id']}")
    check(status == 200 and got == one, "/api/alerts/ID returns the listed alert")
    status, _ = api(port, "/api/alerts/999999999")
    check(status == 404, f"an unknown id answers 404, not {status}")
    status, err = api(port, "/api/alerts", priority="Loud")
    check(status == 400 and "priority" in err.get("error", ""), f"a bad priority answers 400 naming it: {err}")

    # Searches against the printed alerts.
    def expect(filters, predicate, what):
        want = sum(1 for a in printed if predicate(a))
        got = len(all_pages(port, **filters))
        check(got == want and (want > 0 or what.endswith("(none)")), f"{what}: API {got}, printed {want}")

    by_rule = collections.Counter(a["rule"] for a in printed)
    for rule in by_rule:
        expect({"rule": rule}, lambda a, r=rule: a["rule"] == r, f"rule={rule}")
    for prio in sorted({a["priority"] for a in printed}):
        expect({"priority": prio}, lambda a, p=prio: a["priority"] == p, f"priority={prio}")
    order = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"]
    expect({"min_priority": "Notice"}, lambda a: order.index(a["priority"]) <= order.index("Notice"), "min_priority=Notice")
    expect({"tag": "network"}, lambda a: "network" in a["tags"], "tag=network")
    expect({"container": "host"}, lambda a: a["output_fields"].get("container.id") == "host", "container=host")
    expect({"source": "syscall"}, lambda a: a["source"] == "syscall", "source=syscall")
    host = printed[0]["hostname"]
    expect({"host": host}, lambda a: a["hostname"] == host, f"host={host}")
    expect({"host": "no-such-node"}, lambda a: False, "host=no-such-node (none)")
    expect({"q": "EVT.TYPE=DUP2"}, lambda a: "evt.type=dup2" in message_of(a).lower(), "q=EVT.TYPE=DUP2")
    expect({"q": "passwd", "rule": "Fixture File Opened"},
           lambda a: "passwd" in message_of(a).lower() and a["rule"] == "Fixture File Opened", "q=passwd & rule")
    times = sorted(a["output_fields"]["evt.time"] for a in printed)
    lo, hi = times[len(times) // 4], times[3 * len(times) // 4]
    expect({"from": lo, "to": hi}, lambda a: lo <= a["output_fields"]["evt.time"] < hi, "from/to (ns)")
    iso = printed[len(printed) // 2]["time"]
    mid_ns = next(a["output_fields"]["evt.time"] for a in printed if a["time"] == iso)
    expect({"from": iso}, lambda a: a["output_fields"]["evt.time"] >= mid_ns, f"from={iso}")

    # Grouped counts over time buckets, by every dimension.
    def expect_counts(by, key_of, bucket_s):
        status, c = api(port, "/api/counts", by=by, bucket=bucket_s)
        check(status == 200, f"/api/counts by={by}: {status} {c}")
        want = collections.Counter()
        for a in printed:
            for k in key_of(a):
                want[(k, a["output_fields"]["evt.time"] // (bucket_s * 10**9) * bucket_s * 10**9)] += 1
        got = collections.Counter()
        for s in c["series"]:
            for t, n in s["buckets"]:
                got[(s["key"], t)] += n
            check(s["total"] == sum(n for _, n in s["buckets"]), f"by={by}: series total is its buckets' sum")
        check(got == want, f"by={by} bucket={bucket_s}s: counts per key and bucket differ")
        check(c["total"] == sum(want.values()), f"by={by}: total")

    expect_counts("rule", lambda a: [a["rule"]], 1)
    expect_counts("priority", lambda a: [a["priority"]], 1)
    expect_counts("host", lambda a: [a["hostname"]], 60)
    expect_counts("source", lambda a: [a["source"]], 60)
    expect_counts("tag", lambda a: a["tags"], 1)
    expect_counts("container", lambda a: [a["output_fields"].get("container.id") or ""], 60)
    status, c = api(port, "/api/counts", by="rule", bucket=1, priority="Warning")
    check(c["total"] == sum(1 for a in printed if a["priority"] == "Warning"), "counts honour the filters")
    status, err = api(port, "/api/counts", by="colour")
    check(status == 400, "an unknown dimension answers 400")

    # State: this node, and the fleet as the store knows it.
    status, state = api(port, "/api/state")
    check(status == 200 and state["node"]["hostname"] == host, "state names this node")
    nodes = {n["host"]: n for n in state["nodes"]}
    check(host in nodes and nodes[host]["alerts"] == len(printed), f"fleet table: {host} with every alert")
    check(state["node"]["kernel"] == os.uname().release, "state carries the kernel release")
finally:
    with open(fifo, "w"):
        pass  # EOF: run 2's capture ends, and with it the run
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        failures.append("run 2 did not exit after its capture ended")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print(f"console API: {len(printed)} alerts, every search and count matches the run's output")
