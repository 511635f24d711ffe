#include "gvisor/sandbox_users.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace kestrel::gvisor {

namespace {

Status errno_error(const std::string& what) {
  return Status(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kUnavailable, what + ": " + std::strerror(errno));
}

// Reads at most `max` bytes of a small host file (the command line, the
// bundle's config.json: both Kestrel's side of the trust boundary, written
// by runsc's caller).
Result<std::string> read_small(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_error("cannot open " + path);
  std::string out(max, '\0');
  in.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::optional<uint32_t> to_id(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Opens `rel` under `root` with every path component, symlinks included,
// resolved inside root (openat2 RESOLVE_IN_ROOT, Linux 5.6).
Result<std::string> read_in_root(int root_fd, const char* rel) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // O_NOFOLLOW applies to the last component only; RESOLVE_IN_ROOT keeps
  // the others in the root. A symlinked /etc/passwd is refused outright.
  int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, rel, &how, sizeof how));
  if (fd < 0) return errno_error(std::string("openat2 ") + rel);
  std::string out;
  char buf[65536];
  while (out.size() < kMaxUsersFileBytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, kMaxUsersFileBytes - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

void parse_passwd(std::string_view text, CaptureUsers& out) {
  for (const std::string& line : split(text, '\n')) {
    if (out.users.size() >= kMaxUsersEntries) return;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split(line, ':');
    if (f.size() < 7 || f[0].empty()) continue;
    auto uid = to_id(f[2]);
    auto gid = to_id(f[3]);
    if (!uid || !gid) continue;
    out.users.push_back({*uid, *gid, f[0], f[5], f[6]});
  }
}

void parse_group(std::string_view text, CaptureUsers& out) {
  for (const std::string& line : split(text, '\n')) {
    if (out.groups.size() >= kMaxUsersEntries) return;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split(line, ':');
    if (f.size() < 3 || f[0].empty()) continue;
    auto gid = to_id(f[2]);
    if (!gid) continue;
    out.groups.push_back({*gid, f[0]});
  }
}

Result<std::string> rootfs_of_bundle(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  Result<std::string> text = read_small(path, 1u << 20);
  if (!text.ok()) return text.status();
  auto spec = nlohmann::json::parse(*text, nullptr, false);
  if (spec.is_discarded() || !spec.is_object() || !spec.contains("root") || !spec["root"].is_object() ||
      !spec["root"].contains("path") || !spec["root"]["path"].is_string())
    return Status(StatusCode::kCorrupt, path + ": no root.path string");
  std::string root = spec["root"]["path"].get<std::string>();
  if (root.empty()) return Status(StatusCode::kCorrupt, path + ": root.path is empty");
  return root[0] == '/' ? root : bundle + "/" + root;
}

Result<std::string> rootfs_of_runsc_process(pid_t pid) {
  if (pid <= 0) return Status(StatusCode::kNotFound, "no runsc process known for the sandbox");
  const std::string proc = "/proc/" + std::to_string(pid);
  Result<std::string> cmdline = read_small(proc + "/cmdline", 64u << 10);
  if (!cmdline.ok()) return cmdline.status();
  std::vector<std::string> argv = split(*cmdline, '\0');
  std::string bundle;
  bool is_do = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    // runsc takes Go flags: -bundle or --bundle, with = or as the next arg.
    for (const char* flag : {"--bundle", "-bundle"}) {
      std::string f = flag;
      if (a == f && i + 1 < argv.size()) bundle = argv[i + 1];
      if (a.rfind(f + "=", 0) == 0) bundle = a.substr(f.size() + 1);
    }
    if (a == "do" && bundle.empty()) is_do = true;
  }
  if (!bundle.empty()) return rootfs_of_bundle(bundle);
  // `runsc do` runs on the host's own root (an overlay over it).
  if (is_do) return std::string("/");
  // runsc run/create without --bundle: the bundle is its working directory.
  char cwd[4096];
  ssize_t n = ::readlink((proc + "/cwd").c_str(), cwd, sizeof cwd - 1);
  if (n <= 0) return errno_error("readlink " + proc + "/cwd");
  return rootfs_of_bundle(std::string(cwd, static_cast<size_t>(n)));
}

Result<CaptureUsers> read_rootfs_users(const std::string& rootfs) {
  int root_fd = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return errno_error("cannot open rootfs " + rootfs);
  CaptureUsers users;
  Result<std::string> passwd = read_in_root(root_fd, "etc/passwd");
  Result<std::string> group = read_in_root(root_fd, "etc/group");
  ::close(root_fd);
  if (!passwd.ok() && !group.ok())
    return Status(passwd.status().code(), "rootfs " + rootfs + ": " + passwd.status().message());
  if (passwd.ok()) parse_passwd(*passwd, users);
  if (group.ok()) parse_group(*group, users);
  return users;
}

}  // namespace kestrel::gvisor
