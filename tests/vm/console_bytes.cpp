#include "tests/vm/console_bytes.h"

#include <zlib.h>

#include <cstdio>

#include "tests/vm/vm_run.h"

namespace kestrel::testing {

std::vector<uint8_t> gunzip_base64(const std::vector<std::string>& lines, const std::string& save_as) {
  std::vector<uint8_t> gz = base64_decode(lines);
  if (!save_as.empty())
    if (FILE* f = std::fopen(save_as.c_str(), "wb")) {
      std::fwrite(gz.data(), 1, gz.size(), f);
      std::fclose(f);
    }
  std::vector<uint8_t> out;
  z_stream zs{};
  if (gz.empty() || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return out;
  zs.next_in = gz.data();
  zs.avail_in = static_cast<uInt>(gz.size());
  uint8_t buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), buf, buf + (sizeof buf - zs.avail_out));
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) out.clear();
  return out;
}

}  // namespace kestrel::testing
