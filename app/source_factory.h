// source_factory.h — the sources a configuration asks for.
//
// `-e FILE` replays a capture. Otherwise engine.kind picks the syscall
// source: auto = the modern eBPF probe when this kernel supports it (BTF,
// privileges, version), else the kernel module when it is loaded
// (/dev/kestrel), else the module loaded from the driver index
// engine.kmod.index, else an error naming the remedies (engine_choice.h);
// ebpf, kmod (loaded from engine.kmod.index too when /dev/kestrel is
// missing), gvisor, none.
// Sources of the host get their initial state from their own /proc scan
// (EbpfSource, KmodSource: initial_state()).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "app/collector_plan.h"
#include "app/config/config.h"
#include "sources/source.h"

namespace kestrel {

// The capture or syscall sources of `plan` (plugin sources are made by
// plugin_loading.h), unopened; the list is empty for a plugin-only plan.
// `config` gives each source its own settings (engine.*). The choice of
// engine.kind=auto|kmod, and a module loaded from the index, are logged to
// `log`.
// Errors: kUnimplemented for sources that have not landed (exit code 2),
// others for a source that cannot run here (engine.kind=auto found none).
Result<std::vector<std::unique_ptr<Source>>> make_sources(const SourcePlan& plan, const KestrelConfig& config,
                                                          std::ostream& log);

// The socket the gVisor source listens on: the remote sink endpoint of the
// pod-init config named by engine.gvisor.config, else the default.
Result<std::string> gvisor_socket_path(const KestrelConfig& config);

}  // namespace kestrel
