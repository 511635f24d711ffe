#include "plugins/event_schema_version.h"

#include <charconv>

namespace kestrel::plugin {

std::optional<SchemaVersion> parse_schema_version(const std::string& text) {
  SchemaVersion v;
  unsigned* parts[] = {&v.major, &v.minor, &v.patch};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    auto r = std::from_chars(p, end, *parts[i]);
    if (r.ec != std::errc() || r.ptr == p) return std::nullopt;
    p = r.ptr;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return v;
}

Status check_event_schema_version(const std::string& plugin, const std::string& required_in,
                                  const std::string& ours_text) {
  const std::string required = required_in.empty() ? "3.0.0" : required_in;
  auto fail = [&](const std::string& why) {
    return Status(StatusCode::kInvalidArgument, "plugin " + plugin + " required event schema version '" +
                                                       required + "' not compatible with the event schema version in use '" +
                                                       ours_text + "': " + why);
  };
  auto want = parse_schema_version(required);
  if (!want) return fail("invalid required event schema version (expected <major>.<minor>.<patch>)");
  auto ours = parse_schema_version(ours_text);
  if (!ours) return fail("invalid event schema version in use");
  if (want->major != ours->major) return fail("major versions disagree");
  if (ours->minor < want->minor) return fail("minor version is less than the requested one");
  if (ours->minor == want->minor && ours->patch < want->patch)
    return fail("patch version is less than the requested one");
  return ok_status();
}

}  // namespace kestrel::plugin
