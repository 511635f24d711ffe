// falco_keys.h — the falco.yaml keys Kestrel does not declare itself, and
// what each one becomes, so Falco's own falco.yaml loads unchanged.
//
// Keys Falco and Kestrel both name the same way (json_output, webserver.*,
// syscall_event_drops.*, capture.*, metrics.*, ...) are ordinary Kestrel
// keys (config_keys.cpp). This table holds the others, each once:
//   kAlias        same concept, another name: the value moves to `target`
//                 (through `convert` when the units differ) and takes effect;
//   kNoMeaning    nothing in Kestrel it could act on: accepted with one
//                 warning naming it and `why`;
//   kDefaultOnly  a feature Kestrel does not implement: Falco's default
//                 (`only`) is accepted with a warning, any other value is
//                 refused (exit 2), since ignoring it would change what the
//                 user asked for silently;
//   kSection      a map of further Falco keys (falco_libs, engine.modern_ebpf).
// engine.kind's Falco values (modern_ebpf, nodriver, replay) are renamed
// by falco_engine_kind().
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace kestrel {

enum class FalcoKeyKind { kAlias, kNoMeaning, kDefaultOnly, kSection };

struct FalcoKey {
  std::string_view path;
  FalcoKeyKind kind;
  std::string_view target = {};  // kAlias: the Kestrel key set
  std::string_view why = {};     // kNoMeaning, kDefaultOnly: why it has no effect
  std::string_view only = {};    // kDefaultOnly: the one value accepted (Falco's default)
  // kAlias: Falco's value as the target's (null: unchanged); an error
  // message (no position) when the value cannot be converted.
  Result<YAML::Node> (*convert)(const YAML::Node&) = nullptr;
};

std::span<const FalcoKey> falco_keys();
const FalcoKey* find_falco_key(std::string_view path);

// Kestrel's engine.kind for one of Falco's (modern_ebpf -> ebpf,
// nodriver -> none, replay -> capture); other values unchanged.
std::string falco_engine_kind(const std::string& kind);

}  // namespace kestrel
