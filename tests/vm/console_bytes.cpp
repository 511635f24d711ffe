#include "tests/vm/console_bytes.h"

#include <zlib.h>

#include <cstdio>

namespace kestrel::testing {

std::vector<uint8_t> base64_decode(const std::vector<std::string>& lines) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (const std::string& line : lines) {
    if (line.find_first_not_of(kAlphabet + "=\r\n ") != std::string::npos) continue;
    for (char c : line) {
      size_t v = kAlphabet.find(c);
      if (v == std::string::npos) continue;  // padding, line ends
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<uint8_t>(acc >> bits));
      }
    }
  }
  return out;
}

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
