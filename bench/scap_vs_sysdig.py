#!/usr/bin/env python3
"""Kestrel vs sysdig on the same large .scap capture, whole-process wall time.

1. Produces a large capture with Kestrel itself: the collector runs live
   (engine.kind=ebpf, -A -w big.scap) while a syscall-heavy workload runs
   (dd with 1-byte reads and writes, plus repeated `cat` of a marker file so
   the filter has matches). Size is a parameter (SCAP_BENCH_RECORDS, the
   number of dd reads; the capture holds about 4 scap events per dd
   read/write pair, ~60 bytes each).
2. For each of two filters, times, alternating, REPS times each:
     sysdig -r big.scap -p "%evt.num" "<filter>" > /dev/null
     kestrel -e big.scap -r rules-<name>.yaml > /dev/null   (rule condition = filter)
   and reports the medians and the ratio (target: Kestrel >= 5x faster).
   The filters: "open" matches the marker file's opens by cat (a rare event
   type: Kestrel's replay passes over the reads and writes unconverted);
   "read" asks for read exits on a file never read (every read of the
   capture is converted and evaluated, none matches). Both tools print their
   matches; both are checked, outside the timed runs, to find the same
   number of matching events.

Usage: scap_vs_sysdig.py KESTREL_BINARY
Environment: SCAP_BENCH_DIR (default /tmp/kestrel-scap-bench), SCAP_BENCH_RECORDS
(default 1500000), SCAP_BENCH_REPS (default 3), SCAP_BENCH_KEEP=1 keeps an
existing big.scap instead of recording a new one. Needs root (live eBPF) and
sysdig. Output is only ever redirected by the shell; no tool is given
/dev/null as an output file.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

FILTERS = [
    ("open", "evt.type in (open,openat) and evt.dir=< and fd.name=/etc/hostname and proc.name=cat"),
    ("read", "evt.type=read and evt.dir=< and fd.name=/nonexistent"),
]


def run(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=False, **kw)


def timed(cmd):
    start = time.monotonic()
    r = run(cmd + " > /dev/null 2>&1")
    elapsed = time.monotonic() - start
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {cmd}")
    return elapsed


def record(kestrel, work, scap, n):
    """Kestrel live -A -w scap while dd and cat run; returns its stderr."""
    if os.path.exists(scap):
        os.unlink(scap)
    err_path = os.path.join(work, "record.err")
    with open(err_path, "w") as err:
        k = subprocess.Popen([kestrel, "-o", "engine.kind=ebpf", "-A", "-w", scap, "-M", "600"],
                             stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 120
    while "kestrel: capturing" not in open(err_path).read():
        if k.poll() is not None or time.monotonic() > deadline:
            sys.exit("kestrel did not start capturing:\n" + open(err_path).read())
        time.sleep(0.2)
    run(f"for i in $(seq 200); do cat /etc/hostname; done > /dev/null")
    run(f"dd if=/dev/zero bs=1 count={n} status=none | cat > /dev/null")
    time.sleep(1)
    k.send_signal(2)  # SIGINT: the capture is closed and complete
    k.wait(timeout=600)
    return open(err_path).read()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    kestrel = sys.argv[1]
    if shutil.which("sysdig") is None:
        sys.exit("sysdig is not installed (scripts/install-deps.sh installs it)")
    work = os.environ.get("SCAP_BENCH_DIR", "/tmp/kestrel-scap-bench")
    n = int(os.environ.get("SCAP_BENCH_RECORDS", "1500000"))
    reps = int(os.environ.get("SCAP_BENCH_REPS", "3"))
    os.makedirs(work, exist_ok=True)
    scap = os.path.join(work, "big.scap")
    if not (os.environ.get("SCAP_BENCH_KEEP") == "1" and os.path.exists(scap)):
        summary = record(kestrel, work, scap, n)
        print("recording:", " | ".join(l for l in summary.splitlines()
                                        if l.startswith(("Source", "Recorded", "Not recorded"))))
    size = os.path.getsize(scap)
    ratios = []
    for name, flt in FILTERS:
        ratios.append((name, compare(kestrel, work, scap, size, name, flt, reps)))
    print("summary: " + ", ".join(f"{name} filter {r:.2f}x" for name, r in ratios) +
          f" (target >= 5x on each: {'met' if all(r >= 5 for _, r in ratios) else 'NOT met'})")


def compare(kestrel, work, scap, size, name, flt, reps):
    """Times sysdig and Kestrel on `flt`; prints the numbers, returns the ratio."""
    rules = os.path.join(work, f"rules-{name}.yaml")
    with open(rules, "w") as f:
        f.write(f"- rule: bench filter\n  desc: the sysdig filter as a rule\n  condition: {flt}\n"
                "  output: \"%evt.num %proc.name %fd.name\"\n  priority: WARNING\n")

    sysdig_cmd = f'sysdig -r {scap} -p "%evt.num" "{flt}"'
    kestrel_cmd = f"{kestrel} -e {scap} -r {rules}"
    # Same work: the number of matches and of events.
    s_out = run(sysdig_cmd, capture_output=True, text=True).stdout
    k_run = run(kestrel_cmd + " -o json_output=true --stats", capture_output=True, text=True)
    s_matches = sum(1 for l in s_out.splitlines() if l.strip())
    k_matches = sum(1 for l in k_run.stdout.splitlines() if l.startswith("{"))
    # Every scap event in the file: those converted and those the replay's
    # event-type filter passed over (--stats counters).
    counters = {}
    for l in k_run.stderr.splitlines():
        if l.strip().startswith("scap_events_") and ":" in l:
            key, value = l.strip().split(":", 1)
            counters[key] = int(value)
    events = counters.get("scap_events_read", 0) + counters.get("scap_events_filtered", 0)
    print(f"== {name} filter: {flt}")
    print(f"capture: {scap}, {size / 1e6:.0f} MB, {events} scap events "
          f"({counters.get('scap_events_filtered', 0)} passed over by Kestrel's event-type filter)")
    print(f"matches: sysdig {s_matches}, kestrel {k_matches}")
    if s_matches != k_matches:
        print("WARNING: the two disagree on the matches")

    t_sysdig, t_kestrel = [], []
    for _ in range(reps):
        t_sysdig.append(timed(sysdig_cmd))
        t_kestrel.append(timed(kestrel_cmd))
    ms, mk = statistics.median(t_sysdig), statistics.median(t_kestrel)
    print(f"sysdig:  {sysdig_cmd} > /dev/null")
    print(f"         runs {', '.join(f'{t:.2f}' for t in t_sysdig)} s, median {ms:.2f} s")
    print(f"kestrel: {kestrel_cmd} > /dev/null")
    print(f"         runs {', '.join(f'{t:.2f}' for t in t_kestrel)} s, median {mk:.2f} s")
    ratio = ms / mk if mk > 0 else float("inf")
    print(f"ratio sysdig/kestrel ({name} filter): {ratio:.2f}x (target >= 5x): {'met' if ratio >= 5 else 'NOT met'}")
    return ratio

if __name__ == "__main__":
    main()
