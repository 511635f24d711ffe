#include "app/engine_choice.h"

namespace kestrel {

namespace {
// What auto found missing, before the remedies.
std::string no_source(const EngineFacts& facts) {
  return "engine.kind=auto found no usable syscall source: the eBPF probe cannot run here (" + facts.ebpf.message() +
         ") and the kestrel kernel module is not loaded (/dev/kestrel is missing)";
}
}  // namespace

Result<EngineChoice> choose_syscall_engine(const std::string& kind, const EngineFacts& facts) {
  if (kind != "auto" && kind != "kmod")
    return Status(StatusCode::kInvalidArgument, "engine.kind=" + kind + " is not chosen from facts");
  const std::string prefix = "engine.kind=" + kind + ": ";
  if (kind == "auto" && facts.ebpf.ok()) return EngineChoice{"ebpf", false, prefix + "the eBPF probe"};
  const std::string no_ebpf =
      kind == "auto" ? "; the eBPF probe cannot run here: " + facts.ebpf.message() : std::string();
  if (facts.kmod_device)
    return EngineChoice{"kmod", false, prefix + "the kernel module, loaded already (/dev/kestrel" + no_ebpf + ")"};
  if (!facts.kmod_index.empty())
    return EngineChoice{"kmod", true,
                        prefix + "the kernel module, loaded from the driver index " + facts.kmod_index +
                            " (/dev/kestrel is missing" + no_ebpf + ")"};
  // kmod without an index: KmodSource::open() says the module is missing.
  if (kind == "kmod") return EngineChoice{"kmod", false, prefix + "the kernel module"};
  return Status(StatusCode::kUnavailable,
                no_source(facts) +
                    ". Either run on a "
                    "kernel with BTF >= 5.17 as root, or build the module for this kernel with "
                    "kestrel-driverkit build and insmod it, or set engine.kmod.index to a kestrel-driverkit "
                    "index (kestrel-driverkit matrix) holding a module for this kernel, which the collector "
                    "then loads");
}

Status index_load_failure(const std::string& kind, const EngineFacts& facts, const Status& index_failure) {
  if (kind != "auto") return Status(index_failure.code(), "engine.kind=" + kind + ": " + index_failure.message());
  return Status(index_failure.code(), no_source(facts) + "; " + index_failure.message());
}

}  // namespace kestrel
