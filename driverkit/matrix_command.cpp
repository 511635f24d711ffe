#include "driverkit/matrix_command.h"

#include <sys/utsname.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "driverkit/driver_index.h"
#include "driverkit/verify_command.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

std::string running_kernel_release() {
  struct utsname u {};
  if (uname(&u) != 0) return "";
  return u.release;
}

void add_matrix_command(CLI::App& app, MatrixCommand& cmd) {
  MatrixOptions& o = cmd.options;
  o.verify_defaults = default_verify_options();
  CLI::App* m = app.add_subcommand(
      "matrix",
      "Build (and with --verify prove) kestrel.ko for every kernel of a kernel-crawler list; write DIR/index.json "
      "and a summary. Exit 0 all ok, 1 some failed, 2 usage error.");
  m->add_option("--input", o.input, "kernel-crawler JSON (kestrel-crawler crawl --output list.json)")->required();
  m->add_option("--output-dir", o.output_dir, "artifacts, manifests, logs/ and the index go here")->required();
  m->add_option("--filter", o.filter, "only kernelreleases matching this regex (ECMAScript, searched)");
  m->add_option("-j,--jobs", o.jobs, "kernels built at once")->check(CLI::Range(1, 64))->capture_default_str();
  m->add_flag("--verify", o.verify, "prove each artifact in a VM (kestrel-driverkit verify)");
  m->add_option("--shard", o.shard, "build only shard i of N (0-based, e.g. 0/4); writes index.shard-i-of-N.json");
  m->add_option("--cache", o.cache_dir, "build cache (default $XDG_CACHE_HOME/kestrel-driverkit)");
  m->add_option("--vm-cache", o.verify_defaults.cache_dir, "where verify keeps fetched kernels")->capture_default_str();
  m->add_option("--verify-timeout", o.verify_defaults.timeout_s, "seconds before a VM is killed")
      ->check(CLI::Range(30, 7200))
      ->capture_default_str();
  m->add_flag("--rebuild", o.rebuild, "build every kernel again, even when a valid artifact is there");
  m->add_option("--source-root", o.source_root, "Kestrel source tree holding kmod/module (default: built-in)");
  cmd.command = m;
}

void add_index_command(CLI::App& app, IndexCommand& cmd) {
  CLI::App* i = app.add_subcommand("index", "the driver index: merge shard indexes, look up a kernel");
  i->require_subcommand(1);
  CLI::App* merge = i->add_subcommand("merge", "join shard indexes (matrix --shard) into one; exit 1 on a conflict");
  merge->add_option("--output", cmd.output, "the merged index, e.g. DIR/index.json")->required();
  merge->add_option("shards", cmd.inputs, "the shard indexes (DIR/index.shard-*-of-N.json)")->required();
  CLI::App* lookup = i->add_subcommand(
      "lookup", "print the artifact for a kernel (exit 0), or why there is none and the remedy (exit 1)");
  lookup->add_option("--index", cmd.index, "the driver index (DIR/index.json)")->required();
  lookup->add_option("--kernelrelease", cmd.kernelrelease, "default: uname -r");
  lookup->add_option("--kernelversion", cmd.kernelversion, "default: any");
  lookup->add_option("--architecture", cmd.architecture, "amd64 | arm64; default: any");
  cmd.command = i;
  cmd.merge = merge;
  cmd.lookup = lookup;
}

namespace {

// Shard files name their place: index.shard-I-of-N.json. When every input
// does, all N must be there (a missing shard would silently drop kernels).
std::string missing_shards(const std::vector<std::string>& inputs) {
  static const std::regex re(R"(index\.shard-(\d+)-of-(\d+)\.json)");
  std::set<unsigned long> have;
  unsigned long n = 0;
  for (const auto& path : inputs) {
    std::smatch m;
    const std::string name = fs::path(path).filename().string();
    if (!std::regex_match(name, m, re)) return "";
    unsigned long count = std::stoul(m[2]);
    if (n != 0 && count != n) return "the inputs are shards of different splits (" + std::to_string(n) + " and " +
                                     std::to_string(count) + ")";
    n = count;
    have.insert(std::stoul(m[1]));
  }
  std::string missing;
  for (unsigned long i = 0; i < n; ++i)
    if (!have.contains(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  return missing.empty() ? "" : "shard(s) " + missing + " of " + std::to_string(n) + " missing";
}

int run_merge(const IndexCommand& cmd, std::ostream& out, std::ostream& err) {
  std::vector<IndexInput> inputs;
  for (const auto& path : cmd.inputs) {
    auto index = read_index(path);
    if (!index.ok()) {
      err << "kestrel-driverkit index merge: " << index.status().to_string() << "\n";
      return 2;
    }
    inputs.push_back({path, std::move(*index)});
  }
  if (std::string missing = missing_shards(cmd.inputs); !missing.empty()) {
    err << "kestrel-driverkit index merge: " << missing
        << "; wait for every shard to finish (or re-run the missing ones) and merge again\n";
    return 1;
  }
  const std::string dir = fs::path(cmd.output).parent_path().string();
  auto merged = merge_indexes(inputs, dir);
  if (!merged.ok()) {
    err << "kestrel-driverkit index merge: " << merged.status().to_string() << "\n";
    return 1;
  }
  size_t ok = 0;
  for (const auto& r : merged->kernels) ok += r.status == IndexStatus::kOk;
  const size_t total = merged->kernels.size();
  if (Status s = write_index(std::move(*merged), cmd.output); !s.ok()) {
    err << "kestrel-driverkit index merge: " << s.to_string() << "\n";
    return 2;
  }
  out << cmd.output << ": " << total << " kernels (" << ok << " ok, " << total - ok << " failed) from "
      << inputs.size() << " indexes\n";
  return 0;
}

int run_lookup(const IndexCommand& cmd, std::ostream& out, std::ostream& err) {
  auto index = read_index(cmd.index);
  if (!index.ok()) {
    err << "kestrel-driverkit index lookup: " << index.status().to_string() << "\n";
    return 2;
  }
  LookupRequest request{cmd.kernelrelease.empty() ? running_kernel_release() : cmd.kernelrelease, cmd.kernelversion,
                        cmd.architecture};
  LookupResult result = lookup_kernel(*index, cmd.index, request);
  if (!result.found) {
    err << "kestrel-driverkit index lookup: " << result.reason << "\n";
    return 1;
  }
  out << result.artifact_path << "\n";
  return 0;
}

}  // namespace

int run_index_command(const IndexCommand& cmd, std::ostream& out, std::ostream& err) {
  if (cmd.run_merge) return run_merge(cmd, out, err);
  return run_lookup(cmd, out, err);
}

}  // namespace kestrel::driverkit
