// Field extraction: every `filled` field has an extractor, and the values
// of the fields rules use most, read from events and a seeded table.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "engine/eval/field_cache.h"
#include "engine/eval/output_format.h"
#include "engine/fields/field_registry.h"
#include "tests/eval/eval_world.h"

namespace kestrel::engine::eval::testing {
namespace {

// Extracts one field (with an optional bracket argument) as output text.
class Extractor {
 public:
  Extractor() : ctx_(env_) { env_.hostname = "testhost"; }
  std::string text(const std::string& name, const Event& ev, const ThreadLookup& lookup,
                   std::optional<std::string> arg = std::nullopt) {
    auto ref = resolve_field(name, arg);
    EXPECT_TRUE(ref.ok()) << name << ": " << ref.status().message();
    if (!ref.ok()) return "?";
    ctx_.begin(ev, lookup, 42);
    Scratch s;
    ExtractedValue v = ref->fn(ctx_, *ref, s);
    std::string out;
    append_value_text(v, out);
    return out;
  }
  ExtractedValue value(const std::string& name, const Event& ev, const ThreadLookup& lookup) {
    auto ref = resolve_field(name, std::nullopt);
    ctx_.begin(ev, lookup, 42);
    return ref->fn(ctx_, *ref, scratch_);
  }

 private:
  ExtractEnvironment env_;
  ExtractContext ctx_;
  Scratch scratch_;
};

TEST(ExtractTest, EveryFilledFieldHasAnExtractor) {
  for (const FieldSet* set : syscall_field_sets()) {
    for (const FieldInfo& f : set->fields) {
      if (f.filled()) {
        EXPECT_TRUE(has_extractor(f.name)) << f.name;
      }
    }
  }
}

TEST(ExtractTest, UnknownFieldIsAnError) {
  EXPECT_FALSE(resolve_field("proc.nosuch", std::nullopt).ok());
  EXPECT_FALSE(resolve_field("proc.aname", std::string("x")).ok());
}

class ExtractWorld : public ::testing::Test {
 protected:
  void SetUp() override { world.seed_tree(); }
  std::string t(const std::string& name, const Event& e, std::optional<std::string> arg = std::nullopt) {
    return x.text(name, e, world.table(), std::move(arg));
  }
  World world;
  Extractor x;
};

TEST_F(ExtractWorld, EventFields) {
  const Event& e = world.openat(300, 5, "/etc/passwd", O_WRONLY | O_CREAT, 1700000000123456789ull);
  EXPECT_EQ(t("evt.type", e), "openat");
  EXPECT_EQ(t("evt.dir", e), "<");
  EXPECT_EQ(t("evt.num", e), "42");
  EXPECT_EQ(t("evt.rawtime", e), "1700000000123456789");
  EXPECT_EQ(t("evt.time.iso8601", e), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(t("evt.res", e), "SUCCESS");
  EXPECT_EQ(t("evt.rawres", e), "5");
  EXPECT_EQ(t("evt.failed", e), "false");
  EXPECT_EQ(t("evt.is_open_write", e), "true");
  EXPECT_EQ(t("evt.is_open_read", e), "false");
  EXPECT_EQ(t("evt.is_open_create", e), "true");
  EXPECT_EQ(t("evt.category", e), "file");
  EXPECT_EQ(t("evt.hostname", e), "testhost");
  EXPECT_EQ(t("evt.source", e), "syscall");
  EXPECT_EQ(t("evt.arg", e, "name"), "/etc/passwd");
  EXPECT_EQ(t("evt.arg", e, "2"), "/etc/passwd");
  EXPECT_EQ(t("evt.rawarg", e, "fd"), "5");
  EXPECT_EQ(t("evt.buflen", e), "<NA>");

  const Event& failed = world.openat(300, -2, "missing.txt", O_RDONLY);
  EXPECT_EQ(t("evt.res", failed), "ENOENT");
  EXPECT_EQ(t("evt.rawres", failed), "-2");
  EXPECT_EQ(t("evt.failed", failed), "true");
  // A failed open still names what it tried, resolved against the cwd.
  EXPECT_EQ(t("fd.name", failed), "/home/alice/missing.txt");
  EXPECT_EQ(t("fd.nameraw", failed), "missing.txt");

  const Event& r = world.read(300, 5, 100);
  EXPECT_EQ(t("evt.buflen", r), "100");
  EXPECT_EQ(t("evt.is_io_read", r), "true");
  EXPECT_EQ(t("evt.io_dir", r), "r");
  EXPECT_EQ(t("fd.name", r), "/etc/passwd");
}

TEST_F(ExtractWorld, ProcessFields) {
  const Event& e = world.openat(300, 5, "/tmp/x", O_RDONLY, 1500);
  EXPECT_EQ(t("proc.name", e), "python3");
  EXPECT_EQ(t("proc.exepath", e), "/usr/bin/python3");
  EXPECT_EQ(t("proc.exe", e), "/usr/bin/python3");
  EXPECT_EQ(t("proc.args", e), "app.py --port 8080");
  EXPECT_EQ(t("proc.cmdline", e), "python3 app.py --port 8080");
  EXPECT_EQ(t("proc.pname", e), "bash");
  EXPECT_EQ(t("proc.pcmdline", e), "bash");
  EXPECT_EQ(t("proc.pexepath", e), "/usr/bin/bash");
  EXPECT_EQ(t("proc.pid", e), "300");
  EXPECT_EQ(t("proc.ppid", e), "200");
  EXPECT_EQ(t("proc.aname", e, "2"), "sshd");
  EXPECT_EQ(t("proc.aname", e), "bash sshd systemd");
  EXPECT_EQ(t("proc.apid", e, "3"), "1");
  EXPECT_EQ(t("proc.cwd", e), "/home/alice");
  EXPECT_EQ(t("proc.tty", e), "34816");
  EXPECT_EQ(t("proc.sid", e), "300");
  EXPECT_EQ(t("proc.sname", e), "python3");
  EXPECT_EQ(t("proc.env", e), "HOME=/home/alice");
  EXPECT_EQ(t("proc.env", e, "HOME"), "/home/alice");
  EXPECT_EQ(t("proc.duration", e), "1000");
  EXPECT_EQ(t("proc.is_exe_from_memfd", e), "false");
  EXPECT_EQ(t("thread.tid", e), "300");
  EXPECT_EQ(t("thread.vtid", e), "300");
  EXPECT_EQ(t("user.uid", e), "1000");
  EXPECT_EQ(t("user.loginuid", e), "1000");
  EXPECT_EQ(t("group.gid", e), "1000");
  EXPECT_EQ(t("container.id", e), "host");
  EXPECT_EQ(t("container.name", e), "host");  // Falco's name for the host
}

TEST_F(ExtractWorld, ExecReplacesTheProcessImage) {
  const Event& e = world.execve(300, "/usr/bin/curl", {"-s", "http://x"}, "curl");
  EXPECT_EQ(t("proc.name", e), "curl");
  EXPECT_EQ(t("proc.exepath", e), "/usr/bin/curl");
  EXPECT_EQ(t("proc.cmdline", e), "curl -s http://x");
  EXPECT_EQ(t("proc.pname", e), "bash");
  EXPECT_EQ(t("evt.type", e), "execve");
  EXPECT_EQ(t("evt.res", e), "SUCCESS");
}

// proc.exe_ino*: the image's inode from the exec event. The world's exec
// reports its own ts as the process start; the image changed 200 ns before.
TEST_F(ExtractWorld, ExecutableInodeFields) {
  const Event& before = world.openat(300, 5, "/tmp/x", O_RDONLY, 1500);
  EXPECT_EQ(t("proc.exe_ino", before), "<NA>");  // the seeded image: not reported
  EXPECT_EQ(t("proc.exe_ino.ctime_duration_proc_start", before), "<NA>");
  const Event& e = world.execve(300, "/tmp/dropped", {}, "dropped", 0, 2000, {.ino = 4711, .ctime = 1800, .mtime = 250, .sha256 = {}});
  EXPECT_EQ(t("proc.exe_ino", e), "4711");
  EXPECT_EQ(t("proc.exe_ino.ctime", e), "1800");
  EXPECT_EQ(t("proc.exe_ino.mtime", e), "250");
  EXPECT_EQ(t("proc.exe_ino.ctime_duration_proc_start", e), "200");
  // Not a live host (the engine was not told so): nothing read from /proc.
  EXPECT_EQ(t("proc.exe_ino.ctime_duration_pidns_start", e), "<NA>");
  EXPECT_EQ(t("proc.pidns_init_start_ts", e), "<NA>");
  EXPECT_EQ(t("proc.exe_sha256", e), "<NA>");
  // Changed after the process started (under a running process): no duration.
  const Event& late = world.execve(300, "/tmp/dropped2", {}, "dropped2", 0, 3000, {.ino = 4712, .ctime = 5000, .mtime = std::nullopt, .sha256 = {}});
  EXPECT_EQ(t("proc.exe_ino.ctime_duration_proc_start", late), "<NA>");
  EXPECT_EQ(t("proc.exe_ino.mtime", late), "<NA>");  // the new image's mtime is unknown, not the old one's
}

TEST_F(ExtractWorld, UsersCapabilitiesContainers) {
  const Event& root = world.openat(1, 3, "/etc/hostname", O_RDONLY);
  EXPECT_EQ(t("user.name", root), "root");
  EXPECT_EQ(t("group.name", root), "root");
  EXPECT_EQ(t("user.loginuid", root), "-1");
  EXPECT_EQ(t("user.loginname", root), "<NA>");
  const Event& n = world.openat(400, 3, "/var/log/nginx/access.log", O_WRONLY | O_APPEND);
  EXPECT_EQ(t("container.id", n), "abcdef012345");
  EXPECT_EQ(t("container.type", n), "docker");
  EXPECT_EQ(t("container.full_id", n).size(), 64u);
  EXPECT_EQ(t("thread.cap_effective", n), "CAP_NET_BIND_SERVICE CAP_SYS_ADMIN");
  EXPECT_EQ(t("fd.directory", n), "/var/log/nginx");
  EXPECT_EQ(t("fd.filename", n), "access.log");
  EXPECT_EQ(t("fd.typechar", n), "f");
  EXPECT_EQ(t("fd.type", n), "file");
}

TEST_F(ExtractWorld, SandboxEventsAreGvisorContainers) {
  EventBuilder b(KE_CLOSE, 10, 7, 7);
  b.put_int(KPARAM(CLOSE, res), 0).put_int(KPARAM(CLOSE, fd), 3);
  const Event& e = world.build_only(b.finish_or_throw(), 3);
  EXPECT_EQ(t("container.type", e), "gvisor");
  EXPECT_EQ(t("proc.name", e), "<NA>");  // the sandbox's thread is unknown here
  EXPECT_EQ(t("proc.pid", e), "7");
}

TEST_F(ExtractWorld, TypedValues) {
  const Event& e = world.openat(300, 5, "/tmp/x", O_RDONLY);
  EXPECT_EQ(x.value("proc.pid", e, world.table()).kind, ValueKind::kInt);
  EXPECT_EQ(x.value("user.uid", e, world.table()).kind, ValueKind::kUint);
  EXPECT_EQ(x.value("evt.failed", e, world.table()).kind, ValueKind::kBool);
  EXPECT_EQ(x.value("proc.name", e, world.table()).kind, ValueKind::kString);
  EXPECT_EQ(x.value("fd.sip", e, world.table()).kind, ValueKind::kMissing);
}

// Every extractor yields the kind its registry type promises (or missing),
// on a file event, a socket event and an exec.
TEST_F(ExtractWorld, ValuesHaveTheRegistryType) {
  const uint8_t l[4] = {10, 0, 0, 5}, r[4] = {1, 2, 3, 4};
  world.socket(300, 7, 2, 1);
  std::vector<const Event*> events = {&world.openat(300, 5, "/etc/passwd", O_RDONLY),
                                      &world.connect(300, 7, l, 40000, r, 443),
                                      &world.execve(200, "/usr/bin/id", {"-u"}, "id")};
  size_t checked = 0;
  for (const FieldSet* set : syscall_field_sets()) {
    for (const FieldInfo& f : set->fields) {
      if (!has_extractor(f.name) || f.arg_required || f.name == "evt.rawarg") continue;
      for (const Event* e : events) {
        ExtractedValue v = x.value(std::string(f.name), *e, world.table());
        if (!v.present()) continue;
        ++checked;
        switch (f.type) {
          case FieldType::kString:
          case FieldType::kPath:
            EXPECT_TRUE(v.kind == ValueKind::kString || v.kind == ValueKind::kList) << f.name;
            break;
          case FieldType::kInt64: EXPECT_EQ(v.kind, ValueKind::kInt) << f.name; break;
          case FieldType::kUint64:
          case FieldType::kPort:
          case FieldType::kAbsTime:
          case FieldType::kRelTime: EXPECT_EQ(v.kind, ValueKind::kUint) << f.name; break;
          case FieldType::kBool: EXPECT_EQ(v.kind, ValueKind::kBool) << f.name; break;
          case FieldType::kIpAddr:
          case FieldType::kIpNet: EXPECT_EQ(v.kind, ValueKind::kIp) << f.name; break;
          default: ADD_FAILURE() << f.name << " has an unexpected registry type"; break;
        }
      }
    }
  }
  EXPECT_GT(checked, 150u);
}

TEST_F(ExtractWorld, CacheExtractsOncePerEvent) {
  FieldCache cache;
  ExtractEnvironment env;
  ExtractContext ctx(env);
  OperandSpec spec;
  spec.ref = *resolve_field("proc.cmdline", std::nullopt);
  spec.key = "proc.cmdline";
  uint32_t slot = cache.intern(spec);
  EXPECT_EQ(cache.intern(spec), slot);
  const Event& e = world.openat(300, 5, "/tmp/x", O_RDONLY);
  cache.begin_event();
  ctx.begin(e, world.table(), 1);
  EXPECT_EQ(cache.get(slot, ctx).str, "python3 app.py --port 8080");
  EXPECT_EQ(cache.get(slot, ctx).str, "python3 app.py --port 8080");
  EXPECT_EQ(cache.extractions(), 1u);
  cache.begin_event();
  ctx.begin(e, world.table(), 2);
  cache.get(slot, ctx);
  EXPECT_EQ(cache.extractions(), 2u);
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
