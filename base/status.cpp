#include "base/status.h"

namespace kestrel {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kCorrupt: return "corrupt";
    case StatusCode::kTruncated: return "truncated";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kPermissionDenied: return "permission denied";
    case StatusCode::kUnimplemented: return "not implemented";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string out;
  if (!where_.file.empty()) {
    out += where_.file;
    if (where_.line > 0) {
      out += ":" + std::to_string(where_.line);
      if (where_.column > 0) out += ":" + std::to_string(where_.column);
    }
    out += ": ";
  }
  out += message_;
  if (where_.offset) out += " (at byte offset " + std::to_string(*where_.offset) + ")";
  return out;
}

}  // namespace kestrel
