// fixture_index.h — PackageIndexes over the real control data captured in
// fixtures/ (apt-cache show / dpkg-deb -f output; see fixtures/README.md),
// so resolution is tested on what Debian's archive really says.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "driverkit/package_index.h"

namespace kestrel::driverkit::testing {

inline std::string fixture_dir() { return std::string(KESTREL_SOURCE_DIR) + "/tests/driverkit/fixtures"; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing fixture " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The stanzas of fixtures/<dir>/<file> for each file, as SOURCE candidates
// (the origin is the stanza's Filename, as apt reports it).
inline std::unique_ptr<StanzaIndex> fixture_index(const std::string& description, const std::string& dir,
                                                  const std::vector<std::string>& files,
                                                  InputSource source = InputSource::kApt) {
  std::vector<PackageCandidate> candidates;
  for (const auto& f : files) {
    std::string path = fixture_dir() + "/" + dir + "/" + f;
    auto stanzas = parse_control(read_text(path), path);
    EXPECT_TRUE(stanzas.ok()) << stanzas.status().to_string();
    if (!stanzas.ok()) continue;
    for (auto& s : *stanzas) {
      std::string origin = s.get("Filename").empty() ? path : s.get("Filename");
      candidates.push_back(PackageCandidate{std::move(s), source, origin, ""});
    }
  }
  return std::make_unique<StanzaIndex>(description, std::move(candidates));
}

// Every package captured from the amd64 archive.
inline std::vector<std::string> amd64_fixture_files() {
  return {"linux-headers-6.1.0-57-amd64",        "linux-headers-6.1.0-57-cloud-amd64",
          "linux-headers-6.1.0-57-rt-amd64",     "linux-headers-6.1.0-57-common",
          "linux-headers-6.1.0-57-common-rt",    "linux-kbuild-6.1",
          "linux-headers-6.12.118+deb12-cloud-amd64", "linux-headers-6.12.118+deb12-common",
          "linux-kbuild-6.12.118+deb12"};
}

}  // namespace kestrel::driverkit::testing
