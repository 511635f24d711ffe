#include "app/event_source_selection.h"

#include <algorithm>

namespace kestrel {

Result<std::set<std::string>> disabled_event_sources(const std::vector<std::string>& known,
                                                     const std::vector<std::string>& enable,
                                                     const std::vector<std::string>& disable) {
  auto invalid = [](std::string message) { return Status(StatusCode::kInvalidArgument, std::move(message)); };
  if (!enable.empty() && !disable.empty())
    return invalid("--enable-source and --disable-source cannot be given together");
  auto is_known = [&](const std::string& s) { return std::find(known.begin(), known.end(), s) != known.end(); };
  std::set<std::string> disabled;
  for (const auto& s : disable) {
    if (!is_known(s)) return invalid("Attempted disabling an unknown event source: " + s);
    disabled.insert(s);
  }
  if (!enable.empty()) {
    for (const auto& s : enable)
      if (!is_known(s)) return invalid("Attempted enabling an unknown event source: " + s);
    for (const auto& s : known)
      if (std::find(enable.begin(), enable.end(), s) == enable.end()) disabled.insert(s);
  }
  if (!known.empty() && disabled.size() == std::set<std::string>(known.begin(), known.end()).size())
    return invalid("Must enable at least one event source");
  return disabled;
}

}  // namespace kestrel
