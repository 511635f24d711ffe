// sha256.h — SHA-256 (OpenSSL) as lower-case hex: of bytes, of an open file
// up to a bound, of a file by path. The one implementation behind driver
// artifacts and indexes, the rules/config file digests and proc.exe_sha256.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kestrel {

// Lower-case hex of a digest's raw bytes (one a producer sent, e.g. gVisor's).
std::string digest_hex(std::span<const uint8_t> digest);

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

// Into `hex`: the SHA-256 of open file `fd`'s bytes from offset 0 to its end
// (pread, so the fd's offset is left alone), reading at most `max_bytes` + 1;
// `bytes_read` says how many (over `max_bytes`: the file grew, `hex` is not
// its digest). False on a read error.
bool sha256_fd_hex(int fd, uint64_t max_bytes, std::string& hex, uint64_t& bytes_read);

// Lower-case hex SHA-256 of the file's bytes; kNotFound naming the file and
// the reason when it cannot be opened, kInternal when it cannot be read.
Result<std::string> sha256_file(const std::string& path);

}  // namespace kestrel
