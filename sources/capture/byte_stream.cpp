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
// into the caller's memory.
class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)), buf_(kBufferSize) {
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && !S_ISREG(st.st_mode)) interrupt_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~FileSource() override {
    ::close(fd_);
    if (interrupt_fd_ >= 0) ::close(interrupt_fd_);
  }

  void interrupt() override {
    uint64_t one = 1;
    if (interrupt_fd_ >= 0) [[maybe_unused]] ssize_t w = ::write(interrupt_fd_, &one, sizeof one);
  }

  Result<size_t> read(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      if (pos_ < end_) {
        size_t n = std::min(end_ - pos_, out.size() - done);
        std::memcpy(out.data() + done, buf_.data() + pos_, n);
        pos_ += n;
        done += n;
        continue;
      }
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

  static constexpr size_t kBufferSize = 64 * 1024;
  int fd_;
  int interrupt_fd_ = -1;  // only for inputs that can block (pipes, sockets)
  std::string path_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, end_ = 0;
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

}  // namespace

Result<std::unique_ptr<ByteSource>> open_byte_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open", path, errno);
  // Peek without consuming; a pipe cannot be peeked, so it is read as plain.
  uint8_t magic[2] = {0, 0};
  bool gzip = ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
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
