// event_builder.h — writes event records in userspace, by param name.
//
// Userspace producers (gVisor converters, plugins, capture import, tests)
// build the same record the kernel side writes. Every param is named when it
// is written and checked against the one table (events.def):
//
//   EventBuilder b;
//   b.begin(KE_OPENAT, ts, tid, tgid);
//   b.put_int(KPARAM(OPENAT, fd), 3).put_int(KPARAM(OPENAT, dirfd), -100)
//    .put_str(KPARAM(OPENAT, name), "/etc/shadow") ... ;
//   Result<std::span<const uint8_t>> rec = b.finish();
//
// A param is named either by KPARAM(EVENT, param) — the table's
// KP_<EVENT>_<param> index, checked by the compiler for spelling and by the
// builder for the event — or by its name as a string, for producers that
// pick the event row at run time (one gVisor message serves open, openat and
// creat). Either way the named param must be the row's next one, and the
// value must be of the kind the param's type takes:
//   put_int      fixed-width types (ints, ERRNO, FD, UID, FLAGS32, ...);
//                written with the table's width (the low bytes of `value`)
//   put_str      CHARBUF, PATH (NUL added)
//   put_strings  CHARBUF_ARRAY
//   put_bytes    BYTES, SOCKADDR, SOCKTUPLE (already encoded)
//   put_sockaddr_* / put_tuple_*  SOCKADDR / SOCKTUPLE, encoded here
//   put_empty    any type: a value that could not be read (length 0)
// finish() also checks the count: every param of the row, no more.
//
// A mismatch (another event's param, a param out of order, a wrong kind of
// value, too few params at finish, a param over 64 KiB) is a Status, never
// an exception: the first one is kept, later writes are ignored, and
// finish() returns it. The builder keeps its buffer across begin() calls, so
// a producer that reuses one builder (the gVisor per-event path) allocates
// nothing per param or per record once the buffer has grown.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sources/event/event_table.h"

namespace kestrel {

// A param named at compile time: its event and its index in that event's row.
struct ParamKey {
  uint16_t event;
  uint16_t index;
};
#define KPARAM(EVENT, param) (::kestrel::ParamKey{KE_##EVENT, KP_##EVENT##_##param})

// A param named by KPARAM or by its name in the table.
class ParamRef {
 public:
  constexpr ParamRef(ParamKey key) : key_(key), by_key_(true) {}  // NOLINT: implicit by design
  constexpr ParamRef(std::string_view name) : name_(name) {}      // NOLINT: implicit by design
  constexpr ParamRef(const char* name) : name_(name) {}           // NOLINT: implicit by design

  bool by_key() const { return by_key_; }
  ParamKey key() const { return key_; }
  std::string_view name() const { return name_; }

 private:
  ParamKey key_{};
  std::string_view name_;
  bool by_key_ = false;
};

class EventBuilder {
 public:
  EventBuilder() = default;
  // Same as default-constructing and calling begin().
  EventBuilder(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t tgid);

  // Starts a record of `type`, dropping what was written before (and any
  // error) but keeping the buffer's capacity.
  void begin(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t tgid);

  EventBuilder& put_int(const ParamRef& param, int64_t value);
  EventBuilder& put_str(const ParamRef& param, std::string_view s);
  EventBuilder& put_strings(const ParamRef& param, std::span<const std::string_view> items);
  EventBuilder& put_bytes(const ParamRef& param, std::span<const uint8_t> data);
  EventBuilder& put_empty(const ParamRef& param);
  // Bytes for `param` whatever its type (the name is still checked): for
  // robustness tests that feed readers params of the wrong size on purpose.
  EventBuilder& put_unchecked_bytes(const ParamRef& param, std::span<const uint8_t> data);
  // SOCKADDR and SOCKTUPLE params (layout in kestrel_event.h), encoded in
  // place. IPs in network order, ports in host order.
  EventBuilder& put_sockaddr_in(const ParamRef& param, const uint8_t ip[4], uint16_t port);
  EventBuilder& put_sockaddr_in6(const ParamRef& param, const uint8_t ip[16], uint16_t port);
  EventBuilder& put_sockaddr_un(const ParamRef& param, std::string_view path);
  EventBuilder& put_tuple_in(const ParamRef& param, const uint8_t sip[4], uint16_t sport, const uint8_t dip[4],
                             uint16_t dport);
  EventBuilder& put_tuple_in6(const ParamRef& param, const uint8_t sip[16], uint16_t sport, const uint8_t dip[16],
                              uint16_t dport);
  EventBuilder& put_tuple_un(const ParamRef& param, uint64_t source, uint64_t dest, std::string_view path);

  // Whether the row has a param called `name` (for params only some of the
  // rows a producer picks from carry: openat's dirfd, pipe2's flags).
  bool has(std::string_view name) const { return info_->param_index(name).has_value(); }

  // The first mismatch so far, or ok.
  const Status& status() const { return status_; }
  uint16_t type() const { return hdr_.type; }

  // The finished record: a view into the builder, valid until the next
  // begin(). An error if a write mismatched or params are missing.
  Result<std::span<const uint8_t>> finish();
  // The record with only the params written so far, as an older producer
  // wrote it (readers accept fewer params, kestrel_event.h); for tests of
  // that compatibility. Other mismatches are still errors.
  Result<std::span<const uint8_t>> finish_truncated();
  // finish(), copied out; throws std::logic_error naming the mismatch. For
  // tests and tools that build fixed records, never for untrusted input.
  std::vector<uint8_t> finish_or_throw();

 private:
  // The index `param` names if it is the row's next param and its type is
  // one `accepts` allows; otherwise records the mismatch and returns -1.
  int claim(const ParamRef& param, bool (*accepts)(kestrel_param_type), const char* kind);
  // Appends `len` bytes of param data for the claimed param `index`.
  void commit(int index, const void* data, size_t len);
  uint8_t* reserve(int index, size_t len);  // nullptr on error
  void fail(std::string message);
  Result<std::span<const uint8_t>> seal(uint16_t nparams);

  kestrel_event_hdr hdr_{};
  const EventInfo* info_ = &event_info(KE_NONE);
  uint16_t next_ = 0;         // index of the next param to write
  uint16_t nrow_ = 0;         // params in the row
  std::vector<uint8_t> buf_;  // header, length table (nrow_ entries), data
  Status status_;
};

// Encoders for SOCKADDR and SOCKTUPLE params as separate values, for tests
// that build expected bytes. IPs in network order, ports in host order.
std::vector<uint8_t> encode_sockaddr_in(const uint8_t ip[4], uint16_t port);
std::vector<uint8_t> encode_sockaddr_in6(const uint8_t ip[16], uint16_t port);
std::vector<uint8_t> encode_sockaddr_un(std::string_view path);
std::vector<uint8_t> encode_tuple_in(const uint8_t sip[4], uint16_t sport, const uint8_t dip[4], uint16_t dport);
std::vector<uint8_t> encode_tuple_in6(const uint8_t sip[16], uint16_t sport, const uint8_t dip[16], uint16_t dport);
std::vector<uint8_t> encode_tuple_un(uint64_t source, uint64_t dest, std::string_view path);

}  // namespace kestrel
