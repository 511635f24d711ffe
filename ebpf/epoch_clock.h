// epoch_clock.h — converting the probe's boot-time clock to wall-clock time.
//
// BPF stamps records with bpf_ktime_get_boot_ns() (monotonic, counts
// suspend) plus an offset the loader writes into the probe's .bss, so
// records leave the kernel already in ns since the Unix epoch, as the ABI
// requires. The loader re-measures the offset now and then so wall-clock
// adjustments (NTP) are followed.
#pragma once

#include <cstdint>

namespace kestrel::ebpf {

// CLOCK_REALTIME - CLOCK_BOOTTIME in ns, measured as the tightest of a few
// back-to-back reads (error well under a microsecond).
uint64_t boot_to_epoch_offset_ns();

}  // namespace kestrel::ebpf
