// Parsers of `runsc list -format=json` and `runsc trace procfs` output. The
// texts have the shape runsc 0.0~20221219 prints (banner, blank-line
// separated objects; env and maps shortened).
#include <gtest/gtest.h>

#include "gvisor/runsc_output.h"

namespace kestrel::gvisor {
namespace {

TEST(RunscList, ParsesSandboxesAndNull) {
  auto r = parse_runsc_list(
      R"([{"ociVersion":"1.0.2-dev","id":"runsc-858719","status":"running","pid":27910,"bundle":"/tmp/b"},)"
      R"({"id":"other","status":"stopped","pid":0},{"status":"running"}])");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);  // the entry without an id is skipped
  EXPECT_EQ((*r)[0].id, "runsc-858719");
  EXPECT_EQ((*r)[0].pid, 27910);
  EXPECT_EQ((*r)[0].status, "running");
  EXPECT_EQ((*r)[0].bundle, "/tmp/b");
  EXPECT_EQ((*r)[1].status, "stopped");

  auto empty = parse_runsc_list("null\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parse_runsc_list("ID PID STATUS").ok());
  EXPECT_FALSE(parse_runsc_list(R"({"id":"x"})").ok());
}

constexpr const char* kDump =
    "PROCFS DUMP\n\n"
    R"({"exe":"/usr/bin/dash","args":["/bin/sh","-c","sleep 1000"],"env":["HOME=/root"],"cwd":"/work",)"
    R"("fdlist":[{"number":0,"path":"host:[1]","mode":8630},{"number":3,"path":"/etc/hosts","mode":33188},)"
    R"({"number":4,"path":"pipe:[7]","mode":4480},{"number":5,"path":"anon_inode:[eventfd]","mode":0},)"
    R"({"number":6,"path":"/tmp","mode":16877},{"number":7,"path":"socket:[3]","mode":49663}],)"
    R"("clone_ts":1795964165532514311,"root":"/","limits":{"RLIMIT_NOFILE":{"cur":20000,"max":20000}},)"
    R"("status":{"comm":"sh","pid":1,"ppid":0,"uid":{"real":1000,"effective":0,"saved":0},)"
    R"("gid":{"real":100,"effective":101,"saved":0},"vm_size":10632,"vm_rss":3100},"stat":{"pgid":1,"sid":1},)"
    R"("maps":[{"address":{"Start":1,"End":2},"pathname":"/usr/bin/dash"}]})"
    "\n\n"
    R"({"exe":"/usr/bin/sleep","args":["sleep","1000"],"cwd":"/work","clone_ts":1795964165581952868,)"
    R"("status":{"comm":"sleep","pid":2,"ppid":1},"stat":{"pgid":1,"sid":1}})"
    "\n\n"
    R"({"exe":"/bin/broken","args":["x"],"status":{"comm":"x","pid":)"  // cut off
    "\n"
    R"({"exe":"/bin/nopid","status":{"comm":"x"}})"
    "\n";

TEST(RunscProcfs, ProcessesBecomeThreadsOfTheDomain) {
  auto r = parse_procfs_dump(kDump, 7, "runsc-858719-and-more");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->skipped, 2u);  // the cut-off object and the one without a pid
  ASSERT_EQ(r->threads.size(), 2u);
  const ThreadInfo& sh = r->threads[0];
  EXPECT_EQ(sh.domain, 7u);
  EXPECT_EQ(sh.tid, 1);
  EXPECT_EQ(sh.pid, 1);
  EXPECT_EQ(sh.vpid, 1);
  EXPECT_EQ(sh.ptid, 0);
  EXPECT_EQ(sh.comm, "sh");
  EXPECT_EQ(sh.exe, "/bin/sh");
  EXPECT_EQ(sh.exepath, "/usr/bin/dash");
  EXPECT_EQ(sh.args, (std::vector<std::string>{"-c", "sleep 1000"}));
  EXPECT_EQ(sh.env, (std::vector<std::string>{"HOME=/root"}));
  EXPECT_EQ(sh.cwd, "/work");
  EXPECT_EQ(sh.root, "/");
  EXPECT_EQ(sh.uid, 1000u);
  EXPECT_EQ(sh.euid, 0u);
  EXPECT_EQ(sh.gid, 100u);
  EXPECT_EQ(sh.egid, 101u);
  EXPECT_EQ(sh.pgid, 1);
  EXPECT_EQ(sh.sid, 1);
  EXPECT_EQ(sh.start_ts, 1795964165532514311u);
  EXPECT_EQ(sh.container_id, "runsc-858719");  // short id: 12 characters
  EXPECT_EQ(sh.container_full_id, "runsc-858719-and-more");
  EXPECT_EQ(sh.container_type, "gvisor");
  ASSERT_EQ(sh.fds.size(), 6u);
  EXPECT_EQ(sh.fds[0].fd, 0);
  EXPECT_EQ(sh.fds[0].type, FdType::kFile);  // a character device
  EXPECT_EQ(sh.fds[1].name, "/etc/hosts");
  EXPECT_EQ(sh.fds[1].type, FdType::kFile);
  EXPECT_EQ(sh.fds[2].type, FdType::kPipe);
  EXPECT_EQ(sh.fds[3].type, FdType::kEvent);
  EXPECT_EQ(sh.fds[4].type, FdType::kDirectory);
  EXPECT_EQ(sh.fds[5].type, FdType::kUnknown);  // socket family unknown

  const ThreadInfo& sleep = r->threads[1];
  EXPECT_EQ(sleep.tid, 2);
  EXPECT_EQ(sleep.ptid, 1);
  EXPECT_EQ(sleep.exe, "sleep");
  EXPECT_EQ(sleep.args, (std::vector<std::string>{"1000"}));
  EXPECT_TRUE(sleep.fds.empty());
}

TEST(RunscProcfs, ClampsUntrustedStringsAndCounts) {
  std::string big(10000, 'a');
  std::string text = "PROCFS DUMP\n\n{\"exe\":\"/bin/" + big + "\",\"args\":[\"a\",\"b\",\"c\"],\"status\":{\"pid\":3}}\n";
  ProcfsLimits lim;
  lim.max_string = 100;
  lim.max_args = 2;
  auto r = parse_procfs_dump(text, 1, "c", lim);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->threads.size(), 1u);
  EXPECT_EQ(r->threads[0].exepath.size(), 100u);
  EXPECT_EQ(r->threads[0].args, std::vector<std::string>{"b"});
}

TEST(RunscProcfs, RejectsTextThatIsNoDump) {
  EXPECT_FALSE(parse_procfs_dump("sandbox not found\n", 1, "c").ok());
  auto empty = parse_procfs_dump("PROCFS DUMP\n\n", 1, "c");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->threads.empty());
}

}  // namespace
}  // namespace kestrel::gvisor
