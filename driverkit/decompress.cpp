#include "driverkit/decompress.h"

#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include <memory>

namespace kestrel::driverkit {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr size_t kChunk = 1 << 20;

Result<std::string> unxz(std::string_view data, const std::string& origin) {
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return Status(StatusCode::kInternal, origin + ": cannot start the xz decoder");
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&strm, lzma_end);
  std::string out;
  strm.next_in = reinterpret_cast<const uint8_t*>(data.data());
  strm.avail_in = data.size();
  for (;;) {
    size_t have = out.size();
    out.resize(have + kChunk);
    strm.next_out = reinterpret_cast<uint8_t*>(out.data() + have);
    strm.avail_out = kChunk;
    lzma_ret rc = lzma_code(&strm, LZMA_FINISH);
    out.resize(have + kChunk - strm.avail_out);
    if (rc == LZMA_STREAM_END) return out;
    if (rc != LZMA_OK)
      return Status(StatusCode::kCorrupt, origin + ": xz data is corrupt or truncated (liblzma error " +
                                              std::to_string(static_cast<int>(rc)) + ")");
  }
}

Result<std::string> ungzip(std::string_view data, const std::string& origin) {
  z_stream strm{};
  // 15 + 32: a zlib or gzip header, detected.
  if (inflateInit2(&strm, 15 + 32) != Z_OK) return Status(StatusCode::kInternal, origin + ": cannot start zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&strm, inflateEnd);
  std::string out;
  strm.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  strm.avail_in = static_cast<uInt>(data.size());
  for (;;) {
    size_t have = out.size();
    out.resize(have + kChunk);
    strm.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    strm.avail_out = kChunk;
    int rc = inflate(&strm, Z_NO_FLUSH);
    out.resize(have + kChunk - strm.avail_out);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members (gzip -c a >> b) are one file to zcat.
      if (strm.avail_in == 0) return out;
      if (inflateReset(&strm) != Z_OK) return Status(StatusCode::kInternal, origin + ": zlib reset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR && strm.avail_in == 0)
      return Status(StatusCode::kTruncated, origin + ": gzip data ends early");
    if (rc != Z_OK)
      return Status(StatusCode::kCorrupt,
                    origin + ": gzip data is corrupt (" + (strm.msg ? strm.msg : std::to_string(rc)) + ")");
  }
}

Result<std::string> unlz4(std::string_view data, const std::string& origin) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
    return Status(StatusCode::kInternal, origin + ": cannot start the lz4 decoder");
  std::unique_ptr<LZ4F_dctx, size_t (*)(LZ4F_dctx*)> guard(ctx, LZ4F_freeDecompressionContext);
  std::string out;
  const char* in = data.data();
  size_t left = data.size();
  size_t hint = 1;
  while (left > 0) {
    size_t have = out.size();
    out.resize(have + kChunk);
    size_t out_size = kChunk;
    size_t in_size = left;
    hint = LZ4F_decompress(ctx, out.data() + have, &out_size, in, &in_size, nullptr);
    out.resize(have + out_size);
    if (LZ4F_isError(hint))
      return Status(StatusCode::kCorrupt, origin + ": lz4 data is corrupt (" + LZ4F_getErrorName(hint) + ")");
    in += in_size;
    left -= in_size;
    if (in_size == 0 && out_size == 0) break;  // no progress: the stream wants input we do not have
  }
  // Flush what the decoder still holds; a frame not finished is truncated.
  while (hint != 0) {
    size_t have = out.size();
    out.resize(have + kChunk);
    size_t out_size = kChunk;
    size_t in_size = 0;
    hint = LZ4F_decompress(ctx, out.data() + have, &out_size, in, &in_size, nullptr);
    out.resize(have + out_size);
    if (LZ4F_isError(hint))
      return Status(StatusCode::kCorrupt, origin + ": lz4 data is corrupt (" + LZ4F_getErrorName(hint) + ")");
    if (out_size == 0 && hint != 0) return Status(StatusCode::kTruncated, origin + ": lz4 data ends early");
  }
  return out;
}

}  // namespace

Compression compression_of(std::string_view name) {
  if (ends_with(name, ".xz")) return Compression::kXz;
  if (ends_with(name, ".gz")) return Compression::kGzip;
  if (ends_with(name, ".lz4")) return Compression::kLz4;
  return Compression::kNone;
}

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::kNone: return "plain";
    case Compression::kXz: return "xz";
    case Compression::kGzip: return "gz";
    case Compression::kLz4: return "lz4";
  }
  return "?";
}

const char* compression_extension(Compression c) {
  switch (c) {
    case Compression::kNone: return "";
    case Compression::kXz: return ".xz";
    case Compression::kGzip: return ".gz";
    case Compression::kLz4: return ".lz4";
  }
  return "";
}

Result<std::string> decompress(std::string_view data, Compression c, const std::string& origin) {
  switch (c) {
    case Compression::kNone: return std::string(data);
    case Compression::kXz: return unxz(data, origin);
    case Compression::kGzip: return ungzip(data, origin);
    case Compression::kLz4: return unlz4(data, origin);
  }
  return Status(StatusCode::kInternal, "unknown compression");
}

}  // namespace kestrel::driverkit
