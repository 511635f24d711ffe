// Live: the probe's exe_flags for images from an overlayfs upper layer, a
// lower layer and a memfd (proc.is_exe_upper_layer, proc.is_exe_from_memfd).
// The overlay is mounted here (root), with /bin/true copied into each layer.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

// Runs `run` in a child and returns the exe_flags of the child's execve.
template <typename Run>
std::optional<uint64_t> exe_flags_of_exec(Source& source, Run run) {
  pid_t child = fork();
  if (child == 0) {
    run();
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the exec'd /bin/true copy failed";
  auto events = collect(source, {static_cast<uint32_t>(child)},
                        [](const std::vector<OwnedEvent>& ev) { return count_type(ev, KE_EXECVE) > 0; });
  auto execs = of_type(events, KE_EXECVE);
  if (execs.size() != 1) {
    ADD_FAILURE() << execs.size() << " execve events for the child";
    return std::nullopt;
  }
  return execs[0]->view().param_uint(KP_EXECVE_exe_flags);
}

class OverlayExec : public EbpfLive {
 protected:
  void SetUp() override {
    EbpfLive::SetUp();
    dir_ = temp_path("overlay");
    for (const char* d : {"lower", "upper", "work", "merged"}) std::filesystem::create_directories(dir_ + "/" + d);
    std::filesystem::copy_file("/bin/true", dir_ + "/lower/true_lower");
    std::filesystem::copy_file("/bin/true", dir_ + "/upper/true_upper");
    std::string opts = "lowerdir=" + dir_ + "/lower,upperdir=" + dir_ + "/upper,workdir=" + dir_ + "/work";
    ASSERT_EQ(mount("overlay", (dir_ + "/merged").c_str(), "overlay", 0, opts.c_str()), 0)
        << "mount overlay: " << strerror(errno) << " (needs root and overlayfs)";
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2((dir_ + "/merged").c_str(), MNT_DETACH);
    std::filesystem::remove_all(dir_);
    EbpfLive::TearDown();
  }
  std::string dir_;
  bool mounted_ = false;
};

TEST_F(OverlayExec, UpperLayerImageIsFlaggedLowerLayerImageIsNot) {
  std::string upper = dir_ + "/merged/true_upper";
  std::string lower = dir_ + "/merged/true_lower";
  auto up = exe_flags_of_exec(*source_, [&] { execl(upper.c_str(), "true_upper", static_cast<char*>(nullptr)); });
  auto low = exe_flags_of_exec(*source_, [&] { execl(lower.c_str(), "true_lower", static_cast<char*>(nullptr)); });
  ASSERT_TRUE(up.has_value());
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(*up & KESTREL_EXE_UPPER_LAYER, uint64_t{KESTREL_EXE_UPPER_LAYER});
  EXPECT_EQ(*low & KESTREL_EXE_UPPER_LAYER, 0u);
  EXPECT_EQ(*up & KESTREL_EXE_FROM_MEMFD, 0u);
  // A plain file outside any overlay carries neither.
  auto plain = exe_flags_of_exec(*source_, [] { execl("/bin/true", "true", static_cast<char*>(nullptr)); });
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain & (KESTREL_EXE_UPPER_LAYER | KESTREL_EXE_FROM_MEMFD), 0u);
}

TEST_F(EbpfLive, MemfdImageIsFlaggedFromMemfd) {
  auto flags = exe_flags_of_exec(*source_, [] {
    int fd = static_cast<int>(syscall(SYS_memfd_create, "kestrel-exe", 0));
    std::ifstream in("/bin/true", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) _exit(126);
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    fexecve(fd, argv, environ);
  });
  ASSERT_TRUE(flags.has_value());
  EXPECT_EQ(*flags & KESTREL_EXE_FROM_MEMFD, uint64_t{KESTREL_EXE_FROM_MEMFD});
  EXPECT_EQ(*flags & KESTREL_EXE_UPPER_LAYER, 0u);
}

}  // namespace
}  // namespace kestrel::testing
