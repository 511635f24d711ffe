// Rules drive fields, live: the rules' capture request reaches the real
// eBPF probe through the collector's own path (rules -> needs -> request ->
// make_sources -> Source::set_capture_request), and the probe then sends
// the params no rule reads empty. Root and a BTF kernel; fails, never
// skips, when the probe cannot load.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <iostream>

#include "app/collector_plan.h"
#include "app/source_factory.h"
#include "engine/load_result.h"
#include "engine/rule_set.h"
#include "tests/ebpf/live_capture.h"
#include "tests/support/rules_from_yaml.h"

namespace kestrel {
namespace {

using testing::OwnedEvent;

CaptureRequest request_for(const std::string& yaml) {
  engine::RuleSet set = testing::rules_from_yaml(yaml);
  auto engine = engine::eval::RuleEngine::create(set, {});
  EXPECT_TRUE(engine.ok());
  return capture_request({}, rules_needs(set, **engine, {}));
}

// The execve record of a child that runs /bin/true with KESTREL_MARK=1 in
// its environment, captured by the eBPF source `make_sources` builds for
// engine.kind=ebpf, given `request`.
OwnedEvent exec_record(const CaptureRequest& request) {
  auto config = load_config({});
  EXPECT_TRUE(config.ok());
  SourcePlan plan;
  plan.syscall_kind = "ebpf";
  auto sources = make_sources(plan, *config, std::cerr);
  EXPECT_TRUE(sources.ok()) << sources.status().to_string();
  if (!sources.ok() || sources->size() != 1) return {};
  Source& source = *sources->front();
  EXPECT_TRUE(source.set_capture_request(request).ok());
  Status opened = source.open();
  EXPECT_TRUE(opened.ok()) << opened.to_string();
  if (!opened.ok()) return {};
  pid_t child = fork();
  if (child == 0) {
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    char* const envp[] = {const_cast<char*>("KESTREL_MARK=1"), nullptr};
    execve("/bin/true", argv, envp);
    _exit(127);
  }
  EXPECT_EQ(waitpid(child, nullptr, 0), child);
  auto events = testing::collect(source, {static_cast<uint32_t>(child)}, [](const std::vector<OwnedEvent>& ev) {
    return testing::count_type(ev, KE_EXECVE) > 0;
  });
  source.close();
  auto execs = testing::of_type(events, KE_EXECVE);
  EXPECT_EQ(execs.size(), 1u);
  return execs.empty() ? OwnedEvent{} : *execs.front();
}

TEST(CaptureRequestLive, RulesReadingOnlyProcNameAndFdNameGetAnEmptyEnv) {
  CaptureRequest request = request_for(R"(
- rule: Open By Cat
  desc: d
  condition: evt.type = openat and proc.name = cat and fd.name startswith /etc
  output: "%proc.name opened %fd.name"
  priority: WARNING
)");
  ASSERT_FALSE(request.process_params.env);
  OwnedEvent exec = exec_record(request);
  ASSERT_FALSE(exec.bytes.empty());
  EXPECT_FALSE(exec.view().has_param(KP_EXECVE_env));      // not copied in the kernel
  EXPECT_FALSE(exec.view().has_param(KP_EXECVE_cgroups));  // nor the cgroup walk
  EXPECT_TRUE(exec.view().has_param(KP_EXECVE_cwd));       // the state tables need it
  EXPECT_EQ(exec.s(KP_EXECVE_exe), "/bin/true");
}

TEST(CaptureRequestLive, RulesReadingProcEnvGetTheEnv) {
  CaptureRequest request = request_for(R"(
- rule: Preload
  desc: d
  condition: evt.type = execve and proc.env contains LD_PRELOAD
  output: "%proc.name %container.id"
  priority: WARNING
)");
  ASSERT_TRUE(request.process_params.env);
  OwnedEvent exec = exec_record(request);
  ASSERT_FALSE(exec.bytes.empty());
  EXPECT_NE(exec.s(KP_EXECVE_env).find("KESTREL_MARK=1"), std::string::npos);
  EXPECT_TRUE(exec.view().has_param(KP_EXECVE_cgroups));
}

}  // namespace
}  // namespace kestrel
