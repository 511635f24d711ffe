// unpack.h — header .debs into a private tree, nothing installed.
//
// `dpkg-deb -x` extracts each package below TREE exactly as dpkg would below
// /. Debian's flavour Makefile includes its -common tree by absolute path
// (`include /usr/src/linux-headers-6.1.0-57-common/Makefile`); relocate_headers
// points such includes into TREE. The scripts/ and tools/ links are relative
// (../../lib/linux-kbuild-6.1/scripts) and work as they are.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::driverkit {

Status unpack_deb(const std::string& deb, const std::string& tree);

// Rewrites "include /usr/src/..." lines of TREE/usr/src/linux-headers-RELEASE/Makefile
// to TREE/usr/src/...; returns the kernel dir (that linux-headers dir).
Result<std::string> relocate_headers(const std::string& tree, const std::string& release);

}  // namespace kestrel::driverkit
