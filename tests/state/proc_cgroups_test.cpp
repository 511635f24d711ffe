// cgroup memberships as falcosecurity/libs fills the thread table's
// `cgroups`: v1 lines split per controller, the v2 line resolved per
// controller by walking cgroup.controllers up a (fake) cgroup2 tree, and
// the scanner finding the cgroup2 mount from a fake /proc.
#include "state/proc_cgroups.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "state/proc_scanner.h"
#include "tests/support/fake_proc.h"

namespace kestrel {
namespace {

using Pairs = CgroupMemberships;

CgroupMemberships resolve(CgroupResolver& r, std::string_view text) {
  CgroupMemberships out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) r.add_line(line, out);
  return out;
}

// A cgroup2 hierarchy under `top` (a path relative to the fake root) where
// memory and pids are enabled down to the session, cpuset/cpu/io only in
// user.slice, hugetlb/rdma/misc only at the root.
void make_v2_tree(FakeProc& p, const std::string& top) {
  p.file(top + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  p.file(top + "/user.slice/cgroup.controllers", "cpuset cpu io memory pids\n");
  p.file(top + "/user.slice/user-1000.slice/cgroup.controllers", "memory pids\n");
  p.file(top + "/user.slice/user-1000.slice/session-3.scope/cgroup.controllers", "memory pids\n");
}

TEST(CgroupResolver, V2ControllersAreFoundAtTheLevelThatEnablesThem) {
  FakeProc p;
  make_v2_tree(p, "cg2");
  CgroupResolver r(p.root() + "/cg2");
  const std::string session = "/user.slice/user-1000.slice/session-3.scope";
  EXPECT_EQ(resolve(r, "0::" + session + "\n"),
            (Pairs{{"memory", session},
                   {"pids", session},
                   {"cpuset", "/user.slice"},
                   {"cpu", "/user.slice"},
                   {"io", "/user.slice"},
                   {"hugetlb", "/"},
                   {"rdma", "/"},
                   {"misc", "/"}}));
  EXPECT_EQ(r.unresolved_v2(), 0u);
  // The root cgroup itself: every controller at "/".
  EXPECT_EQ(resolve(r, "0::/\n").size(), 8u);
}

TEST(CgroupResolver, V2WalkStopsOnceEveryRootControllerIsFound) {
  FakeProc p;
  p.file("cg2/cgroup.controllers", "cpu memory pids\n");
  // "a" has no cgroup.controllers: reading it would end the walk as
  // unresolved, so a walk that stops at "a/b" leaves the count at 0.
  p.file("cg2/a/b/cgroup.controllers", "pids memory cpu\n");
  CgroupResolver r(p.root() + "/cg2");
  EXPECT_EQ(resolve(r, "0::/a/b"), (Pairs{{"pids", "/a/b"}, {"memory", "/a/b"}, {"cpu", "/a/b"}}));
  EXPECT_EQ(r.unresolved_v2(), 0u);
}

TEST(CgroupResolver, V2WalkStopsAtTheRoot) {
  FakeProc p;
  // A root listing a controller no level enables: the walk still ends at "/".
  p.file("cg2/cgroup.controllers", "cpu memory\n");
  p.file("cg2/a/cgroup.controllers", "\n");
  CgroupResolver r(p.root() + "/cg2");
  EXPECT_EQ(resolve(r, "0::/a"), (Pairs{{"cpu", "/"}, {"memory", "/"}}));
  EXPECT_EQ(r.unresolved_v2(), 0u);
}

TEST(CgroupResolver, V2LevelThatCannotBeReadEndsTheWalkAndIsCounted) {
  FakeProc p;
  p.file("cg2/cgroup.controllers", "cpu memory\n");
  p.file("cg2/a/b/cgroup.controllers", "memory\n");  // "a" is missing (went away)
  CgroupResolver r(p.root() + "/cg2");
  EXPECT_EQ(resolve(r, "0::/a/b"), (Pairs{{"memory", "/a/b"}}));
  EXPECT_EQ(r.unresolved_v2(), 1u);
  EXPECT_EQ(resolve(r, "0::/gone"), Pairs{});
  EXPECT_EQ(r.unresolved_v2(), 2u);
}

TEST(CgroupResolver, CacheReadsEachDirectoryOnceUntilCleared) {
  FakeProc p;
  p.file("cg2/cgroup.controllers", "cpu memory\n");
  p.file("cg2/a/cgroup.controllers", "memory\n");
  CgroupResolver r(p.root() + "/cg2");
  EXPECT_EQ(resolve(r, "0::/a"), (Pairs{{"memory", "/a"}, {"cpu", "/"}}));
  p.file("cg2/a/cgroup.controllers", "cpu memory\n");  // cpu enabled in a's parent meanwhile
  EXPECT_EQ(resolve(r, "0::/a"), (Pairs{{"memory", "/a"}, {"cpu", "/"}})) << "cached";
  r.clear_cache();
  EXPECT_EQ(resolve(r, "0::/a"), (Pairs{{"cpu", "/a"}, {"memory", "/a"}}));
}

TEST(CgroupResolver, HybridHostV1ControllersAndAV2MountWithoutControllers) {
  // This host's layout: every controller on a v1 hierarchy (two sharing
  // one), a named hierarchy, and a cgroup2 mount whose root enables none.
  FakeProc p;
  p.file("unified/cgroup.controllers", "\n");
  p.file("unified/user.slice/cgroup.controllers", "\n");
  CgroupResolver r(p.root() + "/unified");
  EXPECT_EQ(resolve(r, "12:name=systemd:/user.slice\n"
                       "4:cpu,cpuacct:/docker/abc\n"
                       "3:memory:/docker/abc\n"
                       "2::/\n"  // a v1 hierarchy with no controller: nothing
                       "0::/user.slice\n"),
            (Pairs{{"name=systemd", "/user.slice"},
                   {"cpu", "/docker/abc"},
                   {"cpuacct", "/docker/abc"},
                   {"memory", "/docker/abc"}}));
  EXPECT_EQ(r.unresolved_v2(), 0u);
}

TEST(CgroupResolver, HybridHostWithSomeControllersOnV2) {
  // Like this host: hugetlb is bound to no v1 hierarchy, so cgroup2 has it.
  FakeProc p;
  p.file("unified/cgroup.controllers", "hugetlb\n");
  p.file("unified/user.slice/cgroup.controllers", "\n");
  CgroupResolver r(p.root() + "/unified");
  EXPECT_EQ(resolve(r, "3:memory:/x\n0::/user.slice\n"), (Pairs{{"memory", "/x"}, {"hugetlb", "/"}}));
}

TEST(CgroupResolver, WithoutACgroup2MountTheV2LineIsSkipped) {
  CgroupResolver r(std::nullopt);
  EXPECT_EQ(resolve(r, "1:cpu:/a\n0::/system.slice/x.service\n"), (Pairs{{"cpu", "/a"}}));
  EXPECT_EQ(r.unresolved_v2(), 0u);
}

TEST(CgroupMounts, FindsTheCgroup2MountInMountsAndMountinfo) {
  EXPECT_EQ(find_cgroup2_in_mounts("tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
                                   "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
                                   "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n"),
            "/sys/fs/cgroup/unified");
  EXPECT_EQ(find_cgroup2_in_mounts("none /a\\040b cgroup2 rw 0 0\n"), "/a b");
  EXPECT_EQ(find_cgroup2_in_mounts("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"), std::nullopt);
  EXPECT_EQ(find_cgroup2_in_mountinfo("25 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
                                      "26 25 0:23 / /sys/fs/cgroup rw,nosuid shared:8 - cgroup2 cgroup2 rw,nsdelegate\n"),
            "/sys/fs/cgroup");
  EXPECT_EQ(find_cgroup2_in_mountinfo("25 30 0:22 / /sys rw - sysfs sysfs rw\n"), std::nullopt);
}

const ThreadInfo* by_tid(const std::vector<ThreadInfo>& v, int64_t tid) {
  auto it = std::find_if(v.begin(), v.end(), [&](const ThreadInfo& t) { return t.tid == tid; });
  return it == v.end() ? nullptr : &*it;
}

// A fake /proc whose pid 1 has a cgroup2 mount at /sys/fs/cgroup, the
// hierarchy reachable through 1/root as on a real host, and process 42
// (with thread 43) in a docker container's scope.
const std::string kId = "c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc";
const std::string kScope = "/system.slice/docker-" + kId + ".scope";

void make_proc_with_cgroup2(FakeProc& p) {
  p.file("1/mounts", "proc /proc proc rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n");
  p.file("1/root/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
  p.file("1/root/sys/fs/cgroup/system.slice/cgroup.controllers", "cpu io memory pids\n");
  p.file("1/root/sys/fs/cgroup" + kScope + "/cgroup.controllers", "memory pids\n");
  p.file("42/stat", "42 (app) S 1 42 42 0 42 0 0 0 0 0 0 0 0 0 20 0 2 0 100 0\n");
  p.file("42/status", "Name:\tapp\nTgid:\t42\nPPid:\t1\n");
  p.file("42/cgroup", "0::" + kScope + "\n");
  p.file("42/task/43/stat", "43 (worker) S 1 42 42 0 42 0 0 0 0 0 0 0 0 0 20 0 2 0 101 0\n");
  p.file("42/task/43/status", "Name:\tworker\nTgid:\t42\nPPid:\t1\n");
}

TEST(ProcScannerCgroups, FindsTheCgroup2MountAndResolvesEveryController) {
  FakeProc p;
  make_proc_with_cgroup2(p);
  ProcScanner scanner({.root = p.root(), .fds = false});
  EXPECT_EQ(scanner.cgroup2_root(), p.root() + "/1/root/sys/fs/cgroup");
  auto threads = scanner.scan();
  ASSERT_TRUE(threads.ok()) << threads.status().to_string();
  const Pairs expected{{"memory", kScope}, {"pids", kScope}, {"cpu", "/system.slice"}, {"io", "/system.slice"}};
  for (int64_t tid : {42, 43}) {
    const ThreadInfo* t = by_tid(*threads, tid);
    ASSERT_NE(t, nullptr) << tid;
    EXPECT_EQ(t->cgroups, expected) << tid;
    EXPECT_EQ(t->container_id, kId.substr(0, 12)) << tid;
  }
  EXPECT_EQ(scanner.stats().cgroups_v2_unresolved, 0u);
}

TEST(ProcScannerCgroups, NoCgroup2MountSkipsTheV2LineButKeepsTheContainer) {
  FakeProc p;
  make_proc_with_cgroup2(p);
  ProcScanner scanner({.root = p.root(), .fds = false, .cgroup2_root = ""});
  EXPECT_EQ(scanner.cgroup2_root(), std::nullopt);
  auto threads = scanner.scan();
  ASSERT_TRUE(threads.ok());
  const ThreadInfo* t = by_tid(*threads, 42);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->cgroups.empty());
  EXPECT_EQ(t->container_id, kId.substr(0, 12)) << "the container comes from the line, not the pairs";
  // A fake /proc with no mounts at all detects none either.
  FakeProc bare;
  EXPECT_EQ(ProcScanner({.root = bare.root()}).cgroup2_root(), std::nullopt);
}

TEST(ProcScannerCgroups, ExplicitCgroup2RootOverridesDetection) {
  FakeProc p;
  make_proc_with_cgroup2(p);
  make_v2_tree(p, "elsewhere");
  p.file("42/cgroup", "0::/user.slice/user-1000.slice\n");
  ProcScanner scanner({.root = p.root(), .threads = false, .fds = false, .cgroup2_root = p.root() + "/elsewhere"});
  auto threads = scanner.scan_process(42);
  ASSERT_TRUE(threads);
  EXPECT_EQ(threads->front().cgroups.front(), (std::pair<std::string, std::string>{"memory", "/user.slice/user-1000.slice"}));
  EXPECT_EQ(threads->front().cgroups.size(), 8u);
}

// This process on the live host: every v1 controller of /proc/self/cgroup
// with its path, and each controller of the cgroup2 root (if mounted) once.
TEST(ProcScannerCgroups, LiveProcessHasEveryControllerNamed) {
  ProcScanner scanner({.threads = false, .fds = false});
  auto self = scanner.scan_process(::getpid());
  ASSERT_TRUE(self);
  const Pairs& got = self->front().cgroups;
  std::ifstream in("/proc/self/cgroup");
  size_t v1 = 0;
  for (std::string line; std::getline(in, line);) {
    const size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1);
    std::string list = line.substr(c1 + 1, c2 - c1 - 1);
    const std::string path = line.substr(c2 + 1);
    std::istringstream names(list);
    for (std::string name; std::getline(names, name, ',');) {
      ++v1;
      EXPECT_NE(std::find(got.begin(), got.end(), std::pair{name, path}), got.end()) << name << "=" << path;
    }
  }
  std::set<std::string> v2;
  if (scanner.cgroup2_root()) {
    std::ifstream root(*scanner.cgroup2_root() + "/cgroup.controllers");
    for (std::string name; root >> name;) v2.insert(name);
  }
  EXPECT_EQ(got.size(), v1 + v2.size());
  for (const std::string& c : v2)
    EXPECT_EQ(std::count_if(got.begin(), got.end(), [&](const auto& e) { return e.first == c; }), 1) << c;
  for (const auto& [controller, path] : got) {
    EXPECT_FALSE(controller.empty()) << path;
    EXPECT_TRUE(path.starts_with('/')) << controller;
  }
}

}  // namespace
}  // namespace kestrel
