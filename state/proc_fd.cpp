#include "state/proc_fd.h"

#include <charconv>

namespace kestrel {
namespace {

struct AnonKind {
  std::string_view prefix;
  FdType type;
};

constexpr AnonKind kAnonKinds[] = {
    {"anon_inode:[eventfd]", FdType::kEvent},     {"anon_inode:[eventpoll]", FdType::kEventPoll},
    {"anon_inode:inotify", FdType::kInotify},      {"anon_inode:[signalfd]", FdType::kSignalFd},
    {"anon_inode:[timerfd]", FdType::kTimerFd},    {"anon_inode:bpf", FdType::kBpf},
    {"anon_inode:[userfaultfd]", FdType::kUserfaultfd}, {"anon_inode:[io_uring]", FdType::kIoUring},
};

constexpr std::string_view kMemfdPrefix = "/memfd:";
constexpr std::string_view kDeleted = " (deleted)";

}  // namespace

std::optional<uint64_t> bracketed_inode(std::string_view link, std::string_view prefix) {
  if (!link.starts_with(prefix) || !link.ends_with("]")) return std::nullopt;
  std::string_view digits = link.substr(prefix.size(), link.size() - prefix.size() - 1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  return v;
}

FdInfo classify_fd_link(int64_t fd, std::string_view link, bool is_directory, const ProcSocketMap* sockets) {
  FdInfo f;
  f.fd = fd;
  f.flags = kFdFlagFromProc;
  f.name = std::string(link);
  if (link.starts_with(kMemfdPrefix)) {
    std::string_view name = link.substr(1);  // "memfd:NAME (deleted)"
    if (name.ends_with(kDeleted)) name.remove_suffix(kDeleted.size());
    f.type = FdType::kMemfd;
    f.name = std::string(name);
  } else if (link.starts_with('/')) {
    f.type = is_directory ? FdType::kDirectory : FdType::kFile;
  } else if (auto ino = bracketed_inode(link, "socket:[")) {
    f.ino = *ino;
    const ProcSocket* s = nullptr;
    if (sockets != nullptr) {
      auto it = sockets->find(*ino);
      if (it != sockets->end()) s = &it->second;
    }
    if (s != nullptr) {
      f.type = s->type;
      f.name = s->name;
      f.tuple = s->tuple;
      f.l4proto = s->l4proto;
      f.listening = s->listening;
    }
    // As libs reads a scanned unix socket: named, a server; else a client.
    if (f.type == FdType::kUnix) f.flags |= f.name.empty() ? kFdFlagRoleClient : kFdFlagRoleServer;
  } else if (auto pino = bracketed_inode(link, "pipe:[")) {
    f.type = FdType::kPipe;
    f.ino = *pino;
  } else {
    for (const AnonKind& k : kAnonKinds) {
      if (link.starts_with(k.prefix)) {
        f.type = k.type;
        break;
      }
    }
  }
  return f;
}

}  // namespace kestrel
