// plugin_field_provider.h — a plugin's extractor as the engine's
// FieldProvider (engine/eval/field_provider.h).
//
// prepare() matches a rule's field against the plugin's get_fields table
// (name and argument form); extract() rebuilds the plugin-ABI event once
// per event number — from a KE_PLUGINEVENT record its plugin event (code
// 322); from any other record, when the plugin extracts from "syscall"
// events (extracts_syscall_events), the record's scap event
// (plugin_event_encoding.h: the .scap writer's encoding, evtsrc "syscall",
// only the scap codes PluginLibrary::wants_extract accepts; a
// replayed enter record, evt.dir '>', as its enter event) — and
// asks the plugin for
// one field at a time through plugin_extract_fields, copying the values
// (bounded: kMaxValues values of kMaxValueBytes each) into the caller's
// scratch while the plugin's memory is still valid.
//
// Values take the type the field registry gives the field: numbers and
// booleans become text for string fields ("true", "201"), as Falco's
// k8saudit rules compare them; lists become kList / kUintList. IP typed
// plugin fields read as missing (none of the supported plugins has them).
// A failing extraction reads as missing and is counted (errors()).
//
// Async events (KE_ASYNCEVENT records) go to the plugin as libscap's async
// event (code 402, plugin_async_events.h) when it extracts from the source
// the event was sent into and its event types take code 402 — by the API's
// rule, a plugin declaring no types gets them for "syscall" (every type)
// and not for a plugin source (plugin events only). The source of a plugin
// id comes from name_plugin_source.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/eval/extract.h"
#include "plugins/plugin_event_encoding.h"
#include "plugins/plugin_library.h"

namespace kestrel::plugin {

inline constexpr size_t kMaxValues = 4096;
inline constexpr size_t kMaxValueBytes = 64 * 1024;

class PluginFieldProvider final : public engine::eval::FieldProvider {
 public:
  explicit PluginFieldProvider(std::shared_ptr<PluginLibrary> library)
      : library_(std::move(library)), syscall_(extracts_syscall_events(library_->info())) {}

  std::optional<uint32_t> prepare(std::string_view name, const std::optional<std::string>& arg,
                                  engine::FieldType type) override;
  engine::eval::ExtractedValue extract(const Event& event, uint64_t event_number, uint32_t handle,
                                       engine::eval::Scratch& scratch) override;

  uint64_t errors() const { return errors_.load(); }

  // The event source of the plugin with id `plugin_id` (async events sent
  // into it carry that id).
  void name_plugin_source(uint32_t plugin_id, std::string event_source) {
    plugin_sources_[plugin_id] = std::move(event_source);
  }

 private:
  struct Request {
    uint32_t field_id = 0;
    std::string name;
    std::string key;  // arg_key storage
    bool has_key = false;
    uint64_t index = 0;
    bool arg_present = false;
    uint32_t ftype = FTYPE_STRING;
    bool is_list = false;
    engine::FieldType type = engine::FieldType::kString;
  };

  // The plugin event for `event` (nullptr: none the plugin takes), and the
  // source name it is given with (nullptr: the plugin's own).
  const ss_plugin_event* build_event(const Event& event, const char** evtsrc);
  // Whether `event` is the one current_ was built for. Engine event
  // numbers restart when a SIGHUP reload builds a new engine, so the record
  // itself (address, time, length) is part of the identity.
  bool is_current(const Event& event, uint64_t event_number) const;

  std::shared_ptr<PluginLibrary> library_;
  std::vector<Request> requests_;
  struct {
    uint64_t number = UINT64_MAX, ts = 0;
    const uint8_t* data = nullptr;
    size_t len = 0;
  } built_for_;
  uint64_t plugin_evtnum_ = 0;  // the evtnum extract_fields gets (see extract())
  std::vector<uint8_t> plugin_event_;
  const bool syscall_;  // the plugin extracts from syscall events
  SyscallEventEncoder syscall_encoder_;
  const ss_plugin_event* current_ = nullptr;  // into plugin_event_ or syscall_encoder_
  const char* current_source_ = nullptr;
  std::atomic<uint64_t> errors_{0};
  std::map<uint32_t, std::string> plugin_sources_;
};

}  // namespace kestrel::plugin
