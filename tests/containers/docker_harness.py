"""A private dockerd for tests and benchmarks (docker_runsc_live_test.py,
bench/container_first_event_latency.py).

Everything lives under one work directory: data root, exec root, pidfile,
API socket. No bridge, no iptables, no NAT, vfs storage, its own containerd
namespace: nothing on the machine changes. runsc is registered as the
runtime "runsc" (ptrace platform, no network, monitoring configured by a
pod-init config), and "runc-bounded" is runc with privileged containers cut
to this host's capability bounding set (runc_within_bounding_set.py). The
image is imported from a busybox-static rootfs: no registry is needed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time

DOCKERD, DOCKER, RUNSC, BUSYBOX = "/usr/sbin/dockerd", "/usr/bin/docker", "/usr/bin/runsc", "/bin/busybox"
IMAGE = "kestrel-test/busybox:1.0"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from testkit import json_alerts, stop_process  # noqa: E402,F401 (json_alerts: for the tests that import this harness)


class HarnessError(Exception):
    pass


def require_tools():
    if os.geteuid() != 0:
        raise HarnessError("needs root")
    for path, pkg in ((DOCKERD, "docker.io"), (DOCKER, "docker.io"), (RUNSC, "runsc"), (BUSYBOX, "busybox-static")):
        if not os.path.exists(path):
            raise HarnessError("%s is missing: run scripts/install-deps.sh (%s)" % (path, pkg))


def run_tool(argv, check=True, timeout=120, stdin=None):
    """Runs a runtime's CLI (docker, ctr); with `check`, a failure raises
    HarnessError naming the command and its stderr."""
    r = subprocess.run(argv, capture_output=True, text=stdin is None, timeout=timeout, stdin=stdin)
    if check and r.returncode != 0:
        raise HarnessError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr))
    return r


def log_tail(path, size=3000):
    """The last `size` characters of a daemon's log, or "" before it exists."""
    try:
        return open(path).read()[-size:]
    except OSError:
        return ""


def stop_pid_file(path, timeout=30):
    """Stops the process a previous run left in `path` (ours: the pidfile is in our work dir)."""
    try:
        pid = int(open(path).read().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(timeout * 10):
        if not os.path.exists("/proc/%d" % pid):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)



class Checks:
    """A live test's named checks: each printed as ok/FAIL, the failed ones kept."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)

    def exit_if_failed(self, err_path, alerts):
        """After the checks: on any failure, kestrel's stderr tail and `alerts` (JSON) for the reader, then exit 1."""
        if not self.failures:
            return
        print("kestrel stderr:\n" + open(err_path).read()[-4000:])
        for a in alerts:
            print(json.dumps(a))
        print("%d check(s) failed" % len(self.failures))
        sys.exit(1)


def check_container_fields(check, name, f, image, repository, privileged, pod=None):
    """The container and pod fields of one alert's output_fields `f` from
    container `name`: its image (tag 1.0), privileged flag, a start time, and
    the pod labels `pod` = (name, namespace, uid), or none when pod is None."""
    check(f.get("container.image") == image, "%s: container.image (got %r)" % (name, f.get("container.image")))
    check(f.get("container.image.repository") == repository,
          "%s: container.image.repository (got %r)" % (name, f.get("container.image.repository")))
    check(f.get("container.image.tag") == "1.0", "%s: container.image.tag (got %r)" % (name, f.get("container.image.tag")))
    check(str(f.get("container.privileged")).lower() == str(privileged).lower(),
          "%s: container.privileged %s (got %r)" % (name, privileged, f.get("container.privileged")))
    check(isinstance(f.get("container.start_ts"), int) and f["container.start_ts"] > 1.7e18,
          "%s: container.start_ts is a time (got %r)" % (name, f.get("container.start_ts")))
    if pod is None:
        check(f.get("k8s.pod.name") in (None, "<NA>"), "%s: no k8s.pod.name (got %r)" % (name, f.get("k8s.pod.name")))
        return
    for field, want in zip(("k8s.pod.name", "k8s.ns.name", "k8s.pod.uid"), pod):
        check(f.get(field) == want, "%s: %s (got %r)" % (name, field, f.get(field)))

class Dockerd:
    def __init__(self, work, pod_init_config):
        self.work = os.path.abspath(work)
        self.sock = os.path.join(self.work, "docker.sock")
        self.pod_init = pod_init_config
        self.proc = None

    def docker(self, *args, check=True, timeout=120, stdin=None):
        return run_tool([DOCKER, "-H", "unix://" + self.sock, *args], check=check, timeout=timeout, stdin=stdin)

    def log_tail(self):
        return log_tail(os.path.join(self.work, "dockerd.log"))

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        stop_pid_file(os.path.join(self.work, "docker.pid"))
        for d in ("data", "exec"):
            subprocess.run(["rm", "-rf", os.path.join(self.work, d)], check=False)
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        with open(os.path.join(self.work, "daemon.json"), "w") as f:
            json.dump({"runtimes": {
                "runsc": {"path": RUNSC,
                          "runtimeArgs": ["--network=none", "--platform=ptrace", "--pod-init-config=" + self.pod_init]},
                "runc-bounded": {"path": os.path.join(HERE, "runc_within_bounding_set.py")},
            }}, f)
        log = open(os.path.join(self.work, "dockerd.log"), "w")
        self.proc = subprocess.Popen(
            [DOCKERD, "--data-root", os.path.join(self.work, "data"), "--exec-root", os.path.join(self.work, "exec"),
             "--pidfile", os.path.join(self.work, "docker.pid"), "-H", "unix://" + self.sock,
             "--config-file", os.path.join(self.work, "daemon.json"), "--bridge=none", "--iptables=false",
             "--ip6tables=false", "--ip-masq=false", "--storage-driver=vfs",
             "--containerd-namespace=kestrel-test", "--containerd-plugins-namespace=kestrel-test-plugins"],
            stdout=log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise HarnessError("dockerd exited with %d: %s" % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.sock) and self.docker("version", check=False).returncode == 0:
                self.import_image()
                return
            time.sleep(0.1)
        raise HarnessError("dockerd did not answer on %s within 30 s: %s" % (self.sock, self.log_tail()))

    def import_image(self):
        root = os.path.join(self.work, "rootfs")
        shutil.rmtree(root, ignore_errors=True)
        for d in ("bin", "etc", "tmp", "proc", "sys", "dev"):
            os.makedirs(os.path.join(root, d))
        shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
        for applet in ("sh", "cat", "sleep", "id", "ls"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        with open(os.path.join(root, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        with open(os.path.join(root, "etc", "kestrel-marker"), "w") as f:
            f.write("kestrel docker test\n")
        tar_path = os.path.join(self.work, "rootfs.tar")
        with tarfile.open(tar_path, "w") as t:
            t.add(root, arcname=".")
        with open(tar_path, "rb") as tar:
            self.docker("import", "-", IMAGE, stdin=tar)

    def stop(self):
        if self.proc is None:
            return
        ids = self.docker("ps", "-aq", check=False).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def start_kestrel(kestrel, work, rules, pod_init, docker_sock, extra=()):
    """kestrel with eBPF + the gVisor source + metadata from `docker_sock`; returns (proc, out_path, err_path)
    once it captures."""
    out_path, err_path = os.path.join(work, "kestrel.out"), os.path.join(work, "kestrel.err")
    args = [kestrel]
    for r in rules:
        args += ["-r", r]
    args += ["-o", "json_output=true", "-o", "engine.gvisor.enabled=true", "-o", "engine.gvisor.config=" + pod_init,
             "-o", "containers.docker_socket=" + docker_sock, "-o", "containers.podman_socket=\"\"",
             # No CRI socket unless a test names one (its default probes the host's).
             "-o", "containers.cri_socket=\"\"", *extra]
    proc = subprocess.Popen(args, stdout=open(out_path, "w"), stderr=open(err_path, "w"))
    for _ in range(1200):
        if "kestrel: capturing" in open(err_path).read():
            return proc, out_path, err_path
        if proc.poll() is not None:
            raise HarnessError("kestrel exited with %d: %s" % (proc.returncode, open(err_path).read()))
        time.sleep(0.1)
    proc.kill()
    raise HarnessError("kestrel did not start capturing in 120 s: " + open(err_path).read())


def stop_kestrel(proc):
    """SIGTERM (kestrel flushes its outputs and exits 0), SIGKILL after 60 s; returns its exit status."""
    return stop_process(proc, signal.SIGTERM, timeout=60)


def prepare_work(kestrel, work, rules_text, pod_init, gvisor_sock, stale=()):
    """A live test's work dir (its harness's tools already checked): `work` made, files a previous run left
    (`stale`) removed, the gVisor pod-init config generated and the test's rules written; returns the rules
    file's path."""
    os.makedirs(work, exist_ok=True)
    for path in stale:
        if os.path.exists(path):
            os.unlink(path)
    generate_pod_init(kestrel, gvisor_sock, pod_init)
    rules = os.path.join(work, "rules.yaml")
    with open(rules, "w") as f:
        f.write(rules_text)
    return rules


def generate_pod_init(kestrel, gvisor_sock, path):
    if os.path.exists(gvisor_sock):
        os.unlink(gvisor_sock)
    with open(path, "w") as f:
        subprocess.run([kestrel, "--gvisor-generate-config=" + gvisor_sock], stdout=f, check=True)
