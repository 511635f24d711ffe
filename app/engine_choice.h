// engine_choice.h — which syscall source engine.kind=auto (or kmod) runs,
// decided from facts about the host gathered elsewhere (source_factory.cpp
// reads them from the kernel), so the decision itself is a pure function.
//
//   auto: the eBPF probe when it can run here (BTF, privileges, >= 5.17);
//         else the kernel module when /dev/kestrel exists (loaded already);
//         else the module loaded from the driver index engine.kmod.index
//         when one is set (app/kmod_from_index.h);
//         else an error naming the three remedies.
//   kmod: the module; loaded from engine.kmod.index first when
//         /dev/kestrel is missing and an index is set.
#pragma once

#include <string>

#include "base/status.h"

namespace kestrel {

struct EngineFacts {
  Status ebpf;                // ok when the eBPF probe can run here; else why not (auto only)
  bool kmod_device = false;   // /dev/kestrel exists
  std::string kmod_index;     // engine.kmod.index; "" when unset
};

struct EngineChoice {
  std::string kind;              // "ebpf" or "kmod"
  bool load_from_index = false;  // kmod: load the module from facts.kmod_index first
  std::string why;               // for the log: "engine.kind=auto: ..."
};

// KIND is "auto" or "kmod" (others are not chosen, they are taken).
Result<EngineChoice> choose_syscall_engine(const std::string& kind, const EngineFacts& facts);

// The collector's error when loading from the index failed (INDEX_FAILURE:
// the lookup's reason with its remedy, or the refused load): for auto it
// also says why the eBPF probe could not run.
Status index_load_failure(const std::string& kind, const EngineFacts& facts, const Status& index_failure);

}  // namespace kestrel
