#include "driverkit/target.h"

namespace kestrel::driverkit {

std::vector<std::string> known_targets() { return {"debian", "vanilla"}; }

Result<std::unique_ptr<Target>> make_target(const std::string& name) {
  if (name == "debian") return make_debian_target();
  if (name == "vanilla") return make_vanilla_target();
  std::string known;
  for (const auto& t : known_targets()) known += (known.empty() ? "" : ", ") + t;
  if (name.empty()) return Status(StatusCode::kInvalidArgument, "no target given (--target); known targets: " + known);
  return Status(StatusCode::kInvalidArgument, "unknown target \"" + name + "\"; known targets: " + known);
}

}  // namespace kestrel::driverkit
