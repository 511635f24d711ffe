#include "driverkit/compiler.h"

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {
namespace {

const char* gnu_triplet(const std::string& architecture) {
  if (architecture == "arm64") return "aarch64-linux-gnu";
  if (architecture == "amd64") return "x86_64-linux-gnu";
  return "";
}

}  // namespace

std::string compiler_name(int major, const std::string& architecture, const std::string& host_architecture) {
  std::string base = "gcc-" + std::to_string(major);
  if (architecture == host_architecture) return base;
  return std::string(gnu_triplet(architecture)) + "-" + base;
}

std::string compiler_package(int major, const std::string& architecture, const std::string& host_architecture) {
  std::string base = "gcc-" + std::to_string(major);
  if (architecture == host_architecture) return base;
  return base + "-" + gnu_triplet(architecture);
}

Result<Compiler> choose_compiler(const KernelFacts& facts, const std::string& architecture,
                                 const std::string& host_architecture, const std::string& gcc_version) {
  int major = facts.gcc_major;
  if (!gcc_version.empty()) {
    major = std::atoi(gcc_version.c_str());
    if (major <= 0)
      return Status(StatusCode::kInvalidArgument, "gccversion \"" + gcc_version + "\" is not a GCC version (e.g. 12)");
  } else if (facts.built_with_clang) {
    return Status(StatusCode::kUnimplemented, "kernel " + facts.release + " was built with clang (" +
                                                  facts.cc_version_text + "); only GCC-built kernels are supported");
  } else if (major == 0) {
    return Status(StatusCode::kNotFound, "kernel " + facts.release +
                                             ": .config has no CONFIG_GCC_VERSION; say which GCC with --gccversion");
  }
  if (architecture != host_architecture && *gnu_triplet(architecture) == '\0')
    return Status(StatusCode::kUnimplemented, "no cross compiler known for " + architecture);
  std::string name = compiler_name(major, architecture, host_architecture);
  std::string path = find_program(name);
  if (path.empty()) {
    std::string built = facts.cc_version_text.empty() ? "GCC " + std::to_string(facts.gcc_major)
                                                      : facts.cc_version_text;
    return Status(StatusCode::kUnavailable, "compiler missing: " + name + " (kernel " + facts.release +
                                                " was built with " + built + "); apt-get install " +
                                                compiler_package(major, architecture, host_architecture));
  }
  auto run = run_process({path, "--version"});
  if (!run.ok()) return run.status();
  Compiler c;
  c.path = path;
  c.version = last_lines(run->output.substr(0, run->output.find('\n')), 1);
  if (architecture != host_architecture) c.cross_compile = std::string(gnu_triplet(architecture)) + "-";
  return c;
}

}  // namespace kestrel::driverkit
