#!/usr/bin/env python3
"""containerd's gRPC API, for real, through the kestrel binary.

Starts its own containerd (containerd_harness.py: everything under WORKDIR,
CRI plugin off), imports an image from a busybox-static rootfs (no
registry), starts kestrel with Docker and podman off and its containerd
client pointed at that socket, namespace k8s.io, and runs three containers
with `ctr run` (the runc v2 shim):

  kc-runc   not privileged, a read-only bind mount, named by nerdctl/name
  kc-priv   --privileged
  kc-pod    Kubernetes labels (io.kubernetes.pod.*, io.kubernetes.container.name)

Each reads /etc/kestrel-marker. Twice: with containerd's events followed,
and without (every container then found by the first event's synchronous
lookup). Checked, from the test rule's alert for
each (eBPF sees the runc processes; their cgroup names the 64-hex id):
container.name, container.image / .repository / .tag from containerd's
record, container.type (containerd; cri for the pod), container.privileged,
container.start_ts (containerd's created_at), the bind mount in
container.mounts, and k8s.pod.name / k8s.ns.name / k8s.pod.uid for the pod;
from the metrics, that no lookup failed and that containerd's events
reached the store.
Fails, never skips, when containerd, ctr or busybox is missing or
containerd cannot start.

usage: containerd_live_test.py KESTREL WORKDIR
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from containerd_harness import IMAGE, Containerd, require_tools  # noqa: E402
from docker_harness import (Checks, HarnessError, check_container_fields, json_alerts, prepare_work,  # noqa: E402
                            start_kestrel, stop_kestrel)

KESTREL, WORK = sys.argv[1], os.path.abspath(sys.argv[2])
NAMESPACE = "k8s.io"
METRICS = os.path.join(WORK, "metrics.jsonl")

check = Checks()


TEST_RULES = """
- rule: Kestrel Containerd Test Marker Read
  desc: a container of the containerd test reads its marker file
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = /etc/kestrel-marker and container.id != host
  output: >
    marker read (container.name=%container.name container.image.repository=%container.image.repository
    container.image.tag=%container.image.tag container.image=%container.image container.type=%container.type
    container.privileged=%container.privileged container.start_ts=%container.start_ts
    container.mounts=%container.mounts k8s.pod.name=%k8s.pod.name k8s.ns.name=%k8s.ns.name
    k8s.pod.uid=%k8s.pod.uid container.full_id=%container.full_id proc.name=%proc.name)
  priority: WARNING
  tags: [kestrel_test]
"""

CONTAINERS = [
    # name, 64-hex id, privileged, extra ctr run args
    ("kc-runc", "c1" * 32, False, ["--label", "nerdctl/name=kc-runc",
                                   "--mount", "type=bind,src={work}/hostdir,dst=/data,options=rbind:ro"]),
    ("kc-priv", "c2" * 32, True, ["--label", "nerdctl/name=kc-priv", "--privileged"]),
    ("kc-pod", "c3" * 32, False, ["--label", "io.kubernetes.container.name=kc-pod",
                                  "--label", "io.kubernetes.pod.name=kestrel-pod",
                                  "--label", "io.kubernetes.pod.namespace=kestrel-ns",
                                  "--label", "io.kubernetes.pod.uid=0d9c-kestrel-uid"]),
]


def main(watch_events):
    """One pass: with the events subscription (metadata arrives with the
    create event, before the container's first syscall) or without it
    (the first event's synchronous Containers.Get)."""
    print("--- containers.watch_events=%s" % str(watch_events).lower(), flush=True)
    require_tools()
    # start_kestrel also runs the gVisor source; it needs a pod-init config.
    pod_init = os.path.join(WORK, "pod-init.json")
    rules = prepare_work(KESTREL, WORK, TEST_RULES, pod_init, os.path.join(WORK, "gvisor.sock"), stale=[METRICS])
    containerd = Containerd(WORK, NAMESPACE)
    kestrel = None
    try:
        containerd.start()
        kestrel, out_path, err_path = start_kestrel(
            KESTREL, WORK, [rules], pod_init, '""',
            ["-o", "containers.containerd_socket=" + containerd.sock,
             "-o", "containers.containerd_namespaces=" + NAMESPACE,
             "-o", "containers.watch_events=" + str(watch_events).lower(), "-o", "metrics.enabled=true", "-o", "metrics.interval=1s", "-o", "metrics.kestrel_output_file=" + METRICS])
        os.makedirs(os.path.join(WORK, "hostdir"), exist_ok=True)
        for name, cid, privileged, extra in CONTAINERS:
            extra = [x.replace("{work}", WORK) for x in extra]
            r = containerd.ctr("run", "--rm", "--snapshotter", "native", *extra, IMAGE, cid,
                               "/bin/sh", "-c", "exec /bin/cat /etc/kestrel-marker", check=False)
            check(r.returncode == 0 and "kestrel containerd test" in r.stdout,
                  "%s ran: exit %d %s" % (name, r.returncode, r.stderr.strip()[-500:]))
        time.sleep(3)
    finally:
        if kestrel is not None:
            stop_kestrel(kestrel)
        containerd.stop()

    alerts = json_alerts(out_path)
    check(kestrel.returncode == 0, "kestrel exit status 0 (got %d)" % kestrel.returncode)

    def fields(a):
        return a.get("output_fields", {})

    for name, cid, privileged, _ in CONTAINERS:
        mine = [a for a in alerts if a["rule"] == "Kestrel Containerd Test Marker Read"
                and fields(a).get("container.full_id") == cid]
        check(len(mine) >= 1, "%s: a marker alert from its container (%d alerts)" % (name, len(mine)))
        if not mine:
            continue
        f = fields(mine[0])
        want_type = "cri" if name == "kc-pod" else "containerd"
        check(f.get("container.name") == name, "%s: container.name (got %r)" % (name, f.get("container.name")))
        check(f.get("container.type") == want_type,
              "%s: container.type %s (got %r)" % (name, want_type, f.get("container.type")))
        check_container_fields(check, name, f, IMAGE, "docker.io/kestrel-test/busybox", privileged,
                               ("kestrel-pod", "kestrel-ns", "0d9c-kestrel-uid") if name == "kc-pod" else None)
        if name == "kc-runc":
            mounts = str(f.get("container.mounts"))
            check(os.path.join(WORK, "hostdir") + ":/data::false:" in mounts,
                  "kc-runc: container.mounts shows the read-only bind mount (got %r)" % mounts)
    # The store's counters: every container was found in containerd
    # (synchronously or from its create event), no lookup failed, and the
    # events subscription delivered: by kc-pod's first event, kc-runc's
    # create (and delete) had long been published, and are applied then.
    snaps = json_alerts(METRICS) if os.path.exists(METRICS) else []  # the metrics file: JSON lines too
    counters = snaps[-1].get("containers", {}) if snaps else {}
    check(counters.get("lookup_errors") == 0 and counters.get("lookup_timeouts") == 0,
          "no failed containerd lookups (%r)" % counters)
    if watch_events:
        check(counters.get("runtime_updates", 0) >= 1, "containerd events applied to the store (%r)" % counters)
    else:
        check(counters.get("lookup_found", 0) == len(CONTAINERS) and counters.get("runtime_updates") == 0,
              "each container found by a synchronous Containers.Get (%r)" % counters)
    check("Events.Subscribe" not in open(err_path).read(), "the events subscription was not refused")
    check.exit_if_failed(err_path, alerts)


try:
    main(watch_events=True)
    main(watch_events=False)
    print("all checks passed")
except HarnessError as e:
    print("FAIL " + str(e), flush=True)
    sys.exit(1)
