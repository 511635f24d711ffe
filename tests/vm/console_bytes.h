// console_bytes.h — binary data a VM scenario printed on the serial
// console as `gzip -c FILE | base64` between section markers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::testing {

// Decodes base64 text (lines as `base64` prints them). A line with a
// character outside the alphabet (a kernel message on the console) is
// skipped; if it cut a base64 line, the gzip check of the result fails.
std::vector<uint8_t> base64_decode(const std::vector<std::string>& lines);

// base64_decode() then gunzip; empty when the data is not a whole gzip
// stream. The decoded gzip is also written to `save_as` (when not empty)
// so a failure can be looked at.
std::vector<uint8_t> gunzip_base64(const std::vector<std::string>& lines, const std::string& save_as = "");

}  // namespace kestrel::testing
