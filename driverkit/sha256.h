// sha256.h — SHA-256 as lower-case hex (OpenSSL), of text or of a file:
// artifacts, header .debs and indexes are all named by it.
#pragma once
#include <string>
#include <string_view>

#include "base/status.h"

namespace kestrel::driverkit {

// Lower-case hex SHA-256 of TEXT.
std::string sha256_hex(std::string_view text);
// Lower-case hex SHA-256 of the file's bytes.
Result<std::string> sha256_file(const std::string& path);

}  // namespace kestrel::driverkit
