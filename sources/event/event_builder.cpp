#include "sources/event/event_builder.h"

#include <cstring>
#include <stdexcept>

namespace kestrel {

EventBuilder::EventBuilder(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t tgid) {
  hdr_.ts_ns = ts_ns;
  hdr_.tid = tid;
  hdr_.tgid = tgid;
  hdr_.type = type;
}

void EventBuilder::push_param(const void* data, size_t len) {
  // Producers bound variable params well below this; exceeding it is a bug.
  if (len > UINT16_MAX || lens_.size() >= KESTREL_MAX_PARAMS)
    throw std::length_error("event param too large or too many params");
  lens_.push_back(static_cast<uint16_t>(len));
  const auto* p = static_cast<const uint8_t*>(data);
  data_.insert(data_.end(), p, p + len);
}

EventBuilder& EventBuilder::add_int(int64_t value) {
  const auto& params = event_info(hdr_.type).params;
  size_t width = lens_.size() < params.size() ? param_fixed_size(params[lens_.size()].type) : 8;
  if (width == 0) width = 8;
  // Little-endian host: the low `width` bytes are the narrowed value.
  push_param(&value, width);
  return *this;
}

EventBuilder& EventBuilder::add_str(std::string_view s) {
  std::vector<uint8_t> buf(s.begin(), s.end());
  buf.push_back(0);
  push_param(buf.data(), buf.size());
  return *this;
}

EventBuilder& EventBuilder::add_strings(std::span<const std::string_view> items) {
  std::vector<uint8_t> buf;
  for (auto item : items) {
    buf.insert(buf.end(), item.begin(), item.end());
    buf.push_back(0);
  }
  push_param(buf.data(), buf.size());
  return *this;
}

EventBuilder& EventBuilder::add_bytes(std::span<const uint8_t> data) {
  push_param(data.data(), data.size());
  return *this;
}

EventBuilder& EventBuilder::add_empty() {
  push_param(nullptr, 0);
  return *this;
}

std::vector<uint8_t> EventBuilder::finish() const {
  kestrel_event_hdr hdr = hdr_;
  hdr.nparams = static_cast<uint16_t>(lens_.size());
  hdr.len = static_cast<uint32_t>(KESTREL_EVENT_HDR_SIZE + 2 * lens_.size() + data_.size());
  std::vector<uint8_t> out(hdr.len);
  std::memcpy(out.data(), &hdr, sizeof hdr);
  if (!lens_.empty()) std::memcpy(out.data() + KESTREL_EVENT_HDR_SIZE, lens_.data(), 2 * lens_.size());
  if (!data_.empty()) std::memcpy(out.data() + KESTREL_EVENT_HDR_SIZE + 2 * lens_.size(), data_.data(), data_.size());
  return out;
}

namespace {

// Appends fields to a buffer sized up front (GCC 12 mis-warns on
// vector::insert after a brace-initialised first byte).
class Encoder {
 public:
  Encoder(uint8_t family, size_t size) : out_(size) { out_[0] = family; }
  Encoder& put(const void* p, size_t n) {
    if (n == 0) return *this;  // p may be null for an empty path
    std::memcpy(out_.data() + pos_, p, n);
    pos_ += n;
    return *this;
  }
  std::vector<uint8_t> done() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
  size_t pos_ = 1;
};

}  // namespace

std::vector<uint8_t> encode_sockaddr_in(const uint8_t ip[4], uint16_t port) {
  return Encoder(KESTREL_AF_INET, sizeof(kestrel_sockaddr_in)).put(ip, 4).put(&port, 2).done();
}

std::vector<uint8_t> encode_sockaddr_in6(const uint8_t ip[16], uint16_t port) {
  return Encoder(KESTREL_AF_INET6, sizeof(kestrel_sockaddr_in6)).put(ip, 16).put(&port, 2).done();
}

std::vector<uint8_t> encode_sockaddr_un(std::string_view path) {
  // The trailing NUL is the zero the buffer was sized with.
  return Encoder(KESTREL_AF_UNIX, 2 + path.size()).put(path.data(), path.size()).done();
}

std::vector<uint8_t> encode_tuple_in(const uint8_t sip[4], uint16_t sport, const uint8_t dip[4], uint16_t dport) {
  return Encoder(KESTREL_AF_INET, sizeof(kestrel_socktuple_in)).put(sip, 4).put(&sport, 2).put(dip, 4).put(&dport, 2).done();
}

std::vector<uint8_t> encode_tuple_in6(const uint8_t sip[16], uint16_t sport, const uint8_t dip[16], uint16_t dport) {
  return Encoder(KESTREL_AF_INET6, sizeof(kestrel_socktuple_in6)).put(sip, 16).put(&sport, 2).put(dip, 16).put(&dport, 2).done();
}

std::vector<uint8_t> encode_tuple_un(uint64_t source, uint64_t dest, std::string_view path) {
  return Encoder(KESTREL_AF_UNIX, sizeof(kestrel_socktuple_un) + path.size() + 1).put(&source, 8).put(&dest, 8).put(path.data(), path.size()).done();
}

}  // namespace kestrel
