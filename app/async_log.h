// async_log.h — lines other threads want logged, printed by one thread.
//
// The output workers report rare operational lines (write errors,
// time-outs); the engine thread, which owns the log stream, prints them
// on its tick. Bounded: past kMaxLines between two prints, lines are
// counted and reported as suppressed, never queued without limit.
#pragma once

#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace kestrel {

class AsyncLog {
 public:
  // Thread-safe.
  void add(std::string line) {
    std::lock_guard lock(mu_);
    if (lines_.size() < kMaxLines) lines_.push_back(std::move(line));
    else ++lost_;
  }
  // Prints and forgets what was added; on the thread that owns `log`.
  void print(std::ostream& log) {
    std::vector<std::string> lines;
    uint64_t lost;
    {
      std::lock_guard lock(mu_);
      lines.swap(lines_);
      lost = std::exchange(lost_, 0);
    }
    for (const auto& line : lines) log << line << "\n";
    if (lost) log << "kestrel: " << lost << " more output log lines suppressed\n";
    if (!lines.empty() || lost) log.flush();
  }

 private:
  static constexpr size_t kMaxLines = 100;
  std::mutex mu_;
  std::vector<std::string> lines_;
  uint64_t lost_ = 0;
};

}  // namespace kestrel
