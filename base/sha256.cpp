#include "base/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

namespace kestrel {

std::string digest_hex(std::span<const uint8_t> digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 0xf];
  }
  return out;
}

namespace {

std::string hex(const unsigned char* digest, unsigned int len) { return digest_hex({digest, len}); }

struct EvpCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return hex(digest, len);
}

bool sha256_fd_hex(int fd, uint64_t max_bytes, std::string& out, uint64_t& bytes_read) {
  bytes_read = 0;
  std::unique_ptr<EVP_MD_CTX, EvpCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return false;
  std::array<unsigned char, 1 << 16> buf;
  while (bytes_read <= max_bytes) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(bytes_read));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    if (EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n)) != 1) return false;
    bytes_read += static_cast<uint64_t>(n);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &md_len) != 1) return false;
  out = hex(md, md_len);
  return true;
}

Result<std::string> sha256_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(StatusCode::kNotFound, "cannot read " + path + ": " + std::strerror(errno));
  std::string digest;
  uint64_t bytes = 0;
  const bool ok = sha256_fd_hex(fd, std::numeric_limits<uint64_t>::max() - 1, digest, bytes);
  const int saved = errno;
  ::close(fd);
  if (!ok) return Status(StatusCode::kInternal, "cannot read " + path + ": " + std::strerror(saved));
  return digest;
}

}  // namespace kestrel
