#include <cerrno>
#include <cstring>
#include <fstream>

#include "outputs/output_sink.h"

namespace kestrel::engine {
namespace {

class StreamSink : public OutputSink {
 public:
  StreamSink(std::ostream& out, std::string name) : out_(out), name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  Status write(const Alert&, const std::string& line) override {
    out_ << line << '\n';
    out_.flush();
    if (!out_) return Status(StatusCode::kUnavailable, name_ + ": write failed");
    return ok_status();
  }

 private:
  std::ostream& out_;
  std::string name_;
};

class FileSink : public OutputSink {
 public:
  FileSink(std::string path, bool keep_alive) : path_(std::move(path)), keep_alive_(keep_alive) {}
  std::string_view name() const override { return "file"; }
  Status write(const Alert&, const std::string& line) override {
    if (!file_.is_open()) {
      file_.open(path_, std::ios::app);
      if (!file_) return Status(StatusCode::kUnavailable, "file output: cannot open '" + path_ + "': " + std::strerror(errno));
    }
    file_ << line << '\n';
    file_.flush();
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
  std::ofstream file_;
};

}  // namespace

std::unique_ptr<OutputSink> make_stream_sink(std::ostream& out, std::string name) {
  return std::make_unique<StreamSink>(out, std::move(name));
}

std::unique_ptr<OutputSink> make_file_sink(std::string path, bool keep_alive) {
  return std::make_unique<FileSink>(std::move(path), keep_alive);
}

}  // namespace kestrel::engine
