#include "outputs/http_sink.h"

#include <curl/curl.h>

#include <atomic>
#include <mutex>  // std::call_once

#include "outputs/retry_wait.h"

namespace kestrel::engine {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

enum class PostResult { kSent, kRetry, kRejected, kCancelled };

class HttpSink : public OutputSink {
 public:
  explicit HttpSink(HttpSinkOptions options) : options_(std::move(options)) {
    options_.format.json = true;
    options_.format.ocsf = false;
    init_curl_once();
    curl_ = curl_easy_init();
    headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl_, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, discard_body);
    // A transfer in progress checks cancel() through the progress callback.
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &HttpSink::on_progress);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
  }

  ~HttpSink() override {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }

  std::string_view name() const override { return "http"; }

  Status write(const Alert& alert, const std::string&) override {
    const std::string body = format_alert(alert, options_.format);
    auto backoff = options_.initial_backoff;
    for (;;) {
      switch (post(body)) {
        case PostResult::kSent:
          ++sent_;
          return ok_status();
        case PostResult::kRejected:
          ++rejected_;
          return Status(StatusCode::kInvalidArgument, "http output: the server rejected the alert (HTTP " +
                                                          std::to_string(last_code_) + ")");
        case PostResult::kCancelled:
          return Status(StatusCode::kUnavailable, "http output: shutting down");
        case PostResult::kRetry:
          break;
      }
      ++retries_;
      if (!retry_.wait(backoff, options_.max_backoff))
        return Status(StatusCode::kUnavailable, "http output: shutting down");
    }
  }

  void cancel() override { retry_.cancel(); }

  std::map<std::string, uint64_t> counters() const override {
    return {{"sent", sent_.load()}, {"retries", retries_.load()}, {"rejected", rejected_.load()}};
  }

 private:
  static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<HttpSink*>(self)->retry_.cancelled() ? 1 : 0;
  }

  PostResult post(const std::string& body) {
    if (retry_.cancelled()) return PostResult::kCancelled;
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    CURLcode rc = curl_easy_perform(curl_);
    if (rc == CURLE_ABORTED_BY_CALLBACK) return PostResult::kCancelled;
    if (rc != CURLE_OK) return PostResult::kRetry;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &last_code_);
    if (last_code_ >= 200 && last_code_ < 300) return PostResult::kSent;
    if (last_code_ >= 500 || last_code_ == 429 || last_code_ == 408) return PostResult::kRetry;
    return PostResult::kRejected;
  }

  HttpSinkOptions options_;
  CURL* curl_ = nullptr;
  struct curl_slist* headers_ = nullptr;
  long last_code_ = 0;
  RetryWait retry_;
  std::atomic<uint64_t> sent_{0}, retries_{0}, rejected_{0};
};

}  // namespace

std::unique_ptr<OutputSink> make_http_sink(HttpSinkOptions options) {
  return std::make_unique<HttpSink>(std::move(options));
}

}  // namespace kestrel::engine
