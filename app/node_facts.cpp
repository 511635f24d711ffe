#include "app/node_facts.h"

#include <sys/utsname.h>

#include "driverkit/driver_index.h"

namespace kestrel {

nlohmann::json node_facts(const std::string& hostname, const std::vector<std::string>& sources,
                          const std::string& kmod_index) {
  struct utsname u {};
  uname(&u);
  nlohmann::json node{{"hostname", hostname}, {"kernel", u.release}, {"architecture", u.machine}, {"sources", sources}};
  nlohmann::json driver{{"index", kmod_index}};
  if (!kmod_index.empty()) {
    auto index = driverkit::read_index(kmod_index);
    if (!index.ok()) {
      driver["error"] = index.status().message();
    } else {
      auto found = driverkit::lookup_kernel(
          *index, kmod_index, {u.release, "", driverkit::debian_architecture(u.machine)});
      driver["found"] = found.found;
      driver["proven"] = found.found && found.row && found.row->verified;
      if (found.row) driver["status"] = driverkit::index_status_name(found.row->status);
      if (!found.reason.empty()) driver["reason"] = found.reason;
    }
  }
  node["driver"] = std::move(driver);
  return node;
}

}  // namespace kestrel
