// unix_http.h — HTTP/1.1 GET over a local unix socket (libcurl).
//
// The runtimes' APIs (Docker Engine, podman's compatible one) are HTTP on a
// unix socket. get() is one bounded request; stream() reads a response
// that does not end (Docker's /events), line by line.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace kestrel {

struct HttpReply {
  enum class Status { kOk, kNoSocket, kTimeout, kError };
  Status status = Status::kError;
  long code = 0;      // HTTP status when kOk
  std::string body;   // capped at kMaxHttpBody
  std::string error;  // libcurl's message otherwise
};

inline constexpr size_t kMaxHttpBody = 4u << 20;

// GET `path` ("/containers/ID/json") from the server on `socket`, all of it
// (connect included) within `timeout`. Thread-safe.
HttpReply unix_http_get(const std::string& socket, const std::string& path, std::chrono::milliseconds timeout);

// GET `path` and call `on_line` for every '\n'-terminated line of the body
// as it arrives, until the server closes, an error, or `stop` (checked at
// least once a second). Returns how it ended (kOk: the server closed or
// `stop`). Lines longer than kMaxHttpBody are dropped.
HttpReply unix_http_stream(const std::string& socket, const std::string& path,
                           const std::function<void(std::string_view)>& on_line, const std::atomic<bool>& stop);

}  // namespace kestrel
