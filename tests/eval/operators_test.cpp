// Every operator and transformer, on real events and a seeded table.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "tests/eval/rule_harness.h"

namespace kestrel::engine::eval::testing {
namespace {

class OperatorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world.seed_tree();
    open_ev = &world.openat(300, 5, "/etc/shadow", O_RDONLY | O_CLOEXEC);
  }
  bool m(const std::string& cond) { return matches(cond, *open_ev, world.table()); }

  World world;
  const Event* open_ev = nullptr;
};

TEST_F(OperatorsTest, Equality) {
  EXPECT_TRUE(m("proc.name = python3"));
  EXPECT_TRUE(m("proc.name == python3"));
  EXPECT_FALSE(m("proc.name = python"));
  EXPECT_TRUE(m("proc.name != python"));
  EXPECT_FALSE(m("proc.name != python3"));
  EXPECT_TRUE(m("fd.name = /etc/shadow"));
  EXPECT_TRUE(m("proc.pid = 300"));
  EXPECT_TRUE(m("proc.pid = 0x12c"));
  EXPECT_FALSE(m("proc.pid != 300"));
  EXPECT_TRUE(m("user.uid = 1000"));
  EXPECT_TRUE(m("evt.is_open_read = true"));
  EXPECT_FALSE(m("evt.is_open_write = true"));
  EXPECT_TRUE(m("evt.is_open_write = false"));
}

TEST_F(OperatorsTest, Ordering) {
  EXPECT_TRUE(m("proc.pid > 299"));
  EXPECT_FALSE(m("proc.pid > 300"));
  EXPECT_TRUE(m("proc.pid >= 300"));
  EXPECT_TRUE(m("proc.pid < 301"));
  EXPECT_TRUE(m("proc.pid <= 300"));
  EXPECT_FALSE(m("proc.pid < 300"));
  EXPECT_TRUE(m("evt.rawres >= 0"));
  EXPECT_TRUE(m("user.loginuid > -1"));
  // The grammar only takes numbers after < <= > >= (Falco's).
  EXPECT_NE(compile_rules(rule_yaml("t", "proc.name > python")).error, "");
}

TEST_F(OperatorsTest, StringOperators) {
  EXPECT_TRUE(m("fd.name contains shad"));
  EXPECT_FALSE(m("fd.name contains SHAD"));
  EXPECT_TRUE(m("fd.name icontains SHAD"));
  EXPECT_TRUE(m("fd.name icontains /eTc/ShAdOw"));
  EXPECT_FALSE(m("fd.name icontains /etc/shadowx"));
  EXPECT_TRUE(m("fd.name startswith /etc/"));
  EXPECT_FALSE(m("fd.name startswith /usr/"));
  EXPECT_TRUE(m("fd.name endswith shadow"));
  EXPECT_FALSE(m("fd.name endswith shado"));
  EXPECT_TRUE(m("fd.name bcontains 736861"));    // "sha"
  EXPECT_TRUE(m("fd.name bstartswith 2f657463"));  // "/etc"
  EXPECT_FALSE(m("fd.name bstartswith 657463"));
  EXPECT_TRUE(m("proc.cmdline contains \"--port 8080\""));
}

TEST_F(OperatorsTest, GlobAndRegex) {
  EXPECT_TRUE(m("fd.name glob /etc/*"));
  EXPECT_TRUE(m("fd.name glob '/etc/sha?ow'"));
  EXPECT_TRUE(m("fd.name glob '/etc/[rs]hadow'"));
  EXPECT_FALSE(m("fd.name glob '/etc/[!s]hadow'"));
  EXPECT_FALSE(m("fd.name glob /ETC/*"));
  EXPECT_TRUE(m("fd.name iglob /ETC/*"));
  EXPECT_FALSE(m("fd.name glob /etc"));
  // Falco anchors regexes at both ends.
  EXPECT_TRUE(m("fd.name regex '/etc/s.*'"));
  EXPECT_FALSE(m("fd.name regex 'etc/s.*'"));
  EXPECT_TRUE(m("proc.name regex 'py(thon)?[0-9]'"));
}

TEST_F(OperatorsTest, InAndIntersects) {
  EXPECT_TRUE(m("proc.name in (bash, python3, sh)"));
  EXPECT_FALSE(m("proc.name in (bash, sh)"));
  EXPECT_FALSE(m("proc.name in ()"));
  EXPECT_TRUE(m("proc.pid in (1, 300)"));
  EXPECT_FALSE(m("proc.pid in (1, 301)"));
  EXPECT_TRUE(m("proc.name intersects (python3)"));
  EXPECT_TRUE(m("evt.type in (open, openat)"));
  EXPECT_FALSE(m("evt.type in (execve, connect)"));
  EXPECT_TRUE(m("evt.type != execve"));
}

TEST_F(OperatorsTest, Pmatch) {
  EXPECT_TRUE(m("fd.name pmatch (/etc)"));
  EXPECT_TRUE(m("fd.name pmatch (/usr, /etc/)"));
  EXPECT_TRUE(m("fd.name pmatch (/etc/shadow)"));
  EXPECT_FALSE(m("fd.name pmatch (/et)"));
  EXPECT_FALSE(m("fd.name pmatch (/etc/shadow/x, /usr)"));
  EXPECT_TRUE(m("fd.name pmatch (/)"));
  EXPECT_TRUE(m("proc.cwd pmatch (/home)"));
}

TEST_F(OperatorsTest, Exists) {
  EXPECT_TRUE(m("fd.name exists"));
  EXPECT_TRUE(m("proc.aname[3] exists"));   // 300→200→100→1
  EXPECT_FALSE(m("proc.aname[4] exists"));
  EXPECT_FALSE(m("fd.sip exists"));         // a file, not a socket
  EXPECT_FALSE(m("container.image exists"));  // not known yet
}

TEST_F(OperatorsTest, MissingValuesMatchNothing) {
  EXPECT_FALSE(m("fd.sip = 1.2.3.4"));
  EXPECT_FALSE(m("fd.sip != 1.2.3.4"));
  EXPECT_TRUE(m("not fd.sip = 1.2.3.4"));
  EXPECT_FALSE(m("proc.aname[9] != bash"));
  EXPECT_FALSE(m("container.image.repository in (nginx)"));
}

TEST_F(OperatorsTest, Ancestors) {
  EXPECT_TRUE(m("proc.pname = bash"));
  EXPECT_TRUE(m("proc.aname[1] = bash"));
  EXPECT_TRUE(m("proc.aname[2] = sshd"));
  EXPECT_TRUE(m("proc.aname[3] = systemd"));
  EXPECT_TRUE(m("proc.aname[0] = python3"));
  // Without an index: any ancestor (from the parent up).
  EXPECT_TRUE(m("proc.aname = sshd"));
  EXPECT_TRUE(m("proc.aname in (cron, systemd)"));
  EXPECT_FALSE(m("proc.aname = python3"));
  EXPECT_TRUE(m("proc.apid[2] = 100"));
  EXPECT_TRUE(m("proc.aexepath[2] = /usr/sbin/sshd"));
  EXPECT_TRUE(m("proc.pcmdline = bash"));
}

TEST_F(OperatorsTest, Transformers) {
  EXPECT_TRUE(m("toupper(proc.name) = PYTHON3"));
  EXPECT_TRUE(m("tolower(toupper(proc.name)) = python3"));
  EXPECT_TRUE(m("basename(fd.name) = shadow"));
  EXPECT_TRUE(m("basename(proc.exepath) in (python3)"));
  EXPECT_TRUE(m("len(fd.name) = 11"));
  EXPECT_TRUE(m("len(fd.name) > 10"));
  EXPECT_FALSE(m("len(proc.name) > 7"));
  EXPECT_TRUE(m("tolower(proc.aname) = sshd"));
}

TEST_F(OperatorsTest, Base64) {
  // "cHl0aG9uMw==" is base64 for "python3".
  World w;
  w.seed_tree();
  ProcSpec sh;
  sh.pid = 500;
  sh.ppid = 200;
  sh.comm = "sh";
  sh.exepath = "/bin/sh";
  sh.args = {"cHl0aG9uMw=="};
  w.add_process(sh);
  const Event& e = w.openat(500, 3, "/tmp/x", O_WRONLY);
  EXPECT_TRUE(matches("b64(proc.args) = python3", e, w.table()));
  EXPECT_FALSE(matches("b64(proc.name) exists", e, w.table()));  // "sh" is not base64
}

TEST_F(OperatorsTest, FieldOnTheRightHandSide) {
  EXPECT_TRUE(m("proc.pid = val(thread.tid)"));
  EXPECT_FALSE(m("proc.name = val(proc.pname)"));
  EXPECT_TRUE(m("fd.name startswith val(fd.directory)"));
  EXPECT_TRUE(m("proc.ppid < val(proc.pid)"));
}

TEST_F(OperatorsTest, EventArguments) {
  EXPECT_TRUE(m("evt.arg.flags contains O_CLOEXEC"));
  EXPECT_TRUE(m("evt.arg.name = /etc/shadow"));
  EXPECT_TRUE(m("evt.arg[2] = /etc/shadow"));
  EXPECT_TRUE(m("evt.rawarg.fd = 5"));
  EXPECT_TRUE(m("evt.rawarg.fd > 4"));
  EXPECT_TRUE(m("evt.rawarg.flags = 0x80000"));  // O_CLOEXEC, O_RDONLY = 0
  EXPECT_FALSE(m("evt.arg.nosuchparam exists"));
}

TEST_F(OperatorsTest, NetworkFields) {
  World w;
  w.seed_tree();
  const uint8_t local[4] = {10, 0, 0, 5}, remote[4] = {93, 184, 216, 34};
  w.socket(300, 7, 2, 1);
  const Event& c = w.connect(300, 7, local, 45000, remote, 443);
  auto cm = [&](const std::string& cond) { return matches(cond, c, w.table()); };
  EXPECT_TRUE(cm("fd.sip = 93.184.216.34"));
  EXPECT_TRUE(cm("fd.cip = 10.0.0.5"));
  EXPECT_TRUE(cm("fd.rip = 93.184.216.34"));
  EXPECT_TRUE(cm("fd.lip = 10.0.0.5"));
  EXPECT_TRUE(cm("fd.sport = 443"));
  EXPECT_TRUE(cm("fd.rport in (80, 443)"));
  EXPECT_TRUE(cm("fd.lport = 45000"));
  EXPECT_TRUE(cm("fd.ip = 10.0.0.5"));
  EXPECT_TRUE(cm("fd.ip = 93.184.216.34"));
  EXPECT_TRUE(cm("fd.port = 45000"));
  EXPECT_TRUE(cm("fd.snet = 93.184.0.0/16"));
  EXPECT_TRUE(cm("fd.sip in (10.0.0.0/8, 93.184.216.0/24)"));
  EXPECT_FALSE(cm("fd.sip in (10.0.0.0/8, 192.168.0.0/16)"));
  EXPECT_TRUE(cm("fd.net = 10.0.0.0/8"));
  EXPECT_TRUE(cm("fd.l4proto = tcp"));
  EXPECT_TRUE(cm("fd.sockfamily = ip"));
  EXPECT_TRUE(cm("fd.typechar = 4"));
  EXPECT_TRUE(cm("fd.type = ipv4"));
  EXPECT_FALSE(cm("fd.is_server = true"));

  const uint8_t client[4] = {192, 168, 1, 9}, me[4] = {10, 0, 0, 5};
  const Event& a = w.accept(400, 9, client, 50000, me, 80);
  auto am = [&](const std::string& cond) { return matches(cond, a, w.table()); };
  EXPECT_TRUE(am("fd.lport = 80"));
  EXPECT_TRUE(am("fd.rip = 192.168.1.9"));
  EXPECT_TRUE(am("fd.is_server = true"));
  EXPECT_TRUE(am("fd.num = 9"));
}

TEST_F(OperatorsTest, CompileErrorsNameTheRule) {
  Compiled c = compile_rules(rule_yaml("bad regex", "proc.name regex 'a(' and evt.type = open"));
  EXPECT_NE(c.error, "");
  // Numbers do not take string operators (the loader or compiler says so).
  Compiled d = compile_rules(rule_yaml("bad op", "proc.pid contains 3 and evt.type = open"));
  EXPECT_NE(d.error, "");
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
