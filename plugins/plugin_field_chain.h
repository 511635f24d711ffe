// plugin_field_chain.h — the fields of one event source when more than one
// plugin fills them: the source plugin's own extractor first, then the
// extractor-only plugins that accept the source (Falco's json plugin next
// to cloudtrail or k8saudit). A field is filled by the first member that
// prepares it, which is also the order the field registry looks names up
// in (app/plugin_loading.cpp adds the plugins' sets in the same order), so
// a name two plugins declare (k8saudit's and json's jevt.value) means the
// source plugin's.
#pragma once

#include <vector>

#include "engine/eval/field_provider.h"

namespace kestrel::plugin {

class FieldProviderChain final : public engine::eval::FieldProvider {
 public:
  // `member` must outlive the chain. Order is lookup order.
  void add(engine::eval::FieldProvider* member) { members_.push_back(member); }
  bool empty() const { return members_.empty(); }

  std::optional<uint32_t> prepare(std::string_view name, const std::optional<std::string>& arg,
                                  engine::FieldType type) override;
  engine::eval::ExtractedValue extract(const Event& event, uint64_t event_number, uint32_t handle,
                                       engine::eval::Scratch& scratch) override;

 private:
  struct Route {
    engine::eval::FieldProvider* member;
    uint32_t handle;
  };
  std::vector<engine::eval::FieldProvider*> members_;
  std::vector<Route> routes_;  // by the handle prepare() returned
};

}  // namespace kestrel::plugin
