"""What the Python integration tests share: named checks, a free port,
waiting for a condition, stopping a child, reading kestrel's JSON alerts.

Tests import it with tests/support on sys.path (see the callers)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

failures = []


def check(cond, what):
    """A named check: printed when it fails, and kept for the exit status."""
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(what, fn, timeout, proc=None):
    """fn()'s first true value, tried every 0.1 s (OSError and ValueError count as not yet); raises
    RuntimeError naming `what` after `timeout` s, or as soon as `proc` has exited."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except (OSError, ValueError):
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def stop_process(proc, sig=signal.SIGINT, timeout=15):
    """Sends `sig` (kestrel ends cleanly on SIGINT and SIGTERM, flushing its outputs), then SIGKILL if it has
    not ended in `timeout` s; returns the exit status. Safe on a process that already ended."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def json_alerts(path):
    """The JSON alerts kestrel wrote to `path` (lines that are not JSON objects are left out)."""
    with open(path, errors="replace") as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def start_nats_server(work, children):
    """One real `nats-server -js` on loopback ports, its store and log (nats.log) under `work`, appended to
    `children`; returns (process, client port) once its /healthz answers. Exits naming the Debian package
    when nats-server is missing (a test that needs it fails, never skips)."""
    binary = shutil.which("nats-server")
    if not binary:
        sys.exit("nats-server not found: run scripts/install-deps.sh (Debian package nats-server)")
    port, http = free_port(), free_port()
    proc = subprocess.Popen([binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-m", str(http),
                             "-sd", os.path.join(work, "jetstream")],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "nats.log"), "w"), close_fds=True)
    children.append(proc)
    until("nats-server", lambda: urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz", timeout=1).status == 200,
          15, proc)
    return proc, port
