// Falco's plugin keys in Kestrel's configuration: `plugins` entries (with an
// init_config given as a string or as a YAML map, which plugins receive as
// JSON) and `load_plugins`, from a file and from -o overrides, and the
// errors for malformed entries.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <fstream>
#include <string>

#include "app/config/config.h"

namespace kestrel {
namespace {

std::string write(const std::string& text) {
  static int n = 0;
  std::string path = ::testing::TempDir() + "/plugin_cfg_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(PluginConfig, EntriesFromAFile) {
  auto c = load_config({write(R"(
plugins:
  - name: k8saudit
    library_path: /usr/lib/libk8saudit.so
    init_config:
      maxEventSize: 262144
      sslCertificate: /etc/cert.pem
      nested: {on: true, list: [a, 2]}
    open_params: http://:9765/k8s-audit
  - name: json
    library_path: libjson.so
    init_config: "raw text"
load_plugins: [k8saudit]
)"),
                        {}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->plugins.size(), 2u);
  EXPECT_EQ(c->plugins[0].name, "k8saudit");
  EXPECT_EQ(c->plugins[0].library_path, "/usr/lib/libk8saudit.so");
  EXPECT_EQ(c->plugins[0].open_params, "http://:9765/k8s-audit");
  auto init = nlohmann::json::parse(c->plugins[0].init_config);
  EXPECT_EQ(init["maxEventSize"], 262144);
  EXPECT_EQ(init["sslCertificate"], "/etc/cert.pem");
  EXPECT_EQ(init["nested"]["on"], true);
  EXPECT_EQ(init["nested"]["list"][0], "a");
  EXPECT_EQ(init["nested"]["list"][1], 2);
  EXPECT_EQ(c->plugins[1].init_config, "raw text");
  EXPECT_EQ(c->plugins[1].open_params, "");
  EXPECT_EQ(c->load_plugins, std::vector<std::string>{"k8saudit"});
}

TEST(PluginConfig, DefaultsAreEmptyAndOverridesWork) {
  auto d = load_config({});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->plugins.empty());
  EXPECT_TRUE(d->load_plugins.empty());
  auto c = load_config({"", {"plugins=[{name: a, library_path: /a.so, open_params: x}]", "load_plugins=a"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->plugins.size(), 1u);
  EXPECT_EQ(c->plugins[0].open_params, "x");
  EXPECT_EQ(c->load_plugins, std::vector<std::string>{"a"});
}

TEST(PluginConfig, MalformedEntriesNameTheProblemAndWhere) {
  struct Bad {
    std::string yaml, message;
  };
  const Bad bad[] = {
      {"plugins: k8saudit\n", "expected a list of {name, library_path, init_config, open_params}"},
      {"plugins:\n  - k8saudit\n", "each plugin must be a map"},
      {"plugins:\n  - library_path: /a.so\n", "each plugin needs a name"},
      {"plugins:\n  - name: a\n", "plugin 'a' needs a library_path"},
      {"plugins:\n  - name: a\n    library_path: /a.so\n    open_params: [1, 2]\n", "'open_params' must be a string"},
      {"plugins:\n  - name: a\n    library_path: /a.so\n    init_config: [1]\n", "init_config must be a string or a map"},
      {"plugins:\n  - name: a\n    library_path: /a.so\n    params: x\n", "unknown plugin key 'params'"},
  };
  for (const auto& b : bad) {
    std::string path = write(b.yaml);
    auto c = load_config({path, {}});
    ASSERT_FALSE(c.ok()) << b.yaml;
    std::string text = c.status().to_string();
    EXPECT_NE(text.find(b.message), std::string::npos) << text;
    EXPECT_NE(text.find(path), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace kestrel
