// Falco's own rules on Falco's own traces, through the whole collector
// (kestrel -e TRACE.scap -r RULES): the counts falco_tests.yaml expects.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"
#include "tests/scap/synthetic_scap.h"

#ifndef KESTREL_FALCO_REGRESSION
#error "KESTREL_FALCO_REGRESSION must name the falco-regression directory"
#endif

namespace kestrel {
namespace {

std::string regression(const std::string& rel) { return std::string(KESTREL_FALCO_REGRESSION) + "/" + rel; }

// Alerts by rule of `kestrel -e trace -r rules... -o json_output=true`.
std::map<std::string, int> alerts_by_rule(const std::string& trace, const std::vector<std::string>& rules,
                                          std::string* log = nullptr, const std::vector<std::string>& extra = {}) {
  std::vector<const char*> args = {"kestrel", "-e", trace.c_str(), "-o", "json_output=true", "--stats"};
  for (const auto& e : extra) args.push_back(e.c_str());
  for (const auto& r : rules) {
    args.push_back("-r");
    args.push_back(r.c_str());
  }
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  EXPECT_EQ(code, kExitOk) << err.str();
  if (log) *log = err.str();
  std::map<std::string, int> by_rule;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("rule")) ++by_rule[j["rule"].get<std::string>()];
  }
  return by_rule;
}

TEST(ScapRules, CatWriteRaisesOpenFromCatEightTimesAsInFalcosTests) {
  // falco_tests.yaml, multiple_rules_suppress_info: open_from_cat: 8 (four
  // opens, each seen at enter and at exit).
  std::string log;
  auto by_rule = alerts_by_rule(regression("trace_files/cat_write.scap"), {regression("rules/single_rule.yaml")}, &log);
  EXPECT_EQ(by_rule["open_from_cat"], 8) << log;
  // --stats names what was not modelled.
  EXPECT_NE(log.find("scap_unmodelled.procinfo(234): 260"), std::string::npos) << log;
}

TEST(ScapRules, EvtDirSelectsOneDirectionOfAReplay) {
  const std::string path = ::testing::TempDir() + "scap_dir_rules.yaml";
  std::ofstream(path) << "- rule: open_exit\n  desc: x\n  condition: evt.type=open and evt.dir=< and proc.name=cat\n"
                         "  output: exit\n  priority: WARNING\n"
                         "- rule: open_enter\n  desc: x\n  condition: evt.type=open and evt.dir=> and proc.name=cat\n"
                         "  output: enter %evt.dir\n  priority: WARNING\n"
                         "- rule: open_not_enter\n  desc: x\n  condition: evt.type=open and evt.dir!=> and proc.name=cat\n"
                         "  output: not enter\n  priority: WARNING\n";
  auto by_rule = alerts_by_rule(regression("trace_files/cat_write.scap"), {path}, nullptr, {"-o", "rule_matching=all"});
  EXPECT_EQ(by_rule["open_exit"], 4);
  EXPECT_EQ(by_rule["open_enter"], 4);
  EXPECT_EQ(by_rule["open_not_enter"], 4);
}

TEST(ScapRules, EntersNoRuleCanMatchAreLeftOutAndTheirParamsReachTheExit) {
  // A rule that says evt.dir=< reads no read enter: the replay builds no
  // record of it (counted), and the exit still carries its fd.
  using namespace synthetic_scap;
  ProcEntry p;
  p.tid = p.pid = 4000;
  p.comm = "reader";
  p.exe = "/bin/reader";
  SyntheticScap w;
  w.section_header();
  w.proclist(9, {p});
  w.event_in(kEVV2, 6, 10, 4000, {le<int64_t>(3), le<uint32_t>(10)});  // read enter: fd, size
  w.event_in(kEVV2, 7, 11, 4000, {le<int64_t>(5), {'h', 'e', 'l', 'l', 'o'}});  // exit: res, data
  const std::string trace = ::testing::TempDir() + "scap_left_out.scap";
  std::ofstream(trace, std::ios::binary).write(reinterpret_cast<const char*>(w.bytes().data()), w.bytes().size());
  const std::string rules = ::testing::TempDir() + "scap_left_out_rules.yaml";
  std::ofstream(rules) << "- rule: read_exit\n  desc: x\n  condition: evt.type=read and evt.dir=< and fd.num=3\n"
                          "  output: x\n  priority: WARNING\n"
                          "- rule: any_read\n  desc: x\n  condition: evt.type=read and evt.dir=>\n"
                          "  output: x\n  priority: WARNING\n";
  std::string log;
  auto by_rule = alerts_by_rule(trace, {rules}, &log, {"-o", "rule_matching=all"});
  // With a rule that reads read enters, the enter is delivered.
  EXPECT_EQ(by_rule["read_exit"], 1) << log;
  EXPECT_EQ(by_rule["any_read"], 1) << log;
  EXPECT_EQ(log.find("scap_enters_left_out"), std::string::npos) << log;
  std::ofstream(rules) << "- rule: read_exit\n  desc: x\n  condition: evt.type=read and evt.dir=< and fd.num=3\n"
                          "  output: x\n  priority: WARNING\n";
  by_rule = alerts_by_rule(trace, {rules}, &log);
  EXPECT_EQ(by_rule["read_exit"], 1) << log;
  EXPECT_NE(log.find("scap_enters_left_out: 1"), std::string::npos) << log;
  EXPECT_NE(log.find("Events processed: 1\n"), std::string::npos) << log;
}

TEST(ScapRules, SyscallsCaseDetectsMadviseTwiceAsInFalcosTests) {
  // falco_tests.yaml, syscalls (all_events): detect_madvise: 2, detect_open:
  // 2. syscall.scap's madvise calls are generic events (scap ids 0/1) whose
  // nativeID names the syscall; evt.type=madvise matches their exits.
  std::string log;
  auto by_rule = alerts_by_rule(regression("trace_files/syscall.scap"), {regression("rules/syscalls.yaml")}, &log,
                                {"-A", "-o", "rule_matching=all"});
  EXPECT_EQ(by_rule["detect_madvise"], 2) << log;
  EXPECT_EQ(by_rule["detect_open"], 2) << log;
  EXPECT_NE(log.find("scap_generic.syscall(madvise): 4"), std::string::npos) << log;
}

TEST(ScapRules, EvtTypeOfAGenericEventIsItsSyscall) {
  const std::string path = ::testing::TempDir() + "scap_generic_rules.yaml";
  std::ofstream(path) << "- rule: not_madvise\n  desc: x\n  condition: evt.type != madvise and evt.dir=< and "
                         "proc.name=cat and evt.type in (mprotect, arch_prctl, madvise, fadvise64)\n"
                         "  output: \"%evt.type\"\n  priority: WARNING\n"
                         "- rule: arch_prctl\n  desc: x\n  condition: evt.type = arch_prctl\n"
                         "  output: \"%evt.type %syscall.type %evt.dir\"\n  priority: WARNING\n";
  std::string log;
  auto by_rule = alerts_by_rule(regression("trace_files/cat_write.scap"), {path}, &log, {"-A", "-o", "rule_matching=all"});
  // sysdig -r cat_write.scap: 4 mprotect and 1 arch_prctl exits, and 1 exit
  // of nativeID 221 (fadvise64; sysdig: '<unknown>').
  EXPECT_EQ(by_rule["not_madvise"], 6) << log;
  EXPECT_EQ(by_rule["arch_prctl"], 2) << log;
}

TEST(ScapRules, AProcessListAfterEventsNamesItsProcesses) {
  using namespace synthetic_scap;
  ProcEntry first;
  first.tid = first.pid = 4000;
  first.comm = "first";
  first.exe = "/bin/first";
  ProcEntry late;
  late.tid = late.pid = 5000;
  late.ptid = 1;
  late.comm = "latecomer";
  late.exe = "/opt/late";
  late.cwd = "/srv";
  late.uid = 1001;
  ProcEntry late_thread = late;
  late_thread.tid = 5001;
  SyntheticScap w;
  w.section_header();
  w.proclist(9, {first});
  w.event_in(kEVV2, 4, 10, 4000, {le<int64_t>(3)});  // close
  w.event_in(kEVV2, 5, 11, 4000, {le<int64_t>(0)});
  w.proclist(9, {late, late_thread});
  std::vector<uint8_t> fdl;
  put<uint64_t>(fdl, 5000);
  put<uint32_t>(fdl, 0);
  put<int64_t>(fdl, 6);
  put<uint64_t>(fdl, 66);
  fdl.push_back(1);  // SCAP_FD_FILE
  str(fdl, "/late/file");
  set_len(fdl, 8);
  w.block(kFDLV2, fdl);
  w.event_in(kEVV2, 4, 20, 5001, {le<int64_t>(6)});
  w.event_in(kEVV2, 5, 21, 5001, {le<int64_t>(0)});
  const std::string trace = ::testing::TempDir() + "scap_late_list.scap";
  std::ofstream(trace, std::ios::binary).write(reinterpret_cast<const char*>(w.bytes().data()), w.bytes().size());
  const std::string rules = ::testing::TempDir() + "scap_late_rules.yaml";
  std::ofstream(rules) << "- rule: late_close\n  desc: x\n  condition: evt.type=close and evt.dir=< and proc.pid=5000\n"
                          "  output: \"LATE %proc.name %proc.exe %proc.cwd %fd.name %thread.tid\"\n  priority: WARNING\n";
  std::vector<const char*> args = {"kestrel", "-e", trace.c_str(), "-r", rules.c_str()};
  std::ostringstream out, err;
  ASSERT_EQ(run_kestrel(static_cast<int>(args.size()), args.data(), out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("LATE latecomer /opt/late /srv /late/file 5001"), std::string::npos) << out.str() << err.str();
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

// Syscalls Kestrel has no event type for replay as generic records named
// after the syscall: falco_tests.yaml's `syscalls` (madvise, from scap's
// generic events) and `multiple_rules` (access, which scap models and
// Kestrel does not) count them as Falco does.
TEST(ScapRules, SyscallsWithoutAKestrelTypeMatchByName) {
  std::string log;
  auto by_rule = alerts_by_rule(regression("trace_files/syscall.scap"), {regression("rules/syscalls.yaml")}, &log);
  EXPECT_EQ(by_rule["detect_madvise"], 2) << log;
  EXPECT_EQ(by_rule["detect_open"], 2) << log;
  by_rule = alerts_by_rule(regression("trace_files/cat_write.scap"),
                           {regression("rules/single_rule.yaml"), regression("rules/double_rule.yaml")}, &log);
  EXPECT_EQ(by_rule["access_from_cat"], 6) << log;  // 3 calls, enter and exit
  // evt.type != excludes them by name too.
  const std::string path = ::testing::TempDir() + "scap_generic_ne.yaml";
  std::ofstream(path) << "- rule: not_madvise\n  desc: x\n  condition: evt.type=syscall and evt.type!=madvise\n"
                         "  output: \"%evt.type\"\n  priority: WARNING\n";
  by_rule = alerts_by_rule(regression("trace_files/syscall.scap"), {path}, &log);
  EXPECT_EQ(by_rule["not_madvise"], 0) << log;
  EXPECT_NE(log.find("scap_generic.syscall(madvise): 4"), std::string::npos) << log;  // sysdig: 4 madvise events
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

// A synthetic capture of opens, reads and closes (scap's open, read and
// close events, enter and exit) by the threads of a process list.
class FileEvents {
 public:
  explicit FileEvents(const std::vector<synthetic_scap::ProcEntry>& procs) {
    w_.section_header();
    w_.proclist(9, procs);
  }
  synthetic_scap::SyntheticScap& writer() { return w_; }
  void open(uint64_t tid, int64_t fd, const std::string& name) {
    using namespace synthetic_scap;
    w_.event_in(kEVV2, 2, ts_++, tid, {cstr(name), le<uint32_t>(0), le<uint32_t>(0)});
    w_.event_in(kEVV2, 3, ts_++, tid,
                {le<int64_t>(fd), cstr(name), le<uint32_t>(0), le<uint32_t>(0), le<uint32_t>(0), le<uint64_t>(1)});
  }
  void read(uint64_t tid, int64_t fd) {
    using namespace synthetic_scap;
    w_.event_in(kEVV2, 6, ts_++, tid, {le<int64_t>(fd), le<uint32_t>(1)});
    w_.event_in(kEVV2, 7, ts_++, tid, {le<int64_t>(1), {'x'}});
  }
  void close(uint64_t tid, int64_t fd) {
    using namespace synthetic_scap;
    w_.event_in(kEVV2, 4, ts_++, tid, {le<int64_t>(fd)});
    w_.event_in(kEVV2, 5, ts_++, tid, {le<int64_t>(0)});
  }
  // Written to the test's temp directory as `name`; its path.
  std::string save(const std::string& name) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(w_.bytes().data()), w_.bytes().size());
    return path;
  }

 private:
  synthetic_scap::SyntheticScap w_;
  uint64_t ts_ = 1000;
};

synthetic_scap::ProcEntry proc(uint64_t pid, const std::string& comm) {
  synthetic_scap::ProcEntry p;
  p.tid = p.pid = pid;
  p.comm = comm;
  p.exe = "/bin/" + comm;
  return p;
}

// `kestrel -e trace -r rules --stats`: the alerts (stdout), the log in `log`.
std::string replay(const std::string& trace, const std::string& rules, std::string& log) {
  std::vector<const char*> args = {"kestrel", "-e", trace.c_str(), "-r", rules.c_str(), "--stats"};
  std::ostringstream out, err;
  EXPECT_EQ(run_kestrel(static_cast<int>(args.size()), args.data(), out, err), kExitOk) << err.str();
  log = err.str();
  return out.str();
}

// The line of `log` that starts with `key` ("" if none).
std::string log_line(const std::string& log, const std::string& key) {
  auto at = log.find(key);
  return at == std::string::npos ? std::string() : log.substr(at, log.find('\n', at) - at);
}

// The number after "key: " in `log` (0 if the line is missing).
uint64_t log_count(const std::string& log, const std::string& key) {
  const std::string line = log_line(log, key + ": ");
  return line.empty() ? 0 : std::stoull(line.substr(key.size() + 2));
}

// Exit records whose answer is already known (same type, thread and fd,
// last handled with no match, no state change since) are passed over
// without being built (app/pipeline.h): the alerts, their evt.num and the
// event count are those of a run that builds and evaluates every record.
// The capture spans several batches (a judge is asked only at a batch's
// start), and the fd's name changes in the middle (close, open), so stale
// answers must not be reused.
TEST(ScapRules, ExitsWithAKnownAnswerArePassedOverAndCountAsHandled) {
  FileEvents w({proc(4000, "reader"), proc(4100, "other")});
  std::vector<uint8_t> fdl;  // other's fd 3: /c
  synthetic_scap::put<uint64_t>(fdl, 4100);
  synthetic_scap::put<uint32_t>(fdl, 0);
  synthetic_scap::put<int64_t>(fdl, 3);
  synthetic_scap::put<uint64_t>(fdl, 77);
  fdl.push_back(1);  // SCAP_FD_FILE
  synthetic_scap::str(fdl, "/c");
  synthetic_scap::set_len(fdl, 8);
  w.writer().block(synthetic_scap::kFDLV2, fdl);
  w.open(4000, 3, "/b");
  for (int i = 0; i < 3000; ++i) {
    w.read(4000, 3);
    if (i % 3 == 0) w.read(4100, 3);
  }
  w.close(4000, 3);
  w.open(4000, 3, "/a");
  for (int i = 0; i < 3000; ++i) {
    w.read(4000, 3);
    if (i % 5 == 0) w.read(4100, 3);
  }
  const std::string trace = w.save("scap_passed_over.scap");

  // The same rules, judged (state-only fields) and not (evt.num is not one).
  auto run = [&](const std::string& extra, std::string& log) {
    const std::string rules = ::testing::TempDir() + "scap_passed_over_rules.yaml";
    std::ofstream(rules) << "- rule: read_a\n  desc: x\n  condition: evt.type=read and evt.dir=< and fd.name=/a" << extra
                         << "\n  output: \"%evt.num %proc.name %fd.name\"\n  priority: WARNING\n"
                         << "- rule: other_c\n  desc: x\n  condition: evt.type=read and evt.dir=< and proc.name=other "
                            "and fd.name=/c and fd.num=4"
                         << extra << "\n  output: \"%evt.num %proc.name %fd.name\"\n  priority: WARNING\n";
    return replay(trace, rules, log);
  };
  std::string judged_log, built_log;
  const std::string judged = run("", judged_log);
  const std::string built = run(" and evt.num > 0", built_log);
  auto count = [](const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(built, "reader /a"), 3000u) << built_log;
  EXPECT_EQ(count(built, "other"), 0u) << built_log;
  EXPECT_EQ(judged, built);  // every alert, with its evt.num
  EXPECT_EQ(log_line(judged_log, "Events processed:"), log_line(built_log, "Events processed:"));
  EXPECT_NE(log_line(built_log, "Events processed:"), "");
  EXPECT_EQ(log_line(built_log, "scap_events_passed_over"), "") << built_log;
  // Most of the reads of /b (no match) and of other's /c are passed over.
  EXPECT_GT(log_count(judged_log, "scap_events_passed_over"), 2000u) << judged_log;
}

// A change of state makes every answer stale: the next read of each
// (thread, fd) is built and evaluated again, and the reads after it are
// passed over as soon as that answer is in, not built for the rest of the
// batch (2048 records).
TEST(ScapRules, ReadsAfterAChangeOfStateArePassedOverOnceTheirAnswerIsBackAgain) {
  FileEvents w({proc(4000, "reader"), proc(4100, "other")});
  w.open(4000, 3, "/b");
  constexpr int kReads = 6000, kEvery = 200;
  for (int i = 0; i < kReads; ++i) {
    w.read(4000, 3);
    if (i % kEvery == kEvery - 1) {  // another thread's open and close: the state changes
      w.open(4100, 5, "/d");
      w.close(4100, 5);
    }
  }
  const std::string trace = w.save("scap_state_changes.scap");
  // Judged, and built (evt.num is not a state-only field).
  auto run = [&](const std::string& extra, std::string& log) {
    const std::string rules = ::testing::TempDir() + "scap_state_changes_rules.yaml";
    std::ofstream(rules) << "- rule: read_a\n  desc: x\n  condition: evt.type=read and evt.dir=< and fd.name=/a" << extra
                         << "\n  output: \"%evt.num %proc.name %fd.name\"\n  priority: WARNING\n";
    return replay(trace, rules, log);
  };
  std::string judged_log, built_log;
  EXPECT_EQ(run("", judged_log), "");
  EXPECT_EQ(run(" and evt.num > 0", built_log), "");
  // Every read counts as handled, as in the run that builds them all.
  EXPECT_EQ(log_line(judged_log, "Events processed:"), log_line(built_log, "Events processed:"));
  EXPECT_GT(log_count(built_log, "Events processed"), static_cast<uint64_t>(kReads)) << built_log;
  // Built: the first read, and after each of the 30 changes of state a
  // read or two (the batch holding the change ends before the next read).
  EXPECT_GE(log_count(judged_log, "scap_events_passed_over"), static_cast<uint64_t>(kReads - 3 * (kReads / kEvery)))
      << judged_log;
}

}  // namespace
}  // namespace kestrel
