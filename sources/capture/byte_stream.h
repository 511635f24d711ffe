// byte_stream.h — sequential file input/output for capture files, plain or
// gzip-compressed.
//
// The kcap reader and writer only need "read the next n bytes" and "append
// these bytes"; these interfaces give them that over a plain file (buffered
// read(2)/write(2)) or a gzip file (zlib), so the frame logic is written
// once. Offsets that readers report are positions in the *uncompressed*
// stream. Neither interface throws; errors are Status values naming the
// path and the OS or zlib reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::kcap {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Fills `out` from the input. Returns how many bytes were read: fewer
  // than out.size() only when the input ended. An error (I/O failure, a
  // corrupt or truncated gzip stream) leaves the source unusable.
  virtual Result<size_t> read(std::span<uint8_t> out) = 0;

  // The next `n` bytes without copying them, when the source can lend them
  // (a plain regular file, from its read buffer): a view valid until the
  // next read() or borrow(); the bytes count as read. nullptr when it cannot
  // (gzip, pipes, `n` above the buffer, fewer than `n` bytes left, a read
  // error): read() them instead, which reports a short or failed read as
  // it always does, from the same position.
  // Returns where the `n` bytes start, or nullptr (a pointer, not an
  // optional span: returned in a register, per block of a replay).
  virtual const uint8_t* borrow(size_t n) {
    (void)n;
    return nullptr;
  }

  // The bytes already buffered past the read position, not consumed (a
  // plain regular file's read buffer): a view valid until the next read(),
  // borrow() or consume(). Empty when the source cannot lend. Lets a reader
  // walk many small records in place with no call per record.
  virtual std::span<const uint8_t> buffered() const { return {}; }
  // Consumes the first `n` bytes of buffered() (n <= its size).
  virtual void consume(size_t n) { (void)n; }

  // True if the input is gzip-compressed.
  virtual bool compressed() const = 0;

  // Thread-safe: makes a read() waiting on a pipe or socket (a capture
  // streamed through a FIFO) return an error now, and every later read()
  // too. Reads of regular files never wait and are not affected. A gzip
  // stream from a pipe is not interruptible.
  virtual void interrupt() {}
};

// Opens `path` for reading. A file starting with the gzip magic (1f 8b) is
// decompressed transparently; anything else is read as is. A FIFO or pipe
// too: its first read() takes the magic and decides (a read that may wait
// for the writer, and so stays interruptible). kNotFound if the file does
// not exist, kPermissionDenied / kUnavailable for other failures.
Result<std::unique_ptr<ByteSource>> open_byte_source(const std::string& path);

// `head` (bytes already read from `rest`, to look at them), then `rest`:
// lets a reader be chosen by content on input that cannot seek back.
std::unique_ptr<ByteSource> prefixed_source(std::vector<uint8_t> head, std::unique_ptr<ByteSource> rest);

class ByteSink {
 public:
  virtual ~ByteSink() = default;

  // Appends `data`. Buffered: an error may surface on a later call or in
  // finish().
  virtual Status write(std::span<const uint8_t> data) = 0;

  // Flushes and closes the file. Idempotent: later calls return ok and
  // write() then fails. The destructor calls it and drops its result.
  virtual Status finish() = 0;
};

// Creates (or truncates) `path` with mode 0600: captures hold command lines
// and environments, which often carry secrets. gzip = compress with zlib.
Result<std::unique_ptr<ByteSink>> open_byte_sink(const std::string& path, bool gzip);

}  // namespace kestrel::kcap
