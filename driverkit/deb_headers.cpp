#include "driverkit/deb_headers.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "driverkit/fetch.h"
#include "driverkit/header_resolver.h"
#include "driverkit/unpack.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

namespace {

// flock(2) on a file, held for the object's lifetime.
class EntryLock {
 public:
  explicit EntryLock(const std::string& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~EntryLock() {
    if (fd_ >= 0) close(fd_);
  }
  EntryLock(const EntryLock&) = delete;
  EntryLock& operator=(const EntryLock&) = delete;

 private:
  int fd_;
};

Result<PreparedKernel> read_complete_entry(const std::string& entry, const std::string& release) {
  std::ifstream in(entry + "/inputs.json");
  if (!in) return Status(StatusCode::kNotFound, "no cache entry");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::kCorrupt, entry + "/inputs.json: " + e.what());
  }
  PreparedKernel k;
  k.kernel_dir = entry + "/tree/usr/src/linux-headers-" + release;
  k.kernelrelease = release;
  k.warm = true;
  for (const auto& i : j.at("inputs"))
    k.inputs.push_back({i.at("package"), i.at("version"), i.at("sha256"), i.at("source"), i.at("origin"),
                        i.at("architecture")});
  for (const auto& h : j.at("compiler_hints")) k.compiler_hints.push_back(h);
  return k;
}

}  // namespace

Result<PreparedKernel> prepare_deb_headers(const DebHeadersRequest& r, const BuildConfig& config,
                                           const TargetEnv& env) {
  std::string entry = env.cache_dir + "/" + r.target + "/" + r.kernelrelease + "-" + r.architecture;
  // Headers from the operator's URLs or .deb dir are kept apart from apt's,
  // keyed by what was given.
  bool explicit_inputs = !config.kernelurls.empty() || !config.deb_dir.empty();
  if (explicit_inputs) {
    std::string key = config.deb_dir;
    for (const auto& url : config.kernelurls) key += "\n" + url;
    entry += "-" + sha256_hex(key).substr(0, 12);
  }
  std::error_code ec;
  fs::create_directories(entry, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot create " + entry + ": " + ec.message());
  // One process fills an entry at a time; the others wait and find it complete.
  EntryLock lock(entry + "/.lock");
  auto warm = read_complete_entry(entry, r.kernelrelease);
  if (warm.ok()) {
    env.progress->step("headers for " + r.kernelrelease + " from the cache " + entry);
    return warm;
  }

  // Index order = preference: the operator's URLs, then their .deb dir, then apt.
  std::vector<std::unique_ptr<PackageIndex>> owned;
  std::vector<PackageIndex*> target_indexes, host_indexes;
  auto add_explicit = [&](std::unique_ptr<PackageIndex> index) {
    target_indexes.push_back(index.get());
    host_indexes.push_back(index.get());
    owned.push_back(std::move(index));
  };
  if (!config.kernelurls.empty()) {
    auto urls = index_kernel_urls(config.kernelurls, env.cache_dir + "/downloads", *env.progress);
    if (!urls.ok()) return urls.status();
    add_explicit(std::move(*urls));
  }
  if (!config.deb_dir.empty()) {
    auto dir = index_deb_dir(config.deb_dir);
    if (!dir.ok()) return dir.status();
    add_explicit(std::move(*dir));
  }
  auto host_apt = AptIndex::host(env.host_architecture);
  host_indexes.push_back(host_apt.get());
  std::unique_ptr<AptIndex> foreign_apt;
  if (r.architecture == env.host_architecture) {
    target_indexes.push_back(host_apt.get());
  } else {
    foreign_apt = AptIndex::foreign(r.architecture, env.cache_dir + "/apt-" + r.architecture);
    target_indexes.push_back(foreign_apt.get());
  }

  env.progress->step("resolving " + r.root_package);
  auto resolved = resolve_headers({r.root_package, r.architecture, env.host_architecture}, target_indexes,
                                  host_indexes);
  if (!resolved.ok()) {
    if (resolved.status().code() != StatusCode::kNotFound) return resolved.status();
    return Status(StatusCode::kNotFound, resolved.status().message() +
                                             "\n(a kernel newer than the host's apt index needs `apt-get update` first)");
  }

  // Unpack into a fresh dir and move it into place only when complete, so
  // an interrupted build never leaves a half tree that looks usable.
  std::string tmp_tree = entry + "/.tree-" + std::to_string(getpid());
  fs::remove_all(tmp_tree, ec);
  PreparedKernel k;
  k.kernelrelease = r.kernelrelease;
  k.compiler_hints = resolved->compiler_hints;
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& p : resolved->packages) {
    const auto& c = p.candidate;
    std::string label = c.control.package() + " " + c.control.version() + " (" + c.control.architecture() + ")";
    env.progress->step(std::string(c.source == InputSource::kApt ? "downloading " : "taking ") + label + " from " +
                       p.index->describe());
    auto deb = p.index->fetch(c, entry + "/debs");
    if (!deb.ok()) return deb.status();
    auto sum = sha256_file(*deb);
    if (!sum.ok()) return sum.status();
    // apt already checked the index's SHA256; check it for every source that has one.
    std::string indexed = c.control.get("SHA256");
    if (!indexed.empty() && indexed != *sum)
      return Status(StatusCode::kCorrupt, *deb + ": sha256 " + *sum + " differs from the index's " + indexed);
    env.progress->step("unpacking " + label);
    if (Status s = unpack_deb(*deb, tmp_tree); !s.ok()) return s;
    BuildInput in{c.control.package(), c.control.version(), *sum, input_source_name(c.source), p.index->origin(c),
                  c.control.architecture()};
    inputs.push_back({{"package", in.package}, {"version", in.version}, {"sha256", in.sha256},
                      {"source", in.source}, {"origin", in.origin}, {"architecture", in.architecture}});
    k.inputs.push_back(std::move(in));
  }
  fs::remove_all(entry + "/tree", ec);
  fs::rename(tmp_tree, entry + "/tree", ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot move " + tmp_tree + " into place: " + ec.message());
  auto kdir = relocate_headers(entry + "/tree", r.kernelrelease);
  if (!kdir.ok()) return kdir.status();
  k.kernel_dir = *kdir;
  // Written last: its presence marks the entry complete.
  {
    std::ofstream out(entry + "/inputs.json.tmp", std::ios::trunc);
    out << nlohmann::json{{"inputs", inputs}, {"compiler_hints", k.compiler_hints}}.dump(2) << "\n";
  }
  fs::rename(entry + "/inputs.json.tmp", entry + "/inputs.json", ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot write " + entry + "/inputs.json: " + ec.message());
  return k;
}

}  // namespace kestrel::driverkit
