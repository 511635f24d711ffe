#include "app/host_usage.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace kestrel {
namespace {

// One decimal, as libs rounds its percentages.
double one_decimal(double v) { return std::round(v * 10.0) / 10.0; }

void read_stat(const std::string& path, HostUsage& h) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
    if (std::strncmp(line, "cpu ", 4) == 0 &&
        std::sscanf(line + 4, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                    &user, &nice, &system, &idle, &iowait, &irq, &softirq) == 7) {
      const uint64_t sum = user + nice + system + idle + iowait + irq + softirq;
      if (sum > 0) h.cpu_usage_perc = one_decimal(100.0 - static_cast<double>(idle) * 100.0 / static_cast<double>(sum));
    } else if (std::strncmp(line, "procs_running ", 14) == 0) {
      std::sscanf(line + 14, "%" SCNu64, &h.procs_running);
    }
  }
  std::fclose(f);
}

void read_meminfo(const std::string& path, HostUsage& h) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return;
  uint64_t total = 0, free = 0, buffers = 0, cached = 0, v = 0;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "MemTotal: %" SCNu64, &v) == 1) total = v;
    else if (std::sscanf(line, "MemFree: %" SCNu64, &v) == 1) free = v;
    else if (std::sscanf(line, "Buffers: %" SCNu64, &v) == 1) buffers = v;
    else if (std::sscanf(line, "Cached: %" SCNu64, &v) == 1) cached = v;
  }
  std::fclose(f);
  const uint64_t unused = free + buffers + cached;
  h.memory_used_kb = total > unused ? total - unused : 0;
}

}  // namespace

HostUsage read_host_usage(const std::string& proc_root) {
  HostUsage h;
  read_stat(proc_root + "/stat", h);
  read_meminfo(proc_root + "/meminfo", h);
  if (FILE* f = std::fopen((proc_root + "/sys/fs/file-nr").c_str(), "r")) {
    if (std::fscanf(f, "%" SCNu64, &h.open_fds) != 1) h.open_fds = 0;
    std::fclose(f);
  }
  return h;
}

}  // namespace kestrel
