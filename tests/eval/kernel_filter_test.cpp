// Kernel filters derived from rules (engine/eval/kernel_filter.h): what is
// derived for typical conditions, and — against the real rule engine on
// generated open events — that the filter keeps every event some rule
// matches (soundness), while still dropping something (it is not "keep
// all"). The filter's semantics (sources/kernel_filter.h) are evaluated
// here by a small reference written from that header, independent of the
// BPF code, which the live differential test (tests/app) covers.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/eval/kernel_filter.h"
#include "tests/eval/rule_harness.h"
#include "tests/support/kernel_filter_reference.h"

namespace kestrel::engine::eval::testing {
namespace {

using kestrel::testing::keeps;

const KernelEventFilter* filter_of(const KernelFilterSet& set, uint16_t type) {
  for (const auto& f : set)
    if (f.type == type) return &f;
  return nullptr;
}

// The alternative that keeps every successful open for the state tables.
bool has_state_alternative(const KernelEventFilter& f) {
  return std::any_of(f.alternatives.begin(), f.alternatives.end(), [](const KernelFilterAlternative& a) {
    return a.res == KernelFilterAlternative::kResNonNegative && a.acc == 0xF && !a.path;
  });
}

KernelFilterSet derive(const std::string& yaml) {
  Compiled c = compile_rules(yaml);
  EXPECT_EQ(c.error, "");
  return derive_kernel_filters(c.set);
}

TEST(KernelFilter, PrefixAndWriteModeOfOneRule) {
  // evt.arg.name: the raw path, which needs no fd to resolve (with fd.name
  // every successful open would go up: PathsResolvedThroughFds... below).
  auto set = derive(rule_yaml("w", "evt.type = openat and evt.is_open_write = true and evt.arg.name startswith /etc/"));
  const auto* f = filter_of(set, KE_OPENAT);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->alternatives.size(), 1u);
  EXPECT_EQ(f->alternatives[0].acc, 0b0110);
  ASSERT_TRUE(f->alternatives[0].path);
  EXPECT_EQ(*f->alternatives[0].path, (std::vector<KernelPathAtom>{{"/etc/", true, false}}));
  EXPECT_EQ(filter_of(set, KE_EXECVE), nullptr);  // no rule on it: not filtered
}

TEST(KernelFilter, FailedExecsGoOnlyWhereNoRuleMatchesThem) {
  KernelFilterAlternative success;
  success.res = KernelFilterAlternative::kResNonNegative;
  // Every rule on execve wants a success: failed ones stay in the kernel,
  // successful ones go up whatever the rules (they change the thread table).
  auto set = derive(rule_yaml("s", "evt.type = execve and evt.rawres = 0 and proc.name = sh"));
  const auto* f = filter_of(set, KE_EXECVE);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->alternatives, std::vector<KernelFilterAlternative>{success});
  // A rule on failures keeps them; one on every exec keeps everything.
  auto failures = derive(rule_yaml("s", "evt.type = execve and evt.rawres = 0 and proc.name = sh") +
                         rule_yaml("f", "evt.type = execve and evt.rawres < 0"));
  const auto* g = filter_of(failures, KE_EXECVE);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->alternatives.size(), 2u);
  EXPECT_EQ(filter_of(derive(rule_yaml("a", "evt.type = execve and proc.name = sh")), KE_EXECVE), nullptr);
  // clone is not among the success-only state types: never filtered.
  EXPECT_EQ(filter_of(derive(rule_yaml("c", "evt.type = clone and evt.rawres = 0")), KE_CLONE), nullptr);
}

TEST(KernelFilter, NoFilterWhenOneRuleNeedsEveryEventOfTheType) {
  // A negated path, a contains without '/', a proc-only check: nothing total.
  for (const char* cond : {"evt.type = openat and not fd.name startswith /tmp",
                           "evt.type = openat and fd.name contains shadow",
                           "evt.type = openat and proc.name = cat",
                           "(evt.type = openat and fd.name = /etc/shadow) or proc.name = cat"}) {
    auto set = derive(rule_yaml("a", "evt.type = openat and fd.name = /etc/passwd") + rule_yaml("b", cond));
    EXPECT_EQ(filter_of(set, KE_OPENAT), nullptr) << cond;
  }
}

TEST(KernelFilter, EventTypeChecksFoldPerType) {
  auto set = derive(rule_yaml("x", "(evt.type = openat and evt.arg.name = /etc/shadow) or (evt.type = execve and "
                                   "proc.name = sh) or (evt.type = unlinkat and evt.rawres >= 0)"));
  const auto* f = filter_of(set, KE_OPENAT);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->alternatives.size(), 1u);
  EXPECT_EQ(*f->alternatives[0].path, (std::vector<KernelPathAtom>{{"/etc/shadow", true, true}}));
  const auto* u = filter_of(set, KE_UNLINKAT);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->alternatives[0].res, KernelFilterAlternative::kResNonNegative);
  EXPECT_FALSE(u->alternatives[0].path);
}

TEST(KernelFilter, NegatedResultIsItsExactComplement) {
  auto set = derive(rule_yaml("f", "evt.type = openat and not evt.rawres >= 0 and fd.name startswith /etc"));
  const auto* f = filter_of(set, KE_OPENAT);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->alternatives[0].res, KernelFilterAlternative::kResNegative);
}

TEST(KernelFilter, ReadingFilesThroughOtherEventsKeepsEverySuccessfulOpen) {
  // read's fd.name comes from the table the opens fill: they must go up.
  auto set = derive(rule_yaml("o", "evt.type = openat and fd.name = /etc/shadow") +
                    rule_yaml("r", "evt.type = read and fd.name startswith /etc"));
  const auto* f = filter_of(set, KE_OPENAT);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(has_state_alternative(*f));
  // A rule confined to IP sockets does not need the file fds (the open
  // rule reads only the raw name, which no dirfd resolves).
  auto sockets = derive(rule_yaml("o", "evt.type = openat and evt.arg.name = /etc/shadow") +
                        rule_yaml("c", "evt.type = connect and fd.typechar in ('4', '6') and fd.name != x"));
  const auto* g = filter_of(sockets, KE_OPENAT);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->alternatives.size(), 1u);
}

TEST(KernelFilter, PathsResolvedThroughFdsKeepEverySuccessfulOpen) {
  // openat(dirfd, "shadow") gets its fd.name from the dirfd's open, fchdir()
  // its cwd from the fd's: an open of /etc (O_RDONLY, no path any rule
  // names) must still go up when a rule reads a resolved path.
  for (const char* cond : {"evt.type = openat and fd.name = /etc/shadow",
                           "evt.type = openat and evt.arg.name = /etc/shadow and proc.cwd != /x",
                           "evt.type = openat and evt.arg.name = /etc/shadow and proc.exepath != /x"}) {
    auto set = derive(rule_yaml("o", cond));
    const auto* f = filter_of(set, KE_OPENAT);
    ASSERT_NE(f, nullptr) << cond;
    EXPECT_TRUE(has_state_alternative(*f)) << cond;
  }
}

TEST(KernelFilter, OpensOnlyTheStateNeedsMayWaitInTheKernel) {
  // The state alternative is marked state-only and the opens may be kept
  // in the kernel until their fd is read (deferred opens)...
  const std::string open_rule = rule_yaml("o", "evt.type = openat and fd.name = /etc/shadow");
  auto set = derive(open_rule);
  const auto* f = filter_of(set, KE_OPENAT);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->defer_state);
  size_t state_only = 0;
  for (const auto& a : f->alternatives) {
    if (!a.state_only) continue;
    ++state_only;
    EXPECT_EQ(a.res, KernelFilterAlternative::kResNonNegative);
    EXPECT_FALSE(a.path);
  }
  EXPECT_EQ(state_only, 1u);
  // ... but not when a rule reads close events (a kept fd's close is
  // dropped with it) or the fd table as a whole.
  for (const char* other : {"evt.type = close and fd.name startswith /etc",
                            "evt.type = execve and proc.stdin.name = /dev/null"}) {
    auto with = derive(open_rule + rule_yaml("x", other));
    const auto* g = filter_of(with, KE_OPENAT);
    ASSERT_NE(g, nullptr) << other;
    EXPECT_FALSE(g->defer_state) << other;
    EXPECT_TRUE(has_state_alternative(*g)) << other;
  }
  // Success-only state types are never deferred.
  auto exec = derive(rule_yaml("s", "evt.type = execve and evt.rawres = 0 and proc.name = sh") + open_rule);
  const auto* e = filter_of(exec, KE_EXECVE);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->defer_state);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Soundness on the default ruleset and on hand-made rules exercising every
// atom kind: an open event any rule alerts on is kept by the filter.
TEST(KernelFilter, KeepsEveryOpenARuleMatches) {
  const std::string extra =
      rule_yaml("dir eq", "evt.type = openat and fd.directory = /srv/data and evt.rawres >= 0") +
      rule_yaml("dir ends", "evt.type = openat and fd.directory endswith /keys") +
      rule_yaml("file in", "evt.type = openat and fd.filename in (id_rsa, authorized_keys)") +
      rule_yaml("glob", "evt.type = openat and fd.name glob '/opt/*/secret'") +
      rule_yaml("pmatch", "evt.type = openat and fd.name pmatch (/mnt/a, /mnt/b/)") +
      rule_yaml("raw", "evt.type = openat and evt.arg.name = /x/raw and evt.failed = true");
  const std::string defaults = read_file(KESTREL_RULES);
  ASSERT_FALSE(defaults.empty()) << KESTREL_RULES;
  for (const std::string& yaml : {defaults, extra, defaults + extra}) {
    RuleEngineOptions options;
    options.rule_matching = RuleMatching::kAll;
    Compiled c = compile_rules(yaml, options);
    ASSERT_EQ(c.error, "");
    KernelFilterSet set = derive_kernel_filters(c.set);
    const KernelEventFilter* f = filter_of(set, KE_OPENAT);
    ASSERT_NE(f, nullptr);
    const std::vector<std::string> paths = {
        "/etc/shadow", "/etc/shadow-", "/etc/shadowx", "/etc/passwd", "/etc//shadow", "/tmp/../etc/shadow",
        "/etc/./shadow", "shadow", "../etc/shadow", "/root/.ssh/id_rsa", "/home/a/.ssh/id_ed25519",
        "/home/a/.ssh/id_rsa.pub", "/home/a/.aws/credentials", "/home/a/.aws/credentials.bak",
        "/usr/lib/libxmrig.so", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/include/stdio.h",
        "/proc/sys/kernel/hostname", "/var/log/syslog", "/boot/vmlinuz", "/bin/ls", "/usr/bin",
        "/sys/fs/cgroup/x/release_agent", "/srv/data", "/srv/data/f", "/srv/database", "/a/keys/k", "/a/keys",
        "/opt/app/secret", "/mnt/a", "/mnt/a/x", "/mnt/b", "/mnt/abc", "/x/raw", "/", "/etc/", "/etc/sudoers"};
    const std::vector<uint32_t> flags = {O_RDONLY, O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC | O_CREAT, 3};
    size_t kept = 0, dropped = 0, alerted = 0;
    for (int64_t tid : {300, 400}) {
      for (const auto& p : paths) {
        for (uint32_t fl : flags) {
          for (int64_t fd : {-2, 7}) {
            World world;
            world.seed_tree();
            const Event& e = world.openat(tid, fd, p, fl);
            const bool alert = !run(*c.engine, e, world.table()).empty();
            const bool keep = keeps(*f, e.view);
            alerted += alert;
            (keep ? kept : dropped)++;
            EXPECT_TRUE(!alert || keep) << "dropped an event a rule matches: tid " << tid << " path " << p
                                        << " flags " << fl << " fd " << fd << "\n"
                                        << engine::eval::kernel_filter_text(*f);
          }
        }
      }
    }
    EXPECT_GT(alerted, 10u);
    EXPECT_GT(dropped, 50u);  // it filters, not merely keeps everything
  }
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
