// console_bytes.h — binary data a VM scenario printed on the serial
// console as `gzip -c FILE | base64` between section markers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::testing {

// base64_decode() (vm_run.h) then gunzip; empty when the data is not a
// whole gzip stream. The decoded gzip is also written to `save_as` (when
// not empty) so a failure can be looked at.
std::vector<uint8_t> gunzip_base64(const std::vector<std::string>& lines, const std::string& save_as = "");

}  // namespace kestrel::testing
