// serialized_container_metadata.h — one ContainerMetadata for several
// engine threads (engine.workers, app/engine_workers.h).
//
// ContainerMetadata::find() is for one thread, and its answer lives until
// the next find() on the same object. Each worker's engine gets its own
// SerializedContainerMetadata over the one store: find() asks the store
// under the lock all of them share and keeps a copy of the answer, which
// lives until this engine's next find(), as the interface promises. The
// copy is the price of sharing: a find() comes at most once per event that
// reads container metadata (ExtractContext caches it per event).
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "state/containers/container_metadata.h"

namespace kestrel {

class SerializedContainerMetadata final : public ContainerMetadata {
 public:
  // `store` must outlive this; `lock` is shared by every adapter of `store`.
  SerializedContainerMetadata(ContainerMetadata& store, std::shared_ptr<std::mutex> lock)
      : store_(store), lock_(std::move(lock)) {}

  const ContainerInfo* find(std::string_view full_id) override {
    std::lock_guard guard(*lock_);
    const ContainerInfo* info = store_.find(full_id);
    if (info == nullptr) return nullptr;
    copy_ = *info;
    return &*copy_;
  }

 private:
  ContainerMetadata& store_;
  std::shared_ptr<std::mutex> lock_;
  std::optional<ContainerInfo> copy_;
};

}  // namespace kestrel
