#include "sources/capture/scap_writer.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "sources/capture/scap_event_table.h"
#include "sources/capture/scap_fd_types.h"
#include "sources/capture/scap_format.h"
#include "sources/event/sockaddr.h"

namespace kestrel::scap {
namespace {

// Appends little-endian integers and scap's u16-length strings to a body.
class Body {
 public:
  explicit Body(std::vector<uint8_t>& out) : out_(out) {}
  Body& u8(uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  Body& u16(uint16_t v) { return put(v); }
  Body& u32(uint32_t v) { return put(v); }
  Body& u64(uint64_t v) { return put(v); }
  Body& bytes(std::span<const uint8_t> b) {
    const size_t at = out_.size();
    out_.resize(at + b.size());
    if (!b.empty()) std::memcpy(out_.data() + at, b.data(), b.size());
    return *this;
  }
  // u16 length + bytes, no NUL, cut at `max` (libscap's limit).
  Body& str(std::string_view s, size_t max) {
    s = s.substr(0, std::min(max, s.size()));
    u16(static_cast<uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  size_t size() const { return out_.size(); }
  void patch_u32(size_t at, uint32_t v) { std::memcpy(out_.data() + at, &v, 4); }

 private:
  template <typename T>
  Body& put(T v) {
    const size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &v, sizeof(T));  // the host is little-endian, as libscap assumes
    return *this;
  }
  std::vector<uint8_t>& out_;
};

// NUL-terminated items joined (argv tail, env, cgroups), cut at `max`.
std::string joined(const std::vector<std::string>& items, size_t max) {
  std::string s;
  for (const std::string& i : items) {
    if (s.size() + i.size() + 1 > max) break;
    s += i;
    s.push_back('\0');
  }
  return s;
}

// The scap fd type for a Kestrel fd. Types sysdig 0.29 does not know
// (bpf, userfaultfd, io_uring, memfd: its libscap refuses the whole file
// with "wrong fd type 17") are written as "unsupported", which every
// libscap reads.
uint8_t scap_fd_type(const FdInfo& f) {
  const uint8_t t = scap_fd_type_of(f.type, f.listening);
  if (t == kFdUnknown || t >= kFdBpf) return kFdUnsupported;  // kinds sysdig 0.29 refuses (bpf and later)
  return t;
}

void put_fd(Body& b, const FdInfo& f) {
  const uint8_t type = scap_fd_type(f);
  b.u64(static_cast<uint64_t>(f.fd)).u64(f.ino).u8(type);
  const auto tuple = decode_socktuple(f.tuple);
  const size_t ip_len = type == kFdIpv6Sock || type == kFdIpv6ServSock ? 16 : 4;
  static constexpr std::array<uint8_t, 16> kZero{};
  auto ip = [&](const IpAddr* a) { b.bytes(std::span<const uint8_t>(a ? a->bytes.data() : kZero.data(), ip_len)); };
  switch (type) {
    case kFdIpv4Sock: case kFdIpv6Sock:
      ip(tuple ? &tuple->sip : nullptr);
      ip(tuple ? &tuple->dip : nullptr);
      b.u16(tuple ? tuple->sport : 0).u16(tuple ? tuple->dport : 0).u8(scap_l4_of(f.l4proto));
      break;
    case kFdIpv4ServSock: case kFdIpv6ServSock:
      // A listening socket's address is the tuple's destination side, as
      // the reader keeps it.
      ip(tuple ? &tuple->dip : nullptr);
      b.u16(tuple ? tuple->dport : 0).u8(scap_l4_of(f.l4proto));
      break;
    case kFdUnixSock: b.u64(0).u64(0).str(f.name, kMaxPathSize); break;
    case kFdFileV2: b.u32(linux_open_flags_to_ppm(f.open_flags)).str(f.name, kMaxPathSize); break;
    default: b.str(f.name, kMaxPathSize); break;
  }
}

// One process list v9 entry. It ends after the fields libs before 0.10
// wrote (loginuid, exe_writable, three capability sets: 29 bytes), which
// every reader since recognises by that length.
void put_thread(Body& b, const ThreadInfo& t) {
  const size_t start = b.size();
  b.u32(0);  // entry length, patched below
  b.u64(static_cast<uint64_t>(t.tid)).u64(static_cast<uint64_t>(t.pid)).u64(static_cast<uint64_t>(t.ptid));
  b.u64(static_cast<uint64_t>(t.sid)).u64(static_cast<uint64_t>(t.pgid));
  b.str(t.comm, kMaxPathSize).str(t.exe, kMaxPathSize).str(t.exepath, kMaxPathSize);
  b.str(joined(t.args, kMaxArgsSize), kMaxArgsSize).str(t.cwd, kMaxPathSize);
  b.u64(0);  // fdlimit: not known
  b.u32(0);  // flags
  b.u32(t.uid).u32(t.gid);
  b.u32(0).u32(0).u32(0).u64(0).u64(0);  // vm sizes, page faults
  b.str(joined(t.env, kMaxEnvSize), kMaxEnvSize);
  b.u64(static_cast<uint64_t>(t.vtid)).u64(static_cast<uint64_t>(t.vpid));
  b.str("", kMaxCgroupsSize);  // cgroups: ThreadInfo keeps only the container id
  b.str(t.root.empty() ? "/" : t.root, kMaxPathSize);
  b.u32(t.loginuid).u8(0).u64(t.cap_inheritable).u64(t.cap_permitted).u64(t.cap_effective);
  b.patch_u32(start, static_cast<uint32_t>(b.size() - start));
}

}  // namespace

ScapWriter::ScapWriter() = default;
ScapWriter::~ScapWriter() { (void)close(); }

Status ScapWriter::fail(Status st) {
  if (error_.ok()) error_ = st;
  return error_;
}

Status ScapWriter::open(const std::string& path, bool gzip) {
  path_ = path;
  auto sink = kcap::open_byte_sink(path, gzip);
  if (!sink.ok()) return fail(sink.status());
  sink_ = std::move(*sink);
  return ok_status();
}

Status ScapWriter::write_block(uint32_t type, const std::vector<uint8_t>& body) {
  if (!error_.ok()) return error_;
  if (!sink_) return fail(Status(StatusCode::kInternal, "scap writer: not open"));
  const size_t padded = (body.size() + 3) & ~size_t(3);
  const uint32_t total = static_cast<uint32_t>(kBlockHeaderSize + padded + kBlockTrailerSize);
  block_.clear();
  Body b(block_);
  b.u32(type).u32(total).bytes(body);
  block_.resize(kBlockHeaderSize + padded, 0);
  b.u32(total);
  if (Status st = sink_->write(block_); !st.ok())
    return fail(Status(st.code(), path_ + ": writing the " + std::string(block_type_name(type)) + " block at offset " +
                                      std::to_string(offset_) + ": " + st.message()));
  offset_ += total;
  return ok_status();
}

Status ScapWriter::write_header(const ScapHeader& h) {
  body_.clear();
  Body(body_).u32(kByteOrderMagic).u16(1).u16(2).u64(~uint64_t(0));  // section length: unknown
  if (Status st = write_block(kSectionHeaderBlock, body_); !st.ok()) return st;

  body_.clear();
  Body mi(body_);
  mi.u32(h.machine.num_cpus).u64(h.machine.memory_bytes).u64(h.machine.max_pid);
  std::array<uint8_t, kMachineHostnameSize> host{};
  std::memcpy(host.data(), h.machine.hostname.data(), std::min(h.machine.hostname.size(), host.size() - 1));
  mi.bytes(host).u64(0).u64(0).u64(0).u64(0);  // boot time, flags, reserved
  if (Status st = write_block(kMachineInfo, body_); !st.ok()) return st;

  body_.clear();
  if (Status st = write_block(kInterfaceList, body_); !st.ok()) return st;

  Body ul(body_);
  for (const UserEntry& u : h.users)
    ul.u8(kUserEntryUser).u32(u.uid).u32(u.gid).str(u.name, kMaxCredentialsLen - 1).str(u.home, kMaxCredentialsLen - 1)
        .str(u.shell, kMaxCredentialsLen - 1);
  for (const GroupEntry& g : h.groups) ul.u8(kUserEntryGroup).u32(g.gid).str(g.name, kMaxCredentialsLen - 1);
  return write_block(kUserList, body_);
}

Status ScapWriter::write_threads(const std::vector<ThreadInfo>& threads) {
  if (threads_written_)
    return fail(Status(StatusCode::kInternal, "scap writer: the thread table is written once"));
  threads_written_ = true;
  body_.clear();
  Body pl(body_);
  std::set<int64_t> seen;  // one entry per tid, as libscap's table keys them
  for (const ThreadInfo& t : threads)
    if (seen.insert(t.tid).second) put_thread(pl, t);
  if (Status st = write_block(kProcListV9, body_); !st.ok()) return st;
  for (const ThreadInfo& t : threads) {
    if (t.fds.empty()) continue;
    body_.clear();
    Body fl(body_);
    fl.u64(static_cast<uint64_t>(t.tid));
    for (const FdInfo& f : t.fds) put_fd(fl, f);
    if (Status st = write_block(kFdList, body_); !st.ok()) return st;
  }
  return ok_status();
}

Status ScapWriter::append(std::span<const uint8_t> record) {
  if (!error_.ok()) return error_;
  auto view = EventView::parse(record);
  if (!view.ok()) return Status(StatusCode::kInvalidArgument, "scap writer: " + view.status().message());
  for (const ScapEventOut& ev : encoder_.encode(*view)) {
    // The block body: u16 cpu (Kestrel's records do not say), then the
    // event as libscap holds it in memory.
    serialize_event(ev, event_);
    body_.assign(2, 0);
    body_.insert(body_.end(), event_.begin(), event_.end());
    if (Status st = write_block(ev.large_payload ? kEventV2Large : kEventV2, body_); !st.ok()) return st;
    ++events_;
  }
  ++records_;
  return ok_status();
}

Status ScapWriter::close() {
  if (!sink_) return error_;
  Status st = sink_->finish();
  sink_.reset();
  if (!st.ok()) return fail(Status(st.code(), path_ + ": closing: " + st.message()));
  return error_;
}

}  // namespace kestrel::scap
