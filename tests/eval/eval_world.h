// eval_world.h — a small host for engine tests: a thread table seeded with
// a process tree, a StateUpdater, and builders for the events rules look
// at (execve, openat, connect, accept, close, read, write, …). Built events
// are applied to the table (as the collector does before evaluation) and
// kept alive for the test's duration.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "sources/event/event_builder.h"
#include "sources/event/process_block.h"
#include "sources/source.h"
#include "state/state_updater.h"
#include "state/thread_table.h"

namespace kestrel::engine::eval::testing {

struct ProcSpec {
  int64_t pid = 0;
  int64_t ppid = 0;
  std::string comm;
  std::string exepath;
  std::vector<std::string> args;
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t loginuid = UINT32_MAX;
  uint32_t tty = 0;
  std::string container_id;
  uint64_t cap_effective = 0;
  uint32_t exe_flags = 0;
  std::vector<std::string> env;
};

class World {
 public:
  World() : updater_(table_) {}

  ThreadTable& table() { return table_; }

  // Adds a process (its main thread) straight into the table.
  void add_process(const ProcSpec& p);
  // The standard tree: 1 systemd → 100 sshd → 200 bash → 300 python3
  // (cwd /home/alice, tty 34816, loginuid 1000, uid 1000), plus
  // 400 nginx (child of 1) in container "abcdef012345".
  void seed_tree();

  // Builds, applies to the table, and returns the event; `inode` is the
  // image's inode as the source reports it (nothing by default).
  const Event& execve(int64_t tid, std::string_view exepath, std::vector<std::string> args,
                      std::string_view comm, int64_t res = 0, uint64_t ts = 1000, const ExeInodeValues& inode = {});
  const Event& openat(int64_t tid, int64_t fd, std::string_view path, uint32_t flags, uint64_t ts = 1000);
  const Event& close(int64_t tid, int64_t fd, uint64_t ts = 1000);
  const Event& read(int64_t tid, int64_t fd, int64_t res, uint64_t ts = 1000);
  const Event& write(int64_t tid, int64_t fd, int64_t res, uint64_t ts = 1000);
  const Event& socket(int64_t tid, int64_t fd, uint32_t domain, uint32_t type, uint64_t ts = 1000);
  const Event& connect(int64_t tid, int64_t fd, const uint8_t sip[4], uint16_t sport, const uint8_t dip[4],
                       uint16_t dport, int64_t res = 0, uint64_t ts = 1000);
  const Event& accept(int64_t tid, int64_t fd, const uint8_t cip[4], uint16_t cport, const uint8_t sip[4],
                      uint16_t sport, uint64_t ts = 1000);
  const Event& unlinkat(int64_t tid, std::string_view path, int64_t res = 0, uint64_t ts = 1000);
  const Event& setuid(int64_t tid, uint32_t uid, int64_t res = 0, uint64_t ts = 1000);

  // Applies and keeps an already built record.
  const Event& add(std::vector<uint8_t> bytes, DomainId domain = kHostDomain);

  // A record that is *not* applied to the table (for pure extraction).
  const Event& build_only(std::vector<uint8_t> bytes, DomainId domain = kHostDomain);

  const ThreadInfo* find(int64_t tid) const { return table_.find(kHostDomain, tid); }

 private:
  int64_t pid_of(int64_t tid) const;

  ThreadTable table_;
  StateUpdater updater_;
  std::deque<std::vector<uint8_t>> records_;
  std::deque<Event> events_;
};

}  // namespace kestrel::engine::eval::testing
