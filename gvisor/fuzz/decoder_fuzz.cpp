// libFuzzer target for the gVisor message decoder: the bytes are one packet
// as a Sentry would send it after the handshake. Beyond "no crash, no
// sanitizer report", every record the decoder produces must be a valid
// record within the ABI limits. Seeds: corpus/ (recorded from real runsc).
//
//   make fuzz            (top-level; builds with clang -fsanitize=fuzzer)
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gvisor/message_decoder.h"
#include "gvisor/wire.h"
#include "sources/event/event_view.h"

using kestrel::EventView;
using namespace kestrel::gvisor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MessageDecoder decoder;
  static SandboxState sandbox(1);
  static RecordArena out;
  std::span<const uint8_t> packet(data, size);
  (void)parse_handshake(packet);
  decoder.decode(packet, sandbox, out);
  for (size_t i = 0; i < out.size(); ++i) {
    auto v = EventView::parse(out.record(i));
    if (!v.ok() || v->len() > KESTREL_MAX_EVENT_SIZE) std::abort();
    (void)out.context(i);
  }
  out.clear();
  if (sandbox.containers.size() > 60) sandbox = SandboxState(1);
  return 0;
}
