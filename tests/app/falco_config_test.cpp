// Falco's configuration as a Falco user has it: the reference falco.yaml
// unchanged, config_files with each merge strategy, Falco-only keys, and
// the command-line flags that feed the configuration (-u, -p) or read it
// (--support, -i, --dry-run, --list-syscall-events, --markdown,
// --enable-source/--disable-source, -P).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "app/config/config.h"
#include "app/config/falco_keys.h"
#include "tests/support/kestrel_cli.h"

namespace kestrel {
namespace {

namespace fs = std::filesystem;

// A fresh directory of files for one test, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/kestrel_falcocfg_XXXXXX";
    path_ = mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string all(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// Every value below is read from the reference file itself
// (shared/reference/falco-config/falco.yaml), not from Kestrel.
TEST(FalcoConfig, ReferenceFalcoYamlLoadsUnchangedAndTakesEffect) {
  auto c = load_config({KESTREL_REFERENCE_FALCO_YAML, {}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->rules_files, (std::vector<std::string>{"/etc/falco/falco_rules.yaml",
                                                      "/etc/falco/falco_rules.local.yaml", "/etc/falco/rules.d"}));
  EXPECT_TRUE(c->watch_config_files);
  EXPECT_EQ(c->engine.kind, "ebpf");                     // modern_ebpf
  EXPECT_EQ(c->engine.ebpf_cpus_for_each_buffer, 2u);    // modern_ebpf.cpus_for_each_buffer
  EXPECT_EQ(c->engine.ebpf_buf_size, 8u << 20);          // buf_size_preset 4: 8 MB
  EXPECT_EQ(c->engine.kmod_buf_size, 8u << 20);          // kmod.buf_size_preset 4
  EXPECT_EQ(c->state.max_threads, 262144u);              // falco_libs.thread_table_size
  EXPECT_FALSE(c->capture.enabled);
  EXPECT_EQ(c->capture.path_prefix, "/tmp/falco");
  EXPECT_EQ(c->capture.mode, "rules");
  EXPECT_EQ(c->capture.default_duration, std::chrono::milliseconds(5000));
  ASSERT_EQ(c->append_output.size(), 1u);
  EXPECT_TRUE(c->append_output[0].suggested_output);
  EXPECT_TRUE(c->json_include_output_fields_property);
  EXPECT_FALSE(c->json_include_message_property);
  EXPECT_FALSE(c->buffered_outputs);
  EXPECT_TRUE(c->syslog_output.enabled);
  EXPECT_EQ(c->http_output.user_agent, "falcosecurity/falco");
  EXPECT_EQ(c->file_output.filename, "./events.txt");
  EXPECT_TRUE(c->webserver.enabled);
  EXPECT_EQ(c->webserver.listen_address, "0.0.0.0");
  EXPECT_EQ(c->webserver.k8s_healthz_endpoint, "/healthz");
  EXPECT_FALSE(c->webserver.prometheus_metrics_enabled);
  EXPECT_TRUE(c->log.stderr_enabled);
  EXPECT_TRUE(c->log.syslog_enabled);
  EXPECT_EQ(c->log.level, "informational");
  EXPECT_EQ(c->metrics.interval, std::chrono::hours(1));
  EXPECT_TRUE(c->metrics.output_rule);
  EXPECT_FALSE(c->metrics.kernel_event_counters_per_cpu_enabled);
  EXPECT_TRUE(c->metrics.convert_memory_to_mb);
  EXPECT_FALSE(c->base_syscalls.all);
  EXPECT_DOUBLE_EQ(c->syscall_event_drops.threshold, 0.1);

  // One warning per key Kestrel has no use for, naming it with its line.
  const std::string warnings = all(c->provenance.warnings);
  for (const char* key : {"'plugins_hostinfo'", "'libs_logger.enabled'", "'libs_logger.severity'",
                          "'syscall_event_timeouts.max_consecutives'", "'falco_libs.snaplen'",
                          "'webserver.threadiness'", "'http_output.mtls'", "'engine.modern_ebpf.disable_iterators'",
                          "'buffer_format_base64'", "'outputs_queue.capacity'",
                          "'metrics.kernel_iter_event_counters_enabled'", "'metrics.jemalloc_stats_enabled'"})
    EXPECT_EQ(count(warnings, key), 1u) << key << "\n" << warnings;
  EXPECT_NE(warnings.find(std::string(KESTREL_REFERENCE_FALCO_YAML) + ":622: 'plugins_hostinfo'"), std::string::npos)
      << warnings;
  // Keys that take effect are not warned about.
  for (const char* key : {"'engine.modern_ebpf.cpus_for_each_buffer'", "'falco_libs.thread_table_size'",
                          "'webserver.listen_address'", "'metrics.output_rule'", "'append_output'",
                          "'metrics.libbpf_stats_enabled'", "'metrics.plugins_metrics_enabled'"})
    EXPECT_EQ(count(warnings, key), 0u) << key;
  EXPECT_TRUE(c->metrics.libbpf_stats_enabled);
  EXPECT_TRUE(c->metrics.plugins_metrics_enabled);
  // Falco's queue capacity 0 (unbounded) keeps Kestrel's bounded queue.
  auto defaults = load_config({});
  EXPECT_EQ(c->outputs.queue_capacity, defaults->outputs.queue_capacity);
}

TEST(FalcoConfig, KeyUnknownToBothIsAnErrorWithFileAndLine) {
  TempDir d;
  auto in_falco_section = load_config({d.write("a.yaml", "json_output: true\nfalco_libs:\n  snaplen: 80\n  bogus: 1\n"), {}});
  ASSERT_FALSE(in_falco_section.ok());
  EXPECT_EQ(in_falco_section.status().where().line, 4);
  EXPECT_NE(in_falco_section.status().message().find("'falco_libs.bogus'"), std::string::npos);
  auto top = load_config({d.write("b.yaml", "json_output: true\nno_such_key: 1\n"), {}});
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.status().where().line, 2);
  EXPECT_NE(top.status().message().find("'no_such_key'"), std::string::npos);
}

TEST(FalcoConfig, UnimplementedFeatureIsRefusedUnlessAtFalcosDefault) {
  TempDir d;
  auto c = load_config({d.write("a.yaml", "http_output:\n  enabled: true\n  mtls: true\n"), {}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().where().line, 3);
  EXPECT_NE(c.status().message().find("'http_output.mtls'"), std::string::npos) << c.status().message();
  auto ssl = load_config({"", {"webserver.ssl_enabled=true"}});
  ASSERT_FALSE(ssl.ok());
  EXPECT_NE(ssl.status().message().find("webserver.ssl_enabled"), std::string::npos);
  EXPECT_TRUE(load_config({"", {"webserver.ssl_enabled=false"}}).ok());
}

TEST(FalcoConfig, AliasesAndEngineKindsConvert) {
  TempDir d;
  auto legacy = load_config({d.write("a.yaml", "rules_file: /etc/falco/falco_rules.yaml\n"), {}});
  ASSERT_TRUE(legacy.ok()) << legacy.status().to_string();
  EXPECT_EQ(legacy->rules_files, std::vector<std::string>{"/etc/falco/falco_rules.yaml"});
  // Both written: rules_files (Falco's current key) wins.
  auto both = load_config({d.write("b.yaml", "rules_file: [old.yaml]\nrules_files: [new.yaml]\n"), {}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->rules_files, std::vector<std::string>{"new.yaml"});
  for (const auto& [falco, kestrel] : std::vector<std::pair<std::string, std::string>>{
           {"modern_ebpf", "ebpf"}, {"kmod", "kmod"}, {"nodriver", "none"}, {"replay", "capture"}, {"gvisor", "gvisor"}}) {
    auto c = load_config({"", {"engine.kind=" + falco}});
    ASSERT_TRUE(c.ok()) << falco << ": " << c.status().to_string();
    EXPECT_EQ(c->engine.kind, kestrel);
  }
  auto o = load_config({"", {"falco_libs.thread_table_size=1000", "engine.modern_ebpf.buf_size_preset=1"}});
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  EXPECT_EQ(o->state.max_threads, 1000u);
  EXPECT_EQ(o->engine.ebpf_buf_size, 1u << 20);
  auto preset0 = load_config({d.write("c.yaml", "engine:\n  kmod:\n    buf_size_preset: 0\n"), {}});
  ASSERT_FALSE(preset0.ok());
  EXPECT_EQ(preset0.status().where().line, 3);
  auto replay = load_config({d.write("d.yaml", "engine:\n  kind: replay\n  replay:\n    capture_file: /x.scap\n"), {}});
  ASSERT_TRUE(replay.ok()) << replay.status().to_string();
  EXPECT_EQ(replay->engine.kind, "capture");
  EXPECT_EQ(replay->engine.replay_capture_file, "/x.scap");
}

// The main file's lists and scalars against one included file, per strategy.
TEST(FalcoConfig, ConfigFilesMergeStrategies) {
  TempDir d;
  d.write("inc.yaml", "rules_files: [inc.yaml]\npriority: error\njson_output: true\n");
  auto main_with = [&](const std::string& entry) {
    return d.write("main.yaml", "config_files:\n  - " + entry + "\nrules_files: [main.yaml]\npriority: warning\n");
  };
  auto append = load_config({main_with(d.path() + "/inc.yaml"), {}});  // a plain path: append
  ASSERT_TRUE(append.ok()) << append.status().to_string();
  EXPECT_EQ(append->rules_files, (std::vector<std::string>{"main.yaml", "inc.yaml"}));
  EXPECT_EQ(append->priority, "error");
  EXPECT_TRUE(append->json_output);

  auto override_ = load_config({main_with("{path: " + d.path() + "/inc.yaml, strategy: override}"), {}});
  ASSERT_TRUE(override_.ok()) << override_.status().to_string();
  EXPECT_EQ(override_->rules_files, std::vector<std::string>{"inc.yaml"});
  EXPECT_EQ(override_->priority, "error");
  EXPECT_TRUE(override_->json_output);

  auto add_only = load_config({main_with("{path: " + d.path() + "/inc.yaml, strategy: add-only}"), {}});
  ASSERT_TRUE(add_only.ok()) << add_only.status().to_string();
  EXPECT_EQ(add_only->rules_files, std::vector<std::string>{"main.yaml"});
  EXPECT_EQ(add_only->priority, "warning");
  EXPECT_TRUE(add_only->json_output);  // not in the main file: added

  auto bad = load_config({main_with("{path: " + d.path() + "/inc.yaml, strategy: merge}"), {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'merge'"), std::string::npos);
  EXPECT_EQ(bad.status().where().line, 2);
}

// A directory's files in lexical order (not creation order), each with the
// entry's strategy; an included file cannot include more.
TEST(FalcoConfig, ConfigFilesDirectoryMergedInLexicalOrder) {
  TempDir d;
  d.write("conf.d/20-b.yaml", "rules_files: [b.yaml]\npriority: notice\n");
  d.write("conf.d/10-a.yaml", "rules_files: [a.yaml]\npriority: error\nwebserver:\n  listen_port: 9999\n");
  const std::string main = d.write("main.yaml", "config_files: [" + d.path() + "/conf.d]\nrules_files: [m.yaml]\n");
  auto c = load_config({main, {}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->rules_files, (std::vector<std::string>{"m.yaml", "a.yaml", "b.yaml"}));
  EXPECT_EQ(c->priority, "notice");
  EXPECT_EQ(c->webserver.listen_port, 9999u);
  EXPECT_EQ(c->provenance.files, (std::vector<std::string>{main, d.path() + "/conf.d", d.path() + "/conf.d/10-a.yaml",
                                                           d.path() + "/conf.d/20-b.yaml"}));
  // Overrides still win over every file.
  auto o = load_config({main, {"priority=debug"}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->priority, "debug");

  d.write("conf.d/30-nested.yaml", "json_output: true\nconfig_files: [/etc/x]\n");
  auto nested = load_config({main, {}});
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().where().file, d.path() + "/conf.d/30-nested.yaml");
  EXPECT_EQ(nested.status().where().line, 2);
  d.write("conf.d/30-nested.yaml", "bogus_key: 1\n");
  auto unknown = load_config({main, {}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().where().file, d.path() + "/conf.d/30-nested.yaml");
}

TEST(FalcoConfig, AppendOutputAndPrintFlagFillTheSameList) {
  TempDir d;
  const std::string f = d.write("a.yaml",
                                "append_output:\n"
                                "  - match:\n      source: syscall\n      tags: [network, mitre]\n      rule: R\n"
                                "    extra_output: \"on CPU %evt.cpu\"\n"
                                "    extra_fields:\n      - home_directory: \"${HOME}\"\n      - evt.hostname\n");
  CliOptions o;
  o.config_file = f;
  o.extra_outputs = {"k8s=%k8s.pod.name"};
  auto c = load_config(config_inputs(o));
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->append_output.size(), 2u);
  const AppendOutput& a = c->append_output[0];
  EXPECT_EQ(a.match_source, "syscall");
  EXPECT_EQ(a.match_rule, "R");
  EXPECT_EQ(a.match_tags, (std::vector<std::string>{"network", "mitre"}));
  EXPECT_EQ(a.extra_output, "on CPU %evt.cpu");
  EXPECT_EQ(a.extra_fields, (std::vector<std::pair<std::string, std::string>>{{"home_directory", "${HOME}"},
                                                                               {"evt.hostname", ""}}));
  EXPECT_EQ(c->append_output[1].extra_output, "k8s=%k8s.pod.name");
  EXPECT_TRUE(c->append_output[1].match_source.empty());

  auto bad = load_config({d.write("b.yaml", "append_output:\n  - extra_outptu: x\n"), {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().where().line, 2);
}

TEST(FalcoConfig, UnbufferedFlagWinsOverTheFile) {
  TempDir d;
  CliOptions o;
  o.config_file = d.write("a.yaml", "buffered_outputs: true\n");
  auto buffered = load_config(config_inputs(o));
  ASSERT_TRUE(buffered.ok());
  EXPECT_TRUE(buffered->buffered_outputs);
  o.unbuffered = true;
  auto unbuffered = load_config(config_inputs(o));
  ASSERT_TRUE(unbuffered.ok());
  EXPECT_FALSE(unbuffered->buffered_outputs);
}

using Run = testing::CliRun;
Run kestrel(std::vector<const char*> args) { return testing::run_cli(std::move(args)); }

TEST(FalcoFlags, ListSyscallEventsPlainAndMarkdown) {
  auto plain = kestrel({"--list-syscall-events"});
  ASSERT_EQ(plain.code, kExitOk) << plain.err;
  for (const char* s : {"\nexecve\n", "\nopenat\n", "\nconnect\n"}) EXPECT_NE(plain.out.find(s), std::string::npos) << s;
  EXPECT_EQ(plain.out.find("procexit"), std::string::npos) << "not a syscall";
  auto md = kestrel({"--list-syscall-events", "--markdown"});
  ASSERT_EQ(md.code, kExitOk);
  EXPECT_EQ(md.out.rfind("Syscall | Params\n:-------|:------\n", 0), 0u) << md.out.substr(0, 80);
  EXPECT_NE(md.out.find("`openat` | "), std::string::npos);
}

TEST(FalcoFlags, ListFieldsMarkdown) {
  auto r = kestrel({"--list", "syscall", "--markdown"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("## Field Class: evt\n"), std::string::npos);
  EXPECT_NE(r.out.find("Name | Type | Description\n:----|:-----|:-----------\n"), std::string::npos);
  EXPECT_NE(r.out.find("`evt.type` | CHARBUF | "), std::string::npos);
  EXPECT_NE(r.out.find("`proc.name` | CHARBUF | "), std::string::npos);
  auto alone = kestrel({"--markdown"});
  EXPECT_EQ(alone.code, kExitUsage);
  EXPECT_NE(alone.err.find("--markdown"), std::string::npos);
}

// The digest is checked against sha256sum, not against Kestrel's own hash.
TEST(FalcoFlags, SupportPrintsVersionsConfigAndRulesDigest) {
  TempDir d;
  const std::string rules = d.write("r.yaml", "- rule: R\n  desc: d\n  condition: evt.type = openat\n  output: o\n"
                                              "  priority: WARNING\n");
  const std::string conf = d.write("k.yaml", "json_output: true\nplugins_hostinfo: true\n");
  auto r = kestrel({"-c", conf.c_str(), "-r", rules.c_str(), "--support"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"].get<std::string>().rfind("0.", 0), 0u);
  EXPECT_EQ(j["engine_info"]["engine_version"], "0.57.0");
  EXPECT_FALSE(j["system_info"]["release"].get<std::string>().empty());
  EXPECT_NE(j["cmdline"].get<std::string>().find("--support"), std::string::npos);
  EXPECT_EQ(j["config"], "json_output: true\nplugins_hostinfo: true\n");
  ASSERT_EQ(j["rules_files"].size(), 1u);
  EXPECT_EQ(j["rules_files"][0]["name"], rules);
  FILE* p = popen(("sha256sum " + rules).c_str(), "r");
  ASSERT_NE(p, nullptr);
  char hex[65] = {};
  ASSERT_EQ(fread(hex, 1, 64, p), 64u);
  pclose(p);
  EXPECT_EQ(j["rules_files"][0]["sha256"], std::string(hex));
  const std::string digest = j["rules_digest"];
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_NE(j["config_warnings"].dump().find("plugins_hostinfo"), std::string::npos);
  // Another rules content: another digest.
  d.write("r.yaml", "- rule: R\n  desc: d\n  condition: evt.type = openat\n  output: o2\n  priority: WARNING\n");
  auto again = kestrel({"-c", conf.c_str(), "-r", rules.c_str(), "--support"});
  ASSERT_EQ(again.code, kExitOk);
  EXPECT_NE(nlohmann::json::parse(again.out)["rules_digest"], digest);
}

// This test binary is not linked with mimalloc (only kestrel is:
// engine_workers_live_test checks it), so --support names glibc's malloc,
// at the version the C library itself reports.
TEST(FalcoFlags, SupportNamesTheAllocatorInUse) {
  auto r = kestrel({"--support"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  char libc[64] = {};
  ASSERT_GT(confstr(_CS_GNU_LIBC_VERSION, libc, sizeof libc), 0u);  // "glibc 2.36"
  EXPECT_EQ(j["allocator"]["name"], "glibc");
  EXPECT_EQ("glibc " + j["allocator"]["version"].get<std::string>(), std::string(libc));
}

TEST(FalcoFlags, IgnoredEventsFollowTheRulesAndBaseSyscalls) {
  TempDir d;
  const std::string rules = d.write("r.yaml", "- rule: R\n  desc: d\n  condition: evt.type = sendmsg\n  output: o\n"
                                              "  priority: WARNING\n");
  auto r = kestrel({"-r", rules.c_str(), "-i"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out.find("\n- sendmsg\n"), std::string::npos) << "a rule needs it";
  EXPECT_EQ(r.out.find("\n- connect\n"), std::string::npos) << "the state tables need it";
  EXPECT_NE(r.out.find("\n- sendto\n"), std::string::npos) << r.out;
  auto custom = kestrel({"-r", rules.c_str(), "-i", "-o", "base_syscalls.custom_set=[sendto]"});
  ASSERT_EQ(custom.code, kExitOk) << custom.err;
  EXPECT_EQ(custom.out.find("\n- sendto\n"), std::string::npos);
  // "!name" leaves out what nothing needs, never what a rule needs.
  auto minus = kestrel({"-r", rules.c_str(), "-i", "-o", "base_syscalls.custom_set=[\"!sendmsg\", \"!connect\"]"});
  ASSERT_EQ(minus.code, kExitOk) << minus.err;
  EXPECT_EQ(minus.out.find("\n- sendmsg\n"), std::string::npos);
  EXPECT_NE(minus.out.find("\n- connect\n"), std::string::npos) << minus.out;
  auto unknown = kestrel({"-r", rules.c_str(), "-i", "-o", "base_syscalls.custom_set=[nosuchcall]"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_NE(unknown.err.find("nosuchcall"), std::string::npos);
}

TEST(FalcoFlags, DryRunLoadsTheReferenceConfigAndCapturesNothing) {
  const std::string rules = std::string(KESTREL_SOURCE_DIR) + "/rules/kestrel_rules.yaml";
  auto r = kestrel({"-c", KESTREL_REFERENCE_FALCO_YAML, "-r", rules.c_str(), "--dry-run"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.err.find("--dry-run"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("kestrel: capturing"), std::string::npos);
  EXPECT_EQ(count(r.err, "'plugins_hostinfo' has no meaning for Kestrel"), 1u) << r.err;
  // Falco's metrics switches with nothing to act on: one line each, with why.
  EXPECT_EQ(count(r.err, "'metrics.kernel_iter_event_counters_enabled' has no meaning for Kestrel (counters of "
                         "libscap's BPF iterators"), 1u) << r.err;
  EXPECT_EQ(count(r.err, "'metrics.jemalloc_stats_enabled' has no meaning for Kestrel (Kestrel is not built with "
                         "jemalloc"), 1u) << r.err;
  // A broken rules file fails the dry run.
  TempDir d;
  const std::string broken = d.write("r.yaml", "- rule: R\n  condition: evt.type = \n");
  EXPECT_EQ(kestrel({"-r", broken.c_str(), "--dry-run", "-o", "engine.kind=none"}).code, kExitFailure);
}

// log_level keeps lines at least that severe, log_stderr=false keeps
// stderr quiet; the line explaining a failed run is written regardless.
TEST(FalcoConfig, LogKeysFilterTheLogButNeverTheReasonOfAFailure) {
  auto info = kestrel({"--dry-run", "-o", "webserver.threadiness=2"});
  ASSERT_EQ(info.code, kExitOk) << info.err;
  EXPECT_NE(info.err.find("--dry-run: configuration"), std::string::npos) << info.err;
  auto warning = kestrel({"--dry-run", "-o", "webserver.threadiness=2", "-o", "log_level=warning"});
  ASSERT_EQ(warning.code, kExitOk) << warning.err;
  EXPECT_EQ(warning.err.find("--dry-run: configuration"), std::string::npos) << warning.err;
  EXPECT_NE(warning.err.find("'webserver.threadiness' has no meaning"), std::string::npos) << warning.err;
  auto quiet = kestrel({"--dry-run", "-o", "webserver.threadiness=2", "-o", "log_stderr=false"});
  ASSERT_EQ(quiet.code, kExitOk);
  EXPECT_EQ(quiet.err, "");
  // No source at all: an error line that reads as info, still printed.
  auto failed = kestrel({"--dry-run", "-o", "engine.kind=nodriver", "-o", "log_level=error", "-o", "log_stderr=false"});
  EXPECT_EQ(failed.code, kExitFailure);
  EXPECT_NE(failed.err.find("there is no event source"), std::string::npos) << failed.err;
}

TEST(FalcoFlags, EventSourceSelection) {
  auto both = kestrel({"--enable-source", "syscall", "--disable-source", "syscall"});
  EXPECT_EQ(both.code, kExitUsage);
  EXPECT_NE(both.err.find("cannot be given together"), std::string::npos);
  auto unknown = kestrel({"--disable-source", "k8s_audit", "--dry-run"});
  EXPECT_EQ(unknown.code, kExitFailure);
  EXPECT_NE(unknown.err.find("Attempted disabling an unknown event source: k8s_audit"), std::string::npos) << unknown.err;
  auto none = kestrel({"--disable-source", "syscall", "--dry-run"});
  EXPECT_EQ(none.code, kExitFailure);
  EXPECT_NE(none.err.find("Must enable at least one event source"), std::string::npos) << none.err;
  auto enable = kestrel({"--enable-source", "syscall", "--dry-run"});
  EXPECT_EQ(enable.code, kExitOk) << enable.err;
}

TEST(FalcoFlags, BadFlagsExitTwoWithAMessage) {
  for (const char* flag : {"-P", "--enable-source", "--disable-source", "-p"}) {
    auto r = kestrel({flag});
    EXPECT_EQ(r.code, kExitUsage) << flag;
    EXPECT_NE(r.err.find("kestrel: "), std::string::npos) << flag;
  }
  auto unknown = kestrel({"--no-such-falco-flag"});
  EXPECT_EQ(unknown.code, kExitUsage);
}

}  // namespace
}  // namespace kestrel
