#!/usr/bin/env python3
"""The CRI client (state/containers/cri_runtime.*), for real, through the kestrel binary.

Starts its own containerd with its CRI plugin on (containerd_harness.py:
everything under WORKDIR, a locally imported busybox image as the pods'
sandbox image, pods on the host's network so no CNI is needed), starts
kestrel with Docker and podman off, `containers.cri_socket` and
`containers.containerd_socket` both on that containerd (as on a Kubernetes
node, where they are the same socket), and has cri_launch start, as a
kubelet would (RunPodSandbox, CreateContainer, StartContainer):

  pod kestrel-pod-a / kestrel-ns: container kc-plain, not privileged,
                                   a read-only mount at /data
  pod kestrel-pod-b / kestrel-ns: container kc-priv, privileged
  pod kestrel-pod-c / kestrel-ns: container kc-late, started once the
                                   first two have exited

Each reads /etc/kestrel-marker. Checked from the test rule's alert for each:
container.name (the CRI metadata name: neither container carries an
io.kubernetes.* label, so only the CRI can name it and its pod),
container.image / .repository / .tag, container.type "containerd" (the
Version RPC's runtime_name; containerd's own API would have said "cri",
so this also shows the CRI is asked first), container.privileged,
container.start_ts, container.mounts, k8s.pod.name / k8s.ns.name /
k8s.pod.uid and k8s.pod.label[app] from the pod's sandbox; from the metrics, no failed lookup.
Refresh on the runtime's events (containerd 1.6's CRI has no
GetContainerEvents): containerd's own task start/exit events for the
first two containers make the store ask the CRI again (runtime_refreshes,
on the watch thread), and the answers replace the entries the marker
alerts made (runtime_refreshes_applied, applied at kc-late's first lookup).
Fails, never skips, when containerd, ctr or busybox is missing or a pod
cannot start.

usage: cri_live_test.py KESTREL CRI_LAUNCH WORKDIR
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from containerd_harness import IMAGE, Containerd, require_tools  # noqa: E402
from docker_harness import (Checks, HarnessError, check_container_fields, json_alerts, prepare_work,  # noqa: E402
                            run_tool, start_kestrel, stop_kestrel)

KESTREL, CRI_LAUNCH, WORK = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
METRICS = os.path.join(WORK, "metrics.jsonl")
RULE = "Kestrel CRI Test Marker Read"

TEST_RULES = """
- rule: %s
  desc: a container of the CRI test reads its marker file
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = /etc/kestrel-marker and container.id != host
  output: >
    marker read (container.name=%%container.name container.image.repository=%%container.image.repository
    container.image.tag=%%container.image.tag container.image=%%container.image container.type=%%container.type
    container.privileged=%%container.privileged container.start_ts=%%container.start_ts
    container.mounts=%%container.mounts k8s.pod.name=%%k8s.pod.name k8s.ns.name=%%k8s.ns.name
    k8s.pod.uid=%%k8s.pod.uid k8s.pod.label.app=%%k8s.pod.label[app] container.full_id=%%container.full_id proc.name=%%proc.name)
  priority: WARNING
  tags: [kestrel_test]
""" % RULE

PODS = [
    # container, pod, namespace, pod uid, privileged, read-only mount at /data
    ("kc-plain", "kestrel-pod-a", "kestrel-ns", "0a1b-kestrel-pod-a", False, True),
    ("kc-priv", "kestrel-pod-b", "kestrel-ns", "0a1b-kestrel-pod-b", True, False),
    ("kc-late", "kestrel-pod-c", "kestrel-ns", "0a1b-kestrel-pod-c", False, False),
]

check = Checks()


def main():
    require_tools()
    pod_init = os.path.join(WORK, "pod-init.json")
    rules = prepare_work(KESTREL, WORK, TEST_RULES, pod_init, os.path.join(WORK, "gvisor.sock"), stale=[METRICS])
    hostdir = os.path.join(WORK, "hostdir")
    os.makedirs(hostdir, exist_ok=True)
    containerd = Containerd(WORK, "k8s.io", cri=True)
    kestrel = None
    ids = {}
    try:
        containerd.start()
        kestrel, out_path, err_path = start_kestrel(
            KESTREL, WORK, [rules], pod_init, '""',
            ["-o", "containers.cri_socket=" + containerd.sock,
             "-o", "containers.containerd_socket=" + containerd.sock,
             "-o", "containers.containerd_namespaces=k8s.io",
             "-o", "metrics.enabled=true", "-o", "metrics.interval=1s",
             "-o", "metrics.kestrel_output_file=" + METRICS])
        for name, pod, ns, uid, privileged, mount in PODS:
            if name == "kc-late":
                time.sleep(4)  # the others' "sleep 2" ends: their tasks' exit events
            r = run_tool([CRI_LAUNCH, containerd.sock, pod, ns, uid, name, IMAGE, "1" if privileged else "0",
                          hostdir if mount else "-", "/bin/sh", "-c", "/bin/cat /etc/kestrel-marker; sleep 2"],
                         check=False, timeout=60)
            if r.returncode != 0:
                raise HarnessError("%s: cri_launch failed (exit %d): %s\ncontainerd log:\n%s"
                                   % (name, r.returncode, r.stderr.strip(), containerd.log_tail()))
            ids[name] = r.stdout.strip()
        time.sleep(3)
    finally:
        if kestrel is not None:
            stop_kestrel(kestrel)
        containerd.stop()

    alerts = json_alerts(out_path)
    check(kestrel.returncode == 0, "kestrel exit status 0 (got %d)" % kestrel.returncode)
    for name, pod, ns, uid, privileged, mount in PODS:
        mine = [a for a in alerts if a["rule"] == RULE and a.get("output_fields", {}).get("container.full_id") == ids[name]]
        check(len(mine) >= 1, "%s: a marker alert from its container %s (%d alerts)" % (name, ids[name], len(mine)))
        if not mine:
            continue
        f = mine[0]["output_fields"]
        check(f.get("container.name") == name, "%s: container.name (got %r)" % (name, f.get("container.name")))
        check(f.get("container.type") == "containerd",
              "%s: container.type containerd, the CRI's runtime_name (got %r)" % (name, f.get("container.type")))
        check_container_fields(check, name, f, IMAGE, "docker.io/kestrel-test/busybox", privileged, (pod, ns, uid))
        check(f.get("k8s.pod.label[app]") == pod,
              "%s: k8s.pod.label[app], the sandbox's label (got %r)" % (name, f.get("k8s.pod.label[app]")))
        mounts = str(f.get("container.mounts"))
        if mount:
            check(hostdir + ":/data:ro:false:rprivate" in mounts,
                  "%s: container.mounts shows the read-only mount (got %r)" % (name, mounts))
    snaps = json_alerts(METRICS) if os.path.exists(METRICS) else []  # the metrics file: JSON lines too
    counters = snaps[-1].get("containers", {}) if snaps else {}
    check(counters.get("lookup_errors") == 0 and counters.get("lookup_timeouts") == 0,
          "no failed lookups (%r)" % counters)
    check(counters.get("runtime_refreshes", 0) >= 4,
          "containerd's task start and exit of kc-plain and kc-priv asked the CRI again (%r)" % counters)
    check(counters.get("runtime_refreshes_applied", 0) >= 2,
          "the CRI's fresh answers replaced the two held entries (%r)" % counters)
    check(counters.get("runtime_refresh_failures") == 0, "no failed refresh (%r)" % counters)
    check.exit_if_failed(err_path, alerts)


try:
    t0 = time.monotonic()
    main()
    print("all checks passed (%.1f s)" % (time.monotonic() - t0))
except HarnessError as e:
    print("FAIL " + str(e), flush=True)
    sys.exit(1)
