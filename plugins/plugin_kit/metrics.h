// metrics.h — plugin_get_metrics for our plugins: monotonic u64 counters
// by name, in storage the plugin state owns (valid until the next call).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "plugins/plugin_abi.h"

namespace kestrel::plugin_kit {

class MetricsOut {
 public:
  // `counters`: (name with static lifetime, value) pairs.
  ss_plugin_metric* hand_out(std::initializer_list<std::pair<const char*, uint64_t>> counters, uint32_t* n) {
    metrics_.clear();
    for (const auto& [name, value] : counters) {
      ss_plugin_metric m{};
      m.name = name;
      m.type = SS_PLUGIN_METRIC_TYPE_MONOTONIC;
      m.value_type = SS_PLUGIN_METRIC_VALUE_TYPE_U64;
      m.value.u64 = value;
      metrics_.push_back(m);
    }
    *n = static_cast<uint32_t>(metrics_.size());
    return metrics_.data();
  }

 private:
  std::vector<ss_plugin_metric> metrics_;
};

}  // namespace kestrel::plugin_kit
