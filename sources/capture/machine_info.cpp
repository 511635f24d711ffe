#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sources/capture/kcap_format.h"
#include "sources/capture/machine_environment.h"

namespace kestrel::kcap {

namespace {

uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

MachineInfo local_machine_info() {
  MachineInfo m;
  utsname u{};
  if (uname(&u) == 0) {
    m.hostname = u.nodename;
    m.kernel_release = u.release;
    m.kernel_version = u.version;
    m.arch = u.machine;
  }
  // Wall clock minus time since boot (suspend included) gives the boot time
  // in ns, finer than /proc/stat's whole-second btime.
  uint64_t now = clock_ns(CLOCK_REALTIME);
  uint64_t since_boot = clock_ns(CLOCK_BOOTTIME);
  if (now > since_boot) m.boot_time_ns = now - since_boot;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 0) m.cpu_count = static_cast<uint32_t>(cpus);
  m.environment = detect_environment();
  return m;
}

}  // namespace kestrel::kcap
