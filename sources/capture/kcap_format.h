// kcap_format.h — the byte layout of a .kcap file around its messages.
//
// The messages themselves are declared in kcap.capnp. This header fixes the
// parts Cap'n Proto does not: the preamble, the frame header, and the limits
// a reader applies to untrusted files. It also holds the plain C++ view of
// the header message (KcapHeader) that writers fill and readers return.
//
//   offset 0    preamble (kPreambleSize bytes)
//                 kMagic (8 bytes), u32 format version, u32 reserved = 0
//   offset 16   frame 0: u32 payload_len, u32 crc32(payload), payload
//               frame 1: ...
//
// All integers little-endian. payload_len is a multiple of 8 and at most
// kMaxFrameBytes, so every payload starts 8-aligned in the file (a reader
// could mmap it) and a garbled length can never make a reader allocate more
// than kMaxFrameBytes. The crc32 (zlib's) covers every byte of the payload,
// so a flipped bit anywhere in a header, snapshot or event batch is
// reported as corruption rather than returned as data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kestrel::kcap {

// "\x89KCAP\r\n\x1a": the high byte catches 7-bit transfers, CR LF and ^Z
// catch text-mode line-ending conversion (the PNG trick).
inline constexpr uint8_t kMagic[8] = {0x89, 'K', 'C', 'A', 'P', '\r', '\n', 0x1a};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kPreambleSize = 16;
inline constexpr size_t kFrameHeaderSize = 8;

// Largest payload of one frame, enforced by writer and reader alike. Event
// batches are far smaller (KcapWriterOptions); the cap bounds what a garbled
// or hostile file can make a reader allocate.
inline constexpr size_t kMaxFrameBytes = 64u << 20;

// Cap'n Proto reader limits for one frame. The traversal limit is a
// multiple of the frame's own size (a message can legitimately be walked
// once; pointer aliasing tricks would need more); nesting in our schema is
// at most 5 deep (Frame > SnapshotChunk > ThreadInfo > FdInfo > Data).
inline constexpr uint64_t kTraversalWordsPerFrameWord = 4;
inline constexpr uint64_t kMinTraversalWords = 1024;
inline constexpr int kNestingLimit = 16;

// Where a Kestrel runs (kcap.capnp's Environment; detect_environment() in
// machine_environment.h fills it).
struct MachineEnvironment {
  std::string kind;             // "bare-metal", "vm", "gvisor", "unknown"
  std::string hypervisor;       // "kvm", "qemu", "firecracker", "xen", "hyper-v", ...; "" on bare metal
  std::string cpuid_signature;  // CPUID 0x40000000 vendor id ("KVMKVMKVM"), "" if none
  std::string dmi_sys_vendor;
  std::string dmi_product_name;
  std::string dmi_product_uuid;
  std::string cloud;            // "aws", "gcp", "azure", ...; "" if none recognised
  std::string boot_id;
  bool operator==(const MachineEnvironment&) const = default;
};

// The machine the capture was taken on.
struct MachineInfo {
  std::string hostname;
  std::string kernel_release;  // uname -r
  std::string kernel_version;  // uname -v
  std::string arch;            // uname -m
  uint64_t boot_time_ns = 0;   // ns since the Unix epoch
  uint32_t cpu_count = 0;
  MachineEnvironment environment;
};

struct KcapHeader {
  uint32_t format_version = kFormatVersion;  // set by the writer; checked by the reader
  std::string producer;                      // "kestrel 0.1.0"
  uint64_t created_ns = 0;                   // ns since the Unix epoch
  MachineInfo machine;
};

// Describes this machine (uname, online CPUs, boot time from /proc/stat,
// and its environment: detect_environment(), machine_environment.h).
// Fields that cannot be read stay empty/zero; never fails.
MachineInfo local_machine_info();

}  // namespace kestrel::kcap
