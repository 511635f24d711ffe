#!/usr/bin/env python3
"""include_direction_test.py — who may include whom (ARCHITECTURE.md).

Reads every project #include "dir/file" of the tree and fails, naming file
and line, where one crosses a forbidden direction:

  foundations  sources/abi, sources/base, sources/event — anyone
  sources core sources/ (the Source interface, the multiplexer), sources/state,
               sources/capture — foundations and each other
  source implementations  ebpf/, kmod/, gvisor/ — foundations and the
               sources core; never the engine, outputs, app or each other
  plugin host  sources/plugin/ — a source *and* a field provider: the
               sources core and the engine, never outputs or app
  engine       engine/ (not engine/outputs/) — foundations, the sources core
               and state; never outputs, a source implementation or app
  outputs      engine/outputs/ — the engine (its Alert and formats) and
               foundations; never state, sources, implementations or app
  app, tests, bench — anything

Usage: include_direction_test.py [ROOT]   (default: this file's repository)
"""
import os
import re
import sys

FOUNDATIONS = {"sources/abi", "sources/base", "sources/event"}
SOURCES_CORE = {"sources", "sources/state", "sources/capture"}
IMPLEMENTATIONS = {"ebpf", "kmod", "gvisor"}

# layer -> the layers it may include besides itself
ALLOWED = {
    "sources/abi": set(),
    "sources/base": set(),
    "sources/event": {"sources/abi", "sources/base"},
    "sources": FOUNDATIONS | SOURCES_CORE,
    "sources/state": FOUNDATIONS | SOURCES_CORE,
    "sources/capture": FOUNDATIONS | SOURCES_CORE,
    "ebpf": FOUNDATIONS | SOURCES_CORE,
    "kmod": FOUNDATIONS | SOURCES_CORE,
    "gvisor": FOUNDATIONS | SOURCES_CORE,
    "sources/plugin": FOUNDATIONS | SOURCES_CORE | {"engine"},
    "engine": FOUNDATIONS | SOURCES_CORE,
    "outputs": FOUNDATIONS | {"engine"},
}
UNRESTRICTED = {"app", "tests", "bench", "plugins", "scripts", "driverkit"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
CODE = (".h", ".hpp", ".c", ".cc", ".cpp")


def layer(path):
    parts = path.split("/")
    if parts[0] == "sources":
        if len(parts) > 2 and "sources/" + parts[1] in ALLOWED:
            return "sources/" + parts[1]
        return "sources"
    if parts[0] == "engine":
        return "outputs" if len(parts) > 2 and parts[1] == "outputs" else "engine"
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
