#include "state/container_id.h"

#include <gtest/gtest.h>

#include <string>

namespace kestrel {
namespace {

const std::string kId = "3f4a7c9e1b2d8e6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071";
const std::string kShort = "3f4a7c9e1b2d";

struct Case {
  std::string line;
  std::string runtime;
};

TEST(ContainerId, RecognisesEachRuntimeLayout) {
  const Case cases[] = {
      // docker, cgroupfs driver (cgroup v1)
      {"12:cpuset:/docker/" + kId, "docker"},
      {"4:memory:/docker/" + kId + "/", "docker"},
      // docker, systemd driver (cgroup v2)
      {"0::/system.slice/docker-" + kId + ".scope", "docker"},
      // Falco's "subsys=path" form
      {"cpuset=/docker/" + kId, "docker"},
      // containerd through the CRI, systemd driver
      {"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/"
       "cri-containerd-" + kId + ".scope",
       "containerd"},
      // kubepods, cgroupfs driver (runtime not named in the path)
      {"11:memory:/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/" + kId, "containerd"},
      {"0::/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/" + kId, "containerd"},
      // cri-o
      {"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3c2b1a09_8f7e_6d5c_4b3a_291807f6e5d4.slice/"
       "crio-" + kId + ".scope",
       "cri-o"},
      // podman: rootful (with the cgroupns "container" leaf), rootless, cgroupfs
      {"0::/machine.slice/libpod-" + kId + ".scope/container", "podman"},
      {"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope", "podman"},
      {"1:name=systemd:/libpod_parent/libpod-" + kId, "podman"},
      // "subsys=path" without the leading '/'
      {"cpu=system.slice/docker-" + kId + ".scope", "docker"},
      {"memory=crio-" + kId + ".scope", "cri-o"},
      // bare path
      {"/docker/" + kId, "docker"},
  };
  for (const Case& c : cases) {
    auto m = match_container_cgroup(c.line);
    ASSERT_TRUE(m.has_value()) << c.line;
    EXPECT_EQ(m->full_id, kId) << c.line;
    EXPECT_EQ(m->short_id(), kShort) << c.line;
    EXPECT_EQ(m->runtime, c.runtime) << c.line;
    EXPECT_EQ(container_id_from_cgroup(c.line), kShort) << c.line;
  }
}

TEST(ContainerId, HostAndMonitorCgroupsAreNotContainers) {
  const std::string lines[] = {
      "0::/",
      "0::/init.scope",
      "0::/user.slice/user-1000.slice/session-3.scope",
      "0::/system.slice/containerd.service",
      "0::/system.slice/crio-conmon-" + kId + ".scope",
      "0::/machine.slice/libpod-conmon-" + kId + ".scope",
      "12:cpuset:/docker/" + kId.substr(0, 63),          // one digit short
      "12:cpuset:/docker/" + kId.substr(0, 63) + "g",    // not hex
      "0::/system.slice/docker-" + kId + "0.scope",      // one digit long
      "",
      "garbage without a slash",
      "cpu=",
      "cpu=/",
  };
  for (const std::string& line : lines) {
    EXPECT_FALSE(match_container_cgroup(line).has_value()) << line;
    EXPECT_EQ(container_id_from_cgroup(line), "") << line;
  }
}

TEST(ContainerId, InnermostIdWinsAndCaseIsNormalised) {
  const std::string outer(64, 'a');
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  auto m = match_container_cgroup("0::/docker/" + outer + "/docker/" + upper);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->full_id, kId);
}

TEST(ContainerId, FirstMatchingLineOfAProcess) {
  const std::string host = "0::/user.slice";
  const std::string docker = "0::/system.slice/docker-" + kId + ".scope";
  std::string_view lines[] = {host, docker};
  auto m = match_container_cgroups(lines);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->short_id(), kShort);
  std::string_view host_only[] = {host};
  EXPECT_FALSE(match_container_cgroups(host_only).has_value());
}

}  // namespace
}  // namespace kestrel
