#include "driverkit/kbuild.h"

#include <filesystem>
#include <fstream>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

Result<std::string> build_module(const KbuildRequest& r) {
  std::error_code ec;
  std::string module_dir = r.source_root + "/kmod/module";
  if (!fs::exists(module_dir + "/Makefile", ec))
    return Status(StatusCode::kNotFound, module_dir + "/Makefile is missing: --source-root must be a Kestrel tree");
  std::string src = r.work_dir + "/src";
  fs::remove_all(r.work_dir, ec);
  fs::create_directories(src, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot create " + src + ": " + ec.message());
  for (const auto& entry : fs::directory_iterator(module_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    fs::copy_file(entry.path(), src + "/" + entry.path().filename().string(), ec);
    if (ec) return Status(StatusCode::kUnavailable, "cannot copy " + entry.path().string() + ": " + ec.message());
  }
  // pahole's -j (kbuild adds it from pahole 1.22 on) encodes the module's
  // BTF on several threads and orders its types differently from run to
  // run: two builds of one 6.12 module differed in .BTF alone (the matrix
  // test's shards). This pahole drops -j; a kernel that already asks for
  // reproducible BTF (pahole 1.27's reproducible_build) loses nothing.
  const std::string pahole = r.work_dir + "/pahole";
  std::ofstream(pahole) << "#!/bin/sh\n"
                           "# kestrel-driverkit: pahole without -j (reproducible module BTF)\n"
                           "for a do\n"
                           "  shift\n"
                           "  case $a in -j|-j[0-9]*) ;; *) set -- \"$@\" \"$a\" ;; esac\n"
                           "done\n"
                           "exec pahole \"$@\"\n";
  fs::permissions(pahole, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot write " + pahole + ": " + ec.message());
  std::vector<std::string> argv = {"make", "-j" + std::to_string(r.jobs), "-C", r.kernel_dir, "M=" + src,
                                   "KESTREL_ROOT=" + r.source_root, "CC=" + r.compiler.path, "PAHOLE=" + pahole};
  // The debug info would name this build's work dir (unique per build), the
  // cache and the source tree; mapped to fixed names, two builds of one
  // kernel from the same inputs give the same bytes (the matrix compares
  // sha256 across shards). GCC applies the last map that matches, and the
  // cache may lie inside the source tree: the most specific comes last.
  // Debian's flavour headers include their -common sibling: the headers'
  // parent dir becomes /usr/src, where the packages would put them.
  argv.push_back("KCFLAGS=-ffile-prefix-map=" + r.source_root + "=/kestrel/source -ffile-prefix-map=" +
                 fs::path(r.kernel_dir).lexically_normal().parent_path().string() +
                 "=/usr/src -ffile-prefix-map=" + src + "=/kestrel/module");
  if (r.architecture == "arm64") argv.push_back("ARCH=arm64");
  if (!r.compiler.cross_compile.empty()) argv.push_back("CROSS_COMPILE=" + r.compiler.cross_compile);
  argv.push_back("modules");
  auto run = run_process(argv);
  if (!run.ok()) return run.status();
  std::string log = r.work_dir + "/build.log";
  std::ofstream(log) << "$ " << command_line(argv) << "\n" << run->output;
  std::string ko = src + "/kestrel.ko";
  if (run->exit_code != 0 || !fs::exists(ko, ec))
    return Status(StatusCode::kInternal, "build failed (exit " + std::to_string(run->exit_code) + "): " +
                                             command_line(argv) + "\nlast compiler lines (all in " + log +
                                             "):\n" + last_lines(run->output, 20));
  return ko;
}

}  // namespace kestrel::driverkit
