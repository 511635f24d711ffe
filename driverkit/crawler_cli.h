// crawler_cli.h — the kestrel-crawler command line (CLI11).
//
//   kestrel-crawler crawl --distro debian [--arch x86_64|aarch64]
//       [--mirror URL ... [--suite NAME ...]] [--apt-lists DIR]
//       [--output list.json] [--diff old.json]
//
// Input: --mirror (repeatable) reads each mirror's dists/<suite>/ for every
// --suite (default: bookworm, bookworm-updates, bookworm-security; a suite
// a mirror lacks is skipped). Without --mirror, --apt-lists DIR (default
// /var/lib/apt/lists) is read; both may be given. Output: the kernel list
// (kernel_list.h) to --output, else to stdout unless --diff is given;
// --diff prints the kernels added, removed and changed against OLD.json.
// Progress, problems and the summary go to ERR.
//
// Exit codes: 0 crawled (some kernels or indexes may have been skipped,
// each reported); 1 the crawl failed: no index could be read, or the
// output could not be written; 2 usage (bad flag, unknown distro or arch).
#pragma once

#include <ostream>

namespace kestrel::driverkit {

int run_crawler(int argc, const char* const* argv, std::ostream& out, std::ostream& err, bool progress_on_terminal);

}  // namespace kestrel::driverkit
