// node_facts.h — what the console's fleet table says about this node and
// does not change while it runs: hostname, kernel, the sources, and the
// driver: for engine.kmod.index, whether the index holds a built and
// VM-verified ("proven") module for this kernel.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kestrel {

// {"hostname", "kernel", "architecture", "sources": [...], "driver": {...}}
nlohmann::json node_facts(const std::string& hostname, const std::vector<std::string>& sources,
                          const std::string& kmod_index);

}  // namespace kestrel
