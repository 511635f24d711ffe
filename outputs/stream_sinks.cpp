#include <cerrno>
#include <cstring>
#include <fstream>

#include "outputs/output_sink.h"

namespace kestrel::engine {
namespace {

class StreamSink : public OutputSink {
 public:
  StreamSink(std::ostream& out, std::string name, bool buffered)
      : out_(out), name_(std::move(name)), buffered_(buffered) {}
  std::string_view name() const override { return name_; }
  Status write(const Alert&, const std::string& line) override {
    out_ << line << '\n';
    if (!buffered_) out_.flush();
    if (!out_) return Status(StatusCode::kUnavailable, name_ + ": write failed");
    return ok_status();
  }
  void flush() override { out_.flush(); }

 private:
  std::ostream& out_;
  std::string name_;
  bool buffered_;
};

class FileSink : public OutputSink {
 public:
  FileSink(std::string path, bool keep_alive, bool buffered)
      : path_(std::move(path)), keep_alive_(keep_alive), buffered_(buffered) {}
  std::string_view name() const override { return "file"; }
  Status write(const Alert&, const std::string& line) override {
    if (!file_.is_open()) {
      file_.open(path_, std::ios::app);
      if (!file_) return Status(StatusCode::kUnavailable, "file output: cannot open '" + path_ + "': " + std::strerror(errno));
    }
    file_ << line << '\n';
    if (!buffered_ || !keep_alive_) file_.flush();
    bool ok = static_cast<bool>(file_);
    if (!keep_alive_ || !ok) file_.close();
    if (!ok) return Status(StatusCode::kUnavailable, "file output: write to '" + path_ + "' failed");
    return ok_status();
  }
  void flush() override {
    if (file_.is_open()) file_.flush();
  }
  void reopen() override { file_.close(); }

 private:
  std::string path_;
  bool keep_alive_;
  bool buffered_;
  std::ofstream file_;
};

}  // namespace

std::unique_ptr<OutputSink> make_stream_sink(std::ostream& out, std::string name, bool buffered) {
  return std::make_unique<StreamSink>(out, std::move(name), buffered);
}

std::unique_ptr<OutputSink> make_file_sink(std::string path, bool keep_alive, bool buffered) {
  return std::make_unique<FileSink>(std::move(path), keep_alive, buffered);
}

}  // namespace kestrel::engine
