// kernel_facts.h — what verify reads from the two files it is given,
// before booting anything: the release a kernel image announces and the
// vermagic a module was built with. A mismatch is decided here, without a
// VM (the kernel would refuse the module anyway, a minute later).
#pragma once

#include <string>

#include "base/status.h"

namespace kestrel::driverkit {

// The kernel release of an x86 bzImage ("6.1.0-57-amd64"): the boot
// protocol's kernel_version field (header "HdrS" at 0x202, a 16-bit
// pointer at 0x20e to a NUL-terminated string 0x200 bytes further) whose
// first word is the release. kCorrupt for a file that is not a bzImage.
Result<std::string> bzimage_release(const std::string& path);

// The module's vermagic ("6.1.0-57-amd64 SMP preempt mod_unload
// modversions"): its .modinfo string "vermagic=...". kCorrupt when the
// file holds none (not a kernel module).
Result<std::string> module_vermagic(const std::string& path);

// The release a vermagic names: its first word.
std::string vermagic_release(const std::string& vermagic);

}  // namespace kestrel::driverkit
