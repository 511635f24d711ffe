// kcap_codec.h — converts between Kestrel's plain structs and the kcap.capnp
// messages. Internal to the capture library (it exposes generated types).
//
// Writers are total. Readers take messages from untrusted files: the
// Cap'n Proto accessors they call throw kj::Exception on a malformed
// message, so every read_* call must sit inside the caller's try/catch
// boundary (KcapReader converts the exception to a Status with the frame's
// offset). Nothing here holds on to message memory: results are copies.
#pragma once

#include <cstddef>

#include "sources/capture/kcap.capnp.h"
#include "sources/capture/kcap_format.h"
#include "state/thread_info.h"

namespace kestrel::kcap {

void write_header_message(const KcapHeader& in, schema::Header::Builder out);
KcapHeader read_header_message(schema::Header::Reader in);

// Every field of ThreadInfo and of each of its FdInfo.
void write_thread(const ThreadInfo& in, schema::ThreadInfo::Builder out);
ThreadInfo read_thread(schema::ThreadInfo::Reader in);

// Rough size of `t` once encoded, used to split the snapshot into chunks
// well under kMaxFrameBytes. Errs on the high side.
size_t estimate_encoded_bytes(const ThreadInfo& t);

// FdType from its persisted letter; letters this build does not know
// (written by a newer Kestrel) become FdType::kUnknown.
FdType fd_type_from_char(uint8_t c);

}  // namespace kestrel::kcap
