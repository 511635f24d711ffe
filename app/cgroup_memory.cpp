#include "app/cgroup_memory.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace kestrel {
namespace {

bool readable(const std::string& path) { return !path.empty() && access(path.c_str(), R_OK) == 0; }

}  // namespace

std::string cgroup_memory_file(const std::string& sys_fs_cgroup, const std::string& proc_self_cgroup) {
  if (const char* env = std::getenv("FALCO_CGROUP_MEM_PATH"); env && readable(env)) return env;
  std::ifstream in(proc_self_cgroup);
  std::string v1, v2;
  // Lines are "id:controllers:path"; v2's is "0::path".
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (path == "/") path.clear();
    if (controllers.empty() && line.compare(0, first, "0") == 0) v2 = sys_fs_cgroup + path + "/memory.current";
    for (size_t at = 0; at <= controllers.size();) {
      size_t end = controllers.find(',', at);
      if (end == std::string::npos) end = controllers.size();
      if (controllers.compare(at, end - at, "memory") == 0)
        v1 = sys_fs_cgroup + "/memory" + path + "/memory.usage_in_bytes";
      at = end + 1;
    }
  }
  if (readable(v1)) return v1;  // a hybrid host accounts memory in v1
  if (readable(v2)) return v2;
  return "";
}

uint64_t read_cgroup_memory() {
  const std::string path = cgroup_memory_file();
  if (path.empty()) return 0;
  uint64_t bytes = 0;
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return 0;
  if (std::fscanf(f, "%" SCNu64, &bytes) != 1) bytes = 0;
  std::fclose(f);
  return bytes;
}

}  // namespace kestrel
