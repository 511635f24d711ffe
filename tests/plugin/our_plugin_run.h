// our_plugin_run.h — runs the real `kestrel` binary with our plugins on a
// rules file (engine.kind=none: the plugins are the only sources) and
// collects its JSON alerts, for the cloudtrail, okta and json tests; and the
// options that load them, for the -V test.
// Header-only, like tests/support/kestrel_collector.h.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kestrel::testing {

struct PluginRun {
  int code = -1;
  std::vector<nlohmann::json> alerts;
  std::string out;  // stdout and stderr
};

// One `plugins:` entry as a YAML flow map.
inline std::string plugin_entry(const std::string& name, const std::string& library, const std::string& open_params,
                                const std::string& init_config = "''") {
  return "{name: " + name + ", library_path: " + library + ", init_config: " + init_config + ", open_params: '" +
         open_params + "'}";
}

// The command-line options loading `entries` ({name, plugin_entry}), in
// order: -o 'load_plugins=[…]' -o 'plugins=[…]'.
inline std::string plugin_options(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string plugins = "plugins=[", load = "load_plugins=[";
  for (size_t i = 0; i < entries.size(); ++i) {
    plugins += (i ? ", " : "") + entries[i].second;
    load += (i ? ", " : "") + entries[i].first;
  }
  return "-o '" + load + "]' -o '" + plugins + "]'";
}

// kestrel -r `rules` with `entries` (plugin_entry) all loaded, in order.
// Until the run ends by itself (file sources reach EOF).
inline PluginRun run_with_plugins(const std::string& rules, const std::vector<std::pair<std::string, std::string>>& entries,
                                  const std::string& extra = "") {
  const std::string cmd = std::string(KESTREL_BINARY) + " -r " + rules +
                          " -o engine.kind=none -o json_output=true -o rule_matching=all " + plugin_options(entries) +
                          " " + extra + " 2>&1";
  PluginRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{') r.alerts.push_back(nlohmann::json::parse(line));
  return r;
}

// The rules each value of output field `key` raised ("<NA>" when the alert
// lacks the field).
inline std::map<std::string, std::multiset<std::string>> rules_by(const PluginRun& r, const std::string& key) {
  std::map<std::string, std::multiset<std::string>> out;
  for (const auto& a : r.alerts) {
    const auto& f = a["output_fields"];
    const std::string k = f.contains(key) && f[key].is_string() ? f[key].get<std::string>() : "<NA>";
    out[k].insert(a["rule"].get<std::string>());
  }
  return out;
}

}  // namespace kestrel::testing
