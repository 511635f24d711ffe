// package_index.h — where Debian packages are looked up and fetched from.
//
// A PackageIndex answers "which versions of package NAME do you have, with
// what control data" and turns one of them into a local .deb. Three kinds:
//   StanzaIndex — a fixed set of stanzas: the .debs of --kernelurls (after
//                 download) or of --deb-dir, read with `dpkg-deb -f`;
//   AptIndex    — `apt-cache show` / `apt-get download`, either the host's
//                 own apt or a private apt state for a foreign architecture
//                 (arm64 on an amd64 host) that never touches the host's
//                 dpkg/apt configuration.
// Nothing is installed: a fetch only places a .deb in a directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "driverkit/deb_control.h"

namespace kestrel::driverkit {

enum class InputSource { kApt, kUrl, kFile };
const char* input_source_name(InputSource source);  // "apt" | "url" | "file"

struct PackageCandidate {
  ControlStanza control;
  InputSource source = InputSource::kApt;
  std::string origin;    // the URL, the .deb's path, or apt's pool Filename
  std::string deb_path;  // the local .deb: known for url/file, set by fetch() for apt
};

class PackageIndex {
 public:
  virtual ~PackageIndex() = default;
  // "apt (amd64)", "--deb-dir /srv/debs (3 .debs)" — names the index in errors.
  virtual std::string describe() const = 0;
  // Every version of NAME this index has (any architecture); empty when none.
  // A Status only when the index itself cannot be read.
  virtual Result<std::vector<PackageCandidate>> lookup(const std::string& name) = 0;
  // The path of a local .deb for CANDIDATE (one of lookup()'s), fetching it
  // into DIR when needed.
  virtual Result<std::string> fetch(const PackageCandidate& candidate, const std::string& dir) = 0;
  // Where CANDIDATE's .deb came from, for the manifest: its URL or path.
  virtual std::string origin(const PackageCandidate& candidate) const { return candidate.origin; }
};

class StanzaIndex : public PackageIndex {
 public:
  StanzaIndex(std::string description, std::vector<PackageCandidate> candidates)
      : description_(std::move(description)), candidates_(std::move(candidates)) {}
  std::string describe() const override { return description_; }
  Result<std::vector<PackageCandidate>> lookup(const std::string& name) override;
  Result<std::string> fetch(const PackageCandidate& candidate, const std::string& dir) override;

 private:
  std::string description_;
  std::vector<PackageCandidate> candidates_;
};

class AptIndex : public PackageIndex {
 public:
  // The host's apt, as configured.
  static std::unique_ptr<AptIndex> host(std::string architecture);
  // A private apt state under STATE_DIR for ARCHITECTURE: the host's sources
  // with -o APT::Architecture=<arch>, its own lists and archive cache and an
  // empty dpkg status. `apt-get update` runs into it when it has no lists yet.
  static std::unique_ptr<AptIndex> foreign(std::string architecture, std::string state_dir);

  std::string describe() const override;
  Result<std::vector<PackageCandidate>> lookup(const std::string& name) override;
  Result<std::string> fetch(const PackageCandidate& candidate, const std::string& dir) override;
  // The mirror URL (`apt-get --print-uris download`), else the pool path.
  std::string origin(const PackageCandidate& candidate) const override;

 private:
  AptIndex(std::string architecture, std::string state_dir, std::vector<std::string> options)
      : architecture_(std::move(architecture)), state_dir_(std::move(state_dir)), options_(std::move(options)) {}
  Status ensure_lists();
  Status update();

  std::string architecture_;
  std::string state_dir_;             // "" for the host's apt
  std::vector<std::string> options_;  // -o ... for the private state
  bool updated_ = false;              // apt-get update ran in this process
};

// The stanzas of `dpkg-deb -f DEB` as a candidate of SOURCE with ORIGIN.
Result<PackageCandidate> read_deb_control(const std::string& deb, InputSource source, const std::string& origin);

}  // namespace kestrel::driverkit
