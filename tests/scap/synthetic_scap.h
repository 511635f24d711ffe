// synthetic_scap.h — builds .scap captures byte by byte for tests, from
// libscap's documented layouts (falcosecurity/libs
// userspace/libscap/scap_savefile.h: block ids; engine/savefile/
// scap_savefile.c: what its reader reads from each block, in order;
// driver/ppm_events_public.h: the event header), so the reader is checked
// against the format, not against itself. Block ids are written here as
// libscap defines them, not taken from sources/capture/scap_format.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace kestrel::synthetic_scap {

// scap_savefile.h
inline constexpr uint32_t kSHB = 0x0A0D0D0A;
inline constexpr uint32_t kMI = 0x201, kMIInt = 0x8002ABCD;
inline constexpr uint32_t kPLV1 = 0x202, kPLV1Int = 0x8000ABCD, kPLV2 = 0x207, kPLV2Int = 0x8013ABCD, kPLV3 = 0x209,
                          kPLV3Int = 0x8014ABCD, kPLV4 = 0x210, kPLV5 = 0x211, kPLV6 = 0x212, kPLV7 = 0x213,
                          kPLV8 = 0x214, kPLV9 = 0x215;
inline constexpr uint32_t kFDL = 0x203, kFDLInt = 0x8001ABCD, kFDLV2 = 0x218;
inline constexpr uint32_t kEV = 0x204, kEVInt = 0x8010ABCD, kEVV2 = 0x216, kEVV2Large = 0x221;
inline constexpr uint32_t kEVF = 0x208, kEVFV2 = 0x217, kEVFV2Large = 0x222;
inline constexpr uint32_t kIL = 0x205, kILInt = 0x8011ABCD, kILV2 = 0x219;
inline constexpr uint32_t kUL = 0x206, kULInt = 0x8012ABCD, kULV2 = 0x220;

template <typename T>
void put(std::vector<uint8_t>& v, T x) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &x, sizeof(T));
  v.insert(v.end(), b, b + sizeof(T));
}
// u16 length, then the bytes (no NUL), as libscap writes strings in lists.
inline void str(std::vector<uint8_t>& v, const std::string& s) {
  put<uint16_t>(v, static_cast<uint16_t>(s.size()));
  v.insert(v.end(), s.begin(), s.end());
}
// Writes the entry length (its own 4 bytes included) at `at`.
inline void set_len(std::vector<uint8_t>& v, size_t at) {
  const uint32_t n = static_cast<uint32_t>(v.size() - at);
  std::memcpy(v.data() + at, &n, 4);
}
template <typename T>
std::vector<uint8_t> le(T x) {
  std::vector<uint8_t> v;
  put(v, x);
  return v;
}
inline std::vector<uint8_t> cstr(const std::string& s) {
  std::vector<uint8_t> v(s.begin(), s.end());
  v.push_back(0);
  return v;
}

// One process list entry: every field some version carries.
struct ProcEntry {
  uint64_t tid = 0, pid = 0, ptid = 0, sid = 0, vpgid = 0;
  std::string comm, exe, exepath;
  std::string args;  // NUL-separated, as on disk
  std::string cwd;
  uint64_t fdlimit = 1024;
  uint32_t flags = 0, uid = 0, gid = 0;
  std::string env;  // NUL-separated
  uint64_t vtid = 0, vpid = 0;
  std::string cgroups, root;
  uint32_t tty = 0, loginuid = 0;
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;
  // v9 only: the layout before libs 0.10 (no pidns_init_start_ts and tty
  // before loginuid), and bytes a newer writer appended after the last
  // field libscap reads.
  bool pre_0_10 = false;
  size_t appended = 0;
};

// The bytes of `e` in a PL_BLOCK_TYPE_V<version> block (scap_read_proclist).
inline std::vector<uint8_t> proc_entry(int version, const ProcEntry& e) {
  std::vector<uint8_t> v;
  if (version >= 9) put<uint32_t>(v, 0);  // entry length, set below
  put(v, e.tid);
  put(v, e.pid);
  put(v, e.ptid);
  if (version >= 6) put(v, e.sid);
  if (version >= 8) put(v, e.vpgid);
  str(v, e.comm);
  str(v, e.exe);
  if (version >= 7) str(v, e.exepath);
  str(v, e.args);
  str(v, e.cwd);
  put(v, e.fdlimit);
  put(v, e.flags);
  put(v, e.uid);
  put(v, e.gid);
  if (version >= 2) {
    put<uint32_t>(v, 1000);  // vmsize_kb
    put<uint32_t>(v, 200);   // vmrss_kb
    put<uint32_t>(v, 0);     // vmswap_kb
    put<uint64_t>(v, 3);     // pfmajor
    put<uint64_t>(v, 4);     // pfminor
    if (version >= 3) str(v, e.env);
    if (version >= 4) {
      put(v, e.vtid);
      put(v, e.vpid);
      str(v, e.cgroups);
      if (version >= 5) str(v, e.root);
    }
  }
  if (version >= 9) {
    if (!e.pre_0_10) {
      put<uint64_t>(v, 0);  // pidns_init_start_ts
      put(v, e.tty);
    }
    put(v, e.loginuid);
    v.push_back(0);  // exe_writable
    put(v, e.cap_inheritable);
    put(v, e.cap_permitted);
    put(v, e.cap_effective);
    v.insert(v.end(), e.appended, 0x77);
    set_len(v, 0);
  }
  return v;
}

inline uint32_t proclist_block(int version, bool int_id = false) {
  switch (version) {
    case 1: return int_id ? kPLV1Int : kPLV1;
    case 2: return int_id ? kPLV2Int : kPLV2;
    case 3: return int_id ? kPLV3Int : kPLV3;
    case 4: return kPLV4;
    case 5: return kPLV5;
    case 6: return kPLV6;
    case 7: return kPLV7;
    case 8: return kPLV8;
    default: return kPLV9;
  }
}

class SyntheticScap {
 public:
  // A block: header, body padded to 4 bytes, trailer.
  void block(uint32_t type, const std::vector<uint8_t>& body) {
    std::vector<uint8_t> b = body;
    while (b.size() % 4) b.push_back(0);
    const uint32_t total = static_cast<uint32_t>(b.size() + 12);
    put(out_, type);
    put(out_, total);
    out_.insert(out_.end(), b.begin(), b.end());
    put(out_, total);
  }
  void section_header() {
    std::vector<uint8_t> shb;
    put<uint32_t>(shb, 0x1A2B3C4D);
    put<uint16_t>(shb, 1);
    put<uint16_t>(shb, 2);
    put<uint64_t>(shb, ~0ull);
    block(kSHB, shb);
  }
  // scap_machine_info: num_cpus, memory, max_pid, hostname[128], 4 x u64.
  void machine_info(uint32_t type, uint32_t cpus, const std::string& hostname) {
    std::vector<uint8_t> mi;
    put<uint32_t>(mi, cpus);
    put<uint64_t>(mi, 1ull << 30);
    put<uint64_t>(mi, 4194304);
    std::string host = hostname;
    host.resize(128, '\0');
    mi.insert(mi.end(), host.begin(), host.end());
    mi.resize(mi.size() + 32, 0);
    block(type, mi);
  }
  void proclist(int version, const std::vector<ProcEntry>& entries, bool int_id = false) {
    std::vector<uint8_t> body;
    for (const ProcEntry& e : entries) {
      auto b = proc_entry(version, e);
      body.insert(body.end(), b.begin(), b.end());
    }
    block(proclist_block(version, int_id), body);
  }
  // An event block: cpu, [flags], header (v2: with nparams), lengths, data.
  void event(uint32_t block_type, uint16_t type, uint64_t ts, uint64_t tid,
             const std::vector<std::vector<uint8_t>>& params, bool v2, bool large, std::optional<uint32_t> flags) {
    std::vector<uint8_t> body;
    put<uint16_t>(body, 1);
    if (flags) put<uint32_t>(body, *flags);
    size_t data = 0;
    for (const auto& p : params) data += p.size();
    const uint32_t hdr = v2 ? 26 : 22;
    const uint32_t len = static_cast<uint32_t>(hdr + (large ? 4 : 2) * params.size() + data);
    put<uint64_t>(body, ts);
    put<uint64_t>(body, tid);
    put<uint32_t>(body, len);
    put<uint16_t>(body, type);
    if (v2) put<uint32_t>(body, static_cast<uint32_t>(params.size()));
    for (const auto& p : params) {
      if (large) put<uint32_t>(body, static_cast<uint32_t>(p.size()));
      else put<uint16_t>(body, static_cast<uint16_t>(p.size()));
    }
    for (const auto& p : params) body.insert(body.end(), p.begin(), p.end());
    block(block_type, body);
  }
  // An event in block `type`, with the layout that block type implies.
  void event_in(uint32_t type, uint16_t ev, uint64_t ts, uint64_t tid, const std::vector<std::vector<uint8_t>>& params,
                uint32_t flags = 0) {
    const bool v2 = type == kEVV2 || type == kEVV2Large || type == kEVFV2 || type == kEVFV2Large;
    const bool large = type == kEVV2Large || type == kEVFV2Large;
    const bool has_flags = type == kEVF || type == kEVFV2 || type == kEVFV2Large;
    event(type, ev, ts, tid, params, v2, large, has_flags ? std::optional<uint32_t>(flags) : std::nullopt);
  }
  const std::vector<uint8_t>& bytes() const { return out_; }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace kestrel::synthetic_scap
