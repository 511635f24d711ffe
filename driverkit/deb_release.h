// deb_release.h — an archive suite's Release / InRelease file: which suite
// it is, its components and architectures, and the SHA256 of every index
// file under dists/<suite>/ (Debian's "Release file" format, one
// deb-control stanza; InRelease is the same, clear-signed with OpenPGP).
//
// The signature is not checked here (apt did for its lists; for a mirror
// the SHA256 lines tie each Packages file to the Release it came with):
// the armor is removed and dash-escaped lines ("- -…") are unescaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driverkit/decompress.h"

namespace kestrel::driverkit {

struct ReleaseFile {
  std::string path;  // relative to dists/<suite>/: "main/binary-amd64/Packages.xz"
  uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

struct DebRelease {
  std::string suite;     // "oldstable"
  std::string codename;  // "bookworm"
  std::vector<std::string> components;     // "main", "contrib"; "updates/main" on the security archive
  std::vector<std::string> architectures;  // "amd64", "arm64", "all"
  std::vector<ReleaseFile> files;          // the SHA256 section, in its order

  const ReleaseFile* find(std::string_view path) const;
  bool has_architecture(std::string_view arch) const;
};

// TEXT is a Release or InRelease file; ORIGIN names it in errors. A Release
// without a SHA256 section is kCorrupt: nothing could be checked against it.
Result<DebRelease> parse_release(std::string_view text, const std::string& origin);

// One Packages index of a suite for an architecture, in the forms the
// Release lists (the same index as .xz, .gz, plain ...).
struct PackagesIndex {
  std::string component;  // "main" (the path's first part, before /binary-)
  std::string path;       // "main/binary-amd64/Packages" (the uncompressed name)
  std::vector<Compression> forms;  // those the Release lists, preferred first: xz, gz, lz4, plain
};

// The Packages indexes of ARCH (a Debian architecture: amd64, arm64) the
// Release lists, by component in the Release's order. debian-installer
// (udeb) indexes are not kernels' and are left out.
std::vector<PackagesIndex> packages_indexes(const DebRelease& release, const std::string& arch);

// Checks DATA (the bytes of the index at PATH, which is listed in RELEASE)
// against its SHA256 and size: kCorrupt naming both hashes on a mismatch,
// kNotFound when the Release does not list PATH.
Status check_release_hash(const DebRelease& release, const std::string& path, std::string_view data,
                          const std::string& origin);

}  // namespace kestrel::driverkit
