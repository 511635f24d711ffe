// timestamped_log.h — log lines that start with the time, as Falco's with
// time_format_iso_8601: "2016-08-04T16:17:57+0000: kestrel: ...".
//
// A streambuf in front of the log stream's: at the start of every line it
// writes the current UTC time, then passes the line through unchanged.
// Used by one thread at a time, like the log stream it wraps.
#pragma once

#include <ctime>
#include <streambuf>
#include <string>

namespace kestrel {

class TimestampedLogBuf : public std::streambuf {
 public:
  explicit TimestampedLogBuf(std::streambuf* target) : target_(target) {}

  // "YYYY-MM-DDTHH:MM:SS+0000" for `t` in UTC.
  static std::string iso_time(std::time_t t) {
    struct tm tm {};
    gmtime_r(&t, &tm);
    char text[40];
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+0000", &tm);
    return text;
  }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    if (at_line_start_) {
      const std::string prefix = iso_time(std::time(nullptr)) + ": ";
      if (target_->sputn(prefix.data(), static_cast<std::streamsize>(prefix.size())) !=
          static_cast<std::streamsize>(prefix.size()))
        return traits_type::eof();
      at_line_start_ = false;
    }
    if (c == '\n') at_line_start_ = true;
    return target_->sputc(static_cast<char>(c));
  }
  int sync() override { return target_->pubsync(); }

 private:
  std::streambuf* target_;
  bool at_line_start_ = true;
};

}  // namespace kestrel
