// The field table, both directions, for every field of every source the
// static tables know: what `kestrel -L` marks (print_field_list) is exactly
// the rows without an extractor; a field listed as filled compiles in a rule
// (real loader, real RuleEngine) and yields a value on an event built for
// it; a field listed as not filled has no extractor, still loads and
// compiles (Falco's rulesets name such fields) and reads as missing: its
// `exists` never matches and its output token prints <NA>.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include "engine/eval/extract.h"
#include "engine/fields/field_registry.h"
#include "state/containers/container_metadata.h"
#include "tests/eval/rule_harness.h"

namespace kestrel::engine::eval::testing {
namespace {

// The argument a field is written with in the probe rule: the fields that
// need one get one their extractor understands; optional ones go without.
std::optional<std::string> probe_argument(const FieldInfo& f) {
  static const std::map<std::string_view, std::string> kArgs = {
      {"evt.arg", "name"},          {"evt.rawarg", "name"},    {"evt.type.is", "openat"},
      {"thread.cgroup", "cpu"},     {"json.value", "/x"},      {"ka.uri.param", "x"},
      {"evt.around", "1000"},       {"proc.env", "HOME"},      {"proc.apid", "1"},
  };
  if (auto it = kArgs.find(f.name); it != kArgs.end()) return it->second;
  if (!f.arg_required) return std::nullopt;
  return f.arg == FieldArg::kKey ? "x" : "1";
}

std::string written(const FieldInfo& f) {
  auto arg = probe_argument(f);
  return std::string(f.name) + (arg ? "[" + *arg + "]" : "");
}

std::string rule_for(const std::string& source, const std::string& condition, const std::string& output) {
  return rule_yaml("probe", condition, output) + "  source: " + source + "\n";
}

// Events that between them give every filled syscall field a value: file,
// socket, process, error and container events on the seeded tree.
constexpr DomainId kGuestDomain = 1u << 24;

// The machines of the probe: this host, and one guest in kGuestDomain.
const MachineDirectory* guest_machines() {
  static MachineDirectory dir(MachineIdentity{"", "", "none", "6.1.0-host", "testhost", "bare-metal"});
  static const bool added = (dir.add(kGuestDomain, {"vm1", "5c1f5a3e", "kvm", "6.1.0-guest", "guest1", "vm"}), true);
  (void)added;
  return &dir;
}

std::vector<const Event*> syscall_events(World& w) {
  const uint8_t local[4] = {10, 0, 0, 5}, remote[4] = {1, 2, 3, 4};
  std::vector<const Event*> out;
  // python3's standard streams (proc.stdin.*, …) on its terminal.
  for (int64_t fd : {0, 1, 2}) out.push_back(&w.openat(300, fd, "/dev/pts/0", O_RDWR));
  // A file with an inode number (fd.ino): openat's dev and ino params.
  EventBuilder opened(KE_OPENAT, 1000, 300, 300);
  opened.put_int(KPARAM(OPENAT, fd), 9)
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name), "/etc/hosts")
      .put_int(KPARAM(OPENAT, flags), O_RDONLY)
      .put_int(KPARAM(OPENAT, mode), 0644)
      .put_int(KPARAM(OPENAT, dev), 2049)
      .put_int(KPARAM(OPENAT, ino), 1234);
  const std::vector<uint8_t> opened_bytes = opened.finish_or_throw();
  out.push_back(&w.add(opened_bytes));
  // The same in a VM guest's domain (vm.*: registered in guest_machines()).
  out.push_back(&w.add(opened_bytes, kGuestDomain));
  out.push_back(&w.openat(300, 5, "/etc/passwd", O_RDONLY));
  out.push_back(&w.openat(400, 6, "/var/log/nginx.log", O_WRONLY | O_CREAT));
  out.push_back(&w.read(300, 5, 10));
  out.push_back(&w.write(400, 6, 10));
  out.push_back(&w.socket(300, 7, AF_INET, SOCK_STREAM));
  out.push_back(&w.connect(300, 7, local, 40000, remote, 443));
  out.push_back(&w.accept(400, 8, remote, 50000, local, 80));
  // An exec whose source reports the image's inode (proc.exe_ino*), changed
  // before the process started (ctime_duration_proc_start).
  out.push_back(&w.execve(200, "/usr/bin/id", {"-u"}, "id", 0, 1000, {.ino = 777, .ctime = 500, .mtime = 400, .sha256 = {}}));
  // An exec of this test process itself, a live host process with a /proc
  // entry (the probe engines are told the host is live): what
  // proc.exe_sha256 hashes and proc.pidns_init_start_ts reads. Its image's
  // inode facts are the real file's, as the eBPF probe would report them.
  struct stat self {};
  if (::stat("/proc/self/exe", &self) == 0) {
    const uint64_t ctime = static_cast<uint64_t>(self.st_ctim.tv_sec) * 1'000'000'000u + self.st_ctim.tv_nsec;
    const uint64_t mtime = static_cast<uint64_t>(self.st_mtim.tv_sec) * 1'000'000'000u + self.st_mtim.tv_nsec;
    out.push_back(&w.execve(::getpid(), "/proc/self/exe", {}, "eval_test", 0, 1000,
                            {.ino = static_cast<uint64_t>(self.st_ino), .ctime = ctime, .mtime = mtime, .sha256 = {}}));
  }
  out.push_back(&w.unlinkat(300, "/tmp/nope", -2));
  out.push_back(&w.setuid(200, 0));
  out.push_back(&w.close(300, 5));
  return out;
}

// A plugin source's event from plugin 1, ordinary or asynchronous (`async`
// its name): the record is all the evt.* rows read.
const Event& plugin_event(World& w, std::string_view async = "") {
  EventBuilder b(KE_PLUGINEVENT, 1'700'000'000'123'456'789ull, 0, 0);
  const uint8_t data[] = {'{', '}'};
  b.put_int(KPARAM(PLUGINEVENT, plugin_id), 1).put_bytes(KPARAM(PLUGINEVENT, event_data), data);
  b.put_str(KPARAM(PLUGINEVENT, async_name), async);
  return w.build_only(b.finish_or_throw());
}

// The app's answer for plugin 1 (app/plugin_event_names.h does it for the
// plugins it loaded): what evt.pluginname and evt.plugininfo read.
class OnePlugin final : public PluginEventInfo {
 public:
  std::string_view plugin_name(uint32_t id) const override { return id == 1 ? "probe" : ""; }
  bool event_summary(uint32_t id, const Event&, uint64_t, std::string& out) override {
    out = "probe summary";
    return id == 1;
  }
};

// What a runtime says about nginx's container ("abcdef012345", eval_world):
// every member a container.* or k8s.* extractor reads is set, so each such
// field listed as filled must yield. The runtime clients that fill these
// are tested against real sockets and a real dockerd (tests/containers).
class NginxContainer final : public ContainerMetadata {
 public:
  NginxContainer() {
    info_.id = "abcdef012345" + std::string(52, '0');
    info_.name = "web";
    info_.image = "nginx:1.25";
    info_.image_repository = "nginx";
    info_.image_tag = "1.25";
    info_.image_id = std::string(64, 'e');
    info_.image_digest = "sha256:" + std::string(64, 'd');
    info_.type = "docker";
    info_.runtime = "runc";
    info_.privileged_known = true;
    info_.mounts = {{"/srv/www", "/usr/share/nginx/html", "ro", false, "rprivate"},
                    {"/srv/conf", "/etc/nginx", "", true, "rprivate"}};
    info_.start_ts = 1'000;
    info_.healthcheck = "curl -f http://localhost/";
    info_.ip = "172.17.0.2";
    info_.labels = {{"app", "web"}};
    info_.pod_name = "web-0";
    info_.pod_namespace = "default";
    info_.pod_uid = "0b9c7a1e-0000-4000-8000-000000000001";
    info_.pod_sandbox_id = std::string(64, 'f');
    info_.pod_labels = {{"x", "y"}};
  }
  const ContainerInfo* find(std::string_view full_id) override { return full_id == info_.id ? &info_ : nullptr; }

 private:
  ContainerInfo info_;
};

struct Probe {
  bool compiled = false;
  bool yielded = false;        // `exists` matched some event
  bool printed_na = true;      // the output token printed <NA> on every event
  std::string error;
};

Probe probe(const std::string& source, const FieldInfo& f, const std::vector<const Event*>& events,
            const ThreadLookup& lookup) {
  Probe p;
  static OnePlugin plugins;
  static NginxContainer containers;
  RuleEngineOptions options;
  options.containers = &containers;
  options.machines = guest_machines();
  options.source = source;
  options.hostname = "testhost";
  options.plugin_events = &plugins;
  Compiled exists = compile_rules(rule_for(source, written(f) + " exists", "x"), options);
  Compiled shown = compile_rules(rule_for(source, "evt.num exists", "v=%" + written(f)), options);
  p.error = exists.error + shown.error;
  p.compiled = exists.engine && shown.engine;
  if (!p.compiled) return p;
  // The pipeline says so when every source is live; here the probe's own
  // process stands for the live host.
  exists.engine->set_live_host(true);
  shown.engine->set_live_host(true);
  for (const Event* e : events) {
    if (!run(*exists.engine, *e, lookup).empty()) p.yielded = true;
    for (const Alert& a : run(*shown.engine, *e, lookup)) {
      if (a.output != "v=<NA>") p.printed_na = false;
    }
  }
  return p;
}

// The fields `kestrel -L` marks "(not filled by Kestrel yet)", by source.
std::set<std::string> listed_not_filled(std::string_view source) {
  std::ostringstream out;
  builtin_field_registry().print_field_list(out, source);
  std::set<std::string> names;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    if (line.find("(not filled by Kestrel yet)") == std::string::npos) continue;
    std::string name = line.substr(0, line.find(' '));
    names.insert(name.substr(0, name.find('[')));
  }
  return names;
}

TEST(FieldTable, ListMarksExactlyTheFieldsWithoutAnExtractor) {
  size_t filled = 0, unfilled = 0;
  for (std::string_view source : known_sources()) {
    std::set<std::string> marked = listed_not_filled(source);
    std::set<std::string> without;
    for (const FieldSet* set : source == "syscall" ? syscall_field_sets() : plugin_field_sets(source)) {
      for (const FieldInfo& f : set->fields) {
        if (!f.filled()) without.insert(std::string(f.name));
        (f.filled() ? filled : unfilled)++;
      }
    }
    EXPECT_EQ(marked, without) << source;
  }
  // proc.name, proc.cmdline and fd.name were listed as not filled before
  // "filled" was the extractor's presence.
  auto syscall_marked = listed_not_filled("syscall");
  for (auto name : {"proc.name", "proc.cmdline", "fd.name"}) EXPECT_EQ(syscall_marked.count(name), 0u) << name;
  EXPECT_GT(filled, 150u);
  EXPECT_GT(unfilled, 0u);
}

TEST(FieldTable, EveryFilledFieldYieldsAValueAndEveryOtherReadsAsMissing) {
  World world;
  world.seed_tree();
  std::vector<const Event*> syscall = syscall_events(world);
  std::vector<const Event*> plugin = {&plugin_event(world), &plugin_event(world, "probe_async")};
  // A plugin's async event in the syscall stream (what a container
  // metadata plugin injects).
  syscall.push_back(plugin.back());
  size_t filled = 0, unfilled = 0;
  for (std::string_view source : known_sources()) {
    for (const FieldSet* set : source == "syscall" ? syscall_field_sets() : plugin_field_sets(source)) {
      for (const FieldInfo& f : set->fields) {
        SCOPED_TRACE(std::string(source) + " " + written(f));
        Probe p = probe(std::string(source), f, source == "syscall" ? syscall : plugin, world.table());
        EXPECT_TRUE(p.compiled) << p.error;
        if (f.filled()) {
          ++filled;
          EXPECT_TRUE(p.yielded) << "listed as filled, but no value on any probe event";
        } else {
          ++unfilled;
          EXPECT_EQ(f.extract, kNotFilled);
          EXPECT_FALSE(p.yielded) << "listed as not filled, but it has a value";
          EXPECT_TRUE(p.printed_na);
        }
        if (source == "syscall") {
          EXPECT_EQ(has_extractor(f.name), f.filled());
        }
      }
    }
  }
  EXPECT_GT(filled, 150u);
  EXPECT_GT(unfilled, 250u);  // plugin tables mostly; fewer as extractors land
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
