// node_facts.h — what the console's fleet table says about this node and
// does not change while it runs: hostname, kernel, the sources, and the
// driver: for engine.kmod.index, whether the index holds a built and
// VM-verified ("proven") module for this kernel.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kestrel {

// What engine.kmod.index says about this host's kernel: {"index"} alone
// when none is set; else "found" (a usable artifact), "proven" (built and
// VM-verified), "status" of its row, "reason" when not found, or "error"
// when the index cannot be read. The fleet status carries "proven" as
// driver_proven (fleet/node_status.h).
nlohmann::json driver_index_facts(const std::string& kmod_index);

// {"hostname", "kernel", "architecture", "sources": [...],
//  "driver": driver_index_facts()}
nlohmann::json node_facts(const std::string& hostname, const std::vector<std::string>& sources,
                          const std::string& kmod_index);

}  // namespace kestrel
