// The real `kestrel` binary loading a plugin that, like plugins built with
// plugin-sdk-cpp at API 3.3, calls in->log_fn and reads in->tables in
// plugin_init (test_plugins/sdk_like_plugin.cpp, built against the
// published plugin_api.h). Once the host passed NULL for both and the
// process died with SIGSEGV; now it runs, or refuses cleanly by name.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

struct RunResult {
  int status = 0;
  std::string err;
};

RunResult run_sdk_like(const std::string& init_config) {
  Collector c;
  c.start({KESTREL_BINARY, "-o", "engine.kind=none", "-o", "load_plugins=sdklike", "-o",
           std::string("plugins=[{name: sdklike, library_path: ") + SDK_LIKE_PLUGIN + ", init_config: '" +
               init_config + "', open_params: ''}]",
           "-M", "2"});
  RunResult r;
  auto end = Collector::Clock::now() + std::chrono::seconds(60);
  while (c.pid > 0 && Collector::Clock::now() < end) {
    c.pump(50);
    if (waitpid(c.pid, &r.status, WNOHANG) == c.pid) c.pid = -1;
  }
  if (c.pid > 0) {
    kill(c.pid, SIGKILL);
    waitpid(c.pid, &r.status, 0);
    ADD_FAILURE() << "kestrel did not exit";
  }
  for (int i = 0; i < 20; ++i) c.pump(10);
  r.err = c.err;
  return r;
}

TEST(PluginInitRun, SdkStylePluginRunsAndLogsThroughKestrel) {
  RunResult r = run_sdk_like("");
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find("kestrel: plugin 'sdklike': info: hello from plugin_init"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Source sdklike: 0 events"), std::string::npos) << r.err;
}

TEST(PluginInitRun, PluginNeedingHostTablesIsRefusedCleanly) {
  RunResult r = run_sdk_like("needs-threads");
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_NE(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find("plugin 'sdklike': init failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Kestrel offers no state tables to plugins (asked for 'threads')"), std::string::npos)
      << r.err;
}

}  // namespace
