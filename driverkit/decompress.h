// decompress.h — the compressions an archive's indexes come in.
//
// A Debian mirror serves Packages as .xz and .gz (some suites also plain);
// apt keeps its lists recompressed as .lz4 (KeepCompressedAs). The kind is
// told by the file name's extension, as apt and the archive name them.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kestrel::driverkit {

enum class Compression { kNone, kXz, kGzip, kLz4 };

// From a file name or URL: ".xz", ".gz", ".lz4", else none.
Compression compression_of(std::string_view name);
const char* compression_name(Compression c);  // "xz" | "gz" | "lz4" | "plain"
// The extension with its dot ("" for none).
const char* compression_extension(Compression c);

// The whole decompressed content of DATA. ORIGIN names the input in errors
// (a truncated or corrupt stream is kCorrupt, with what the library said).
Result<std::string> decompress(std::string_view data, Compression c, const std::string& origin);

}  // namespace kestrel::driverkit
