#include "driverkit/unpack.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

Status unpack_deb(const std::string& deb, const std::string& tree) {
  std::error_code ec;
  fs::create_directories(tree, ec);
  auto run = run_process({"dpkg-deb", "-x", deb, tree});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0)
    return Status(StatusCode::kCorrupt, "dpkg-deb -x " + deb + " failed:\n" + last_lines(run->output, 10));
  return ok_status();
}

Result<std::string> relocate_headers(const std::string& tree, const std::string& release) {
  std::string kdir = tree + "/usr/src/linux-headers-" + release;
  std::string makefile = kdir + "/Makefile";
  std::ifstream in(makefile);
  if (!in)
    return Status(StatusCode::kNotFound, "the unpacked headers have no " + makefile +
                                             " (is linux-headers-" + release + " the flavour package?)");
  std::stringstream out;
  std::string line;
  bool changed = false;
  while (std::getline(in, line)) {
    if (line.rfind("include /usr/src/", 0) == 0) {
      line = "include " + tree + line.substr(8);
      changed = true;
    }
    out << line << "\n";
  }
  in.close();
  if (changed) {
    std::ofstream w(makefile, std::ios::trunc);
    w << out.str();
    if (!w) return Status(StatusCode::kUnavailable, "cannot rewrite " + makefile);
  }
  return kdir;
}

}  // namespace kestrel::driverkit
