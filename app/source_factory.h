// source_factory.h — the sources a configuration asks for.
//
// `-e FILE` replays a capture. Otherwise engine.kind picks the syscall
// source: auto = the modern eBPF probe when this kernel supports it (BTF,
// privileges, version), else the kernel module when it is loaded
// (/dev/kestrel), else an error naming both remedies; ebpf, kmod, gvisor,
// none.
// Sources of the host get their initial state from their own /proc scan
// (EbpfSource, KmodSource: initial_state()).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/config/config.h"
#include "sources/source.h"

namespace kestrel {

// Errors: kUnimplemented for sources that have not landed (exit code 2),
// others for a source that cannot run here.
// `plugin_sources`: plugins with event sources run too (plugin_loading.h),
// so engine.kind=none is a valid plugin-only setup (the list is then empty).
Result<std::vector<std::unique_ptr<Source>>> make_sources(const KestrelConfig& config, const std::string& capture,
                                                          bool plugin_sources = false);

// The socket the gVisor source listens on: the remote sink endpoint of the
// pod-init config named by engine.gvisor.config, else the default.
Result<std::string> gvisor_socket_path(const KestrelConfig& config);

}  // namespace kestrel
