// pod_init_workdir.h — what the gVisor binary tests set up before they start
// `kestrel`: a fresh directory holding the monitoring socket's path, the
// pod-init config `kestrel --gvisor-generate-config` writes for that socket
// (what runsc reads), and a rules file.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace kestrel::testing {

struct PodInitWorkdir {
  std::string dir, socket, config, rules;

  // Fills every path under a new /tmp/kestrel-PREFIX-XXXXXX; fails the
  // test (fatally) when the directory or the config cannot be made.
  void create(const std::string& prefix, const std::string& rules_text) {
    std::string tmpl = "/tmp/kestrel-" + prefix + "-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << tmpl;
    dir = tmpl;
    socket = dir + "/gvisor.sock";
    config = dir + "/pod_init.json";
    rules = dir + "/rules.yaml";
    ASSERT_EQ(std::system((std::string(KESTREL_BINARY) + " --gvisor-generate-config=" + socket + " > " + config).c_str()),
              0);
    std::ofstream(rules) << rules_text;
  }
  void remove() const {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

}  // namespace kestrel::testing
