// Live: what the probe says about the image an exec loaded. exe_flags for
// images from an overlayfs upper layer, a lower layer and a memfd
// (proc.is_exe_upper_layer, proc.is_exe_from_memfd), and the image's inode
// number, ctime and mtime (proc.exe_ino*), compared with stat(2) of the
// same file taken here. The overlay is mounted here (root), with /bin/true
// copied into each layer.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

// Runs `run` in a child and returns the child's execve record.
template <typename Run>
std::optional<OwnedEvent> exec_event_of(Source& source, Run run) {
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
  return *execs[0];
}

// The exe_flags of the child's execve.
template <typename Run>
std::optional<uint64_t> exe_flags_of_exec(Source& source, Run run) {
  auto ev = exec_event_of(source, run);
  if (!ev) return std::nullopt;
  return ev->view().param_uint(KP_EXECVE_exe_flags);
}

uint64_t ns_of(const struct timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

// The record's exe inode params equal what stat(2) says of the file.
void expect_inode_of(const OwnedEvent& ev, const struct stat& st, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(ev.view().param_uint(KP_EXECVE_exe_ino).value_or(0), uint64_t{st.st_ino});
  EXPECT_EQ(ev.view().param_uint(KP_EXECVE_exe_ino_ctime).value_or(0), ns_of(st.st_ctim));
  EXPECT_EQ(ev.view().param_uint(KP_EXECVE_exe_ino_mtime).value_or(0), ns_of(st.st_mtim));
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

// The overlay's files as stat(2) on the merged path sees them: the inode
// number overlayfs reports for each layer, and its times.
TEST_F(OverlayExec, InodeOfEitherLayerIsWhatStatSays) {
  for (const char* name : {"true_upper", "true_lower"}) {
    std::string path = dir_ + "/merged/" + name;
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
    auto ev = exec_event_of(*source_, [&] { execl(path.c_str(), name, static_cast<char*>(nullptr)); });
    ASSERT_TRUE(ev.has_value());
    expect_inode_of(*ev, st, path);
  }
}

// A copy of /bin/true with a known mtime (2001-09-09, 123 ns): the probe's
// times are the inode's own, to the nanosecond, not the exec's time.
TEST_F(EbpfLive, ExecutableInodeAndTimesAreWhatStatSays) {
  std::string dir = temp_path("exe-inode");
  std::filesystem::create_directories(dir);
  std::string path = dir + "/true_copy";
  std::filesystem::copy_file("/bin/true", path, std::filesystem::copy_options::overwrite_existing);
  const struct timespec times[2] = {{1'000'000'000, 0}, {1'000'000'000, 123}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << strerror(errno);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  ASSERT_EQ(ns_of(st.st_mtim), 1'000'000'000'000'000'123u);
  auto ev = exec_event_of(*source_, [&] { execl(path.c_str(), "true_copy", static_cast<char*>(nullptr)); });
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(ev.has_value());
  expect_inode_of(*ev, st, path);
}

// An exec that fails still runs its old image, which is not the file it
// named: the inode params are empty rather than the old image's.
TEST_F(EbpfLive, FailedExecCarriesNoInode) {
  pid_t child = fork();
  if (child == 0) {
    execl("/nonexistent/kestrel-no-such-binary", "x", static_cast<char*>(nullptr));
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  auto events = collect(*source_, {static_cast<uint32_t>(child)},
                        [](const std::vector<OwnedEvent>& ev) { return count_type(ev, KE_EXECVE) > 0; });
  auto execs = of_type(events, KE_EXECVE);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_LT(execs[0]->i(KP_EXECVE_res), 0);
  EXPECT_FALSE(execs[0]->view().has_param(KP_EXECVE_exe_ino));
  EXPECT_FALSE(execs[0]->view().has_param(KP_EXECVE_exe_ino_ctime));
  EXPECT_FALSE(execs[0]->view().has_param(KP_EXECVE_exe_ino_mtime));
}

// A memfd image: its inode is the memfd's (fstat of the fd the child runs).
TEST_F(EbpfLive, MemfdImageInodeIsTheMemfds) {
  int fd = static_cast<int>(syscall(SYS_memfd_create, "kestrel-exe-ino", 0));
  ASSERT_GE(fd, 0) << strerror(errno);
  std::ifstream in("/bin/true", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  auto ev = exec_event_of(*source_, [fd] {
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    fexecve(fd, argv, environ);
  });
  close(fd);
  ASSERT_TRUE(ev.has_value());
  EXPECT_NE(ev->view().param_uint(KP_EXECVE_exe_flags).value_or(0) & KESTREL_EXE_FROM_MEMFD, 0u);
  expect_inode_of(*ev, st, "memfd");
}

}  // namespace
}  // namespace kestrel::testing
