// scap_format.h — the facts of the .scap capture format (Falco, sysdig,
// Stratoshark) that Kestrel's reader (and later writer) relies on.
//
// Learned from falcosecurity/libs (Apache-2.0), not copied:
//   userspace/libscap/scap_savefile.h      block type ids, section header
//   userspace/libscap/engine/savefile/scap_savefile.c
//                                           the layout of every block body
//   userspace/libscap/scap.h / scap_machine_info.h
//                                           machine info, fd types, user
//                                           block entry types, size limits
//   driver/ppm_events_public.h             the event header, PPM_* flag bits
//
// The file is a sequence of blocks, pcapng-like:
//   u32 block_type, u32 block_total_length (header, body and trailer),
//   body, u32 block_total_length again (the trailer).
// Integers are in the byte order the section header's magic announces;
// every capture seen so far is little-endian and libscap itself reads only
// host order, so a byte-swapped magic is refused with that reason.
#pragma once

#include <cstdint>
#include <string_view>

namespace kestrel::scap {

// Section header block (type spells "\n\r\r\n" on disk).
inline constexpr uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
inline constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
inline constexpr uint32_t kByteOrderMagicSwapped = 0x4D3C2B1A;
// libscap refuses a major version above this one.
inline constexpr uint16_t kMaxMajorVersion = 1;
// SHB body: u32 magic, u16 major, u16 minor, u64 section_length.
inline constexpr uint32_t kSectionHeaderBodySize = 16;

// Block header and trailer sizes.
inline constexpr uint32_t kBlockHeaderSize = 8;
inline constexpr uint32_t kBlockTrailerSize = 4;

// Block types. The *_INT values are the "unofficial numbers used before the
// library release" that libscap still accepts.
enum BlockType : uint32_t {
  kMachineInfo = 0x201,
  kMachineInfoInt = 0x8002ABCD,
  kProcListV1 = 0x202,
  kProcListV1Int = 0x8000ABCD,
  kProcListV2 = 0x207,
  kProcListV2Int = 0x8013ABCD,
  kProcListV3 = 0x209,
  kProcListV3Int = 0x8014ABCD,
  kProcListV4 = 0x210,
  kProcListV5 = 0x211,
  kProcListV6 = 0x212,
  kProcListV7 = 0x213,
  kProcListV8 = 0x214,
  kProcListV9 = 0x215,
  kFdList = 0x203,
  kFdListInt = 0x8001ABCD,
  kFdListV2 = 0x218,
  kEvent = 0x204,
  kEventInt = 0x8010ABCD,
  kEventV2 = 0x216,
  kEventV2Large = 0x221,
  kInterfaceList = 0x205,
  kInterfaceListInt = 0x8011ABCD,
  kInterfaceListV2 = 0x219,
  kUserList = 0x206,
  kUserListInt = 0x8012ABCD,
  kUserListV2 = 0x220,
  kEventFlags = 0x208,
  kEventFlagsV2 = 0x217,
  kEventFlagsV2Large = 0x222,
};

// Process list versions, 1..9, for the block types above; 0 if not one.
int proclist_version(uint32_t block_type);
bool is_event_block(uint32_t block_type);
// A short name for counts and messages ("proclist_v9", "event_v2", ...);
// "unknown" for types this table does not know.
std::string_view block_type_name(uint32_t block_type);

// Machine info body (scap_machine_info): u32 num_cpus, u64 memory_size,
// u64 max_pid, char hostname[128], then 4 x u64 (boot_ts_epoch and flags in
// newer libs, reserved in older ones).
inline constexpr uint32_t kMachineHostnameSize = 128;
inline constexpr uint32_t kMachineInfoMinSize = 4 + 8 + 8 + kMachineHostnameSize;

// Event header (ppm_evt_hdr): u64 ts, u64 tid, u32 len, u16 type, and in v2
// blocks u32 nparams; then nparams u16 lengths (u32 in *_LARGE blocks —
// libscap's EF_LARGE_PAYLOAD events) and the param data. Before it, every
// event block body starts with u16 cpu id, and the *Flags blocks then hold a
// u32 of flags.
inline constexpr uint32_t kEventHeaderV1Size = 8 + 8 + 4 + 2;
inline constexpr uint32_t kEventHeaderV2Size = kEventHeaderV1Size + 4;

// Limits libscap enforces on process list strings (scap_limits.h).
inline constexpr uint32_t kMaxPathSize = 1024;
inline constexpr uint32_t kMaxArgsSize = 4096;
inline constexpr uint32_t kMaxEnvSize = 4096;
inline constexpr uint32_t kMaxCgroupsSize = 4096;
inline constexpr uint32_t kMaxCredentialsLen = 256;

// User list entries: u8 type, USER: u32 uid, u32 gid, name, home, shell;
// GROUP: u32 gid, name (strings are u16 length + bytes, no NUL).
inline constexpr uint8_t kUserEntryUser = 0;
inline constexpr uint8_t kUserEntryGroup = 1;

// scap_fd_type values in fd list entries.
enum ScapFdType : uint8_t {
  kFdUnknown = 0,
  kFdFile = 1,
  kFdDirectory = 2,
  kFdIpv4Sock = 3,
  kFdIpv6Sock = 4,
  kFdIpv4ServSock = 5,
  kFdIpv6ServSock = 6,
  kFdFifo = 7,
  kFdUnixSock = 8,
  kFdEvent = 9,
  kFdUnsupported = 10,
  kFdSignalfd = 11,
  kFdEventpoll = 12,
  kFdInotify = 13,
  kFdTimerfd = 14,
  kFdNetlink = 15,
  kFdFileV2 = 16,
  kFdBpf = 17,
  kFdUserfaultfd = 18,
  kFdIouring = 19,
  kFdMemfd = 20,
  kFdPidfd = 21,
};

// scap_l4_proto values in socket fd entries.
inline constexpr uint8_t kL4Tcp = 2;
inline constexpr uint8_t kL4Udp = 3;
inline constexpr uint8_t kL4Icmp = 4;
inline constexpr uint8_t kL4Raw = 5;

}  // namespace kestrel::scap
