"""nats_cluster.py — a real three-server `nats-server -js` cluster on
loopback ports, in a temporary directory (tests/fleet/, bench/).

Each server has its own client, cluster-route and monitoring port (all
picked free by the kernel), its own JetStream store and log. ready() waits
until the JetStream meta group has a leader and every peer is current, so
a stream with three replicas can be made at once.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class NatsCluster:
    def __init__(self, workdir, size=3, binary="nats-server"):
        self.binary = shutil.which(binary)
        if not self.binary:
            raise RuntimeError("nats-server not found on PATH: run scripts/install-deps.sh (Debian package nats-server)")
        self.workdir = workdir
        ports = free_ports(3 * size)
        self.client_ports = ports[0:size]
        self.route_ports = ports[size:2 * size]
        self.http_ports = ports[2 * size:3 * size]
        self.procs = [None] * size
        self.size = size

    @property
    def urls(self):
        return [f"nats://127.0.0.1:{p}" for p in self.client_ports]

    def _config(self, i):
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for j, p in enumerate(self.route_ports) if j != i)
        store = os.path.join(self.workdir, f"n{i}")
        return (f"server_name: n{i}\n"
                f"listen: 127.0.0.1:{self.client_ports[i]}\n"
                f"http: 127.0.0.1:{self.http_ports[i]}\n"
                f"jetstream {{ store_dir: \"{store}\", max_memory_store: 64MB, max_file_store: 512MB }}\n"
                f"cluster {{ name: kestrel-test, listen: 127.0.0.1:{self.route_ports[i]}, routes: [{routes}] }}\n")

    def start(self, i=None):
        for n in ([i] if i is not None else range(self.size)):
            conf = os.path.join(self.workdir, f"n{n}.conf")
            with open(conf, "w") as f:
                f.write(self._config(n))
            log = open(os.path.join(self.workdir, f"n{n}.log"), "ab")
            self.procs[n] = subprocess.Popen([self.binary, "-c", conf], stdout=log, stderr=subprocess.STDOUT)

    def kill(self, i):
        """SIGKILL: the server goes away as a crashed machine would."""
        p = self.procs[i]
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.procs[i] = None

    def stop(self):
        for p in self.procs:
            if p:
                p.terminate()
        for p in self.procs:
            if p:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = [None] * self.size

    def jsz(self, i):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_ports[i]}/jsz", timeout=2) as r:
            return json.load(r)

    def ready(self, timeout=20):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                leaders = set()
                for i in range(self.size):
                    if self.procs[i] is None:
                        continue
                    meta = self.jsz(i).get("meta_cluster", {})
                    last = meta
                    leaders.add(meta.get("leader"))
                    # The leader's view lists the followers and whether each is current.
                    replicas = meta.get("replicas")
                    if replicas is not None and (len(replicas) < self.size - 1 or
                                                 not all(r.get("current") for r in replicas)):
                        leaders.add(None)
                if len(leaders) == 1 and None not in leaders:
                    return
            except OSError as e:
                last = e
            time.sleep(0.2)
        raise RuntimeError(f"nats cluster not ready after {timeout}s: {last}")

    def stream_cluster(self, stream):
        """`stream`'s raft group as a server running it reports it: {"leader":
        "n1", "replicas": [{"name": "n0", ...}, ...], "peers": ["n0", "n1",
        "n2"]}, or None when no running server has it with a leader. A
        server's "replicas" are the group's other members, itself left out:
        "peers" adds it and the leader back."""
        for i in range(self.size):
            if self.procs[i] is None:
                continue
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{self.http_ports[i]}/jsz?accounts=true&streams=true", timeout=2) as r:
                    data = json.load(r)
            except OSError:
                continue
            for acc in data.get("account_details", []):
                for st in acc.get("stream_detail", []):
                    group = st.get("cluster", {})
                    if st.get("name") == stream and group.get("leader"):
                        names = {f"n{i}", group["leader"]} | {r["name"] for r in group.get("replicas") or []}
                        return dict(group, peers=sorted(names))
        return None

    def stream_leader(self, stream):
        """The server name (n0, n1, n2) leading `stream`'s raft group, or None."""
        cluster = self.stream_cluster(stream)
        return cluster["leader"] if cluster else None
