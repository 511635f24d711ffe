// EngineWorkers (app/engine_workers.h) driven event by event as the
// Pipeline drives it (route, worker 0's part, routed): what worker 0's own
// table holds of a thread worker's process (its fd changes kept as a log
// and applied before a fork, then dropped with the process), and the owner
// map staying bounded when processes never report their exit. The
// equality of alerts with 1 and N workers over real captures is
// engine_workers_live_test's.
#include <gtest/gtest.h>
#include <fcntl.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "app/engine_workers.h"
#include "engine/rule_set.h"
#include "tests/support/rules_from_yaml.h"
#include "tests/state/event_factory.h"
#include "tests/state/updater_fixture.h"

namespace kestrel {
namespace {

engine::RuleSet one_rule() {
  return testing::rules_from_yaml(R"(
- rule: Open
  desc: every open
  condition: evt.type = openat
  output: "open %fd.name"
  priority: INFO
- rule: Close
  desc: every close, with the name its fd had
  condition: evt.type = close
  output: "close %fd.name"
  priority: INFO
)");
}

// Worker 0 (this thread's table and updater) and one thread worker.
struct TwoWorkers {
  engine::RuleSet rules = one_rule();
  std::unique_ptr<engine::eval::RuleEngine> engine0 = std::move(*engine::eval::RuleEngine::create(rules, {}));
  std::unique_ptr<engine::eval::RuleEngine> engine1 = std::move(*engine::eval::RuleEngine::create(rules, {}));
  ThreadTable table0;
  StateUpdater updater0{table0};
  EngineWorkers workers;
  std::vector<engine::Alert> alerts;
  uint64_t number = 0;

  // `resolver`: the thread worker's, asked for a process it does not know.
  explicit TwoWorkers(ProcessResolver resolver = nullptr, ThreadTableConfig config = {})
      : table0(config), workers({engine1.get()}, table0, updater0, std::move(resolver)) {
    workers.start();
  }
  ~TwoWorkers() { workers.stop(); }

  // What Pipeline::handle_routed does with one event; returns its owner.
  size_t feed(const std::vector<uint8_t>& bytes) {
    auto view = EventView::parse(bytes);
    EXPECT_TRUE(view.ok());
    const Event ev{*view, kHostDomain, 0, false};
    const size_t own = workers.route(ev, ++number);
    if (own == 0) update_and_evaluate(ev, updater0, table0, *engine0, alerts, number, [] {});
    else workers.apply_on_worker0(ev);
    workers.routed(ev);
    workers.hand_over();
    return own;
  }
};

TEST(EngineWorkers, AThreadWorkersProcessFdsReachWorker0BeforeItForksAndGoWithIt) {
  TwoWorkers w;
  // An idle thread worker keeps up: a new process is given to it.
  ASSERT_EQ(w.feed(test::clone_event(KE_CLONE, 500, 500, 0, test::child_proc(500, 500, 1), 0)), 1u);
  ASSERT_NE(w.table0.find(0, 500), nullptr) << "lifecycle is applied on worker 0 at once";
  EXPECT_EQ(w.feed(test::openat_event(500, 500, 7, AT_FDCWD, "/srv/inherited.log", O_WRONLY)), 1u);
  EXPECT_EQ(w.table0.fd(0, 500, 7), nullptr) << "the owner's own fd change waits in worker 0's log";

  // The parent side of a fork: worker 0 applies the log first, so the child
  // it creates copies the fd.
  w.feed(test::clone_event(KE_CLONE, 500, 500, 501, test::child_proc(500, 500, 1), 0));
  ASSERT_NE(w.table0.fd(0, 500, 7), nullptr);
  EXPECT_EQ(w.table0.fd(0, 500, 7)->name, "/srv/inherited.log");
  ASSERT_NE(w.table0.fd(0, 501, 7), nullptr) << "the child inherits the logged fd";

  // A later change is logged again, and dropped with the process.
  w.feed(test::openat_event(500, 500, 8, AT_FDCWD, "/srv/later.log", O_WRONLY));
  EXPECT_EQ(w.table0.fd(0, 500, 8), nullptr);
  w.feed(test::procexit_event(500, 500));
  EXPECT_FALSE(w.table0.has_process(0, 500));
  // The pid comes back as a new process: nothing of the old log is applied.
  w.feed(test::clone_event(KE_CLONE, 500, 500, 0, test::child_proc(500, 500, 1), 0));
  w.feed(test::clone_event(KE_CLONE, 500, 500, 502, test::child_proc(500, 500, 1), 0));
  EXPECT_EQ(w.table0.fd(0, 500, 8), nullptr);
  EXPECT_EQ(w.table0.fd(0, 502, 8), nullptr);
  w.workers.drain();
}

TEST(EngineWorkers, AProcessOfWorker0MovesToAThreadWorkerThatRanOutOfWorkWithItsFds) {
  // The thread worker is held inside its first chunk (its updater asks the
  // resolver about unknown process 666) until `release` is set.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  TwoWorkers w([released](DomainId, int64_t pid) -> std::optional<std::vector<ThreadInfo>> {
    if (pid == 666) released.wait();
    return std::nullopt;
  });
  ASSERT_EQ(w.feed(test::openat_event(666, 666, 3, AT_FDCWD, "/srv/a", O_RDONLY)), 1u);
  w.workers.flush();
  ASSERT_EQ(w.feed(test::openat_event(666, 666, 4, AT_FDCWD, "/srv/b", O_RDONLY)), 1u);
  w.workers.flush();
  // Two chunks handed over, none handled: the thread worker does not keep
  // up, so a new process stays on worker 0, and it opens a file there.
  ASSERT_EQ(w.feed(test::clone_event(KE_CLONE, 700, 700, 0, test::child_proc(700, 700, 1), 0)), 0u);
  ASSERT_EQ(w.feed(test::openat_event(700, 700, 7, AT_FDCWD, "/srv/opened-on-worker0.log", O_WRONLY)), 0u);
  ASSERT_EQ(w.alerts.size(), 1u);
  EXPECT_NE(w.alerts[0].output.find("open /srv/opened-on-worker0.log"), std::string::npos) << w.alerts[0].output;

  release.set_value();
  w.workers.drain();
  // Out of work now: the process's next event moves it, with the fd its
  // rules read, and its later events follow.
  EXPECT_EQ(w.feed(test::close_event(700, 700, 7)), 1u);
  EXPECT_EQ(w.feed(test::openat_event(700, 700, 8, AT_FDCWD, "/srv/later.log", O_WRONLY)), 1u);
  w.workers.drain();
  std::vector<engine::Alert> moved;
  w.workers.collect(moved);
  std::vector<std::string> outputs;
  for (const auto& a : moved) outputs.push_back(a.output);
  ASSERT_EQ(outputs.size(), 4u);
  EXPECT_NE(outputs[2].find("close /srv/opened-on-worker0.log"), std::string::npos) << outputs[2];
  EXPECT_NE(outputs[3].find("open /srv/later.log"), std::string::npos) << outputs[3];
  EXPECT_EQ(w.alerts.size(), 1u) << "nothing more raised on worker 0";
}

TEST(EngineWorkers, TheOwnerMapStaysBoundedWhenProcessesNeverReportTheirExit) {
  // Worker 0's table holds at most 2,048 threads. Which worker a process
  // goes to depends on how the thread worker keeps up, and worker 0 keeps
  // an entry of each of its own (it evaluates their events), so the table's
  // bound, not the timing, bounds what the sweeps keep.
  ThreadTableConfig config;
  config.max_threads = 2048;
  TwoWorkers w(nullptr, config);
  // Processes worker 0's table holds keep their owner through the sweeps
  // (their clone, applied on worker 0 whoever owns them, keeps them recent).
  auto long_lived = [&] {
    for (uint32_t pid = 100; pid < 110; ++pid)
      w.feed(test::clone_event(KE_CLONE, pid, pid, 0, test::child_proc(pid, pid, 1), 0));
  };
  long_lived();
  // 60,000 processes seen once through a close of an unknown fd, whose
  // exits were lost.
  for (uint32_t pid = 1000; pid < 61000; ++pid) {
    EventBuilder b(KE_CLOSE, pid, pid, pid);
    b.put_int(KPARAM(CLOSE, res), -9).put_int(KPARAM(CLOSE, fd), 42);
    w.feed(b.finish_or_throw());
    if (pid % 1000 == 0) long_lived();
  }
  // A sweep keeps what the table holds (at most 2,048) and the next comes
  // at 16,384 owners.
  EXPECT_LE(w.workers.owned_processes(), 16384u) << "swept, not one entry per process ever seen";
  EXPECT_GE(w.workers.owned_processes(), 10u);
  for (uint32_t pid = 100; pid < 110; ++pid) EXPECT_TRUE(w.table0.has_process(0, pid));
  w.workers.drain();
}

}  // namespace
}  // namespace kestrel
