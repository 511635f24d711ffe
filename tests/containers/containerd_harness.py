"""A private containerd for tests (containerd_live_test.py).

Debian's containerd binary started standalone: root, state, gRPC and ttrpc
sockets, plugin dir all under one work directory, so nothing on the machine
changes and a system containerd (if any) is not touched. The CRI plugin is
off, or on (cri=True, cri_live_test.py): then its pods' sandbox ("pause")
container is SANDBOX_IMAGE, a busybox image whose default command sleeps,
its snapshotter is "native" too, and CNI is pointed at empty directories
under the work dir (the test's pods use the host's network). Images come from an OCI image layout this module writes from a
busybox-static rootfs and `ctr images import`s (no registry); containers
use the "native" snapshotter (plain copies: no overlayfs on overlayfs).
"""
import hashlib
import io
import json
import os
import signal
import subprocess
import tarfile
import time

from docker_harness import BUSYBOX, HarnessError, log_tail, run_tool, stop_pid_file

CONTAINERD, CTR = "/usr/bin/containerd", "/usr/bin/ctr"
IMAGE = "docker.io/kestrel-test/busybox:1.0"
SANDBOX_IMAGE = "docker.io/kestrel-test/pause:1.0"


def require_tools():
    if os.geteuid() != 0:
        raise HarnessError("needs root")
    for path, pkg in ((CONTAINERD, "containerd"), (CTR, "containerd"), (BUSYBOX, "busybox-static")):
        if not os.path.exists(path):
            raise HarnessError("%s is missing: run scripts/install-deps.sh (%s)" % (path, pkg))


def _tar_bytes(add):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        add(t)
    return buf.getvalue()


def _add_bytes(t, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, int(time.time())
    t.addfile(info, io.BytesIO(data))


def write_oci_archive(path, ref, cmd=("/bin/sh",)):
    """An OCI image layout tar with one layer (busybox and a marker file), named `ref`."""
    def rootfs(t):
        for d in ("bin", "etc", "tmp", "proc", "sys", "dev", "data"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        _add_bytes(t, "bin/busybox", open(BUSYBOX, "rb").read(), 0o755)
        for applet in ("sh", "cat", "sleep"):
            info = tarfile.TarInfo("bin/" + applet)
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(info)
        _add_bytes(t, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        _add_bytes(t, "etc/kestrel-marker", b"kestrel containerd test\n")

    def blob(data):
        return "sha256:" + hashlib.sha256(data).hexdigest(), data

    layer_digest, layer = blob(_tar_bytes(rootfs))
    config_digest, config = blob(json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": list(cmd)},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode())
    manifest_digest, manifest = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest,
                    "size": len(layer)}]}).encode())
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": len(manifest),
        "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}}]})

    def layout(t):
        _add_bytes(t, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        _add_bytes(t, "index.json", index.encode())
        for digest, data in ((layer_digest, layer), (config_digest, config), (manifest_digest, manifest)):
            _add_bytes(t, "blobs/sha256/" + digest.split(":", 1)[1], data)

    with open(path, "wb") as f:
        f.write(_tar_bytes(layout))


def unmount_under(path):
    """Unmounts whatever is mounted below `path`, deepest first. The CRI
    plugin mounts a tmpfs /dev/shm per pod sandbox under its state dir;
    killing the tasks (as stop() does) leaves it mounted, and the work dir
    could then never be removed."""
    prefix = path.rstrip("/") + "/"
    with open("/proc/self/mounts") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        r = subprocess.run(["umount", point], capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError("umount %s: %s" % (point, r.stderr.strip()))


class Containerd:
    def __init__(self, work, namespace, cri=False):
        self.work = os.path.abspath(work)
        self.cri = cri
        self.sock = os.path.join(self.work, "containerd.sock")
        self.namespace = namespace
        self.proc = None

    def ctr(self, *args, check=True, timeout=120):
        return run_tool([CTR, "--address", self.sock, "--namespace", self.namespace, *args], check=check,
                        timeout=timeout)

    def log_tail(self):
        return log_tail(os.path.join(self.work, "containerd.log"))

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        stop_pid_file(os.path.join(self.work, "containerd.pid"))
        unmount_under(self.work)  # a run that was killed before stop()
        for d in ("root", "state", "opt"):
            subprocess.run(["rm", "-rf", os.path.join(self.work, d)], check=False)
        for s in (self.sock, self.sock + ".ttrpc"):
            if os.path.exists(s):
                os.unlink(s)
        config = os.path.join(self.work, "config.toml")
        with open(config, "w") as f:
            f.write('version = 2\nroot = "%s"\nstate = "%s"\n%s\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n'
                    '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s"\n'
                    % (os.path.join(self.work, "root"), os.path.join(self.work, "state"),
                       "" if self.cri else 'disabled_plugins = ["io.containerd.grpc.v1.cri"]', self.sock, self.sock,
                       os.path.join(self.work, "opt")))
            if self.cri:
                cni = os.path.join(self.work, "cni")
                os.makedirs(cni, exist_ok=True)
                # restrict_oom_score_adj: the sandbox asks for oom_score_adj
                # -998, which needs CAP_SYS_RESOURCE, and this host's bounding
                # set lacks it (runc_within_bounding_set.py): clamp to our own.
                f.write('[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "%s"\n  restrict_oom_score_adj = true\n'
                        '[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "native"\n'
                        '[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "%s"\n  conf_dir = "%s"\n'
                        % (SANDBOX_IMAGE, cni, cni))
        log = open(os.path.join(self.work, "containerd.log"), "w")
        self.proc = subprocess.Popen([CONTAINERD, "--config", config], stdout=log, stderr=subprocess.STDOUT,
                                     close_fds=True)
        with open(os.path.join(self.work, "containerd.pid"), "w") as f:
            f.write(str(self.proc.pid))
        for _ in range(300):
            if self.proc.poll() is not None:
                raise HarnessError("containerd exited with %d: %s" % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.sock) and self.ctr("version", check=False).returncode == 0:
                archive = os.path.join(self.work, "image.oci.tar")
                write_oci_archive(archive, IMAGE)
                self.ctr("images", "import", "--snapshotter", "native", archive)
                if self.cri:
                    pause = os.path.join(self.work, "pause.oci.tar")
                    write_oci_archive(pause, SANDBOX_IMAGE, ("/bin/sleep", "3600"))
                    self.ctr("images", "import", "--snapshotter", "native", pause)
                return
            time.sleep(0.1)
        raise HarnessError("containerd did not answer on %s within 30 s: %s" % (self.sock, self.log_tail()))

    def stop(self):
        if self.proc is None:
            return
        for cid in self.ctr("containers", "list", "-q", check=False).stdout.split():
            self.ctr("tasks", "kill", "-s", "SIGKILL", cid, check=False)
            self.ctr("tasks", "delete", "-f", cid, check=False)
            self.ctr("containers", "delete", cid, check=False)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        unmount_under(self.work)
