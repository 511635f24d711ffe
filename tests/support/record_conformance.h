// record_conformance.h — does a record follow kestrel_event.h and the table?
//
// One checker for the output of every producer (eBPF, kmod, gVisor
// converters, plugin host, capture reader, test builders), so a producer
// that drifts from the ABI fails its own tests. record_problems() lists
// every problem it finds, each naming the event, the param and what is
// wrong; an empty list means the record conforms:
//   - the header is whole and `len` equals the record's size;
//   - the type is in the event table;
//   - nparams equals the table's count for the type (current producers
//     write every param; the ABI's "fewer params" rule is for old captures);
//   - the length table and the data add up to `len`;
//   - each param is empty (unreadable) or valid for its type: fixed widths
//     exact; CHARBUF/PATH and CHARBUF_ARRAY end with a NUL; SOCKADDR and
//     SOCKTUPLE have a known family and that family's exact layout
//     (AF_UNIX: a NUL-terminated path after the fixed part).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sources/event/event_view.h"

namespace kestrel::test {

std::vector<std::string> record_problems(std::span<const uint8_t> record);
inline std::vector<std::string> record_problems(const EventView& view) { return record_problems(view.bytes()); }

// The problems joined one per line (for test failure messages).
std::string describe_problems(const std::vector<std::string>& problems);

}  // namespace kestrel::test
