// prometheus_sample.h — one sample's value from a Prometheus text
// exposition (what a test scraped from Kestrel's /metrics).
#pragma once

#include <cstdint>
#include <regex>
#include <string>

namespace kestrel::testing {

// The value of the sample line `name{labels} value` (0 if absent).
// `name_and_labels` is written as it appears, e.g. kestrel_x{a="b"}.
inline uint64_t prometheus_sample(const std::string& metrics, const std::string& name_and_labels) {
  std::smatch m;
  const std::string escaped = std::regex_replace(name_and_labels, std::regex(R"([{}\\.])"), R"(\$&)");
  if (!std::regex_search(metrics, m, std::regex("\n" + escaped + " ([0-9.e+]+)"))) return 0;
  return static_cast<uint64_t>(std::stod(m[1].str()));
}

}  // namespace kestrel::testing
