#include "app/node_facts.h"

#include <sys/utsname.h>

#include "driverkit/driver_index.h"

namespace kestrel {

nlohmann::json driver_index_facts(const std::string& kmod_index) {
  nlohmann::json driver{{"index", kmod_index}};
  if (kmod_index.empty()) return driver;
  struct utsname u {};
  uname(&u);
  auto index = driverkit::read_index(kmod_index);
  if (!index.ok()) {
    driver["error"] = index.status().message();
    driver["proven"] = false;
    return driver;
  }
  auto found = driverkit::lookup_kernel(*index, kmod_index, {u.release, "", driverkit::debian_architecture(u.machine)});
  driver["found"] = found.found;
  driver["proven"] = found.found && found.row && found.row->verified;
  if (found.row) driver["status"] = driverkit::index_status_name(found.row->status);
  if (!found.reason.empty()) driver["reason"] = found.reason;
  return driver;
}

nlohmann::json node_facts(const std::string& hostname, const std::vector<std::string>& sources,
                          const std::string& kmod_index) {
  struct utsname u {};
  uname(&u);
  return {{"hostname", hostname},
          {"kernel", u.release},
          {"architecture", u.machine},
          {"sources", sources},
          {"driver", driver_index_facts(kmod_index)}};
}

}  // namespace kestrel
