"""What the console's Python tests share: named checks and a free port."""
import socket

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
