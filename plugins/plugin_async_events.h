// plugin_async_events.h — async events plugins push (plugin API
// set_async_event_handler) on their way into the event stream.
//
// Plugins call the host's handler from their own threads; PluginOwner
// checks each event and pushes a copy here. AsyncEventSource (a Source the
// multiplexer runs like any other) drains the queue and yields one
// KE_ASYNCEVENT record per event: params plugin_id (the event source it
// was injected into, 0 for syscall), name (evt.asynctype), data,
// plugin_name (the plugin that sent it: evt.pluginname); the
// record's tid is the event's tid ((uint64_t)-1: none -> 0), its ts the
// event's or, for (uint64_t)-1, the time it arrived.
//
// The queue is bounded (kMaxQueuedAsyncEvents); an event arriving when it
// is full is refused — the plugin's handler call fails with "queue full"
// and the source counts it as a drop ("async_queue_full").
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sources/event/event_view.h"
#include "sources/source.h"

namespace kestrel::plugin {

inline constexpr size_t kMaxQueuedAsyncEvents = 65536;

struct AsyncEvent {
  std::string plugin;  // the plugin that sent it
  uint32_t plugin_id = 0;
  uint64_t ts = 0;
  uint64_t tid = UINT64_MAX;
  std::string name;
  std::vector<uint8_t> data;
};

class AsyncEventQueue {
 public:
  // False when full (counted).
  bool push(AsyncEvent e);
  // Waits up to `wait` for at least one event; moves out all queued.
  std::vector<AsyncEvent> pop_all(std::chrono::milliseconds wait);
  uint64_t refused_full() const;
  // Events pushed after close() (the capture ended), refused.
  uint64_t refused_closed() const;
  // Wakes a waiting pop_all and makes later ones return at once.
  void close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<AsyncEvent> events_;
  uint64_t refused_full_ = 0;
  uint64_t refused_closed_ = 0;
  bool closed_ = false;
};

// The async events of all plugins as one Source.
class AsyncEventSource final : public Source {
 public:
  static constexpr const char* kName = "plugin_async";  // its capabilities' name
  explicit AsyncEventSource(std::shared_ptr<AsyncEventQueue> queue);
  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  void close() override;

 private:
  std::shared_ptr<AsyncEventQueue> queue_;
  SourceCapabilities caps_;
  bool open_ = false;
  std::vector<std::vector<uint8_t>> records_;
  mutable std::mutex stats_mu_;
  SourceStats stats_;
};

// The KE_ASYNCEVENT record for `e` (empty if it cannot be built).
std::vector<uint8_t> async_event_record(const AsyncEvent& e);

// A KE_ASYNCEVENT record back as the plugin API's async event (libscap's
// code 402: params plugin_id u32, name NUL-terminated, data; 4-byte param
// lengths), for the extractors and parsers that take async events; tid
// (uint64_t)-1 when the record has none. Empty for any other record.
std::vector<uint8_t> async_record_to_plugin_event(const EventView& view);

// The event source an async record was sent into: "syscall" for plugin
// id 0, else the source of the plugin with that id in `plugin_sources`
// (nullptr if none there).
const std::string* async_event_source(const EventView& view,
                                      const std::map<uint32_t, std::string>& plugin_sources);

}  // namespace kestrel::plugin
