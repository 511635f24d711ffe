#!/usr/bin/env python3
"""include_direction_test.py — who may include whom (ARCHITECTURE.md).

Reads every project #include "dir/file" of the tree and fails, naming file
and line, where one crosses a forbidden direction:

  foundations  base/ (Status, capabilities), sources/abi (the record ABI),
               sources/event (the event table, record views and builders)
               — anyone may include them; they include only each other
  state        state/ (thread/fd tables derived from events) — foundations
  sources core sources/ (the Source interface, the multiplexer) and
               sources/capture — foundations, state and each other
  source implementations  ebpf/, kmod/, gvisor/ — foundations, state and
               the sources core; never the engine, outputs, app or each other
  plugin host  plugins/ — a source *and* a field provider: the sources core,
               state and the engine; never outputs or app
  engine       engine/ — foundations, state and the sources core; never
               outputs, a source implementation, the plugin host or app
  fleet        fleet/ — the NATS bus, its node status message and the `nats`
               sources: foundations, state and the sources core (as a source
               implementation), and sources/remote, whose stream decoder and
               remote domains the bus's event-stream reader shares with VM
               guests (one implementation of "a remote stream becomes a
               domain"); never the engine, outputs or app
  outputs      outputs/ — the engine (its Alert), foundations and the fleet
               bus (the NATS output); never state, sources, other
               implementations or app
  app, tests, bench, scripts, driverkit — anything

Usage: include_direction_test.py [ROOT]   (default: this file's repository)
"""
import os
import re
import sys

FOUNDATIONS = {"base", "sources/abi", "sources/event"}
SOURCES_CORE = {"sources", "sources/capture"}

# layer -> the layers it may include besides itself
ALLOWED = {
    "base": set(),
    "sources/abi": set(),
    "sources/event": {"sources/abi", "base"},
    "state": FOUNDATIONS,
    "sources": FOUNDATIONS | SOURCES_CORE | {"state"},
    "sources/capture": FOUNDATIONS | SOURCES_CORE | {"state"},
    "ebpf": FOUNDATIONS | SOURCES_CORE | {"state"},
    "kmod": FOUNDATIONS | SOURCES_CORE | {"state"},
    "gvisor": FOUNDATIONS | SOURCES_CORE | {"state"},
    "sources/remote": FOUNDATIONS | SOURCES_CORE | {"state"},
    "plugins": FOUNDATIONS | SOURCES_CORE | {"state", "engine"},
    "engine": FOUNDATIONS | SOURCES_CORE | {"state"},
    "fleet": FOUNDATIONS | SOURCES_CORE | {"state", "sources/remote"},
    "outputs": FOUNDATIONS | {"engine", "fleet"},
}
UNRESTRICTED = {"app", "tests", "bench", "scripts", "driverkit"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
CODE = (".h", ".hpp", ".c", ".cc", ".cpp")


def layer(path):
    parts = path.split("/")
    if parts[0] == "sources":
        if len(parts) > 2 and "sources/" + parts[1] in ALLOWED:
            return "sources/" + parts[1]
        return "sources"
    return parts[0]


def violations(root):
    out = []
    for top in sorted(os.listdir(root)):
        if top.startswith(".") or top.startswith("build") or not os.path.isdir(os.path.join(root, top)):
            continue
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for f in sorted(files):
                if not f.endswith(CODE):
                    continue
                path = os.path.relpath(os.path.join(d, f), root)
                src = layer(path)
                if src in UNRESTRICTED:
                    continue
                if src not in ALLOWED:
                    out.append(f"{path}: layer '{src}' has no rule here; add it to include_direction_test.py")
                    continue
                with open(os.path.join(root, path), errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if not m or "/" not in m.group(1):
                            continue
                        target = m.group(1)
                        if not os.path.exists(os.path.join(root, target)):
                            continue  # a generated header or one relative to the file
                        dst = layer(target)
                        if dst != src and dst not in ALLOWED[src]:
                            out.append(f"{path}:{n}: {src} must not include {dst} ({target})")
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    found = violations(os.path.abspath(root))
    for v in found:
        print(v)
    print(f"include directions: {len(found)} violations")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
