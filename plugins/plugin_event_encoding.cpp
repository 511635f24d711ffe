#include "plugins/plugin_event_encoding.h"

namespace kestrel::plugin {

std::span<const ss_plugin_event* const> SyscallEventEncoder::events(const EventView& record) {
  std::span<const scap::ScapEventOut> out = encoder_.encode(record);
  if (bufs_.size() < out.size()) bufs_.resize(out.size());
  views_.clear();
  for (size_t i = 0; i < out.size(); ++i) {
    scap::serialize_event(out[i], bufs_[i]);
    views_.push_back(reinterpret_cast<const ss_plugin_event*>(bufs_[i].data()));
  }
  return views_;
}

const ss_plugin_event* SyscallEventEncoder::record_event(const EventView& record) {
  // The record's own event is the last the encoder emits: after the enter,
  // and after a child-side clone's caller pair. Only that one is serialised.
  std::span<const scap::ScapEventOut> out = encoder_.encode(record);
  if (out.empty()) return nullptr;
  if (bufs_.empty()) bufs_.resize(1);
  scap::serialize_event(out.back(), bufs_[0]);
  return reinterpret_cast<const ss_plugin_event*>(bufs_[0].data());
}

}  // namespace kestrel::plugin
