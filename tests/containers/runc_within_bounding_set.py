#!/usr/bin/env python3
"""An OCI runtime for the Docker test: runc, with the bundle's capabilities
cut to this host's capability bounding set first.

`docker run --privileged` asks runc for every capability. A host that runs
inside a sandbox may lack some in its bounding set (this one lacks
CAP_SYS_RESOURCE), and runc then fails with "unable to apply caps:
operation not permitted". The container is still privileged as far as
Docker is concerned (HostConfig.Privileged, which container.privileged
reads); it just cannot hold a capability the host itself does not have.
Every other runc call passes through unchanged.
"""
import json
import os
import sys

RUNC = "/usr/sbin/runc"

# linux/capability.h, by bit number.
CAP_NAMES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
]


def bounding_set():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                mask = int(line.split()[1], 16)
                return {"CAP_" + n for i, n in enumerate(CAP_NAMES) if mask >> i & 1}
    return None


def bundle_of(args):
    for i, a in enumerate(args):
        if a == "--bundle" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--bundle="):
            return a.split("=", 1)[1]
    return None


args = sys.argv[1:]
bundle = bundle_of(args) if "create" in args or "run" in args else None
allowed = bounding_set()
if bundle and allowed:
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        spec = json.load(f)
    caps = spec.get("process", {}).get("capabilities", {})
    for kind, names in caps.items():
        caps[kind] = [n for n in names if n in allowed]
    with open(path, "w") as f:
        json.dump(spec, f)
os.execv(RUNC, [RUNC] + args)
