// sha256.h — driverkit's names for base/sha256.h: artifacts, header .debs
// and indexes are all named by their SHA-256.
#pragma once

#include "base/sha256.h"

namespace kestrel::driverkit {

using kestrel::sha256_file;
using kestrel::sha256_hex;

}  // namespace kestrel::driverkit
