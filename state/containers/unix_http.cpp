#include "state/containers/unix_http.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace kestrel {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_NOTHING); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using Curl = std::unique_ptr<CURL, CurlDeleter>;

size_t append_capped(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() + len > kMaxHttpBody) return 0;  // aborts the transfer: CURLE_WRITE_ERROR
  body->append(data, len);
  return len;
}

struct StreamState {
  std::string partial;
  const std::function<void(std::string_view)>* on_line;
  const std::atomic<bool>* stop;
};

size_t split_lines(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<StreamState*>(user);
  size_t len = size * n;
  std::string_view in(data, len);
  while (!in.empty()) {
    size_t nl = in.find('\n');
    if (nl == std::string_view::npos) {
      if (s->partial.size() + in.size() <= kMaxHttpBody) s->partial.append(in);
      else s->partial.clear();
      break;
    }
    if (s->partial.empty()) {
      (*s->on_line)(in.substr(0, nl));
    } else {
      s->partial.append(in.substr(0, nl));
      (*s->on_line)(s->partial);
      s->partial.clear();
    }
    in.remove_prefix(nl + 1);
  }
  return len;
}

int check_stop(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<StreamState*>(user)->stop->load() ? 1 : 0;
}

Curl make_handle(const std::string& socket, const std::string& path) {
  global_init();
  Curl c(curl_easy_init());
  if (!c) return c;
  // The host name is ignored on a unix socket; Docker wants a valid one.
  std::string url = "http://localhost" + path;
  curl_easy_setopt(c.get(), CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  return c;
}

HttpReply reply_of(CURLcode rc, CURL* c, std::string body) {
  HttpReply r;
  if (rc == CURLE_OK) {
    r.status = HttpReply::Status::kOk;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
    r.body = std::move(body);
    return r;
  }
  r.error = curl_easy_strerror(rc);
  if (rc == CURLE_COULDNT_CONNECT) r.status = HttpReply::Status::kNoSocket;
  else if (rc == CURLE_OPERATION_TIMEDOUT) r.status = HttpReply::Status::kTimeout;
  else r.status = HttpReply::Status::kError;
  return r;
}

}  // namespace

HttpReply unix_http_get(const std::string& socket, const std::string& path, std::chrono::milliseconds timeout) {
  Curl c = make_handle(socket, path);
  if (!c) return {HttpReply::Status::kError, 0, {}, "curl_easy_init failed"};
  std::string body;
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, append_capped);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  CURLcode rc = curl_easy_perform(c.get());
  return reply_of(rc, c.get(), std::move(body));
}

HttpReply unix_http_stream(const std::string& socket, const std::string& path,
                           const std::function<void(std::string_view)>& on_line, const std::atomic<bool>& stop) {
  Curl c = make_handle(socket, path);
  if (!c) return {HttpReply::Status::kError, 0, {}, "curl_easy_init failed"};
  StreamState st{{}, &on_line, &stop};
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, split_lines);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, check_stop);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, &st);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc == CURLE_ABORTED_BY_CALLBACK && stop.load()) rc = CURLE_OK;
  return reply_of(rc, c.get(), {});
}

}  // namespace kestrel
