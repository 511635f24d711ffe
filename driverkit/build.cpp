#include "driverkit/build.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>

#include "driverkit/compiler.h"
#include "driverkit/kbuild.h"
#include "driverkit/kernel_config.h"
#include "driverkit/signing.h"
#include "driverkit/subprocess.h"
#include "driverkit/target.h"

#ifndef KESTREL_SOURCE_ROOT
#error "KESTREL_SOURCE_ROOT must name the Kestrel tree (set by driverkit/CMakeLists.txt)"
#endif

namespace kestrel::driverkit {

namespace fs = std::filesystem;

std::string host_architecture() {
  auto run = run_process({"dpkg", "--print-architecture"}, {.cwd = "", .merge_stderr = false});
  if (run.ok() && run->exit_code == 0) {
    std::string a = run->output.substr(0, run->output.find('\n'));
    if (!a.empty()) return a;
  }
  return "amd64";
}

Status validate_config(const BuildConfig& c) {
  if (c.kernelversion.empty()) return Status(StatusCode::kInvalidArgument, "kernelversion must not be empty");
  if (!c.architecture.empty() && !known_architecture(c.architecture))
    return Status(StatusCode::kInvalidArgument, "unknown architecture \"" + c.architecture + "\"; known: amd64, arm64");
  if (c.moduledevicename != "kestrel")
    return Status(StatusCode::kUnimplemented,
                  "moduledevicename \"" + c.moduledevicename +
                      "\": the module's device is /dev/kestrel (kmod/module/kk_main.c) and the collector opens that name");
  if (!c.kernelconfigdata.empty())
    return Status(StatusCode::kUnimplemented,
                  "kernelconfigdata: the debian and vanilla targets take the kernel's config from its headers; "
                  "a config given separately is not supported");
  if (c.signing_key.empty() != c.signing_cert.empty())
    return Status(StatusCode::kInvalidArgument, "signing needs both --signing-key and --signing-cert");
  for (const auto& url : c.kernelurls)
    if (url.empty()) return Status(StatusCode::kInvalidArgument, "kernelurls: an empty URL");
  return ok_status();
}

std::string artifact_path_for(const BuildConfig& config, const std::string& kernelrelease) {
  std::string name = artifact_name(config.target, kernelrelease, config.kernelversion);
  if (config.output_module.empty()) return (fs::current_path() / name).string();
  std::error_code ec;
  if (fs::is_directory(config.output_module, ec) || config.output_module.back() == '/')
    return (fs::path(config.output_module) / name).string();
  return config.output_module;
}

Result<BuildOutcome> run_build(const BuildConfig& config, Progress& progress) {
  if (Status s = validate_config(config); !s.ok()) return s;
  auto target = make_target(config.target);
  if (!target.ok()) return target.status();
  std::string host = host_architecture();
  auto arch = (*target)->architecture(config, host);
  if (!arch.ok()) return arch.status();

  std::error_code ec;
  std::string cache = fs::absolute(config.cache_dir.empty() ? default_cache_dir() : config.cache_dir, ec).string();
  fs::create_directories(cache, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot create the cache " + cache + ": " + ec.message());

  TargetEnv env{cache, host, &progress};
  auto kernel = (*target)->prepare(config, *arch, env);
  if (!kernel.ok()) return kernel.status();
  auto facts = read_kernel_facts(kernel->kernel_dir);
  if (!facts.ok()) return facts.status();
  if (facts->release != kernel->kernelrelease)
    return Status(StatusCode::kCorrupt, "the headers in " + kernel->kernel_dir + " are for " + facts->release +
                                            ", not " + kernel->kernelrelease);
  auto compiler = choose_compiler(*facts, *arch, host, config.gccversion);
  if (!compiler.ok()) return compiler.status();

  std::string source_root = config.source_root.empty() ? KESTREL_SOURCE_ROOT : config.source_root;
  source_root = fs::absolute(source_root, ec).string();
  // Per build (process and, for the matrix's -j, thread): parallel builds
  // of one kernel must not share object files.
  static std::atomic<unsigned> build_serial{0};
  std::string work = cache + "/" + config.target + "/" + kernel->kernelrelease + "-" + *arch + "/build-" +
                     std::to_string(getpid()) + "-" + std::to_string(build_serial++);
  progress.step("compiling kestrel.ko for " + kernel->kernelrelease + " (" + *arch + ") with " +
                fs::path(compiler->path).filename().string());
  auto ko = build_module({kernel->kernel_dir, source_root, work, *arch, *compiler, std::max(1, config.make_jobs)});
  if (!ko.ok()) return ko.status();  // the work dir stays: its build.log is named in the error
  struct RemoveWork {
    std::string dir;
    ~RemoveWork() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } remove_work{work};

  auto vermagic = modinfo_field(*ko, "vermagic");
  if (!vermagic.ok()) return vermagic.status();
  std::string got = vermagic->empty() ? "" : trim_vermagic(vermagic->front());
  std::string want = expected_vermagic(*facts, *arch);
  if (got != want)
    return Status(StatusCode::kInternal, "vermagic mismatch: the module says \"" + got + "\", kernel " +
                                             facts->release + " expects \"" + want + "\"");

  std::string out = artifact_path_for(config, kernel->kernelrelease);
  if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path(), ec);
  fs::copy_file(*ko, out, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot write " + out + ": " + ec.message());

  Manifest m;
  if (!config.signing_key.empty()) {
    const std::string hash = signature_hash(facts->config);
    progress.step("signing " + fs::path(out).filename().string() + " (" + hash + ")");
    auto sig = sign_module(kernel->kernel_dir, hash, config.signing_key, config.signing_cert, out);
    if (!sig.ok()) {
      fs::remove(out, ec);
      return sig.status();
    }
    m.signature = *sig;
  }
  auto events = modinfo_field(out, "kestrel_event");
  if (!events.ok()) return events.status();
  for (auto e : *events) {
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return std::tolower(ch); });
    m.event_types.push_back(e);
  }
  std::sort(m.event_types.begin(), m.event_types.end());
  m.event_types.erase(std::unique(m.event_types.begin(), m.event_types.end()), m.event_types.end());
  auto sum = sha256_file(out);
  if (!sum.ok()) return sum.status();
  m.artifact = fs::path(out).filename().string();
  m.sha256 = *sum;
  m.size = fs::file_size(out, ec);
  m.target = config.target;
  m.kernelrelease = kernel->kernelrelease;
  m.kernelversion = config.kernelversion;
  m.architecture = *arch;
  m.vermagic = got;
  m.compiler_path = compiler->path;
  m.compiler_version = compiler->version;
  m.inputs = kernel->inputs;
  m.warm_cache = kernel->warm;
  m.build_seconds = progress.seconds();
  std::string manifest = manifest_path_for(out);
  if (Status s = write_manifest(m, manifest); !s.ok()) return s;
  char summary[96];
  std::snprintf(summary, sizeof summary, " (%.1f KiB, %.1f s, %s cache)", m.size / 1024.0, m.build_seconds,
                m.warm_cache ? "warm" : "cold");
  progress.note("done: " + out + summary);
  return BuildOutcome{out, manifest, std::move(m)};
}

}  // namespace kestrel::driverkit
