// live_feed.h — stored alerts handed to live subscribers (the console's
// server-sent events).
//
// The store sink publishes each alert once it is stored (with its id, as
// the API's JSON). Each subscriber has its own bounded backlog: a reader
// that does not keep up loses its oldest lines (counted in `missed`), it
// never slows the store sink down. publish() never blocks on a reader.
//
// Threads: publish() from the store sink's worker; subscribe(), next() and
// the Subscription's destructor from the webserver's threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace kestrel::store {

class LiveFeed {
  struct Reader {
    std::deque<std::string> backlog;
    uint64_t missed = 0;
  };

 public:
  static constexpr size_t kBacklog = 1024;  // lines per subscriber

  class Subscription {
   public:
    Subscription(std::shared_ptr<LiveFeed> feed, std::list<Reader>::iterator it) : feed_(std::move(feed)), it_(it) {}
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    // The next line, waiting up to `wait`; nullopt on time-out or close().
    std::optional<std::string> next(std::chrono::milliseconds wait);
    uint64_t missed() const;
    bool closed() const;  // the feed was closed (the webserver stops)

   private:
    std::shared_ptr<LiveFeed> feed_;
    std::list<Reader>::iterator it_;
  };

  void publish(const std::string& line);
  static std::unique_ptr<Subscription> subscribe(const std::shared_ptr<LiveFeed>& feed);
  // Wakes every subscriber; next() returns nullopt from now on.
  void close();
  size_t subscribers() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::list<Reader> readers_;
  bool closed_ = false;
};

}  // namespace kestrel::store
