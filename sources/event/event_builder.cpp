#include "sources/event/event_builder.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace kestrel {

namespace {

bool is_fixed(kestrel_param_type t) { return param_fixed_size(t) != 0; }
bool is_string(kestrel_param_type t) { return t == KPT_CHARBUF || t == KPT_PATH; }
bool is_string_array(kestrel_param_type t) { return t == KPT_CHARBUF_ARRAY; }
bool is_encoded(kestrel_param_type t) { return t == KPT_BYTES || t == KPT_SOCKADDR || t == KPT_SOCKTUPLE; }
bool is_sockaddr(kestrel_param_type t) { return t == KPT_SOCKADDR; }
bool is_socktuple(kestrel_param_type t) { return t == KPT_SOCKTUPLE; }
bool is_any(kestrel_param_type) { return true; }

// Writes fields one after another into memory sized by the caller.
class Cursor {
 public:
  explicit Cursor(uint8_t* out) : p_(out) {}
  Cursor& put(const void* src, size_t n) {
    if (n > 0) std::memcpy(p_, src, n);  // src may be null for an empty path
    p_ += n;
    return *this;
  }
  Cursor& byte(uint8_t b) {
    *p_++ = b;
    return *this;
  }

 private:
  uint8_t* p_;
};

// Encoded sizes: the ABI's packed layouts (kestrel_event.h, "Socket address
// encodings"); the writers below fill them field by field in that order.
constexpr size_t kSockaddrInSize = sizeof(kestrel_sockaddr_in);
constexpr size_t kSockaddrIn6Size = sizeof(kestrel_sockaddr_in6);
constexpr size_t kTupleInSize = sizeof(kestrel_socktuple_in);
constexpr size_t kTupleIn6Size = sizeof(kestrel_socktuple_in6);
size_t sockaddr_un_size(std::string_view path) { return 1 + path.size() + 1; }
size_t tuple_un_size(std::string_view path) { return sizeof(kestrel_socktuple_un) + path.size() + 1; }

void write_sockaddr_in(uint8_t* out, const uint8_t ip[4], uint16_t port) {
  Cursor(out).byte(KESTREL_AF_INET).put(ip, 4).put(&port, 2);
}
void write_sockaddr_in6(uint8_t* out, const uint8_t ip[16], uint16_t port) {
  Cursor(out).byte(KESTREL_AF_INET6).put(ip, 16).put(&port, 2);
}
void write_sockaddr_un(uint8_t* out, std::string_view path) {
  Cursor(out).byte(KESTREL_AF_UNIX).put(path.data(), path.size()).byte(0);
}
void write_tuple_in(uint8_t* out, const uint8_t sip[4], uint16_t sport, const uint8_t dip[4], uint16_t dport) {
  Cursor(out).byte(KESTREL_AF_INET).put(sip, 4).put(&sport, 2).put(dip, 4).put(&dport, 2);
}
void write_tuple_in6(uint8_t* out, const uint8_t sip[16], uint16_t sport, const uint8_t dip[16], uint16_t dport) {
  Cursor(out).byte(KESTREL_AF_INET6).put(sip, 16).put(&sport, 2).put(dip, 16).put(&dport, 2);
}
void write_tuple_un(uint8_t* out, uint64_t source, uint64_t dest, std::string_view path) {
  Cursor(out).byte(KESTREL_AF_UNIX).put(&source, 8).put(&dest, 8).put(path.data(), path.size()).byte(0);
}

}  // namespace

EventBuilder::EventBuilder(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t tgid) {
  begin(type, ts_ns, tid, tgid);
}

void EventBuilder::begin(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t tgid) {
  hdr_ = kestrel_event_hdr{};
  hdr_.ts_ns = ts_ns;
  hdr_.tid = tid;
  hdr_.tgid = tgid;
  hdr_.type = type;
  info_ = &event_info(type);
  next_ = 0;
  nrow_ = static_cast<uint16_t>(info_->params.size());
  if (!status_.ok()) status_ = Status();
  // resize() within capacity does not allocate; the length table is
  // filled in as params are written.
  buf_.resize(KESTREL_EVENT_HDR_SIZE + 2 * size_t{nrow_});
  if (info_->type == KE_NONE) fail("event type " + std::to_string(type) + " is not in the event table");
}

void EventBuilder::fail(std::string message) {
  if (status_.ok()) status_ = Status(StatusCode::kInternal, std::move(message));
}

int EventBuilder::claim(const ParamRef& param, bool (*accepts)(kestrel_param_type), const char* kind) {
  if (!status_.ok()) return -1;
  const std::string_view event = info_->name;
  auto named = [&] {
    if (!param.by_key()) return std::string(param.name());
    const EventInfo& other = event_info(param.key().event);
    std::string n = std::string(other.name) + ".";
    n += param.key().index < other.params.size() ? std::string(other.params[param.key().index].name) : "?";
    return n;
  };
  if (next_ >= nrow_) {
    fail(std::string(event) + ": param " + named() + " written after all " + std::to_string(nrow_) + " params");
    return -1;
  }
  uint16_t index;
  if (param.by_key()) {
    if (param.key().event != hdr_.type) {
      fail(std::string(event) + ": param " + named() + " belongs to another event");
      return -1;
    }
    index = param.key().index;
  } else if (info_->params[next_].name == param.name()) {
    index = next_;  // the usual case: one compare
  } else {
    std::optional<uint16_t> at = info_->param_index(param.name());
    if (!at) {
      fail(std::string(event) + ": no param called " + std::string(param.name()));
      return -1;
    }
    index = *at;
  }
  const ParamInfo& p = info_->params[next_];
  if (index != next_) {
    fail(std::string(event) + ": param " + named() + " (#" + std::to_string(index) + ") written where #" +
         std::to_string(next_) + " (" + std::string(p.name) + ") is due");
    return -1;
  }
  if (!accepts(p.type)) {
    fail(std::string(event) + ": param " + std::string(p.name) + " is " + std::string(param_type_name(p.type)) +
         ", not a " + kind + " value");
    return -1;
  }
  return index;
}

uint8_t* EventBuilder::reserve(int index, size_t len) {
  if (index < 0) return nullptr;
  if (len > UINT16_MAX || buf_.size() + len > KESTREL_MAX_EVENT_SIZE) {
    fail(std::string(info_->name) + ": param " + std::string(info_->params[index].name) + " of " + std::to_string(len) +
         " bytes does not fit a record");
    return nullptr;
  }
  uint16_t len16 = static_cast<uint16_t>(len);
  std::memcpy(buf_.data() + KESTREL_EVENT_HDR_SIZE + 2 * size_t(index), &len16, 2);
  ++next_;
  size_t at = buf_.size();
  buf_.resize(at + len);
  return buf_.data() + at;
}

void EventBuilder::commit(int index, const void* data, size_t len) {
  if (uint8_t* out = reserve(index, len); out != nullptr && len > 0) std::memcpy(out, data, len);
}

EventBuilder& EventBuilder::put_int(const ParamRef& param, int64_t value) {
  int index = claim(param, is_fixed, "fixed-width integer");
  if (index < 0) return *this;
  // Little-endian host: the low `width` bytes are the narrowed value.
  commit(index, &value, param_fixed_size(info_->params[index].type));
  return *this;
}

EventBuilder& EventBuilder::put_str(const ParamRef& param, std::string_view s) {
  uint8_t* out = reserve(claim(param, is_string, "string"), s.size() + 1);
  if (out) Cursor(out).put(s.data(), s.size()).byte(0);
  return *this;
}

EventBuilder& EventBuilder::put_strings(const ParamRef& param, std::span<const std::string_view> items) {
  size_t len = 0;
  for (std::string_view item : items) len += item.size() + 1;
  uint8_t* out = reserve(claim(param, is_string_array, "string list"), len);
  if (!out) return *this;
  Cursor c(out);
  for (std::string_view item : items) c.put(item.data(), item.size()).byte(0);
  return *this;
}

EventBuilder& EventBuilder::put_bytes(const ParamRef& param, std::span<const uint8_t> data) {
  commit(claim(param, is_encoded, "byte"), data.data(), data.size());
  return *this;
}

EventBuilder& EventBuilder::put_unchecked_bytes(const ParamRef& param, std::span<const uint8_t> data) {
  commit(claim(param, is_any, "byte"), data.data(), data.size());
  return *this;
}

EventBuilder& EventBuilder::put_empty(const ParamRef& param) {
  commit(claim(param, is_any, "empty"), nullptr, 0);
  return *this;
}

EventBuilder& EventBuilder::put_sockaddr_in(const ParamRef& param, const uint8_t ip[4], uint16_t port) {
  if (uint8_t* out = reserve(claim(param, is_sockaddr, "sockaddr"), kSockaddrInSize)) write_sockaddr_in(out, ip, port);
  return *this;
}

EventBuilder& EventBuilder::put_sockaddr_in6(const ParamRef& param, const uint8_t ip[16], uint16_t port) {
  if (uint8_t* out = reserve(claim(param, is_sockaddr, "sockaddr"), kSockaddrIn6Size))
    write_sockaddr_in6(out, ip, port);
  return *this;
}

EventBuilder& EventBuilder::put_sockaddr_un(const ParamRef& param, std::string_view path) {
  if (uint8_t* out = reserve(claim(param, is_sockaddr, "sockaddr"), sockaddr_un_size(path)))
    write_sockaddr_un(out, path);
  return *this;
}

EventBuilder& EventBuilder::put_tuple_in(const ParamRef& param, const uint8_t sip[4], uint16_t sport, const uint8_t dip[4],
                                         uint16_t dport) {
  if (uint8_t* out = reserve(claim(param, is_socktuple, "socket tuple"), kTupleInSize))
    write_tuple_in(out, sip, sport, dip, dport);
  return *this;
}

EventBuilder& EventBuilder::put_tuple_in6(const ParamRef& param, const uint8_t sip[16], uint16_t sport, const uint8_t dip[16],
                                          uint16_t dport) {
  if (uint8_t* out = reserve(claim(param, is_socktuple, "socket tuple"), kTupleIn6Size))
    write_tuple_in6(out, sip, sport, dip, dport);
  return *this;
}

EventBuilder& EventBuilder::put_tuple_un(const ParamRef& param, uint64_t source, uint64_t dest, std::string_view path) {
  if (uint8_t* out = reserve(claim(param, is_socktuple, "socket tuple"), tuple_un_size(path)))
    write_tuple_un(out, source, dest, path);
  return *this;
}

Result<std::span<const uint8_t>> EventBuilder::seal(uint16_t nparams) {
  if (!status_.ok()) return status_;
  if (nparams < nrow_) {
    // Close the gap left for the unwritten entries of the length table.
    uint8_t* table_end = buf_.data() + KESTREL_EVENT_HDR_SIZE + 2 * size_t{nparams};
    size_t gap = 2 * size_t(nrow_ - nparams);
    std::memmove(table_end, table_end + gap, buf_.size() - (table_end - buf_.data()) - gap);
    buf_.resize(buf_.size() - gap);
    nrow_ = nparams;  // the record is final until the next begin()
  }
  hdr_.nparams = nparams;
  hdr_.len = static_cast<uint32_t>(buf_.size());
  std::memcpy(buf_.data(), &hdr_, sizeof hdr_);
  return std::span<const uint8_t>(buf_);
}

Result<std::span<const uint8_t>> EventBuilder::finish() {
  if (status_.ok() && next_ != nrow_)
    fail(std::string(info_->name) + ": " + std::to_string(next_) + " of " + std::to_string(nrow_) +
         " params written; next due: " + std::string(info_->params[next_].name));
  return seal(nrow_);
}

Result<std::span<const uint8_t>> EventBuilder::finish_truncated() { return seal(next_); }

std::vector<uint8_t> EventBuilder::finish_or_throw() {
  Result<std::span<const uint8_t>> r = finish();
  if (!r.ok()) throw std::logic_error("EventBuilder: " + r.status().message());
  return std::vector<uint8_t>(r->begin(), r->end());
}

std::vector<uint8_t> encode_sockaddr_in(const uint8_t ip[4], uint16_t port) {
  std::vector<uint8_t> out(kSockaddrInSize);
  write_sockaddr_in(out.data(), ip, port);
  return out;
}

std::vector<uint8_t> encode_sockaddr_in6(const uint8_t ip[16], uint16_t port) {
  std::vector<uint8_t> out(kSockaddrIn6Size);
  write_sockaddr_in6(out.data(), ip, port);
  return out;
}

std::vector<uint8_t> encode_sockaddr_un(std::string_view path) {
  std::vector<uint8_t> out(sockaddr_un_size(path));
  write_sockaddr_un(out.data(), path);
  return out;
}

std::vector<uint8_t> encode_tuple_in(const uint8_t sip[4], uint16_t sport, const uint8_t dip[4], uint16_t dport) {
  std::vector<uint8_t> out(kTupleInSize);
  write_tuple_in(out.data(), sip, sport, dip, dport);
  return out;
}

std::vector<uint8_t> encode_tuple_in6(const uint8_t sip[16], uint16_t sport, const uint8_t dip[16], uint16_t dport) {
  std::vector<uint8_t> out(kTupleIn6Size);
  write_tuple_in6(out.data(), sip, sport, dip, dport);
  return out;
}

std::vector<uint8_t> encode_tuple_un(uint64_t source, uint64_t dest, std::string_view path) {
  std::vector<uint8_t> out(tuple_un_size(path));
  write_tuple_un(out.data(), source, dest, path);
  return out;
}

}  // namespace kestrel
