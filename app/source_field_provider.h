// source_field_provider.h — the fields of one plugin event source, filled by
// every loaded plugin that extracts from it.
//
// Falco gives each event source the fields of every extractor plugin
// compatible with it (plugin_api.h, get_extract_event_sources: the sources
// a plugin lists; none listed: its own source if it has one, else every
// source). k8s_audit rules name ka.* (the k8saudit plugin) and json.* (the
// json plugin) on the same event, so a source's FieldProvider is this
// dispatcher: a field goes to the plugin that declares it, in load order
// (the first declaration wins, as the registry resolves it:
// plugin_field_registry).
//
// Lifetime: the plugins' providers must outlive this object, which must
// outlive the rule engines compiled with it. Engine thread only.
#pragma once

#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/eval/field_provider.h"
#include "plugins/plugin_library.h"

namespace kestrel {

class SourceFieldProvider final : public engine::eval::FieldProvider {
 public:
  // Adds an extractor of this source: `provider` fills the fields `info` declares.
  void add(engine::eval::FieldProvider* provider, const plugin::PluginInfo& info);
  // Adds `provider` for the fields named (static_fields' static.<key>).
  void add(engine::eval::FieldProvider* provider, const std::vector<std::string>& field_names);
  bool empty() const { return extractors_.empty(); }

  std::optional<uint32_t> prepare(std::string_view name, const std::optional<std::string>& arg,
                                  engine::FieldType type) override;
  engine::eval::ExtractedValue extract(const Event& event, uint64_t event_number, uint32_t handle,
                                       engine::eval::Scratch& scratch) override;

 private:
  struct Extractor {
    engine::eval::FieldProvider* provider;
    std::unordered_set<std::string> fields;
  };
  std::vector<Extractor> extractors_;
  // Handle -> (the extractor's provider, its own handle).
  std::vector<std::pair<engine::eval::FieldProvider*, uint32_t>> handles_;
};

}  // namespace kestrel
