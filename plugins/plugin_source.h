// plugin_source.h — a Falco plugin's event source as a Kestrel Source.
//
// open() opens a capture on the (already initialised) plugin with the
// configured open_params; next() calls plugin_next_batch and turns each
// plugin event (type 322: plugin_id, event_data) into a Kestrel record of
// type KE_PLUGINEVENT with the same params. The multiplexer runs it on its
// own thread like any source; the rule engine for the plugin's event source
// (capabilities().name is the plugin name, event_source() the source rules
// name, e.g. "k8s_audit") evaluates those records.
//
// Plugin output is untrusted. Each event is checked before it is copied:
// type 322, two u32-length params that fit in the event's declared length,
// a 4-byte plugin id equal to the plugin's (0 is taken as "this plugin", as
// Falco does). Failures are dropped and counted as "malformed"; data
// larger than a Kestrel record can hold (kMaxPluginEventData) is dropped
// as "too_large". Timestamps of (uint64_t)-1 mean "now".
//
// The plugin's own metrics (plugin_get_metrics, monotonic integers only)
// are read on the reader thread at most every kMetricsInterval and reported
// as SourceStats::counters: stats() never calls into the plugin, so a
// plugin blocked in next_batch cannot stall whoever asks for stats.
//
// Plugins are pulled, not pushed: nothing is lost while the engine is
// busy, so the source declares itself not live and the multiplexer makes
// it wait rather than drop.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/plugin_library.h"
#include "sources/source.h"

namespace kestrel::plugin {

// Room for the record header and the two param lengths and the plugin id.
inline constexpr size_t kMaxPluginEventData = KESTREL_MAX_EVENT_SIZE - 64;
// A plugin event header claiming more than this is malformed outright.
inline constexpr uint32_t kMaxPluginEventLen = 16u << 20;

inline constexpr std::chrono::milliseconds kMetricsInterval{200};

class PluginSource : public Source {
 public:
  // `library` must be initialised; `open_params` go to plugin_open.
  PluginSource(std::shared_ptr<PluginLibrary> library, std::string open_params);
  ~PluginSource() override { close(); }

  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  void close() override;

  const std::string& event_source() const { return library_->info().event_source; }

 private:
  // Appends the Kestrel record for `e` to arena_, or counts why not.
  void convert(const ss_plugin_event* e);
  // Copies the plugin's metrics into stats_.counters when due (or `force`).
  void refresh_metrics(bool force);

  std::shared_ptr<PluginLibrary> library_;
  std::string open_params_;
  SourceCapabilities caps_;
  bool open_ = false;
  bool eof_ = false;
  std::vector<uint8_t> arena_;
  std::vector<size_t> offsets_;
  std::chrono::steady_clock::time_point metrics_read_{};
  mutable std::mutex stats_mu_;
  SourceStats stats_;
};

// Converts one plugin event (already bounds-checked by the caller to hold
// `len` readable bytes) to a KE_PLUGINEVENT record; nullopt with `why`
// ("malformed" or "too_large") when it must be dropped. Exposed for tests.
std::optional<std::vector<uint8_t>> plugin_event_to_record(const ss_plugin_event* e, uint32_t plugin_id,
                                                           std::string* why);

// Builds the plugin-ABI event (header, u32 lengths, plugin id, data) from a
// KE_PLUGINEVENT record, for plugin_extract_fields. Empty when the record
// is not a well-formed plugin event.
std::vector<uint8_t> record_to_plugin_event(const EventView& view);

}  // namespace kestrel::plugin
