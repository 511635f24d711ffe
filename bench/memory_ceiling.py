#!/usr/bin/env python3
"""RSS of the live eBPF collector with the default rules (issue #19).

Phases, each measured after the previous one (VmRSS from /proc/PID/status,
the accounted state bytes and evictions from /metrics):
  idle       a few seconds after "capturing"
  churn      after 20,000 short-lived processes (/bin/true in a loop)
  fds1       one helper process holding as many fds as RLIMIT_NOFILE's hard
             limit allows, up to 100,000 (raising the hard limit needs
             CAP_SYS_RESOURCE; the fd table keeps state.max_fds_per_process)
  fds25      25 processes holding 4,000 fds each (100,000 fds tracked: a
             parent opens them and forks 24 children that inherit them)
once without a ceiling and once with engine.memory_limit_mb, and prints a
table. Root, a BTF kernel; run it alone, under the lock:

  flock /tmp/kestrel-heavy.lock python3 bench/memory_ceiling.py [BUILD_DIR] [LIMIT_MB]

BPF maps and ring buffers are kernel memory, not in VmRSS (the ring
buffers' mmap of consumer pages is, and is small).
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD_DIR = sys.argv[1] if len(sys.argv) > 1 else "build"
LIMIT_MB = int(sys.argv[2]) if len(sys.argv) > 2 else 8
KESTREL = os.path.join(BUILD_DIR, "app", "kestrel")
PORT = 19700 + os.getpid() % 200

FD_HOLDER = r"""
import os, resource, sys, time
per, children, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
want = per + 100 if hard == resource.RLIM_INFINITY else min(per + 100, hard)
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard) if hard != resource.RLIM_INFINITY else hard))
except (ValueError, OSError):  # no CAP_SYS_RESOURCE: up to the hard limit
    want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(min(per, want - 100))]
with open(ready + ".count", "w") as f:
    f.write(str(len(fds)))
for _ in range(children):
    if os.fork() == 0:
        time.sleep(3600)
        os._exit(0)
open(ready, "w").close()
time.sleep(3600)
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metrics():
    text = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=10).read().decode()
    def values(name):
        return {m.group(1): float(m.group(2))
                for m in re.finditer(name + r'\{table="(\w+)"\} ([0-9.e+]+)', text)}
    return sum(values("kestrel_state_memory_bytes").values()), values("kestrel_state_memory_evictions_total")


def settle(pid, seconds=3):
    """Waits until the collector's RSS stops growing (the engine has drained)."""
    last = -1
    for _ in range(seconds * 10):
        time.sleep(0.5)
        now = rss_kib(pid)
        if now == last:
            break
        last = now


def run(limit_mb, work):
    err_path = os.path.join(work, f"err{limit_mb}")
    err = open(err_path, "w")
    args = [KESTREL, "-o", "engine.kind=ebpf", "-o", "json_output=true", "-o", "webserver.enabled=true",
            "-o", f"webserver.listen_port={PORT}", "-o", f"engine.memory_limit_mb={limit_mb}"]
    k = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, pass_fds=())
    helpers = []
    rows = {}
    try:
        for _ in range(900):
            if "kestrel: capturing" in open(err_path).read():
                break
            time.sleep(0.1)
        else:
            raise SystemExit("kestrel did not start: " + open(err_path).read())
        time.sleep(5)
        def sample(phase):
            settle(k.pid)
            accounted, evictions = metrics()
            rows[phase] = (rss_kib(k.pid), accounted, evictions)
        sample("idle")
        rows["idle"] += ("idle",)
        subprocess.run(["sh", "-c", "i=0; while [ $i -lt 20000 ]; do /bin/true; i=$((i+1)); done"], check=True)
        sample("churn")
        rows["churn"] += ("after 20,000 processes",)
        for phase, per, children in (("fds1", 100000, 0), ("fds25", 4000, 24)):
            ready = os.path.join(work, f"ready_{limit_mb}_{phase}")
            h = subprocess.Popen([sys.executable, "-c", FD_HOLDER, str(per), str(children), ready],
                                 start_new_session=True)
            helpers.append(h)
            while not os.path.exists(ready):
                time.sleep(0.1)
            held = int(open(ready + ".count").read())
            sample(phase)
            rows[phase] += (f"{phase} ({held * (children + 1)} fds in {children + 1} proc)",)
            os.killpg(h.pid, signal.SIGKILL)
            h.wait()
    finally:
        for h in helpers:
            try:
                os.killpg(h.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            h.wait()
        k.send_signal(signal.SIGTERM)
        k.wait()
    return rows


def main():
    if os.geteuid() != 0:
        raise SystemExit("needs root (the eBPF probe)")
    with tempfile.TemporaryDirectory(prefix="kestrel_memceiling_") as work:
        runs = {0: run(0, work), LIMIT_MB: run(LIMIT_MB, work)}
    mib = lambda kib: kib / 1024
    print(f"{'phase':<32} | {'RSS, no limit':>13} | {'state, no limit':>15} | "
          f"{'RSS, ' + str(LIMIT_MB) + ' MiB limit':>18} | {'state, limit':>12} | evicted for the limit")
    for phase in ("idle", "churn", "fds1", "fds25"):
        a, b = runs[0][phase], runs[LIMIT_MB][phase]
        evicted = ", ".join(f"{t}={int(n)}" for t, n in sorted(b[2].items()) if n)
        print(f"{a[3]:<32} | {mib(a[0]):9.1f} MiB | {a[1] / 2**20:11.2f} MiB | {mib(b[0]):14.1f} MiB | "
              f"{b[1] / 2**20:8.2f} MiB | {evicted or '-'}")


if __name__ == "__main__":
    main()
