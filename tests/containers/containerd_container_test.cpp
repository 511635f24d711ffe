// containerd Container records (as Containers.Get returns them) into
// ContainerInfo: records built with containerd's own generated message
// types, OCI specs as runtimes write them.
#include "state/containers/containerd_container.h"

#include <gtest/gtest.h>

#include "github.com/containerd/containerd/api/services/containers/v1/containers.pb.h"

namespace kestrel {
namespace {

using containerd::services::containers::v1::Container;

Container record(const std::string& spec_json) {
  Container c;
  c.set_id(std::string(64, 'a'));
  c.set_image("docker.io/library/nginx:1.25");
  c.mutable_runtime()->set_name("io.containerd.runc.v2");
  c.mutable_created_at()->set_seconds(1765000000);
  c.mutable_created_at()->set_nanos(123);
  (*c.mutable_labels())["nerdctl/name"] = "web";
  c.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
  c.mutable_spec()->set_value(spec_json);
  return c;
}

constexpr const char* kUnprivilegedSpec = R"({
  "process": {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"]}},
  "mounts": [{"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro", "rprivate"]},
             {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"]}],
  "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "mount"}],
            "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]}})";

TEST(ContainerdContainer, RecordFields) {
  ContainerInfo c = containerd_container_info(record(kUnprivilegedSpec), "default");
  EXPECT_EQ(c.id, std::string(64, 'a'));
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.type, "containerd");
  EXPECT_EQ(c.runtime, "runc");
  EXPECT_EQ(c.image, "docker.io/library/nginx:1.25");
  EXPECT_EQ(c.image_repository, "docker.io/library/nginx");
  EXPECT_EQ(c.image_tag, "1.25");
  EXPECT_EQ(c.start_ts, 1765000000000000123ull);
  EXPECT_TRUE(c.privileged_known);
  EXPECT_FALSE(c.privileged);
  EXPECT_FALSE(c.host_pid);
  EXPECT_FALSE(c.host_ipc);
  EXPECT_TRUE(c.host_network);  // no network namespace asked for
  ASSERT_EQ(c.mounts.size(), 2u);
  EXPECT_EQ(c.mounts[0].source, "/srv/data");
  EXPECT_EQ(c.mounts[0].dest, "/data");
  EXPECT_FALSE(c.mounts[0].rw);
  EXPECT_EQ(c.mounts[0].propagation, "rprivate");
  EXPECT_TRUE(c.mounts[1].rw);
}

TEST(ContainerdContainer, PrivilegedIsAllCapsWithoutMaskedPaths) {
  ContainerInfo c = containerd_container_info(
      record(R"({"process": {"capabilities": {"bounding": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]}},
                 "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}]}})"),
      "default");
  EXPECT_TRUE(c.privileged);
  // CAP_SYS_ADMIN alone (--cap-add) is not privileged while paths stay masked.
  ContainerInfo capped = containerd_container_info(
      record(R"({"process": {"capabilities": {"bounding": ["CAP_SYS_ADMIN"]}},
                 "linux": {"maskedPaths": ["/proc/kcore"]}})"),
      "default");
  EXPECT_FALSE(capped.privileged);
}

TEST(ContainerdContainer, CriContainerInK8sNamespace) {
  Container rec = record(R"({"annotations": {"io.kubernetes.cri.sandbox-id": "sandbox0"}})");
  auto& labels = *rec.mutable_labels();
  labels.erase("nerdctl/name");
  labels["io.kubernetes.container.name"] = "app";
  labels["io.kubernetes.pod.name"] = "web-7d4";
  labels["io.kubernetes.pod.namespace"] = "prod";
  labels["io.kubernetes.pod.uid"] = "uid-1";
  rec.mutable_runtime()->set_name("io.containerd.runsc.v1");
  ContainerInfo c = containerd_container_info(rec, "k8s.io");
  EXPECT_EQ(c.type, "cri");
  EXPECT_EQ(c.name, "app");
  EXPECT_EQ(c.runtime, "runsc");
  EXPECT_EQ(c.pod_name, "web-7d4");
  EXPECT_EQ(c.pod_namespace, "prod");
  EXPECT_EQ(c.pod_uid, "uid-1");
  EXPECT_EQ(c.pod_sandbox_id, "sandbox0");
  // The same labels outside k8s.io: a plain containerd container.
  EXPECT_EQ(containerd_container_info(rec, "default").type, "containerd");
}

TEST(ContainerdContainer, NoNameNoImageNoSpec) {
  Container rec;
  rec.set_id("plain");
  ContainerInfo c = containerd_container_info(rec, "default");
  EXPECT_EQ(c.name, "plain");  // containerd has no names: the id stands in
  EXPECT_EQ(c.image, "");
  EXPECT_EQ(c.image_tag, "");
  EXPECT_FALSE(c.privileged_known);
  EXPECT_EQ(c.start_ts, 0u);
}

TEST(ContainerdContainer, SpecThatIsNotJsonChangesNothing) {
  ContainerInfo c = containerd_container_info(record("\x0a\x03not json"), "default");
  EXPECT_FALSE(c.privileged_known);
  EXPECT_TRUE(c.mounts.empty());
}

}  // namespace
}  // namespace kestrel
