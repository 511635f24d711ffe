// event_builder.h — writes event records in userspace.
//
// Userspace producers (gVisor decoder, plugins, capture import, tests) build
// the same record the kernel side writes. Params are appended in table
// order; integer params take the width the table declares for them, so a
// producer cannot write an int64 where readers expect a uint32.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sources/event/event_table.h"

namespace kestrel {

class EventBuilder {
 public:
  EventBuilder(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t tgid);

  // Appends the next param. An integer is narrowed to the table width.
  EventBuilder& add_int(int64_t value);
  EventBuilder& add_str(std::string_view s);  // CHARBUF/PATH, NUL added
  EventBuilder& add_strings(std::span<const std::string_view> items);  // CHARBUF_ARRAY
  EventBuilder& add_bytes(std::span<const uint8_t> data);  // BYTES, SOCKADDR, SOCKTUPLE
  EventBuilder& add_empty();  // a param whose value could not be read

  // The finished record (nparams = params added so far).
  std::vector<uint8_t> finish() const;

 private:
  void push_param(const void* data, size_t len);

  kestrel_event_hdr hdr_{};
  std::vector<uint16_t> lens_;
  std::vector<uint8_t> data_;
};

// Encoders for SOCKADDR and SOCKTUPLE params (layout in kestrel_event.h).
// IPs are given in network order, ports in host order.
std::vector<uint8_t> encode_sockaddr_in(const uint8_t ip[4], uint16_t port);
std::vector<uint8_t> encode_sockaddr_in6(const uint8_t ip[16], uint16_t port);
std::vector<uint8_t> encode_sockaddr_un(std::string_view path);
std::vector<uint8_t> encode_tuple_in(const uint8_t sip[4], uint16_t sport, const uint8_t dip[4], uint16_t dport);
std::vector<uint8_t> encode_tuple_in6(const uint8_t sip[16], uint16_t sport, const uint8_t dip[16], uint16_t dport);
std::vector<uint8_t> encode_tuple_un(uint64_t source, uint64_t dest, std::string_view path);

}  // namespace kestrel
