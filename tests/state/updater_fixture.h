// updater_fixture.h — a table, its updater and helpers for event tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "state/state_updater.h"
#include "tests/state/event_factory.h"

namespace kestrel::test {

class StateUpdaterTest : public ::testing::Test {
 protected:
  void feed(const std::vector<uint8_t>& bytes, DomainId domain = kHostDomain) {
    auto view = EventView::parse(bytes);
    ASSERT_TRUE(view.ok()) << view.status().to_string();
    Event ev;
    ev.view = *view;
    ev.domain = domain;
    updater.apply(ev);
  }

  // A known process with a cwd and stdin/out/err on a tty.
  void add_shell(int64_t pid, int64_t ppid, std::string cwd = "/home/alice") {
    ThreadInfo t;
    t.tid = t.pid = pid;
    t.ptid = ppid;
    t.comm = "bash";
    t.exe = "bash";
    t.exepath = "/usr/bin/bash";
    t.cwd = std::move(cwd);
    t.uid = t.euid = t.gid = t.egid = 1000;
    for (int fd = 0; fd < 3; ++fd) {
      FdInfo f;
      f.fd = fd;
      f.type = FdType::kFile;
      f.name = "/dev/pts/0";
      f.open_flags = O_RDWR;
      t.fds.push_back(f);
    }
    table.put(std::move(t));
  }

  const FdInfo* fd(int64_t tid, int64_t fd) {
    const ThreadInfo* t = table.find(kHostDomain, tid);
    return t ? table.find_fd(*t, fd) : nullptr;
  }

  ThreadTable table;
  StateUpdater updater{table};
};

inline Proc child_proc(int64_t tid, int64_t pid, int64_t ptid) {
  Proc p;
  p.exe = "bash";
  p.tid = tid;
  p.pid = pid;
  p.ptid = ptid;
  p.cwd = "/home/alice";
  p.comm = "bash";
  p.uid = p.euid = p.gid = p.egid = 1000;
  p.start_ts = 1111;
  return p;
}

}  // namespace kestrel::test
