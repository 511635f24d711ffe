#!/usr/bin/env python3
"""Docker with runc and runsc, for real, through the kestrel binary.

Starts its own dockerd (data root, exec root, pidfile and API socket under
WORKDIR; no bridge, no iptables, vfs storage: nothing on the machine
changes) with runsc registered as a runtime whose monitoring goes to
Kestrel's gVisor socket (a pod-init config `kestrel
--gvisor-generate-config` writes), imports an image from a busybox-static
rootfs (no registry), starts kestrel (eBPF for the host and runc
containers, the gVisor source for runsc sandboxes, container metadata from
this dockerd), and runs four containers:

  k-runc        runc             not privileged
  k-runc-priv   runc             --privileged
  k-runsc       runsc (gVisor)   not privileged, Kubernetes pod labels
  k-runsc-priv  runsc (gVisor)   --privileged

Each reads /etc/kestrel-marker. Checked: the test rule's alert for each
carries the right container.name, container.image.repository/tag,
container.type (docker for runc, gvisor inside runsc) and
container.privileged; the runsc sandbox, known by its OCI id (Docker's
container id), gets k8s.pod.name / k8s.ns.name from its labels; the
upstream rule "Launch Privileged Container" (falco-incubating_rules.yaml,
condition unchanged) fires for both privileged containers and for neither
of the others. Fails, never skips, when dockerd, runsc or busybox is
missing or dockerd cannot start.

usage: docker_runsc_live_test.py KESTREL UPSTREAM_RULES_DIR WORKDIR
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docker_harness import (IMAGE, Checks, Dockerd, HarnessError, check_container_fields, json_alerts,  # noqa: E402
                            prepare_work, require_tools, start_kestrel, stop_kestrel)

KESTREL, RULES_DIR, WORK = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
GVISOR_SOCK = os.path.join(WORK, "gvisor.sock")
POD_INIT = os.path.join(WORK, "pod-init.json")

check = Checks()


TEST_RULES = """
- rule: Kestrel Docker Test Marker Read
  desc: a container of the Docker test reads its marker file
  condition: open_read and fd.name = /etc/kestrel-marker and container
  output: >
    marker read (container.name=%container.name container.image.repository=%container.image.repository
    container.image.tag=%container.image.tag container.image=%container.image container.type=%container.type
    container.privileged=%container.privileged container.start_ts=%container.start_ts
    container.mounts=%container.mounts k8s.pod.name=%k8s.pod.name k8s.ns.name=%k8s.ns.name
    k8s.pod.uid=%k8s.pod.uid container.full_id=%container.full_id proc.name=%proc.name proc.exepath=%proc.exepath)
  priority: WARNING
  tags: [kestrel_test]

- rule: Launch Privileged Container
  output: Privileged container started (container.name=%container.name container.type=%container.type proc.cmdline=%proc.cmdline)
  override:
    output: replace
"""

CONTAINERS = [
    # name, runtime, privileged, extra docker args
    ("k-runc", "runc", False, ["-v", "{work}/hostdir:/data:ro"]),
    ("k-runc-priv", "runc-bounded", True, ["--privileged"]),
    ("k-runsc", "runsc", False, ["--label", "io.kubernetes.pod.name=kestrel-pod",
                                 "--label", "io.kubernetes.pod.namespace=kestrel-ns",
                                 "--label", "io.kubernetes.pod.uid=0d9c-kestrel-uid"]),
    ("k-runsc-priv", "runsc", True, ["--privileged"]),
]


def main():
    require_tools()
    rules = prepare_work(KESTREL, WORK, TEST_RULES, POD_INIT, GVISOR_SOCK)
    dockerd = Dockerd(WORK, POD_INIT)
    kestrel = None
    try:
        dockerd.start()
        kestrel, out_path, err_path = start_kestrel(
            KESTREL, WORK, [os.path.join(RULES_DIR, "falco_rules.yaml"),
                            os.path.join(RULES_DIR, "falco-incubating_rules.yaml"), rules],
            POD_INIT, dockerd.sock, ["-M", "400"])
        os.makedirs(os.path.join(WORK, "hostdir"), exist_ok=True)
        for name, runtime, privileged, extra in CONTAINERS:
            extra = [x.replace("{work}", WORK) for x in extra]
            r = dockerd.docker("run", "--rm", "--network", "none", "--runtime", runtime, "--name", name, *extra, IMAGE,
                               "/bin/sh", "-c", "exec /bin/cat /etc/kestrel-marker", check=False)
            check(r.returncode == 0 and "kestrel docker test" in r.stdout,
                  "%s (%s) ran: exit %d %s" % (name, runtime, r.returncode, r.stderr.strip()[-500:]))
        time.sleep(3)
    finally:
        if kestrel is not None:
            stop_kestrel(kestrel)
        dockerd.stop()

    alerts = json_alerts(out_path)
    check(kestrel.returncode == 0, "kestrel exit status 0 (got %d)" % kestrel.returncode)

    def fields(a):
        return a.get("output_fields", {})

    for name, runtime, privileged, _ in CONTAINERS:
        mine = [a for a in alerts if a["rule"] == "Kestrel Docker Test Marker Read"
                and fields(a).get("container.name") == name]
        check(len(mine) >= 1, "%s: marker alert names the container (%d alerts)" % (name, len(mine)))
        if not mine:
            continue
        want_type = "gvisor" if runtime == "runsc" else "docker"
        if runtime == "runsc":
            # Inside the sandbox (the gVisor source) the container is a gvisor
            # one; runsc's own host processes (its gofer serving the open)
            # sit in the container's cgroup and are seen by eBPF as docker.
            host_side = [a for a in mine if fields(a).get("container.type") != "gvisor"]
            check(all(fields(a).get("proc.name") == "exe" or "runsc" in str(fields(a).get("proc.exepath"))
                      for a in host_side),
                  "%s: alerts not from the sandbox come from runsc's host processes (%s)" % (
                      name, sorted({(fields(a).get("proc.name"), fields(a).get("proc.exepath")) for a in host_side})))
            mine = [a for a in mine if fields(a).get("container.type") == "gvisor"] or mine
        f = fields(mine[0])
        check(f.get("container.type") == want_type, "%s: container.type %s (got %r)" % (name, want_type, f.get("container.type")))
        check_container_fields(check, name, f, IMAGE, "kestrel-test/busybox", privileged,
                               ("kestrel-pod", "kestrel-ns", "0d9c-kestrel-uid") if name == "k-runsc" else None)
        if name == "k-runc":
            mounts = str(f.get("container.mounts"))
            check(mounts.endswith(":/data::false:rprivate") or ":/data:ro:false:" in mounts,
                  "k-runc: container.mounts shows the read-only bind mount (got %r)" % mounts)

    # From the source that sees the container's own processes: eBPF for
    # runc, the gVisor source (container.type gvisor) inside runsc.
    launched = {(fields(a).get("container.name"), fields(a).get("container.type"))
                for a in alerts if a["rule"] == "Launch Privileged Container"}
    for name, runtime, privileged, _ in CONTAINERS:
        want = (name, "gvisor" if runtime == "runsc" else "docker")
        check((want in launched) == privileged,
              "Launch Privileged Container %s for %s (alerts for %s)" % ("fires" if privileged else "is silent",
                                                                       want, sorted(str(x) for x in launched)))
    check(not any(n in ("k-runc", "k-runsc") for n, _ in launched), "no Launch Privileged Container for unprivileged")
    check.exit_if_failed(err_path, [a for a in alerts
                                    if a["rule"] in ("Kestrel Docker Test Marker Read", "Launch Privileged Container")])
    print("all checks passed")


try:
    main()
except HarnessError as e:
    print("FAIL " + str(e), flush=True)
    sys.exit(1)
