#include "sources/capture/scap_reader.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "sources/capture/scap_fd_types.h"
#include "sources/capture/scap_format.h"
#include "sources/capture/scap_event_table.h"
#include "sources/event/event_builder.h"
#include "sources/event/sockaddr.h"

namespace kestrel::scap {
namespace {

uint16_t le16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t le32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Reads a block body from memory; the first read past `end` fails and is
// remembered with the offset where it happened.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> data, uint64_t base) : data_(data), base_(base) {}

  size_t pos() const { return pos_; }
  size_t left() const { return data_.size() - pos_; }
  bool failed() const { return failed_; }
  uint64_t fail_offset() const { return base_ + fail_pos_; }
  const std::string& what() const { return what_; }

  bool need(size_t n, const char* what) {
    if (failed_) return false;
    if (left() < n) {
      failed_ = true;
      fail_pos_ = pos_;
      what_ = what;
      return false;
    }
    return true;
  }
  uint8_t u8(const char* what) { return need(1, what) ? data_[pos_++] : 0; }
  uint16_t u16(const char* what) {
    if (!need(2, what)) return 0;
    uint16_t v = le16(data_.data() + pos_);
    pos_ += 2;
    return v;
  }
  uint32_t u32(const char* what) {
    if (!need(4, what)) return 0;
    uint32_t v = le32(data_.data() + pos_);
    pos_ += 4;
    return v;
  }
  uint64_t u64(const char* what) {
    if (!need(8, what)) return 0;
    uint64_t v = le64(data_.data() + pos_);
    pos_ += 8;
    return v;
  }
  std::span<const uint8_t> bytes(size_t n, const char* what) {
    if (!need(n, what)) return {};
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // u16 length, then that many bytes (no NUL on disk), at most `max`.
  std::string str(size_t max, const char* what) {
    size_t at = pos_;
    uint16_t n = u16(what);
    if (failed_) return {};
    if (n > max) {
      failed_ = true;
      fail_pos_ = at;
      what_ = std::string(what) + " length " + std::to_string(n) + " above the limit " + std::to_string(max);
      return {};
    }
    auto s = bytes(n, what);
    return std::string(reinterpret_cast<const char*>(s.data()), s.size());
  }
  void skip_to(size_t pos, const char* what) {
    if (failed_) return;
    if (pos > data_.size() || pos < pos_) {
      failed_ = true;
      fail_pos_ = pos_;
      what_ = std::string(what) + ": entry length points outside its block";
      return;
    }
    pos_ = pos;
  }

 private:
  std::span<const uint8_t> data_;
  uint64_t base_;
  size_t pos_ = 0;
  bool failed_ = false;
  size_t fail_pos_ = 0;
  std::string what_;
};

// NUL-separated strings (argv tail, environment, cgroups), the last one
// possibly unterminated; empty trailing pieces dropped.
std::vector<std::string> split_nul(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t nul = s.find('\0');
    if (nul == std::string_view::npos) nul = s.size();
    out.emplace_back(s.substr(0, nul));
    s.remove_prefix(std::min(s.size(), nul + 1));
  }
  return out;
}

void set_socket(FdInfo& f, std::vector<uint8_t> tuple) {
  if (auto t = decode_socktuple(tuple)) f.name = t->to_string();
  f.tuple = std::move(tuple);
}

}  // namespace

int proclist_version(uint32_t t) {
  switch (t) {
    case kProcListV1: case kProcListV1Int: return 1;
    case kProcListV2: case kProcListV2Int: return 2;
    case kProcListV3: case kProcListV3Int: return 3;
    case kProcListV4: return 4;
    case kProcListV5: return 5;
    case kProcListV6: return 6;
    case kProcListV7: return 7;
    case kProcListV8: return 8;
    case kProcListV9: return 9;
    default: return 0;
  }
}

bool is_event_block(uint32_t t) {
  switch (t) {
    case kEvent: case kEventInt: case kEventV2: case kEventV2Large:
    case kEventFlags: case kEventFlagsV2: case kEventFlagsV2Large: return true;
    default: return false;
  }
}

std::string_view block_type_name(uint32_t t) {
  switch (t) {
    case kSectionHeaderBlock: return "section_header";
    case kMachineInfo: case kMachineInfoInt: return "machine_info";
    case kProcListV1: case kProcListV1Int: return "proclist_v1";
    case kProcListV2: case kProcListV2Int: return "proclist_v2";
    case kProcListV3: case kProcListV3Int: return "proclist_v3";
    case kProcListV4: return "proclist_v4";
    case kProcListV5: return "proclist_v5";
    case kProcListV6: return "proclist_v6";
    case kProcListV7: return "proclist_v7";
    case kProcListV8: return "proclist_v8";
    case kProcListV9: return "proclist_v9";
    case kFdList: case kFdListInt: return "fdlist";
    case kFdListV2: return "fdlist_v2";
    case kEvent: case kEventInt: return "event";
    case kEventV2: return "event_v2";
    case kEventV2Large: return "event_v2_large";
    case kEventFlags: return "event_flags";
    case kEventFlagsV2: return "event_flags_v2";
    case kEventFlagsV2Large: return "event_flags_v2_large";
    case kInterfaceList: case kInterfaceListInt: return "interface_list";
    case kInterfaceListV2: return "interface_list_v2";
    case kUserList: case kUserListInt: return "user_list";
    case kUserListV2: return "user_list_v2";
    default: return "unknown";
  }
}

ScapReader::ScapReader() = default;
ScapReader::~ScapReader() = default;

bool ScapReader::compressed() const { return source_ && source_->compressed(); }

Status ScapReader::error_at(StatusCode code, const std::string& message, uint64_t offset) const {
  std::string msg = message;
  if (compressed()) msg += " [offsets count decompressed bytes]";
  return Status(code, std::move(msg), SourcePosition{path_, 0, 0, offset});
}

Status ScapReader::fail(Status st) {
  error_ = st;
  return st;
}

Result<ScapReader::BlockRead> ScapReader::read_block() {
  block_offset_ = offset_;
  // Sizes as plain numbers: a Result assigned per block was a visible part
  // of a replay's cost.
  uint8_t hdr_copy[kBlockHeaderSize];
  const uint8_t* hdr = hdr_copy;
  size_t got = 0;
  if (const uint8_t* lent = source_->borrow(kBlockHeaderSize)) {  // a plain file: no copy
    hdr = lent;
    got = kBlockHeaderSize;
  } else {
    auto read = source_->read(hdr_copy);
    if (!read.ok())
      return error_at(read.status().code(),
                      read.status().message() + " (reading the block header at offset " + std::to_string(offset_) +
                          ")",
                      offset_);
    got = *read;
  }
  offset_ += got;
  if (got == 0) return BlockRead::kEnd;
  if (got < kBlockHeaderSize)
    return error_at(StatusCode::kTruncated,
                    "file ends at offset " + std::to_string(offset_) + " inside the header of the block at offset " +
                        std::to_string(block_offset_),
                    block_offset_);
  block_type_ = le32(hdr);
  const uint32_t total = le32(hdr + 4);
  if (total < kBlockHeaderSize + kBlockTrailerSize || total % 4 != 0)
    return error_at(StatusCode::kCorrupt,
                    "block of type 0x" + [&] {
                      char b[16];
                      std::snprintf(b, sizeof b, "%x", block_type_);
                      return std::string(b);
                    }() + " at offset " + std::to_string(block_offset_) + " has an invalid total length " +
                        std::to_string(total),
                    block_offset_ + 4);
  const size_t body_size = total - kBlockHeaderSize;
  if (const uint8_t* lent = source_->borrow(body_size)) {
    body_ = std::span<const uint8_t>(lent, body_size);
    got = body_size;
  } else {
    body_copy_.resize(body_size);
    auto read = source_->read(body_copy_);
    if (!read.ok())
      return error_at(read.status().code(),
                      read.status().message() + " (reading the block at offset " + std::to_string(block_offset_) + ")",
                      block_offset_);
    got = *read;
    body_ = std::span<const uint8_t>(body_copy_.data(), body_size);
  }
  offset_ += got;
  if (got < body_.size())
    return error_at(StatusCode::kTruncated,
                    "file ends at offset " + std::to_string(offset_) + " inside the " +
                        std::string(block_type_name(block_type_)) + " block at offset " +
                        std::to_string(block_offset_) + " (" + std::to_string(total) + " bytes)",
                    block_offset_);
  const uint32_t trailer = le32(body_.data() + body_.size() - kBlockTrailerSize);
  if (trailer != total)
    return error_at(StatusCode::kCorrupt,
                    std::string(block_type_name(block_type_)) + " block at offset " + std::to_string(block_offset_) +
                        ": trailer length " + std::to_string(trailer) + " differs from header length " +
                        std::to_string(total),
                    offset_ - kBlockTrailerSize);
  body_ = body_.first(body_.size() - kBlockTrailerSize);
  if (counted_ == nullptr || counted_type_ != block_type_) {  // one map lookup per run of a type
    counted_type_ = block_type_;
    counted_ = &block_counts_[block_type_];
  }
  ++*counted_;
  return BlockRead::kBlock;
}

Status ScapReader::open(const std::string& path) {
  auto src = kcap::open_byte_source(path);
  if (!src.ok()) return src.status();
  return open(path, std::move(*src));
}

Status ScapReader::open(const std::string& path, std::unique_ptr<kcap::ByteSource> stream) {
  path_ = path;
  source_ = std::move(stream);
  auto r = read_block();
  if (!r.ok()) return fail(r.status());
  if (*r == BlockRead::kEnd) return fail(error_at(StatusCode::kTruncated, "file is empty: not a .scap capture", 0));
  if (block_type_ != kSectionHeaderBlock)
    return fail(error_at(StatusCode::kCorrupt, "not a .scap capture: the first block is not a section header", 0));
  if (Status st = parse_section_header(); !st.ok()) return fail(st);
  // Metadata up to the first event block (or the end: a capture may hold
  // no events at all).
  for (;;) {
    r = read_block();
    if (!r.ok()) return fail(r.status());
    if (*r == BlockRead::kEnd) break;
    if (is_event_block(block_type_)) {
      pending_event_ = true;
      break;
    }
    if (Status st = handle_metadata(); !st.ok()) return fail(st);
  }
  attach_fds();
  return ok_status();
}

Status ScapReader::parse_section_header() {
  Cursor c(body_, block_offset_ + kBlockHeaderSize);
  uint32_t magic = c.u32("byte-order magic");
  major_ = c.u16("major version");
  minor_ = c.u16("minor version");
  c.u64("section length");
  if (c.failed())
    return error_at(StatusCode::kCorrupt, "section header block too short: " + c.what(), c.fail_offset());
  if (magic == kByteOrderMagicSwapped)
    return error_at(StatusCode::kUnimplemented,
                    "capture was written in the other byte order (big-endian); libscap does not read those either",
                    kBlockHeaderSize);
  if (magic != kByteOrderMagic)
    return error_at(StatusCode::kCorrupt, "section header has an invalid byte-order magic", kBlockHeaderSize);
  if (major_ > kMaxMajorVersion)
    return error_at(StatusCode::kUnimplemented,
                    "scap format major version " + std::to_string(major_) + " is newer than this reader's " +
                        std::to_string(kMaxMajorVersion),
                    kBlockHeaderSize + 4);
  return ok_status();
}

Status ScapReader::handle_metadata() {
  switch (block_type_) {
    case kSectionHeaderBlock: return parse_section_header();  // a concatenated capture's next section
    case kMachineInfo: case kMachineInfoInt: return parse_machine_info();
    case kFdList: case kFdListInt: return parse_fdlist(false);
    case kFdListV2: return parse_fdlist(true);
    case kUserList: case kUserListInt: return parse_userlist(false);
    case kUserListV2: return parse_userlist(true);
    case kInterfaceList: case kInterfaceListInt: return parse_iflist(false);
    case kInterfaceListV2: return parse_iflist(true);
    default:
      if (int v = proclist_version(block_type_)) return parse_proclist(v);
      ++unknown_blocks_;  // skipped: the block was read whole, by its length
      return ok_status();
  }
}

Status ScapReader::parse_machine_info() {
  Cursor c(body_, block_offset_ + kBlockHeaderSize);
  machine_.num_cpus = c.u32("num_cpus");
  machine_.memory_bytes = c.u64("memory size");
  machine_.max_pid = c.u64("max pid");
  auto host = c.bytes(kMachineHostnameSize, "hostname");
  if (c.failed()) return error_at(StatusCode::kCorrupt, "machine info block too short: " + c.what(), c.fail_offset());
  const char* h = reinterpret_cast<const char*>(host.data());
  machine_.hostname.assign(h, strnlen(h, host.size()));
  return ok_status();  // boot time, flags and reserved words: not used
}

Status ScapReader::parse_proclist(int v) {
  Cursor c(body_, block_offset_ + kBlockHeaderSize);
  while (c.left() >= 4) {
    const size_t start = c.pos();
    ThreadInfo t;
    uint32_t sub_len = v >= 9 ? c.u32("entry length") : 0;
    t.tid = static_cast<int64_t>(c.u64("tid"));
    t.pid = static_cast<int64_t>(c.u64("pid"));
    t.ptid = static_cast<int64_t>(c.u64("ptid"));
    if (v >= 6) t.sid = static_cast<int64_t>(c.u64("sid"));
    if (v >= 8) t.pgid = static_cast<int64_t>(c.u64("vpgid"));
    t.comm = c.str(kMaxPathSize, "comm");
    t.exe = c.str(kMaxPathSize, "exe");
    if (v >= 7) t.exepath = c.str(kMaxPathSize, "exepath");
    t.args = split_nul(c.str(kMaxArgsSize, "args"));
    t.cwd = c.str(kMaxPathSize, "cwd");
    c.u64("fdlimit");
    c.u32("flags");
    // One uid and gid per entry (the writer's /proc scan); the effective
    // ids are not in the file, so they take the same values.
    t.uid = t.euid = c.u32("uid");
    t.gid = t.egid = c.u32("gid");
    if (v >= 2) {
      c.u32("vmsize_kb");
      c.u32("vmrss_kb");
      c.u32("vmswap_kb");
      c.u64("pfmajor");
      c.u64("pfminor");
      if (v >= 3) t.env = split_nul(c.str(kMaxEnvSize, "env"));
      if (v >= 4) {
        t.vtid = static_cast<int64_t>(c.u64("vtid"));
        t.vpid = static_cast<int64_t>(c.u64("vpid"));
        c.str(kMaxCgroupsSize, "cgroups");
        if (v >= 5) t.root = c.str(kMaxPathSize, "root");
      }
    }
    if (sub_len != 0) {
      auto fits = [&](size_t n) { return c.pos() - start + n <= sub_len; };
      // libs 0.10 inserted pidns_init_start_ts and tty before loginuid;
      // an entry with at most 29 bytes left is from before that (loginuid,
      // exe_writable and three capability sets).
      const bool pre_0_10 = sub_len - (c.pos() - start) <= 29;
      if (!pre_0_10) {
        if (fits(8)) c.u64("pidns_init_start_ts");
        if (fits(4)) t.tty = c.u32("tty");
      }
      if (fits(4)) t.loginuid = c.u32("loginuid");
      if (fits(1)) c.u8("exe_writable");
      if (fits(8)) t.cap_inheritable = c.u64("cap_inheritable");
      if (fits(8)) t.cap_permitted = c.u64("cap_permitted");
      if (fits(8)) t.cap_effective = c.u64("cap_effective");
      if (c.pos() - start > sub_len)
        return error_at(StatusCode::kCorrupt,
                        "process entry at offset " + std::to_string(block_offset_ + kBlockHeaderSize + start) +
                            " is longer than its length " + std::to_string(sub_len),
                        block_offset_ + kBlockHeaderSize + start);
      c.skip_to(start + sub_len, "process entry");  // fields appended by newer writers
    }
    if (c.failed())
      return error_at(StatusCode::kCorrupt,
                      std::string(block_type_name(block_type_)) + " block at offset " + std::to_string(block_offset_) +
                          ": entry cut short reading " + c.what(),
                      c.fail_offset());
    if (t.root.empty()) t.root = "/";
    threads_.push_back(std::move(t));
  }
  return ok_status();
}

Status ScapReader::parse_fdlist(bool v2) {
  Cursor c(body_, block_offset_ + kBlockHeaderSize);
  const int64_t tid = static_cast<int64_t>(c.u64("tid"));
  std::vector<FdInfo>& fds = fds_by_tid_[tid];
  while (!c.failed() && c.left() >= 4) {
    const size_t start = c.pos();
    uint32_t sub_len = v2 ? c.u32("entry length") : 0;
    FdInfo f;
    f.fd = static_cast<int64_t>(c.u64("fd"));
    f.ino = c.u64("ino");
    const uint8_t type = c.u8("type");
    f.type = kestrel_fd_type(type);
    switch (type) {
      case kFdIpv4Sock: {
        auto sip = c.bytes(4, "sip");
        auto dip = c.bytes(4, "dip");
        uint16_t sport = c.u16("sport"), dport = c.u16("dport");
        f.l4proto = ip_proto_of(c.u8("l4proto"));
        if (!c.failed()) set_socket(f, encode_tuple_in(sip.data(), sport, dip.data(), dport));
        break;
      }
      case kFdIpv4ServSock: {
        auto ip = c.bytes(4, "ip");
        uint16_t port = c.u16("port");
        f.l4proto = ip_proto_of(c.u8("l4proto"));
        f.listening = true;
        if (!c.failed()) {
          static constexpr uint8_t kAny[4] = {};
          f.tuple = encode_tuple_in(kAny, 0, ip.data(), port);
          if (auto a = decode_sockaddr(encode_sockaddr_in(ip.data(), port))) f.name = a->to_string();
        }
        break;
      }
      case kFdIpv6Sock: {
        auto sip = c.bytes(16, "sip");
        auto dip = c.bytes(16, "dip");
        uint16_t sport = c.u16("sport"), dport = c.u16("dport");
        f.l4proto = ip_proto_of(c.u8("l4proto"));
        if (!c.failed()) set_socket(f, encode_tuple_in6(sip.data(), sport, dip.data(), dport));
        break;
      }
      case kFdIpv6ServSock: {
        auto ip = c.bytes(16, "ip");
        uint16_t port = c.u16("port");
        f.l4proto = ip_proto_of(c.u8("l4proto"));
        f.listening = true;
        if (!c.failed()) {
          static constexpr uint8_t kAny[16] = {};
          f.tuple = encode_tuple_in6(kAny, 0, ip.data(), port);
          if (auto a = decode_sockaddr(encode_sockaddr_in6(ip.data(), port))) f.name = a->to_string();
        }
        break;
      }
      case kFdUnixSock: {
        uint64_t source = c.u64("source"), dest = c.u64("destination");
        f.name = c.str(kMaxPathSize, "name");
        if (!c.failed()) f.tuple = encode_tuple_un(source, dest, f.name);
        break;
      }
      case kFdFileV2: {
        f.open_flags = ppm_open_flags_to_linux(c.u32("open_flags"));
        f.name = c.str(kMaxPathSize, "name");
        if (sub_len != 0 && c.pos() - start + 4 <= sub_len) f.dev = c.u32("dev");
        break;
      }
      case kFdFifo: case kFdFile: case kFdDirectory: case kFdUnsupported: case kFdEvent: case kFdSignalfd:
      case kFdEventpoll: case kFdInotify: case kFdTimerfd: case kFdNetlink: case kFdBpf: case kFdUserfaultfd:
      case kFdIouring: case kFdMemfd: case kFdPidfd:
        f.name = c.str(kMaxPathSize, "name");
        break;
      default:
        // A type from a newer writer: nothing more is known of its entry
        // except, in v2 blocks, its length.
        f.name = "unknown-type:[" + std::to_string(type) + "]";
        break;
    }
    if (sub_len != 0 && !c.failed()) {
      if (c.pos() - start > sub_len)
        return error_at(StatusCode::kCorrupt,
                        "fd entry at offset " + std::to_string(block_offset_ + kBlockHeaderSize + start) +
                            " is longer than its length " + std::to_string(sub_len),
                        block_offset_ + kBlockHeaderSize + start);
      c.skip_to(start + sub_len, "fd entry");
    }
    if (c.failed()) break;
    fds.push_back(std::move(f));
  }
  if (c.failed())
    return error_at(StatusCode::kCorrupt,
                    std::string(block_type_name(block_type_)) + " block at offset " + std::to_string(block_offset_) +
                        ": entry cut short reading " + c.what(),
                    c.fail_offset());
  return ok_status();
}

Status ScapReader::parse_userlist(bool v2) {
  Cursor c(body_, block_offset_ + kBlockHeaderSize);
  while (!c.failed() && c.left() >= 4) {
    const size_t start = c.pos();
    uint32_t sub_len = v2 ? c.u32("entry length") : 0;
    uint8_t type = c.u8("entry type");
    if (type == kUserEntryUser) {
      UserEntry u;
      u.uid = c.u32("uid");
      u.gid = c.u32("gid");
      u.name = c.str(kMaxCredentialsLen - 1, "user name");
      u.home = c.str(kMaxCredentialsLen - 1, "home");
      u.shell = c.str(kMaxCredentialsLen - 1, "shell");
      if (!c.failed()) users_.push_back(std::move(u));
    } else {
      // libscap reads every other type as a group entry.
      GroupEntry g;
      g.gid = c.u32("gid");
      g.name = c.str(kMaxCredentialsLen - 1, "group name");
      if (!c.failed()) groups_.push_back(std::move(g));
    }
    if (sub_len != 0 && !c.failed()) {
      if (c.pos() - start > sub_len)
        return error_at(StatusCode::kCorrupt, "user entry longer than its length " + std::to_string(sub_len),
                        block_offset_ + kBlockHeaderSize + start);
      c.skip_to(start + sub_len, "user entry");
    }
  }
  if (c.failed())
    return error_at(StatusCode::kCorrupt,
                    "user list block at offset " + std::to_string(block_offset_) + ": entry cut short reading " +
                        c.what(),
                    c.fail_offset());
  return ok_status();
}

Status ScapReader::parse_iflist(bool v2) {
  Cursor c(body_, block_offset_ + kBlockHeaderSize);
  while (!c.failed() && c.left() >= 4) {
    const size_t start = c.pos();
    uint32_t entry = v2 ? c.u32("entry length") : 0;
    const size_t after_len = c.pos();
    InterfaceEntry e;
    e.type = c.u16("interface type");
    uint16_t namelen = c.u16("name length");
    size_t fixed = 0;
    switch (e.type) {
      case 1: fixed = 4 + 4 + 4 + 8; break;     // IPv4: addr, netmask, bcast, linkspeed
      case 2: fixed = 16 * 3 + 8; break;        // IPv6: addr, netmask, bcast, linkspeed
      case 3: fixed = 4 + 4 + 4; break;         // IPv4 without link speed
      case 4: fixed = 16 * 3; break;            // IPv6 without link speed
      default:
        if (!v2)
          return error_at(StatusCode::kCorrupt, "interface list has an entry of unknown type " + std::to_string(e.type),
                          block_offset_ + kBlockHeaderSize + start);
    }
    c.bytes(fixed, "interface addresses");
    auto name = c.bytes(namelen, "interface name");
    if (c.failed()) break;
    e.name.assign(reinterpret_cast<const char*>(name.data()), name.size());
    interfaces_.push_back(std::move(e));
    if (v2) c.skip_to(after_len + entry, "interface entry");
  }
  if (c.failed())
    return error_at(StatusCode::kCorrupt,
                    "interface list block at offset " + std::to_string(block_offset_) + ": entry cut short reading " +
                        c.what(),
                    c.fail_offset());
  return ok_status();
}

void ScapReader::attach_fds() {
  if (fds_by_tid_.empty()) return;
  std::unordered_map<int64_t, size_t> index;  // tid -> position in threads_
  for (size_t i = 0; i < threads_.size(); ++i) index.emplace(threads_[i].tid, i);
  for (auto it = fds_by_tid_.begin(); it != fds_by_tid_.end();) {
    auto t = index.find(it->first);
    if (t == index.end()) {  // fds of a thread not listed (yet): kept for a later process list
      ++it;
      continue;
    }
    // The state tables keep fds on the thread-group leader.
    ThreadInfo* owner = &threads_[t->second];
    if (owner->pid != owner->tid) {
      if (auto l = index.find(owner->pid); l != index.end()) owner = &threads_[l->second];
    }
    for (FdInfo& f : it->second) owner->fds.push_back(std::move(f));
    it = fds_by_tid_.erase(it);
  }
}

std::vector<ThreadInfo> ScapReader::take_threads() {
  attach_fds();
  return std::move(threads_);
}

bool ScapReader::parse_event(RawEvent& out) {
  const bool flags = block_type_ == kEventFlags || block_type_ == kEventFlagsV2 || block_type_ == kEventFlagsV2Large;
  const bool v2 = block_type_ == kEventV2 || block_type_ == kEventV2Large || block_type_ == kEventFlagsV2 ||
                  block_type_ == kEventFlagsV2Large;
  const bool large = block_type_ == kEventV2Large || block_type_ == kEventFlagsV2Large;
  // u16 cpu, [u32 flags], then the event header: u64 ts, u64 tid, u32 len,
  // u16 type, [u32 nparams]. Read in place after one length check (once
  // per event: no per-field cursor).
  const size_t hdr_at = 2 + (flags ? 4 : 0);
  const size_t hdr = 8 + 8 + 4 + 2 + (v2 ? 4 : 0);
  out.params.clear();
  if (body_.size() < hdr_at + hdr) return false;
  const uint8_t* base = body_.data() + hdr_at;
  out.offset = block_offset_;
  out.block_type = block_type_;
  out.cpu = le16(body_.data());
  out.flags = flags ? le32(body_.data() + 2) : 0;
  out.ts = le64(base);
  out.tid = le64(base + 8);
  const uint32_t len = le32(base + 16);
  out.type = le16(base + 20);
  uint32_t nparams = v2 ? le32(base + 22) : 0;
  if (len < hdr || hdr_at + len > body_.size()) return false;
  if (!v2) {
    // Old blocks do not say how many params follow; the one count whose
    // length table and data end exactly at `len` is it (the end moves by
    // at least 2 bytes per extra param, so at most one count fits).
    bool found = false;
    uint32_t sum = 0;
    for (uint32_t n = 0; n <= 32; ++n) {
      const size_t end = hdr + 2 * n + sum;
      if (end == len) {
        nparams = n;
        found = true;
        break;
      }
      if (hdr + 2 * (n + 1) > len) break;
      sum += le16(base + hdr + 2 * n);
    }
    if (!found) return false;
  }
  const size_t width = large ? 4 : 2;
  if (nparams > RawParams::kMax || hdr + width * nparams > len) return false;
  size_t data = hdr + width * nparams;
  for (uint32_t i = 0; i < nparams; ++i) {
    const uint8_t* lp = base + hdr + width * i;
    const size_t plen = large ? le32(lp) : le16(lp);
    if (data + plen > len) return false;
    out.params.emplace_back(base + data, plen);
    data += plen;
  }
  return true;
}

bool ScapReader::next_buffered_event() {
  const std::span<const uint8_t> buf = source_->buffered();
  size_t pos = 0;
  bool taken = false;
  while (buf.size() - pos >= kBlockHeaderSize) {
    const uint8_t* b = buf.data() + pos;
    // The read-ahead thread's core wrote these bytes: asked for a few
    // blocks ahead, they arrive while this one is judged.
    __builtin_prefetch(b + 512);
    const uint32_t type = le32(b);
    const uint32_t total = le32(b + 4);
    if (!is_event_block(type) || total < kBlockHeaderSize + kBlockTrailerSize || total % 4 != 0 ||
        total > buf.size() - pos || le32(b + total - kBlockTrailerSize) != total)
      break;  // not one to pass over here: read_block() reads it (and reports a damaged one)
    // The type sits after u16 cpu, the flags of *Flags blocks, ts, tid, len.
    const bool flags = type == kEventFlags || type == kEventFlagsV2 || type == kEventFlagsV2Large;
    const size_t at = kBlockHeaderSize + 2 + (flags ? 4 : 0) + 8 + 8 + 4;
    if (total - kBlockTrailerSize < at + 2) break;
    if (counted_ == nullptr || counted_type_ != type) {
      counted_type_ = type;
      counted_ = &block_counts_[type];
    }
    ++*counted_;
    if (skip_.empty() || !skip_[le16(b + at)]) {
      // The event to return: its body viewed in place, as read_block()
      // would have lent it.
      block_offset_ = offset_ + pos;
      block_type_ = type;
      body_ = std::span<const uint8_t>(b + kBlockHeaderSize, total - kBlockHeaderSize - kBlockTrailerSize);
      pos += total;
      taken = true;
      break;
    }
    ++skipped_events_;
    pos += total;
  }
  source_->consume(pos);
  offset_ += pos;
  return taken;
}

Result<NextResult> ScapReader::next(RawEvent& out) {
  if (!error_.ok()) return error_;
  for (;;) {
    if (pending_event_) {
      pending_event_ = false;
    } else if (next_buffered_event()) {
      if (parse_event(out)) return NextResult::kEvent;
      ++malformed_events_;
      continue;
    } else {
      auto r = read_block();
      if (!r.ok()) return fail(r.status());
      if (*r == BlockRead::kEnd) return NextResult::kEnd;
      if (!is_event_block(block_type_)) {
        if (Status st = handle_metadata(); !st.ok()) return fail(st);
        continue;
      }
    }
    if (!skip_.empty()) {
      // The type sits after u16 cpu, the flags of *Flags blocks, ts, tid, len.
      const bool flags = block_type_ == kEventFlags || block_type_ == kEventFlagsV2 || block_type_ == kEventFlagsV2Large;
      const size_t at = 2 + (flags ? 4 : 0) + 8 + 8 + 4;
      if (body_.size() >= at + 2 && skip_[le16(body_.data() + at)]) {
        ++skipped_events_;
        continue;
      }
    }
    if (parse_event(out)) return NextResult::kEvent;
    ++malformed_events_;
  }
}

}  // namespace kestrel::scap
