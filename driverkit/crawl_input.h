// crawl_input.h — what kestrel-crawler reads: the kernel packages of every
// Packages index of a Debian archive, from a mirror over HTTP(S)/file://
// (crawl_mirror.cpp) or from apt's own lists (crawl_apt_lists.cpp).
//
// Both are driven by each suite's Release: its SHA256 section names the
// Packages indexes of the architecture, and every index read is checked
// against it (a mismatch refuses that index, with both hashes named).
// Stanzas are read tolerantly: a malformed one is reported by file:line
// and skipped; the crawl goes on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driverkit/deb_control.h"
#include "driverkit/deb_release.h"
#include "driverkit/progress.h"
#include "driverkit/release_signature.h"

namespace kestrel::driverkit {

// The kernel packages of one Packages index.
struct CrawledIndex {
  std::string origin;    // the URL or list file read ("…/Packages.xz")
  std::string base_url;  // the archive root a stanza's Filename is relative to, ending in '/'
  std::string suite;     // the dists/ directory name: "bookworm-security"
  std::vector<ControlStanza> stanzas;  // linux-headers-*, linux-image-*, linux-kbuild-* only
};

struct CrawlInput {
  std::vector<CrawledIndex> indexes;
  std::vector<std::string> problems;  // indexes refused, stanzas skipped: one line each, with file[:line]
};

// Whether a stanza is one the crawler needs (kernel headers, images, kbuild).
bool is_kernel_stanza(const ControlStanza& stanza);

// Checks DATA — the bytes of Release path INDEX.path in form FORM — against
// the Release (the compressed form's hash when listed, and the plain
// content's), decompresses and parses it tolerantly into INPUT, reporting
// one progress line. A refused index is a problem in INPUT, not a Status:
// the crawl goes on with the others.
void add_packages_index(const DebRelease& release, const PackagesIndex& index, Compression form,
                        std::string_view data, CrawledIndex where, CrawlInput& input, Progress& progress);

// Every Release is first checked against POLICY's keyrings
// (release_signature.h): a suite whose signature fails is a problem, not
// read.
//
// --mirror: each MIRROR's dists/<suite>/InRelease (else Release +
// Release.gpg) for every SUITE, then its Packages indexes of ARCH (a Debian architecture), in the
// first form the Release lists of xz, gz, lz4, plain. A suite the mirror
// does not have (404) is noted and skipped.
CrawlInput read_mirrors(const std::vector<std::string>& mirrors, const std::vector<std::string>& suites,
                        const std::string& arch, const SignaturePolicy& policy, Progress& progress);

// --apt-lists: every <site>_dists_<suite>_InRelease (or _Release with its
// _Release.gpg) in DIR and
// the Packages lists of ARCH beside it, named as apt names them
// (<site>_dists_<suite>_<component>_binary-<arch>_Packages[.lz4|.xz|.gz]).
// The archive URL of <site> is the Repo-URI `apt-get indextargets` reports
// for a list of that name under DIR (the host's sources); when the host's
// sources do not name it, http:// + the file name's site with apt's
// escaping undone ('_' → '/', %XX → byte).
CrawlInput read_apt_lists(const std::string& dir, const std::string& arch, const SignaturePolicy& policy,
                          Progress& progress);

// The archive URL apt's list file prefix stands for, without the sources:
// "deb.debian.org_debian" → "http://deb.debian.org/debian/".
std::string apt_site_url(std::string_view prefix);

}  // namespace kestrel::driverkit
