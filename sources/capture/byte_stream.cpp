#include "sources/capture/byte_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "sources/capture/read_ahead.h"

namespace kestrel::kcap {

namespace {

Status os_error(const std::string& what, const std::string& path, int err) {
  StatusCode code = StatusCode::kUnavailable;
  if (err == ENOENT) code = StatusCode::kNotFound;
  if (err == EACCES || err == EPERM) code = StatusCode::kPermissionDenied;
  return Status(code, what + " " + path + ": " + std::strerror(err), SourcePosition{path});
}

// Plain file input. Small reads (frame headers) are served from a buffer so
// they do not cost a syscall each; large reads (frame payloads) go straight
// into the caller's memory. A regular file larger than one buffer is then
// read ahead by another thread (read_ahead.h), whose chunks are read and
// lent in place: the kernel's copy from the page cache runs beside the
// reader instead of in its way.
class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)), buf_(kBufferSize) {
    data_ = buf_.data();
    struct stat st {};
    if (::fstat(fd_, &st) == 0) {
      regular_ = S_ISREG(st.st_mode);
      if (!regular_) interrupt_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
  }
  ~FileSource() override {
    ahead_.reset();  // its thread reads fd_
    ::close(fd_);
    if (interrupt_fd_ >= 0) ::close(interrupt_fd_);
  }

  void interrupt() override {
    uint64_t one = 1;
    if (interrupt_fd_ >= 0) [[maybe_unused]] ssize_t w = ::write(interrupt_fd_, &one, sizeof one);
  }

  std::span<const uint8_t> buffered() const override {
    if (!regular_) return {};
    return {data_ + pos_, end_ - pos_};
  }
  void consume(size_t n) override { pos_ += n; }

  // Regular files only: a read error is left for the read() that follows
  // to report. Blocks larger than the buffer are read(), not lent.
  const uint8_t* borrow(size_t n) override {
    if (!regular_ || n > buf_.size()) return nullptr;
    if (end_ - pos_ < n && !take_ahead(n)) {
      // Moves the buffered tail to the front and fills the rest.
      std::memmove(buf_.data(), data_ + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
      while (end_ < n) {
        ssize_t got = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return nullptr;
        end_ += static_cast<size_t>(got);
        read_alone_ += static_cast<size_t>(got);
      }
    }
    const uint8_t* view = data_ + pos_;
    pos_ += n;
    return view;
  }

  Result<size_t> read(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      if (pos_ < end_) {
        size_t n = std::min(end_ - pos_, out.size() - done);
        std::memcpy(out.data() + done, data_ + pos_, n);
        pos_ += n;
        done += n;
        continue;
      }
      if (take_ahead(1)) continue;
      if (Status s = wait_readable(); !s.ok()) return s;
      size_t want = out.size() - done;
      bool direct = want >= buf_.size();
      uint8_t* dst = direct ? out.data() + done : buf_.data();
      ssize_t got = ::read(fd_, dst, direct ? want : buf_.size());
      if (got < 0) {
        if (errno == EINTR) continue;
        return os_error("cannot read", path_, errno);
      }
      if (got == 0) break;
      read_alone_ += static_cast<size_t>(got);
      if (direct) {
        done += static_cast<size_t>(got);
      } else {
        pos_ = 0;
        end_ = static_cast<size_t>(got);
      }
    }
    return done;
  }

  bool compressed() const override { return false; }

 private:
  // Makes at least `n` bytes (n <= ReadAhead::kHeadroom) lie in place from
  // pos_ on, from the read-ahead thread's chunks (started here once the
  // file proved larger than a buffer): true. False once that thread has
  // stopped and its last chunk is used up: the buffered tail is then back
  // in buf_, and the caller reads from the fd itself, from where the
  // thread stopped.
  bool take_ahead(size_t n) {
    if (!regular_ || ahead_over_) return false;
    if (!ahead_) {
      if (read_alone_ < kBufferSize) return false;  // small files: no thread
      ahead_ = std::make_unique<ReadAhead>(fd_);
    }
    while (end_ - pos_ < n) {
      const size_t tail = end_ - pos_;
      if (chunk_ != nullptr && chunk_->last) {
        // The thread has stopped: the tail goes back to buf_.
        std::memcpy(buf_.data(), data_ + pos_, tail);
        ahead_->give_back(chunk_);
        chunk_ = nullptr;
        ahead_.reset();
        ahead_over_ = true;
        data_ = buf_.data();
        pos_ = 0;
        end_ = tail;
        return false;
      }
      ReadAhead::Chunk* next = ahead_->take();
      uint8_t* front = next->data() - tail;
      std::memcpy(front, data_ + pos_, tail);
      if (chunk_ != nullptr) ahead_->give_back(chunk_);
      chunk_ = next;
      data_ = front;
      pos_ = 0;
      end_ = tail + next->size;
    }
    return true;
  }

  // A pipe may keep us waiting for its writer indefinitely: wait with the
  // interrupt eventfd beside it.
  Status wait_readable() {
    if (interrupt_fd_ < 0) return ok_status();
    pollfd fds[2] = {{fd_, POLLIN, 0}, {interrupt_fd_, POLLIN, 0}};
    while (::poll(fds, 2, -1) < 0)
      if (errno != EINTR) return os_error("cannot wait for", path_, errno);
    if (fds[1].revents & POLLIN) return Status(StatusCode::kUnavailable, "reading " + path_ + " was interrupted");
    return ok_status();
  }

  static constexpr size_t kBufferSize = ReadAhead::kHeadroom;
  int fd_;
  int interrupt_fd_ = -1;  // only for inputs that can block (pipes, sockets)
  std::string path_;
  // Not zeroed: filled by read(2). Zero-filled, its 64 pages were touched
  // (a page fault each, ~20 us in a VM) by every open, the head check of
  // is_scap_file() included, which reads a few bytes.
  struct Buffer {
    explicit Buffer(size_t n) : mem(new uint8_t[n]), n(n) {}
    uint8_t* data() { return mem.get(); }
    size_t size() const { return n; }
    std::unique_ptr<uint8_t[]> mem;
    size_t n;
  };
  Buffer buf_;
  // The bytes read and not consumed: [data_ + pos_, data_ + end_), in buf_
  // or in the read-ahead chunk_.
  uint8_t* data_ = nullptr;
  size_t pos_ = 0, end_ = 0;
  bool regular_ = false;
  uint64_t read_alone_ = 0;  // bytes this thread read itself
  std::unique_ptr<ReadAhead> ahead_;
  ReadAhead::Chunk* chunk_ = nullptr;
  bool ahead_over_ = false;
};

class GzipSource final : public ByteSource {
 public:
  GzipSource(gzFile gz, std::string path) : gz_(gz), path_(std::move(path)) {}
  ~GzipSource() override { gzclose_r(gz_); }

  Result<size_t> read(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(out.size() - done, 1u << 30));
      int got = gzread(gz_, out.data() + done, chunk);
      if (got < 0) {
        int errnum = 0;
        const char* msg = gzerror(gz_, &errnum);
        if (errnum == Z_ERRNO) return os_error("cannot read", path_, errno);
        // zlib reports a stream cut short as Z_BUF_ERROR.
        StatusCode code = errnum == Z_BUF_ERROR ? StatusCode::kTruncated : StatusCode::kCorrupt;
        return Status(code, "gzip stream of " + path_ + ": " + (msg ? msg : "error"), SourcePosition{path_});
      }
      if (got == 0) {
        // gzread() reports a stream cut short (even one missing only its
        // crc trailer) as a plain end of file; gzerror() still knows.
        int errnum = Z_OK;
        gzerror(gz_, &errnum);
        if (errnum == Z_BUF_ERROR)
          return Status(StatusCode::kTruncated, "gzip stream of " + path_ + " ends unexpectedly",
                        SourcePosition{path_});
        break;
      }
      done += static_cast<size_t>(got);
    }
    return done;
  }

  bool compressed() const override { return true; }

 private:
  gzFile gz_;
  std::string path_;
};

class FileSink final : public ByteSink {
 public:
  FileSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) { buf_.reserve(kBufferSize); }
  ~FileSink() override { (void)finish(); }

  Status write(std::span<const uint8_t> data) override {
    if (fd_ < 0) return Status(StatusCode::kInternal, "write to closed capture file " + path_);
    if (buf_.size() + data.size() > kBufferSize) {
      Status st = flush();
      if (!st.ok()) return st;
    }
    if (data.size() >= kBufferSize) return write_all(data);
    buf_.insert(buf_.end(), data.begin(), data.end());
    return ok_status();
  }

  Status finish() override {
    if (fd_ < 0) return ok_status();
    Status st = flush();
    if (::close(fd_) != 0 && st.ok()) st = os_error("cannot close", path_, errno);
    fd_ = -1;
    return st;
  }

 private:
  static constexpr size_t kBufferSize = 256 * 1024;

  Status flush() {
    Status st = write_all(buf_);
    buf_.clear();
    return st;
  }

  Status write_all(std::span<const uint8_t> data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return os_error("cannot write", path_, errno);
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return ok_status();
  }

  int fd_;
  std::string path_;
  std::vector<uint8_t> buf_;
};

class GzipSink final : public ByteSink {
 public:
  GzipSink(gzFile gz, std::string path) : gz_(gz), path_(std::move(path)) {}
  ~GzipSink() override { (void)finish(); }

  Status write(std::span<const uint8_t> data) override {
    if (gz_ == nullptr) return Status(StatusCode::kInternal, "write to closed capture file " + path_);
    while (!data.empty()) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(data.size(), 1u << 30));
      int n = gzwrite(gz_, data.data(), chunk);
      if (n <= 0) {
        int errnum = 0;
        const char* msg = gzerror(gz_, &errnum);
        if (errnum == Z_ERRNO) return os_error("cannot write", path_, errno);
        return Status(StatusCode::kInternal, "gzip write to " + path_ + ": " + (msg ? msg : "error"));
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return ok_status();
  }

  Status finish() override {
    if (gz_ == nullptr) return ok_status();
    int rc = gzclose_w(gz_);
    gz_ = nullptr;
    if (rc == Z_ERRNO) return os_error("cannot close", path_, errno);
    if (rc != Z_OK) return Status(StatusCode::kInternal, "gzip close of " + path_ + " failed");
    return ok_status();
  }

 private:
  gzFile gz_;
  std::string path_;
};

// Bytes already taken from `inner` (a head looked at to choose a reader),
// then the rest of `inner`.
class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::vector<uint8_t> head, std::unique_ptr<ByteSource> inner)
      : head_(std::move(head)), inner_(std::move(inner)) {}

  Result<size_t> read(std::span<uint8_t> out) override {
    size_t done = std::min(out.size(), head_.size() - pos_);
    std::memcpy(out.data(), head_.data() + pos_, done);
    pos_ += done;
    if (done == out.size()) return done;
    auto got = inner_->read(out.subspan(done));
    if (!got.ok()) return got.status();
    return done + *got;
  }
  bool compressed() const override { return inner_->compressed(); }
  void interrupt() override { inner_->interrupt(); }

 private:
  std::vector<uint8_t> head_;
  size_t pos_ = 0;
  std::unique_ptr<ByteSource> inner_;
};

// gzip decompression of another source's bytes: for input that cannot be
// reopened by zlib's own file functions after its magic was read (a FIFO).
// Concatenated gzip members are read as one stream, as gzread() does.
class InflateSource final : public ByteSource {
 public:
  InflateSource(std::unique_ptr<ByteSource> inner, std::string path)
      : inner_(std::move(inner)), path_(std::move(path)), in_(kChunk) {}
  ~InflateSource() override {
    if (started_) inflateEnd(&z_);
  }

  Result<size_t> read(std::span<uint8_t> out) override {
    if (!started_) {
      z_ = {};
      if (inflateInit2(&z_, 15 + 16) != Z_OK)
        return Status(StatusCode::kUnavailable, "cannot start gzip decompression of " + path_, SourcePosition{path_});
      started_ = true;
    }
    size_t done = 0;
    while (done < out.size() && !ended_) {
      if (z_.avail_in == 0) {
        auto got = inner_->read(in_);
        if (!got.ok()) return got.status();
        if (*got == 0) {
          if (member_open_)
            return Status(StatusCode::kTruncated, "gzip stream of " + path_ + " ends unexpectedly",
                          SourcePosition{path_});
          ended_ = true;
          break;
        }
        z_.next_in = in_.data();
        z_.avail_in = static_cast<uInt>(*got);
      }
      member_open_ = true;
      z_.next_out = out.data() + done;
      z_.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - done, 1u << 30));
      const uInt before = z_.avail_out;
      int rc = inflate(&z_, Z_NO_FLUSH);
      done += before - z_.avail_out;
      if (rc == Z_STREAM_END) {
        member_open_ = false;
        inflateReset(&z_);  // another member may follow
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Status(StatusCode::kCorrupt, "gzip stream of " + path_ + ": " + (z_.msg ? z_.msg : "error"),
                      SourcePosition{path_});
      }
    }
    return done;
  }
  bool compressed() const override { return true; }
  void interrupt() override { inner_->interrupt(); }

 private:
  static constexpr size_t kChunk = 64 * 1024;
  std::unique_ptr<ByteSource> inner_;
  std::string path_;
  std::vector<uint8_t> in_;
  z_stream z_{};
  bool started_ = false, member_open_ = false, ended_ = false;
};

// Input that cannot be peeked with pread (a FIFO, a pipe on stdin): the
// gzip magic is read on the first read(), which may wait for the writer and
// so stays interruptible, and decides between plain and gzip.
class StreamSource final : public ByteSource {
 public:
  StreamSource(int fd, std::string path) : path_(std::move(path)) {
    auto file = std::make_unique<FileSource>(fd, path_);
    file_ = file.get();
    pending_ = std::move(file);
  }

  Result<size_t> read(std::span<uint8_t> out) override {
    if (!impl_) {
      std::vector<uint8_t> magic(2);
      auto got = pending_->read(magic);
      if (!got.ok()) return got.status();
      magic.resize(*got);
      gzip_ = magic.size() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
      std::unique_ptr<ByteSource> plain = std::make_unique<PrefixedSource>(std::move(magic), std::move(pending_));
      impl_ = gzip_ ? std::make_unique<InflateSource>(std::move(plain), path_) : std::move(plain);
    }
    return impl_->read(out);
  }
  bool compressed() const override { return gzip_; }
  void interrupt() override { file_->interrupt(); }

 private:
  std::string path_;
  FileSource* file_;  // owned by pending_, then by impl_
  std::unique_ptr<ByteSource> pending_;
  std::unique_ptr<ByteSource> impl_;
  bool gzip_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> prefixed_source(std::vector<uint8_t> head, std::unique_ptr<ByteSource> rest) {
  return std::make_unique<PrefixedSource>(std::move(head), std::move(rest));
}

Result<std::unique_ptr<ByteSource>> open_byte_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open", path, errno);
  // Peek without consuming; a pipe cannot be peeked: its first read decides.
  uint8_t magic[2] = {0, 0};
  const ssize_t peeked = ::pread(fd, magic, 2, 0);
  if (peeked < 0 && errno == ESPIPE) return std::unique_ptr<ByteSource>(new StreamSource(fd, path));
  bool gzip = peeked == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (!gzip) return std::unique_ptr<ByteSource>(new FileSource(fd, path));
  gzFile gz = gzdopen(fd, "rb");
  if (gz == nullptr) {
    ::close(fd);
    return Status(StatusCode::kUnavailable, "cannot start gzip decompression of " + path, SourcePosition{path});
  }
  gzbuffer(gz, 128 * 1024);
  return std::unique_ptr<ByteSource>(new GzipSource(gz, path));
}

Result<std::unique_ptr<ByteSink>> open_byte_sink(const std::string& path, bool gzip) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return os_error("cannot create", path, errno);
  if (!gzip) return std::unique_ptr<ByteSink>(new FileSink(fd, path));
  gzFile gz = gzdopen(fd, "wb6");
  if (gz == nullptr) {
    ::close(fd);
    return Status(StatusCode::kUnavailable, "cannot start gzip compression of " + path, SourcePosition{path});
  }
  gzbuffer(gz, 128 * 1024);
  return std::unique_ptr<ByteSink>(new GzipSink(gz, path));
}

}  // namespace kestrel::kcap
