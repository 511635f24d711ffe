#include "driverkit/package_index.h"

#include <filesystem>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

const char* input_source_name(InputSource source) {
  switch (source) {
    case InputSource::kApt: return "apt";
    case InputSource::kUrl: return "url";
    case InputSource::kFile: return "file";
  }
  return "?";
}

Result<std::vector<PackageCandidate>> StanzaIndex::lookup(const std::string& name) {
  std::vector<PackageCandidate> out;
  for (const auto& c : candidates_)
    if (c.control.package() == name) out.push_back(c);
  return out;
}

Result<std::string> StanzaIndex::fetch(const PackageCandidate& candidate, const std::string&) {
  if (candidate.deb_path.empty())
    return Status(StatusCode::kNotFound, candidate.control.package() + " " + candidate.control.version() +
                                             " from " + description_ + " has no .deb file");
  return candidate.deb_path;
}

Result<PackageCandidate> read_deb_control(const std::string& deb, InputSource source, const std::string& origin) {
  auto run = run_process({"dpkg-deb", "-f", deb}, {.cwd = "", .merge_stderr = false});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0)
    return Status(StatusCode::kCorrupt, "dpkg-deb -f " + deb + " failed (exit " + std::to_string(run->exit_code) +
                                            "): not a Debian package?");
  auto stanzas = parse_control(run->output, deb);
  if (!stanzas.ok()) return stanzas.status();
  if (stanzas->size() != 1 || stanzas->front().package().empty())
    return Status(StatusCode::kCorrupt, deb + ": control data is not one stanza with a Package field");
  return PackageCandidate{stanzas->front(), source, origin, deb};
}

std::unique_ptr<AptIndex> AptIndex::host(std::string architecture) {
  return std::unique_ptr<AptIndex>(new AptIndex(std::move(architecture), "", {}));
}

std::unique_ptr<AptIndex> AptIndex::foreign(std::string architecture, std::string state_dir) {
  std::vector<std::string> options = {
      "-o", "APT::Architecture=" + architecture,
      "-o", "APT::Architectures::=" + architecture,
      "-o", "Dir::State::Lists=" + state_dir + "/lists",
      "-o", "Dir::Cache=" + state_dir + "/cache",
      "-o", "Dir::State::status=/dev/null",
  };
  return std::unique_ptr<AptIndex>(new AptIndex(std::move(architecture), std::move(state_dir), std::move(options)));
}

std::string AptIndex::describe() const {
  if (state_dir_.empty()) return "apt (" + architecture_ + ")";
  return "apt (" + architecture_ + ", private state " + state_dir_ + ")";
}

Status AptIndex::update() {
  std::vector<std::string> argv = {"apt-get", "-q"};
  argv.insert(argv.end(), options_.begin(), options_.end());
  argv.push_back("update");
  auto run = run_process(argv);
  if (!run.ok()) return run.status();
  updated_ = true;
  if (run->exit_code != 0)
    return Status(StatusCode::kUnavailable, command_line(argv) + " failed:\n" + last_lines(run->output, 10));
  return ok_status();
}

Status AptIndex::ensure_lists() {
  if (state_dir_.empty() || updated_) return ok_status();
  std::error_code ec;
  fs::create_directories(state_dir_ + "/lists/partial", ec);
  fs::create_directories(state_dir_ + "/cache/archives/partial", ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot create " + state_dir_ + ": " + ec.message());
  for (const auto& entry : fs::directory_iterator(state_dir_ + "/lists", ec))
    if (entry.path().filename().string().find("_Packages") != std::string::npos) return ok_status();
  return update();
}

Result<std::vector<PackageCandidate>> AptIndex::lookup(const std::string& name) {
  if (Status s = ensure_lists(); !s.ok()) return s;
  std::vector<std::string> argv = {"apt-cache"};
  argv.insert(argv.end(), options_.begin(), options_.end());
  argv.insert(argv.end(), {"show", name});
  auto run = run_process(argv, {.cwd = "", .merge_stderr = false});
  if (!run.ok()) return run.status();
  std::vector<PackageCandidate> out;
  if (run->exit_code != 0 && !state_dir_.empty() && !updated_) {
    // Our private lists may predate the ABI asked for: refresh them once.
    if (Status s = update(); !s.ok()) return s;
    run = run_process(argv, {.cwd = "", .merge_stderr = false});
    if (!run.ok()) return run.status();
  }
  if (run->exit_code != 0) return out;  // "E: No packages found" (exit 100)
  auto stanzas = parse_control(run->output, command_line(argv));
  if (!stanzas.ok()) return stanzas.status();
  for (auto& s : *stanzas) {
    // A virtual package's stanza names no Filename: nothing to fetch.
    if (s.get("Filename").empty()) continue;
    std::string filename = s.get("Filename");
    out.push_back(PackageCandidate{std::move(s), InputSource::kApt, filename, ""});
  }
  return out;
}

Result<std::string> AptIndex::fetch(const PackageCandidate& candidate, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string want = dir + "/" + fs::path(candidate.origin).filename().string();
  if (fs::exists(want)) return want;
  std::vector<std::string> argv = {"apt-get", "-q", "-o", "APT::Sandbox::User=root"};
  argv.insert(argv.end(), options_.begin(), options_.end());
  argv.insert(argv.end(), {"download", candidate.control.package() + "=" + candidate.control.version()});
  auto run = run_process(argv, {.cwd = dir});
  if (run.ok() && run->exit_code != 0 && state_dir_.empty() && !updated_) {
    // A stale host index names a version the mirror has dropped: refresh once.
    if (Status s = update(); s.ok()) run = run_process(argv, {.cwd = dir});
  }
  if (!run.ok()) return run.status();
  if (run->exit_code != 0)
    return Status(StatusCode::kUnavailable, command_line(argv) + " failed:\n" + last_lines(run->output, 10));
  if (!fs::exists(want))
    return Status(StatusCode::kInternal, command_line(argv) + " succeeded but " + want + " is missing");
  return want;
}

std::string AptIndex::origin(const PackageCandidate& candidate) const {
  std::vector<std::string> argv = {"apt-get", "-q", "--print-uris"};
  argv.insert(argv.end(), options_.begin(), options_.end());
  argv.insert(argv.end(), {"download", candidate.control.package() + "=" + candidate.control.version()});
  auto run = run_process(argv, {.cwd = "", .merge_stderr = false});
  // "'http://deb.debian.org/debian-security/pool/...deb' name.deb size SHA256:..."
  if (run.ok() && run->exit_code == 0 && !run->output.empty() && run->output.front() == '\'') {
    size_t end = run->output.find('\'', 1);
    if (end != std::string::npos) return run->output.substr(1, end - 1);
  }
  return candidate.origin;
}

}  // namespace kestrel::driverkit
