#include "state/exe_digest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>

#include "base/sha256.h"
#include "state/proc_io.h"

namespace kestrel {

ExeDigestStats& ExeDigestStats::operator+=(const ExeDigestStats& o) {
  hashed += o.hashed;
  bytes_hashed += o.bytes_hashed;
  cache_hits += o.cache_hits;
  unreadable += o.unreadable;
  too_large += o.too_large;
  read_errors += o.read_errors;
  changed += o.changed;
  no_identity += o.no_identity;
  evicted += o.evicted;
  return *this;
}

std::vector<std::pair<std::string, uint64_t>> exe_digest_counters(const ExeDigestStats& s) {
  return {{"hashed", s.hashed},           {"bytes_hashed", s.bytes_hashed}, {"cache_hits", s.cache_hits},
          {"unreadable", s.unreadable},   {"too_large", s.too_large},       {"read_errors", s.read_errors},
          {"changed", s.changed},         {"no_identity", s.no_identity},   {"evicted", s.evicted}};
}
namespace {

// Closes an fd on every path out.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

size_t ExeDigests::IdentityHash::operator()(const Identity& k) const {
  uint64_t h = k.ino * 0x9e3779b97f4a7c15ull;
  h ^= k.ctime + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h ^= k.mtime + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return static_cast<size_t>(h);
}

ExeDigests::ExeDigests(uint64_t max_file_bytes, std::string proc_root)
    : max_file_bytes_(max_file_bytes), proc_root_(std::move(proc_root)) {}

int ExeDigests::open_executable(const ThreadInfo& p, bool live, Identity& identity) {
  const Identity recorded{p.exe_ino, p.exe_ino_ctime, p.exe_ino_mtime};
  const bool known = recorded.ino != 0 && recorded.ctime != 0 && recorded.mtime != 0;
  auto try_open = [&](const std::string& path, bool need_match) -> int {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return -1;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return -1;
    }
    Identity got{static_cast<uint64_t>(st.st_ino), timespec_ns(st.st_ctim), timespec_ns(st.st_mtim)};
    if ((need_match || known) && !(got == recorded)) {
      ::close(fd);
      return -1;
    }
    identity = got;
    return fd;
  };
  const std::string pid_dir = proc_root_ + "/" + std::to_string(p.pid);
  // The link the kernel keeps to the running image: right whatever the
  // mount namespace, while the process lives.
  if (int fd = try_open(pid_dir + "/exe", !live); fd >= 0) return fd;
  if (!known || p.exepath.empty() || p.exepath.front() != '/') return -1;
  // The process is gone (or its exe link unreadable): the same path through
  // its root, its parent's root, then ours, each only if it is still the
  // same file.
  if (int fd = try_open(pid_dir + "/root" + p.exepath, true); fd >= 0) return fd;
  if (p.ptid > 0)
    if (int fd = try_open(proc_root_ + "/" + std::to_string(p.ptid) + "/root" + p.exepath, true); fd >= 0) return fd;
  return try_open(p.exepath, true);
}

const std::string* ExeDigests::remember(const Identity& identity, std::string hex) {
  auto [entry, inserted] =
      cache_.try_emplace_bounded(identity, kMaxEntries, [&](const Identity&, const Entry&) { ++stats_.evicted; });
  entry->hex = std::move(hex);
  return entry->hex.empty() ? nullptr : &entry->hex;
}

const std::string* ExeDigests::sha256_hex(const ThreadInfo& p, bool live) {
  const Identity recorded{p.exe_ino, p.exe_ino_ctime, p.exe_ino_mtime};
  if (recorded.ino != 0 && recorded.ctime != 0 && recorded.mtime != 0) {
    if (Entry* e = cache_.find_and_touch(recorded)) {
      ++stats_.cache_hits;
      return e->hex.empty() ? nullptr : &e->hex;
    }
  } else if (!live) {
    ++stats_.no_identity;
    return nullptr;
  }
  Identity identity;
  FdCloser file{open_executable(p, live, identity)};
  if (file.fd < 0) {
    ++stats_.unreadable;
    return nullptr;
  }
  // Without recorded facts the identity is known only now.
  if (Entry* e = cache_.find_and_touch(identity)) {
    ++stats_.cache_hits;
    return e->hex.empty() ? nullptr : &e->hex;
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    ++stats_.read_errors;
    return nullptr;
  }
  if (static_cast<uint64_t>(st.st_size) > max_file_bytes_) {
    ++stats_.too_large;
    return remember(identity, {});
  }
  std::string hex;
  uint64_t bytes = 0;
  if (!sha256_fd_hex(file.fd, max_file_bytes_, hex, bytes)) {
    ++stats_.read_errors;
    return nullptr;
  }
  ++stats_.hashed;
  stats_.bytes_hashed += bytes;
  // Written while read (a binary being replaced in place): this digest
  // belongs to neither version.
  struct stat after {};
  if (::fstat(file.fd, &after) != 0 || timespec_ns(after.st_ctim) != identity.ctime ||
      timespec_ns(after.st_mtim) != identity.mtime || after.st_size != st.st_size ||
      bytes != static_cast<uint64_t>(st.st_size)) {
    ++stats_.changed;
    return nullptr;
  }
  return remember(identity, std::move(hex));
}

}  // namespace kestrel
