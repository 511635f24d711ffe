#include "engine/outputs/http_sink.h"

#include <curl/curl.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace kestrel::engine {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

enum class PostResult { kSent, kRetry, kRejected };

class HttpSink : public OutputSink {
 public:
  explicit HttpSink(HttpSinkOptions options) : options_(std::move(options)) {
    options_.format.json = true;
    options_.format.ocsf = false;
    init_curl_once();
    thread_ = std::thread(&HttpSink::run, this);
  }

  ~HttpSink() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      wake_.notify_all();
    }
    thread_.join();
    std::lock_guard lock(mu_);
    dropped_shutdown_ += queue_.size();
  }

  std::string_view name() const override { return "http"; }

  Status write(const Alert& alert, const std::string&) override {
    std::string body = format_alert(alert, options_.format);
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.queue_capacity) {
      ++dropped_queue_full_;
      return Status(StatusCode::kUnavailable, "http output: queue full, alert dropped");
    }
    queue_.push_back(std::move(body));
    ++queued_;
    wake_.notify_all();
    return ok_status();
  }

  void flush() override {
    std::unique_lock lock(mu_);
    drained_.wait_for(lock, options_.drain_timeout, [&] { return queue_.empty(); });
  }

  std::map<std::string, uint64_t> counters() const override {
    std::lock_guard lock(mu_);
    return {{"queued", queued_},   {"sent", sent_},         {"retries", retries_},
            {"dropped_queue_full", dropped_queue_full_}, {"rejected", rejected_},
            {"dropped_shutdown", dropped_shutdown_},     {"queue_length", queue_.size()}};
  }

 private:
  PostResult post(CURL* curl, const std::string& body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) return PostResult::kRetry;
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) return PostResult::kSent;
    if (code >= 500 || code == 429 || code == 408) return PostResult::kRetry;
    return PostResult::kRejected;
  }

  void run() {
    CURL* curl = curl_easy_init();
    struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    auto backoff = options_.initial_backoff;
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping with nothing left
      // The front stays queued (and counted against the bound) until sent.
      std::string body = queue_.front();
      lock.unlock();
      PostResult result = post(curl, body);
      lock.lock();
      if (result == PostResult::kRetry) {
        ++retries_;
        if (stopping_) break;
        wake_.wait_for(lock, backoff, [&] { return stopping_; });
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      backoff = options_.initial_backoff;
      queue_.pop_front();
      if (result == PostResult::kSent) ++sent_;
      else ++rejected_;
      if (queue_.empty()) drained_.notify_all();
    }
    lock.unlock();
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
  }

  HttpSinkOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_, drained_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  uint64_t queued_ = 0, sent_ = 0, retries_ = 0, dropped_queue_full_ = 0, rejected_ = 0, dropped_shutdown_ = 0;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<OutputSink> make_http_sink(HttpSinkOptions options) {
  return std::make_unique<HttpSink>(std::move(options));
}

}  // namespace kestrel::engine
