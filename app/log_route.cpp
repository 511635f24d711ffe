#include "app/log_route.h"

#include <syslog.h>

#include <algorithm>
#include <cctype>

namespace kestrel {

int log_level_of(const std::string& name) {
  if (name == "emergency") return LOG_EMERG;
  if (name == "alert") return LOG_ALERT;
  if (name == "critical") return LOG_CRIT;
  if (name == "error") return LOG_ERR;
  if (name == "warning") return LOG_WARNING;
  if (name == "notice") return LOG_NOTICE;
  if (name == "debug") return LOG_DEBUG;
  return LOG_INFO;  // "informational", "info"
}

int log_line_level(const std::string& line) {
  std::string lower(line);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("error") != std::string::npos || lower.find("failed") != std::string::npos ||
      lower.find("cannot") != std::string::npos)
    return LOG_ERR;
  if (lower.find("warning") != std::string::npos) return LOG_WARNING;
  return LOG_INFO;
}

LogRouteBuf::LogRouteBuf(std::streambuf* target, LogRouting routing) : target_(target), routing_(routing) {
  if (routing_.to_syslog) openlog("kestrel", LOG_PID, LOG_USER);
}

LogRouteBuf::~LogRouteBuf() {
  if (!line_.empty()) emit();
  if (routing_.to_syslog) closelog();
}

int LogRouteBuf::overflow(int c) {
  if (c == traits_type::eof()) return traits_type::not_eof(c);
  line_.push_back(static_cast<char>(c));
  if (c == '\n') emit();
  return c;
}

// A partial line is passed on at a flush too, so a prompt without its
// newline is not held back.
int LogRouteBuf::sync() {
  if (!line_.empty()) emit();
  return target_->pubsync();
}

void LogRouteBuf::emit_held_back() {
  if (!line_.empty()) emit();
  if (held_back_.empty()) return;
  target_->sputn(held_back_.data(), static_cast<std::streamsize>(held_back_.size()));
  target_->pubsync();
  held_back_.clear();
}

void LogRouteBuf::emit() {
  const int level = log_line_level(line_);
  const bool kept = level <= routing_.min_level;
  if (!kept || !routing_.to_stderr) held_back_ = line_;
  if (kept) {
    if (routing_.to_stderr) target_->sputn(line_.data(), static_cast<std::streamsize>(line_.size()));
    if (routing_.to_syslog) {
      std::string text = line_;
      if (!text.empty() && text.back() == '\n') text.pop_back();
      syslog(level, "%s", text.c_str());
    }
  }
  line_.clear();
}

}  // namespace kestrel
