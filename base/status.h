// status.h — errors as values at layer boundaries.
//
// A Status is "ok" or carries a code, a message and an optional position
// (file, line, column, byte offset) so a user can find what went wrong.
// Result<T> is a value or a Status. Neither throws; neither allocates on the
// ok path. Use them wherever a function can fail for reasons outside the
// program (files, kernel, untrusted input). Programming errors stay asserts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace kestrel {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad flag, bad config value, bad rule
  kNotFound,         // missing file, unknown key or field
  kCorrupt,          // input that does not follow its format
  kTruncated,        // input that ends early
  kUnavailable,      // the kernel/host lacks what is needed
  kPermissionDenied,
  kUnimplemented,    // a feature that has not landed yet
  kInternal,
};

const char* status_code_name(StatusCode code);

// Where in an input an error was found. Unset members are not printed.
struct SourcePosition {
  std::string file{};
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
  std::optional<uint64_t> offset = std::nullopt;  // byte offset in a binary input
};

class Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message, SourcePosition where = {})
      : code_(code), message_(std::move(message)), where_(std::move(where)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const SourcePosition& where() const { return where_; }

  // "file:line:col: message" or "message (at byte offset N)" as applicable.
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  SourcePosition where_;
};

inline Status ok_status() { return Status(); }

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}     // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kestrel
